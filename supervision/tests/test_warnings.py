"""Monitoring warnings (issue 18 §2): the detector on synthetic series, the nightly job end to
end on PostgreSQL, the pages (scoping, query budget, the moves with compare-and-swap), and the
strong warnings proposed as listing candidates."""

import datetime as dt
import itertools
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Category
from complaints.models import Complaint
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.core.api import ConflictError
from portal.regions.models import Unit
from supervision import candidates
from supervision.models import MonitoringRun, MonitoringWarning
from supervision.warning_services import warning_transition
from supervision.warnings import PARAMS, detect, monitoring_run, upper_quantile

_numbers = itertools.count(1)
N = PARAMS.windows_counted


# --- the detector on synthetic series (no database) -------------------------------------------


def poisson_series(rate, n=N, seed=1):
    rng = random.Random(seed)  # noqa: S311 - a reproducible synthetic series

    def draw():
        # Knuth's method: fine for the small rates here
        limit, k, p = pow(2.718281828459045, -rate), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    return [draw() for _ in range(n)]


def test_a_planted_surge_is_found():
    windows = poisson_series(7.0)  # one a day
    windows[-1] = 21  # three times the baseline in the current window
    found = detect(windows, has_history=True)
    assert [f.kind for f in found] == ["surge"]
    assert found[0].observed == 21 and found[0].threshold < 21 and 5 < found[0].expected < 9


def test_a_flat_series_raises_nothing():
    for seed in range(40):
        windows = poisson_series(7.0, seed=seed)
        windows[-1] = 7
        assert detect(windows, has_history=True) == []


def test_one_complaint_never_alarms():
    windows = [0] * (N - 1) + [1]
    assert detect(windows, has_history=True, kinds=("surge", "rising")) == []
    windows = [0] * (N - 1) + [4]  # still under the minimum count, however empty the baseline
    assert not [f for f in detect(windows, has_history=True) if f.kind == "surge"]


def test_no_history_raises_nothing():
    assert detect([0, 0, 30], has_history=False) == []


def test_overdispersion_raises_the_threshold():
    assert upper_quantile(7.0, 3.0, 0.001) > upper_quantile(7.0, 1.0, 0.001)
    lumpy = [0, 20, 1, 15, 2, 18, 0, 14] * 7
    assert detect([*lumpy[: N - 1], 22], has_history=True) == []  # not improbable for this series
    assert detect([9] * (N - 1) + [22], has_history=True)  # a steady series of the same mean alarms


def test_a_new_category_is_a_nascent_problem():
    found = detect([0] * (N - 1) + [3], has_history=True)
    assert [f.kind for f in found] == ["new"]


def test_three_rising_windows_are_a_trend():
    windows = [4, 5, 6, 5, 4, 6, 5] * 8
    windows = [*windows[: N - 4], 6, 7, 8, 10]
    found = detect(windows, has_history=True)
    assert [f.kind for f in found] == ["rising"]
    assert detect([*windows[:-4], 7, 6, 8, 10], has_history=True) == []  # only two rises in a row
    assert detect([*windows[:-4], 6, 7, 8, 9], has_history=True) == []  # rising, but not unusual yet


def test_a_past_outbreak_does_not_mask_the_next_one():
    windows = poisson_series(7.0, seed=3)
    windows[10:12] = [40, 45]  # an old surge in the baseline: left out by the reweighting
    windows[-1] = 22
    assert [f.kind for f in detect(windows, has_history=True)] == ["surge"]


# --- the job end to end ------------------------------------------------------------------------


def complaint_rows(unit, category, days_ago_list):
    today = timezone.localdate()
    # At noon of the day ``d`` days ago (local time): ``now - d days`` moved a row to the day
    # before when the test ran in the hour after midnight, Asia/Shanghai.
    noon = dt.datetime.combine(today, dt.time(12), timezone.get_current_timezone())
    return [
        Complaint(
            tracking_number=f"MW{next(_numbers):08d}",
            channel="web",
            kind="complaint",
            area="highway",
            subject="路政人员乱收费",
            description="投诉内容",
            region_id=unit.region_id,
            unit=unit,
            category=category,
            handling_unit=unit,
            handling_region_id=unit.region_id,
            received_at=noon - dt.timedelta(days=d),
            accept_deadline=today,
            deadline=today,
            deadline_warn_from=today,
        )
        for d in days_ago_list
    ]


