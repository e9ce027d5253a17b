"""Demo data: the dashboards' figures computed once the other apps have seeded their records
(``seed_demo`` runs this after them: the app comes last in INSTALLED_APPS)."""

from __future__ import annotations

from portal.core.seeding import SeedContext
from portal.dashboards.services import figures_refresh


def seed(ctx: SeedContext) -> None:
    figures_refresh()
