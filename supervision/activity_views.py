"""Pages of enforcement supervision (执法监督, §7): the pool, activities with their targets
(ranked by ``units_with_most_problems``), the commit-then-reveal draws, the team, and the
inspector's phone page to record a visit, findings with photos and raise a problem.

Views parse, call ``supervision.activities`` and render; every read goes through
``visible_to`` / ``get_visible_or_404``, so an embargoed activity answers exactly like a
missing one."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.forms import add_service_error
from portal.accounts.access import needs
from portal.accounts.capabilities import Cap
from portal.accounts.models import User
from portal.accounts.scoping import get_visible_or_404
from portal.regions.models import Unit
from supervision import activities as svc
from supervision.activity_forms import (
    ActivityForm,
    AvoidanceForm,
    DrawCommitForm,
    DrawRevealForm,
    FindingForm,
    InspectorForm,
    PublishForm,
    RaiseForm,
    StatusForm,
)
from supervision.models import Activity, ActivityTarget, Draw, Finding, InspectionRecord, Inspector

ANSWERS = (("ok", gettext_lazy("符合")), ("problem", gettext_lazy("有问题")), ("na", gettext_lazy("不适用")))


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- the pool ----------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Inspector)
def pool(request):
    user = request.user
    form = InspectorForm(request.POST or None, user=user)
    if request.method == "POST":
        if not svc.can_organise(user):
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            account = None
            if data["username"]:
                account = User.objects.filter(username=data["username"], is_active=True).first()
                if account is None:
                    form.add_error(
                        "username", _("没有这个门户账号，请核对或留空（无账号人员由检查组有账号的成员代为登记）。")
                    )
            if not form.errors:
                try:
                    inspector = svc.inspector_add(
                        actor=user,
                        name=data["name"],
                        home_region=data["home_region"],
                        home_unit=data["home_unit"],
                        domains=data["domains"],
                        user=account,
                    )
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    added = {"code": inspector.code, "name": inspector.name}
                    messages.success(request, _("已加入人员库：%(code)s %(name)s。") % added)
                    return redirect("supervision:pool")
    inspectors = (
        Inspector.objects.visible_to(user)
        .select_related("pool_region", "home_region", "home_unit")
        .prefetch_related("domains", "statuses")
    )
    today = timezone.localdate()
    rows = [(i, _status_on(i, today)) for i in inspectors]
    return render(
        request,
        "supervision/activities/pool.html",
        {"rows": rows, "form": form, "can_organise": svc.can_organise(user)},
    )


def _status_on(inspector, day):
    current = None
    for entry in inspector.statuses.all():
        covers = entry.starts_on <= day and (entry.ends_on is None or entry.ends_on >= day)
        if covers and (current is None or entry.starts_on >= current.starts_on):
            current = entry
    return current


@needs(Cap.VIEW_RECORDS, model=Inspector)
def inspector_detail(request, pk):
    user = request.user
    inspector = get_visible_or_404(
        Inspector.objects.select_related("pool_region", "home_region", "home_unit", "user"), user, pk=pk
    )
    status_form = StatusForm(request.POST if request.POST.get("form") == "status" else None)
    avoid_form = AvoidanceForm(request.POST if request.POST.get("form") == "avoid" else None)
    if request.method == "POST":
        form = status_form if request.POST.get("form") == "status" else avoid_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is status_form:
                    svc.inspector_status_set(actor=user, inspector=inspector, **data)
                else:
                    svc.avoidance_add(actor=user, inspector=inspector, **data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("supervision:inspector", pk=inspector.pk)
    return render(
        request,
        "supervision/activities/inspector.html",
        {
            "inspector": inspector,
            "statuses": inspector.statuses.order_by("-starts_on", "-id"),
            "avoidances": inspector.avoidances.select_related("unit", "region"),
            "status_form": status_form,
            "avoid_form": avoid_form,
            "can_edit": svc.can_organise(user),
        },
    )


# --- activities -------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Activity)
def activity_list(request):
    activities = (
        svc.activities_filtered(request.user, request.GET)
        .select_related("region", "domain")
        .annotate(
            n_targets=Count("targets", distinct=True),
            n_visited=Count("targets", filter=Q(targets__visited=True), distinct=True),
            n_findings=Count("findings", distinct=True),
        )
        .order_by("-starts_on", "-id")  # the filters' queryset may come back unordered
    )
    page = Paginator(activities, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/activities/list.html",
        {"page": page, "can_organise": svc.can_organise(request.user)},
    )


@needs(Cap.VERIFY)  # province and city staff organise activities
def activity_new(request):
    if not svc.can_organise(request.user):
        raise Http404
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activity = svc.activity_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("活动 %(code)s 已创建，请确定检查对象。") % {"code": activity.code})
            return redirect("supervision:activity", pk=activity.pk)
    return render(request, "supervision/activities/new.html", {"form": form})


def _detail_context(request, activity):
    user = request.user
    organiser = svc.can_organise(user) and user.region_id == activity.region_id
    targets = list(
        activity.targets.select_related("unit", "region").prefetch_related(
            Prefetch("record", queryset=InspectionRecord.objects.all())
        )
    )
    draws = list(activity.draws.order_by("kind", "seq"))
    team_drawn = any(d.kind == Draw.Kind.TEAM for d in draws)
    proposals = svc.ranked_targets(user, activity) if organiser and not team_drawn else []
    eligibility = svc.eligibility(activity) if organiser and not team_drawn and targets else None
    pending = [d for d in draws if d.revealed_at is None]
    return {
        "activity": activity,
        "organiser": organiser,
        "targets": targets,
        "draws": draws,
        "pending": pending,
        "team": activity.team.select_related("inspector__home_region").order_by("id"),
        "findings": activity.findings.select_related("record__target__unit", "problem").order_by("id"),
        "proposals": proposals,
        "eligibility": eligibility,
        "exclusions": [(svc.EXCLUSIONS[k], n) for k, n in (eligibility.excluded.items() if eligibility else []) if n],
        "team_redraws": svc.redraw_count(activity),
        "today": timezone.localdate(),
        "commit_form": DrawCommitForm(initial={"kind": Draw.Kind.TEAM, "size": activity.team_size}),
        "target_draw_form": DrawCommitForm(initial={"kind": Draw.Kind.TARGETS, "size": 1}),
        "reveal_form": DrawRevealForm(),
        "publish_form": PublishForm(),
    }


@needs(Cap.VIEW_RECORDS, model=Activity)
def activity_detail(request, pk):
    activity = svc.activity_for(request.user, pk)
    return render(request, "supervision/activities/detail.html", _detail_context(request, activity))


def _organiser_action(view):
    """POST actions of the organiser on an activity: 404 out of scope, 405 on GET, the detail page
    again with the error on bad input."""

    def wrapper(request, pk):
        activity = svc.activity_for(request.user, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            result = view(request, activity)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("supervision:activity", pk=activity.pk)
        return result or redirect("supervision:activity", pk=activity.pk)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return needs(Cap.EDIT_RECORDS, model=Activity)(wrapper)


@_organiser_action
def target_add(request, activity):
    unit = Unit.objects.filter(pk=request.POST.get("unit") or 0).first()
    if unit is None:
        raise ValidationError(_("请选择检查对象。"))
    source = request.POST.get("source", ActivityTarget.Source.MANUAL)
    figures = {}
    if source == ActivityTarget.Source.RANKED:
        row = next((r for r in svc.ranked_targets(request.user, activity, limit=None) if r["unit_id"] == unit.pk), None)
        figures = {k: row[k] for k in ("open", "complaints", "overdue", "score")} if row else {}
    else:
        source = ActivityTarget.Source.MANUAL
    svc.target_add(actor=request.user, activity=activity, unit=unit, source=source, figures=figures)
    messages.success(request, _("已加入检查对象：%(unit)s。") % {"unit": unit.name})


@_organiser_action
def draw_commit(request, activity):
    form = DrawCommitForm(request.POST)
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    draw = svc.draw_commit(actor=request.user, activity=activity, **form.cleaned_data)
    messages.success(
        request,
        _("候选名单已固定（%(n)s 人/个，哈希 %(hash)s…），请在 %(day)s 开奖后录入号码揭晓。")
        % {"n": len(draw.candidates), "hash": draw.candidates_hash[:12], "day": draw.value_date},
    )


@_organiser_action
def draw_reveal(request, activity):
    form = DrawRevealForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请填写开奖号码。"))
    draw = get_visible_or_404(Draw.objects.filter(activity=activity), request.user, pk=form.cleaned_data["draw"])
    draw = svc.draw_reveal(actor=request.user, draw=draw, value_raw=form.cleaned_data["value"])
    messages.success(request, _("抽取结果已揭晓：%(result)s。") % {"result": "、".join(map(str, draw.result))})


@_organiser_action
def activity_publish(request, activity):
    form = PublishForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请填写要公开的检查结果。"))
    svc.activity_publish(actor=request.user, activity=activity, result=form.cleaned_data["result"])
    messages.success(request, _("检查结果已公开。"))


# --- on site (phone) ------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=ActivityTarget)
def visit(request, pk):
    """One target on a phone: the checklist, who was there, notes; findings with photos; each
    finding one click from a problem."""
    user = request.user
    target = get_visible_or_404(
        ActivityTarget.objects.select_related("activity__region", "activity__domain", "unit", "region"), user, pk=pk
    )
    activity = target.activity
    record = InspectionRecord.objects.filter(target=target).select_related("checklist").first()
    error = None
    checklist = record.checklist if record else None
    if checklist is None:
        try:
            checklist = svc.checklist_for(activity.method)
        except ValidationError as exc:
            error = _errors(exc)
    if request.method == "POST" and request.POST.get("form") == "record":
        answers = {str(i): request.POST.get(f"item_{i}", "") for i in range(len(checklist.items if checklist else []))}
        visited_on = request.POST.get("visited_on") or None
        try:
            day = dt.date.fromisoformat(visited_on) if visited_on else None
        except ValueError:
            day, error = None, _("检查日期格式不对，请用日期选择器选择。")
        if error is None:
            try:
                svc.record_visit(
                    actor=user,
                    target_id=target.pk,
                    answers=answers,
                    member_ids=[m for m in request.POST.getlist("members") if m.isdigit()],
                    notes=request.POST.get("notes", ""),
                    visited_on=day,
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                error = _errors(exc)
            else:
                messages.success(request, _("现场检查记录已保存。"))
                return redirect("supervision:visit", pk=target.pk)
    finding_form = FindingForm(items=checklist.items if checklist else ())
    if request.method == "POST" and request.POST.get("form") == "finding":
        finding_form = FindingForm(request.POST, request.FILES, items=checklist.items if checklist else ())
        if finding_form.is_valid():
            data = finding_form.cleaned_data
            try:
                svc.finding_add(
                    actor=user,
                    activity_id=activity.pk,
                    target_id=target.pk,
                    text=data["text"],
                    item=data["item"],
                    photos=data["photos"],
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                add_service_error(finding_form, exc)
            else:
                messages.success(request, _("检查发现已登记。"))
                return redirect("supervision:visit", pk=target.pk)
    members_present = set(record.members.values_list("pk", flat=True)) if record else set()
    items = []
    for i, text in enumerate(checklist.items if checklist else []):
        answer = (record.answers.get(str(i)) if record else None) or request.POST.get(f"item_{i}", "")
        items.append({"index": i, "text": text, "answer": answer})
    return render(
        request,
        "supervision/activities/visit.html",
        {
            "target": target,
            "activity": activity,
            "record": record,
            "checklist": checklist,
            "items": items,
            "answers": ANSWERS,
            "team": activity.team.select_related("inspector").order_by("id"),
            "members_present": members_present,
            "findings": Finding.objects.filter(record__target=target)
            .select_related("problem")
            .prefetch_related("photos")
            .order_by("id"),
            "finding_form": finding_form,
            "raise_form": RaiseForm(initial={"domain": activity.domain_id}),
            "can_raise": svc.can_organise(user) and user.region_id == activity.region_id,
            "error": error,
            "today": timezone.localdate(),
        },
    )


@needs(Cap.EDIT_RECORDS, model=Finding)
def finding_raise(request, pk):
    finding = get_visible_or_404(Finding.objects.select_related("record"), request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RaiseForm(request.POST)
    back = reverse("supervision:visit", kwargs={"pk": finding.record.target_id})
    if not form.is_valid():
        messages.error(request, _("请选择问题类别和严重程度。"))
        return redirect(back)
    try:
        problem = svc.finding_raise_problem(actor=request.user, finding_id=finding.pk, **form.cleaned_data)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(back)
    messages.success(request, _("已立为问题 %(code)s，列入问题清单。") % {"code": problem.code})
    return redirect(back)
