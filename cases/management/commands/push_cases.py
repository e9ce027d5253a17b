"""Push a file of enforcement cases to the portal's upload API, as a unit's case system does.

    manage.py push_cases cases.json --token <token> [--url https://portal.example] [--batch 5000]

The file holds a JSON list of cases (or ``{"cases": [...]}``), each as the API documents
(GET /api/schema/, ``POST /api/v1/enforcement-cases/upload/``). It is sent in batches of at most
5,000; every rejected case is printed with its index, field and reason. The same as::

    curl -X POST <url>/api/v1/enforcement-cases/upload/ -H "Authorization: Token <token>" \\
         -H "Content-Type: application/json" --data-binary '{"cases": [...]}'
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.enforcement.models import MAX_BATCH

UPLOAD_PATH = "/api/v1/enforcement-cases/upload/"


class Command(BaseCommand):
    help = "Push a JSON file of enforcement cases to the upload API, in batches of up to 5,000."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--token", required=True, help="the unit system's API token")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the portal's base URL")
        parser.add_argument("--batch", type=int, default=MAX_BATCH)

    def handle(self, *args, file: Path, token: str, url: str, batch: int, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: cannot read a JSON file ({exc})") from exc
        rows = data.get("cases") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not rows:
            raise CommandError(f'{file}: expected a JSON list of cases or {{"cases": [...]}}')
        batch = max(1, min(batch, MAX_BATCH))
        totals = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for start in range(0, len(rows), batch):
            answer = self._post(url.rstrip("/") + UPLOAD_PATH, token, rows[start : start + batch])
            for name in totals:
                totals[name] += answer[name]
            for result in answer["results"]:
                if result["outcome"] == "rejected":
                    for field, reasons in result["errors"].items():
                        self.stdout.write(
                            f"rejected #{start + result['index']} {result['case_number']}: {field}: {' '.join(reasons)}"
                        )
                elif result.get("note"):
                    self.stdout.write(f"#{start + result['index']} {result['case_number']}: {result['note']}")
        self.stdout.write(" ".join(f"{name} {count}" for name, count in totals.items()))

    def _post(self, url: str, token: str, rows: list) -> dict:
        request = urllib.request.Request(  # noqa: S310 - the operator names the portal's URL
            url,
            data=json.dumps({"cases": rows}, ensure_ascii=False).encode("utf-8"),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise CommandError(f"{exc.code}: {exc.read()[:500].decode('utf-8', 'replace')}") from exc
        except urllib.error.URLError as exc:
            raise CommandError(f"{url}: {exc.reason}") from exc
