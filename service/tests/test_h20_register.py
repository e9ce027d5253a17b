"""Issue 20 §1: the register of transport enterprises (credit code check: warn and confirm with
a reason), the .xlsx import (dry run with row errors, all or none), assignments and the
unassigned figure."""

from __future__ import annotations

import io
import tempfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook

from portal.audit.models import AuditEvent
from service import creditcode, imports, services
from service.models import Assignment, Enterprise
from service.tests.conftest import valid_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("91110108551385082Q", True),  # a real code (published business licence)
        ("91440300708461136T", True),
        ("91350100M000100Y43", True),
        ("91110108551385082R", False),  # last character changed
        ("911101085513850820", False),
    ],
)
def test_the_check_character_follows_gb_32100(code, ok):
    assert creditcode.check_ok(code) is ok


def test_shape_is_checked_before_the_check_character():
    assert not creditcode.well_formed("91110108551385082")  # 17 characters
    assert not creditcode.well_formed("9111010855138508IQ")  # I is not in the set
    assert creditcode.normalise(" 9111 0108551385082q ") == "91110108551385082Q"


def test_a_failed_check_warns_and_is_kept_only_with_a_reason(people):
    bad = "91110108551385082R"
    with pytest.raises(ValidationError) as refused:
        services.enterprise_register(
            actor=people["county"], name="试点运输公司", credit_code=bad, kind="freight", size="small", region="410105"
        )
    message = refused.value.message_dict["credit_code"][0]
    assert "校验位不符" in message and "“Q”" in message and "理由" in message
    assert not Enterprise.objects.exists()
    enterprise = services.enterprise_register(
        actor=people["county"],
        name="试点运输公司",
        credit_code=bad,
        kind="freight",
        size="small",
        region="410105",
        reason="2014年试点地区核发",
    )
    assert enterprise.check_override_reason == "2014年试点地区核发"
    event = AuditEvent.objects.get(action="service.enterprise_register")
    assert event.changes["check_failed"] is True and event.changes["reason"] == "2014年试点地区核发"


def test_a_malformed_code_is_refused_even_with_a_reason(people):
    with pytest.raises(ValidationError, match="18 位"):
        services.enterprise_register(
            actor=people["county"],
            name="X",
            credit_code="123",
            kind="freight",
            size="small",
            region="410105",
            reason="r",
        )


