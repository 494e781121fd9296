"""The focus group page's editor form: Wagtail's own, with the rules that span several papers."""

from wagtail.admin.forms import WagtailAdminPageForm

TWO_CURRENT_VERSIONS = (
    "Only one version of a paper can be the current version. Untick 'Current version' on "
    "all but one of the versions named '{name}'."
)


class FocusGroupPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        papers = self.formsets.get("papers")
        if papers is not None:
            mark_second_current_versions(papers)
        return cleaned_data


def mark_second_current_versions(papers):
    """Give every version ticked 'current' after the first one of the same paper (same paper
    name) an error on that tick box. Versions without a paper name are papers of their own."""
    papers.is_valid()  # cleans each version's fields (done once; the form checks it again)
    seen = set()
    for form in papers.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE") or not data.get("is_current"):
            continue
        name = (data.get("paper_name") or "").strip()
        if not name:
            continue
        if name.casefold() in seen:
            form.add_error("is_current", TWO_CURRENT_VERSIONS.format(name=name))
        seen.add(name.casefold())
