"""Enforcement-supervision pages (issue 17): plan, draw, record on site, raise a problem, all
through the pages; bad input refused with a reason; lists pinned in queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Category, Problem
from cases.tests.matrix import PNG
from portal.accounts.models import Role
from portal.regions.models import EnforcementDomain
from supervision import activities
from supervision.models import Activity, ActivityTarget, Draw, Finding, InspectionRecord
from supervision.tests import factories as f
from supervision.tests.test_draws import HOMES
from supervision.tests.test_services import make_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(client):
    province = f.user("prov", "410000")
    f.pool(province, HOMES)
    make_problem("410105")
    make_problem("410105")
    client.force_login(province)
    return province


def _start(act):
    return f.start_now(act)


def test_plan_draw_record_and_raise_through_the_pages(client, planned):
    province = planned
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        reverse("supervision:activity-new"),
        {
            "title": "第四季度异地交叉执法监督",
            "method": Activity.Method.UNANNOUNCED,
            "starts_on": (tomorrow + dt.timedelta(days=5)).isoformat(),
            "ends_on": (tomorrow + dt.timedelta(days=8)).isoformat(),
            "team_size": 3,
        },
    )
    act = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("supervision:activity", args=[act.pk])
    page = client.get(response.url).content.decode()
    assert "按问题密度推荐" in page and "410105 执法大队" in page
    ranked = activities.ranked_targets(province, act)[0]
    client.post(reverse("supervision:activity-target", args=[act.pk]), {"unit": ranked["unit_id"], "source": "ranked"})
    target = ActivityTarget.objects.get(activity=act)
    assert target.source == "ranked" and target.figures["open"] == 2
    # visiting before the draw is refused with the reason
    page = client.get(reverse("supervision:visit", args=[target.pk])).content.decode()
    response = client.post(
        reverse("supervision:visit", args=[target.pk]),
        {"form": "record", "item_0": "ok", "visited_on": act.starts_on.isoformat()},
    )
    assert response.status_code == 200 and "先抽取，后检查" in response.content.decode()
    assert not InspectionRecord.objects.exists()
    # commit, then reveal
    client.post(
        reverse("supervision:activity-draw", args=[act.pk]),
        {"kind": "team", "size": 3, "value_source": "中国福利彩票3D", "value_date": tomorrow.isoformat()},
    )
    draw = f.age(Draw.objects.get(activity=act))
    page = client.get(reverse("supervision:activity", args=[act.pk])).content.decode()
    assert draw.candidates_hash in page
    client.post(reverse("supervision:activity-reveal", args=[act.pk]), {"draw": draw.pk, "value": "０ ３ ５"})
    draw.refresh_from_db()
    assert draw.value == "035" and act.team.count() == 3
    page = client.get(reverse("supervision:activity", args=[act.pk])).content.decode()
    assert f"verify_draw {draw.pk}" in page
    # on site
    act = _start(act)
    member = act.team.first().inspector_id
    response = client.post(
        reverse("supervision:visit", args=[target.pk]),
        {"form": "record", "item_0": "ok", "item_1": "problem", "members": [member], "notes": "现场查看"},
    )
    assert response.status_code == 302
    record = InspectionRecord.objects.get(target=target)
    assert record.answers == {"0": "ok", "1": "problem"} and list(record.members.values_list("pk", flat=True)) == [
        member
    ]
    photo = SimpleUploadedFile("scene.png", PNG, content_type="image/png")
    response = client.post(
        reverse("supervision:visit", args=[target.pk]),
        {"form": "finding", "text": "执法人员未着装上岗", "item": "1", "photos": [photo]},
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.photos.count() == 1 and finding.item == 1
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    response = client.post(
        reverse("supervision:finding-raise", args=[finding.pk]),
        {"category": category.pk, "severity": Problem.Severity.GENERAL, "domain": EnforcementDomain.objects.first().pk},
    )
    finding.refresh_from_db()
    assert finding.problem.source == Problem.Source.CROSS_REGION
    page = client.get(reverse("supervision:visit", args=[target.pk])).content.decode()
    assert finding.problem.code in page


def test_bad_input_is_refused_with_a_reason_and_nothing_saved(client, planned):
    province = planned
    act = f.activity(province)
    other = f.activity(province, title="另一活动")
    unit = f.unit("410303")
    activities.target_add(actor=province, activity=act, unit=unit)
    foreign = activities.target_add(actor=province, activity=other, unit=f.unit("410202"))
    # more than eligible: the count and the reasons
    response = client.post(
        reverse("supervision:activity-draw", args=[act.pk]),
        {
            "kind": "team",
            "size": 99,
            "value_source": "中国福利彩票3D",
            "value_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        },
        follow=True,
    )
    text = response.content.decode()
    assert "符合条件的只有" in text and "本地回避" in text and not Draw.objects.exists()
    f.drawn_team(province, act)
    act = _start(act)
    target = act.targets.get()
    member = act.team.first().inspector_id
    activities.record_visit(actor=province, target_id=target.pk, answers={}, member_ids=[member])
    # a finding on a target outside the activity
    with pytest.raises(activities.ValidationError) as exc:
        activities.finding_add(actor=province, activity_id=act.pk, target_id=foreign.pk, text="x")
    assert "不属于本活动" in " ".join(exc.value.messages)
    assert not Finding.objects.exists()
    # a visit with a member not on the team
    response = client.post(reverse("supervision:visit", args=[target.pk]), {"form": "record", "members": ["999999"]})
    assert response.status_code == 200 and "检查组成员" in response.content.decode()
    # a date that is no date
    response = client.post(
        reverse("supervision:visit", args=[target.pk]), {"form": "record", "members": [member], "visited_on": "x"}
    )
    assert response.status_code == 200 and "检查日期格式" in response.content.decode()


def test_pages_are_scoped_and_lists_do_not_grow_in_queries(client, planned, django_assert_num_queries):
    province = planned
    for i in range(3):
        act = f.activity(province, title=f"活动{i}")
        activities.target_add(actor=province, activity=act, unit=f.unit(f"41030{i + 2}"))
    outsider = f.user("outsider", "410200", Role.CITY_STAFF)
    with django_assert_num_queries(9):  # the same for 1 or 100 activities (the page count included)
        assert client.get(reverse("supervision:activities")).status_code == 200
    assert client.get(reverse("supervision:pool")).status_code == 200
    client.force_login(outsider)
    assert "活动0" not in client.get(reverse("supervision:activities")).content.decode()
    act = Activity.objects.first()
    assert client.get(reverse("supervision:activity", args=[act.pk])).status_code == 404
    assert client.get(reverse("supervision:visit", args=[act.targets.get().pk])).status_code == 404
