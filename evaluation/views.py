"""Pages of the performance evaluation: periods, rankings with charts, an entity's breakdown,
closing and publishing (province), and the public page of published results."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import compute, imports, selectors, services
from evaluation.forms import IndicatorForm
from evaluation.models import (
    Appeal,
    Dimension,
    EntityScore,
    Indicator,
    IndicatorSystem,
    Level,
    MysteryFinding,
    Period,
)
from evaluation.transitions import MOVES
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap, has_cap
from portal.core.api import ConflictError
from portal.dashboards.links import Links
from portal.dashboards.selectors import Scope
from portal.imports.xlsx import LedgerFileError


def _may_manage(user) -> bool:
    try:
        services.require_manager(user)
    except PermissionDenied:
        return False
    return True


@needs(Cap.VIEW_DASHBOARD)
def index(request):
    items = selectors.periods()
    systems = {p.system for p in items}
    warnings = {s.year: services.weight_problems(s) for s in systems}
    return render(
        request,
        "evaluation/index.html",
        {"periods": items, "warnings": warnings, "may_manage": _may_manage(request.user)},
    )


def _period(value) -> Period | None:
    periods = Period.objects.select_related("system", "closed_by")
    if str(value or "").isdigit():
        return periods.filter(pk=int(value)).first()
    return periods.exclude(status=Period.Status.OPEN).order_by("-closed_at").first() or periods.first()


@needs(Cap.VIEW_DASHBOARD)
def ranking(request):
    """A period's ranking (``?period=<id>&level=city|county``); rows through the scoping rule."""
    period = _period(request.GET.get("period"))
    if period is None:
        raise Http404
    level = request.GET.get("level") if request.GET.get("level") in Level.values else Level.COUNTY
    rows = selectors.ranking(request.user, period, level)
    chart = {
        "names": [r.region.name for r in rows],
        "totals": [float(r.total) for r in rows],
    }
    return render(
        request,
        "evaluation/ranking.html",
        {
            "period": period,
            "rows": rows,
            "level": level,
            "levels": Level.choices,
            "chart": chart,
            "may_manage": _may_manage(request.user),
        },
    )


@needs(Cap.VIEW_DASHBOARD, model=EntityScore)
def entity(request, pk):
    score = selectors.entity_score(request.user, pk)
    links = Links(request.user, Scope(score.region, root=score.region_id == request.user.region_id))
    rows = []
    for item in score.indicator_scores.select_related("indicator").order_by("indicator__sort_order"):
        listing = item.inputs.get("list")
        url = links.to(listing["key"], **listing["params"]) if listing else ""
        rows.append({"item": item, "url": url, "count": item.inputs.get("list_count")})
    labels = dict(Dimension.choices)
    radar = {
        "indicators": [str(labels[k]) for k in Dimension.values],
        "values": [float(score.dimensions.get(k, 0)) for k in Dimension.values],
    }
    may_appeal = (
        request.user.region_id == score.region_id
        and services.appeal_window_open(score.period)
        and has_cap(request.user, Cap.EDIT_RECORDS)
    )
    return render(
        request,
        "evaluation/entity.html",
        {
            "score": score,
            "rows": rows,
            "radar": radar,
            "appeals": selectors.appeals_of(score),
            "may_appeal": may_appeal,
        },
    )


@needs(Cap.VERIFY)
@require_POST
def close(request):
    pk = _pk(request.POST.get("period"))
    try:
        period = services.period_close(actor=request.user, period_id=pk)
    except PermissionDenied:
        raise
    except (ValidationError, ConflictError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
        return redirect("evaluation:index")
    messages.success(request, period.label)
    return redirect(f"{reverse('evaluation:ranking')}?period={pk}")


@needs(Cap.VERIFY)
@require_POST
def publish(request):
    pk = _pk(request.POST.get("period"))
    try:
        services.period_publish(actor=request.user, period_id=pk)
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('evaluation:ranking')}?period={pk}")


def _pk(value) -> int:
    if not str(value or "").isdigit() or not Period.objects.filter(pk=int(value)).exists():
        raise Http404
    return int(value)


@public
def public_results(request):
    periods = Period.objects.filter(status=Period.Status.PUBLISHED).select_related("system").order_by("-starts_on")
    period = periods.first()
    rows = {
        "city": selectors.public_ranking(period, Level.CITY) if period else [],
        "county": selectors.public_ranking(period, Level.COUNTY) if period else [],
    }
    return render(request, "evaluation/public.html", {"period": period, "rows": rows})


@needs(Cap.EVALUATE)
def survey_template(request):
    response = HttpResponse(
        imports.survey_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, "第三方评价导入模板.xlsx")
    return response


