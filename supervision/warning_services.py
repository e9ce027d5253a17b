"""Writes on monitoring warnings: one transition service, compare-and-swap, audited in the same
transaction (``supervision/warning_transitions.py`` holds the allowed moves)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from supervision.warning_models import MonitoringWarning
from supervision.warning_transitions import MOVES


@transaction.atomic
def warning_transition(
    *, actor, warning_id: int, move: str, expected_version: int | None = None, intervention: str = "", note: str = ""
) -> MonitoringWarning:
    """Make one move. Of two people handling the same warning at once exactly one succeeds; the
    other gets ConflictError (409) and nothing of theirs is written."""
    spec = MOVES.get(move)
    if spec is None:
        raise ValidationError({"move": _("未知的操作：%(move)s") % {"move": move}})
    warning = get_visible_or_404(MonitoringWarning.objects.all(), actor, Cap.VIEW_RECORDS, pk=warning_id)
    if not has_cap(actor, spec.cap):
        raise PermissionDenied(_("您无权对该预警执行“%(label)s”。") % {"label": spec.label})
    version = expected_version if expected_version is not None else warning.version
    if warning.status not in spec.source or warning.version != version:
        raise ConflictError(
            _("该预警已被他人处理（当前状态：%(status)s），请刷新后重试。") % {"status": warning.get_status_display()}
        )
    errors = {}
    note = (note or "").strip()
    if spec.needs_intervention and intervention not in MonitoringWarning.Intervention.values:
        errors["intervention"] = _("请选择干预措施（约谈、提醒、专项检查等）。")
    if spec.needs_note and not note:
        errors["note"] = _("请填写排除理由。") if move == "dismiss" else _("请填写干预措施的具体情况。")
    if errors:
        raise ValidationError(errors)
    updates = {
        "status": spec.target,
        "version": F("version") + 1,
        "handled_by": actor,
        "handled_at": timezone.now(),
    }
    if spec.needs_intervention:
        updates["intervention"] = intervention
    if note:
        updates["note"] = note
    changed = MonitoringWarning.objects.filter(pk=warning.pk, status=warning.status, version=version).update(**updates)
    if changed == 0:
        raise ConflictError(_("该预警刚刚被他人处理，请刷新后重试。"))
    audit_record(
        actor=actor,
        action=f"supervision.warning_{move}",
        obj=warning,
        changes={"status": [warning.status, spec.target], "intervention": intervention, "note": note},
    )
    warning.refresh_from_db()
    return warning
