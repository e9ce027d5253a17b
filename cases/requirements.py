"""What a workflow move needs before it is made (§6: rectification really done, 确保整改到位).

The conditions are *named checks* (``CHECKS``: a code, a label and a function over a problem's
``Facts``); which move needs which check, for which severity and for key problems, are rows of
``TransitionRequirement`` an administrator tunes in the admin (the defaults come from migration
0007). ``cases.services.problem_transition`` refuses a move with unmet conditions
(``RequirementsUnmet``, a 409 carrying the list), so pages, the API and imports all obey the
same rules; the detail page shows the same list before anyone tries.

A check returns the unmet items, each with a message and a link to where it is filled in.
The facts are read once per problem (``facts_for``: a fixed number of queries), or built by the
bulk loaders from the rows they are about to write (``Facts`` is plain data), so the same
functions judge a seeded or imported history too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Evidence, Milestone, Problem, RectificationPlan, TransitionRequirement, Verification
from portal.core.api import ConflictError

M = Verification.Method


@dataclass(frozen=True)
class Unmet:
    """One condition not met: its check's code, what is missing, and where to fill it in."""

    code: str
    message: str
    link: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "link": self.link}


@dataclass
class MilestoneFact:
    title: str
    done: bool
    explained: bool


@dataclass
class Facts:
    """What the checks look at, for one problem."""

    problem_id: int
    severity: str
    is_key: bool
    measures: str = ""
    route_map: str = ""
    has_plan: bool = False
    milestones: list[MilestoneFact] = field(default_factory=list)
    progress_with_evidence: int = 0  # progress reports carrying at least one evidence file
    # Pending verification records of this round: (method, evidence files)
    verifications: list[tuple[str, int]] = field(default_factory=list)


def _link(name: str, problem_id: int, anchor: str = "") -> str:
    if not problem_id:
        return ""
    return reverse(name, kwargs={"pk": problem_id}) + (f"#{anchor}" if anchor else "")


def check_plan_measures(facts: Facts) -> list[Unmet]:
    if facts.has_plan and facts.measures.strip():
        return []
    return [Unmet("plan_measures", _("尚未制定整改方案（整改措施）。"), _link("cases:plan", facts.problem_id))]


def check_plan_route_map(facts: Facts) -> list[Unmet]:
    if facts.has_plan and facts.route_map.strip():
        return []
    return [Unmet("plan_route_map", _("整改方案缺少路线图。"), _link("cases:plan", facts.problem_id))]


def check_plan_milestones(facts: Facts) -> list[Unmet]:
    if facts.milestones:
        return []
    return [Unmet("plan_milestones", _("整改方案没有时间节点（时间表）。"), _link("cases:plan", facts.problem_id))]


def check_milestones_settled(facts: Facts) -> list[Unmet]:
    link = _link("cases:detail", facts.problem_id, "plan")
    return [
        Unmet(
            "milestones_settled",
            _("时间节点“%(title)s”尚未完成，也未说明原因。") % {"title": m.title},
            link,
        )
        for m in facts.milestones
        if not m.done and not m.explained
    ]


def check_progress_evidence(facts: Facts) -> list[Unmet]:
    if facts.progress_with_evidence:
        return []
    return [
        Unmet(
            "progress_evidence",
            _("尚无附有佐证材料的整改进展。"),
            _link("cases:progress", facts.problem_id),
        )
    ]


def check_verification_record(facts: Facts) -> list[Unmet]:
    if facts.verifications:
        return []
    return [
        Unmet(
            "verification_record",
            _("尚未记录本轮核查（核查方式、日期、人员、发现）。"),
            _link("cases:verification", facts.problem_id),
        )
    ]


def check_verification_evidence(facts: Facts) -> list[Unmet]:
    if any(files for _method, files in facts.verifications):
        return []
    return [
        Unmet(
            "verification_evidence",
            _("本轮核查记录没有佐证材料。"),
            _link("cases:verification", facts.problem_id),
        )
    ]


def check_verification_onsite(facts: Facts) -> list[Unmet]:
    if any(method == M.ONSITE for method, _files in facts.verifications):
        return []
    return [
        Unmet(
            "verification_onsite",
            _("该问题须经实地核查：本轮核查记录中没有实地核查。"),
            _link("cases:verification", facts.problem_id),
        )
    ]


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    run: Callable[[Facts], list[Unmet]]


