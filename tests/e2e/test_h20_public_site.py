"""The public site (issue 20 §3, §6) in an anonymous browser at phone width: the landing page
links every public page, the enterprise contact lookup finds an enterprise by its exact name
and shows only published phones, a partial name finds nothing, the page works in English,
and nothing scrolls sideways."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_WIDTH = 390


@pytest.fixture
def enterprise(_restore_migrated_data):
    from django.core.cache import cache

    from portal.accounts.models import Role, User
    from service import services
    from service.creditcode import check_character

    cache.clear()
    staff = User.objects.create_user("e2e-svc-county", region_id="410105", roles=[Role.COUNTY_OFFICER])
    leader = User.objects.create_user(
        "e2e-svc-leader", region_id="410105", roles=[Role.LEADER], first_name="王", last_name="局长"
    )
    hidden = User.objects.create_user("e2e-svc-hidden", region_id="410105", roles=[Role.LEADER])
    first = "91410105MA44R2J1X"
    firm = services.enterprise_register(
        actor=staff,
        name="郑州金水物流有限公司",
        credit_code=first + check_character(first),
        kind="freight",
        size="medium",
        region="410105",
    )
    services.leader_set(actor=staff, user=leader, post="金水区交通运输局局长", phone="0371-66660001", published=True)
    services.leader_set(actor=staff, user=hidden, post="金水区交通运输局副局长", phone="13800001111", published=False)
    services.assignment_add(actor=staff, leader=leader, enterprise=firm)
    services.assignment_add(actor=staff, leader=hidden, enterprise=firm)
    return firm


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_the_public_site_on_a_phone(browser, live_server, enterprise):
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": PHONE_WIDTH, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status}: {r.url}"))
    try:
        page.goto(f"{live_server.url}/public/")
        expect(page.locator("h1")).to_contain_text("公众服务")
        for key in ("complaint", "track", "results", "delisted", "inspections", "exemptions", "rankings", "contacts"):
            expect(page.locator(f'[data-public="{key}"]')).to_be_visible()
        _no_sideways_scroll(page)
        # each public page it links opens without a login
        hrefs = page.eval_on_selector_all("[data-public]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            response = page.goto(f"{live_server.url}{href}")
            assert response.status == 200 and "/accounts/login/" not in page.url, href
        page.goto(f"{live_server.url}/public/")
        page.locator('[data-public="contacts"]').click()
        page.get_by_label("企业全称或统一社会信用代码").fill("金水物流")  # partial: nothing
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#contact-none")).to_be_visible()
        page.get_by_label("企业全称或统一社会信用代码").fill(enterprise.name)
        page.get_by_role("button", name="查询").click()
        result = page.locator("#contact-result")
        expect(result).to_contain_text("金水区交通运输局局长")
        expect(result).to_contain_text("0371-66660001")
        expect(result).to_contain_text("电话未公开")
        assert "13800001111" not in page.content() and "e2e-svc" not in page.content()
        _no_sideways_scroll(page)
        page.goto(f"{live_server.url}/public/contacts/?q={enterprise.credit_code}")
        expect(page.locator("#contact-result")).to_contain_text("0371-66660001")
        # English
        page.goto(f"{live_server.url}/public/")
        page.locator('button[name="language"][value="en"]').first.click()
        expect(page.locator("h1")).to_contain_text("Public services")
        expect(page.locator('[data-public="contacts"]')).to_contain_text("Enterprise contact leaders")
        _no_sideways_scroll(page)
        assert not problems, problems
    finally:
        context.close()
