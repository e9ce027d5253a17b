"""Helpers shared by every export (CSV and Excel)."""

from __future__ import annotations

from portal.core.text import office_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formulas (CSV/formula injection): a text cell that begins with
    = + - @ (or a tab/CR) is prefixed with an apostrophe so Excel shows it as text. Characters
    an .xlsx cannot hold (``portal.core.text``) are escaped visibly, so what is stored always
    reaches the file."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = office_text(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value
