"""What each role may do. Roles grant capabilities; views and services ask for capabilities,
never for roles, so adding a role is one line here.

System, security and audit administration are separate (等保2.0 level 3): the province
administrator configures the system but neither manages accounts nor reads the audit trail;
the security administrator manages accounts; the security auditor only reads the trail.
"""

from __future__ import annotations

from enum import StrEnum

from portal.accounts.models import Role


class Cap(StrEnum):
    VIEW_RECORDS = "records.view"  # problems, complaints, supervision, cases
    EDIT_RECORDS = "records.edit"
    VERIFY = "records.verify"  # verify rectifications, decide extensions and returns
    EXPORT_RECORDS = "records.export"
    REVEAL_PERSONAL_DATA = "personal_data.reveal"
    VIEW_DASHBOARD = "dashboard.view"
    INSPECT = "inspection.record"
    EVALUATE = "evaluation.enter"
    VIEW_AUDIT = "audit.view"
    MANAGE_USERS = "users.manage"
    MANAGE_SYSTEM = "system.manage"
    # issue 20: a leadership member logs its own station days and enterprise visits (only its
    # own, within its assignments); EDIT_RECORDS logs them on any leader's behalf
    LOG_OWN_SERVICE = "service.log_own"


_CASEWORK = frozenset(
    {Cap.VIEW_RECORDS, Cap.EDIT_RECORDS, Cap.EXPORT_RECORDS, Cap.REVEAL_PERSONAL_DATA, Cap.VIEW_DASHBOARD}
)

ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.PROVINCE_ADMIN: frozenset({Cap.MANAGE_SYSTEM, Cap.VIEW_RECORDS, Cap.VIEW_DASHBOARD}),
    Role.SECURITY_ADMIN: frozenset({Cap.MANAGE_USERS}),
    Role.SECURITY_AUDITOR: frozenset({Cap.VIEW_AUDIT}),
    Role.PROVINCE_STAFF: _CASEWORK | {Cap.VERIFY},
    Role.CITY_STAFF: _CASEWORK | {Cap.VERIFY},
    Role.COUNTY_OFFICER: _CASEWORK,
    Role.INSPECTOR: frozenset({Cap.VIEW_RECORDS, Cap.INSPECT}),
    Role.EVALUATOR: frozenset({Cap.EVALUATE}),
    Role.LEADER: frozenset({Cap.VIEW_DASHBOARD, Cap.LOG_OWN_SERVICE}),
}


def capabilities_of(user) -> frozenset[Cap]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_capabilities", None)
    if cached is None:
        cached = frozenset().union(*(ROLE_CAPABILITIES.get(role, frozenset()) for role in user.roles or []))
        user._capabilities = cached
    return cached


def has_cap(user, cap: Cap) -> bool:
    return cap in capabilities_of(user)
