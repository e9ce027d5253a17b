"""Cross-region supervision in Chromium (issue 17): the province plans an unannounced visit,
takes the top-ranked unit as its target, fixes the candidate list and reveals the team with the
lottery value; on site, at phone width (390 px), the checklist is answered, the members present
ticked, a finding recorded with a photo and raised as a problem on the problem list."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cases.tests.matrix import PNG
from tests.e2e.test_problem_journey import PASSWORD, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def cast(_restore_migrated_data, settings, tmp_path):
    from portal.accounts.models import Role, User
    from supervision.tests import factories as f
    from supervision.tests.test_draws import HOMES
    from supervision.tests.test_services import make_problem

    settings.MEDIA_ROOT = tmp_path / "media"
    province = User.objects.create_user(
        "e2e_sup_province", password=PASSWORD, region_id="410000", roles=[Role.PROVINCE_STAFF]
    )
    f.pool(province, HOMES)
    for _ in range(3):
        make_problem("410105")  # 410105 执法大队: the unit with the most problems
    return {"province": province}


def test_plan_draw_record_on_a_phone_and_raise(browser, live_server, cast, screenshot_dir, tmp_path):
    from django.utils import timezone
    from playwright.sync_api import expect

    from supervision.models import Activity, Draw, Finding
    from supervision.tests import factories as f

    desk = Desk(browser, live_server, cast["province"])
    page = desk.page
    try:
        # --- plan -----------------------------------------------------------------------------
        desk.open("/supervision/activities/new/")
        start = timezone.localdate() + dt.timedelta(days=6)
        page.get_by_label("活动名称").fill("第四季度异地交叉执法监督（暗访）")
        page.get_by_label("方式").select_option(label="暗访（四不两直）")
        page.get_by_label("现场检查开始").fill(start.isoformat())
        page.get_by_label("现场检查结束").fill((start + dt.timedelta(days=2)).isoformat())
        page.get_by_role("button", name="创建", exact=True).click()
        page.wait_for_url(re.compile(r"/supervision/activities/\d+/$"))
        activity = Activity.objects.get()
        proposal = page.locator("#proposals tbody tr", has_text="410105 执法大队")
        expect(proposal).to_contain_text("3")  # the open problems behind the proposal
        proposal.get_by_role("button", name="列为检查对象").click()
        expect(page.locator("#targets")).to_contain_text("410105 执法大队")

        # --- draw: commit the list, then (the lottery day come) reveal ---------------------------
        draw_form = page.locator("#team-draw")
        draw_form.locator("input[name=value_date]").fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
        draw_form.get_by_role("button", name="固定候选名单").click()
        draw = Draw.objects.get(activity=activity)
        expect(page.locator("#draws")).to_contain_text(draw.candidates_hash)
        f.age(draw)  # as if committed two days ago, the lottery drawn yesterday
        desk.open(f"/supervision/activities/{activity.pk}/")
        page.get_by_label("开奖号码").fill("０ ３ ５")
        page.get_by_role("button", name="揭晓", exact=True).click()
        expect(page.locator("#draws")).to_contain_text(f"verify_draw {draw.pk}")
        expect(page.locator("#team li")).to_have_count(3)

        # --- on site, on a phone ------------------------------------------------------------------
        f.start_now(activity)
        page.set_viewport_size({"width": 390, "height": 844})
        target = activity.targets.get()
        desk.open(f"/supervision/visits/{target.pk}/")
        page.locator("label[for=item-0-ok]").click()
        page.locator("label[for=item-1-problem]").click()
        page.locator("#record-form input[name=members]").first.check()
        page.get_by_label("情况记录").fill("上午 9 时到达，未提前通知。")
        page.get_by_role("button", name="保存检查记录").click()
        expect(page.locator("#finding-form")).to_be_visible()
        photo = tmp_path / "现场.png"
        photo.write_bytes(PNG)
        form = page.locator("#finding-form")
        form.get_by_label("发现问题").fill("执法人员未按规定着装、未出示执法证件")
        form.get_by_label("证据照片").set_input_files(str(photo))
        form.get_by_role("button", name="登记检查发现").click()
        expect(page.locator("#findings")).to_contain_text("未按规定着装")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

        # --- raise the finding as a problem -------------------------------------------------------
        finding = page.locator("#findings li[data-finding]").first
        finding.locator("summary", has_text="立为问题").click()
        finding.get_by_label("问题类别").select_option(index=1)
        domain = finding.get_by_label("执法领域")
        domain.select_option(index=1)
        finding.get_by_role("button", name="列入问题清单").click()
        problem = Finding.objects.get().problem
        expect(page.locator("#findings")).to_contain_text(problem.code)
        assert problem.source == "cross_region" and problem.unit_id == target.unit_id
        page.screenshot(path=str(screenshot_dir / "inspection_visit_phone.png"), full_page=True)
        assert not desk.watch.problems, desk.watch.problems
    finally:
        desk.context.close()
