"""Reads of the problem list, always scoped to the reader's region subtree.

Pages and the API share ``ProblemFilter`` (the list's filters) and ``problems_for_list`` (the
list query: one COUNT and one SELECT whatever the data size); detail pages read through
``problem_for_detail`` and ``problem_detail_context``. Nothing here filters by region by hand:
every query starts from ``visible_to``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Accountability,
    Category,
    Disclosure,
    Evidence,
    ExtensionRequest,
    Milestone,
    Problem,
    ProgressEntry,
    Verification,
)
from cases.transitions import MOVES
from portal.accounts.capabilities import Cap
from portal.accounts.models import User
from portal.accounts.scoping import get_visible_or_404, is_province_wide, subtree_q
from portal.audit.models import AuditEvent
from portal.regions.models import Region, Unit

PROBLEM_OBJECT_TYPE = Problem._meta.label_lower  # "cases.problem", as the audit trail names it


# --- choices limited to the reader ------------------------------------------------------------


def regions_for(user) -> QuerySet[Region]:
    """Divisions in the user's subtree (development zones too: some units sit under them)."""
    return Region.objects.filter(subtree_q(user, "code")).order_by("path")


def region_choices(user) -> list[Region]:
    """The subtree for a filter's choices, in one query that also reads the user's own region
    (the subtree's root), so the scoping of the page's other queries needs no lookup of it."""
    if not getattr(user, "is_authenticated", False) or not user.region_id:
        return []
    if is_province_wide(user):
        regions = list(Region.objects.order_by("path"))
    else:
        home = Region.objects.filter(code=user.region_id).values("path")[:1]
        regions = list(Region.objects.filter(path__startswith=Subquery(home)).order_by("path"))
    if regions and regions[0].code == user.region_id and not User.region.is_cached(user):
        user.region = regions[0]
    return regions


def units_for(user, region: Region | str | None = None) -> QuerySet[Unit]:
    units = Unit.objects.visible_to(user, None).filter(active=True).select_related("region")
    if region:
        units = units.filter(region=region)
    return units.order_by("region_id", "kind", "name")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True).select_related("parent").order_by("group", "sort_order", "code")


# --- the list ---------------------------------------------------------------------------------


class ProblemFilter(django_filters.FilterSet):
    """The list's filters, shared by the page and the API (``?region=&status=&category=...``)."""

    OVERDUE_CHOICES = (("yes", _("已逾期")), ("no", _("未逾期")))
    UNVERIFIED_CHOICES = (("yes", _("销号无核查记录")),)

    q = django_filters.CharFilter(method="filter_q", label=_("编号或标题"), max_length=64)
    # Region and category are matched inside the list's own query (no lookup of the chosen
    # row first), so filtering costs no extra query; rows stay limited to the reader's subtree.
    region = django_filters.CharFilter(
        method="filter_region",
        label=_("区划代码（含下级）"),
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("区划代码应为6位数字。"))],
    )
    status = django_filters.ChoiceFilter(choices=Problem.Status.choices, label=_("状态"))
    category = django_filters.NumberFilter(method="filter_category", label=_("问题类别ID（大类含其子类）"))
    overdue = django_filters.ChoiceFilter(choices=OVERDUE_CHOICES, method="filter_overdue", label=_("是否逾期"))
    deadline_from = django_filters.DateFilter(field_name="deadline", lookup_expr="gte", label=_("期限起"))
    deadline_to = django_filters.DateFilter(field_name="deadline", lookup_expr="lte", label=_("期限止"))
    is_key = django_filters.BooleanFilter(label=_("重点问题"))
    unit = django_filters.NumberFilter(field_name="unit_id", label=_("责任单位ID"))
    unverified = django_filters.ChoiceFilter(
        choices=UNVERIFIED_CHOICES, method="filter_unverified", label=_("已销号但没有核查记录")
    )

    class Meta:
        model = Problem
        fields = [
            "q",
            "region",
            "status",
            "category",
            "overdue",
            "deadline_from",
            "deadline_to",
            "is_key",
            "unit",
            "unverified",
        ]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))

    def filter_region(self, queryset, name, code):
        # The region and everything under it: the regions whose path runs through the code
        # (paths are "410000/410100/410105/", six digits and a slash per level).
        return queryset.filter(region__in=Region.objects.filter(path__contains=f"{code}/").values("code"))

    def filter_category(self, queryset, name, category_id):
        return queryset.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))

    def filter_unverified(self, queryset, name, value):
        from cases.figures import closed_unverified_q

        return queryset.filter(closed_unverified_q()) if value == "yes" else queryset

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=Problem.OPEN_STATES, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value == "yes" else queryset.exclude(overdue)


def problems_visible(user, cap: Cap = Cap.VIEW_RECORDS) -> QuerySet[Problem]:
    return Problem.objects.visible_to(user, cap)