def test_the_form_asks_for_the_reason_then_accepts(people, client):
    client.force_login(people["county"])
    data = {
        "name": "试点运输公司",
        "credit_code": "91110108551385082R",
        "kind": "freight",
        "size": "small",
        "region": "410105",
    }
    response = client.post(reverse("service:index"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="credit-warning"' in body and "校验位不符" in body
    response = client.post(reverse("service:index"), {**data, "reason": "早期试点代码"})
    assert response.status_code == 302
    assert Enterprise.objects.get().check_override_reason == "早期试点代码"


def test_a_county_cannot_register_in_another_county(people):
    with pytest.raises(ValidationError, match="管辖范围"):
        services.enterprise_register(
            actor=people["county"],
            name="洛阳公司",
            credit_code=valid_code("91410303"),
            kind="freight",
            size="small",
            region="410303",
        )


def _workbook(rows, headers=None) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = imports.SHEET
    sheet.append(headers or list(imports.HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        handle.write(out.getvalue())
    return handle.name


def test_import_dry_run_reports_every_bad_cell_and_writes_nothing(people):
    path = _workbook(
        [
            ["甲物流公司", valid_code("91410105AAA"), "道路货物运输", "中型", "410105", ""],
            ["乙客运公司", "91110108551385082R", "道路旅客运输", "大型", "410105", ""],  # check fails, no reason
            ["丙公司", valid_code("91410105BBB"), "飞机", "中型", "410105", ""],  # unknown kind
            ["丁公司", valid_code("91410303CCC"), "出租汽车", "小型", "410303", ""],  # out of scope
            ["甲物流公司", valid_code("91410105DDD"), "道路货物运输", "中型", "410105", ""],  # duplicate name
            ["戊公司", "91440300708461136A", "城市公交", "微型", "410105", "早期试点代码"],  # reason: accepted
        ]
    )
    report = imports.enterprises_import(actor=people["county"], path=path, commit=True)
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "统一社会信用代码"), (4, "类型"), (5, "区划代码"), (6, "企业名称")}
    assert not Enterprise.objects.exists()  # all or none


def test_import_writes_all_rows_with_one_audit_event(people):
    path = _workbook(
        [
            ["甲物流公司", valid_code("91410105AAA"), "道路货物运输", "中型", "410105", ""],
            ["戊公司", "91110108551385082R", "城市公交", "微型", "410105", "早期试点代码"],
        ]
    )
    dry = imports.enterprises_import(actor=people["county"], path=path, commit=False)
    assert not dry.errors and len(dry.rows) == 2 and not Enterprise.objects.exists()
    imports.enterprises_import(actor=people["county"], path=path, commit=True)
    assert Enterprise.objects.count() == 2
    assert Enterprise.objects.get(name="戊公司").check_override_reason == "早期试点代码"
    assert AuditEvent.objects.get(action="service.enterprises_import").changes["rows"] == 2


def test_import_page_and_template(people, client):
    client.force_login(people["county"])
    template = client.get(reverse("service:import-template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    with open(_workbook([["甲物流公司", "bad", "道路货物运输", "中型", "410105", ""]]), "rb") as handle:
        response = client.post(reverse("service:import"), {"file": handle, "commit": "on"})
    assert response.status_code == 400 and 'id="import-errors"' in response.content.decode()
    with open(__file__, "rb") as handle:
        response = client.post(reverse("service:import"), {"file": handle})
    assert response.status_code == 400 and "不是 Excel" in response.content.decode()


def test_assignments_check_who_and_what(world):
    county, leader = world["county"], world["leader"]
    with pytest.raises(ValidationError, match="已联系"):
        services.assignment_add(actor=county, leader=leader, enterprise=world["enterprise"])
    with pytest.raises(ValidationError, match="尚未登记为领导班子成员"):
        services.assignment_add(actor=county, leader=world["city"], enterprise=world["enterprise"])
    from portal.regions.models import Unit

    agency = Unit.objects.create(name="金水区执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105")
    with pytest.raises(ValidationError, match="不是执法站/队"):
        services.assignment_add(actor=county, leader=leader, station=agency)
    services.leader_set(actor=world["province"], user=world["leader_b"], post="洛阳队长")
    with pytest.raises(ValidationError, match="所属区划不包含"):  # a 洛阳 leader for a 郑州 enterprise
        services.assignment_add(actor=world["province"], leader=world["leader_b"], enterprise=world["enterprise"])
    assert Assignment.objects.count() == 2


def test_a_published_phone_needs_a_number(people):
    with pytest.raises(ValidationError, match="公开联系电话"):
        services.leader_set(actor=people["county"], user=people["leader"], post="局长", phone="", published=True)


def test_unassigned_enterprises_figure_equals_its_list(world, client):
    from portal.dashboards.services import figures_refresh

    services.enterprise_register(
        actor=world["county"],
        name="未分配公司",
        credit_code=valid_code("91410105YYY"),
        kind="taxi",
        size="small",
        region="410105",
    )
    figures_refresh()
    from service.models import ServiceFigure

    def figure(code, name):
        return sum(
            ServiceFigure.objects.filter(region_id=code, unit__isnull=True, dim="all").values_list(name, flat=True)
        )

    for code in ("410105", "410100", "410000"):
        assert figure(code, "enterprises") == 2 and figure(code, "unassigned") == 1
    client.force_login(world["province"])
    listed = client.get(reverse("service:index"), {"region": "410100", "unassigned": "yes"})
    assert listed.context["page"].paginator.count == 1
    assert "未分配公司" in listed.content.decode()
    coverage = client.get(reverse("service:coverage"))
    row = next(r for r in coverage.context["rows"] if r["region"].code == "410100")
    assert row["counts"]["enterprises"] == 2 and row["counts"]["unassigned"] == 1
    assert client.get(row["links"]["unassigned"]).context["page"].paginator.count == 1


def test_enterprise_list_queries_do_not_grow(world, client, django_assert_max_num_queries):
    for i in range(5):
        services.enterprise_register(
            actor=world["county"],
            name=f"公司{i}",
            credit_code=valid_code(f"91410105Q{i}"),
            kind="taxi",
            size="small",
            region="410105",
        )
    client.force_login(world["city"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("service:index"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 6


def test_the_outsider_sees_nothing(world, client):
    client.force_login(world["outsider"])
    assert client.get(reverse("service:enterprise", kwargs={"pk": world["enterprise"].pk})).status_code == 404
    assert client.get(reverse("service:index")).context["page"].paginator.count == 0
