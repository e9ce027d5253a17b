"""The performance evaluation in Chromium, each role signing in through the real login page:
the province closes a period, a county reads its score and files an appeal with evidence, the
province upholds it (the appealed indicator is re-scored) and publishes; the public page shows
the result."""

from __future__ import annotations

import re

import pytest

from cases.tests.matrix import PNG
from tests.e2e.test_problem_journey import PASSWORD, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def cast(_restore_migrated_data, settings, tmp_path):
    from django.core.files.base import ContentFile

    from evaluation import services
    from evaluation.models import EnteredValue, Indicator, IndicatorSystem
    from portal.accounts.models import Role, User

    settings.MEDIA_ROOT = tmp_path / "media"
    make = User.objects.create_user
    province = make("e2e_province", password=PASSWORD, region_id="410000", roles=[Role.PROVINCE_STAFF])
    county = make("e2e_county", password=PASSWORD, region_id="410105", roles=[Role.COUNTY_OFFICER])
    system = IndicatorSystem.objects.create(year=2031)
    common = {"system": system, "rule": "entered", "target": 100, "zero_at": 0}
    training = Indicator.objects.create(
        code="A1", name="执法培训", dimension="onsite", level="county", weight=60, **common
    )
    Indicator.objects.create(code="A2", name="案卷评查", dimension="daily", level="county", weight=40, **common)
    Indicator.objects.create(code="C1", name="市级统筹", dimension="daily", level="city", weight=100, **common)
    period = services.period_open(actor=province, system=system, kind="year")
    value = EnteredValue(period=period, indicator=training, region_id="410105", value=50, entered_by=province)
    value.evidence.save("e.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    value.save()
    return {"province": province, "county": county, "period": period}


def test_close_read_appeal_decide_publish(browser, live_server, cast, screenshot_dir, tmp_path):
    from playwright.sync_api import expect

    from evaluation.models import Appeal, EntityScore

    province = Desk(browser, live_server, cast["province"])
    county = Desk(browser, live_server, cast["county"])
    period = cast["period"]
    try:
        # --- the province closes the period ---------------------------------------------------------
        page = province.page
        province.open("/evaluation/")
        page.locator("#eval-periods tr", has_text="2031年度").get_by_role("button", name="关账并计分").click()
        page.wait_for_url(re.compile(r"/evaluation/ranking/\?period=\d+"))
        expect(page.locator("#eval-ranking")).to_contain_text("金水区")

        # --- the county reads its score and appeals one indicator -------------------------------------
        page = county.page
        county.open(f"/evaluation/ranking/?period={period.pk}&level=county")
        rows = page.locator("#eval-ranking tbody tr")
        expect(rows).to_have_count(1)  # a county sees its own row only
        rows.get_by_role("link").click()
        expect(page.locator("#eval-summary")).to_contain_text("70.00")
        expect(page.locator("#eval-breakdown")).to_contain_text("执法培训")
        form = page.locator("#eval-appeal-form")
        form.get_by_label("申诉指标").select_option(label="A1 执法培训")
        form.get_by_label("申诉理由").fill("第二季度培训记录漏报，附签到表。")
        proof = tmp_path / "培训签到表.png"
        proof.write_bytes(PNG)
        form.get_by_label("佐证材料（图片、PDF、Word 或 Excel）").set_input_files(str(proof))
        form.get_by_role("button", name="提交申诉").click()
        expect(page.locator(".portal-messages")).to_contain_text("申诉已提交")
        expect(page.locator("#eval-appeal-status")).to_contain_text("待裁定")
        appeal = Appeal.objects.get()

        # --- the province cannot publish yet; it upholds the appeal, then publishes ------------------
        page = province.page
        province.open(f"/evaluation/ranking/?period={period.pk}")
        page.get_by_role("button", name="公布结果").click()
        expect(page.locator(".portal-messages")).to_contain_text("还有未裁定的申诉")
        province.open("/evaluation/appeals/")
        page.locator("#eval-appeal-list").get_by_role("link", name="执法培训").click()
        decide = page.locator("#eval-decide-form")
        decide.get_by_label("裁定结果").select_option(label="申诉成立，按改正值重新计分")
        decide.get_by_label("改正后的指标值（申诉成立时填写）").fill("90")
        decide.get_by_label("裁定意见").fill("签到表属实，按 90 分计。")
        decide.get_by_role("button", name="保存裁定").click()
        expect(page.locator(".portal-messages")).to_contain_text("裁定已保存")
        expect(page.locator("#eval-appeal-status")).to_contain_text("申诉成立")
        province.open(f"/evaluation/ranking/?period={period.pk}")
        page.get_by_role("button", name="公布结果").click()
        expect(page.locator(".small.text-muted").first).to_contain_text("已公布")

        # --- the county sees the re-score; the public page the result ---------------------------------
        page = county.page
        score = EntityScore.objects.get(period=period, region_id="410105")
        county.open(f"/evaluation/scores/{score.pk}/")
        expect(page.locator("#eval-summary")).to_contain_text("94.00")
        expect(page.locator("#eval-appeals")).to_contain_text("申诉成立")
        page.screenshot(path=str(screenshot_dir / "evaluation_entity.png"), full_page=True)
        assert Appeal.objects.get(pk=appeal.pk).new_value == 90
        public = browser.new_context(locale="zh-CN").new_page()
        public.goto(f"{live_server.url}/evaluation/public/")
        expect(public.locator("body")).to_contain_text("金水区")
        expect(public.locator("body")).to_contain_text("94.00")
        public.screenshot(path=str(screenshot_dir / "evaluation_public.png"), full_page=True)
        for desk in (province, county):
            assert not desk.watch.problems, desk.watch.problems
    finally:
        for desk in (province, county):
            desk.close()
