"""The first browser journey: sign in and see the dashboard, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

USERNAME = "e2e_province"
PASSWORD = "E2e#Pass-2026"
SECTIONS = ["数据看板", "问题清单", "投诉举报", "挂牌督办/执法监督", "风险预警", "绩效评价"]


@pytest.fixture
def dashboard_user(_restore_migrated_data):
    from portal.accounts.models import Role, User
    from portal.regions.models import Region

    return User.objects.create_user(
        USERNAME,
        password=PASSWORD,
        first_name="张三",
        region=Region.objects.get(code="410000"),
        roles=[Role.PROVINCE_STAFF],
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


def _open(browser, **context_options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _sign_in(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    # Anonymous: sent to the login page, which remembers where we were going.
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")


def _drawn_pixels(page) -> int:
    return page.locator("#region-chart canvas").first.evaluate(
        """canvas => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let drawn = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { drawn += 1; } }
            return drawn;
        }"""
    )


def test_sign_in_and_see_the_dashboard(browser, live_server, dashboard_user, screenshot_dir):
    from playwright.sync_api import expect

    context, page, watch = _open(browser, viewport={"width": 1366, "height": 860})
    try:
        _sign_in(page, live_server)

        expect(page).to_have_title(re.compile("数据看板"))
        expect(page.get_by_role("heading", name="数据看板", level=1)).to_be_visible()
        navigation = page.locator("#portal-nav")
        for label in SECTIONS:
            expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()
        expect(navigation.get_by_role("link", name="数据看板", exact=True)).to_have_attribute("aria-current", "page")
        expect(navigation.locator(".portal-user")).to_contain_text("张三")
        expect(navigation.get_by_role("button", name="退出登录")).to_be_visible()
        expect(navigation.get_by_role("button", name="English")).to_be_visible()

        # ECharts drew the region chart on a canvas inside #region-chart.
        canvas = page.locator("#region-chart canvas")
        expect(canvas.first).to_be_visible()
        box = canvas.first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
        page.wait_for_function(
            "() => window.echarts && echarts.getInstanceByDom(document.getElementById('region-chart'))"
        )
        assert _drawn_pixels(page) > 1000

        page.wait_for_timeout(1200)  # let the bars finish their entry animation for the screenshot
        page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
        assert watch.problems == []
    finally:
        context.close()


def test_dashboard_on_a_phone(browser, live_server, dashboard_user, screenshot_dir):
    from playwright.sync_api import expect

    context, page, watch = _open(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.screenshot(path=str(screenshot_dir / "login-phone.png"), full_page=True)
        _sign_in(page, live_server)

        # The menu folds behind the toggler and opens on tap.
        problem_list = page.locator("#portal-nav").get_by_role("link", name="问题清单", exact=True)
        expect(problem_list).to_be_hidden()
        toggler = page.get_by_role("button", name="展开或收起导航")
        toggler.click()
        expect(page.locator("#portal-nav")).to_have_class(re.compile(r"\bshow\b"))  # opened, transition over
        expect(problem_list).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "dashboard-phone-menu.png"))
        toggler.click()
        expect(problem_list).to_be_hidden()

        # No sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.locator("#region-chart canvas").first).to_be_visible()
        page.wait_for_timeout(1200)
        page.screenshot(path=str(screenshot_dir / "dashboard-phone.png"), full_page=True)
        assert watch.problems == []
    finally:
        context.close()


def test_switch_language_and_sign_out(browser, live_server, dashboard_user, screenshot_dir):
    from playwright.sync_api import expect

    context, page, watch = _open(browser, viewport={"width": 1366, "height": 860})
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/")
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.screenshot(path=str(screenshot_dir / "login-en.png"), full_page=True)

        # The language stays chosen through signing in.
        page.get_by_label("Username").fill(USERNAME)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("#portal-nav").get_by_role("link", name="Problem list")).to_be_visible()
        page.wait_for_timeout(1200)
        page.screenshot(path=str(screenshot_dir / "dashboard-en.png"), full_page=True)

        page.get_by_role("button", name="简体中文").click()
        expect(page.locator("#portal-nav").get_by_role("link", name="问题清单", exact=True)).to_be_visible()

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_role("status")).to_contain_text("您已安全退出登录")
        page.goto(f"{live_server.url}/")
        assert "/accounts/login/" in page.url
        assert watch.problems == []
    finally:
        context.close()
