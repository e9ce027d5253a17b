"""The province dashboard in a browser, with the demo data: every chart drew on its canvas, no
console error, and a screenshot (var/screenshots/province_dashboard.png); then a drill-down by
clicking a city's bar."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

USERNAME = "e2e_dashboard"
PASSWORD = "E2e#Dash-2026"


@pytest.fixture
def demo(_restore_migrated_data):
    """``seed_demo --scale small`` (its last step computes the dashboards' figures). Where the
    demo has no complaints or accountability records yet, a few are added so every panel has
    something to draw."""
    from django.core.management import call_command

    from cases.models import Accountability, Problem
    from complaints.models import Complaint
    from portal.accounts.models import Role, User
    from portal.dashboards.services import figures_refresh
    from portal.dashboards.tests import conftest as make
    from portal.regions.models import Unit

    call_command("seed_demo", "--scale", "small", verbosity=0)
    if not Complaint.objects.exists():
        for i, unit in enumerate(Unit.objects.filter(region_id__in=["410105", "410122", "410303", "410100"])[:6]):
            for j in range(4 + i):
                make.complaint(
                    unit,
                    kind=["complaint", "consultation", "complaint", "suggestion"][j % 4],
                    category=["cubao-attitude", "sanluan-fees", "zhuli-fines", None][j % 4],
                    received_on=make.days(-25 * j - i),
                    status=Complaint.Status.CLOSED if j % 3 else Complaint.Status.ACCEPTED,
                    closed_on=make.days(-25 * j - i + 5) if j % 3 else None,
                    escalated=j % 4 == 2,
                    satisfaction="unsatisfied" if j == 4 else "",
                )
    if not Accountability.objects.exists():
        measures = list(Accountability.Measure.values)
        for i, problem in enumerate(Problem.objects.filter(status=Problem.Status.CLOSED)[:6]):
            make.accountability(problem, measure=measures[i % len(measures)], serious=i == 3)
    figures_refresh()
    return User.objects.create_user(
        USERNAME, password=PASSWORD, first_name="督查", region_id="410000", roles=[Role.PROVINCE_STAFF]
    )


class PageWatch:
    """Console errors, uncaught exceptions and failed or 4xx/5xx requests of one page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url} {request.failure}"))
        page.on(
            "response",
            lambda response: response.status >= 400 and self.problems.append(f"{response.status}: {response.url}"),
        )


def _open_signed_in(browser, live_server, **options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    watch = PageWatch(page)
    page.goto(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page, watch


CHARTS_DRAWN = """() => {
    const boxes = [...document.querySelectorAll("[data-chart]")];
    return boxes.length > 0 && boxes.every(box => {
        const chart = window.echarts && echarts.getInstanceByDom(box);
        return chart && box.querySelector("canvas");
    });
}"""


def test_the_province_dashboard_draws_every_chart(browser, live_server, demo, screenshot_dir):
    from playwright.sync_api import expect

    context, page, watch = _open_signed_in(browser, live_server, viewport={"width": 1440, "height": 900})
    try:
        expect(page).to_have_title(re.compile("数据看板"))
        expect(page.get_by_role("heading", name="数据看板 · 河南省", level=1)).to_be_visible()
        expect(page.locator("#dash-asof")).to_contain_text("数据截至")
        containers = page.locator("[data-chart]")
        ids = containers.evaluate_all("boxes => boxes.map(box => box.id)")
        assert set(ids) >= {
            "chart-trend-problems",
            "chart-trend-complaints",
            "region-chart",
            "chart-places-complaints",
            "chart-problem-categories",
            "chart-problem-domains",
            "chart-complaint-categories",
            "chart-accountability",
        }, ids
        page.wait_for_function(CHARTS_DRAWN)
        for chart_id in ids:
            canvas = page.locator(f"#{chart_id} canvas").first
            expect(canvas).to_be_attached()
            box = canvas.bounding_box()
            assert box and box["width"] > 150 and box["height"] > 150, (chart_id, box)
            drawn = canvas.evaluate(
                """canvas => {
                    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                    let drawn = 0;
                    for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { drawn += 1; } }
                    return drawn;
                }"""
            )
            assert drawn > 500, (chart_id, drawn)
        # the numbers beside the charts: the overdue KPI links to the filtered problem list
        overdue = page.locator("#kpi-problems .dash-kpi", has_text="逾期未整改").locator("a")
        expect(overdue).to_have_attribute("href", "/cases/?region=410000&overdue=yes")
        page.wait_for_timeout(900)  # the entry animations end before the picture
        page.screenshot(path=str(screenshot_dir / "province_dashboard.png"), full_page=True)
        assert watch.problems == []

        # A click on 郑州市 in the places table opens the city's dashboard.
        page.locator("#places-table").get_by_role("link", name="郑州市", exact=True).click()
        page.wait_for_url(f"{live_server.url}/dashboard/region/410100/")
        expect(page.get_by_role("heading", name="数据看板 · 郑州市", level=1)).to_be_visible()
        page.wait_for_function(CHARTS_DRAWN)
        page.wait_for_timeout(600)
        page.screenshot(path=str(screenshot_dir / "city_dashboard.png"), full_page=True)
        assert watch.problems == []
    finally:
        context.close()


def test_the_dashboard_on_a_phone(browser, live_server, demo, screenshot_dir):
    context, page, watch = _open_signed_in(
        browser, live_server, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        page.wait_for_function(CHARTS_DRAWN)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        page.wait_for_timeout(600)
        page.screenshot(path=str(screenshot_dir / "province_dashboard-phone.png"), full_page=True)
        assert watch.problems == []
    finally:
        context.close()
