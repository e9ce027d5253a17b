"""Forms of the enforcement-supervision pages (pool, activities, draws, on-site records): they
parse input and limit choices to the user's subtree; the rules live in
``supervision.activities``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DateInput, MultipleFileField, PortalForm
from cases.models import Category, Problem
from portal.accounts.scoping import subtree_q
from portal.regions.models import EnforcementDomain, Region, Unit
from supervision.models import Activity, Draw, InspectorStatus


def _domains():
    return EnforcementDomain.objects.filter(active=True).order_by("sort_order")


class InspectorForm(PortalForm):
    id_prefix = "insp"
    name = forms.CharField(label=_("姓名"), max_length=64)
    home_region = forms.ModelChoiceField(label=_("工作单位所在区划"), queryset=Region.objects.none())
    home_unit = forms.ModelChoiceField(label=_("工作单位"), queryset=Unit.objects.none(), required=False)
    domains = forms.ModelMultipleChoiceField(
        label=_("可监督执法领域"), queryset=EnforcementDomain.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    username = forms.CharField(label=_("门户账号（可不填）"), max_length=150, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_region"].queryset = Region.objects.filter(subtree_q(user, "pk")).order_by("code")
        self.fields["home_unit"].queryset = Unit.objects.filter(subtree_q(user, "region"), active=True).order_by(
            "region_id", "name"
        )
        self.fields["domains"].queryset = _domains()


class StatusForm(PortalForm):
    id_prefix = "status"
    status = forms.ChoiceField(label=_("状态"), choices=InspectorStatus.Status.choices)
    starts_on = forms.DateField(label=_("起始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("截止日期"), widget=DateInput(), required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class AvoidanceForm(PortalForm):
    id_prefix = "avoid"
    unit = forms.ModelChoiceField(label=_("回避单位"), queryset=Unit.objects.none(), required=False)
    region = forms.ModelChoiceField(label=_("回避区划"), queryset=Region.objects.none(), required=False)
    reason = forms.CharField(label=_("回避事由"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(active=True).select_related("region").order_by("region_id")
        self.fields["region"].queryset = Region.objects.order_by("code")


class ActivityForm(PortalForm):
    id_prefix = "act"
    title = forms.CharField(label=_("活动名称"), max_length=200)
    method = forms.ChoiceField(label=_("方式"), choices=Activity.Method.choices)
    domain = forms.ModelChoiceField(
        label=_("执法领域（可不限）"), queryset=EnforcementDomain.objects.none(), required=False
    )
    starts_on = forms.DateField(label=_("现场检查开始"), widget=DateInput())
    ends_on = forms.DateField(label=_("现场检查结束"), widget=DateInput())
    team_size = forms.IntegerField(label=_("抽取人数"), min_value=1, max_value=30, initial=3)
    joint_participants = forms.CharField(
        label=_("联合检查参加部门及人员"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = _domains()


class DrawCommitForm(PortalForm):
    id_prefix = "draw"
    kind = forms.ChoiceField(choices=Draw.Kind.choices, widget=forms.HiddenInput)
    size = forms.IntegerField(label=_("抽取数量"), min_value=1)
    value_source = forms.CharField(label=_("公开随机数来源"), max_length=100, initial=_("中国福利彩票3D"))
    value_date = forms.DateField(label=_("开奖日期"), widget=DateInput())
    reason = forms.CharField(label=_("重抽理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DrawRevealForm(PortalForm):
    id_prefix = "reveal"
    draw = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("开奖号码"), max_length=100)


class PublishForm(PortalForm):
    id_prefix = "publish"
    result = forms.CharField(label=_("公开的检查结果"), widget=forms.Textarea(attrs={"rows": 4}))


class FindingForm(PortalForm):
    id_prefix = "finding"
    text = forms.CharField(label=_("发现问题"), widget=forms.Textarea(attrs={"rows": 3}))
    item = forms.TypedChoiceField(label=_("对应检查事项"), coerce=int, required=False, empty_value=None)
    photos = MultipleFileField(label=_("证据照片"), required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—")] + [(i, f"{i + 1}. {text}") for i, text in enumerate(items)]
        self.fields["photos"].widget.attrs.update(accept="image/*", capture="environment")


class RaiseForm(PortalForm):
    id_prefix = "raise"
    category = forms.ModelChoiceField(label=_("问题类别"), queryset=Category.objects.none())
    severity = forms.ChoiceField(label=_("严重程度"), choices=Problem.Severity.choices)
    domain = forms.ModelChoiceField(label=_("执法领域"), queryset=EnforcementDomain.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("sort_order", "pk")
        self.fields["domain"].queryset = _domains()
