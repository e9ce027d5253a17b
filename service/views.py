"""Pages of service-oriented enforcement (mounted at /service/) and the public site (/public/).

Lists are scoped by ``service.selectors``; writes go through ``service.services``; a refused
write re-renders the page with the message (400), nothing half-saved."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from complaints import throttle
from portal.accounts.access import needs, public, signed_in
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.context import client_ip
from portal.imports.xlsx import LedgerFileError, ReadLimitReached
from service import imports, selectors, services
from service.forms import (
    AssignmentForm,
    ContactLookupForm,
    DecisionDoneForm,
    DecisionForm,
    EnterpriseForm,
    ImportForm,
    IssueCloseForm,
    LeaderForm,
    MeetingForm,
    RecordForm,
    StationDayForm,
    VisitForm,
)
from service.models import (
    Assignment,
    Decision,
    Enterprise,
    LeaderContact,
    Meeting,
    RecordPhoto,
    ServiceRecord,
    StationDay,
    StationMonth,
    Visit,
    VisitIssue,
)

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages[0] if hasattr(error, "messages") else str(error))
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _can_edit(user) -> bool:
    return has_cap(user, Cap.EDIT_RECORDS)


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# --- enterprises ---------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Enterprise)
def enterprise_list(request):
    form = EnterpriseForm(request.POST or None, user=request.user)
    status = 200
    needs_reason = False
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                enterprise = services.enterprise_register(
                    actor=request.user,
                    name=data["name"],
                    credit_code=data["credit_code"],
                    kind=data["kind"],
                    size=data["size"],
                    region=data["region"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                needs_reason = any(e.code == "credit_code_check" for e in exc.error_dict.get("credit_code", []))
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记企业“%(n)s”。") % {"n": enterprise.name})
                return redirect("service:enterprise", pk=enterprise.pk)
        status = 400
    queryset, filters = selectors.enterprises(request.user, request.GET)
    return render(
        request,
        "service/enterprises.html",
        {
            "page": _page(request, queryset),
            "filters": filters,
            "form": form,
            "needs_reason": needs_reason,
            "can_edit": _can_edit(request.user),
            "kinds": Enterprise.Kind.choices,
        },
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=Enterprise)
def enterprise_detail(request, pk):
    enterprise = selectors.enterprise_detail(request.user, pk)
    visits = enterprise.visits.select_related("leader").prefetch_related("issues").order_by("-visited_on")[:50]
    return render(request, "service/enterprise.html", {"enterprise": enterprise, "visits": visits})


@needs(Cap.EDIT_RECORDS)
def import_template(request):
    response = HttpResponse(
        imports.template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, "运输企业名录导入模板.xlsx")
    return response


@needs(Cap.EDIT_RECORDS)
def import_upload(request):
    """A dry run first (every bad cell reported), then all rows or none."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report, error, done = None, "", False
    if request.method == "POST" and form.is_valid():
        commit = bool(form.cleaned_data["commit"])
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            for chunk in form.cleaned_data["file"].chunks():
                handle.write(chunk)
            handle.flush()
            try:
                report = imports.enterprises_import(actor=request.user, path=handle.name, commit=commit)
                done = commit and not report.errors
            except LedgerFileError as exc:
                error = exc.message
            except ReadLimitReached:
                error = _("文件超过单次导入上限 %(n)s 行，请拆分后分批导入。") % {"n": imports.MAX_ROWS}
    status = 400 if (error or (report and report.errors)) else 200
    return render(
        request, "service/import.html", {"form": form, "report": report, "error": error, "done": done}, status=status
    )


