"""Forms of the problem pages. They parse input and limit choices to the user's subtree; the
rules themselves live in ``cases.services`` (a service's ValidationError lands on the field it
names through ``add_service_error``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import selectors
from cases.models import Accountability, Problem, Verification
from portal.regions.models import EnforcementDomain

OUT_OF_SCOPE = _("所选区划或单位不在您的管辖范围内，或不存在。")


def bootstrap(form: forms.BaseForm) -> None:
    """Bootstrap 5 classes on every widget, and aria-invalid on fields with errors."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        elif isinstance(widget, forms.HiddenInput):
            continue
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            classes.append(css)
        if form.is_bound and form._errors and name in form._errors:
            widget.attrs["aria-invalid"] = "true"
            if "is-invalid" not in classes:
                classes.append("is-invalid")
        widget.attrs["class"] = " ".join(classes)


def add_service_error(form: forms.BaseForm, error: ValidationError, field: str | None = None) -> None:
    """Put a service's ValidationError on the fields it names (unknown names: the whole form;
    an error without names: ``field``)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)
    bootstrap(form)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PortalForm(forms.Form):
    # Element ids start with this, so several forms can share the detail page.
    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def full_clean(self):
        super().full_clean()
        bootstrap(self)


def _category_choices():
    """Categories grouped under their class (the five classes, 三乱, 八不准, 六严禁 ...)."""
    rows = list(selectors.categories())
    children: dict[int, list] = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    choices: list = [("", "---------")]
    for row in rows:
        if row.parent_id:
            continue
        kids = children.get(row.pk)
        if kids:
            choices.append(
                (row.name, [(row.pk, _("%(name)s（总类）") % {"name": row.name})] + [(k.pk, k.name) for k in kids])
            )
        else:
            choices.append((row.pk, row.name))
    return choices


class ProblemRegisterForm(PortalForm):
    title = forms.CharField(label=_("问题标题"), max_length=200)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ModelChoiceField(label=_("问题类别"), queryset=selectors.categories())
    source = forms.ChoiceField(label=_("发现渠道"), choices=Problem.Source.choices)
    severity = forms.ChoiceField(
        label=_("严重程度"), choices=Problem.Severity.choices, initial=Problem.Severity.GENERAL
    )
    region = forms.ModelChoiceField(label=_("所属区划"), queryset=None, error_messages={"invalid_choice": OUT_OF_SCOPE})
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=None, error_messages={"invalid_choice": OUT_OF_SCOPE})
    domain = forms.ModelChoiceField(label=_("执法领域"), queryset=EnforcementDomain.objects.filter(active=True))
    is_key = forms.BooleanField(label=_("重点问题"), required=False)
    first_responsible = forms.CharField(label=_("第一责任人"), max_length=64, required=False)
    deputy_in_charge = forms.CharField(label=_("分管领导"), max_length=64, required=False)
    handling_department = forms.CharField(label=_("承办部门"), max_length=64, required=False)
    found_on = forms.DateField(label=_("发现日期"), widget=DateInput(), required=False)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = selectors.regions_for(user)
        self.fields["region"].label_from_instance = lambda region: f"{region.code} {region.name}"
        # The unit list follows the region (htmx swaps the <option>s).
        self.fields["region"].widget.attrs.update(
            {"hx-get": reverse("cases:unit-options"), "hx-target": "#id_unit", "hx-trigger": "change"}
        )
        # Any unit in the subtree is acceptable; the list shown follows the chosen region.
        self.fields["unit"].queryset = selectors.units_for(user)
        self.fields["category"].widget.choices = _category_choices()
        if not self.is_bound:
            self.initial.setdefault("region", user.region_id)
            self.initial.setdefault("found_on", timezone.localdate())

    def selected_region(self) -> str | None:
        value = self.data.get("region") if self.is_bound else self.initial.get("region")
        return str(value) if value else None

    def narrow_units(self) -> None:
        """Before rendering: offer the units of the chosen region only (htmx swaps the list
        when the region changes)."""
        self.fields["unit"].queryset = selectors.units_for(self.user, self.selected_region() or self.user.region_id)


class TransitionForm(PortalForm):
    move = forms.CharField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    new_deadline = forms.DateField(label=_("新整改期限"), widget=DateInput(), required=False)
    # Set by the confirmation page of moves that ask for one (submit, verify_pass).
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)


def transition_form(move, problem, data=None) -> TransitionForm:
    """The form of one move, with its own element ids (several sit on one page) and the
    version the page shows (the compare-and-swap's expected version)."""
    form = TransitionForm(
        data, initial={"move": move.name, "expected_version": problem.version}, auto_id=f"mv-{move.name}-%s"
    )
    form.fields["reason"].widget.attrs["required"] = move.needs_reason
    form.fields["new_deadline"].widget.attrs["required"] = move.needs_deadline
    if move.needs_deadline:
        form.fields["new_deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
    return form


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ProgressForm(PortalForm):
    id_prefix = "progress"

    note = forms.CharField(label=_("整改进展"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(
        label=_("佐证材料"),
        required=False,
        help_text=_("可选多个文件：图片（JPG、PNG）、PDF、Word、Excel；类型按文件内容检查。"),
    )


class VerificationForm(PortalForm):
    id_prefix = "verif"

    method = forms.ChoiceField(label=_("核查方式"), choices=Verification.Method.choices, widget=forms.RadioSelect)
    verified_on = forms.DateField(label=_("核查日期"), widget=DateInput())
    verifiers = forms.CharField(label=_("核查人员"), max_length=200, help_text=_("多人以顿号分隔"))
    findings = forms.CharField(label=_("核查发现"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(
        label=_("核查佐证材料"),
        required=False,
        help_text=_("现场照片、核查笔录等：图片（JPG、PNG）、PDF、Word、Excel。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("verified_on", timezone.localdate())
        self.fields["verified_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class PlanForm(PortalForm):
    id_prefix = "plan"

    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 4}))
    route_map = forms.CharField(label=_("路线图"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class MilestoneForm(PortalForm):
    title = forms.CharField(label=_("节点"), max_length=200, required=False)
    due_on = forms.DateField(label=_("计划完成日期"), widget=DateInput(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("due_on"):
            self.add_error("due_on", _("请填写该节点的计划完成日期。"))
        if data.get("due_on") and not data.get("title"):
            self.add_error("title", _("请填写节点名称。"))
        return data


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=0, max_num=30, absolute_max=30)


def milestone_formset(data=None, *, milestones=()):
    initial = [{"title": m.title, "due_on": m.due_on} for m in milestones]
    formset = MilestoneFormSet(data, initial=initial, prefix="ms")
    if data is None:
        formset.extra = 2 if initial else 3
    return formset


class ExtensionRequestForm(PortalForm):
    id_prefix = "ext"

    requested_deadline = forms.DateField(label=_("申请延期至"), widget=DateInput())
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionDecideForm(PortalForm):
    id_prefix = "decide"

    DECISIONS = (("approve", _("批准延期")), ("refuse", _("不予批准")))

    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("审批结果"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AccountabilityForm(PortalForm):
    id_prefix = "acc"

    unit = forms.ModelChoiceField(label=_("所在单位"), queryset=None, error_messages={"invalid_choice": OUT_OF_SCOPE})
    person_name = forms.CharField(label=_("姓名"), max_length=64)
    post = forms.CharField(label=_("职务"), max_length=64)
    measure = forms.ChoiceField(label=_("问责方式"), choices=Accountability.Measure.choices)
    decided_by = forms.CharField(label=_("决定机关"), max_length=100)
    decided_on = forms.DateField(label=_("决定日期"), widget=DateInput())
    discipline_breach = forms.BooleanField(label=_("违反执法纪律（八不准、六严禁）"), required=False)
    serious = forms.BooleanField(label=_("情节严重或恶劣"), required=False)

    def __init__(self, *args, user, problem=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The units of the problem's region and of the regions above it, within the user's scope.
        units = selectors.units_for(user)
        if problem is not None:
            units = units.filter(region__in=problem.region.ancestor_codes)
        self.fields["unit"].queryset = units
        if problem is not None and not self.is_bound:
            self.initial.setdefault("unit", problem.unit_id)
            self.initial.setdefault("decided_on", timezone.localdate())


class DisclosureForm(PortalForm):
    id_prefix = "disc"

    title = forms.CharField(label=_("公开标题"), max_length=200)
    summary = forms.CharField(
        label=_("处理结果"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("将在公开页面发布：不得含有姓名、手机号、身份证号、车牌号等个人信息。"),
    )
