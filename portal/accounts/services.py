"""Writes of login security: failures and locks, unlocking, password change, ending every
session of a user, confirming a TOTP device. Each records its audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from portal.accounts import lockout
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record


def _lock_event(lock: lockout.Lock, *, username: str, action: str, outcome: str, changes: dict) -> dict:
    if lock.scope == lockout.ACCOUNT:
        user_id = User.objects.filter(username=lock.subject).values_list("pk", flat=True).first()
        target = {"object_type": "accounts.user", "object_id": user_id or ""}
    else:
        target = {"object_type": "client_ip", "object_id": lock.subject}
    return {
        "actor": None,
        "username": username,
        "action": action,
        "outcome": outcome,
        "changes": {"scope": lock.scope, "subject": lock.subject, **changes},
        **target,
    }


def login_failure_register(*, username: str, ip: str | None) -> tuple[list[lockout.Lock], int]:
    """Count a failed login (wrong password, unknown user or wrong code) against the account
    and the IP; record ``auth.lockout`` for each lock it starts.

    Returns the locks now in force and how many failures are left before the next lock.
    """
    started, left = lockout.register_failure(username=username, ip=ip)
    for lock in started:
        audit_record(
            **_lock_event(
                lock,
                username=username,
                action="auth.lockout",
                outcome=AuditEvent.Outcome.DENIED,
                changes={"failures": settings.LOGIN_FAILURE_LIMIT, "lock_seconds": settings.LOGIN_LOCKOUT_SECONDS},
            )
        )
    locks = started or lockout.current_locks(username=username, ip=ip)
    return locks, min(left.values(), default=settings.LOGIN_FAILURE_LIMIT)


def credential_failure_register(*, user: User, ip: str | None, action: str, reason: str):
    """A known user got a second credential wrong (a TOTP code, the old password when
    changing it): recorded, and counted towards the same locks as a wrong password."""
    audit_record(
        actor=None,
        username=user.get_username(),
        action=action,
        obj=user,
        changes={"reason": reason},
        outcome=AuditEvent.Outcome.FAILED,
    )
    return login_failure_register(username=user.get_username(), ip=ip)


def login_refuse_locked(*, username: str, locks: list[lockout.Lock]) -> None:
    """A login attempt while locked: refused without checking the password, and recorded."""
    audit_record(
        actor=None,
        username=username,
        action="auth.login_locked",
        object_type="accounts.user",
        changes={"scopes": sorted(lock.scope for lock in locks), "minutes_left": max(x.minutes_left for x in locks)},
        outcome=AuditEvent.Outcome.DENIED,
    )


def login_succeeded(*, user: User) -> None:
    lockout.reset_account(user.get_username())


def login_unlock(*, actor, username: str | None = None, ip: str | None = None) -> list[lockout.Lock]:
    """The security administrator lifts a lock on an account and/or an IP."""
    lifted = lockout.unlock(username=username, ip=ip)
    audit_record(
        actor=actor,
        action="auth.unlock",
        object_type="accounts.user" if username else "client_ip",
        object_id=username or ip or "",
        changes={
            "username": username or "",
            "ip": ip or "",
            "lifted": sorted(lock.scope for lock in lifted),
        },
    )
    return lifted


def user_sessions_end(*, user: User) -> None:
    """End every session of the user, on every device: the session hash changes, so each
    session is flushed by Django's check at its next request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)


def user_password_change(*, user: User, new_password: str) -> None:
    """Set a new (already validated) password and end every session of the user."""
    with transaction.atomic():
        user.set_password(new_password)
        user.session_epoch = F("session_epoch") + 1
        user.save(update_fields=["password", "session_epoch"])
        user.refresh_from_db(fields=["session_epoch"])
        audit_record(actor=user, action="auth.password_change", obj=user, changes={"sessions_ended": True})


def totp_session_verified(*, user: User, device) -> None:
    audit_record(actor=user, action="auth.2fa_verify", obj=user, changes={"device": device.persistent_id})


def totp_device_confirm(*, user: User, key: str, last_t: int, drift: int = 0):
    """Bind the authenticator app the user has just proved (a code from ``key``); it
    replaces any device the user had."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).delete()[0]
        device = TOTPDevice.objects.create(
            user=user, name="身份验证器", key=key, confirmed=True, last_t=last_t, drift=drift
        )
        audit_record(
            actor=user,
            action="auth.2fa_enrol",
            obj=user,
            changes={"device": device.persistent_id, "replaced": replaced},
        )
    return device