@pytest.fixture
def series():
    """Three units in 金水区 (410105): one with a steady year and a tripled last week, one new
    (its first complaints this week), one with history in one category and a new category now;
    and one steady unit in 西工区 (410303)."""
    cats = list(Category.objects.filter(parent__isnull=False).order_by("pk")[:2])
    steady = Unit.objects.create(name="金水区路政大队", region_id="410105", kind=Unit.Kind.STATION)
    new = Unit.objects.create(name="金水区新设站点", region_id="410105", kind=Unit.Kind.STATION)
    other = Unit.objects.create(name="金水区运管所", region_id="410105", kind=Unit.Kind.STATION)
    far = Unit.objects.create(name="西工区路政大队", region_id="410303", kind=Unit.Kind.STATION)
    rows = []
    rows += complaint_rows(steady, cats[0], [d for d in range(7, 300) if d % 2 == 0])  # ~3.5 a week
    rows += complaint_rows(steady, cats[0], [d % 7 for d in range(16)])  # 16 in the last week
    rows += complaint_rows(new, cats[0], [0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5])
    rows += complaint_rows(other, cats[0], list(range(7, 300, 3)))
    rows += complaint_rows(other, cats[1], [0, 2, 4])
    rows += complaint_rows(far, cats[0], list(range(0, 300, 2)))
    Complaint.objects.bulk_create(rows)
    return {"steady": steady, "new": new, "other": other, "far": far, "cats": cats}


def people():
    make = User.objects.create_user
    return {
        "county": make("w_county", region_id="410105", roles=[Role.COUNTY_OFFICER]),
        "county_b": make("w_county_b", region_id="410303", roles=[Role.COUNTY_OFFICER]),
        "city": make("w_city", region_id="410100", roles=[Role.CITY_STAFF]),
        "province": make("w_province", region_id="410000", roles=[Role.PROVINCE_STAFF]),
    }


@pytest.mark.django_db
def test_the_nightly_job_warns_on_the_surge_and_the_new_category_only(series):
    result = monitoring_run(timezone.localdate())
    warnings = MonitoringWarning.objects.filter(unit__isnull=False)
    kinds = {(w.unit_id, w.kind) for w in warnings}
    assert (series["steady"].pk, "surge") in kinds
    assert (series["other"].pk, "new") in kinds
    assert not [w for w in warnings if w.unit_id in (series["new"].pk, series["far"].pk)]
    surge = warnings.get(unit=series["steady"], kind="surge")
    assert surge.observed == 16 and surge.threshold < 16
    assert len(surge.windows) == 43  # since its first record, 300 days ago: earlier windows are no baseline
    assert surge.region_id == "410105" and surge.source == "complaint"
    # the new unit: counted, said to have no history, nothing raised
    run = MonitoringRun.objects.get(day=timezone.localdate())
    assert run.no_history >= 1 and series["new"].pk in run.no_history_units
    assert result.raised.get("surge", 0) >= 1
    # re-running the same night adds nothing twice
    before = MonitoringWarning.objects.count()
    monitoring_run(timezone.localdate())
    assert MonitoringWarning.objects.count() == before
    assert AuditEvent.objects.filter(action="supervision.monitoring_run").count() == 2


@pytest.mark.django_db
def test_the_next_night_does_not_warn_the_same_surge_again(series):
    monitoring_run(timezone.localdate() - dt.timedelta(days=1))
    monitoring_run(timezone.localdate())
    assert MonitoringWarning.objects.filter(unit=series["steady"], kind="surge").count() == 1


