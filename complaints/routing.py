"""Routing a complaint to the unit that handles it, and escalation to the level above (提级办理).

The rule table (``RoutingRule``: region + business area → unit) is looked up most specific
first: the complaint's region with its area, the region for any area, then the same two for
each region above it. Without any rule the complaint goes to the region's transport authority
(交通运输主管部门, which dispatches by hand), or the nearest one above.

A complaint (class 投诉举报) in a category with ``escalate_complaints`` (乱收费, 乱罚款,
违规执法 ...) is handled one level up: by the unit the rules name for the parent region of
the unit complained about, else that region's enforcement agency or authority.

Intake is a hot path (hundreds per second from the 12328 platform), so the reference data it
needs (regions, units, rules, categories, time limits, settings) is read once per process into
``RefData`` and reused until its version in the shared cache changes: every edit through the
portal bumps it, and a snapshot never lives longer than ``MAX_AGE_SECONDS`` so that edits made
elsewhere (units in the admin) arrive within a minute.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache

logger = logging.getLogger(__name__)
VERSION_KEY = "complaints:refdata:version"
MAX_AGE_SECONDS = 60
# An edit made in another process reaches this one within this many seconds (one made in this
# process at once: ``refdata_changed`` drops the local copy).
RECHECK_SECONDS = 1.0
_checked_at = 0.0


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    parent: str | None
    path: str
    level: str


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    kind: str
    region: str


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: str
    escalate: bool


@dataclass(frozen=True)
class LimitInfo:
    accept_days: int = 1
    handle_days: int = 15
    extension_days: int = 7
    max_extensions: int = 1
    warn_days: int = 1
    callback_days: int = 1


@dataclass(frozen=True)
class Route:
    unit: UnitInfo
    rule_id: int | None
    escalated: bool
    why: str


@dataclass
class RefData:
    version: str | None
    loaded_at: float
    regions: dict[str, RegionInfo]
    units: dict[int, UnitInfo]
    rules: dict[tuple[str, str], tuple[int, int]]  # (region, area) -> (rule id, unit id)
    units_by_region: dict[str, list[UnitInfo]]
    categories: dict[int, CategoryInfo]
    categories_by_code: dict[str, CategoryInfo]
    limits: dict[str, LimitInfo]
    duplicate_window_days: int = 30
    similarity_threshold: float = 0.35
    extra: dict = field(default_factory=dict)

    # --- lookups ---------------------------------------------------------------------------

    def region(self, code: str) -> RegionInfo | None:
        return self.regions.get(code)

    def limit(self, kind: str) -> LimitInfo:
        return self.limits.get(kind) or LimitInfo()

    def chain(self, code: str) -> list[str]:
        """The region and those above it, nearest first."""
        region = self.regions.get(code)
        return [c for c in reversed(region.path.split("/")) if c] if region else []

    def first_unit_of_kind(self, region: str, kinds: tuple[str, ...]) -> UnitInfo | None:
        units = self.units_by_region.get(region, [])
        for kind in kinds:
            for unit in units:
                if unit.kind == kind:
                    return unit
        return None

    def rule_for(self, region: str, area: str) -> tuple[int, UnitInfo] | None:
        for key in ((region, area), (region, "")):
            found = self.rules.get(key)
            if found and found[1] in self.units:
                return found[0], self.units[found[1]]
        return None

    def route(self, *, region: str, area: str) -> Route:
        """The rule table, most specific first, then the nearest transport authority."""
        for code in self.chain(region):
            found = self.rule_for(code, area)
            if found:
                rule_id, unit = found
                return Route(unit, rule_id, False, "rule")
        for code in self.chain(region):
            unit = self.first_unit_of_kind(code, ("authority", "agency"))
            if unit:
                return Route(unit, None, False, "authority")
        raise LookupError(f"no unit can handle complaints for region {region}")

    def level_above(self, *, unit: UnitInfo, area: str) -> Route:
        """The unit one level above ``unit``'s region that handles escalated complaints."""
        region = self.regions[unit.region]
        above = region.parent or region.code  # the province has nobody above: it handles itself
        found = self.rule_for(above, area)
        if found:
            return Route(found[1], found[0], True, "escalated_rule")
        for code in self.chain(above):
            candidate = self.first_unit_of_kind(code, ("agency", "authority"))
            if candidate:
                return Route(candidate, None, True, "escalated")
        raise LookupError(f"no unit above region {unit.region}")

    def route_complaint(self, *, region: str, area: str, kind: str, unit_id: int | None, category_id: int | None):
        route = self.route(region=region, area=area)
        category = self.categories.get(category_id) if category_id else None
        if category is not None and category.escalate and kind == "complaint":
            subject_unit = self.units.get(unit_id) if unit_id else None
            return self.level_above(unit=subject_unit or route.unit, area=area)
        return route


