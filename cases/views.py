"""Pages of the problem list: the filterable list, "my rectifications", registering, the
detail page with its action forms, evidence download, and the public disclosure pages.

Views parse, call a service or a selector, and render; the rules live in ``cases.services``.
Every route declares its access (``needs``/``public``) and reads through ``cases.selectors``,
so another region's problem answers exactly like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from cases import requirements, selectors, services
from cases.forms import (
    AccountabilityForm,
    DisclosureForm,
    ExtensionDecideForm,
    ExtensionRequestForm,
    PlanForm,
    ProblemRegisterForm,
    ProgressForm,
    TransitionForm,
    VerificationForm,
    add_service_error,
    milestone_formset,
    transition_form,
)
from cases.models import Evidence, ExtensionRequest, Problem, Verification
from cases.transitions import MOVES
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap, has_cap
from portal.core.api import ConflictError

PAGE_SIZE = 20
MINE_PAGE_SIZE = 50
CONFLICT_MESSAGE = _("该问题已被他人处理，页面已刷新为最新状态，请确认后再操作。")

# What the responsible team does next, by state ("我的整改").
NEXT_STEPS = {
    Problem.Status.REGISTERED: _("等待交办"),
    Problem.Status.ASSIGNED: _("制定方案并开始整改"),
    Problem.Status.RECTIFYING: _("报送进展，完成后提交核查"),
    Problem.Status.SUBMITTED: _("等待上级核查"),
}


def _partial(request) -> bool:
    """An htmx request that swaps part of the page (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


# --- the list -------------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=Problem)
def index(request):
    partial = _partial(request)
    # The full page's region choices first: that query also reads the user's own region.
    regions = [] if partial else selectors.region_choices(request.user)
    filterset, queryset = selectors.problems_filtered(request.user, request.GET, request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filterset": filterset,
        "filters": {name: request.GET.get(name, "") for name in [*filterset.filters, "o"]},
        "today": timezone.localdate(),
    }
    if partial:
        return render(request, "cases/_problem_results.html", context)
    context.update(
        regions=regions,
        categories=selectors.categories(),
        statuses=Problem.Status.choices,
        can_register=has_cap(request.user, Cap.EDIT_RECORDS),
    )
    return render(request, "cases/problem_list.html", context)


@needs(Cap.VIEW_RECORDS, model=Problem)
def mine(request):
    """A county officer's "我的整改": open problems of their region (or unit), overdue first,
    with what is due next."""
    unit_only = bool(request.GET.get("unit")) and bool(request.user.unit_id)
    today = timezone.localdate()
    page = Paginator(selectors.my_rectifications(request.user, unit_only=unit_only), MINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for problem in page:
        problem.days_left = (problem.deadline - today).days if problem.deadline else None
        problem.days_overdue = -problem.days_left if problem.days_left is not None else None
        problem.next_step = NEXT_STEPS.get(problem.status, "")
    return render(
        request,
        "cases/mine.html",
        {
            "page": page,
            "counts": selectors.my_rectification_counts(request.user, unit_only=unit_only),
            "unit_only": unit_only,
            "has_unit": bool(request.user.unit_id),
            "today": today,
        },
    )


# --- registering ------------------------------------------------------------------------------


@needs(Cap.EDIT_RECORDS)
def register(request):
    form = ProblemRegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_register(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("问题 %(code)s 已登记。") % {"code": problem.code})
            return redirect("cases:detail", pk=problem.pk)
    form.narrow_units()
    return render(request, "cases/problem_form.html", {"form": form})


@needs(Cap.EDIT_RECORDS)
def unit_options(request):
    """The <option>s of the units of one region in the user's subtree (the register form swaps
    them in when the region changes)."""
    region = (request.GET.get("region") or "").strip()[:6]
    units = selectors.units_for(request.user, region) if region else []
    return render(request, "cases/_unit_options.html", {"units": units})


# --- one problem ---------------------------------------------------------------------------------


def _move_entries(problem: Problem, moves, parts: dict | None = None, forms: dict | None = None) -> list[dict]:
    """Each move the user may make with its form and what it still needs (``unmet``: the
    checks of ``cases.requirements``, with links to where each is filled in)."""
    forms = forms or {}
    if not moves:
        return []
    rules = requirements.active_rules()
    facts = requirements.facts_from_parts(problem, parts) if parts is not None else None
    entries = []
    for move in moves:
        needed = requirements.needed_checks(rules, move.name, severity=problem.severity, is_key=problem.is_key)
        if needed and facts is None:
            facts = requirements.facts_for(problem)
        entries.append(
            {
                "move": move,
                "form": forms.get(f"move_{move.name}") or transition_form(move, problem),
                "unmet": requirements.unmet_of(rules, move.name, facts) if needed else [],
            }
        )
    return entries


def _detail_context(request, problem: Problem, **forms) -> dict:
    user = request.user
    parts = selectors.problem_detail_parts(problem)
    can_edit = has_cap(user, Cap.EDIT_RECORDS)
    can_verify = has_cap(user, Cap.VERIFY)
    level_above = can_verify and services.is_level_above(user, problem)
    moves = services.allowed_moves(user, problem)
    pending = parts["pending_extension"]
    context = {
        "problem": problem,
        **parts,
        "today": timezone.localdate(),
        "moves": _move_entries(problem, moves, parts, forms),
        "can_edit": can_edit,
        "can_verify": can_verify,
        "can_record_verification": level_above and problem.status == Problem.Status.SUBMITTED,
        "can_decide": level_above and pending is not None,
        "can_progress": can_edit and problem.is_open,
        "can_request_extension": can_edit
        and problem.status in (Problem.Status.ASSIGNED, Problem.Status.RECTIFYING)
        and pending is None,
        "can_disclose": can_verify and problem.status == Problem.Status.CLOSED,
        "can_export": has_cap(user, Cap.EXPORT_RECORDS),
    }
    if can_edit:
        context["progress_form"] = forms.get("progress_form") or ProgressForm()
        context["plan_form"] = forms.get("plan_form") or PlanForm(
            initial={"measures": parts["plan"].measures, "route_map": parts["plan"].route_map}
            if parts["plan"]
            else None
        )
        context["milestone_formset"] = forms.get("milestone_formset") or milestone_formset(
            milestones=parts["milestones"]
        )
        context["extension_form"] = forms.get("extension_form") or ExtensionRequestForm()
    if context["can_record_verification"]:
        context["verification_form"] = forms.get("verification_form") or VerificationForm()
    if context["can_decide"]:
        context["decide_form"] = forms.get("decide_form") or ExtensionDecideForm(initial={"extension": pending.pk})
    if can_verify:
        context["accountability_form"] = forms.get("accountability_form") or AccountabilityForm(
            user=user, problem=problem
        )
    if context["can_disclose"]:
        disclosure = parts["disclosure"]
        context["disclosure_form"] = forms.get("disclosure_form") or DisclosureForm(
            initial={"title": disclosure.title, "summary": disclosure.summary}
            if disclosure
            else {"title": problem.title}
        )
    return context


@needs(Cap.VIEW_RECORDS, model=Problem)
def detail(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    return render(request, "cases/problem_detail.html", _detail_context(request, problem))


def _to_detail(request, problem: Problem, anchor: str = ""):
    url = reverse("cases:detail", kwargs={"pk": problem.pk}) + (f"#{anchor}" if anchor else "")
    return HttpResponseClientRedirect(url) if _partial(request) else redirect(url)


def _action_page(request, problem: Problem, *, title: str, template: str, context: dict):
    """An action's own page: what GET shows, and what a POST with errors shows again."""
    return render(
        request,
        "cases/problem_action.html",
        {"problem": problem, "action_title": title, "action_template": template, **context},
    )


@needs(Cap.EDIT_RECORDS, model=Problem)
def transition(request, pk):
    """GET: the forms of the moves the user may make (``?move=`` one of them; for a move that
    asks for confirmation, its confirmation page with the summary of what is sent); POST: make
    one (compare-and-swap on the version the page showed: a stale one answers 409 and the page
    reloads). A confirmable move posted without ``confirmed`` shows its confirmation page."""
    problem = selectors.problem_for_detail(request.user, pk)
    form = None
    wanted = request.POST.get("move") or request.GET.get("move")
    spec = MOVES.get(wanted or "")
    if request.method == "POST":
        form = transition_form(spec, problem, request.POST) if spec else TransitionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if spec is not None and spec.confirm and not data["confirmed"] and not _partial(request):
                return _confirm_page(request, problem, spec, form)
            try:
                services.problem_transition(
                    actor=request.user,
                    problem_id=problem.pk,
                    move=data["move"],
                    expected_version=data["expected_version"],
                    reason=data["reason"],
                    new_deadline=data["new_deadline"],
                )
            except requirements.RequirementsUnmet as exc:
                form.add_error(None, str(exc))
            except ConflictError:
                return _conflict(request, pk)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已执行“%(label)s”。") % {"label": spec.label})
                return _to_detail(request, problem)
        if _partial(request) and spec:
            entry = _move_entries(problem, [spec], forms={f"move_{spec.name}": form})[0]
            return render(
                request,
                "cases/_transition_form.html",
                {"problem": problem, "move": spec, "form": form, "unmet": entry["unmet"]},
            )
    moves = services.allowed_moves(request.user, problem)
    if request.method == "GET" and spec is not None and spec.confirm and spec in moves:
        return _confirm_page(request, problem, spec, transition_form(spec, problem))
    chosen = [move for move in moves if not wanted or move.name == wanted]
    forms = {f"move_{wanted}": form} if form is not None and wanted else {}
    return _action_page(
        request,
        problem,
        title=_("办理"),
        template="cases/_transition_forms.html",
        context={"moves": _move_entries(problem, chosen, forms=forms)},
    )


def _confirm_page(request, problem: Problem, move, form):
    """Confirming a submission or a closing: what will be sent, and what is still missing."""
    parts = selectors.problem_detail_parts(problem)
    entry = _move_entries(problem, [move], parts, forms={f"move_{move.name}": form})[0]
    form.initial["confirmed"] = True
    return _action_page(
        request,
        problem,
        title=_("确认：%(label)s") % {"label": move.label},
        template="cases/_transition_confirm.html",
        context={
            **parts,
            "move": move,
            "form": form,
            "unmet": entry["unmet"],
            "pending_verifications": [v for v in parts["verifications"] if v.result == Verification.Result.PENDING],
            "today": timezone.localdate(),
        },
    )


def _conflict(request, pk):
    """Someone else moved the problem first: say so and show the fresh state (409)."""
    messages.warning(request, CONFLICT_MESSAGE)
    if _partial(request):
        response = HttpResponse(CONFLICT_MESSAGE, status=409, content_type="text/plain; charset=utf-8")
        response["HX-Refresh"] = "true"
        return response
    problem = selectors.problem_for_detail(request.user, pk)
    return render(request, "cases/problem_detail.html", _detail_context(request, problem), status=409)


@needs(Cap.EDIT_RECORDS, model=Problem)
def progress(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    form = ProgressForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_log(
                actor=request.user, problem=problem, note=form.cleaned_data["note"], files=form.cleaned_data["files"]
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="files")
        else:
            messages.success(request, _("整改进展已报送。"))
            return _to_detail(request, problem, "progress")
    return _action_page(
        request, problem, title=_("报送整改进展"), template="cases/_progress_form.html", context={"progress_form": form}
    )


@needs(Cap.EDIT_RECORDS, model=Problem)
def plan(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    current = getattr(problem, "plan", None)
    if request.method == "POST":
        form = PlanForm(request.POST)
        formset = milestone_formset(request.POST)
        if form.is_valid() and formset.is_valid():
            milestones = [
                (f.cleaned_data["title"], f.cleaned_data["due_on"]) for f in formset if f.cleaned_data.get("title")
            ]
            try:
                services.plan_set(
                    actor=request.user,
                    problem=problem,
                    measures=form.cleaned_data["measures"],
                    route_map=form.cleaned_data["route_map"],
                    milestones=sorted(milestones, key=lambda item: item[1]),
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("整改方案已保存。"))
                return _to_detail(request, problem, "plan")
    else:
        form = PlanForm(initial={"measures": current.measures, "route_map": current.route_map} if current else None)
        formset = milestone_formset(milestones=list(current.milestones.all()) if current else [])
    return _action_page(
        request,
        problem,
        title=_("整改方案"),
        template="cases/_plan_form.html",
        context={"plan_form": form, "milestone_formset": formset},
    )


@needs(Cap.EDIT_RECORDS, model=Problem)
def milestone_done(request, pk):
    """A milestone of the plan reported done today (the button beside it on the detail page)."""
    problem = selectors.problem_for_detail(request.user, pk)  # out of scope: 404 before anything
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        milestone_id = int(request.POST.get("milestone", ""))
    except ValueError:
        milestone_id = 0
    explaining = "explanation" in request.POST
    try:
        if explaining:
            milestone = services.milestone_explain(
                actor=request.user,
                problem=problem,
                milestone_id=milestone_id,
                explanation=request.POST.get("explanation", "")[:2000],
            )
        else:
            milestone = services.milestone_done(actor=request.user, problem=problem, milestone_id=milestone_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.info(request, str(exc))
    else:
        if explaining:
            messages.success(request, _("已说明时间节点“%(title)s”未完成的原因。") % {"title": milestone.title})
        else:
            messages.success(request, _("时间节点“%(title)s”已标记完成。") % {"title": milestone.title})
    return _to_detail(request, problem, "plan")


@needs(Cap.VERIFY, model=Problem)
def verification(request, pk):
    """The level above records how it verified (method, date, who, findings, evidence)."""
    problem = selectors.problem_for_detail(request.user, pk)
    form = VerificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_record(actor=request.user, problem=problem, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, field="files")
        else:
            messages.success(request, _("核查记录已保存。"))
            return _to_detail(request, problem, "verifications")
    return _action_page(
        request,
        problem,
        title=_("记录核查"),
        template="cases/_verification_form.html",
        context={"verification_form": form},
    )


@needs(Cap.EDIT_RECORDS, model=Problem)
def extension_request(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    form = ExtensionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_request(actor=request.user, problem=problem, **form.cleaned_data)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("延期申请已提交，等待上一级审批。"))
            return _to_detail(request, problem, "extensions")
    return _action_page(
        request, problem, title=_("申请延期"), template="cases/_extension_form.html", context={"extension_form": form}
    )


@needs(Cap.VERIFY, model=Problem)
def extension_decide(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    pending = problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING).first()
    form = ExtensionDecideForm(request.POST or None, initial={"extension": pending.pk} if pending else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if pending is None or data["extension"] != pending.pk:
            form.add_error(None, _("该延期申请已经审批或已不存在，请刷新页面。"))
        else:
            try:
                services.extension_decide(
                    actor=request.user,
                    extension_id=pending.pk,
                    approve=data["decision"] == "approve",
                    note=data["note"],
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("延期申请已审批。"))
                return _to_detail(request, problem, "extensions")
    return _action_page(
        request,
        problem,
        title=_("审批延期申请"),
        template="cases/_decide_form.html",
        context={
            "decide_form": form,
            "pending_extension": pending,
            "level_above": services.is_level_above(request.user, problem),
        },
    )


@needs(Cap.VERIFY, model=Problem)
def accountability(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    form = AccountabilityForm(request.POST or None, user=request.user, problem=problem)
    if request.method == "POST" and form.is_valid():
        try:
            services.accountability_record(actor=request.user, problem=problem, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("追责问责记录已保存。"))
            return _to_detail(request, problem, "accountability")
    return _action_page(
        request,
        problem,
        title=_("追责问责"),
        template="cases/_accountability_form.html",
        context={"accountability_form": form},
    )


@needs(Cap.VERIFY, model=Problem)
def disclosure(request, pk):
    problem = selectors.problem_for_detail(request.user, pk)
    current = getattr(problem, "disclosure", None)
    form = DisclosureForm(
        request.POST or None,
        initial={"title": current.title, "summary": current.summary} if current else {"title": problem.title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_publish(actor=request.user, problem=problem, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("处理结果已公开发布。"))
            return _to_detail(request, problem, "disclosure")
    return _action_page(
        request,
        problem,
        title=_("公开处理结果"),
        template="cases/_disclosure_form.html",
        context={"disclosure_form": form, "can_disclose": problem.status == Problem.Status.CLOSED},
    )


@needs(Cap.EXPORT_RECORDS, model=Problem)
def archive(request, pk):
    """The rectification archive (问题整治档案): the .docx and every evidence file, zipped."""
    from cases.archive import export_archive

    name, payload = export_archive(actor=request.user, problem_id=pk)
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@needs(Cap.VIEW_RECORDS, model=Evidence)
def evidence_download(request, pk):
    """An evidence file, streamed only to users who may see its problem (404 otherwise, the
    same as a missing file); always as an attachment, never rendered by the browser."""
    evidence = selectors.evidence_for_download(request.user, pk)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the public pages (§5) ----------------------------------------------------------------------


@public
def public_list(request):
    page = Paginator(selectors.public_disclosures(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/public_list.html", {"page": page})


@public
def public_detail(request):
    """One published result, by problem code (``?code=WT2026-0000001``)."""
    code = (request.GET.get("code") or "").strip()[:32]
    if not code:
        return redirect("cases:public")
    disclosure = selectors.public_disclosure(code)
    if disclosure is None:
        raise Http404
    return render(request, "cases/public_detail.html", {"disclosure": disclosure})
