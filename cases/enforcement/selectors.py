"""Reads of the enforcement case data, always scoped (``visible_to``): the search over current
versions, one case with its versions, and the rows of the export.

Plates and ID numbers are searched by their keyed hash after the same normalising as at upload,
so 豫A·12345, 豫a12345 and full-width digits find the same case. Every filter is one an index of
migration 0009 serves (partial on ``is_current``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from cases.enforcement.models import EnforcementCase
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.core import crypto
from portal.regions.models import Region


def cases_visible_to(user, cap: Cap = Cap.VIEW_RECORDS):
    """Current versions the user may see."""
    return EnforcementCase.objects.current().visible_to(user, cap)


def cases_search(
    user,
    *,
    case_number: str = "",
    plate: str = "",
    party_id_number: str = "",
    unit=None,
    violation_item=None,
    mode: str = "",
    region=None,
    penalized: str = "",
    soft: str = "",
    soft_measure: str = "",
    filed_from: dt.date | None = None,
    filed_to: dt.date | None = None,
    cap: Cap = Cap.VIEW_RECORDS,
):
    """Current versions matching every given filter, newest 立案 first."""
    cases = cases_visible_to(user, cap)
    if case_number:
        cases = cases.filter(case_number=case_number.strip())
    if plate:
        cases = cases.filter(plate_hash=crypto.search_hash(crypto.normalise_plate(plate), kind="plate"))
    if party_id_number:
        cases = cases.filter(
            party_id_number_hash=crypto.search_hash(crypto.normalise_id_number(party_id_number), kind="id_number")
        )
    if unit is not None:
        cases = cases.filter(unit=unit)
    if violation_item is not None:
        cases = cases.filter(violation_item=violation_item)
    if mode:
        cases = cases.filter(mode=mode)
    if region is not None:
        cases = cases.filter(region__in=Region.objects.subtree_of(region).values("code"))
    if penalized:
        none = Q(penalty_type=EnforcementCase.PenaltyType.NONE)
        cases = cases.exclude(none) if penalized == "yes" else cases.filter(none)
    if soft:
        cases = cases.exclude(soft_measures=[]) if soft == "yes" else cases.filter(soft_measures=[])
    if soft_measure:
        cases = cases.filter(soft_measures__contains=[soft_measure])
    if filed_from is not None:
        cases = cases.filter(filed_on__gte=filed_from, filed_year__gte=filed_from.year)
    if filed_to is not None:
        cases = cases.filter(filed_on__lte=filed_to, filed_year__lte=filed_to.year)
    return cases.select_related("unit", "violation_item", "region").order_by("-filed_on", "-id")


def case_detail(user, pk: int):
    """One version of a case (the current one, or an older one by its id) and all the case's
    versions, newest first; 404 when out of scope."""
    cases = EnforcementCase.objects.select_related("unit", "violation_item", "region")
    version = get_visible_or_404(cases, user, pk=pk)
    versions = list(
        EnforcementCase.objects.filter(key_id=version.key_id).select_related("violation_item").order_by("-version")
    )
    return version, versions
