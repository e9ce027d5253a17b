"""The pages: inbox (query budget flat with volume), list and export (masked), detail with the
timeline and the workflow's forms, the operator's form, statistics, volunteers, routing rules."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, RoutingRule, VolunteerSupervisor
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_shows_lights_and_its_query_count_does_not_grow(submit, people, django_assert_num_queries):
    county = client_for(people["county"])
    submit(subject="红灯的投诉", received_at=timezone.now() - dt.timedelta(days=40))
    submit(subject="新投诉")
    county.get(reverse("complaints:index"))  # warm the per-process caches (reference data, calendar)
    with CaptureQueriesContext(connection) as small:
        response = county.get(reverse("complaints:index"))
    body = response.content.decode()
    assert "红灯的投诉" in body and "light-red" in body and "light-green" in body
    for i in range(120):
        submit(subject=f"更多投诉{i}", phone=f"1380000{i:04d}")
    with django_assert_num_queries(len(small.captured_queries)):
        response = county.get(reverse("complaints:index"))
    assert response.status_code == 200 and "共 122 件" in response.content.decode()
    # session, user, the user's region (scoping), count, rows, the inbox badge, session save
    assert len(small.captured_queries) <= 10


def test_list_filters_and_search(submit, people):
    submit(subject="出租车拒载", phone="13711112222")
    submit(subject="货车被乱罚款", kind="complaint", area="highway", plate="豫A99999")
    city = client_for(people["city"])
    body = city.get(reverse("complaints:list"), {"q": "13711112222"}).content.decode()
    assert "出租车拒载" in body and "货车被乱罚款" not in body
    body = city.get(reverse("complaints:list"), {"area": "highway"}).content.decode()
    assert "货车被乱罚款" in body and "出租车拒载" not in body
    body = city.get(reverse("complaints:list"), {"q": "豫A99999"}).content.decode()
    assert "货车被乱罚款" in body
    assert "13711112222" not in body  # never a clear phone on a page
    out_of_scope = client_for(people["city_b"]).get(reverse("complaints:list")).content.decode()
    assert "出租车拒载" not in out_of_scope


def test_the_export_is_masked_scoped_neutralised_and_audited(submit, people):
    from openpyxl import load_workbook

    submit(subject='=HYPERLINK("http://evil")', complainant_name="张三丰", phone="13712345678", plate="豫A12345")
    response = client_for(people["city"]).get(reverse("complaints:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "受理编号" and len(rows) == 2
    row = rows[1]
    assert row[6].startswith("'=")  # formula neutralised
    assert "张**" in row and "137****5678" in row and "豫A·***45" in row
    assert "13712345678" not in str(rows)
    assert AuditEvent.objects.filter(action="complaint.export").exists()
    assert client_for(people["auditor"]).get(reverse("complaints:export")).status_code == 404
    empty = client_for(people["city_b"]).get(reverse("complaints:export"))
    assert len(list(load_workbook(io.BytesIO(empty.content)).active.iter_rows())) == 1


def test_the_detail_page_masks_and_offers_an_audited_reveal(submit, people):
    complaint = submit(phone="13712345678", complainant_name="张三丰")
    body = client_for(people["county"]).get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "137****5678" in body and "13712345678" not in body and "张**" in body
    assert "reveal" in body  # the county officer has the reveal right
    revealed = client_for(people["county"]).post(
        reverse("reveal-personal-data"), {"target": f"complaints.complaint:{complaint.pk}:phone"}
    )
    assert revealed.content.decode() == "13712345678"
    assert client_for(people["county_b"]).get(reverse("complaints:detail", args=[complaint.pk])).status_code == 404


def test_the_loop_through_the_pages(submit, people, units):
    county, city = client_for(people["county"]), client_for(people["city"])
    complaint = submit()
    url = reverse("complaints:act", args=[complaint.pk])

    def post(client, move, **data):
        current = Complaint.objects.get(pk=complaint.pk)
        return client.post(url, {"move": move, "expected_version": current.version, **data})

    assert county.get(url).status_code == 200
    assert post(county, "accept").status_code == 302
    bad = post(county, "reply")
    assert bad.status_code == 400 and "请填写答复内容" in bad.content.decode()
    assert post(county, "reply", reason="已处理", reply_method="phone").status_code == 302
    stale = county.post(url, {"move": "close_without_callback", "expected_version": 1, "reason": "x"})
    assert stale.status_code == 302  # a conflict: back to the page with the message
    assert Complaint.objects.get(pk=complaint.pk).status == "replied"
    assert post(county, "callback", satisfaction="satisfied", reason="满意").status_code == 302
    assert post(county, "close").status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == "closed"
    detail = county.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    for step in ("登记", "受理", "答复", "回访", "办结"):
        assert step in detail
    # the level above reopens it
    assert post(city, "reopen", reason="投诉人再次反映").status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == "accepted"


def test_extension_merge_and_problem_pages(submit, people):
    county, city = client_for(people["county"]), client_for(people["city"])
    first, complaint = submit(subject="第一件"), submit(subject="第二件")
    Complaint.objects.filter(pk=complaint.pk).update(status="accepted")
    ext = reverse("complaints:extension", args=[complaint.pk])
    assert county.get(ext).status_code == 200
    assert county.post(ext, {"reason": "需调查"}).status_code == 302
    assert city.post(ext, {"approve": "1", "note": "同意"}).status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).extensions_used == 1
    merge = reverse("complaints:merge", args=[complaint.pk])
    partial = county.get(merge, headers={"HX-Request": "true"}).content.decode()
    assert first.tracking_number in partial  # same phone, same unit
    assert county.post(merge, {"into": first.tracking_number.lower()}).status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).duplicate_of_id == first.pk
    problem = reverse("complaints:problem", args=[first.pk])
    assert county.post(problem, {"title": "问题", "severity": "general", "category": ""}).status_code == 400
    from cases.models import Category

    ok = county.post(
        problem, {"title": "出租车拒载问题", "severity": "general", "category": Category.objects.get(code="zuofeng").pk}
    )
    assert ok.status_code == 302
    assert "WT" in county.get(reverse("complaints:detail", args=[first.pk])).content.decode()


def test_the_operator_form_is_built_for_speed(units, people):
    county = client_for(people["county"])
    page = county.get(reverse("complaints:new")).content.decode()
    assert "autofocus" in page and 'name="phone"' in page and "Ctrl+Enter" in page
    assert page.index('name="phone"') < page.index('name="subject"')  # the caller's number first
    data = {
        "phone": "13812345678",
        "complainant_name": "赵六",
        "channel": "operator",
        "kind": "complaint",
        "area": "road_transport",
        "region": "410105",
        "subject": "客运站强制收费",
        "description": "汽车客运站强制收取行李费。",
        "next": "1",
    }
    response = county.post(reverse("complaints:new"), data)
    assert response.status_code == 302 and response["Location"] == reverse("complaints:new")
    complaint = Complaint.objects.get()
    assert complaint.channel == "operator" and complaint.created_by == people["county"]
    follow = county.get(reverse("complaints:new")).content.decode()
    assert complaint.tracking_number in follow  # the message names what was saved
    bad = county.post(reverse("complaints:new"), {**data, "phone": "12", "region": "410303"})
    assert bad.status_code == 400
    suggestions = county.get(
        reverse("complaints:new-duplicates"), {"phone": "13812345678", "region": "410105", "area": "road_transport"}
    )
    assert complaint.tracking_number in suggestions.content.decode()
    assert client_for(people["auditor"]).get(reverse("complaints:new")).status_code == 404


def test_statistics_page(submit, people):
    submit()
    body = client_for(people["city"]).get(reverse("complaints:statistics")).content.decode()
    assert "投诉总量" in body and "complaint-month-data" in body


def test_volunteers_and_routing_rules(units, people):
    county = client_for(people["county"])
    response = county.post(
        reverse("complaints:volunteers"),
        {"number": "JS-001", "name": "钱七", "phone": "13900001111", "organisation": "出租车司机", "region": "410105"},
    )
    assert response.status_code == 302
    volunteer = VolunteerSupervisor.objects.get()
    assert volunteer.phone == "13900001111"
    page = county.get(reverse("complaints:volunteers")).content.decode()
    assert "钱*" in page and "13900001111" not in page
    response = county.post(
        reverse("complaints:rules"),
        {"region": "410105", "area": "urban_transit", "unit": units[("410105", "station")].pk, "active": "on"},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(area="urban_transit")
    assert county.get(reverse("complaints:rule-edit", args=[rule.pk])).status_code == 200
    # a county cannot route to another county's unit
    response = county.post(
        reverse("complaints:rules"), {"region": "410105", "area": "waterway", "unit": units[("410303", "agency")].pk}
    )
    assert response.status_code == 400
