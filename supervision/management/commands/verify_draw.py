"""``manage.py verify_draw ID``: recompute a draw (``supervision.draws``) from its published
inputs and say match or mismatch, with every reason. Exit status 0 on a match, 1 otherwise."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from supervision import draws
from supervision.models import Draw


class Command(BaseCommand):
    help = "Recompute a supervision draw from its committed candidate list and public value."

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int)

    def handle(self, *args, draw_id, **options):
        draw = Draw.objects.select_related("activity").filter(pk=draw_id).first()
        if draw is None:
            raise CommandError(f"no draw {draw_id}")
        check = draws.verify(draw)
        out = self.stdout
        out.write(f"draw {draw.pk}: activity {draw.activity.code}, {draw.kind}, #{draw.seq}, size {draw.size}")
        out.write(f"candidates ({len(draw.candidates)}), hash {draw.candidates_hash}")
        out.write(
            f"committed {timezone.localtime(draw.committed_at).isoformat()}; value {draw.value_source} "
            f"on {draw.value_date}: {draw.value or '-'}"
        )
        out.write(f"recomputed result: {check.result}")
        if check.ok:
            out.write(self.style.SUCCESS("MATCH"))
            return
        out.write(self.style.ERROR("MISMATCH"))
        for reason in check.reasons:
            out.write(f"- {reason}")
        raise SystemExit(1)
