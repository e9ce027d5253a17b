"""Test helpers: what the workflow's default conditions ask for before a move (migration 0007),
written through the services as a county team and a verifier would."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.models import Problem, Verification
from cases.tests.matrix import PNG


def png(name: str = "整改照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def rectify(actor, problem: Problem) -> Problem:
    """A plan with measures, a route map and a done milestone, and progress with evidence:
    what ``submit`` needs by default."""
    services.plan_set(
        actor=actor,
        problem=problem,
        measures="撤销违规执法点位；开展警示教育。",
        route_map="第一周排查，第二周整改，第三周复查。",
        milestones=[("完成排查", timezone.localdate() + dt.timedelta(days=3))],
    )
    milestone = problem.plan.milestones.get()
    services.milestone_done(actor=actor, problem=problem, milestone_id=milestone.pk)
    services.progress_log(actor=actor, problem=problem, note="已整改到位。", files=[png()])
    return problem


def verify(actor, problem: Problem, method: str = Verification.Method.ONSITE) -> Verification:
    """A verification record with evidence: what ``verify_pass`` needs by default (on site for
    key and grave problems)."""
    return services.verification_record(
        actor=actor,
        problem=problem,
        method=method,
        verified_on=timezone.localdate(),
        verifiers="王芳、赵强",
        findings="现场查看，违规点位已撤除。",
        files=[png("核查照片.png")],
    )
