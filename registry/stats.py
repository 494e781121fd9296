"""The public picture of the register: how many have registered, by region and by training
intention, without ever showing a small number exactly.

One aggregate query gives the count for every (region, intention) pair; everything else is
worked out from it in Python. Any count under SMALL_COUNT shows as "fewer than 5". When only
one category in a breakdown is hidden that way, its exact number could be worked out from
the total and the others, so the next smallest category is shown as "5 or more" as well.
"""

from dataclasses import dataclass

from django.db.models import Count

from registry.choices import INTENTION_CHOICES, REGION_CHOICES

SMALL_COUNT = 5
FEWER_THAN = f"fewer than {SMALL_COUNT}"
AT_LEAST = f"{SMALL_COUNT} or more"

# Geometry of the server-drawn bar charts (SVG user units; the chart scales to its box).
CHART_WIDTH = 400
BAR_MAX = 280
ROW_HEIGHT = 50
LABEL_Y = 17
BAR_Y = 25
BAR_HEIGHT = 16


@dataclass
class Row:
    key: str
    label: str
    count: int
    shown: str = ""
    exact: bool = True
    bar_width: float = 0
    y: int = 0

    @property
    def label_y(self):
        return self.y + LABEL_Y

    @property
    def bar_y(self):
        return self.y + BAR_Y

    @property
    def value_x(self):
        return round(self.bar_width + (8 if self.bar_width else 0), 1)

    @property
    def value_y(self):
        return self.y + BAR_Y + BAR_HEIGHT - 3


@dataclass
class Breakdown:
    slug: str
    title: str
    heading: str
    rows: list

    @property
    def chart_height(self):
        return ROW_HEIGHT * len(self.rows) + 4

    chart_width = CHART_WIDTH
    bar_height = BAR_HEIGHT


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


def breakdown(slug, title, heading, choices, counts):
    rows = protect([Row(key, label, counts.get(key, 0)) for key, label in choices])
    largest = max((row.count for row in rows if row.exact), default=0)
    for index, row in enumerate(rows):
        row.y = index * ROW_HEIGHT
        if row.exact and largest:
            row.bar_width = round(BAR_MAX * row.count / largest, 1)
    return Breakdown(slug, title, heading, rows)


def picture_for_entries(entries):
    """The picture for a queryset of RegisterEntry rows, in one query."""
    pairs = entries.order_by().values_list("region", "training_intention").annotate(n=Count("pk"))
    by_region, by_intention, total = {}, {}, 0
    for region, intention, n in pairs:
        by_region[region] = by_region.get(region, 0) + n
        by_intention[intention] = by_intention.get(intention, 0) + n
        total += n
    return {
        "total": total,
        "total_shown": show_total(total),
        "breakdowns": [
            breakdown("region", "Registrations by region", "Region", REGION_CHOICES, by_region),
            breakdown(
                "intention",
                "Registrations by training intention",
                "Intends to seek training",
                INTENTION_CHOICES,
                by_intention,
            ),
        ],
    }
