"""Login security (issue 3, point 4): lockout, password rules, session limits, TOTP two-factor,
the admin site behind the portal login, and bad input answered without a traceback.

Everything runs on the real PostgreSQL and Redis of ``make test``; time is moved by editing
what the server stored (session rows, login times), never by sleeping, except for the one
test that watches Redis expire a lock.
"""

from __future__ import annotations

import binascii
import os
import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import lockout, twofactor
from portal.accounts.middleware import LOGIN_AT_KEY
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.regions.models import Region
from portal.settings.env import redis_db

pytestmark = pytest.mark.django_db

PASSWORD = "Zhengzhou#Road2026"
WRONG = "Wrong#Password2026"
LOCKED = "账号或IP已被临时锁定"


@pytest.fixture(autouse=True)
def _own_redis_database(settings):
    """The counters under test must not be shared: xdist workers use one Redis, and every
    test's cache.clear() (conftest) flushes the whole database. Each worker gets its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    location = redis_db(settings.REDIS_URL, 2 + int(worker or 0) % 14)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": location}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return User.objects.create_user(
        "zhang_san", password=PASSWORD, region=Region.objects.get(code="410000"), roles=[Role.PROVINCE_STAFF]
    )


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(
        "root2", "root2@example.gov.cn", PASSWORD, region=Region.objects.get(code="410000"), roles=[Role.PROVINCE_ADMIN]
    )


def login(client, username, password, ip="10.0.0.1", **data):
    return client.post(reverse("login"), {"username": username, "password": password, **data}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for e in form.non_field_errors())


def events(action, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


def redis_ttl(key: str) -> int:
    return cache._cache.get_client(write=False).ttl(cache.make_and_validate_key(key))


def code_for(key_hex: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` periods later)."""
    return f"{totp(binascii.unhexlify(key_hex), drift=steps_ahead):06d}"


# --- lockout --------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_against_the_right_password(staff):
    client = Client()
    for attempt in range(1, 6):
        response = login(client, "zhang_san", WRONG, ip=f"10.0.1.{attempt}")  # five IPs: only the account counts
        assert response.status_code == 200
        assert (LOCKED in errors(response)) == (attempt == 5), attempt
    assert "请 30 分钟后再试" in errors(response)

    right = login(client, "zhang_san", PASSWORD, ip="10.0.1.99")
    wrong = login(client, "zhang_san", WRONG, ip="10.0.1.98")
    assert right.status_code == wrong.status_code == 200
    assert not signed_in(client)
    # The same words whether the password was right or wrong.
    assert errors(right) == errors(wrong) and LOCKED in errors(right)
    staff.refresh_from_db()
    assert staff.last_login is None  # nothing changed

    lock = events("auth.lockout").get()
    assert lock.outcome == AuditEvent.Outcome.DENIED and lock.object_id == str(staff.pk)
    assert lock.changes["scope"] == "account" and lock.changes["failures"] == 5
    assert events("auth.login_locked", outcome=AuditEvent.Outcome.DENIED).count() == 2
    assert events("auth.login_failed").count() == 5
    # The lock lives in Redis with the configured TTL.
    assert 1790 <= redis_ttl(lockout.lock_key(lockout.ACCOUNT, "zhang_san")) <= 1800


def test_five_failures_from_one_ip_lock_that_ip_for_every_username(staff):
    client = Client()
    for n in range(5):
        login(client, f"guess{n}", WRONG, ip="10.0.2.1")
    refused = login(client, "zhang_san", PASSWORD, ip="10.0.2.1")
    assert LOCKED in errors(refused) and not signed_in(client)
    lock = events("auth.lockout").get()
    assert lock.object_type == "client_ip" and lock.object_id == "10.0.2.1"

    other_ip = login(Client(), "zhang_san", PASSWORD, ip="10.0.2.2")
    assert other_ip.status_code == 302  # the account itself is not locked


def test_a_successful_login_resets_the_account_counter(staff):
    for n in range(4):
        login(Client(), "zhang_san", WRONG, ip=f"10.0.3.{n}")
    assert login(Client(), "zhang_san", PASSWORD, ip="10.0.3.50").status_code == 302
    for n in range(4):
        login(Client(), "zhang_san", WRONG, ip=f"10.0.3.{100 + n}")
    assert login(Client(), "zhang_san", PASSWORD, ip="10.0.3.200").status_code == 302
    assert not events("auth.lockout").exists()