@pytest.mark.django_db
def test_pages_are_scoped_and_say_why_a_new_unit_raises_nothing(client, series, django_assert_num_queries):
    monitoring_run(timezone.localdate())
    who = people()
    surge = MonitoringWarning.objects.get(unit=series["steady"], kind="surge")
    client.force_login(who["county"])
    body = client.get(reverse("supervision:warnings")).content.decode()
    assert "金水区路政大队" in body and "金水区新设站点" in body  # the latter named as "no history"
    assert "历史数据不足" in body and "负二项" in body
    detail = client.get(reverse("supervision:warning", args=[surge.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "warning-chart-data" in text and text.count("/complaints/") >= 16
    client.force_login(who["county_b"])
    assert "金水区路政大队" not in client.get(reverse("supervision:warnings")).content.decode()
    missing = client.get(reverse("supervision:warning", args=[987654321]))
    forbidden = client.get(reverse("supervision:warning", args=[surge.pk]))
    assert forbidden.status_code == missing.status_code == 404
    # the list's query count does not grow with the warnings
    client.force_login(who["province"])
    client.get(reverse("supervision:warnings"))
    with django_assert_num_queries(10):
        client.get(reverse("supervision:warnings"), {"status": "all"})
    MonitoringWarning.objects.bulk_create(
        [
            MonitoringWarning(
                kind="surge",
                source="problem",
                unit=series["far"],
                region_id="410303",
                series_key=f"x{i}",
                window_end=timezone.localdate(),
                window_days=7,
                observed=9,
                expected=2,
                threshold=7,
            )
            for i in range(25)
        ]
    )
    with django_assert_num_queries(10):
        client.get(reverse("supervision:warnings"), {"status": "all"})


@pytest.mark.django_db
def test_acknowledge_intervene_dismiss_with_compare_and_swap(client, series):
    monitoring_run(timezone.localdate())
    who = people()
    surge = MonitoringWarning.objects.get(unit=series["steady"], kind="surge")
    url = reverse("supervision:warning-move", args=[surge.pk])
    client.force_login(who["county"])
    # an intervention without a measure or a text: refused with the reason, nothing saved
    response = client.post(url, {"move": "intervene", "expected_version": 1, "intervention": "", "note": ""})
    assert response.status_code == 400 and "请选择干预措施" in response.content.decode()
    # a county officer cannot dismiss a warning about their own unit
    response = client.post(url, {"move": "dismiss", "expected_version": 1, "note": "误报"})
    assert response.status_code == 400
    assert client.post(url, {"move": "acknowledge", "expected_version": 1}).status_code == 302
    # a stale page (version 1) answers 409, the fresh state shown
    stale = client.post(url, {"move": "intervene", "expected_version": 1, "intervention": "talk", "note": "约谈站长"})
    assert stale.status_code == 409
    ok = client.post(url, {"move": "intervene", "expected_version": 2, "intervention": "talk", "note": "约谈站长"})
    assert ok.status_code == 302
    surge.refresh_from_db()
    assert surge.status == "intervened" and surge.intervention == "talk" and surge.handled_by == who["county"]
    assert AuditEvent.objects.filter(action="supervision.warning_intervene", object_id=str(surge.pk)).exists()
    # another warning dismissed by the city with a reason; without one refused
    new = MonitoringWarning.objects.get(unit=series["other"], kind="new")
    with pytest.raises(Exception) as exc:
        warning_transition(actor=who["city"], warning_id=new.pk, move="dismiss", note=" ")
    assert "排除理由" in str(exc.value)
    warning_transition(actor=who["city"], warning_id=new.pk, move="dismiss", note="同一事件重复投诉")
    with pytest.raises(ConflictError):
        warning_transition(actor=who["city"], warning_id=new.pk, move="dismiss", note="again", expected_version=1)
    # out of scope: the same 404 as missing
    client.force_login(who["county_b"])
    assert client.post(url, {"move": "acknowledge", "expected_version": 3}).status_code == 404


@pytest.mark.django_db
def test_strong_warnings_become_listing_candidates(series):
    monitoring_run(timezone.localdate())
    who = people()
    surge = MonitoringWarning.objects.get(unit=series["steady"], kind="surge")
    MonitoringWarning.objects.filter(pk=surge.pk).update(strong=True)
    found = candidates.candidates_for(who["province"])
    keys = [c.key for c in found["mw"]["shown"]]
    assert keys == [f"mw:{surge.pk}"]
    candidate = candidates.candidate_for_key(who["province"], f"mw:{surge.pk}")
    assert candidate.count == 16 and len(candidate.complaints()) == 16 and candidate.unit_name == "金水区路政大队"
    assert candidates.candidate_for_key(who["county_b"], f"mw:{surge.pk}") is None
    warning_transition(actor=who["city"], warning_id=surge.pk, move="dismiss", note="已核实为同一事件")
    assert candidates.candidates_for(who["province"])["mw"]["shown"] == []


@pytest.mark.django_db
def test_demo_warnings_one_of_each_kind(series):
    from supervision.seed import _seed_warnings

    Unit.objects.create(name="中牟县执法大队", region_id="410122", kind=Unit.Kind.STATION)
    _seed_warnings()
    demo = MonitoringWarning.objects.filter(series_key__startswith="demo:")
    assert {w.kind for w in demo} == {"surge", "new", "rising"}
    assert {w.status for w in demo} >= {"open", "intervened", "dismissed"}
    assert MonitoringRun.objects.filter(day=timezone.localdate() - dt.timedelta(days=1)).exists()
    _seed_warnings()  # re-running adds nothing
    assert MonitoringWarning.objects.filter(series_key__startswith="demo:").count() == 5


@pytest.mark.django_db
def test_a_get_of_the_move_route_answers_404_out_of_scope_and_405_in_scope(client, series):
    monitoring_run(timezone.localdate())
    who = people()
    surge = MonitoringWarning.objects.get(unit=series["steady"], kind="surge")
    url = reverse("supervision:warning-move", args=[surge.pk])
    client.force_login(who["county_b"])
    assert client.get(url).status_code == 404
    client.force_login(who["county"])
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_monthly_analysis_page_and_docx_per_level(client, series):
    import io

    from docx import Document

    monitoring_run(timezone.localdate())
    who = people()
    surge = MonitoringWarning.objects.get(unit=series["steady"], kind="surge")
    warning_transition(actor=who["county"], warning_id=surge.pk, move="intervene", intervention="talk", note="约谈站长")
    from supervision.tests.test_services import make_problem

    make_problem("410105")  # a 舆情 problem of 410105 执法大队, this month
    make_problem("410303")
    month = f"{timezone.localdate():%Y-%m}"
    client.force_login(who["county"])
    body = client.get(reverse("supervision:warnings-analysis"), {"month": month}).content.decode()
    assert "金水区路政大队" in body and "西工区路政大队" not in body and "约谈站长" in body
    assert "410105 执法大队" in body and "410303 执法大队" not in body
    response = client.get(reverse("supervision:warnings-analysis-docx"), {"month": month})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="supervision.analysis_download").count() == 1
    text = "\n".join(
        [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
        + [c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells]
    )
    assert "金水区路政大队" in text and "约谈站长" in text and "西工区路政大队" not in text
    client.force_login(who["county_b"])
    other = client.get(reverse("supervision:warnings-analysis"), {"month": month}).content.decode()
    assert "金水区路政大队" not in other
    # a malformed month falls back to the last full month, no error
    assert client.get(reverse("supervision:warnings-analysis"), {"month": "13-2026x"}).status_code == 200


# --- the backtest command ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_backtest_finds_planted_surges_and_beats_the_naive_rule_on_precision():
    """Two steady units at about 3 complaints a day for over a year: every planted 3× surge of
    the covered bands is found, the detector's precision is above the naive rule's, and the
    naive rule raised until its false alarms match the detector's is reported beside it."""
    from io import StringIO

    from django.core.management import call_command

    cat = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    rows = []
    for seed, name in enumerate(("金水区路政大队", "金水区治超站")):
        unit = Unit.objects.create(name=name, region_id="410105", kind=Unit.Kind.STATION)
        daily = poisson_series(3, n=600, seed=seed)
        rows += complaint_rows(unit, cat, [d for d in range(1, 600) for _ in range(daily[d])])
    Complaint.objects.bulk_create(rows)
    out = StringIO()
    call_command("backtest_warnings", "--weeks", "26", "--count", "12", "--seed", "4", stdout=out)
    text = out.getvalue()
    goal = next(line for line in text.splitlines() if line.strip().startswith("goal*"))
    ours, naive, _matched = goal.split("|")[1:]
    recall, precision = (float(v.rstrip("%")) for v in ours.split()[:2])
    naive_precision = float(naive.split()[3].rstrip("%"))
    assert recall == 100.0 and precision > naive_precision
    assert "met: recall ≥ 90 %" in text and "At the same false-alarm rate (naive" in text


@pytest.mark.django_db
def test_the_backtest_without_history_says_so():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="seed the database first"):
        call_command("backtest_warnings", "--weeks", "4", "--count", "5")
