"""Forms of the supervision pages: they parse input and limit choices to the user's subtree;
the rules live in ``supervision.services``."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DateInput, MultipleFileField, PortalForm, add_service_error  # noqa: F401 - shared helpers
from cases.models import Accountability, Problem
from cases.selectors import regions_for
from portal.accounts.capabilities import ROLE_CAPABILITIES, Cap
from portal.accounts.models import User
from portal.accounts.scoping import region_in_scope
from portal.regions.models import EnforcementDomain

CODE_SPLIT = re.compile(r"[\s,，、;；]+")


def inspectors_for(user) -> list[User]:
    """Inspectors (inspection capability) above or inside the user's region: who may join a team."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Cap.INSPECT in caps]
    users = User.objects.filter(is_active=True, roles__overlap=roles).select_related("region").order_by("username")
    return [u for u in users if u.region_id and (region_in_scope(u, user.region) or region_in_scope(user, u.region))]


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        return f"{name}（{obj.region.name if obj.region_id else ''}）"


class ItemForm(PortalForm):
    id_prefix = "item"

    title = forms.CharField(label=_("督办事项"), max_length=200)
    region = forms.ChoiceField(label=_("所属区划"), required=False, help_text=_("不选时取涉及问题、投诉所在的区划。"))
    domain = forms.ModelChoiceField(label=_("执法领域"), queryset=EnforcementDomain.objects.none(), required=False)
    problem_codes = forms.CharField(
        label=_("涉及问题编号"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("多个编号用逗号或空格分隔，如 WT2026-0000123。"),
    )
    complaint_ids = forms.CharField(widget=forms.HiddenInput, required=False)
    candidate_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=120)
    problem_list = forms.CharField(label=_("问题清单"), widget=forms.Textarea(attrs={"rows": 3}))
    measures_list = forms.CharField(label=_("措施清单"), widget=forms.Textarea(attrs={"rows": 3}))
    rectification_responsibility = forms.CharField(label=_("整改责任清单"), widget=forms.Textarea(attrs={"rows": 3}))
    supervision_responsibility = forms.CharField(label=_("督办责任清单"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline_days = forms.IntegerField(label=_("整改时限（工作日）"), min_value=1, max_value=365, initial=30)
    report_every_days = forms.IntegerField(label=_("进展报告周期（工作日）"), min_value=1, max_value=60, initial=5)
    serious = forms.BooleanField(label=_("情节严重（可安排驻地督导）"), required=False)
    team = UserChoiceField(
        label=_("督导组成员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("按涉及问题确定"))] + [
            (r.code, ("　" * max(0, r.depth - 1)) + r.name) for r in regions_for(user)
        ]
        self.fields["domain"].queryset = EnforcementDomain.objects.filter(active=True).order_by("sort_order")
        inspectors = inspectors_for(user)
        self.fields["team"].queryset = User.objects.filter(pk__in=[u.pk for u in inspectors]).select_related("region")

    def clean_problem_codes(self):
        codes = [c.upper() for c in CODE_SPLIT.split(self.cleaned_data["problem_codes"] or "") if c]
        if not codes:
            return []
        found = dict(
            Problem.objects.visible_to(self.user, Cap.VIEW_RECORDS).filter(code__in=codes).values_list("code", "pk")
        )
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(_("没有找到问题：%(codes)s。") % {"codes": "、".join(missing)})
        return [found[c] for c in codes]

    def clean_complaint_ids(self):
        raw = self.cleaned_data["complaint_ids"] or ""
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(_("投诉编号无效。")) from None


class TransitionForm(PortalForm):
    id_prefix = "mv"

    move = forms.CharField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    visited_on = forms.DateField(label=_("验收日期"), required=False, widget=DateInput())
    members = UserChoiceField(
        label=_("验收人员"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    handling_result = forms.CharField(
        label=_("公开的处理结果（不含个人信息）"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    files = MultipleFileField(label=_("佐证材料"), required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["members"].queryset = members


class ProgressForm(PortalForm):
    id_prefix = "progress"

    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(
        label=_("佐证材料"),
        required=False,
        help_text=_("可选多个文件：图片（JPG、PNG）、PDF、Word、Excel；类型按文件内容检查。"),
    )


class StationingForm(PortalForm):
    id_prefix = "stationing"

    starts_on = forms.DateField(label=_("驻地开始"), widget=DateInput())
    ends_on = forms.DateField(label=_("驻地结束"), widget=DateInput())
    place = forms.CharField(label=_("驻地地点"), max_length=200)


class StationLogForm(PortalForm):
    id_prefix = "stationlog"

    stationing = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(label=_("日期"), widget=DateInput())
    text = forms.CharField(label=_("督导日志"), widget=forms.Textarea(attrs={"rows": 3}))


class ReferralForm(PortalForm):
    id_prefix = "referral"

    referral = forms.IntegerField(widget=forms.HiddenInput)
    recipient = forms.CharField(label=_("提请对象（当地党委、政府）"), max_length=200)
    problem = forms.TypedChoiceField(label=_("追责记在问题"), coerce=int)
    person_name = forms.CharField(label=_("被问责人"), max_length=64)
    post = forms.CharField(label=_("职务"), max_length=64)
    measure = forms.ChoiceField(label=_("问责方式"), choices=Accountability.Measure.choices)
    decided_by = forms.CharField(label=_("决定机关"), max_length=100)
    decided_on = forms.DateField(label=_("决定日期"), widget=DateInput())

    def __init__(self, *args, problems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = [(p.pk, f"{p.code} {p.title}") for p in problems]


class DismissForm(PortalForm):
    id_prefix = "dismiss"

    key = forms.CharField(widget=forms.HiddenInput, max_length=120)
    count = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(label=_("不予挂牌的理由"), widget=forms.Textarea(attrs={"rows": 2}))
