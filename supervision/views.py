"""Pages of listed supervision: the ledger (督办台账) with its filters and Excel export, listing
by hand, from a problem or from a candidate, an item's detail with its timeline and action
forms, evidence download, the candidates, and the public page of delisted items.

Views parse, call a service or a selector, and render; every read goes through
``supervision.selectors`` so another region's item answers exactly like a missing one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Problem
from cases.selectors import region_choices
from complaints.models import Complaint
from portal.accounts.access import needs, public
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.models import User
from portal.accounts.scoping import get_visible_or_404
from portal.core.api import ConflictError
from portal.regions.models import EnforcementDomain, Region
from supervision import candidates as candidate_rules
from supervision import selectors, services
from supervision.documents import ITEM_DOCUMENTS
from supervision.forms import (
    DismissForm,
    ItemForm,
    ProgressForm,
    ReferralForm,
    StationingForm,
    StationLogForm,
    TransitionForm,
    add_service_error,
)
from supervision.models import SupervisionEvidence, SupervisionItem
from supervision.transitions import MOVES

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFLICT_MESSAGE = gettext_lazy("该督办事项已被他人处理，页面已刷新为最新状态，请确认后再操作。")


# --- the ledger ----------------------------------------------------------------------------


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def index(request):
    regions = region_choices(request.user)
    queryset, filters = selectors.items_filtered(request.user, request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/item_list.html",
        {
            "page": page,
            "filters": filters,
            "regions": [r for r in regions if r.level in (Region.Level.PROVINCE, Region.Level.CITY)],
            "domains": EnforcementDomain.objects.filter(active=True).order_by("sort_order"),
            "statuses": SupervisionItem.Status.choices,
            "levels": SupervisionItem.Level.choices,
            "can_list": services.listing_level(request.user) is not None,
            "can_export": has_cap(request.user, Cap.EXPORT_RECORDS),
            "today": timezone.localdate(),
        },
    )


@needs(Cap.EXPORT_RECORDS)
def export(request):
    """The 督办台账 as filtered on the list page, one row per item, the four lists as columns."""
    from supervision.resources import ledger_export

    name, content = ledger_export(actor=request.user, params=request.GET)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


# --- listing -------------------------------------------------------------------------------


def _prefill(request) -> dict:
    """Initial values when listing from a problem (?problem=), complaints (?complaint=) or a
    candidate (?candidate=): what it covers, and its numbers in the problem list."""
    user = request.user
    initial = {}
    problems = [
        get_visible_or_404(Problem.objects.select_related("region", "unit"), user, Cap.VIEW_RECORDS, pk=pk)
        for pk in request.GET.getlist("problem")
    ]
    complaints = [
        get_visible_or_404(Complaint, user, Cap.VIEW_RECORDS, pk=pk) for pk in request.GET.getlist("complaint")
    ]
    if key := request.GET.get("candidate", ""):
        candidate = candidate_rules.candidate_for_key(
            user, key, candidate_rules.CandidateSettings.from_params(request.GET)
        )
        if candidate is None:
            raise Http404
        problems += [p for p in candidate.problems() if p not in problems]
        complaints += [c for c in candidate.complaints() if c not in complaints]
        initial.update(candidate_key=key, title=candidate.title)
    if problems:
        first = problems[0]
        initial.setdefault("title", first.title)
        initial.update(
            problem_codes=", ".join(p.code for p in problems),
            problem_list="\n".join(f"{p.code} {p.title}" for p in problems),
            rectification_responsibility="\n".join(
                sorted({f"{p.unit.name}：{p.first_responsible or _('主要负责人')}" for p in problems})
            ),
            domain=first.domain_id,
        )
    if complaints:
        initial["complaint_ids"] = ",".join(str(c.pk) for c in complaints)
        extra = "\n".join(f"{c.tracking_number} {c.subject}" for c in complaints)
        initial["problem_list"] = (initial.get("problem_list", "") + "\n" + extra).strip()
        initial.setdefault("title", complaints[0].subject)
    initial.setdefault(
        "supervision_responsibility",
        _("%(organ)s负责督办，督导组跟踪整改、现场验收。") % {"organ": user.region.name if user.region_id else ""},
    )
    return initial


@needs(Cap.VERIFY)
def new(request):
    """List an item by hand, from a problem (?problem=pk) or from a candidate (?candidate=key)."""
    if services.listing_level(request.user) is None:
        raise Http404
    if request.method == "POST":
        form = ItemForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            region = Region.objects.filter(code=data["region"]).first() if data["region"] else None
            try:
                item = services.item_list(
                    actor=request.user,
                    title=data["title"],
                    problem_list=data["problem_list"],
                    measures_list=data["measures_list"],
                    rectification_responsibility=data["rectification_responsibility"],
                    supervision_responsibility=data["supervision_responsibility"],
                    problems=data["problem_codes"],
                    complaints=data["complaint_ids"],
                    region=region,
                    domain=data["domain"],
                    deadline_days=data["deadline_days"],
                    report_every_days=data["report_every_days"],
                    team=list(data["team"]),
                    serious=data["serious"],
                    candidate_key=data["candidate_key"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("督办事项 %(code)s 已挂牌。") % {"code": item.code})
                return redirect("supervision:detail", pk=item.pk)
    else:
        form = ItemForm(initial=_prefill(request), user=request.user)
    return render(request, "supervision/item_form.html", {"form": form})


# --- one item -------------------------------------------------------------------------------


def _members_queryset(item, parts):
    pks = [u.pk for u in parts["team"]]
    return User.objects.filter(pk__in=pks).select_related("region").order_by("username")


def _detail_context(request, item, **forms) -> dict:
    user = request.user
    parts = selectors.item_detail_parts(item)
    moves = services.allowed_moves(user, item)
    members = _members_queryset(item, parts)
    listing_staff = services.is_listing_staff(user, item)
    on_team = any(u.pk == user.pk for u in parts["team"])
    context = {
        "item": item,
        **parts,
        "today": timezone.localdate(),
        "moves": [
            {
                "move": move,
                "form": forms.get(f"move_{move.name}")
                or TransitionForm(
                    initial={"move": move.name, "expected_version": item.version, "visited_on": timezone.localdate()},
                    members=members,
                    auto_id=f"mv-{move.name}-%s",
                ),
            }
            for move in moves
        ],
        "can_progress": has_cap(user, Cap.EDIT_RECORDS) and item.status in ("listed", "rectifying"),
        "can_station": (listing_staff or on_team) and item.serious and item.is_open,
        "can_refer": listing_staff and parts["open_referral"] is not None,
        "can_issue": listing_staff,
        "documents": ITEM_DOCUMENTS,
        "issued": _issued(item),
    }
    context["progress_form"] = forms.get("progress_form") or ProgressForm()
    context["stationing_form"] = forms.get("stationing_form") or StationingForm()
    context["log_form"] = forms.get("log_form") or StationLogForm(initial={"day": timezone.localdate()})
    if context["can_refer"]:
        context["referral_form"] = forms.get("referral_form") or ReferralForm(
            initial={"referral": parts["open_referral"].pk, "decided_on": timezone.localdate()},
            problems=parts["problems"],
        )
    return context


def _issued(item):
    from portal.documents.models import IssuedDocument

    return list(
        IssuedDocument.objects.filter(object_type=selectors.ITEM_OBJECT_TYPE, object_id=str(item.pk)).order_by("pk")
    )


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def detail(request, pk):
    item = selectors.item_for_detail(request.user, pk)
    return render(request, "supervision/item_detail.html", _detail_context(request, item))


def _to_detail(item, anchor=""):
    return redirect(reverse("supervision:detail", kwargs={"pk": item.pk}) + (f"#{anchor}" if anchor else ""))


def _action_page(request, item, *, title, template, context, status=200):
    return render(
        request,
        "supervision/action.html",
        {"item": item, "action_title": title, "action_template": template, **context},
        status=status,
    )


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def transition(request, pk):
    """GET: the forms of the moves the user may make; POST: make one (compare-and-swap on the
    version the page showed: a stale copy answers 409 with the fresh page)."""
    item = selectors.item_for_detail(request.user, pk)
    parts_members = _members_queryset(item, {"team": list(item.team.all())})
    if request.method == "POST":
        spec = MOVES.get(request.POST.get("move", ""))
        form = TransitionForm(request.POST, request.FILES, members=parts_members, auto_id="mv-post-%s")
        if spec is None:
            form.add_error(None, _("未知的操作。"))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.item_transition(
                    actor=request.user,
                    item_id=item.pk,
                    move=spec.name,
                    expected_version=data["expected_version"],
                    text=data["text"],
                    visited_on=data["visited_on"],
                    members=list(data["members"]),
                    files=data["files"],
                    handling_result=data["handling_result"],
                )
            except ConflictError:
                messages.warning(request, CONFLICT_MESSAGE)
                fresh = selectors.item_for_detail(request.user, pk)
                return render(request, "supervision/item_detail.html", _detail_context(request, fresh), status=409)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您无权执行该操作。"))
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已执行“%(label)s”。") % {"label": spec.label})
                return _to_detail(item, "timeline")
        return _action_page(
            request,
            item,
            title=spec.label if spec else _("办理"),
            template="supervision/_move_form.html",
            context={"entries": [{"move": spec, "form": form}] if spec else []},
            status=400,
        )
    context = _detail_context(request, item)
    return _action_page(
        request, item, title=_("办理"), template="supervision/_move_forms.html", context={"entries": context["moves"]}
    )


@needs(Cap.EDIT_RECORDS, model=SupervisionItem)
def progress(request, pk):
    item = selectors.item_for_detail(request.user, pk)
    form = ProgressForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_report(
                actor=request.user, item=item, text=form.cleaned_data["text"], files=form.cleaned_data["files"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("进展报告已报送。"))
            return _to_detail(item, "timeline")
    return _action_page(
        request,
        item,
        title=_("报送阶段进展"),
        template="supervision/_progress_form.html",
        context={"progress_form": form},
    )


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def stationing(request, pk):
    item = selectors.item_for_detail(request.user, pk)
    form = StationingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.stationing_start(actor=request.user, item=item, **form.cleaned_data)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("驻地督导已安排。"))
            return _to_detail(item, "stationing")
    return _action_page(
        request,
        item,
        title=_("安排驻地督导"),
        template="supervision/_stationing_form.html",
        context={"stationing_form": form},
    )


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def station_log(request, pk):
    item = selectors.item_for_detail(request.user, pk)
    form = StationLogForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.station_log(
                actor=request.user, item=item, stationing_id=data["stationing"], day=data["day"], text=data["text"]
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("督导日志已保存。"))
            return _to_detail(item, "stationing")
    return _action_page(
        request,
        item,
        title=_("填写驻地督导日志"),
        template="supervision/_log_form.html",
        context={"log_form": form, "stationings": list(item.stationings.all())},
    )


@needs(Cap.VERIFY, model=SupervisionItem)
def referral(request, pk):
    item = selectors.item_for_detail(request.user, pk)
    problems = list(item.problems.select_related("unit"))
    open_referral = item.referrals.filter(status="proposed").first()
    form = ReferralForm(
        request.POST or None,
        initial={"referral": open_referral.pk if open_referral else 0, "decided_on": timezone.localdate()},
        problems=problems,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = next((p for p in problems if p.pk == data["problem"]), None)
        try:
            services.referral_send(
                actor=request.user,
                item=item,
                referral_id=data["referral"],
                recipient=data["recipient"],
                problem_id=data["problem"],
                unit=problem.unit if problem else None,
                person_name=data["person_name"],
                post=data["post"],
                measure=data["measure"],
                decided_by=data["decided_by"],
                decided_on=data["decided_on"],
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已提请追责，追责问责记录已保存。"))
            return _to_detail(item, "referrals")
    return _action_page(
        request,
        item,
        title=_("提请追责"),
        template="supervision/_referral_form.html",
        context={"referral_form": form, "open_referral": open_referral},
    )


@needs(Cap.VIEW_RECORDS, model=SupervisionItem)
def document(request, pk):
    """Issue one of the item's documents (POST, by the listing organ)."""
    item = selectors.item_for_detail(request.user, pk)  # out of scope: 404 before anything
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        issued = services.document_issue(actor=request.user, item=item, doc_type=request.POST.get("doc_type", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您无权印发该文书。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("文书 %(title)s %(number)s 已印发。") % {"title": issued.title, "number": issued.number}
        )
    return _to_detail(item, "documents")


@needs(Cap.VIEW_RECORDS, model=SupervisionEvidence)
def evidence_download(request, pk):
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


# --- candidates ------------------------------------------------------------------------------


@needs(Cap.VERIFY)
def candidates(request):
    settings_ = candidate_rules.CandidateSettings.from_params(request.GET)
    found = candidate_rules.candidates_for(request.user, settings_)
    return render(
        request,
        "supervision/candidates.html",
        {"candidates": found, "settings": settings_, "can_list": services.listing_level(request.user) is not None},
    )


@needs(Cap.VERIFY)
def candidate_records(request):
    """The records behind one candidate (?key=): its figure equals this list's length."""
    key = request.GET.get("key", "")
    if not key:
        return redirect("supervision:candidates")
    candidate = candidate_rules.candidate_for_key(
        request.user, key, candidate_rules.CandidateSettings.from_params(request.GET)
    )
    if candidate is None:
        raise Http404
    return render(
        request,
        "supervision/candidate_records.html",
        {"candidate": candidate, "problems": candidate.problems(), "complaints": candidate.complaints()},
    )


@needs(Cap.VERIFY)
def candidate_dismiss(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.candidate_dismiss(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("已不予挂牌，理由已记录；数量增加时会再次提出。"))
    else:
        messages.error(request, _("请填写不予挂牌的理由。"))
    return redirect("supervision:candidates")


# --- the public page ---------------------------------------------------------------------------


@public
def public_list(request):
    page = Paginator(selectors.public_items(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/public_list.html", {"page": page})


@public
def public_activities(request):
    """一公开: the results of cross-region supervision after the visit, without personal data."""
    from supervision.activities import public_activities as published

    page = Paginator(published(), PAGE_SIZE).get_page(request.GET.get("page"))
    for activity in page:
        activity.redraws = max(activity.team_draws - 1, 0)
    return render(request, "supervision/public_activities.html", {"page": page})
