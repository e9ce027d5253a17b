"""Pages of the complaint loop: the unit's inbox with its time-limit lights, the list with filters
and the Excel export, the detail page with the timeline and the workflow's forms, the hotline
operator's entry form, statistics, volunteer supervisors and the routing rules; and the public's
two pages, the complaint form and tracking by number. Views hold no rules: services do."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from complaints import selectors, services, throttle
from complaints.forms import (
    ExtensionDecisionForm,
    ExtensionForm,
    MergeForm,
    MoveForm,
    OperatorComplaintForm,
    PublicComplaintForm,
    RaiseProblemForm,
    RoutingRuleForm,
    TrackForm,
    VolunteerForm,
)
from complaints.models import Area, Channel, Complaint, Kind, RoutingRule, VolunteerSupervisor
from complaints.transitions import MOVES
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.context import client_ip
from portal.audit.services import audit_record
from portal.core.api import ConflictError
from portal.core.exports import safe_cell
from portal.core.masking import mask_name, mask_phone, mask_plate
from portal.core.replica import replica_reads

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


def _errors_into(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form's fields (or on top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _list_context(request, page, filters):
    return {
        "page": page,
        "filters": filters,
        "today": timezone.localdate(),
        "statuses": Complaint.Status.choices,
        "kinds": Kind.choices,
        "areas": Area.choices,
        "channels": Channel.choices,
        "lights": [("red", _("红灯")), ("yellow", _("黄灯")), ("green", _("绿灯"))],
        "can_export": has_cap(request.user, Cap.EXPORT_RECORDS),
        "can_edit": has_cap(request.user, Cap.EDIT_RECORDS),
    }


# --- inbox, list, export ---------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Complaint)
def index(request):
    """The unit's inbox: open complaints of the user's subtree, reddest first. Two queries for
    the page whatever the volume (the count and the page's rows, related rows joined)."""
    inbox = selectors.inbox_for(request.user)
    page = Paginator(inbox, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/inbox.html", {**_list_context(request, page, {}), "inbox": True})


@needs(Cap.VIEW_RECORDS, model=Complaint)
def complaint_list(request):
    complaints, filters = selectors.complaint_search(request.user, request.GET)
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/list.html", _list_context(request, page, filters))


@needs(Cap.EXPORT_RECORDS)
@replica_reads()
def complaint_export(request):
    """The list's filters as an .xlsx workbook, personal data masked, formulas neutralised."""
    from openpyxl import Workbook

    complaints, filters = selectors.complaint_search(request.user, request.GET, cap=Cap.EXPORT_RECORDS)
    audit_record(
        actor=request.user, action="complaint.export", object_type="complaints.complaint", changes={"filters": filters}
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("投诉举报"))
    header = [
        _("受理编号"),
        _("登记时间"),
        _("渠道"),
        _("类别"),
        _("业务领域"),
        _("问题类别"),
        _("标题"),
        _("投诉人"),
        _("联系电话"),
        _("车牌号"),
        _("所属区划"),
        _("承办单位"),
        _("提级办理"),
        _("状态"),
        _("受理期限"),
        _("办理期限"),
        _("时限"),
        _("满意度"),
        _("办结时间"),
    ]
    sheet.append(header)
    labels = {
        "channel": dict(Channel.choices),
        "kind": dict(Kind.choices),
        "area": dict(Area.choices),
        "status": dict(Complaint.Status.choices),
    }
    light_labels = {k: str(v) for k, v in selectors.LIGHT_LABELS.items()}
    columns = (
        "tracking_number",
        "received_at",
        "channel",
        "kind",
        "area",
        "category__name",
        "subject",
        "complainant_name",
        "phone",
        "plate",
        "region__name",
        "handling_unit__name",
        "escalated",
        "status",
        "accept_deadline",
        "deadline",
        "light",
        "satisfaction",
        "closed_at",
    )
    tz = timezone.get_current_timezone()
    for row in complaints.values_list(*columns)[:EXPORT_LIMIT].iterator(chunk_size=2000):
        values = dict(zip(columns, row, strict=True))
        sheet.append(
            [
                safe_cell(values["tracking_number"]),
                values["received_at"].astimezone(tz).replace(tzinfo=None),
                str(labels["channel"].get(values["channel"], values["channel"])),
                str(labels["kind"].get(values["kind"], values["kind"])),
                str(labels["area"].get(values["area"], values["area"])),
                safe_cell(values["category__name"] or ""),
                safe_cell(values["subject"]),
                mask_name(values["complainant_name"]),
                mask_phone(values["phone"]),
                mask_plate(values["plate"]),
                values["region__name"],
                safe_cell(values["handling_unit__name"]),
                _("是") if values["escalated"] else "",
                str(labels["status"].get(values["status"], values["status"])),
                values["accept_deadline"],
                values["deadline"],
                light_labels.get(values["light"], ""),
                values["satisfaction"],
                values["closed_at"].astimezone(tz).replace(tzinfo=None) if values["closed_at"] else None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="complaints-{stamp}.xlsx"'
    return response


# --- detail and the workflow -----------------------------------------------------------------------


def _complaint(request, pk) -> Complaint:
    return get_visible_or_404(
        selectors.with_lights(
            Complaint.objects.select_related(
                "handling_unit", "handling_region", "region", "unit", "category", "volunteer", "duplicate_of"
            )
        ),
        request.user,
        Cap.VIEW_RECORDS,
        pk=pk,
    )


def _move_forms(request, complaint, *, bound: MoveForm | None = None):
    forms = []
    for move in services.allowed_moves(request.user, complaint):
        if bound is not None and bound.data.get("move") == move.name:
            form = bound
        else:
            form = MoveForm(user=request.user, initial={"move": move.name, "expected_version": complaint.version})
        forms.append((move, form))
    return forms


def _detail_context(request, complaint, **extra):
    pending_extension = selectors.pending_extension(complaint)
    may_edit = has_cap(request.user, Cap.EDIT_RECORDS)
    above = services.is_level_above(request.user, complaint) and has_cap(request.user, Cap.VERIFY)
    return {
        "complaint": complaint,
        "callback_due": selectors.callback_due(complaint),
        "timeline": selectors.complaint_timeline(complaint),
        "move_forms": _move_forms(request, complaint, bound=extra.pop("bound", None)),
        "problems": list(selectors.problems_for(complaint)),
        "merged": list(complaint.merged.only("id", "tracking_number", "subject")),
        "pending_extension": pending_extension,
        "pending_return": selectors.pending_return(complaint),
        "can_request_extension": may_edit and complaint.status == "accepted" and pending_extension is None,
        "can_decide_extension": above and pending_extension is not None,
        "can_edit": may_edit,
        "can_reveal": has_cap(request.user, Cap.REVEAL_PERSONAL_DATA),
        "extension_form": extra.pop("extension_form", None) or ExtensionForm(),
        "decision_form": extra.pop("decision_form", None) or ExtensionDecisionForm(),
        "merge_form": extra.pop("merge_form", None) or MergeForm(),
        "problem_form": extra.pop("problem_form", None)
        or RaiseProblemForm(initial={"title": complaint.subject, "category": complaint.category_id}),
        "light_labels": selectors.LIGHT_LABELS,
        **extra,
    }


@needs(Cap.VIEW_RECORDS, model=Complaint)
def detail(request, pk):
    complaint = _complaint(request, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


@needs(Cap.VIEW_RECORDS, model=Complaint)
@require_http_methods(["GET", "POST"])
def act(request, pk):
    """GET: the moves the user may make now, as forms. POST: make one (compare-and-swap)."""
    complaint = _complaint(request, pk)
    if request.method == "GET":
        return render(request, "complaints/act.html", _detail_context(request, complaint))
    form = MoveForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["move"] in ("callback", "callback_unsatisfied"):
                services.complaint_callback(
                    actor=request.user,
                    complaint_id=complaint.pk,
                    satisfaction=data["satisfaction"],
                    note=data["reason"],
                    expected_version=data["expected_version"],
                )
            else:
                services.complaint_transition(
                    actor=request.user,
                    complaint_id=complaint.pk,
                    move=data["move"],
                    expected_version=data["expected_version"],
                    reason=data["reason"],
                    unit=data["unit"],
                    satisfaction=data["satisfaction"],
                    reply_method=data["reply_method"],
                )
        except ValidationError as exc:
            _errors_into(form, exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return redirect("complaints:detail", pk=complaint.pk)
        else:
            messages.success(request, _("已%(label)s。") % {"label": MOVES[data["move"]].label})
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/act.html", _detail_context(request, complaint, bound=form), status=400)


@needs(Cap.VIEW_RECORDS, model=Complaint)
@require_http_methods(["GET", "POST"])
def extension(request, pk):
    """GET: extension requests. POST: request one, or (the level above) decide the pending one."""
    complaint = _complaint(request, pk)
    if request.method == "GET":
        return render(request, "complaints/act.html", _detail_context(request, complaint, show="extension"))
    extra = {}
    try:
        if "approve" in request.POST:
            form = ExtensionDecisionForm(request.POST)
            extra["decision_form"] = form
            if form.is_valid():
                services.extension_decide(
                    actor=request.user,
                    complaint_id=complaint.pk,
                    approve=form.cleaned_data["approve"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("已审批延期申请。"))
                return redirect("complaints:detail", pk=complaint.pk)
        else:
            form = ExtensionForm(request.POST)
            extra["extension_form"] = form
            if form.is_valid():
                services.extension_request(
                    actor=request.user, complaint_id=complaint.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("已提交延期申请，待上一级审批。"))
                return redirect("complaints:detail", pk=complaint.pk)
    except ValidationError as exc:
        _errors_into(form, exc)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("complaints:detail", pk=complaint.pk)
    return render(
        request, "complaints/act.html", _detail_context(request, complaint, show="extension", **extra), status=400
    )


@needs(Cap.VIEW_RECORDS, model=Complaint)
@require_http_methods(["GET", "POST"])
def merge(request, pk):
    """GET: likely duplicates of this complaint. POST: merge it into another (both are kept)."""
    complaint = _complaint(request, pk)
    if request.method == "GET":
        suggestions = selectors.duplicate_suggestions(request.user, complaint=complaint)
        if request.htmx:
            return render(request, "complaints/_duplicates.html", {"suggestions": suggestions, "complaint": complaint})
        return render(
            request, "complaints/act.html", _detail_context(request, complaint, show="merge", suggestions=suggestions)
        )
    form = MergeForm(request.POST)
    if form.is_valid():
        into = (
            Complaint.objects.visible_to(request.user)
            .filter(tracking_number=form.cleaned_data["into"].strip().upper())
            .first()
        )
        if into is None:
            form.add_error("into", _("没有找到该受理编号的投诉。"))
        else:
            try:
                services.complaint_merge(
                    actor=request.user, complaint_id=complaint.pk, into_id=into.pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            except ConflictError as exc:
                messages.error(request, str(exc))
                return redirect("complaints:detail", pk=complaint.pk)
            else:
                messages.success(request, _("已并入 %(n)s。") % {"n": into.tracking_number})
                return redirect("complaints:detail", pk=complaint.pk)
    return render(
        request, "complaints/act.html", _detail_context(request, complaint, show="merge", merge_form=form), status=400
    )


@needs(Cap.VIEW_RECORDS, model=Complaint)
@require_http_methods(["GET", "POST"])
def raise_problem(request, pk):
    """GET: problems raised from this complaint. POST: raise one on the problem list."""
    complaint = _complaint(request, pk)
    if request.method == "GET":
        return render(request, "complaints/act.html", _detail_context(request, complaint, show="problem"))
    form = RaiseProblemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        others = list(
            Complaint.objects.visible_to(request.user)
            .filter(tracking_number__in=data["also"])
            .values_list("pk", flat=True)
        )
        if len(others) != len(set(data["also"])):
            form.add_error("also", _("有受理编号不存在或不在您的管辖范围内。"))
        else:
            try:
                problem = services.complaint_raise_problem(
                    actor=request.user,
                    complaint_ids=[complaint.pk, *others],
                    title=data["title"],
                    category=data["category"],
                    severity=data["severity"],
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("已列入问题清单：%(code)s。") % {"code": problem.code})
                return redirect("complaints:detail", pk=complaint.pk)
    return render(
        request,
        "complaints/act.html",
        _detail_context(request, complaint, show="problem", problem_form=form),
        status=400,
    )


# --- the operator's entry form ---------------------------------------------------------------------


@needs(Cap.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def new(request):
    """The hotline operator's form. "Save and next" returns an empty form with the tracking number
    of the one just saved in a message, so a shift of calls never leaves the keyboard."""
    form = OperatorComplaintForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint, _created = services.complaint_submit(
                actor=request.user,
                channel=data["channel"],
                kind=data["kind"],
                area=data["area"],
                subject=data["subject"],
                description=data["description"],
                region=data["region"],
                category=data["category"],
                unit=data["unit"],
                complainant_name=data["complainant_name"],
                phone=data["phone"],
                id_number=data["id_number"],
                plate=data["plate"],
                location=data["location"],
                incident_on=data["incident_on"],
                volunteer=data["volunteer"],
                source_name=data["source_name"],
                source_url=data["source_url"],
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(
                request,
                _("已登记 %(n)s，转 %(unit)s%(escalated)s办理。")
                % {
                    "n": complaint.tracking_number,
                    "unit": complaint.handling_unit.name,
                    "escalated": _("（提级）") if complaint.escalated else "",
                },
            )
            if "next" in request.POST:
                return redirect("complaints:new")
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/new.html", {"form": form}, status=400 if form.is_bound else 200)


@needs(Cap.EDIT_RECORDS)
def new_duplicates(request):
    """The operator form's live suggestions (htmx): likely duplicates of what is being typed."""
    params = request.GET
    unit = params.get("unit", "")
    suggestions = selectors.duplicate_suggestions(
        request.user,
        phone=params.get("phone", "")[:32],
        plate=params.get("plate", "")[:16],
        region=params.get("region", "")[:6],
        area=params.get("area", "")[:16],
        unit_id=int(unit) if unit.isdigit() and len(unit) < 10 else None,
        text=f"{params.get('subject', '')[:200]} {params.get('description', '')[:5000]}",
    )
    return render(request, "complaints/_duplicates.html", {"suggestions": suggestions})


# --- statistics, volunteers, routing rules ---------------------------------------------------------


@needs(Cap.VIEW_RECORDS)
@replica_reads()
def statistics(request):
    from django.utils.dateparse import parse_date

    date_from = parse_date(request.GET.get("date_from", "")[:10] or "") if request.GET.get("date_from") else None
    date_to = parse_date(request.GET.get("date_to", "")[:10] or "") if request.GET.get("date_to") else None
    stats = selectors.complaint_statistics(request.user, date_from=date_from, date_to=date_to)
    chart = {
        "months": [row["month"].strftime("%Y-%m") for row in stats["by_month"] if row["month"]],
        "totals": [row["total"] for row in stats["by_month"] if row["month"]],
        "overdue": [row["overdue"] for row in stats["by_month"] if row["month"]],
    }
    return render(
        request,
        "complaints/statistics.html",
        {
            "stats": stats,
            "chart": chart,
            "date_from": date_from,
            "date_to": date_to,
            "can_edit": has_cap(request.user, Cap.EDIT_RECORDS),
        },
    )


@needs(Cap.VIEW_RECORDS, model=VolunteerSupervisor)
@require_http_methods(["GET", "POST"])
def volunteers(request):
    can_edit = has_cap(request.user, Cap.EDIT_RECORDS)
    form = VolunteerForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.volunteer_register(
                    actor=request.user,
                    number=data["number"],
                    name=data["name"],
                    phone=data["phone"],
                    region=data["region"],
                    organisation=data["organisation"],
                    term_ends_on=data.get("term_ends_on"),
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("已登记义务监督员 %(n)s。") % {"n": data["number"]})
                return redirect("complaints:volunteers")
    # §8: the complaints each volunteer filed (in the reader's scope), counted in the same query
    rows = (
        VolunteerSupervisor.objects.visible_to(request.user)
        .select_related("region")
        .annotate(n_filed=Count("complaints", filter=Q(complaints__in=Complaint.objects.visible_to(request.user))))
        .order_by("number")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/volunteers.html",
        {
            "page": page,
            "form": form,
            "can_edit": can_edit,
            "can_reveal": has_cap(request.user, Cap.REVEAL_PERSONAL_DATA),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@needs(Cap.VIEW_RECORDS, model=RoutingRule)
@require_http_methods(["GET", "POST"])
def rules(request):
    can_edit = has_cap(request.user, Cap.EDIT_RECORDS)
    form = RoutingRuleForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                _save_rule(request, form)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("已保存转办规则。"))
                return redirect("complaints:rules")
    rows = RoutingRule.objects.visible_to(request.user).select_related("region", "unit").order_by("region_id", "area")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/rules.html",
        {"page": page, "form": form, "can_edit": can_edit},
        status=400 if form.is_bound and form.errors else 200,
    )


def _save_rule(request, form, rule=None):
    from portal.regions.models import Region

    data = form.cleaned_data
    region = Region.objects.filter(code=data["region"]).first()
    if region is None:
        raise ValidationError({"region": _("区划不存在。")})
    return services.routing_rule_save(
        actor=request.user,
        region=region,
        area=data["area"],
        unit=data["unit"],
        note=data["note"],
        active=data["active"],
        rule=rule,
    )


@needs(Cap.VIEW_RECORDS, model=RoutingRule)
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk):
    rule = get_visible_or_404(
        RoutingRule.objects.select_related("region", "unit"), request.user, Cap.VIEW_RECORDS, pk=pk
    )
    can_edit = has_cap(request.user, Cap.EDIT_RECORDS)
    initial = {
        "region": rule.region_id,
        "area": rule.area,
        "unit": rule.unit_id,
        "note": rule.note,
        "active": rule.active,
    }
    form = RoutingRuleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                _save_rule(request, form, rule=rule)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("已保存转办规则。"))
                return redirect("complaints:rules")
    return render(
        request,
        "complaints/rule_edit.html",
        {"rule": rule, "form": form, "can_edit": can_edit},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- the public ------------------------------------------------------------------------------------


def _too_many(request, template, context, scope):
    response = render(request, template, {**context, "throttled": True}, status=429)
    response["Retry-After"] = str(throttle.retry_after(scope))
    return response


@public
@never_cache
@require_http_methods(["GET", "POST"])
def public_new(request):
    """The public complaint form: no login; per-address throttling and a honeypot instead of a
    captcha service. A resubmitted form (same hidden token) finds the first submission."""
    if request.method == "GET":
        return render(request, "complaints/public_new.html", {"form": PublicComplaintForm()})
    if not throttle.allow("public-submit", client_ip(request)):
        return _too_many(request, "complaints/public_new.html", {"form": PublicComplaintForm()}, "public-submit")
    form = PublicComplaintForm(request.POST)
    if not form.is_valid():
        return render(request, "complaints/public_new.html", {"form": form}, status=400)
    data = form.cleaned_data
    if data["website"]:
        # A bot filled the field people never see: answer like a success, keep nothing.
        return render(request, "complaints/public_submitted.html", {"complaint": None})
    volunteer = services.volunteer_matching(number=data["volunteer_number"], phone=data["phone"])
    if data["volunteer_number"] and volunteer is None:
        form.add_error("volunteer_number", _("监督员编号与手机号不匹配。"))
        return render(request, "complaints/public_new.html", {"form": form}, status=400)
    try:
        complaint, _created = services.complaint_submit(
            actor=None,
            channel=Channel.VOLUNTEER if volunteer else Channel.WEB,
            external_id=f"web-{data['form_token']}",
            kind=data["kind"],
            area=data["area"],
            subject=data["subject"],
            description=data["description"],
            region=data["region"],
            location=data["location"],
            incident_on=data["incident_on"],
            plate=data["plate"],
            complainant_name=data["complainant_name"],
            phone=data["phone"],
            volunteer=volunteer,
        )
    except ValidationError as exc:
        _errors_into(form, exc)
        return render(request, "complaints/public_new.html", {"form": form}, status=400)
    return render(request, "complaints/public_submitted.html", {"complaint": complaint}, status=201)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def public_track(request):
    """Status by tracking number and the last four digits of the phone; never personal data."""
    if request.method == "GET":
        return render(request, "complaints/public_track.html", {"form": TrackForm()})
    if not throttle.allow("public-track", client_ip(request)):
        return _too_many(request, "complaints/public_track.html", {"form": TrackForm(request.POST)}, "public-track")
    form = TrackForm(request.POST)
    complaint = None
    valid = form.is_valid()
    if valid:
        complaint = selectors.public_status(form.cleaned_data["tracking_number"], form.cleaned_data["phone_last4"])
        if complaint is None:  # a well-formed question whose answer is "none": not an HTTP error
            form.add_error(None, _("没有找到匹配的投诉，请核对受理编号和手机号后四位。"))
    return render(
        request,
        "complaints/public_track.html",
        {"form": form, "result": complaint, "steps": _public_steps(complaint) if complaint else []},
        status=200 if valid else 400,
    )


def _public_steps(complaint: Complaint) -> list[tuple[str, object]]:
    steps = [(_("已登记"), complaint.received_at)]
    if complaint.accepted_at:
        steps.append((_("已受理"), complaint.accepted_at))
    if complaint.replied_at:
        steps.append((_("已答复"), complaint.replied_at))
    if complaint.callback_at:
        steps.append((_("已回访"), complaint.callback_at))
    if complaint.closed_at:
        steps.append((_("已办结"), complaint.closed_at))
    return steps
