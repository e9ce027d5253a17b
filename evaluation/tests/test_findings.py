"""Mystery-visit findings (暗访发现, point 2): the optional sheet of the survey import becomes
MysteryFinding rows (checked with the rest, all or none), and a finding becomes a problem on the
problem list (source 暗访), once, scoped."""

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from cases.models import Category, Problem, ProblemLink
from evaluation import imports, services
from evaluation.models import IndicatorSystem, MysteryFinding, Period, SurveyResult
from portal.accounts.models import Role, User
from portal.core.api import ConflictError
from portal.regions.models import Unit

pytestmark = pytest.mark.django_db


def _file(tmp_path, findings):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = imports.SURVEY_SHEET
    sheet.append(["区划代码", "样本量", "满意率"])
    sheet.append(["410105", 300, "95%"])
    other = workbook.create_sheet(imports.FINDINGS_SHEET)
    other.append(["区划代码", "暗访日期", "暗访地点", "发现问题"])
    for row in findings:
        other.append(row)
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def period():
    system = IndicatorSystem.objects.create(year=2031)
    return Period.objects.create(system=system, kind="half", half=1, starts_on="2031-01-01", ends_on="2031-06-30")


@pytest.fixture
def evaluator():
    return User.objects.create(username="eval-3rd", region_id="410000", roles=[Role.EVALUATOR])


def test_findings_sheet_is_checked_and_imported_all_or_none(tmp_path, period, evaluator):
    bad = _file(tmp_path, [["410105", "2031-03-02", "金水区治超站", "未佩戴执法记录仪"], ["999999", "昨天", "", ""]])
    report = imports.survey_import(actor=evaluator, period=period, path=bad, commit=True)
    cells = {(e.row, e.column) for e in report.errors}
    assert {(3, f"暗访发现·{c}") for c in ("区划代码", "暗访日期", "暗访地点", "发现问题")} <= cells
    assert not MysteryFinding.objects.exists() and not SurveyResult.objects.exists()
    good = _file(tmp_path, [["410105", "2031-03-02", "金水区治超站", "未佩戴执法记录仪"]])
    imports.survey_import(actor=evaluator, period=period, path=good, commit=True)
    finding = MysteryFinding.objects.get()
    assert finding.region_id == "410105" and str(finding.visited_on) == "2031-03-02"
    assert finding.finding == "未佩戴执法记录仪" and finding.imported_by == evaluator


def test_a_finding_becomes_one_problem_and_the_page_is_scoped(tmp_path, period, evaluator):
    imports.survey_import(
        actor=evaluator,
        period=period,
        path=_file(tmp_path, [["410105", "2031-03-02", "金水区治超站", "未佩戴执法记录仪"]]),
        commit=True,
    )
    finding = MysteryFinding.objects.get()
    Unit.objects.get_or_create(name="金水区执法大队", region_id="410105", defaults={"kind": Unit.Kind.STATION})
    county = User.objects.create(username="fd-county", region_id="410105", roles=[Role.COUNTY_OFFICER])
    other = User.objects.create(username="fd-other", region_id="410122", roles=[Role.COUNTY_OFFICER])
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    outsider = Client()
    outsider.force_login(other)
    assert "未佩戴执法记录仪" not in outsider.get(reverse("evaluation:findings")).content.decode()
    url = reverse("evaluation:finding-problem", args=[finding.pk])
    assert outsider.post(url, {"category": category.pk}).status_code == 404
    client = Client()
    client.force_login(county)
    assert "未佩戴执法记录仪" in client.get(reverse("evaluation:findings")).content.decode()
    response = client.post(url, {"category": category.pk})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[problem.pk])
    assert problem.source == Problem.Source.UNANNOUNCED_VISIT and problem.description == "未佩戴执法记录仪"
    assert problem.region_id == "410105" and str(problem.found_on) == "2031-03-02"
    assert ProblemLink.objects.filter(problem=problem, object_type="evaluation.mysteryfinding").exists()
    assert MysteryFinding.objects.get().problem == problem
    with pytest.raises(ConflictError):
        services.finding_to_problem(actor=county, finding_id=finding.pk, category=category.pk)
    assert Problem.objects.count() == 1
    # a re-import keeps the finding that became a problem
    imports.survey_import(actor=evaluator, period=period, path=_file(tmp_path, []), commit=True)
    assert MysteryFinding.objects.get().problem == problem
