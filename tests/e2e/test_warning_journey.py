"""Monitoring warnings in Chromium (issue 18 §2): after the nightly job, a county officer opens
the 监测预警 list, sees the method and the warning on their unit, opens it (the series chart is
drawn from the vendored ECharts, the records are listed), acknowledges it and records a 约谈."""

from __future__ import annotations

import pytest

from tests.e2e.test_problem_journey import PASSWORD, Desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def cast(_restore_migrated_data):
    from django.utils import timezone

    from cases.models import Category
    from complaints.models import Complaint
    from portal.accounts.models import Role, User
    from portal.regions.models import Unit
    from supervision.tests.test_warnings import complaint_rows
    from supervision.warnings import monitoring_run

    unit = Unit.objects.create(name="金水区路政执法大队", region_id="410105", kind=Unit.Kind.STATION)
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    rows = complaint_rows(unit, category, [d for d in range(7, 300) if d % 2 == 0])
    rows += complaint_rows(unit, category, [d % 7 for d in range(18)])
    Complaint.objects.bulk_create(rows)
    monitoring_run(timezone.localdate())
    county = User.objects.create_user(
        "e2e_w_county", password=PASSWORD, region_id="410105", roles=[Role.COUNTY_OFFICER]
    )
    return {"county": county, "unit": unit}


def test_open_acknowledge_and_record_an_intervention(browser, live_server, cast, screenshot_dir):
    from playwright.sync_api import expect

    from supervision.models import MonitoringWarning

    desk = Desk(browser, live_server, cast["county"])
    try:
        page = desk.page
        desk.open("/supervision/warnings/")
        expect(page.get_by_role("heading", name="监测预警", level=1)).to_be_visible()
        page.locator("#warning-method summary").click()
        expect(page.locator("#warning-method")).to_contain_text("负二项")
        page.locator("#warning-list").get_by_role("link", name="金水区路政执法大队").click()
        expect(page.locator("#warning-chart canvas")).to_have_count(1)
        expect(page.locator("#warning-records li")).to_have_count(18)
        page.screenshot(path=str(screenshot_dir / "warning-detail.png"), full_page=True)
        page.locator("#warning-moves").get_by_role("button", name="确认预警").click()
        expect(page.locator(".portal-messages")).to_contain_text("已执行“确认预警”")
        moves = page.locator("#warning-moves")
        moves.get_by_label("干预措施").select_option("talk")
        moves.get_by_label("干预情况").fill("约谈大队长，要求一周内报送整改情况。")
        moves.get_by_role("button", name="记录干预措施").click()
        expect(page.locator(".portal-messages")).to_contain_text("已执行“记录干预措施”")
        expect(page.locator("#warning-figures")).to_contain_text("约谈")
        warning = MonitoringWarning.objects.get(unit=cast["unit"], kind="surge")
        assert warning.status == "intervened" and warning.intervention == "talk"
        assert desk.watch.problems == []
    finally:
        desk.context.close()