@needs(Cap.EVALUATE)
def survey_upload(request):
    """The evaluator's upload: a dry run first (every bad cell reported), then all or none."""
    periods = Period.objects.filter(kind=Period.Kind.HALF, status=Period.Status.OPEN).select_related("system")
    report, error, done = None, "", False
    if request.method == "POST":
        period = periods.filter(pk=request.POST.get("period") or 0).first()
        upload = request.FILES.get("file")
        if period is None or upload is None:
            error = _("请选择周期并上传 .xlsx 文件。")
        else:
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                try:
                    report = imports.survey_import(
                        actor=request.user, period=period, path=handle.name, commit=request.POST.get("commit") == "1"
                    )
                    done = request.POST.get("commit") == "1" and not report.errors
                except (LedgerFileError, ConflictError) as exc:
                    error = getattr(exc, "message", str(exc))
    return render(
        request,
        "evaluation/survey.html",
        {"periods": periods, "report": report, "error": error, "done": done, "rule": imports.RATE_RULE},
    )


# --- appeals (申诉) ----------------------------------------------------------------------------------


def _not_post(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@needs(Cap.EDIT_RECORDS, model=EntityScore)
def appeal_file(request, pk):
    """The entity's appeal against one indicator, with evidence (POST from its score page)."""
    score = selectors.entity_score(request.user, pk)
    refused = _not_post(request)
    if refused:
        return refused
    try:
        appeal = services.appeal_file(
            actor=request.user,
            score_id=score.pk,
            indicator_id=request.POST.get("indicator"),
            reason=request.POST.get("reason", ""),
            evidence=request.FILES.get("evidence"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("evaluation:entity", pk=score.pk)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("evaluation:entity", pk=score.pk)
    messages.success(request, _("申诉已提交，等待省厅裁定。"))
    return redirect("evaluation:appeal", pk=appeal.pk)


@needs(Cap.VIEW_DASHBOARD, model=Appeal)
def appeals(request):
    """Appeals the reader may see (a county its own, the province all), pending first."""
    rows = selectors.appeals(request.user, status=request.GET.get("status") or None)
    return render(
        request,
        "evaluation/appeals.html",
        {"rows": rows, "statuses": Appeal.Status.choices, "status": request.GET.get("status", "")},
    )


@needs(Cap.VIEW_DASHBOARD, model=Appeal)
def appeal(request, pk):
    item = selectors.appeal(request.user, pk)
    return render(
        request,
        "evaluation/appeal.html",
        {
            "appeal": item,
            "row": item.entity.indicator_scores.filter(indicator=item.indicator).first(),
            "may_decide": _may_manage(request.user)
            and item.status == Appeal.Status.PENDING
            and item.entity.period.status == Period.Status.CLOSED,
            "moves": MOVES.values(),
        },
    )


@needs(Cap.VERIFY, model=Appeal)
def appeal_decide(request, pk):
    item = selectors.appeal(request.user, pk)
    refused = _not_post(request)
    if refused:
        return refused
    try:
        services.appeal_decide(
            actor=request.user,
            appeal_id=item.pk,
            move=request.POST.get("move", ""),
            decision=request.POST.get("decision", ""),
            new_value=request.POST.get("new_value"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("裁定已保存。"))
    return redirect("evaluation:appeal", pk=item.pk)


@needs(Cap.VIEW_DASHBOARD, model=Appeal)
def appeal_evidence(request, pk):
    """The appeal's evidence, only to who may see the appeal; always as an attachment."""
    item = selectors.appeal(request.user, pk)
    try:
        handle = item.evidence.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.evidence.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- notices (通报表扬 / 通报批评 / 警示案例通报) ---------------------------------------------------------


@needs(Cap.VERIFY)
def notices(request):
    """A period's notices: issue the commendation / criticism and the warning-case circular
    (the reviewer picks the cases among the period's accountability records); issued copies."""
    if not _may_manage(request.user):
        messages.error(request, _("通报由省厅印发。"))
        return redirect("evaluation:index")
    period = _period(request.GET.get("period"))
    if period is None:
        raise Http404
    from portal.documents.models import IssuedDocument

    issued = IssuedDocument.objects.filter(object_type="evaluation.period", object_id=str(period.pk)).order_by(
        "-issued_at"
    )
    return render(
        request,
        "evaluation/notices.html",
        {
            "period": period,
            "periods": selectors.periods(),
            "issued": list(issued),
            "cases": selectors.period_accountability(request.user, period),
            "count": services.DEFAULT_NOTICE_COUNT,
        },
    )


@needs(Cap.VERIFY)
@require_POST
def notice_issue(request):
    pk = _pk(request.POST.get("period"))
    try:
        document = services.notice_issue(
            actor=request.user,
            period_id=pk,
            doc_type=request.POST.get("doc_type", ""),
            count=request.POST.get("count", services.DEFAULT_NOTICE_COUNT),
            case_ids=request.POST.getlist("cases"),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已印发：%(number)s") % {"number": document.number})
    return redirect(f"{reverse('evaluation:notices')}?period={pk}")


# --- mystery-visit findings (暗访发现) ----------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=MysteryFinding)
def findings(request):
    """The third party's mystery-visit findings the reader may see; each can become a problem."""
    from cases.models import Category

    rows = selectors.findings(request.user)
    return render(
        request,
        "evaluation/findings.html",
        {
            "rows": rows,
            "categories": Category.objects.filter(parent__isnull=False).order_by("pk"),
            "may_register": has_cap(request.user, Cap.EDIT_RECORDS),
        },
    )


@needs(Cap.EDIT_RECORDS, model=MysteryFinding)
def finding_problem(request, pk):
    finding = selectors.finding(request.user, pk)
    refused = _not_post(request)
    if refused:
        return refused
    try:
        problem = services.finding_to_problem(
            actor=request.user,
            finding_id=finding.pk,
            category=request.POST.get("category"),
            title=request.POST.get("title", ""),
        )
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        for message in getattr(exc, "messages", None) or [str(exc) or _("无权办理该暗访发现。")]:
            messages.error(request, message)
        return redirect("evaluation:findings")
    messages.success(request, _("已转为问题 %(code)s。") % {"code": problem.code})
    return redirect("cases:detail", pk=problem.pk)


# --- the indicator system (指标体系) ---------------------------------------------------------------


def _system(value) -> IndicatorSystem | None:
    systems = IndicatorSystem.objects.all()
    if str(value or "").isdigit():
        return systems.filter(year=int(value)).first()
    return systems.order_by("-year").first()


@needs(Cap.VERIFY)
def indicators(request):
    """A year's indicators with the weight check; ``?edit=<id>`` opens one in the form, the
    empty form adds one. Saving goes to ``indicator-save``."""
    if not _may_manage(request.user):
        messages.error(request, _("指标体系由省厅维护。"))
        return redirect("evaluation:index")
    system = _system(request.GET.get("year"))
    if system is None:
        raise Http404
    editing = None
    if str(request.GET.get("edit") or "").isdigit():
        editing = system.indicators.filter(pk=int(request.GET["edit"])).first()
    form = IndicatorForm(instance=editing or Indicator(system=system))
    return _indicators_page(request, system, form, editing)


def _indicators_page(request, system, form, editing, status=200):
    return render(
        request,
        "evaluation/indicators.html",
        {
            "system": system,
            "systems": IndicatorSystem.objects.order_by("-year"),
            "rows": list(system.indicators.order_by("level", "sort_order", "code")),
            "problems": services.weight_problems(system),
            "frozen": system.periods.exclude(status=Period.Status.OPEN).exists(),
            "form": form,
            "editing": editing,
            "known": sorted(compute.named_figures()),
        },
        status=status,
    )


@needs(Cap.VERIFY)
@require_POST
def indicator_save(request):
    if not _may_manage(request.user):
        raise Http404
    system = _system(request.POST.get("year"))
    if system is None or not str(request.POST.get("year") or "").isdigit():
        raise Http404
    editing = None
    if str(request.POST.get("indicator") or "").isdigit():
        editing = system.indicators.filter(pk=int(request.POST["indicator"])).first()
        if editing is None:
            raise Http404
    form = IndicatorForm(request.POST, instance=editing or Indicator(system=system))
    if not form.is_valid():
        return _indicators_page(request, system, form, editing, status=400)
    try:
        saved = services.indicator_save(actor=request.user, form=form)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('evaluation:indicators')}?year={system.year}")
    messages.success(request, _("指标“%(name)s”已保存。") % {"name": saved})
    for problem in services.weight_problems(system):
        messages.warning(request, problem)
    return redirect(f"{reverse('evaluation:indicators')}?year={system.year}")


# --- entered values (省厅录入) ---------------------------------------------------------------------


@needs(Cap.VERIFY)
def entered(request):
    """An open period's values entered by the province, with evidence, and the form to enter one."""
    if not _may_manage(request.user):
        messages.error(request, _("录入指标值由省厅办理。"))
        return redirect("evaluation:index")
    periods = Period.objects.filter(status=Period.Status.OPEN).select_related("system").order_by("-starts_on")
    wanted = str(request.GET.get("period") or "")
    period = (periods.filter(pk=int(wanted)).first() if wanted.isdigit() else None) or periods.first()
    rows, indicators = [], []
    if period is not None:
        indicators = list(period.system.indicators.filter(rule=Indicator.Rule.ENTERED).order_by("level", "sort_order"))
        rows = list(
            period.entered_values.select_related("indicator", "region", "entered_by").order_by(
                "indicator__level", "indicator__sort_order", "region_id"
            )
        )
    return render(
        request,
        "evaluation/entered.html",
        {"period": period, "periods": periods, "rows": rows, "indicators": indicators},
    )


@needs(Cap.VERIFY)
@require_POST
def entered_save(request):
    pk = _pk(request.POST.get("period"))
    try:
        services.entered_value_save(
            actor=request.user,
            period_id=pk,
            indicator_id=request.POST.get("indicator"),
            region_code=request.POST.get("region"),
            value=request.POST.get("value"),
            evidence=request.FILES.get("evidence"),
            note=request.POST.get("note", ""),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("录入值已保存。"))
    return redirect(f"{reverse('evaluation:entered')}?period={pk}")
