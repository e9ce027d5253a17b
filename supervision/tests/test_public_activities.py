"""一公开 (issue 17 §2): published results of cross-region supervision on the public pages,
after the visit, with targets, period and redraw count and without personal data; unpublished
and embargoed activities never show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import activities
from supervision.models import Activity, Draw
from supervision.tests import factories as f
from supervision.tests.test_draws import HOMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    province = f.user("prov_staff_wang", "410000", first_name="王", last_name="组织者")
    f.pool(province, HOMES)
    act = f.activity(province, title="第四季度郑州暗访")
    activities.target_add(actor=province, activity=act, unit=f.unit("410105", "金水区执法大队"))
    first = f.drawn_team(province, act)
    # a redraw with a reason: the first stays, the count is public
    again = activities.draw_commit(
        actor=province,
        activity=act,
        kind=Draw.Kind.TEAM,
        size=3,
        value_source="中国福利彩票3D",
        value_date=timezone.localdate() + dt.timedelta(days=1),
        reason="一名检查人员临时住院",
    )
    activities.draw_reveal(actor=province, draw=f.age(again), value_raw="1 2 9")
    assert first.pk != again.pk
    f.start_now(act)
    target = act.targets.get()
    activities.record_visit(actor=province, target_id=target.pk, answers={}, member_ids=[act.team.first().inspector_id])
    act = activities.activity_publish(actor=province, activity=act, result="检查 1 个单位，发现问题 1 个，已限期整改。")
    # not published: a visit done, nothing public yet
    quiet = f.activity(province, title="未公开的检查")
    f.start_now(quiet)
    # published, but its visit lies ahead (as if moved after publication): embargoed, never public
    ahead = f.activity(province, title="尚未开始的暗访")
    Activity.objects.filter(pk=ahead.pk).update(
        status=Activity.Status.PUBLISHED, published_at=timezone.now(), published_result="不应出现"
    )
    return {"act": act, "province": province}


def test_published_results_show_without_names_and_hidden_ones_do_not(client, published, django_assert_max_num_queries):
    act = published["act"]
    url = reverse("supervision:public-activities")
    with django_assert_max_num_queries(6):  # anonymous: page count, page, targets (and the session)
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "第四季度郑州暗访" in page and act.region.name in page and "金水区执法大队" in page
    assert "检查 1 个单位，发现问题 1 个，已限期整改。" in page and "重新抽取 1 次" in page
    assert act.starts_on.strftime("%Y-%m-%d") in page
    # no person: neither the team, nor the organiser's account, nor the redraw's reason
    for member in act.team.select_related("inspector"):
        assert member.inspector.name not in page
    assert all(name not in page for name in ("检查员", "prov_staff_wang", "王", "一名检查人员临时住院"))
    assert "未公开的检查" not in page and "尚未开始的暗访" not in page and "不应出现" not in page


def test_the_public_page_is_linked_from_the_ledger_public_page(client, published):
    page = client.get(reverse("supervision:public")).content.decode()
    assert reverse("supervision:public-activities") in page
