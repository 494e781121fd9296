"""The public picture of the register: how many have registered, by region and by training
intention, without ever showing a small number exactly.

One aggregate query gives the count for every (region, intention) pair; everything else is
worked out from it in Python. Any count under SMALL_COUNT shows as "fewer than 5". When only
one category in a breakdown is hidden that way, its exact number could be worked out from
the total and the others, so the next smallest category is shown as "5 or more" as well.
When every count is under SMALL_COUNT, the page says so in one sentence instead of listing
"fewer than 5" again and again (registry/includes/picture.html).
"""

from dataclasses import dataclass

from django.db.models import Count

from registry.choices import INTENTION_CHOICES, REGION_CHOICES

SMALL_COUNT = 5
FEWER_THAN = f"fewer than {SMALL_COUNT}"
AT_LEAST = f"{SMALL_COUNT} or more"

# The bars are drawn in each table row, in an SVG of this width (user units; it scales to its
# box), the largest exact count filling it.
BAR_MAX = 100


@dataclass
class Row:
    key: str
    label: str
    count: int
    shown: str = ""
    exact: bool = True
    bar_width: float = 0


@dataclass
class Breakdown:
    slug: str
    title: str
    heading: str
    rows: list
    # Said instead of the table when every count in it is under SMALL_COUNT.
    all_small_text: str = ""

    @property
    def all_small(self):
        return all(row.count < SMALL_COUNT for row in self.rows)

    bar_max = BAR_MAX


def show_total(total):
    return FEWER_THAN if total < SMALL_COUNT else str(total)


def protect(rows):
    """Set each row's shown text: exact, 'fewer than 5', or '5 or more'."""
    for row in rows:
        if row.count < SMALL_COUNT:
            row.shown, row.exact = FEWER_THAN, False
        else:
            row.shown = str(row.count)
    hidden = [row for row in rows if not row.exact]
    exact = sorted((row for row in rows if row.exact), key=lambda r: (r.count, r.label))
    if len(hidden) == 1 and exact:
        exact[0].shown, exact[0].exact = AT_LEAST, False
    return rows


def breakdown(slug, title, heading, choices, counts, all_small_text=""):
    rows = protect([Row(key, label, counts.get(key, 0)) for key, label in choices])
    largest = max((row.count for row in rows if row.exact), default=0)
    for row in rows:
        if row.exact and largest:
            row.bar_width = round(BAR_MAX * row.count / largest, 1)
    return Breakdown(slug, title, heading, rows, all_small_text)


def picture_for_entries(entries):
    """The picture for a queryset of RegisterEntry rows, in one query."""
    pairs = entries.order_by().values_list("region", "training_intention").annotate(n=Count("pk"))
    by_region, by_intention, total = {}, {}, 0
    for region, intention, n in pairs:
        by_region[region] = by_region.get(region, 0) + n
        by_intention[intention] = by_intention.get(intention, 0) + n
        total += n
    breakdowns = [
        breakdown(
            "region",
            "Registrations by region",
            "Region",
            REGION_CHOICES,
            by_region,
            f"Each region has {FEWER_THAN} registrations so far, so the regions are not listed "
            "yet.",
        ),
        breakdown(
            "intention",
            "Registrations by training intention",
            "Intends to seek training",
            INTENTION_CHOICES,
            by_intention,
            f"Each answer to the training question has {FEWER_THAN} registrations so far, so "
            "the answers are not listed yet.",
        ),
    ]
    return {
        "total": total,
        "total_shown": show_total(total),
        # Every count hidden: one sentence says so, instead of a list of "fewer than 5".
        "all_small": all(b.all_small for b in breakdowns),
        "total_small": total < SMALL_COUNT,
        "breakdowns": breakdowns,
    }
