"""风险预警 in Chromium, each role signing in through the real login page: the province lists a
risk, the city adopts it from the list above; the county reports an incident and forwards it,
the city forwards it to the province, a second forward is refused with its reason, and the
final report closes it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_problem_journey import PASSWORD, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def cast(_restore_migrated_data):
    from portal.accounts.models import Role, User
    from portal.regions.models import Unit

    unit = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    make = User.objects.create_user
    return {
        "county": make("e2e_risk_county", password=PASSWORD, region_id="410105", roles=[Role.COUNTY_OFFICER]),
        "city": make("e2e_risk_city", password=PASSWORD, region_id="410100", roles=[Role.CITY_STAFF]),
        "province": make("e2e_risk_province", password=PASSWORD, region_id="410000", roles=[Role.PROVINCE_STAFF]),
        "unit": unit,
    }


def test_negative_list_adoption_and_an_incident_forwarded_up_the_three_levels(
    browser, live_server, cast, screenshot_dir
):
    from playwright.sync_api import expect

    from supervision.models import Incident, RiskItem

    province = Desk(browser, live_server, cast["province"])
    city = Desk(browser, live_server, cast["city"])
    county = Desk(browser, live_server, cast["county"])
    try:
        # --- the province lists a risk with a measure ---------------------------------------------
        page = province.page
        province.open("/supervision/risks/")
        expect(page.get_by_role("heading", name="重大执法风险隐患负面清单", level=1)).to_be_visible()
        page.get_by_role("link", name="登记风险事项").click()
        page.get_by_label("编号").fill("SFX-01")
        page.get_by_label("风险事项").fill("治超站点现场直接罚款")
        page.get_by_label("执法领域").select_option(index=1)
        page.get_by_label("风险描述").fill("违反六严禁直接罚款。")
        page.get_by_label("可能性（1–5）").select_option("4")
        page.get_by_label("影响程度（1–5）").select_option("5")
        page.get_by_label("防范措施 1").fill("推行非现场执法")
        page.locator("#risk_m1_owner").select_option("first")
        page.get_by_role("button", name="登记", exact=True).click()
        # a measure without a due date: refused with the reason, nothing saved
        expect(page.locator("#risk-form")).to_contain_text("第 1 项防范措施没有完成期限")
        assert not RiskItem.objects.exists()
        page.locator("#risk_m1_due").fill("2027-03-31")
        page.get_by_role("button", name="登记", exact=True).click()
        page.wait_for_url(re.compile(r"/supervision/risks/\d+/$"))
        expect(page.locator("#risk-matrix")).to_contain_text("20")

        # --- the city adopts it from the list above -----------------------------------------------
        page = city.page
        city.open("/supervision/risks/")
        page.get_by_role("link", name="查看并采用上级清单").click()
        page.locator("#risk-above").get_by_role("button", name="采用到本级").click()
        page.wait_for_url(re.compile(r"/supervision/risks/\d+/$"))
        expect(page.locator(".portal-messages")).to_contain_text("已采用到本级清单")
        assert RiskItem.objects.filter(region_id="410100", adopted_from__region_id="410000").count() == 1

        # --- the county reports an incident and forwards it ----------------------------------------
        page = county.page
        county.open("/supervision/risks/incidents/")
        page.get_by_role("link", name="首报突发事件").click()
        page.get_by_label("事件名称").fill("路面检查中当事人冲卡")
        page.get_by_label("事件类别").select_option(label="执法冲突")
        page.get_by_label("涉事单位").select_option(label=cast["unit"].name)
        page.get_by_label("首报内容").fill("G107 夜间检查，货车冲卡，一人擦伤。")
        page.get_by_role("button", name="首报", exact=True).click()
        page.wait_for_url(re.compile(r"/supervision/risks/incidents/\d+/$"))
        expect(page.locator(".portal-messages")).to_contain_text("30 分钟内报送市级")
        page.get_by_role("button", name="报送市级").click()
        expect(page.locator(".portal-messages")).to_contain_text("已报送市级")
        incident = Incident.objects.get()
        detail = f"/supervision/risks/incidents/{incident.pk}/"

        # --- the city forwards it to the province; the final report closes it ---------------------
        page = city.page
        city.open(detail)
        page.get_by_role("button", name="报送省级").click()
        expect(page.locator(".portal-messages")).to_contain_text("已报送省级")
        expect(page.get_by_role("button", name="报送省级")).to_have_count(0)
        form = page.locator("#report-form")
        form.get_by_label("报告类型").select_option("final")
        form.get_by_label("报告内容").fill("处置完毕。")
        form.get_by_role("button", name="报送").click()
        expect(page.locator("#incident-times")).to_contain_text("已终报")
        expect(page.locator("#incident-reports")).to_contain_text("终报")
        page.screenshot(path=str(screenshot_dir / "incident_detail.png"), full_page=True)

        # --- the province's list shows it, forwarded on time ----------------------------------------
        page = province.page
        province.open("/supervision/risks/incidents/")
        expect(page.locator("#incidents")).to_contain_text(incident.code)
        expect(page.locator("#incident-strip")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "incident_list.png"), full_page=True)
        # the strip's "missed" number opens the list of those incidents: this one was on time
        page.locator("#incident-strip a").nth(1).click()
        page.wait_for_url(re.compile(r"missed=yes"))
        expect(page.locator("#incidents")).not_to_contain_text(incident.code)
        expect(page.locator("#incident-filters select[name=missed]")).to_have_value("yes")
        for desk in (province, city, county):
            assert not desk.watch.problems, desk.watch.problems
    finally:
        for desk in (province, city, county):
            desk.close()
