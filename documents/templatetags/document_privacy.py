"""For the admin's multiple upload screen: the default collection and its help text."""

from django import template

from documents.forms import COLLECTION_HELP
from documents.privacy import unpublished_collection

register = template.Library()


@register.simple_tag
def unpublished_collection_id():
    return str(unpublished_collection().pk)


@register.simple_tag
def collection_help():
    return COLLECTION_HELP
