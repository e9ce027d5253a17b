"""Forms of the complaint pages. They validate input and offer choices limited to what the user
may see; the services hold the rules."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from cases.models import Category
from complaints.api.serializers import valid_id_number, valid_phone, valid_plate
from complaints.models import STAFF_CHANNELS, Area, Kind, Reply, Satisfaction, VolunteerSupervisor
from complaints.transitions import MOVES
from portal.accounts.scoping import subtree_q
from portal.regions.models import Region, Unit

region_code = RegexValidator(r"^[0-9]{6}$", _("请选择区划。"))


def _checked(validator, value):
    from rest_framework.exceptions import ValidationError as DRFValidationError

    try:
        return validator(value)
    except DRFValidationError as exc:
        raise forms.ValidationError(exc.detail) from None


def region_choices(user=None, *, blank=True):
    """Cities and counties (and the province), limited to the user's subtree when given."""
    regions = Region.objects.divisions().order_by("path")
    if user is not None:
        regions = regions.filter(subtree_q(user, "code"))
    choices = [("", "—")] if blank else []
    for code, name, level in regions.values_list("code", "name", "level"):
        indent = {"province": "", "city": "　", "county": "　　"}.get(level, "")
        choices.append((code, f"{indent}{name}"))
    return choices


def category_choices():
    choices = [("", _("（无）"))]
    for pk, name, parent in Category.objects.filter(active=True).values_list("pk", "name", "parent__name"):
        choices.append((str(pk), f"{parent} / {name}" if parent else name))
    return choices


class Styled:
    """Bootstrap classes on every widget (the templates render fields with _field.html)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.HiddenInput, forms.CheckboxInput)):
                widget.attrs.setdefault("class", "form-check-input" if isinstance(widget, forms.CheckboxInput) else "")
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


class ComplaintFieldsMixin:
    """Checks shared by the operator's and the public form."""

    def clean_phone(self):
        return _checked(valid_phone, self.cleaned_data.get("phone", ""))

    def clean_id_number(self):
        return _checked(valid_id_number, self.cleaned_data.get("id_number", ""))

    def clean_plate(self):
        return _checked(valid_plate, self.cleaned_data.get("plate", ""))


