"""Helpers shared by every export (CSV and Excel)."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formulas (CSV/formula injection): a text cell that begins with
    = + - @ (or a tab/CR) is prefixed with an apostrophe so Excel shows it as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