def problems_for_list(user) -> QuerySet[Problem]:
    """The list's rows with everything a row shows, in one SELECT (plus the page's COUNT)."""
    return problems_visible(user).with_overdue().select_related("region", "unit", "category")


LIST_ORDERINGS = {
    "": ("-created_at", "-id"),
    "deadline": (F("deadline").asc(nulls_last=True), "id"),
    "-deadline": (F("deadline").desc(nulls_last=True), "-id"),
    "code": ("code",),
}


def problems_filtered(user, params, request=None) -> tuple[ProblemFilter, QuerySet[Problem]]:
    """The filter form bound to ``params`` and the filtered, ordered list (invalid filters are
    reported on the form and ignored)."""
    filterset = ProblemFilter(params, queryset=problems_for_list(user), request=request)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset
    return filterset, queryset.order_by(*LIST_ORDERINGS.get(params.get("o", ""), LIST_ORDERINGS[""]))


# --- "my rectifications" ----------------------------------------------------------------------


def my_rectifications(user, *, unit_only: bool = False) -> QuerySet[Problem]:
    """Open problems of the reader's region (or unit), overdue first, then by deadline, each
    with what is due next: the earliest unfinished milestone and a pending extension."""
    next_milestone = Milestone.objects.filter(plan__problem=OuterRef("pk"), done_on__isnull=True).order_by(
        "due_on", "id"
    )
    queryset = (
        problems_for_list(user)
        .filter(status__in=Problem.OPEN_STATES)
        .annotate(
            next_milestone_title=Subquery(next_milestone.values("title")[:1]),
            next_milestone_due=Subquery(next_milestone.values("due_on")[:1]),
            extension_pending=Exists(
                ExtensionRequest.objects.filter(problem=OuterRef("pk"), decision=ExtensionRequest.Decision.PENDING)
            ),
        )
    )
    if unit_only and user.unit_id:
        queryset = queryset.filter(unit_id=user.unit_id)
    return queryset.order_by(F("deadline").asc(nulls_last=True), "id")


def my_rectification_counts(user, *, unit_only: bool = False, soon_days: int = 7) -> dict[str, int]:
    """Open, overdue and due-within-``soon_days`` counts for "my rectifications", one query."""
    today = timezone.localdate()
    queryset = problems_visible(user).filter(status__in=Problem.OPEN_STATES)
    if unit_only and user.unit_id:
        queryset = queryset.filter(unit_id=user.unit_id)
    return queryset.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(deadline__lt=today)),
        due_soon=Count("id", filter=Q(deadline__gte=today, deadline__lte=today + dt.timedelta(days=soon_days))),
    )


# --- one problem --------------------------------------------------------------------------------


def problem_for_detail(user, pk) -> Problem:
    """The problem if the reader may see it (OutOfScope, a 404, otherwise)."""
    return get_visible_or_404(
        Problem.objects.with_overdue().select_related("region", "unit", "domain", "category__parent", "registered_by"),
        user,
        Cap.VIEW_RECORDS,
        pk=pk,
    )


ACTION_LABELS = {
    "problem.register": _("登记问题"),
    "problem.update": _("修改问题信息"),
    "problem.plan_set": _("制定整改方案"),
    "problem.milestone_done": _("时间节点完成"),
    "problem.milestone_explain": _("说明时间节点未完成原因"),
    "problem.verification_record": _("记录核查"),
    "problem.progress": _("报送整改进展"),
    "problem.extension_request": _("申请延期"),
    "problem.extension_decide": _("审批延期申请"),
    "problem.accountability": _("记录追责问责"),
    "problem.disclose": _("公开处理结果"),
    "problem.archive_export": _("导出整治档案"),
    **{f"problem.{name}": move.label for name, move in MOVES.items()},
}
CHANGE_LABELS = {
    "status": _("状态"),
    "deadline": _("整改期限"),
    "reason": _("理由"),
    "note": _("意见"),
    "decision": _("审批结果"),
    "requested_deadline": _("申请延期至"),
    "measures": _("整改措施"),
    "milestone": _("时间节点"),
    "done_on": _("完成日期"),
    "measure": _("问责方式"),
    "post": _("职务"),
    "method": _("核查方式"),
    "verified_on": _("核查日期"),
    "verifiers": _("核查人员"),
    "findings": _("核查发现"),
    "explanation": _("未完成说明"),
}
STATUS_LABELS = dict(Problem.Status.choices)
DECISION_LABELS = dict(ExtensionRequest.Decision.choices)
MEASURE_LABELS = dict(Accountability.Measure.choices)
METHOD_LABELS = dict(Verification.Method.choices)


