"""Listed supervision in Chromium, each role signing in through the real login page: the
province lists a candidate (a 舆情 problem), the county reports progress with evidence and the
rectification report, the team records a failed then a passed acceptance, the item is delisted
and appears on the public page."""

from __future__ import annotations

import re

import pytest

from cases.tests.matrix import PNG
from tests.e2e.test_problem_journey import PASSWORD, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLE = "出租车执法钓鱼执法引发负面舆情"


@pytest.fixture
def cast(_restore_migrated_data, settings, tmp_path):
    from cases.models import Category, Problem
    from cases.services import next_problem_codes
    from portal.accounts.models import Role, User
    from portal.regions.models import EnforcementDomain, Unit

    settings.MEDIA_ROOT = tmp_path / "media"
    unit = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    problem = Problem.objects.create(
        code=next_problem_codes(1)[0],
        title=TITLE,
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        source=Problem.Source.PUBLIC_OPINION,
        region_id="410105",
        unit=unit,
        domain=EnforcementDomain.objects.order_by("pk").first(),
    )
    make = User.objects.create_user
    return {
        "county": make("e2e_county", password=PASSWORD, region_id="410105", roles=[Role.COUNTY_OFFICER]),
        "province": make("e2e_province", password=PASSWORD, region_id="410000", roles=[Role.PROVINCE_STAFF]),
        "inspector": make(
            "e2e_inspector", password=PASSWORD, first_name="赵督导", region_id="410000", roles=[Role.INSPECTOR]
        ),
        "unit": unit,
        "problem": problem,
    }


def test_list_report_fail_accept_delist_publish(browser, live_server, cast, screenshot_dir, tmp_path):
    from playwright.sync_api import expect

    from supervision.models import SupervisionItem

    province = Desk(browser, live_server, cast["province"])
    county = Desk(browser, live_server, cast["county"])
    inspector = Desk(browser, live_server, cast["inspector"])
    try:
        # --- the province lists the candidate ---------------------------------------------------
        page = province.page
        province.open("/supervision/candidates/")
        row = page.locator("#rule-pb tbody tr", has_text=cast["unit"].name)
        expect(row).to_contain_text("1")
        row.get_by_role("link", name="挂牌", exact=True).click()
        expect(page.get_by_role("heading", name="挂牌督办", level=1)).to_be_visible()
        expect(page.get_by_label("涉及问题编号")).to_have_value(cast["problem"].code)
        page.get_by_label("措施清单").fill("停止钓鱼执法；退还罚款；约谈大队负责人。")
        page.get_by_label("整改责任清单").fill("金水区交通运输局局长（第一责任人）")
        page.get_by_label("赵督导（河南省）").check()
        page.get_by_role("button", name="挂牌", exact=True).click()
        page.wait_for_url(re.compile(r"/supervision/\d+/$"))
        item = SupervisionItem.objects.get()
        detail = f"/supervision/{item.pk}/"
        expect(page.locator("#item-status")).to_contain_text("已挂牌")
        # the candidate is not proposed again while listed
        province.open("/supervision/candidates/")
        expect(page.locator("#rule-pb")).to_contain_text("暂无候选")

        # --- the county starts, reports progress with evidence, sends the report ------------------
        page = county.page
        county.open(detail)
        county.move("开始整改")
        expect(page.locator("#item-status")).to_contain_text("整改中")
        page.locator("#actions summary", has_text="报送阶段进展").click()
        form = page.locator("#progress-form")
        form.get_by_label("进展情况").fill("已停止钓鱼执法，退还罚款 3 笔。")
        photo = tmp_path / "退款凭证.png"
        photo.write_bytes(PNG)
        form.get_by_label("佐证材料").set_input_files(str(photo))
        form.get_by_role("button", name="报送进展").click()
        expect(page.locator(".portal-messages")).to_contain_text("进展报告已报送")
        expect(page.locator("#timeline")).to_contain_text("退款凭证.png")
        page.locator("#mv-report-text").fill("整改完成：排查案件 20 件，相关人员停岗培训。")
        county.move("报送整改报告")
        expect(page.locator("#item-status")).to_contain_text("已报整改报告")

        # --- the team: a failed acceptance, then a passed one -------------------------------------
        page = inspector.page
        inspector.open(detail)
        failed = page.locator("#move-accept_fail")
        failed.locator("textarea[name=text]").fill("现场抽查：台账不完整。")
        failed.get_by_label("赵督导（河南省）").check()
        inspector.move("验收未通过，继续整改")
        expect(page.locator("#item-status")).to_contain_text("整改中")

        county.open(detail)
        county.page.locator("#mv-report-text").fill("已补齐台账。")
        county.move("报送整改报告")

        inspector.open(detail)
        passed = page.locator("#move-accept_pass")
        passed.locator("textarea[name=text]").fill("现场验收：整改到位。")
        passed.locator("textarea[name=handling_result]").fill("已退还违规罚款，涉事人员停岗培训，建立执法全过程记录。")
        passed.get_by_label("赵督导（河南省）").check()
        inspector.move("验收通过并摘牌")
        expect(page.locator("#item-status")).to_contain_text("已摘牌")
        expect(page.locator("#timeline")).to_contain_text("验收未通过，继续整改")
        page.screenshot(path=str(screenshot_dir / "supervision_detail.png"), full_page=True)

        # --- the public page ---------------------------------------------------------------------
        public = browser.new_context(locale="zh-CN").new_page()
        public.goto(f"{live_server.url}/supervision/public/")
        expect(public.locator("#public-items")).to_contain_text(item.code)
        expect(public.locator("#public-items")).to_contain_text("已退还违规罚款")
        expect(public.locator("#public-items")).not_to_contain_text("赵督导")
        public.screenshot(path=str(screenshot_dir / "supervision_public.png"), full_page=True)
        for desk in (province, county, inspector):
            assert not desk.watch.problems, desk.watch.problems
    finally:
        for desk in (province, county, inspector):
            desk.close()
