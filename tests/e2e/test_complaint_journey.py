"""The complaint journey in a browser: a member of the public files a complaint, it is routed to
the responsible unit, the unit's officer accepts it, replies, records the callback and closes it,
and the public looks the result up by tracking number and the phone's last four digits."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

USERNAME = "e2e_jinshui"
PASSWORD = "E2e#Pass-2026"
PHONE = "13912348765"


@pytest.fixture
def jinshui(_restore_migrated_data):
    from complaints.models import RoutingRule
    from complaints.routing import refdata_changed
    from portal.accounts.models import Role, User
    from portal.regions.models import Unit

    Unit.objects.create(name="金水区交通运输局", kind=Unit.Kind.AUTHORITY, region_id="410105")
    agency = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    Unit.objects.create(name="郑州市交通运输局", kind=Unit.Kind.AUTHORITY, region_id="410100")
    RoutingRule.objects.create(region_id="410105", area="road_transport", unit=agency)
    refdata_changed()
    User.objects.create_user(
        USERNAME, password=PASSWORD, first_name="金水执法", region_id="410105", roles=[Role.COUNTY_OFFICER]
    )
    return agency


class PageWatch:
    """Console errors, uncaught exceptions and failed or 5xx requests of one page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url} {request.failure}"))
        page.on(
            "response",
            lambda response: response.status >= 500 and self.problems.append(f"{response.status}: {response.url}"),
        )


def _open(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _file_a_complaint(browser, live_server) -> str:
    from playwright.sync_api import expect

    context, page, watch = _open(browser)
    try:
        page.goto(f"{live_server.url}/complaints/public/new/")
        expect(page.get_by_role("heading", name="交通运输执法投诉举报")).to_be_visible()
        page.get_by_label("类别").select_option("complaint")
        page.get_by_label("业务领域").select_option("road_transport")
        page.get_by_label("发生地（县区）").select_option("410105")
        page.get_by_label("标题").fill("客运站强制收取行李费")
        page.get_by_label("具体内容").fill("11月25日在金水区客运站乘车，被强制收取行李费20元，未开票据。")
        page.get_by_label("涉及车牌号").fill("豫A12345")
        page.get_by_label("您的姓名").fill("刘一")
        page.get_by_label("您的手机号").fill(PHONE)
        # the honeypot stays out of people's way: not visible, not reachable with Tab
        assert not page.locator('input[name="website"]').is_visible()
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
        number = page.locator("#tracking-number").inner_text().strip()
        assert re.fullmatch(r"TS\d{12}", number), number
        assert not watch.problems, watch.problems
        return number
    finally:
        context.close()


def _handle_it(browser, live_server, number: str, unit_name: str) -> None:
    from playwright.sync_api import expect

    context, page, watch = _open(browser)
    try:
        page.goto(f"{live_server.url}/complaints/")
        page.get_by_label("用户名").fill(USERNAME)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url(f"{live_server.url}/complaints/")
        # routed by the rule table to the unit's inbox, with its time-limit light
        row = page.get_by_role("row").filter(has_text=number)
        expect(row).to_contain_text(unit_name)
        expect(row.locator(".light-green")).to_have_count(1)
        expect(row).not_to_contain_text(PHONE)
        row.get_by_role("link", name=number).click()
        expect(page.get_by_role("heading", name="客运站强制收取行李费")).to_be_visible()
        expect(page.locator("body")).to_contain_text("139****8765")  # masked until revealed
        expect(page.locator("#duplicate-suggestions")).to_be_visible()  # loaded by htmx

        def do(summary: str, confirm: str, **fill):
            page.locator("summary", has_text=summary).first.click()
            form = page.locator("details[open] form")
            for label, value in fill.items():
                field = form.get_by_label(label)
                if field.evaluate("e => e.tagName") == "SELECT":
                    field.select_option(value)
                else:
                    field.fill(value)
            form.get_by_role("button", name=confirm).click()
            expect(page.locator(".alert-success")).to_be_visible()

        do("受理", "确认受理")
        expect(page.locator(".badge", has_text="办理中")).to_be_visible()
        do("答复投诉人", "确认答复投诉人", **{"内容 / 理由": "已约谈客运站负责人，退还行李费并整改。"})
        expect(page.locator(".badge", has_text="已答复待回访")).to_be_visible()
        do(
            "回访（满意/基本满意）",
            "确认回访（满意/基本满意）",
            **{"满意度": "satisfied", "内容 / 理由": "投诉人表示满意"},
        )
        do("办结", "确认办结")
        expect(page.locator(".badge", has_text="已办结")).to_be_visible()
        timeline = page.locator("#timeline")
        for step in ("登记", "受理", "答复", "回访", "办结"):
            expect(timeline).to_contain_text(step)
        expect(timeline).to_contain_text("已约谈客运站负责人")
        # the officer may reveal the phone: a deliberate, audited action
        page.locator(".pd", has_text="139****8765").get_by_role("button", name="查看").click()
        expect(page.locator("body")).to_contain_text(PHONE)
        assert not watch.problems, watch.problems
    finally:
        context.close()


def _track_it(browser, live_server, number: str) -> None:
    from playwright.sync_api import expect

    context, page, watch = _open(browser)
    try:
        page.goto(f"{live_server.url}/complaints/public/track/")
        page.get_by_label("受理编号").fill(number)
        page.get_by_label("手机号后四位").fill("0000")
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_role("alert")).to_contain_text("没有找到匹配的投诉")
        page.get_by_label("手机号后四位").fill(PHONE[-4:])
        page.get_by_role("button", name="查询").click()
        result = page.locator("#track-result")
        expect(result).to_contain_text("已办结")
        expect(result).to_contain_text(number)
        body = page.locator("body").inner_text()
        for secret in ("刘一", PHONE, "豫A12345", "行李费"):
            assert secret not in body, secret
        # a wrong guess is answered with 400, which the watch does not count as a problem
        assert not watch.problems, watch.problems
    finally:
        context.close()


def test_public_submission_routing_reply_callback_close_and_tracking(browser, live_server, jinshui):
    from complaints.models import Complaint
    from portal.audit.models import AuditEvent

    number = _file_a_complaint(browser, live_server)
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.handling_unit == jinshui and complaint.channel == "web"
    _handle_it(browser, live_server, number, jinshui.name)
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.close_kind == "callback" and complaint.satisfaction == "satisfied"
    assert AuditEvent.objects.filter(action="personal_data.reveal", object_id=str(complaint.pk)).count() == 1
    _track_it(browser, live_server, number)
