"""Demo and benchmark data: ``manage.py seed_demo --scale small|large``.

Every app may contribute a ``seed.py`` with ``seed(ctx: SeedContext)``; seed_demo calls them in
INSTALLED_APPS order inside one transaction. Seeders must be deterministic (use ``ctx.rng``),
idempotent (skip what exists) and fast (bulk inserts or COPY, never a save() per row).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# The small scale covers two cities and three counties: enough for every role and for
# the scoping cases (same city, other city).
SMALL_CITIES = ["410100", "410300"]  # 郑州市, 洛阳市
SMALL_COUNTIES = ["410105", "410122", "410303"]  # 金水区, 中牟县 (郑州), 西工区 (洛阳)

DEMO_PASSWORD = "Henan#Demo2026"  # noqa: S105 - printed by make run; demo only


@dataclass
class SeedContext:
    scale: str
    rng: random.Random
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, password, description)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def large(self) -> bool:
        return self.scale == "large"

    def add_login(self, username: str, description: str, password: str = DEMO_PASSWORD) -> None:
        self.logins.append((username, password, description))

    def count(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n