# --- leaders and assignments ---------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=LeaderContact)
def leader_list(request):
    form = LeaderForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.leader_set(
                    actor=request.user,
                    user=data["user"],
                    post=data["post"],
                    phone=data["phone"],
                    published=data["published"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已保存领导班子成员信息。"))
                return redirect("service:leaders")
        status = 400
    queryset = (
        LeaderContact.objects.visible_to(request.user, Cap.VIEW_RECORDS)
        .select_related("user", "region")
        .order_by("region_id", "user__username")
    )
    return render(
        request,
        "service/leaders.html",
        {"page": _page(request, queryset), "form": form, "can_edit": _can_edit(request.user)},
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=Assignment)
def assignment_list(request):
    form = AssignmentForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assignment_add(
                    actor=request.user, leader=data["leader"], enterprise=data["enterprise"], station=data["station"]
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已分配联系对象。"))
                return redirect("service:assignments")
        status = 400
    queryset = (
        Assignment.objects.visible_to(request.user, Cap.VIEW_RECORDS)
        .select_related("leader", "enterprise", "station", "region")
        .order_by("region_id", "leader_id", "id")
    )
    return render(
        request,
        "service/assignments.html",
        {"page": _page(request, queryset), "form": form, "can_edit": _can_edit(request.user)},
        status=status,
    )


@needs(Cap.EDIT_RECORDS, model=Assignment)
def assignment_remove(request, pk):
    assignment = get_visible_or_404(Assignment, request.user, Cap.EDIT_RECORDS, pk=pk)
    if refused := _post_only(request):
        return refused
    services.assignment_remove(actor=request.user, assignment=assignment)
    messages.success(request, _("已取消联系分工。"))
    return redirect("service:assignments")


# --- visits --------------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Visit)
def visit_list(request):
    form = VisitForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.visit_log(
                    actor=request.user,
                    leader=data["leader"],
                    enterprise=data["enterprise"],
                    visited_on=data["visited_on"],
                    form=data["form"],
                    notes=data["notes"],
                    issues=data["issues"].splitlines(),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记走访。"))
                return redirect("service:visits")
        status = 400
    return render(
        request,
        "service/visits.html",
        {
            "page": _page(request, selectors.visits(request.user)),
            "form": form,
            "close_form": IssueCloseForm(),
            "can_edit": _can_edit(request.user),
        },
        status=status,
    )


@needs(Cap.EDIT_RECORDS, model=VisitIssue)
def issue_close(request, pk):
    issue = get_visible_or_404(VisitIssue.objects.select_related("visit"), request.user, Cap.EDIT_RECORDS, pk=pk)
    if refused := _post_only(request):
        return refused
    form = IssueCloseForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    problem = None
    code = (data.get("problem_code") or "").strip()
    try:
        if code:
            from cases.models import Problem

            problem = Problem.objects.visible_to(request.user, Cap.VIEW_RECORDS).filter(code=code).first()
            if problem is None:
                raise ValidationError(
                    {"problem": _("问题清单中没有编号为“%(c)s”的问题（或不在您的管辖范围内）。") % {"c": code}}
                )
        services.issue_resolve(
            actor=request.user, issue=issue, resolution=data.get("resolution") or "", problem=problem
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已办结企业反映的问题。"))
    return redirect("service:visits")


# --- station days --------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=StationDay)
def station_day_list(request):
    form = StationDayForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.station_day_log(
                    actor=request.user,
                    leader=data["leader"],
                    station=data["station"],
                    day=data["day"],
                    officer_opinions=data["officer_opinions"],
                    public_opinions=data["public_opinions"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记驻点办公。"))
                return redirect("service:station-days")
        status = 400
    today = timezone.localdate()
    return render(
        request,
        "service/station_days.html",
        {
            "page": _page(request, selectors.station_days(request.user)),
            "progress": selectors.month_progress(request.user, today),
            "minimum": services.MIN_STATION_DAYS,
            "today": today,
            "form": form,
            "can_edit": _can_edit(request.user),
        },
        status=status,
    )


@signed_in
def station_days_go(request):
    """Where the station-day reminder links (one link for all its recipients): a leader to its
    own page, staff to the station-day register."""
    if has_cap(request.user, Cap.LOG_OWN_SERVICE) and not has_cap(request.user, Cap.VIEW_RECORDS):
        return redirect("service:mine")
    return redirect("service:station-days")


@needs(Cap.LOG_OWN_SERVICE)
def my_service(request):
    """A leadership member's own page: its assignments, this month's station days, its recent
    days and visits, and the two forms to log its own (never another leader's; staff with
    EDIT_RECORDS log on behalf from the station-day and visit pages)."""
    user = request.user
    what = request.POST.get("what") if request.method == "POST" else None
    day_form = StationDayForm(request.POST if what == "day" else None, user=user, own=True)
    visit_form = VisitForm(request.POST if what == "visit" else None, user=user, own=True)
    status = 200
    if what in ("day", "visit"):
        form = day_form if what == "day" else visit_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if what == "day":
                    services.station_day_log(
                        actor=user,
                        leader=user,
                        station=data["station"],
                        day=data["day"],
                        officer_opinions=data["officer_opinions"],
                        public_opinions=data["public_opinions"],
                    )
                else:
                    services.visit_log(
                        actor=user,
                        leader=user,
                        enterprise=data["enterprise"],
                        visited_on=data["visited_on"],
                        form=data["form"],
                        notes=data["notes"],
                        issues=data["issues"].splitlines(),
                    )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记驻点办公。") if what == "day" else _("已登记走访。"))
                return redirect("service:mine")
        status = 400
    today = timezone.localdate()
    return render(
        request,
        "service/mine.html",
        {
            **selectors.own_service(user, today),
            "day_form": day_form,
            "visit_form": visit_form,
            "minimum": services.MIN_STATION_DAYS,
            "today": today,
        },
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=StationMonth)
def month_list(request):
    queryset, filters = selectors.station_months(request.user, request.GET)
    return render(request, "service/months.html", {"page": _page(request, queryset), "filters": filters})


# --- the light registers -------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=ServiceRecord)
def record_list(request):
    form = RecordForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            photos = data.pop("photos")
            kind, title, region, unit = data.pop("kind"), data.pop("title"), data.pop("region"), data.pop("unit")
            try:
                record = services.record_add(
                    actor=request.user, kind=kind, title=title, region=region, unit=unit, photos=photos, **data
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记“%(t)s”。") % {"t": record.title})
                return redirect("service:record", pk=record.pk)
        status = 400
    queryset, filters = selectors.records(request.user, request.GET)
    return render(
        request,
        "service/records.html",
        {
            "page": _page(request, queryset),
            "filters": filters,
            "kinds": ServiceRecord.Kind.choices,
            "form": form,
            "can_edit": _can_edit(request.user),
        },
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=ServiceRecord)
def record_detail(request, pk):
    record = get_visible_or_404(
        ServiceRecord.objects.select_related("region", "unit").prefetch_related("photos"), request.user, pk=pk
    )
    return render(request, "service/record.html", {"record": record})


@needs(Cap.VIEW_RECORDS, model=RecordPhoto)
def photo_download(request, pk):
    photo = get_visible_or_404(RecordPhoto, request.user, pk=pk)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, filename=photo.original_name, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@needs(Cap.VIEW_RECORDS)
def coverage(request):
    """The province overview: per city (or per county for a city reader), the register's counts
    computed from the same lists they link to."""
    from service.figures import coverage_rows

    rows = coverage_rows(request.user)
    return render(request, "service/coverage.html", {"rows": rows, "kinds": ServiceRecord.Kind})


# --- joint meetings and consultations (§12) ------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Meeting)
def meeting_list(request):
    form = MeetingForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                meeting = services.meeting_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记会议，请添加议定事项。"))
                return redirect("service:meeting", pk=meeting.pk)
        status = 400
    queryset = (
        Meeting.objects.visible_to(request.user, Cap.VIEW_RECORDS)
        .select_related("region")
        .annotate(
            n_open=Count("decisions", filter=Q(decisions__status=Decision.Status.OPEN)),
            n_all=Count("decisions"),
        )
        .order_by("-held_on", "-id")
    )
    return render(
        request,
        "service/meetings.html",
        {"page": _page(request, queryset), "form": form, "can_edit": _can_edit(request.user)},
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=Meeting)
def meeting_detail(request, pk):
    meeting = get_visible_or_404(Meeting.objects.select_related("region"), request.user, pk=pk)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not _can_edit(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.decision_add(actor=request.user, meeting=meeting, **data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已添加议定事项。"))
                return redirect("service:meeting", pk=meeting.pk)
        status = 400
    return render(
        request,
        "service/meeting.html",
        {
            "meeting": meeting,
            "decisions": meeting.decisions.all(),
            "today": timezone.localdate(),
            "form": form,
            "done_form": DecisionDoneForm(),
            "can_edit": _can_edit(request.user),
        },
        status=status,
    )


@needs(Cap.EDIT_RECORDS, model=Decision)
def decision_done(request, pk):
    decision = get_visible_or_404(Decision.objects.select_related("meeting"), request.user, Cap.EDIT_RECORDS, pk=pk)
    if refused := _post_only(request):
        return refused
    try:
        services.decision_done(actor=request.user, decision=decision, note=request.POST.get("note") or "")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已登记落实情况。"))
    return redirect("service:meeting", pk=decision.meeting_id)


# --- the public site (no login, no personal data) ------------------------------------------------


@public
def public_home(request):
    return render(request, "service/public_home.html", {})


@public
@never_cache
def public_contacts(request):
    """One enterprise's assigned leaders and their published phones, found by its exact name or
    credit code: no listing, no partial match, throttled per address."""
    form = ContactLookupForm(request.GET or None)
    context = {"form": form, "searched": False}
    if request.GET.get("q") is None:
        return render(request, "service/public_contacts.html", context)
    if not throttle.allow("public-contacts", client_ip(request)):
        response = render(request, "service/public_contacts.html", {**context, "throttled": True}, status=429)
        response["Retry-After"] = str(throttle.retry_after("public-contacts"))
        return response
    if not form.is_valid():
        return render(request, "service/public_contacts.html", context, status=400)
    enterprise, leaders = selectors.public_contacts(form.cleaned_data["q"])
    context.update({"searched": True, "enterprise": enterprise, "leaders": leaders})
    return render(request, "service/public_contacts.html", context)