def test_few_attempts_left_are_announced(staff):
    client = Client()
    shown = [errors(login(client, "zhang_san", WRONG)) for _ in range(4)]
    assert "再失败" not in shown[0] + shown[1]
    assert "再失败 2 次" in shown[2] and "再失败 1 次，账号或IP将被锁定 30 分钟" in shown[3]


def test_the_lock_ends_when_its_redis_ttl_runs_out(staff, settings):
    client = Client()
    for _ in range(4):
        login(client, "zhang_san", WRONG)
    settings.LOGIN_LOCKOUT_SECONDS = 2  # the lock the fifth failure starts lasts 2 s
    login(client, "zhang_san", WRONG)
    assert LOCKED in errors(login(client, "zhang_san", PASSWORD))
    assert 0 < redis_ttl(lockout.lock_key(lockout.ACCOUNT, "zhang_san")) <= 2
    deadline = time.monotonic() + 10
    while lockout.current_locks(username="zhang_san", ip="10.0.0.1") and time.monotonic() < deadline:
        time.sleep(0.1)  # Redis expires the keys; nothing in the portal sweeps them
    assert login(client, "zhang_san", PASSWORD).status_code == 302


def test_the_security_administrator_unlocks_an_account_and_an_ip(staff):
    for _ in range(5):
        login(Client(), "zhang_san", WRONG, ip="10.0.4.1")
    assert LOCKED in errors(login(Client(), "zhang_san", PASSWORD, ip="10.0.4.2"))
    call_command("unlock_login", "zhang_san", ip="10.0.4.1")
    assert login(Client(), "zhang_san", PASSWORD, ip="10.0.4.1").status_code == 302
    unlock = events("auth.unlock").get()
    assert unlock.changes["lifted"] == ["account", "ip"]
    with pytest.raises(CommandError, match="不是有效的IP地址"):
        call_command("unlock_login", ip="not-an-ip")
    with pytest.raises(CommandError, match="请给出用户名"):
        call_command("unlock_login")


# --- password rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_too_short"),
        ("password1234567", "password_too_common"),
        ("Password@123456", "password_too_common"),  # all four classes, still a common password
        ("abcdefghijklmn", "password_too_simple"),
        ("12345678901234", "password_entirely_numeric"),
        ("zhang_san#2026X", "password_too_similar"),
    ],
)
def test_validators_refuse_weak_passwords(staff, password, code):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=staff)
    assert code in {e.code for e in refused.value.error_list}


def test_validators_accept_a_good_password_and_speak_chinese(staff):
    validate_password("Luoyang-Bridge-2026", user=staff)
    with pytest.raises(ValidationError) as refused:
        validate_password("abcdefghijklmn", user=staff)
    assert "大写字母、小写字母、数字、特殊符号中的 3 类" in " ".join(refused.value.messages)


# --- sessions -------------------------------------------------------------------------------


def test_login_gives_a_new_session_id(staff):
    client = Client()
    before = client.session.session_key  # an anonymous session the attacker could have planted
    assert Session.objects.filter(session_key=before).exists()
    assert login(client, "zhang_san", PASSWORD).status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert isinstance(client.session[LOGIN_AT_KEY], int)


def test_logout_on_one_device_ends_the_session_on_every_device(staff):
    laptop, phone = Client(), Client()
    login(laptop, "zhang_san", PASSWORD, ip="10.0.5.1")
    login(phone, "zhang_san", PASSWORD, ip="10.0.5.2")
    assert phone.get(reverse("home")).status_code == 200
    laptop.post(reverse("logout"))
    response = phone.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][1] == 302 and "/accounts/login/" in response.redirect_chain[0][0]
    assert "会话已超时或已失效" in response.content.decode()
    assert not signed_in(phone)


def test_password_change_ends_every_session_and_asks_for_a_new_login(staff):
    desk, phone = Client(), Client()
    login(desk, "zhang_san", PASSWORD, ip="10.0.6.1")
    login(phone, "zhang_san", PASSWORD, ip="10.0.6.2")
    url = reverse("accounts:password_change")

    weak = desk.post(url, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200 and weak.context["form"].errors["new_password2"]
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD) and staff.session_epoch == 0  # nothing changed

    new = "Kaifeng*Tower*2027"
    done = desk.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, follow=True)
    assert done.redirect_chain[-1][0].startswith(reverse("login"))
    assert "密码已修改" in done.content.decode()
    assert not signed_in(desk)
    assert phone.get(reverse("home")).status_code == 302 and not signed_in(phone)
    assert events("auth.password_change", outcome=AuditEvent.Outcome.SUCCESS).count() == 1
    assert login(Client(), "zhang_san", PASSWORD, ip="10.0.6.3").status_code == 200
    assert login(Client(), "zhang_san", new, ip="10.0.6.4").status_code == 302


