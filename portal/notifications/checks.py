"""Start-up checks of the alert settings (``manage.py check``, run by migrate and the web
server): a malformed step table stops start-up instead of silently owing nothing."""

from __future__ import annotations

from django.core import checks

from portal.notifications import conf


def _step_errors(name: str) -> list[str]:
    errors = []
    try:
        steps = conf.steps(name)
    except (KeyError, TypeError, ValueError) as exc:
        return [f"NOTIFICATIONS_{name}: every step needs 'step', 'kind' and an integer 'offset' ({exc})"]
    seen = set()
    for step in steps:
        if step.step in seen:
            errors.append(f"NOTIFICATIONS_{name}: step {step.step!r} appears twice")
        seen.add(step.step)
        if step.kind not in conf.KINDS:
            errors.append(f"NOTIFICATIONS_{name}: step {step.step!r} has kind {step.kind!r}, not one of {conf.KINDS}")
        if len(step.step) > 16 or not step.step.replace("_", "").isalnum():
            errors.append(f"NOTIFICATIONS_{name}: step name {step.step!r} must be at most 16 letters, digits or _")
        unknown = set(step.audience) - set(conf.AUDIENCES)
        if unknown:
            errors.append(f"NOTIFICATIONS_{name}: step {step.step!r} names unknown audiences {sorted(unknown)}")
    return errors


@checks.register()
def alert_settings(app_configs=None, **kwargs):
    problems = []
    from portal.notifications.sources import all_sources

    for name in sorted({source.steps_setting for source in all_sources() if source.steps_setting}):
        problems += _step_errors(name)
    for name in ("DIGEST_THRESHOLD", "BATCH_SIZE", "INBOX_BATCH_SIZE", "MAX_ATTEMPTS"):
        value = conf.get(name)
        if not isinstance(value, int) or value < 1:
            problems.append(f"NOTIFICATIONS_{name} must be a whole number of at least 1, not {value!r}")
    lease = conf.get("CLAIM_LEASE_SECONDS")
    from portal.notifications.tasks import DELIVER_TIME_LIMIT

    if not isinstance(lease, int | float) or lease <= DELIVER_TIME_LIMIT:
        problems.append(
            f"NOTIFICATIONS_CLAIM_LEASE_SECONDS ({lease!r}) must exceed the delivery task's hard time limit "
            f"({DELIVER_TIME_LIMIT} s): a claim may go stale only when its worker is gone"
        )
    return [checks.Error(text, id="notifications.E001") for text in problems]
