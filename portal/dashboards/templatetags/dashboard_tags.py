"""``{{ place.nums|get_item:column.key }}``: the places table's columns come from the figure
sets, so the template reads a place's numbers by the column's key."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
