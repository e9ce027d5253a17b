"""Pages of the 风险预警 tab: the negative list (the landing page, with the 5×5 matrix), the lists
of the levels above (to adopt from), an item's page (measures, reviews, history), and the
incidents (three-level reporting: the strip, the list, reporting, forwarding, follow-ups).

Views parse, call a service (``supervision.risks``, ``supervision.incidents``) and render;
reads go through their selectors, so another region's item answers like a missing one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.forms import add_service_error
from cases.models import Problem
from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from supervision import incidents as inc
from supervision import risks
from supervision.models import Incident, RiskItem, RiskMeasure
from supervision.risk_forms import (
    IncidentForm,
    IncidentReportForm,
    MeasureDoneForm,
    MeasureForm,
    RetireForm,
    ReviewForm,
    RiskItemForm,
)

PAGE_SIZE = 50


def _error_text(exc: ValidationError | ConflictError) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    return str(exc)


# --- negative lists ------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=RiskItem)
def risk_list(request):
    """The landing page of 风险预警: the reader's negative lists (own level and below)."""
    user = request.user
    status = request.GET.get("status") or RiskItem.Status.ACTIVE
    if status not in RiskItem.Status.values:
        status = RiskItem.Status.ACTIVE
    items = risks.risk_items_visible_to(user, status=status)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = (
        RiskItem.objects.visible_to(user)
        .filter(status=RiskItem.Status.ACTIVE)
        .values("likelihood", "impact")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cells = risks.matrix_cells(_expand(counts))
    return render(
        request,
        "supervision/risks/list.html",
        {
            "tab": "lists",
            "page": page,
            "status": status,
            "statuses": RiskItem.Status.choices,
            "cells": cells,
            "bands": RiskItem.Band.choices,
            "can_edit": has_cap(user, Cap.EDIT_RECORDS),
            "has_above": bool(user.region_id) and user.region_id != "410000",
        },
    )


class _Cell:
    def __init__(self, likelihood, impact):
        self.likelihood, self.impact = likelihood, impact


def _expand(counts):
    for row in counts:
        for _n in range(row["n"]):
            yield _Cell(row["likelihood"], row["impact"])


@needs(Cap.VIEW_RECORDS)
def risk_above(request):
    """The published lists of the levels above the reader's (a city reads the province's),
    with an adopt button; not a scoped model's page: these lists are published downward."""
    user = request.user
    if request.method == "POST":
        if not has_cap(user, Cap.EDIT_RECORDS):
            raise Http404
        source = risks.risk_lists_above(user).filter(pk=_int(request.POST.get("source"))).first()
        if source is None:
            messages.error(request, _("没有找到该上级清单事项，可能已退出清单。"))
            return redirect("supervision:risks-above")
        try:
            adopted = risks.risk_item_adopt(actor=user, source=source)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("supervision:risks-above")
        messages.success(request, _("已采用到本级清单：%(code)s。") % {"code": adopted.code})
        return redirect("supervision:risk-item", pk=adopted.pk)
    return render(
        request,
        "supervision/risks/above.html",
        {"tab": "lists", "items": list(risks.risk_lists_above(user)), "can_edit": has_cap(user, Cap.EDIT_RECORDS)},
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@needs(Cap.EDIT_RECORDS)
def risk_new(request):
    user = request.user
    form = RiskItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        measures = form.measures()
        if not form.errors:
            data = form.cleaned_data
            try:
                item = risks.risk_item_create(
                    actor=user,
                    region=user.region,
                    code=data["code"],
                    title=data["title"],
                    domain=data["domain"],
                    description=data["description"],
                    likelihood=data["likelihood"],
                    impact=data["impact"],
                    review_every_months=data["review_every_months"],
                    measures=measures,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已登记到本级负面清单：%(code)s。") % {"code": item.code})
                return redirect("supervision:risk-item", pk=item.pk)
    return render(request, "supervision/risks/new.html", {"tab": "lists", "form": form})


@needs(Cap.VIEW_RECORDS, model=RiskItem)
def risk_item(request, pk: int):
    user = request.user
    item = risks.risk_item_get(user, pk)
    can_edit = has_cap(user, Cap.EDIT_RECORDS) and item.region_id == user.region_id
    forms = {"review": ReviewForm(), "measure": MeasureForm(), "done": MeasureDoneForm(), "retire": RetireForm()}
    if request.method == "POST":
        if not can_edit:
            raise Http404
        action = request.POST.get("action")
        if action not in forms:
            messages.error(request, _("未知的操作。"))
            return redirect("supervision:risk-item", pk=item.pk)
        form = forms[action] = type(forms[action])(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "review":
                    risks.risk_item_review(
                        actor=user, item=item, likelihood=data["likelihood"], impact=data["impact"], note=data["note"]
                    )
                    done = _("已记录复核，下次复核日期已顺延一个周期。")
                elif action == "measure":
                    owner_user = None
                    if data["owner_username"]:
                        from portal.accounts.models import User

                        owner_user = User.objects.filter(username=data["owner_username"], is_active=True).first()
                        if owner_user is None:
                            raise ValidationError({"owner_username": _("没有这个门户账号，请核对用户名。")})
                    risks.risk_measure_add(
                        actor=user,
                        item=item,
                        text=data["text"],
                        owner_kind=data["owner_kind"],
                        owner_user=owner_user,
                        due_on=data["due_on"],
                    )
                    done = _("已添加防范措施。")
                elif action == "done":
                    risks.risk_measure_done(
                        actor=user, item=item, measure_id=data["measure_id"], done_on=data["done_on"]
                    )
                    done = _("已记录该措施完成。")
                else:
                    risks.risk_item_retire(actor=user, item=item, reason=data["reason"])
                    done = _("该事项已退出清单，记录保留。")
            except (ValidationError, ConflictError) as exc:
                if isinstance(exc, ValidationError):
                    add_service_error(form, exc)
                else:
                    form.add_error(None, str(exc))
            else:
                messages.success(request, done)
                return redirect("supervision:risk-item", pk=item.pk)
    history = AuditEvent.objects.filter(object_type="supervision.riskitem", object_id=str(item.pk)).order_by("-pk")[:50]
    return render(
        request,
        "supervision/risks/item.html",
        {
            "tab": "lists",
            "item": item,
            "measures": list(RiskMeasure.objects.filter(item=item).select_related("owner_user")),
            "reviews": list(item.reviews.select_related("reviewer")),
            "history": list(history),
            "cells": risks.matrix_cells([item]),
            "can_edit": can_edit and item.status == RiskItem.Status.ACTIVE,
            "forms": forms,
        },
    )


# --- incidents ------------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Incident)
def incident_list(request):
    user = request.user
    incidents, filters = inc.incidents_filtered(user, request.GET)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    return render(
        request,
        "supervision/risks/incidents.html",
        {
            "tab": "incidents",
            "page": page,
            "status": filters["status"],
            "filters": filters,
            "query": query,
            "statuses": Incident.Status.choices,
            "strip": inc.incident_strip(user) if has_cap(user, Cap.VIEW_DASHBOARD) else None,
            "can_report": has_cap(user, Cap.EDIT_RECORDS) and user.region_id and user.region.level in inc.COUNTY_LEVELS,
        },
    )


@needs(Cap.EDIT_RECORDS)
def incident_new(request):
    user = request.user
    form = IncidentForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = None
        if data["problem_code"]:
            problem = Problem.objects.visible_to(user).filter(code=data["problem_code"].strip()).first()
            if problem is None:
                form.add_error("problem_code", _("没有找到该问题编号（或不在您的管辖范围内）。"))
        if not form.errors:
            try:
                incident = inc.incident_report(
                    actor=user,
                    title=data["title"],
                    incident_class=data["incident_class"],
                    text=data["text"],
                    unit=data["unit"],
                    occurred_at=data["occurred_at"],
                    problem=problem,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已首报：%(code)s。请于 %(limit)s 分钟内报送市级。")
                    % {"code": incident.code, "limit": incident.incident_class.county_to_city_minutes},
                )
                return redirect("supervision:incident", pk=incident.pk)
    return render(request, "supervision/risks/incident_new.html", {"tab": "incidents", "form": form})


@needs(Cap.VIEW_RECORDS, model=Incident)
def incident_detail(request, pk: int):
    user = request.user
    incident = inc.incident_get(user, pk)
    can_edit = has_cap(user, Cap.EDIT_RECORDS)
    report_form = IncidentReportForm()
    if request.method == "POST":
        if not can_edit:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "forward":
                incident = inc.incident_forward(actor=user, incident=incident)
                messages.success(request, _("已报送%(level)s。") % {"level": incident.get_level_display()})
                return redirect("supervision:incident", pk=incident.pk)
            if action == "report":
                report_form = IncidentReportForm(request.POST)
                if report_form.is_valid():
                    inc.incident_add_report(
                        actor=user,
                        incident=incident,
                        kind=report_form.cleaned_data["kind"],
                        text=report_form.cleaned_data["text"],
                    )
                    messages.success(request, _("报告已报送。"))
                    return redirect("supervision:incident", pk=incident.pk)
        except (ValidationError, ConflictError) as exc:
            messages.error(request, _error_text(exc))
            return redirect("supervision:incident", pk=incident.pk)
    city_code = incident.region.parent_id
    may_forward = can_edit and incident.status == Incident.Status.OPEN
    forward_to = None
    if may_forward and incident.forwarded_to_city_at is None and user.region_id == incident.region_id:
        forward_to = _("报送市级")
    elif may_forward and incident.forwarded_to_city_at and not incident.forwarded_to_province_at:
        forward_to = _("报送省级") if user.region_id == city_code else None
    return render(
        request,
        "supervision/risks/incident.html",
        {
            "tab": "incidents",
            "incident": incident,
            "reports": list(incident.reports.select_related("author", "author_region")),
            "forward_to": forward_to,
            "report_form": report_form if can_edit and incident.status == Incident.Status.OPEN else None,
        },
    )
