"""Pages of the performance evaluation: periods, rankings with charts, an entity's breakdown,
closing and publishing (province), and the public page of published results."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import imports, selectors, services
from evaluation.models import Dimension, EntityScore, Level, Period
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap
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
    return render(request, "evaluation/entity.html", {"score": score, "rows": rows, "radar": radar})


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