def _display(name: str, value) -> str:
    labels = {
        "status": STATUS_LABELS,
        "decision": DECISION_LABELS,
        "measure": MEASURE_LABELS,
        "method": METHOD_LABELS,
    }.get(name, {})
    return str(labels.get(value, value)) if value not in (None, "") else "—"


def change_summary(changes: dict) -> list[tuple[str, str]]:
    """An audit event's changes as (label, text) pairs a reader understands; fields not worth
    showing on the timeline (ids, file lists) are left out."""
    rows = []
    for name, label in CHANGE_LABELS.items():
        if name not in changes:
            continue
        value = changes[name]
        if isinstance(value, list | tuple) and len(value) == 2 and name not in ("measures",):
            text = f"{_display(name, value[0])} → {_display(name, value[1])}"
        else:
            text = _display(name, value)
        rows.append((str(label), text))
    return rows


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "event" | "progress"
    actor: str
    action: str
    changes: dict
    progress: ProgressEntry | None = None

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def summary(self) -> list[tuple[str, str]]:
        return change_summary(self.changes)


def problem_timeline(problem: Problem, progress: list[ProgressEntry]) -> list[TimelineItem]:
    """The problem's audit events plus its progress entries (which carry the evidence), newest
    first. A progress entry stands for its own audit event."""
    events = AuditEvent.objects.filter(object_type=PROBLEM_OBJECT_TYPE, object_id=str(problem.pk)).exclude(
        action="problem.progress"
    )
    items = chain(
        (
            TimelineItem(
                e.occurred_at,
                "event",
                _author_name(e.actor) or e.actor_username,
                e.action,
                {} if e.action == "problem.register" else (e.changes or {}),  # its changes are the whole record
            )
            for e in events.select_related("actor").order_by("seq")
        ),
        (TimelineItem(p.created_at, "progress", _author_name(p.author), "problem.progress", {}, p) for p in progress),
    )
    return sorted(items, key=lambda item: item.at, reverse=True)


def _author_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def problem_detail_parts(problem: Problem) -> dict:
    """Everything the detail page shows about one (already scoped) problem, a fixed number of
    queries whatever the problem's history."""
    plan = getattr(problem, "plan", None)  # the reverse one-to-one raises AttributeError when absent
    milestones = list(plan.milestones.all()) if plan else []
    progress = list(
        ProgressEntry.objects.filter(problem=problem)
        .select_related("author")
        .prefetch_related(Prefetch("files", queryset=Evidence.objects.order_by("uploaded_at", "id")))
        .order_by("created_at", "id")
    )
    for entry in progress:
        for file in entry.files.all():
            file.kind = evidence_kind(file)
    evidence = list(
        Evidence.objects.filter(problem=problem).select_related("uploaded_by").order_by("uploaded_at", "id")
    )
    for file in evidence:
        file.kind = evidence_kind(file)
    extensions = list(problem.extensions.select_related("requested_by", "decided_by").order_by("-requested_at"))
    disclosure = Disclosure.objects.filter(problem=problem).first()
    verifications = list(
        problem.verifications.select_related("verifier")
        .prefetch_related(Prefetch("files", queryset=Evidence.objects.order_by("uploaded_at", "id")))
        .order_by("-created_at", "-id")
    )
    for verification in verifications:
        for file in verification.files.all():
            file.kind = evidence_kind(file)
    return {
        "plan": plan,
        "milestones": milestones,
        "progress": progress,
        "evidence": evidence,
        "verifications": verifications,
        # Closed with a recorded verification behind it (method and date), not a bare conclusion.
        "closed_verified": any(v.is_record and v.result == Verification.Result.PASSED for v in verifications),
        "extensions": extensions,
        "pending_extension": next((x for x in extensions if x.decision == ExtensionRequest.Decision.PENDING), None),
        "accountability": list(problem.accountability.select_related("unit")),
        "disclosure": disclosure,
        "timeline": problem_timeline(problem, progress),
    }


EVIDENCE_KINDS = {
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "application/pdf": "PDF",
    "application/msword": "DOC",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}


def evidence_kind(evidence: Evidence) -> str:
    """A short type label for an evidence file (its checked content type, not its name)."""
    return EVIDENCE_KINDS.get(evidence.content_type, "FILE")


def evidence_for_download(user, pk) -> Evidence:
    return get_visible_or_404(Evidence.objects.select_related("problem"), user, Cap.VIEW_RECORDS, pk=pk)


# --- the public pages (no login) ------------------------------------------------------------------


def public_disclosures() -> QuerySet[Disclosure]:
    """Published handling results with only what the public may read: no personal data, no
    internal ids beyond the problem code."""
    return (
        Disclosure.objects.select_related("problem__region")
        .only("title", "summary", "published_at", "problem__code", "problem__region__name")
        .order_by("-published_at", "-id")
    )


def public_disclosure(code: str) -> Disclosure | None:
    return public_disclosures().filter(problem__code=code).first()