CHECKS: dict[str, Check] = {
    check.code: check
    for check in (
        Check("plan_measures", gettext_lazy("整改方案：整改措施"), check_plan_measures),
        Check("plan_route_map", gettext_lazy("整改方案：路线图"), check_plan_route_map),
        Check("plan_milestones", gettext_lazy("整改方案：时间节点"), check_plan_milestones),
        Check("milestones_settled", gettext_lazy("每个时间节点已完成或已说明"), check_milestones_settled),
        Check("progress_evidence", gettext_lazy("至少一条附佐证材料的整改进展"), check_progress_evidence),
        Check("verification_record", gettext_lazy("本轮核查记录"), check_verification_record),
        Check("verification_evidence", gettext_lazy("核查佐证材料"), check_verification_evidence),
        Check("verification_onsite", gettext_lazy("实地核查"), check_verification_onsite),
    )
}


class RequirementsUnmet(ConflictError):
    """A move refused because conditions are unmet; ``items`` lists them (a 409)."""

    code = "requirements_unmet"

    def __init__(self, label, items: list[Unmet]):
        self.items = items
        super().__init__(
            _("“%(label)s”的条件尚未满足：%(items)s")
            % {"label": label, "items": "；".join(item.message.rstrip("。") for item in items)}
        )

    def as_list(self) -> list[dict]:
        return [item.as_dict() for item in self.items]

    def payload(self) -> dict:
        return {"unmet": self.as_list()}


# --- which checks a move needs ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    move: str
    check: str
    severity: str
    key_only: bool

    def applies(self, severity: str, is_key: bool) -> bool:
        return (not self.severity or self.severity == severity) and (not self.key_only or is_key)


def active_rules() -> list[Rule]:
    """Every active row (one query; a few dozen rows)."""
    return [
        Rule(*row)
        for row in TransitionRequirement.objects.filter(active=True).values_list(
            "move", "check_code", "severity", "key_only"
        )
    ]


def needed_checks(rules: Iterable[Rule], move: str, *, severity: str, is_key: bool) -> list[str]:
    """The codes of the checks ``move`` needs for such a problem, in the registry's order."""
    wanted = {rule.check for rule in rules if rule.move == move and rule.applies(severity, is_key)}
    return [code for code in CHECKS if code in wanted]


def unmet_of(rules: Iterable[Rule], move: str, facts: Facts) -> list[Unmet]:
    items: list[Unmet] = []
    for code in needed_checks(rules, move, severity=facts.severity, is_key=facts.is_key):
        items.extend(CHECKS[code].run(facts))
    return items


# --- the facts of one problem ------------------------------------------------------------------


def facts_for(problem: Problem) -> Facts:
    """Read what the checks need (four queries whatever the problem's history)."""
    facts = Facts(problem_id=problem.pk, severity=problem.severity, is_key=problem.is_key)
    plan = RectificationPlan.objects.filter(problem_id=problem.pk).values("pk", "measures", "route_map").first()
    if plan:
        facts.has_plan, facts.measures, facts.route_map = True, plan["measures"], plan["route_map"]
        facts.milestones = [
            MilestoneFact(title, done_on is not None, bool(explanation.strip()))
            for title, done_on, explanation in Milestone.objects.filter(plan_id=plan["pk"]).values_list(
                "title", "done_on", "explanation"
            )
        ]
    facts.progress_with_evidence = (
        Evidence.objects.filter(problem_id=problem.pk, progress__isnull=False).values("progress").distinct().count()
    )
    facts.verifications = [
        (method, files)
        for method, files in Verification.objects.filter(problem_id=problem.pk, result=Verification.Result.PENDING)
        .annotate(n=Count("files"))
        .values_list("method", "n")
    ]
    return facts


def facts_from_parts(problem: Problem, parts: dict) -> Facts:
    """The same facts from what the detail page has already read (no query)."""
    plan = parts.get("plan")
    return Facts(
        problem_id=problem.pk,
        severity=problem.severity,
        is_key=problem.is_key,
        has_plan=plan is not None,
        measures=plan.measures if plan else "",
        route_map=plan.route_map if plan else "",
        milestones=[
            MilestoneFact(m.title, m.done_on is not None, bool(m.explanation.strip())) for m in parts["milestones"]
        ],
        progress_with_evidence=sum(1 for entry in parts["progress"] if entry.files.all()),
        verifications=[
            (v.method, len(v.files.all())) for v in parts["verifications"] if v.result == Verification.Result.PENDING
        ],
    )


def unmet(problem: Problem, move: str, *, rules: list[Rule] | None = None, facts: Facts | None = None) -> list[Unmet]:
    """The unmet conditions of ``move`` for ``problem`` (empty: it may be made)."""
    rules = active_rules() if rules is None else rules
    if not needed_checks(rules, move, severity=problem.severity, is_key=problem.is_key):
        return []
    return unmet_of(rules, move, facts or facts_for(problem))
