"""The monitoring warning pages (监测预警, /supervision/warnings/): the scoped list with the method
and the last run, one warning with its series chart, threshold and records, and the moves."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.core.api import ConflictError
from supervision import warning_selectors as selectors
from supervision.warning_models import MonitoringWarning
from supervision.warning_services import warning_transition
from supervision.warning_transitions import MOVES, moves_from
from supervision.warnings import METHOD, PARAMS

PAGE_SIZE = 30
RECORDS_SHOWN = 100
CONFLICT_MESSAGE = gettext_lazy("该预警已被他人处理，页面已刷新为最新状态，请确认后再操作。")


class WarningMoveForm(forms.Form):
    move = forms.ChoiceField(choices=[(m.name, m.label) for m in MOVES.values()], widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    intervention = forms.ChoiceField(
        label=gettext_lazy("干预措施"),
        choices=[("", "---------"), *MonitoringWarning.Intervention.choices],
        required=False,
    )
    note = forms.CharField(label=gettext_lazy("说明或理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _param_rows():
    p = PARAMS
    return [
        (_("窗口"), _("%(n)s 天") % {"n": p.window_days}),
        (_("基线"), _("此前 %(n)s 个窗口（剔除紧邻的 %(g)s 个）") % {"n": p.baseline_windows, "g": p.guard_windows}),
        (_("最少历史"), _("%(n)s 个窗口") % {"n": p.min_history_windows}),
        (_("预警水平"), f"α = {p.alpha:g}"),
        (_("强预警水平"), f"α = {p.strong_alpha:g}"),
        (_("最少件数"), str(p.min_count)),
        (_("苗头最少件数"), str(p.new_min)),
        (_("倾向"), _("连续 %(n)s 次上升，超过上 5%% 分位数") % {"n": p.rising_windows}),
        (_("不重复预警"), _("%(n)s 天") % {"n": p.quiet_days}),
    ]


@needs(Cap.VIEW_RECORDS, model=MonitoringWarning)
def warning_list(request):
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "pending")
    source = request.GET.get("source", "")
    qs = selectors.warnings_visible_to(request.user, kind=kind, status=status, source=source)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    run = selectors.last_run()
    return render(
        request,
        "supervision/warnings/list.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "source": source,
            "kinds": MonitoringWarning.Kind.choices,
            "statuses": [("pending", _("待处理和已确认")), *MonitoringWarning.Status.choices, ("all", _("全部"))],
            "sources": MonitoringWarning.Source.choices,
            "method": METHOD,
            "param_rows": _param_rows(),
            "run": run,
            "new_units": selectors.units_without_history(request.user, run),
        },
    )


def _detail_context(request, warning, form=None):
    records = selectors.warning_records(request.user, warning)
    shown = list(records.select_related("category")[:RECORDS_SHOWN])
    windows = list(warning.windows)
    n = len(windows)
    labels = [str(-(n - 1 - i) * warning.window_days) if i < n - 1 else _("本窗口") for i in range(n)]
    moves = [m for m in moves_from(warning.status) if has_cap(request.user, m.cap)]
    return {
        "warning": warning,
        "records": shown,
        "record_count": len(shown) if len(shown) < RECORDS_SHOWN else records.count(),
        "is_complaint": warning.source == MonitoringWarning.Source.COMPLAINT,
        "chart": {
            "labels": labels,
            "counts": windows,
            "threshold": warning.threshold,
            "expected": round(warning.expected, 2),
        },
        "moves": moves,
        "form": form or WarningMoveForm(initial={"expected_version": warning.version}),
        "method": METHOD,
        "param_rows": _param_rows(),
    }


@needs(Cap.VIEW_RECORDS, model=MonitoringWarning)
def warning_detail(request, pk):
    warning = selectors.warning_for_detail(request.user, pk)
    return render(request, "supervision/warnings/detail.html", _detail_context(request, warning))


@needs(Cap.VIEW_RECORDS, model=MonitoringWarning)
def warning_move(request, pk):
    warning = selectors.warning_for_detail(request.user, pk)  # out of scope: 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = WarningMoveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            warning_transition(
                actor=request.user,
                warning_id=warning.pk,
                move=data["move"],
                expected_version=data["expected_version"],
                intervention=data["intervention"],
                note=data["note"],
            )
        except ConflictError:
            messages.warning(request, CONFLICT_MESSAGE)
            fresh = selectors.warning_for_detail(request.user, pk)
            return render(request, "supervision/warnings/detail.html", _detail_context(request, fresh), status=409)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("已执行“%(label)s”。") % {"label": MOVES[data["move"]].label})
            return redirect("supervision:warning", pk=warning.pk)
    return render(request, "supervision/warnings/detail.html", _detail_context(request, warning, form), status=400)


# --- the monthly analysis (§7) -------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS)
def analysis(request):
    from supervision.analysis import monthly_analysis, parse_month

    month = parse_month(request.GET.get("month"))
    data = monthly_analysis(request.user, month)
    return render(request, "supervision/warnings/analysis.html", {"a": data, "month": f"{month:%Y-%m}"})


@needs(Cap.VIEW_RECORDS)
def analysis_docx(request):
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from portal.audit.services import audit_record
    from portal.documents.services import render as render_document
    from supervision.analysis import monthly_analysis, parse_month
    from supervision.documents import MonthlyAnalysis

    data = monthly_analysis(request.user, parse_month(request.GET.get("month")))
    content = render_document(MonthlyAnalysis.key, data)
    # downloads of documents are audited (as portal.documents' download)
    audit_record(
        actor=request.user,
        action="supervision.analysis_download",
        object_type="supervision.monthlyanalysis",
        object_id=data.pk,
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = content_disposition_header(True, MonthlyAnalysis().file_name(data))
    response["Cache-Control"] = "private, no-store"
    return response
