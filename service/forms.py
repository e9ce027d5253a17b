"""Forms of service-oriented enforcement: choices limited to the user's subtree; the rules
themselves live in ``service.services`` (a form only shapes the input)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import DateInput, MultipleFileField, PortalForm
from portal.accounts.capabilities import Cap
from portal.accounts.models import User
from portal.accounts.scoping import subtree_q
from portal.regions.models import Region, Unit
from service.models import Assignment, Enterprise, LeaderContact, Meeting, ServiceRecord, Visit


def _regions(user):
    return Region.objects.divisions().filter(subtree_q(user, "code")).order_by("path")


def _leaders(user):
    return User.objects.filter(
        is_active=True, pk__in=LeaderContact.objects.visible_to(user, Cap.VIEW_RECORDS).values("user")
    ).order_by("region_id", "username")


def _own_leader(form, user) -> None:
    """A leader's own form has no leader to choose: the view logs for the reader itself."""
    del form.fields["leader"]


def _stations(user):
    return Unit.objects.visible_to(user, None).filter(kind=Unit.Kind.STATION, active=True).order_by("region_id", "name")


class EnterpriseForm(PortalForm):
    id_prefix = "ent"
    name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=24)
    kind = forms.ChoiceField(label=_("类型"), choices=Enterprise.Kind.choices)
    size = forms.ChoiceField(label=_("规模"), choices=Enterprise.Size.choices)
    region = forms.ModelChoiceField(label=_("所属区划"), queryset=Region.objects.none())
    reason = forms.CharField(
        label=_("校验未通过的确认理由"),
        max_length=200,
        required=False,
        help_text=_("仅当代码校验位不符且确为早期试点地区核发的代码时填写，如“2015年试点地区核发，见营业执照”。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)


class LeaderForm(PortalForm):
    id_prefix = "ldr"
    user = forms.ModelChoiceField(label=_("账号"), queryset=User.objects.none())
    post = forms.CharField(label=_("职务"), max_length=64)
    phone = forms.CharField(label=_("公开联系电话"), max_length=20, required=False)
    published = forms.BooleanField(label=_("向联系企业公开此电话"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True).filter(subtree_q(user, "region")).order_by("username")
        )


class AssignmentForm(PortalForm):
    id_prefix = "asg"
    leader = forms.ModelChoiceField(label=_("领导"), queryset=User.objects.none())
    enterprise = forms.ModelChoiceField(label=_("联系企业"), queryset=Enterprise.objects.none(), required=False)
    station = forms.ModelChoiceField(label=_("联系站所"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, user, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        if own:  # a leader logging its own visit: itself, its assigned enterprises
            _own_leader(self, user)
            self.fields["enterprise"].queryset = Enterprise.objects.filter(
                pk__in=Assignment.objects.filter(leader=user, enterprise__isnull=False).values("enterprise")
            ).order_by("name")
            return
        self.fields["leader"].queryset = _leaders(user)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user, Cap.VIEW_RECORDS).order_by("name")
        self.fields["station"].queryset = _stations(user)


class VisitForm(PortalForm):
    id_prefix = "vis"
    leader = forms.ModelChoiceField(label=_("领导"), queryset=User.objects.none())
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput())
    form = forms.ChoiceField(label=_("服务形式"), choices=Visit.Form.choices)
    notes = forms.CharField(label=_("走访情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    issues = forms.CharField(
        label=_("企业反映的问题"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("每行一个问题。"),
    )

    def __init__(self, *args, user, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        if own:  # a leader logging its own visit: itself, its assigned enterprises
            _own_leader(self, user)
            self.fields["enterprise"].queryset = Enterprise.objects.filter(
                pk__in=Assignment.objects.filter(leader=user, enterprise__isnull=False).values("enterprise")
            ).order_by("name")
            return
        self.fields["leader"].queryset = _leaders(user)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user, Cap.VIEW_RECORDS).order_by("name")


class IssueCloseForm(PortalForm):
    id_prefix = "iss"
    resolution = forms.CharField(label=_("解决情况"), max_length=500, required=False)
    problem_code = forms.CharField(label=_("或关联问题清单编号"), max_length=32, required=False)


class StationDayForm(PortalForm):
    id_prefix = "sd"
    leader = forms.ModelChoiceField(label=_("领导"), queryset=User.objects.none())
    station = forms.ModelChoiceField(label=_("驻点站所"), queryset=Unit.objects.none())
    day = forms.DateField(label=_("驻点日期"), widget=DateInput())
    officer_opinions = forms.CharField(
        label=_("收集的执法人员意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    public_opinions = forms.CharField(
        label=_("收集的群众意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        if own:  # a leader logging its own day: itself, its assigned stations
            _own_leader(self, user)
            self.fields["station"].queryset = Unit.objects.filter(
                pk__in=Assignment.objects.filter(leader=user, station__isnull=False).values("station")
            ).order_by("region_id", "name")
            return
        self.fields["leader"].queryset = _leaders(user)
        self.fields["station"].queryset = _stations(user)


class RecordForm(PortalForm):
    id_prefix = "rec"
    kind = forms.ChoiceField(label=_("类别"), choices=ServiceRecord.Kind.choices)
    title = forms.CharField(label=_("名称"), max_length=128)
    region = forms.ModelChoiceField(label=_("所属区划"), queryset=Region.objects.none())
    unit = forms.ModelChoiceField(label=_("站所/单位"), queryset=Unit.objects.none(), required=False)
    held_on = forms.DateField(label=_("日期"), widget=DateInput(), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=ServiceRecord.Status.choices, initial=ServiceRecord.Status.IN_USE
    )
    has_shower = forms.BooleanField(label=_("淋浴"), required=False)
    has_rest = forms.BooleanField(label=_("休息"), required=False)
    has_water = forms.BooleanField(label=_("饮水"), required=False)
    participants = forms.IntegerField(label=_("参加人数"), min_value=0, required=False)
    media = forms.CharField(label=_("媒体报道"), max_length=200, required=False)
    notes = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    photos = MultipleFileField(label=_("照片（JPG、PNG）"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)
        self.fields["unit"].queryset = (
            Unit.objects.visible_to(user, None).filter(active=True).order_by("region_id", "name")
        )


class ImportForm(PortalForm):
    id_prefix = "imp"
    file = forms.FileField(label=_("企业名录（.xlsx）"))
    commit = forms.BooleanField(label=_("检查无误后导入"), required=False)


class ContactLookupForm(forms.Form):
    q = forms.CharField(
        label=_("企业全称或统一社会信用代码"),
        max_length=128,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "organization"}),
    )


class MeetingForm(PortalForm):
    id_prefix = "mtg"
    kind = forms.ChoiceField(label=_("类别"), choices=Meeting.Kind.choices)
    subject = forms.CharField(label=_("议题"), max_length=200)
    held_on = forms.DateField(label=_("会议日期"), widget=DateInput())
    departments = forms.CharField(label=_("参加部门"), max_length=300)
    region = forms.ModelChoiceField(label=_("所属区划"), queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)


class DecisionForm(PortalForm):
    id_prefix = "dec"
    text = forms.CharField(label=_("议定事项"), max_length=500)
    responsible = forms.CharField(label=_("责任部门"), max_length=100)
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput())


class DecisionDoneForm(PortalForm):
    id_prefix = "done"
    note = forms.CharField(label=_("落实情况"), max_length=500)
