"""``manage.py alerts_status``: what the status page shows, on the terminal."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.notifications.selectors import alerts_status


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = "The alert schedule, the last runs, the delivery backlog and recent failures."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--failures", type=int, default=10, help="recent failures to list (default 10)")

    def handle(self, *args, **options):
        report = alerts_status(failures=options["failures"])
        if options["json"]:
            self.stdout.write(json.dumps(self._as_json(report), ensure_ascii=False, indent=2, default=str))
            return
        out = self.stdout.write
        out("Schedule (CELERY_BEAT_SCHEDULE):")
        for entry in report.schedule:
            mark = "*" if entry["ours"] else " "
            out(f" {mark} {entry['name']:<28} {entry['task']:<48} {entry['schedule']}  expires={entry['expires']}")
        out("")
        out("Last runs:")
        for row in report.last_runs:
            run = row["run"]
            if run is None:
                out(f"   {row['kind']:<11} never")
                continue
            line = (
                f"   {row['kind']:<11} {_when(run.started_at)}  {run.outcome:<8} alerts={run.alerts} "
                f"deliveries={run.deliveries} enqueued={run.enqueued}  last ok {_when(row['last_ok'])}"
            )
            out(line + (f"\n               error: {run.error.splitlines()[-1]}" if run.error else ""))
        out("")
        out("Backlog by channel:      pending  sending  retrying   failed  unconfirmed")
        for row in report.backlog:
            out(
                f"   {row['channel']:<20} {row['pending']:>8} {row['sending']:>8} {row['retrying']:>9} "
                f"{row['failed']:>8} {report.unconfirmed.get(row['channel'], 0):>12}"
            )
        out(f"   alerts not fanned out yet: {report.new_alerts}; oldest pending due {_when(report.oldest_pending)}")
        out(f"   SMS gateway: {'configured' if report.sms_configured else 'not configured'}")
        out("")
        out("Recent failures and retries:")
        if not report.failures:
            out("   none")
        for delivery in report.failures:
            subject = delivery.alert.key if delivery.alert_id else f"digest:{delivery.pk}"
            out(
                f"   {_when(delivery.updated_at)} {delivery.channel:<5} {delivery.status:<13} "
                f"attempts={delivery.attempts} {delivery.recipient.get_username()} {subject}: {delivery.last_error}"
            )

    def _as_json(self, report) -> dict:
        return {
            "now": report.now.isoformat(),
            "schedule": report.schedule,
            "last_runs": [
                {
                    "kind": row["kind"],
                    "started_at": row["run"].started_at.isoformat() if row["run"] else None,
                    "outcome": row["run"].outcome if row["run"] else None,
                    "error": row["run"].error if row["run"] else "",
                    "last_ok": row["last_ok"].isoformat() if row["last_ok"] else None,
                }
                for row in report.last_runs
            ],
            "backlog": report.backlog,
            "unconfirmed": report.unconfirmed,
            "new_alerts": report.new_alerts,
            "failures": [
                {
                    "id": d.pk,
                    "channel": d.channel,
                    "status": d.status,
                    "attempts": d.attempts,
                    "recipient": d.recipient.get_username(),
                    "error": d.last_error,
                }
                for d in report.failures
            ],
        }
