"""Pages of the enforcement case data: the search (case number, plate or ID number by keyed
hash, unit, violation item, mode, 立案 date range), one case with its versions, and the Excel
export of the search with the parties masked. Every read goes through ``selectors`` (scoped).

The list does not count its rows: at ten million cases a COUNT over the user's subtree is the
one query that cannot stay index-driven, so the page reads one row more than it shows to know
whether a next page exists (two queries: the filter choices are cached per request below)."""

from __future__ import annotations

import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.enforcement import selectors
from cases.enforcement.models import EnforcementCase, ViolationItem
from portal.accounts.access import needs
from portal.accounts.capabilities import Cap, has_cap
from portal.audit.services import audit_record
from portal.core.exports import safe_cell
from portal.core.masking import mask_id_number, mask_name, mask_plate
from portal.regions.models import Region, Unit

PAGE_SIZE = 20
MAX_PAGE = 500  # deep offsets are slow at provincial scale: narrow the search instead
EXPORT_LIMIT = 50_000


class CaseSearchForm(forms.Form):
    case_number = forms.CharField(label=_lazy("案号"), max_length=64, required=False)
    plate = forms.CharField(label=_lazy("车牌号"), max_length=16, required=False)
    party_id_number = forms.CharField(label=_lazy("当事人证件号码"), max_length=32, required=False)
    unit = forms.ModelChoiceField(label=_lazy("上传单位"), queryset=Unit.objects.none(), required=False)
    violation_item = forms.ModelChoiceField(
        label=_lazy("违法事项"), queryset=ViolationItem.objects.none(), required=False
    )
    mode = forms.ChoiceField(
        label=_lazy("执法方式"), choices=[("", _lazy("全部")), *EnforcementCase.Mode.choices], required=False
    )
    region = forms.ModelChoiceField(
        label=_lazy("案发区划"), queryset=Region.objects.none(), to_field_name="code", required=False
    )
    penalized = forms.ChoiceField(
        label=_lazy("作出处罚"),
        choices=[("", _lazy("全部")), ("yes", _lazy("是")), ("no", _lazy("否"))],
        required=False,
    )
    soft = forms.ChoiceField(
        label=_lazy("柔性执法措施"),
        choices=[("", _lazy("全部")), ("yes", _lazy("适用")), ("no", _lazy("未适用"))],
        required=False,
    )
    soft_measure = forms.ChoiceField(
        label=_lazy("柔性措施"), choices=[("", _lazy("全部")), *EnforcementCase.SoftMeasure.choices], required=False
    )
    filed_from = forms.DateField(label=_lazy("立案日期起"), required=False)
    filed_to = forms.DateField(label=_lazy("立案日期止"), required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.visible_to(user, None).filter(active=True).order_by("name")
        self.fields["violation_item"].queryset = ViolationItem.objects.order_by("code")
        regions = Region.objects.subtree_of(user.region) if user.region_id else Region.objects.none()
        self.fields["region"].queryset = regions.order_by("code")
        for name, field in self.fields.items():
            select = isinstance(field.widget, forms.Select)
            css = "form-select form-select-sm" if select else "form-control form-control-sm"
            field.widget.attrs.update({"class": css})
            if isinstance(field, forms.DateField):
                field.widget.input_type = "date"
            field.widget.attrs["id"] = f"f-{name}"
        self.fields["page"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if data.get("filed_from") and data.get("filed_to") and data["filed_from"] > data["filed_to"]:
            self.add_error("filed_to", _("结束日期不能早于开始日期。"))
        return data


def _search(request, cap=Cap.VIEW_RECORDS):
    form = CaseSearchForm(request.GET or None, user=request.user)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "page" and v not in (None, "")}
    elif form.is_bound:
        return form, None, 1
    page = (form.cleaned_data.get("page") if form.is_bound else None) or 1
    return form, selectors.cases_search(request.user, cap=cap, **filters), page


def cases_for_query(user, query):
    """The cases the list shows for ``query`` (its GET parameters), or None when the query is
    invalid: what a dashboard number linking here must count (the page itself never counts)."""
    form = CaseSearchForm(query, user=user)
    if not form.is_valid():
        return None
    filters = {k: v for k, v in form.cleaned_data.items() if k != "page" and v not in (None, "")}
    return selectors.cases_search(user, **filters)


@needs(Cap.VIEW_RECORDS, model=EnforcementCase)
def case_list(request):
    form, cases, page = _search(request)
    rows, has_next = [], False
    if cases is not None:
        offset = (page - 1) * PAGE_SIZE
        rows = list(cases[offset : offset + PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE and page < MAX_PAGE
        rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/enforcement/list.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "has_next": has_next,
            "query": query.urlencode(),
            "can_export": has_cap(request.user, Cap.EXPORT_RECORDS),
        },
    )


@needs(Cap.VIEW_RECORDS, model=EnforcementCase)
def case_detail(request, pk):
    shown, versions = selectors.case_detail(request.user, pk)
    labels = dict(EnforcementCase.SoftMeasure.choices)
    return render(
        request,
        "cases/enforcement/detail.html",
        {"case": shown, "versions": versions, "soft_labels": [labels.get(m, m) for m in shown.soft_measures]},
    )


EXPORT_COLUMNS = (
    "case_number",
    "unit__name",
    "region__name",
    "violation_item__name",
    "legal_basis",
    "penalty_type",
    "penalty_amount",
    "discretion",
    "mode",
    "soft_measures",
    "party_name",
    "party_id_number",
    "plate",
    "place",
    "filed_on",
    "decided_on",
    "closed_on",
    "status",
    "version",
)


# No model= here (as complaints' export): the matrix reads list pages as text, an .xlsx is zipped;
# cases/tests/test_enforcement_pages.py checks the export's scope instead.
@needs(Cap.EXPORT_RECORDS)
def case_export(request):
    """The search as an .xlsx workbook: parties masked, formulas neutralised, audited."""
    from openpyxl import Workbook

    form, cases, _page = _search(request, cap=Cap.EXPORT_RECORDS)
    if cases is None:
        message = _("查询条件有误，请返回修改后再导出。")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_bound else {}
    audit_record(
        actor=request.user,
        action="enforcement_case.export",
        object_type="cases.enforcementcase",
        changes={"filters": filters},
    )
    Case = EnforcementCase
    labels = {
        "penalty_type": dict(Case.PenaltyType.choices),
        "discretion": dict(Case.Discretion.choices),
        "mode": dict(Case.Mode.choices),
        "status": dict(Case.Status.choices),
        "soft": dict(Case.SoftMeasure.choices),
    }
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("执法案件"))
    sheet.append(
        [
            _("案号"),
            _("上传单位"),
            _("案发区划"),
            _("违法事项"),
            _("处罚依据"),
            _("处罚种类"),
            _("罚款金额（元）"),
            _("裁量等级"),
            _("执法方式"),
            _("柔性执法措施"),
            _("当事人"),
            _("当事人证件号码"),
            _("车牌号"),
            _("违法地点"),
            _("立案日期"),
            _("决定日期"),
            _("结案日期"),
            _("案件状态"),
            _("版本"),
        ]
    )
    for row in cases.values_list(*EXPORT_COLUMNS)[:EXPORT_LIMIT].iterator(chunk_size=2000):
        v = dict(zip(EXPORT_COLUMNS, row, strict=True))
        sheet.append(
            [
                safe_cell(v["case_number"]),
                safe_cell(v["unit__name"]),
                v["region__name"],
                safe_cell(v["violation_item__name"]),
                safe_cell(v["legal_basis"]),
                str(labels["penalty_type"].get(v["penalty_type"], v["penalty_type"])),
                v["penalty_amount"],
                str(labels["discretion"].get(v["discretion"], v["discretion"])),
                str(labels["mode"].get(v["mode"], v["mode"])),
                "、".join(str(labels["soft"].get(m, m)) for m in v["soft_measures"]),
                mask_name(v["party_name"]),
                mask_id_number(v["party_id_number"]),
                mask_plate(v["plate"]),
                safe_cell(v["place"]),
                v["filed_on"],
                v["decided_on"],
                v["closed_on"],
                str(labels["status"].get(v["status"], v["status"])),
                v["version"],
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="enforcement-cases-{stamp}.xlsx"'
    return response
