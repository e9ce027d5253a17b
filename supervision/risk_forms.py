"""Forms of the risks pages (negative lists, incidents). They parse; the rules are in
``supervision/risks.py`` and ``supervision/incidents.py``, whose refusals land on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DateInput, PortalForm
from portal.accounts.models import User
from portal.regions.models import EnforcementDomain, Unit
from supervision.models import IncidentClass, IncidentReport, RiskItem, RiskMeasure

SCORES = [(n, str(n)) for n in RiskItem.SCALE]
MEASURE_ROWS = 3
OWNER_CHOICES = [("", "---------"), *RiskMeasure.Owner.choices]


class _MeasureFields:
    """The owner fields of a measure: one of the three responsible people, or a named user
    (by user name, within the list's region)."""

    @staticmethod
    def owner_user(username: str, errors: dict, field: str):
        if not username:
            return None
        user = User.objects.filter(username=username.strip(), is_active=True).first()
        if user is None:
            errors[field] = _("没有这个门户账号：%(name)s，请核对用户名。") % {"name": username}
        return user


class RiskItemForm(PortalForm):
    id_prefix = "risk"

    code = forms.CharField(label=_("编号"), max_length=24)
    title = forms.CharField(label=_("风险事项"), max_length=200)
    domain = forms.ModelChoiceField(label=_("执法领域"), queryset=EnforcementDomain.objects.order_by("sort_order"))
    description = forms.CharField(label=_("风险描述"), widget=forms.Textarea(attrs={"rows": 3}))
    likelihood = forms.TypedChoiceField(label=_("可能性（1–5）"), choices=SCORES, coerce=int, initial=3)
    impact = forms.TypedChoiceField(label=_("影响程度（1–5）"), choices=SCORES, coerce=int, initial=3)
    review_every_months = forms.IntegerField(label=_("复核周期（月）"), min_value=1, max_value=12, initial=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MEASURE_ROWS + 1):
            self.fields[f"m{n}_text"] = forms.CharField(label=_("防范措施 %(n)s") % {"n": n}, required=False)
            self.fields[f"m{n}_owner"] = forms.ChoiceField(label=_("责任人"), choices=OWNER_CHOICES, required=False)
            self.fields[f"m{n}_user"] = forms.CharField(label=_("指定人员（用户名）"), required=False, max_length=150)
            self.fields[f"m{n}_due"] = forms.DateField(label=_("完成期限"), required=False, widget=DateInput())
        self.measure_rows = [
            [self[f"m{n}_{part}"] for part in ("text", "owner", "user", "due")] for n in range(1, MEASURE_ROWS + 1)
        ]

    def measures(self) -> list[dict]:
        """The measure rows with anything filled in (the service refuses incomplete ones)."""
        rows, errors = [], {}
        for n in range(1, MEASURE_ROWS + 1):
            data = {part: self.cleaned_data.get(f"m{n}_{part}") for part in ("text", "owner", "user", "due")}
            if not any(data.values()):
                continue
            rows.append(
                {
                    "text": data["text"] or "",
                    "owner_kind": data["owner"] or "",
                    "owner_user": _MeasureFields.owner_user(data["user"] or "", errors, f"m{n}_user"),
                    "due_on": data["due"],
                }
            )
        for field, message in errors.items():
            self.add_error(field, message)
        return rows


class MeasureForm(PortalForm):
    id_prefix = "measure"

    text = forms.CharField(label=_("防范措施"))
    owner_kind = forms.ChoiceField(label=_("责任人"), choices=OWNER_CHOICES, required=False)
    owner_username = forms.CharField(label=_("指定人员（用户名）"), required=False, max_length=150)
    due_on = forms.DateField(label=_("完成期限"), required=False, widget=DateInput())


class ReviewForm(PortalForm):
    id_prefix = "review"

    likelihood = forms.TypedChoiceField(label=_("可能性（1–5）"), choices=SCORES, coerce=int)
    impact = forms.TypedChoiceField(label=_("影响程度（1–5）"), choices=SCORES, coerce=int)
    note = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 2}))


class MeasureDoneForm(PortalForm):
    id_prefix = "done"

    measure_id = forms.IntegerField(widget=forms.HiddenInput())
    done_on = forms.DateField(label=_("完成日期"), widget=DateInput())


class RetireForm(PortalForm):
    id_prefix = "retire"

    reason = forms.CharField(label=_("退出理由"), max_length=500)


class IncidentForm(PortalForm):
    id_prefix = "incident"

    title = forms.CharField(label=_("事件名称"), max_length=200)
    incident_class = forms.ModelChoiceField(label=_("事件类别"), queryset=IncidentClass.objects.all())
    unit = forms.ModelChoiceField(label=_("涉事单位"), queryset=Unit.objects.none())
    occurred_at = forms.DateTimeField(
        label=_("发生时间（报告人所述，仅作记录）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    text = forms.CharField(label=_("首报内容"), widget=forms.Textarea(attrs={"rows": 4}))
    problem_code = forms.CharField(label=_("关联问题编号（同一事件已登记为问题时填写）"), required=False, max_length=32)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.region_id:
            self.fields["unit"].queryset = Unit.objects.filter(region_id=user.region_id, active=True).order_by("name")


class IncidentReportForm(PortalForm):
    id_prefix = "report"

    kind = forms.ChoiceField(
        label=_("报告类型"),
        choices=[(IncidentReport.Kind.FOLLOW_UP, _("续报")), (IncidentReport.Kind.FINAL, _("终报"))],
    )
    text = forms.CharField(label=_("报告内容"), widget=forms.Textarea(attrs={"rows": 3}))
