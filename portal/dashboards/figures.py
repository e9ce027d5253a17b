"""What the dashboards count: every figure defined once, as database aggregates.

The summary tables (``models.ProblemFigure``, ``models.ComplaintFigure``) are filled with these
aggregates grouped by region, unit and dimension (``services.figures_refresh``); the tests and
the benchmark compute the same aggregates straight from the records to prove the tables right.

Days and periods
- *today*: the day of the refresh (Asia/Shanghai). A problem is **overdue** when it is open
  (registered, assigned, rectifying or submitted for verification) and its deadline is before
  today, exactly as ``Problem.objects.overdue()`` and the problem list's ``overdue=yes`` say.
  A complaint is **overdue** when its time-limit light is red (``complaints.selectors``): open
  past its handle-by deadline, or still waiting to be accepted past its accept-by date.
- *the window*: the twelve calendar months ending with the current one (the trend charts show
  them month by month). Figures marked (12m) count only records of the window.

Problems (by the problem's region and responsible unit)
- open, overdue, by state; key problems open and overdue;
- found (12m): problems found (``found_on``) in the window;
- closed (12m) and **closed on time** (12m): problems closed (销号) in the window, and those of
  them closed on or before their deadline; **on-time rectification rate** = on time / closed;
- closed this month: problems closed since the first day of today's month.

Complaints (by the handling region and unit, as complaints are scoped)
- received (12m) and by class (信息咨询, 投诉举报, 意见建议, 表扬, 非辖属); escalated (提级办理);
- **within the time limit** (限时办结率) = closed on or before the handling deadline / closed,
  over the complaints received in the window;
- **callback satisfaction** (回访满意率) = satisfied or basically satisfied / called back.

Accountability (追责问责, by the problem's region and the unit of the person): person-times
decided (``decided_on``) in the window, by measure.

The three zeros of the policy's goals (§ 一), counted over the window, per region:
- **duty crimes** (零职务犯罪): accountability records with the measure 党纪政务处分, or marked
  serious or egregious (情节严重或恶劣);
- **conflicts with the public** (零执法冲突): problems in the class 执法粗暴 (rough enforcement)
  found through any channel but a complaint, plus complaints (class 投诉举报) in that category
  class; a complaint that became a problem is counted once, as the complaint;
- **negative public opinion** (零负面舆情): problems found through the 舆情 (public opinion) or
  媒体曝光 (media) channels.
A region meets a goal when its figure is zero; the figure is its distance from the goal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.models import Accountability, Category, Problem
from complaints.models import Complaint, Kind, Satisfaction

WINDOW_MONTHS = 12
CONFLICT_CLASS = "cubao"  # 执法粗暴, the campaign's class of rough enforcement
OPINION_SOURCES = (Problem.Source.PUBLIC_OPINION, Problem.Source.MEDIA)
# Conflict problems raised from a complaint are counted as that complaint.
CONFLICT_PROBLEM_SOURCES = tuple(s for s in Problem.Source.values if s != Problem.Source.COMPLAINT)
DUTY_CRIME = Q(measure=Accountability.Measure.DISCIPLINE) | Q(serious=True)

PS = Problem.Status
CS = Complaint.Status
PROBLEM_OPEN = Q(status__in=Problem.OPEN_STATES)
COMPLAINT_OPEN = Q(status__in=Complaint.OPEN_STATES)
KIND_FIELDS = {
    Kind.COMPLAINT: "complaints",
    Kind.CONSULTATION: "consultations",
    Kind.SUGGESTION: "suggestions",
    Kind.PRAISE: "praise",
    Kind.NOT_OURS: "not_ours",
}


@dataclass(frozen=True)
class Period:
    """The days the figures describe: today, the first day of its month and of the window."""

    today: dt.date
    month_start: dt.date
    window_start: dt.date

    @classmethod
    def of(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        month_start = today.replace(day=1)
        months = month_start.year * 12 + month_start.month - 1 - (WINDOW_MONTHS - 1)
        return cls(today, month_start, dt.date(months // 12, months % 12 + 1, 1))

    def months(self) -> list[dt.date]:
        """The first day of each month of the window, oldest first."""
        first = self.window_start.year * 12 + self.window_start.month - 1
        return [dt.date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(WINDOW_MONTHS)]

    @staticmethod
    def aware(day: dt.date) -> dt.datetime:
        """Local midnight at the start of ``day``."""
        return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())


def conflict_class_id() -> int | None:
    return Category.objects.filter(code=CONFLICT_CLASS).values_list("pk", flat=True).first()


def in_class(class_id: int | None) -> Q:
    """Records whose category is the class or one of its items (the lists' category filter)."""
    if class_id is None:
        return Q(pk__in=[])
    return Q(category_id=class_id) | Q(category__parent_id=class_id)


def category_class():
    """A record's category class: its category's parent, or the category when it has none."""
    return Coalesce("category__parent_id", "category_id")


# --- problems -------------------------------------------------------------------------------------


def problem_state_measures(period: Period) -> dict:
    """Current state of the problems: counts by state, open, overdue, key problems."""
    overdue = PROBLEM_OPEN & Q(deadline__lt=period.today)
    return {
        "total": Count("id"),
        "registered": Count("id", filter=Q(status=PS.REGISTERED)),
        "assigned": Count("id", filter=Q(status=PS.ASSIGNED)),
        "rectifying": Count("id", filter=Q(status=PS.RECTIFYING)),
        "submitted": Count("id", filter=Q(status=PS.SUBMITTED)),
        "open": Count("id", filter=PROBLEM_OPEN),
        "overdue": Count("id", filter=overdue),
        "key_open": Count("id", filter=PROBLEM_OPEN & Q(is_key=True)),
        "key_overdue": Count("id", filter=overdue & Q(is_key=True)),
    }


def problem_closed_q(since: dt.date) -> Q:
    return Q(status=PS.CLOSED, closed_at__gte=Period.aware(since))


ON_TIME = Q(closed_at__date__lte=F("deadline"))


def problem_measures(period: Period, conflict_id: int | None) -> dict:
    """Everything a unit's problems contribute to the totals and the three zeros."""
    found = Q(found_on__gte=period.window_start)
    closed = problem_closed_q(period.window_start)
    return {
        **problem_state_measures(period),
        "found": Count("id", filter=found),
        "closed": Count("id", filter=closed),
        "closed_on_time": Count("id", filter=closed & ON_TIME),
        "closed_month": Count("id", filter=problem_closed_q(period.month_start)),
        "opinion": Count("id", filter=found & Q(source__in=OPINION_SOURCES)),
        "conflict": Count("id", filter=found & in_class(conflict_id) & Q(source__in=CONFLICT_PROBLEM_SOURCES)),
    }


def problem_breakdown_measures(period: Period) -> dict:
    """By category class and by domain."""
    return {
        "total": Count("id"),
        "open": Count("id", filter=PROBLEM_OPEN),
        "overdue": Count("id", filter=PROBLEM_OPEN & Q(deadline__lt=period.today)),
        "found": Count("id", filter=Q(found_on__gte=period.window_start)),
    }


def problem_found_measures() -> dict:
    """By the month found (the window's problems only)."""
    return {"found": Count("id")}


def problem_closed_measures() -> dict:
    """By the month closed (the problems closed in the window only)."""
    return {"closed": Count("id"), "closed_on_time": Count("id", filter=ON_TIME)}


def accountability_measures() -> dict:
    return {"accountable": Count("id"), "duty_crime": Count("id", filter=DUTY_CRIME)}


# --- complaints -----------------------------------------------------------------------------------


def complaint_red(today: dt.date) -> Q:
    """The red light of ``complaints.selectors.light_expression``: overdue."""
    return COMPLAINT_OPEN & (Q(deadline__lt=today) | Q(status=CS.RECEIVED, accept_deadline__lt=today))


def complaint_window_measures(received: Q | None = None) -> dict:
    """What the complaints received in the window contribute (``received``: the window, or
    None when the rows are already limited to it)."""
    received = received or Q()
    closed = received & Q(status=CS.CLOSED)
    return {
        "received": Count("id", filter=received) if received else Count("id"),
        **{field: Count("id", filter=received & Q(kind=kind)) for kind, field in KIND_FIELDS.items()},
        "escalated": Count("id", filter=received & Q(escalated=True)),
        "closed": Count("id", filter=closed),
        "closed_on_time": Count("id", filter=closed & Q(closed_at__date__lte=F("deadline"))),
        "called_back": Count("id", filter=received & Q(callback_at__isnull=False)),
        "satisfied": Count("id", filter=received & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
    }


def complaint_measures(period: Period, conflict_id: int | None) -> dict:
    received = Q(received_at__gte=Period.aware(period.window_start))
    return {
        **complaint_window_measures(received),
        "open": Count("id", filter=COMPLAINT_OPEN),
        "overdue": Count("id", filter=complaint_red(period.today)),
        "conflict": Count("id", filter=received & Q(kind=Kind.COMPLAINT) & in_class(conflict_id)),
    }
