from django import template

from portal.core.masking import mask

register = template.Library()


@register.filter
def masked(value, kind):
    """{{ complaint.phone|masked:"phone" }}"""
    return mask(kind, value)
