"""A problem's whole journey in Chromium, each role signing in through the real login page:
register (county officer) → assign (city staff) → start; 提交核查 disabled with the list of what
is missing (a plan, a route map, milestones, evidence) → plan and progress with an evidence
file (county) → submit after a confirmation page → 销号 disabled until the city records an
on-site verification with evidence → verify and close after confirmation (city). Plus the 409
a stale page gets."""

from __future__ import annotations

import re

import pytest

from cases.tests.matrix import PNG

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "E2e#Journey-2026"
TITLE = "治超站点对货车直接罚款未开具文书"


@pytest.fixture
def cast(_restore_migrated_data, settings, tmp_path):
    from portal.accounts.models import Role, User
    from portal.regions.models import Unit

    settings.MEDIA_ROOT = tmp_path / "media"
    unit = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    make = User.objects.create_user
    return {
        "county": make(
            "e2e_county", password=PASSWORD, first_name="李明", region_id="410105", roles=[Role.COUNTY_OFFICER]
        ),
        "city": make("e2e_city", password=PASSWORD, first_name="王芳", region_id="410100", roles=[Role.CITY_STAFF]),
        "province": make("e2e_province", password=PASSWORD, region_id="410000", roles=[Role.PROVINCE_STAFF]),
        "unit": unit,
    }


class PageWatch:
    """Console errors, uncaught exceptions and failed or 4xx/5xx requests of one page."""

    def __init__(self, page, *, allow_status=()):
        self.problems: list[str] = []
        self.allow_status = allow_status
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self.failed)
        page.on("response", self.response)

    def console(self, message) -> None:
        expected = any(f"status of {status} " in message.text for status in self.allow_status)
        if message.type == "error" and not expected:
            self.problems.append(f"console: {message.text}")

    def failed(self, request) -> None:
        # A download (Content-Disposition: attachment) ends its navigation as "aborted".
        if "/cases/evidence/" in request.url and request.failure == "net::ERR_ABORTED":
            return
        # The favicon is fetched in the background; a click that navigates first cancels it.
        # Its absence would show as a 404 response, which ``response`` still reports.
        if request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def response(self, response) -> None:
        if response.status >= 400 and response.status not in self.allow_status:
            self.problems.append(f"{response.status}: {response.url}")


class Desk:
    """One person's browser: their own context (cookies), page and watch."""

    def __init__(self, browser, live_server, user, **watch):
        self.live_server = live_server
        self.context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.watch = PageWatch(self.page, **watch)
        self.sign_in(user)

    def sign_in(self, user) -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(f"{self.live_server.url}/cases/")
        assert page.url == f"{self.live_server.url}/accounts/login/?next=/cases/"
        expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(f"{self.live_server.url}/cases/")

    def open(self, path: str) -> None:
        self.page.goto(f"{self.live_server.url}{path}")

    def move(self, label: str) -> None:
        """Press a workflow button on the detail page and wait for the page to come back."""
        from playwright.sync_api import expect

        self.page.locator("#actions").get_by_role("button", name=label, exact=True).click()
        expect(self.page.locator(".portal-messages")).to_contain_text(f"已执行“{label}”")

    def confirm_move(self, label: str, *summary: str) -> None:
        """A move that asks for confirmation: its page shows the summary, then confirm."""
        from playwright.sync_api import expect

        self.page.locator("#actions").get_by_role("button", name=label, exact=True).click()
        expect(self.page.get_by_role("heading", name=f"确认：{label}", level=1)).to_be_visible()
        confirm = self.page.locator(".case-confirm")
        for part in summary:
            expect(confirm).to_contain_text(part)
        confirm.get_by_role("button", name=f"确认：{label}", exact=True).click()
        expect(self.page.locator(".portal-messages")).to_contain_text(f"已执行“{label}”")

    def status(self):
        return self.page.locator(".case-badges .case-status")

    def close(self) -> None:
        self.context.close()