_lock = threading.Lock()
_current: RefData | None = None


def _load(version: str | None) -> RefData:
    from cases.models import Category
    from complaints.models import IntakeSettings, RoutingRule, TimeLimit
    from portal.regions.models import Region, Unit

    regions = {
        code: RegionInfo(code, name, parent, path, level)
        for code, name, parent, path, level in Region.objects.values_list("code", "name", "parent_id", "path", "level")
    }
    units = {
        pk: UnitInfo(pk, name, kind, region)
        for pk, name, kind, region in Unit.objects.filter(active=True)
        .order_by("id")
        .values_list("id", "name", "kind", "region_id")
    }
    by_region: dict[str, list[UnitInfo]] = {}
    for unit in units.values():
        by_region.setdefault(unit.region, []).append(unit)
    rules = {
        (region, area): (pk, unit)
        for pk, region, area, unit in RoutingRule.objects.filter(active=True).values_list(
            "id", "region_id", "area", "unit_id"
        )
    }
    categories = {
        pk: CategoryInfo(pk, code, name, escalate)
        for pk, code, name, escalate in Category.objects.filter(active=True).values_list(
            "id", "code", "name", "escalate_complaints"
        )
    }
    limits = {
        row["kind"]: LimitInfo(**{k: v for k, v in row.items() if k != "kind"})
        for row in TimeLimit.objects.values(
            "kind", "accept_days", "handle_days", "extension_days", "max_extensions", "warn_days", "callback_days"
        )
    }
    config = IntakeSettings.objects.filter(pk=1).values("duplicate_window_days", "similarity_threshold").first() or {}
    return RefData(
        version=version,
        loaded_at=time.monotonic(),
        regions=regions,
        units=units,
        rules=rules,
        units_by_region=by_region,
        categories=categories,
        categories_by_code={c.code: c for c in categories.values()},
        limits=limits,
        **config,
    )


def _shared_version() -> str | None:
    try:
        return cache.get(VERSION_KEY)
    except Exception:  # a cache outage must not stop intake: fall back to the age limit
        return None


def refdata() -> RefData:
    """The current reference data: no read at all within ``RECHECK_SECONDS`` of the last check
    (a burst of intake asks the shared cache once a second, not twice a request), else one
    cache read when nothing changed."""
    global _current, _checked_at
    current = _current
    now = time.monotonic()
    if current is not None and now - _checked_at < RECHECK_SECONDS and now - current.loaded_at < MAX_AGE_SECONDS:
        return current
    version = _shared_version()
    _checked_at = now
    if (
        current is not None
        and version is not None
        and current.version == version
        and time.monotonic() - current.loaded_at < MAX_AGE_SECONDS
    ):
        return current
    if version is None:
        version = uuid.uuid4().hex
        try:
            if not cache.add(VERSION_KEY, version, None):
                version = cache.get(VERSION_KEY) or version
        except Exception:
            version = None
    fresh = _load(version)
    with _lock:
        _current = fresh
    return fresh


def refdata_changed() -> None:
    """Every process reloads its reference data on its next intake (call after any edit)."""
    global _current
    with _lock:
        _current = None
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # each process still reloads within MAX_AGE_SECONDS
        logger.warning("cache unavailable; complaint reference data version not published", exc_info=True)
