from wagtail import hooks

from pagecache import tags


@hooks.register("before_serve_page")
def tag_served_page(page, request, serve_args, serve_kwargs):
    """Every served page depends on its own content."""
    tags.add(f"page:{page.pk}")