def test_wrong_old_passwords_count_towards_the_lock(staff):
    client = Client()
    login(client, "zhang_san", PASSWORD)
    url = reverse("accounts:password_change")
    for _ in range(5):
        client.post(url, {"old_password": WRONG, "new_password1": "Kaifeng*Tower*2027", "new_password2": "x"})
    assert events("auth.password_change", outcome=AuditEvent.Outcome.FAILED).count() == 5
    assert events("auth.lockout").exists()
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "A" * 3, "new_password2": "A" * 3})
    assert LOCKED in response.content.decode()
    assert not response.context["form"].errors  # not even the old password was checked


def test_idle_session_expires_and_every_request_pushes_the_expiry_on(staff, settings):
    client = Client()
    login(client, "zhang_san", PASSWORD)
    key = client.cookies["sessionid"].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("home")).status_code == 200
    expiry = Session.objects.get(pk=key).expire_date
    assert expiry > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)  # slid forward

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))  # 30 idle minutes
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain and "/accounts/login/" in response.redirect_chain[0][0]
    assert "会话已超时或已失效，请重新登录" in response.content.decode()


def test_absolute_limit_ends_a_busy_session_after_12_hours(staff):
    client = Client()
    login(client, "zhang_san", PASSWORD)
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - 12 * 3600 + 60
    session.save()
    assert client.get(reverse("home")).status_code == 200  # 11 h 59 min: still fine

    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("home"), follow=True)
    assert "/accounts/login/" in response.redirect_chain[0][0]
    assert "会话已超时，请重新登录" in response.content.decode()
    assert not signed_in(client)
    assert events("auth.session_timeout", actor=staff).count() == 1
    assert login(client, "zhang_san", PASSWORD).status_code == 302  # a new login starts a new 12 hours


def test_tampered_session_cookie_is_a_clear_message_not_an_error(staff):
    client = Client()
    client.cookies["sessionid"] = "forged-session-id-0123456789abcdef"
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200 and "/accounts/login/" in response.redirect_chain[0][0]
    assert "会话已超时或已失效" in response.content.decode()

    login(client, "zhang_san", PASSWORD)
    session = client.session
    session["_auth_user_hash"] = "0" * 64  # a session whose hash was edited
    session.save()
    assert client.get(reverse("home")).status_code == 302 and not signed_in(client)


# --- two-factor -----------------------------------------------------------------------------