def test_register_assign_rectify_verify_close(browser, live_server, cast, screenshot_dir, tmp_path):
    from playwright.sync_api import expect

    from cases.models import Evidence, Problem

    county = Desk(browser, live_server, cast["county"])
    city = Desk(browser, live_server, cast["city"])
    try:
        # --- the county officer registers the problem -----------------------------------------
        page = county.page
        page.get_by_role("link", name="登记问题").click()
        expect(page.get_by_role("heading", name="登记问题", level=1)).to_be_visible()
        page.get_by_label("问题标题").fill(TITLE)
        page.get_by_label("问题描述").fill("群众投诉：治超站点对过往货车直接罚款，未开具处罚决定书。")
        page.get_by_label("问题类别").select_option(label="治超站点直接罚款")
        page.get_by_label("发现渠道").select_option(label="投诉举报")
        page.get_by_label("严重程度").select_option(label="较重")
        expect(page.get_by_label("所属区划")).to_have_value("410105")
        page.get_by_label("责任单位").select_option(label=cast["unit"].name)
        page.get_by_label("执法领域").select_option(label="普通公路执法")
        page.get_by_label("第一责任人").fill("张局长")
        page.get_by_role("button", name="登记", exact=True).click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        problem = Problem.objects.get(title=TITLE)
        detail = f"/cases/{problem.pk}/"
        expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        expect(county.status()).to_have_text("已登记")
        expect(page.locator(".portal-messages")).to_contain_text(f"问题 {problem.code} 已登记")

        # The list filters in place (htmx): only the status asked for, the address follows.
        county.open("/cases/")
        page.get_by_label("状态").select_option(label="已交办")
        expect(page.locator("#problem-results")).to_contain_text("没有符合条件的问题")
        page.get_by_label("状态").select_option(label="已登记")
        expect(page.locator("#problem-results").get_by_role("link", name=problem.code)).to_be_visible()
        expect(page).to_have_url(re.compile(r"status=registered"))

        # --- the city assigns it ---------------------------------------------------------------
        city.open(detail)
        expect(city.status()).to_have_text("已登记")
        city.move("交办")
        expect(city.status()).to_have_text("已交办")
        problem.refresh_from_db()
        assert problem.deadline is not None

        # --- the county starts, logs progress with evidence, submits ------------------------------
        county.open(detail)
        expect(page.locator("#actions").get_by_role("button", name="核查通过并销号")).to_have_count(0)
        county.move("开始整改")
        expect(county.status()).to_have_text("整改中")
        # Nothing behind it yet: 提交核查 is disabled and the panel says what is missing, with links.
        submit = page.locator("#actions").get_by_role("button", name="提交核查", exact=True)
        expect(submit).to_be_disabled()
        missing = page.locator('#actions [data-unmet="submit"]')
        for item in ("尚未制定整改方案", "缺少路线图", "没有时间节点", "尚无附有佐证材料的整改进展"):
            expect(missing).to_contain_text(item)
        expect(missing.get_by_role("link", name="尚未制定整改方案（整改措施）。")).to_have_attribute(
            "href", f"/cases/{problem.pk}/plan/"
        )
        page.screenshot(path=str(screenshot_dir / "problem_submit_blocked.png"), full_page=True)
        # The plan, with a route map and a milestone.
        page.locator("#plan").get_by_role("button", name="制定方案").click()
        plan_form = page.locator("#plan-form")
        plan_form.get_by_label("整改措施").fill("撤销违规执法点位；对涉事人员开展警示教育；全面排查同类问题。")
        plan_form.get_by_label("路线图").fill("一周内撤点并教育，两周内完成排查，月底前提交核查。")
        plan_form.get_by_label("节点 1", exact=True).fill("完成同类问题排查")
        plan_form.get_by_label("计划完成日期 1", exact=True).fill(problem.deadline.isoformat())
        plan_form.get_by_role("button", name="保存方案").click()
        expect(page.locator(".portal-messages")).to_contain_text("整改方案已保存")
        expect(page.locator("#plan")).to_contain_text("完成同类问题排查")

        page.locator("#progress").get_by_role("button", name="报送进展").click()
        form = page.locator("#progress-form")
        expect(form).to_be_visible()
        form.get_by_label("整改进展").fill("已撤销该执法点位，对相关人员开展警示教育，退还违规罚款。")
        photo = tmp_path / "整改现场照片.png"
        photo.write_bytes(PNG)
        form.get_by_label("佐证材料").set_input_files(str(photo))
        form.get_by_role("button", name="报送进展").click()
        expect(page.locator(".portal-messages")).to_contain_text("整改进展已报送")
        evidence_link = page.locator("#evidence-list").get_by_role("link", name=re.compile("整改现场照片.png"))
        expect(evidence_link).to_be_visible()
        with page.expect_download() as download:
            evidence_link.click()
        assert download.value.suggested_filename == "整改现场照片.png"
        assert Evidence.objects.get(problem=problem).content_type == "image/png"
        # "My rectifications": the open problem, with its deadline.
        county.open("/cases/mine/")
        row = page.locator("tbody tr", has_text=TITLE)
        expect(row).to_contain_text("整改中")
        expect(row).to_contain_text(problem.deadline.strftime("%Y-%m-%d"))
        expect(row).to_contain_text("完成同类问题排查")  # what is due next
        page.screenshot(path=str(screenshot_dir / "problem_mine.png"), full_page=True)
        county.open(detail)
        # The milestone is done: marked beside it, and no longer what is due next.
        page.locator("#plan").get_by_role("button", name="标记完成").click()
        expect(page.locator(".portal-messages")).to_contain_text("时间节点“完成同类问题排查”已标记完成")
        expect(page.locator("#plan").get_by_role("button", name="标记完成")).to_have_count(0)
        county.open("/cases/mine/")
        expect(page.locator("tbody tr", has_text=TITLE)).not_to_contain_text("完成同类问题排查")
        county.open(detail)
        expect(page.locator('#actions [data-unmet="submit"]')).to_have_count(0)
        county.confirm_move("提交核查", "撤销违规执法点位", "一周内撤点并教育", "完成同类问题排查", "整改现场照片.png")
        expect(county.status()).to_have_text("待核查")

        # --- the city verifies on site and closes it ----------------------------------------------
        city.open(detail)
        cpage = city.page
        expect(cpage.locator("#progress")).to_contain_text("已撤销该执法点位")
        expect(cpage.locator("#actions").get_by_role("button", name="核查通过并销号", exact=True)).to_be_disabled()
        expect(cpage.locator('#actions [data-unmet="verify_pass"]')).to_contain_text("尚未记录本轮核查")
        cpage.locator("#verifications").get_by_role("button", name="记录核查").click()
        record = cpage.locator("#verification-form")
        expect(record).to_be_visible()
        record.get_by_label("实地核查").check()
        record.get_by_label("核查人员").fill("王芳、赵强")
        record.get_by_label("核查发现").fill("现场查看，违规执法点位已撤除，未发现同类问题。")
        site_photo = tmp_path / "核查现场照片.png"
        site_photo.write_bytes(PNG)
        record.get_by_label("核查佐证材料").set_input_files(str(site_photo))
        record.get_by_role("button", name="保存核查记录").click()
        expect(cpage.locator(".portal-messages")).to_contain_text("核查记录已保存")
        expect(cpage.locator("#verifications")).to_contain_text("实地核查")
        city.confirm_move("核查通过并销号", "实地核查", "违规执法点位已撤除")
        expect(city.status()).to_have_text("已销号")
        expect(city.page.locator(".case-stepper li.is-current")).to_contain_text("销号")
        timeline = city.page.locator("#timeline")
        for step in (
            "登记问题",
            "交办",
            "开始整改",
            "制定整改方案",
            "报送整改进展",
            "提交核查",
            "记录核查",
            "核查通过并销号",
        ):
            expect(timeline).to_contain_text(step)
        problem.refresh_from_db()
        assert problem.status == "closed" and problem.closed_at is not None

        city.page.wait_for_timeout(300)
        city.page.screenshot(path=str(screenshot_dir / "problem_detail.png"), full_page=True)
        # On a phone: the actions first, the timeline last, nothing scrolls sideways.
        city.page.set_viewport_size({"width": 390, "height": 844})
        city.page.reload()
        assert city.page.evaluate("document.documentElement.scrollWidth") <= 390
        actions, facts, timeline_box = (
            city.page.locator(f"#{name}").bounding_box() for name in ("actions", "facts", "timeline")
        )
        assert actions["y"] < facts["y"] < timeline_box["y"]
        city.page.screenshot(path=str(screenshot_dir / "problem_detail-phone.png"), full_page=True)
        city.page.set_viewport_size({"width": 1366, "height": 900})
        city.open("/cases/")
        city.page.screenshot(path=str(screenshot_dir / "problem_list.png"), full_page=True)
        assert county.watch.problems == [] and city.watch.problems == []
    finally:
        county.close()
        city.close()


def test_a_stale_page_is_told_and_reloaded(browser, live_server, cast):
    """Two people move the same problem: the slower one gets the 409 message and the fresh page."""
    from playwright.sync_api import expect

    from cases import services
    from cases.models import Category, Problem
    from portal.regions.models import EnforcementDomain

    problem = services.problem_register(
        actor=cast["county"],
        title="执法记录仪未全程开启",
        category=Category.objects.get(code="bbz-camera"),
        source=Problem.Source.INSPECTION,
        region=cast["unit"].region,
        unit=cast["unit"],
        domain=EnforcementDomain.objects.get(code="highway"),
    )
    city = Desk(browser, live_server, cast["city"], allow_status=(409,))
    try:
        city.open(f"/cases/{problem.pk}/")
        expect(city.status()).to_have_text("已登记")
        services.problem_transition(actor=cast["province"], problem_id=problem.pk, move="assign")  # someone else
        city.page.locator("#actions").get_by_role("button", name="交办", exact=True).click()
        expect(city.page.locator(".portal-messages")).to_contain_text("该问题已被他人处理")
        expect(city.status()).to_have_text("已交办")  # reloaded: the fresh state
        assert city.watch.problems == []
    finally:
        city.close()
