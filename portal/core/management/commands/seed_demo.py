import importlib
import random
import time
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.core.seeding import SeedContext


class Command(BaseCommand):
    help = "Demo data (small, for make run) or provincial-scale data (large, for benchmarks). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=2022, help="random seed (deterministic output)")
        parser.add_argument("--logins-file", type=Path, help="write the demo logins here")

    def handle(self, *args, scale, seed, logins_file=None, **options):
        ctx = SeedContext(scale=scale, rng=random.Random(seed))  # noqa: S311 - demo data, not secrets
        started = time.monotonic()
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.seed")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.seed":
                        raise
                    continue
                # Each app draws from its own generator, so adding a seeder to one app never
                # shifts what another app's seeder produces (fresh or already-seeded database).
                ctx.rng = random.Random(f"{seed}:{config.label}")  # noqa: S311 - demo data, not secrets
                module.seed(ctx)
        elapsed = time.monotonic() - started
        added = ", ".join(f"{n} {what}" for what, n in ctx.counts.items() if n) or "nothing new"
        self.stdout.write(f"seed_demo --scale {scale}: {added} ({elapsed:.1f} s)")
        if logins_file:
            lines = ["  Demo logins (username / password):"]
            width = max((len(u) for u, _, _ in ctx.logins), default=8)
            lines += [f"    {u.ljust(width)}  {p}  {d}" for u, p, d in ctx.logins]
            logins_file.parent.mkdir(parents=True, exist_ok=True)
            logins_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
