import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from evaluation import imports
from evaluation.models import IndicatorSystem, Period, SurveyResult
from portal.accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("raw", "expected"), [("95%", 0.95), (95, 0.95), (0.95, 0.95), ("0.95", 0.95), (1, 1.0)])
def test_one_rule_for_rates(raw, expected):
    assert imports.parse_rate(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["101%", 150, -0.1, "abc", None])
def test_bad_rates_are_refused(raw):
    with pytest.raises(ValueError):
        imports.parse_rate(raw)


def _file(tmp_path, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = imports.SURVEY_SHEET
    sheet.append(["区划代码", "样本量", "满意率", "执法规范"])
    for row in rows:
        sheet.append(row)
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


def test_dry_run_reports_rows_and_import_is_all_or_none(tmp_path, period, evaluator):
    bad = _file(tmp_path, [["410105", 300, "95%", 90], ["999999", 10, "120%", 0.8]])
    report = imports.survey_import(actor=evaluator, period=period, path=bad, commit=True)
    messages = {(e.row, e.column) for e in report.errors}
    assert (3, "区划代码") in messages and (3, "满意率") in messages
    assert not SurveyResult.objects.exists()
    good = _file(tmp_path, [["410105", 300, "95%", 90], ["410122", 200, 0.8, "85%"]])
    report = imports.survey_import(actor=evaluator, period=period, path=good, commit=False)
    assert not report.errors and not SurveyResult.objects.exists()
    imports.survey_import(actor=evaluator, period=period, path=good, commit=True)
    result = SurveyResult.objects.get(region_id="410105")
    assert result.satisfaction == pytest.approx(0.95) and result.items == {"执法规范": pytest.approx(0.9)}


def test_only_the_evaluator_imports(tmp_path, period):
    county = User.objects.create(username="eval-county", region_id="410105", roles=[Role.COUNTY_OFFICER])
    with pytest.raises(PermissionDenied):
        imports.survey_import(actor=county, period=period, path=_file(tmp_path, []), commit=True)