def test_enrol_a_totp_device_then_log_in_with_its_code(staff):
    client = Client()
    login(client, "zhang_san", PASSWORD)
    page = client.get(reverse("accounts:totp_enrol"))
    assert page.status_code == 200
    key = client.session[twofactor.PENDING_KEY]
    body = page.content.decode()
    assert twofactor.base32_secret(key) in body and "<svg" in body and "otpauth://totp/" in body

    wrong = client.post(reverse("accounts:totp_enrol"), {"otp_token": "000000" if code_for(key) != "000000" else "1"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not TOTPDevice.objects.filter(user=staff).exists()  # nothing changed

    done = client.post(reverse("accounts:totp_enrol"), {"otp_token": code_for(key)})
    assert done.status_code == 302
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed and device.key == key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session is verified
    assert events("auth.2fa_enrol", actor=staff).count() == 1

    client.post(reverse("logout"))
    no_code = login(client, "zhang_san", PASSWORD)
    assert "请输入身份验证器上的动态验证码" in errors(no_code) and not signed_in(client)
    bad_code = login(client, "zhang_san", PASSWORD, otp_token="12345")
    assert "动态验证码不正确" in errors(bad_code) and not signed_in(client)
    assert events("auth.login_failed", changes__reason="otp").count() == 1
    # The enrolment used this period's code; a code cannot be used twice, so take the next one.
    ok = login(client, "zhang_san", PASSWORD, otp_token=code_for(key, steps_ahead=1))
    assert ok.status_code == 302 and signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_session_without_the_device_cannot_replace_it(staff):
    TOTPDevice.objects.create(user=staff, name="x", confirmed=True)
    client = Client()
    client.force_login(staff)  # signed in, but this session never gave a code
    response = client.get(reverse("accounts:totp_enrol"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:totp_verify"))


def test_required_2fa_sends_staff_to_enrolment_first(staff, settings):
    settings.PORTAL_REQUIRE_2FA = True
    client = Client()
    assert login(client, "zhang_san", PASSWORD).status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:totp_enrol')}?next=/"
    api = client.get("/api/v1/regions/")
    assert api.status_code == 403 and api.json()["detail"]
    assert client.get(reverse("accounts:totp_enrol")).status_code == 200

    key = client.session[twofactor.PENDING_KEY]
    client.post(reverse("accounts:totp_enrol"), {"otp_token": code_for(key), "next": "/"})
    assert client.get(reverse("home")).status_code == 200

    # A user without any role or staff flag is not forced.
    plain = User.objects.create_user("plain_user", password=PASSWORD)
    other = Client()
    other.force_login(plain)
    assert other.get(reverse("accounts:password_change")).status_code == 200


def test_required_2fa_asks_a_user_with_a_device_to_verify_the_session(staff, settings):
    settings.PORTAL_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="x", confirmed=True)
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("accounts:totp_verify"))
    wrong = client.post(reverse("accounts:totp_verify"), {"otp_token": "abc"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    ok = client.post(
        reverse("accounts:totp_verify"), {"otp_token": code_for(device.key), "next": "https://evil.example/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    assert events("auth.2fa_verify", outcome=AuditEvent.Outcome.SUCCESS).count() == 1


# --- the admin site -------------------------------------------------------------------------


def test_admin_login_is_the_portal_login():
    client = Client()
    response = client.get(reverse("admin:login") + "?next=/admin/regions/region/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/regions/region/"
    forged = client.get(reverse("admin:login") + "?next=https://evil.example/")
    assert forged["Location"] == f"{reverse('login')}?next=/admin/"
    chain = client.get(reverse("admin:index"), follow=True).redirect_chain
    assert chain[-1][0].startswith(reverse("login"))


def test_admin_needs_a_verified_session_when_2fa_is_required(superuser, settings):
    client = Client()
    login(client, "root2", PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    settings.PORTAL_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=superuser, name="x", confirmed=True)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("accounts:totp_verify"))
    client.post(reverse("accounts:totp_verify"), {"otp_token": code_for(device.key)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_signed_in_user_without_admin_rights_is_not_bounced_in_a_loop(staff):
    client = Client()
    login(client, "zhang_san", PASSWORD)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    assert "无权访问管理后台" in response.content.decode()
    assert len(response.redirect_chain) == 2


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Token garbage", "Token 0123456789abcdef0123456789abcdef01234567", "Token a b"])
def test_a_tampered_api_token_is_a_401_json_answer(staff, header):
    response = Client().get("/api/v1/regions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "forged", ["https://evil.example/", "//evil.example/x", "http:///evil.example", "/accounts/login/"]
)
def test_forged_next_never_leaves_the_site(staff, forged):
    client = Client()
    response = login(client, "zhang_san", PASSWORD, next=forged)
    assert response.status_code == 302 and response["Location"] == "/"
    again = client.get(reverse("login"), {"next": forged})  # already signed in: no loop, no error
    assert again.status_code == 302 and again["Location"] == "/"


def test_empty_and_oversized_input_is_a_form_error(staff):
    client = Client()
    assert login(client, "", "").status_code == 200
    response = login(client, "x" * 5000, "y" * 5000)
    assert response.status_code == 200 and not signed_in(client)


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_offers_a_user_with_a_fixed_totp_secret():
    import random

    from portal.accounts.seed import TOTP_DEMO_SECRET, seed_totp_demo
    from portal.core.seeding import DEMO_PASSWORD, SeedContext

    ctx = SeedContext(scale="small", rng=random.Random(1))
    seed_totp_demo(ctx)
    seed_totp_demo(ctx)  # idempotent
    user = User.objects.get(username="totp_demo")
    assert user.roles == [Role.PROVINCE_STAFF] and user.region_id == "410000"
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert twofactor.base32_secret(device.key) == TOTP_DEMO_SECRET
    assert TOTP_DEMO_SECRET in ctx.logins[-1][2]
    client = Client()
    assert "动态验证码" in errors(login(client, "totp_demo", DEMO_PASSWORD))
    assert login(client, "totp_demo", DEMO_PASSWORD, otp_token=code_for(device.key)).status_code == 302
