from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.regions.models import Region
from portal.regions.services import RegionFileError, read_region_rows, regions_load, regions_load_henan


class Command(BaseCommand):
    help = "Load (upsert) Henan's divisions and statistics-only zones; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="another CSV with code,name,level,parent_code")

    def handle(self, *args, file=None, **options):
        try:
            count = regions_load(rows=read_region_rows(file)) if file else regions_load_henan()
        except (RegionFileError, OSError) as exc:
            raise CommandError(str(exc)) from None
        divisions = Region.objects.divisions().count()
        self.stdout.write(f"upserted {count} rows; {divisions} divisions in the database")