class OperatorComplaintForm(Styled, ComplaintFieldsMixin, forms.Form):
    """The hotline operator's entry form: the caller's phone first (it is on the screen), then who
    and what; sensible defaults for the rest. Ctrl+Enter saves, and "save and next" starts over."""

    phone = forms.CharField(label=_("来电号码"), max_length=32, required=False)
    complainant_name = forms.CharField(label=_("投诉人"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices, initial=Kind.COMPLAINT)
    area = forms.ChoiceField(label=_("业务领域"), choices=Area.choices, initial=Area.ROAD_TRANSPORT)
    region = forms.ChoiceField(label=_("区划"), validators=[region_code])
    subject = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("诉求内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    category = forms.TypedChoiceField(label=_("问题类别"), coerce=int, required=False, empty_value=None)
    unit = forms.ModelChoiceField(label=_("被投诉单位"), queryset=Unit.objects.none(), required=False)
    plate = forms.CharField(label=_("车牌号"), max_length=16, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=24, required=False)
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    incident_on = forms.DateField(label=_("发生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[(c.value, c.label) for c in STAFF_CHANNELS], initial="operator"
    )
    volunteer = forms.ModelChoiceField(
        label=_("义务监督员"), queryset=VolunteerSupervisor.objects.none(), required=False
    )
    source_name = forms.CharField(label=_("来源媒体/平台"), max_length=100, required=False)
    source_url = forms.URLField(label=_("来源链接"), max_length=500, required=False, assume_scheme="https")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(user)
        self.fields["region"].initial = user.region_id
        self.fields["category"].choices = category_choices()
        self.fields["unit"].queryset = (
            Unit.objects.visible_to(user, None)
            .filter(active=True)
            .select_related("region")
            .order_by("region_id", "name")
        )
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.region.name} {unit.name}"
        self.fields["volunteer"].queryset = VolunteerSupervisor.objects.visible_to(user).filter(active=True)
        self.fields["volunteer"].label_from_instance = lambda v: f"{v.number} {v.organisation}"
        self.fields["phone"].widget.attrs.update({"autofocus": True, "inputmode": "tel", "autocomplete": "off"})
        for name in ("phone", "plate", "subject", "description", "region", "area"):
            self.fields[name].widget.attrs["data-duplicates"] = "1"

    def clean(self):
        data = super().clean()
        if data.get("channel") == "volunteer" and not data.get("volunteer"):
            self.add_error("volunteer", _("义务监督员渠道请选择监督员。"))
        if data.get("channel") in ("media", "opinion") and not (data.get("source_name") or data.get("source_url")):
            self.add_error("source_name", _("媒体和舆情线索请填写来源。"))
        return data


class PublicComplaintForm(Styled, ComplaintFieldsMixin, forms.Form):
    """The public web form: no login, no outside captcha. ``website`` is a honeypot (hidden from
    people, filled by bots); ``form_token`` makes a resubmitted form find the first submission."""

    kind = forms.ChoiceField(
        label=_("类别"), choices=[c for c in Kind.choices if c[0] != Kind.NOT_OURS], initial=Kind.COMPLAINT
    )
    area = forms.ChoiceField(label=_("业务领域"), choices=Area.choices, initial=Area.ROAD_TRANSPORT)
    region = forms.ChoiceField(label=_("发生地（县区）"), validators=[region_code])
    subject = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("具体内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    incident_on = forms.DateField(label=_("发生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    plate = forms.CharField(label=_("涉及车牌号"), max_length=16, required=False)
    complainant_name = forms.CharField(label=_("您的姓名"), max_length=64, required=False)
    phone = forms.CharField(
        label=_("您的手机号"),
        max_length=32,
        help_text=_("用于回访和查询办理进度（查询时需填写后四位），不会公开。"),
        error_messages={"required": _("请填写手机号。")},
    )
    volunteer_number = forms.CharField(label=_("义务监督员编号（如有）"), max_length=20, required=False)
    website = forms.CharField(label=_("网址"), max_length=200, required=False)
    form_token = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices()
        self.fields["form_token"].initial = uuid.uuid4().hex
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean_phone(self):
        phone = super().clean_phone()
        if not phone:
            raise forms.ValidationError(_("请填写手机号。"))
        return phone

    def clean_form_token(self):
        token = self.cleaned_data["form_token"]
        if not token.isalnum():
            raise forms.ValidationError(_("表单已失效，请刷新页面后重新提交。"))
        return token


class TrackForm(Styled, forms.Form):
    tracking_number = forms.CharField(label=_("受理编号"), max_length=20)
    phone_last4 = forms.RegexField(
        label=_("手机号后四位"), regex=r"^[0-9]{4}$", max_length=4, error_messages={"invalid": _("请填写 4 位数字。")}
    )


class MoveForm(Styled, forms.Form):
    """One workflow move; which of the fields it needs depends on the move."""

    move = forms.ChoiceField(choices=[(name, spec.label) for name, spec in MOVES.items()], widget=forms.HiddenInput)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("内容 / 理由"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit = forms.ModelChoiceField(label=_("改派给"), queryset=Unit.objects.none(), required=False)
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=[("", "—"), *Satisfaction.choices], required=False)
    reply_method = forms.ChoiceField(
        label=_("答复方式"), choices=Reply.Method.choices, initial=Reply.Method.PHONE, required=False
    )

    def clean_reply_method(self):
        return self.cleaned_data.get("reply_method") or Reply.Method.PHONE

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Unit.objects.visible_to(user, None)
            .filter(active=True)
            .select_related("region")
            .order_by("region_id", "name")
        )
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.region.name} {unit.name}"


class ExtensionForm(Styled, forms.Form):
    reason = forms.CharField(label=_("延期理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionDecisionForm(Styled, forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审批"), choices=[("1", _("批准")), ("0", _("不予批准"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("审批意见"), max_length=5000, required=False)


class MergeForm(Styled, forms.Form):
    into = forms.CharField(label=_("并入受理编号"), max_length=20)
    reason = forms.CharField(label=_("说明"), max_length=2000, required=False)


class RaiseProblemForm(Styled, forms.Form):
    title = forms.CharField(label=_("问题标题"), max_length=200)
    category = forms.TypedChoiceField(label=_("问题类别"), coerce=int, required=False, empty_value=None)
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=[("general", _("一般")), ("serious", _("较重")), ("grave", _("严重"))]
    )
    also = forms.CharField(label=_("同一问题的其他投诉（受理编号，逗号分隔）"), max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    def clean_also(self):
        raw = self.cleaned_data.get("also", "")
        numbers = [n.strip().upper() for n in raw.replace("，", ",").split(",") if n.strip()]
        if len(numbers) > 200:
            raise forms.ValidationError(_("一次最多 200 件。"))
        return numbers


class RoutingRuleForm(Styled, forms.Form):
    region = forms.ChoiceField(label=_("区划"), validators=[region_code])
    area = forms.ChoiceField(label=_("业务领域"), choices=[("", _("全部领域")), *Area.choices], required=False)
    unit = forms.ModelChoiceField(label=_("承办单位"), queryset=Unit.objects.none())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(user)
        self.fields["unit"].queryset = (
            Unit.objects.visible_to(user, None)
            .filter(active=True)
            .select_related("region")
            .order_by("region_id", "name")
        )
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.region.name} {unit.name}"


class VolunteerForm(Styled, ComplaintFieldsMixin, forms.Form):
    number = forms.CharField(label=_("编号"), max_length=20)
    name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(label=_("手机号"), max_length=32)
    organisation = forms.CharField(label=_("单位/职业"), max_length=100, required=False)
    region = forms.ChoiceField(label=_("所属区划"), validators=[region_code])
    term_ends_on = forms.DateField(
        label=_("聘期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(user)
        self.fields["region"].initial = user.region_id
