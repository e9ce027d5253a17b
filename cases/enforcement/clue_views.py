"""Pages of issue 19: the clue queue (filters by rule, unit and state), one clue with its
figures and cases and the accept / dismiss forms, the exemption list and benchmarks with their
versions (staff), and the list in force on the public site (no login)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.enforcement import clue_selectors as selectors
from cases.enforcement.clue_models import OFFICIAL_LIST_SIZE, Clue, ClueRule
from cases.enforcement.clue_services import clue_accept, clue_dismiss, clue_may_handle
from cases.enforcement.clues import RULES
from cases.models import Category, Problem
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain, Region, Unit

PAGE_SIZE = 30
CONFLICT_MESSAGE = gettext_lazy("该线索已被他人处理，页面已刷新为最新状态。")
# the problem category a clue of each rule is proposed under (the staff may choose another)
DEFAULT_CATEGORY = {"station_fine": "lyj-directfine"}


class ClueFilterForm(forms.Form):
    rule = forms.ChoiceField(label=gettext_lazy("规则"), required=False)
    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none(), required=False)
    region = forms.ModelChoiceField(
        label=gettext_lazy("区划"), queryset=Region.objects.none(), to_field_name="code", required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), choices=[("", gettext_lazy("全部")), *Clue.Status.choices], required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("全部")), *((code, spec.name) for code, spec in RULES.items())]
        # any unit of the reader's subtree (a dashboard of a unit links here with its pk)
        self.fields["unit"].queryset = Unit.objects.visible_to(user, None).filter(active=True).order_by("name")
        regions = Region.objects.subtree_of(user.region) if user.region_id else Region.objects.none()
        self.fields["region"].queryset = regions.order_by("code")
        for name, field in self.fields.items():
            field.widget.attrs.update({"class": "form-select form-select-sm", "id": f"f-{name}"})


class AcceptForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    category = forms.ModelChoiceField(
        label=gettext_lazy("问题类别"), queryset=Category.objects.filter(parent__isnull=False).order_by("code")
    )
    domain = forms.ModelChoiceField(label=gettext_lazy("执法领域"), queryset=EnforcementDomain.objects.all())
    severity = forms.ChoiceField(label=gettext_lazy("严重程度"), choices=Problem.Severity.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("category", "domain", "severity"):
            self.fields[name].widget.attrs.update({"class": "form-select form-select-sm", "id": f"accept-{name}"})


class DismissForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=gettext_lazy("排除理由"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm", "id": "dismiss-note"}),
        max_length=2000,
    )


def clues_for_query(user, form: ClueFilterForm):
    """The clues the queue lists for its filter form: none for filters it cannot read (the
    form shows what is wrong), never the unfiltered queue in their place."""
    if not form.is_bound:
        return selectors.clues_visible_to(user)
    if not form.is_valid():
        return Clue.objects.none()
    data = form.cleaned_data
    return selectors.clues_visible_to(
        user,
        rule=data["rule"],
        unit=data["unit"].pk if data["unit"] else None,
        status=data["status"],
        region=data["region"],
    )


@needs(Cap.VIEW_RECORDS, model=Clue)
def clue_list(request):
    form = ClueFilterForm(request.GET or None, user=request.user)
    qs = clues_for_query(request.user, form)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/enforcement/clue_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "by_rule": selectors.clue_counts_by_rule(request.user),
        },
    )


def _detail_context(request, clue, accept_form=None, dismiss_form=None):
    initial = {"expected_version": clue.version}
    category = Category.objects.filter(code=DEFAULT_CATEGORY.get(clue.rule.code, "")).first()
    domain = EnforcementDomain.objects.filter(code="highway").first()
    return {
        "clue": clue,
        "spec": RULES.get(clue.rule.code),
        "figures": sorted(clue.figures.items()),
        "cases": selectors.clue_cases(request.user, clue),
        "may_handle": clue.status == Clue.Status.OPEN and clue_may_handle(request.user, clue),
        "accept_form": accept_form
        or AcceptForm(initial={**initial, "category": category, "domain": domain, "severity": "general"}),
        "dismiss_form": dismiss_form or DismissForm(initial=initial),
    }


@needs(Cap.VIEW_RECORDS, model=Clue)
def clue_detail(request, pk):
    clue = selectors.clue_for_detail(request.user, pk)
    return render(request, "cases/enforcement/clue_detail.html", _detail_context(request, clue))


def _handle(request, pk, form_class, action):
    clue = selectors.clue_for_detail(request.user, pk)  # out of scope: 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = form_class(request.POST)
    forms_ = {"accept_form": None, "dismiss_form": None}
    forms_["accept_form" if form_class is AcceptForm else "dismiss_form"] = form
    if form.is_valid():
        try:
            action(clue, form.cleaned_data)
        except ConflictError as exc:
            messages.warning(request, str(exc) or CONFLICT_MESSAGE)
            fresh = selectors.clue_for_detail(request.user, pk)
            return render(request, "cases/enforcement/clue_detail.html", _detail_context(request, fresh), status=409)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("您无权处理该线索。"))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return redirect("enforcement_cases:clue", pk=clue.pk)
    return render(request, "cases/enforcement/clue_detail.html", _detail_context(request, clue, **forms_), status=400)


@needs(Cap.VIEW_RECORDS, model=Clue)
def clue_accept_view(request, pk):
    def action(clue, data):
        done = clue_accept(
            actor=request.user,
            clue_id=clue.pk,
            category=data["category"],
            domain=data["domain"],
            severity=data["severity"],
            expected_version=data["expected_version"],
        )
        messages.success(request, _("已转为问题 %(code)s。") % {"code": done.problem.code})

    return _handle(request, pk, AcceptForm, action)


@needs(Cap.VIEW_RECORDS, model=Clue)
def clue_dismiss_view(request, pk):
    def action(clue, data):
        clue_dismiss(actor=request.user, clue_id=clue.pk, note=data["note"], expected_version=data["expected_version"])
        messages.success(request, _("已排除该线索。"))

    return _handle(request, pk, DismissForm, action)


def _rule_rows():
    rows = []
    for rule in ClueRule.objects.order_by("code"):
        spec = RULES.get(rule.code)
        if spec is None:
            continue
        labels = {p.name: p.label for p in spec.params}
        params = [(labels.get(k, k), v) for k, v in (rule.params or {}).items()]
        rows.append({"rule": rule, "params": params})
    return rows


@needs(Cap.VIEW_RECORDS)
def exemption_list(request):
    """The exemption list and benchmarks with every version, and the rules with their thresholds."""
    in_force = selectors.exemptions_in_force()
    return render(
        request,
        "cases/enforcement/exemptions.html",
        {
            "today": timezone.localdate(),
            "in_force": in_force,
            "missing": max(OFFICIAL_LIST_SIZE - len(in_force), 0),
            "official_size": OFFICIAL_LIST_SIZE,
            "versions": selectors.exemption_versions(),
            "benchmarks": selectors.benchmark_versions(),
            "rules": _rule_rows(),
        },
    )


@public
def public_exemptions(request):
    """The list in force today, for the public (no login): items, basis, conditions, dates."""
    in_force = selectors.exemptions_in_force()
    return render(
        request,
        "cases/enforcement/public_exemptions.html",
        {
            "today": timezone.localdate(),
            "in_force": in_force,
            "missing": max(OFFICIAL_LIST_SIZE - len(in_force), 0),
            "official_size": OFFICIAL_LIST_SIZE,
        },
    )
