"""The UI shell: base template, navigation, language switch, login and logout, no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from portal.core.navigation import _active_url, navigation

BASE_DIR = Path(settings.BASE_DIR)
SECTIONS = [
    "数据看板",
    "问题清单",
    "执法案件",
    "问题线索",
    "投诉举报",
    "挂牌督办/执法监督",
    "风险预警",
    "绩效评价",
    "执法为民",
]
PASSWORD = "Shell#Pass-2026"


@pytest.fixture
def staff_user(db):
    from portal.accounts.models import Role, User
    from portal.regions.models import Region

    return User.objects.create_user(
        "shell_staff",
        password=PASSWORD,
        first_name="李四",
        region=Region.objects.get(code="410000"),
        roles=[Role.PROVINCE_STAFF],
    )


@pytest.fixture
def signed_in(client, staff_user):
    client.force_login(staff_user)
    return client


# --- nothing from other hosts -------------------------------------------------------------------

# Namespace names in SVG/XML are identifiers, never fetched.
NAMESPACE = re.compile(r"""xmlns(?::\w+)?=["']https?://www\.w3\.org/[^"']*["']""")
EXTERNAL_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def _external_references(text: str) -> list[str]:
    text = NAMESPACE.sub("", text)
    found = []
    for match in EXTERNAL_URL.finditer(text):
        url = match.group(0)
        start = match.start()
        if not url.lower().startswith("http") and text[max(0, start - 1) : start] not in {'"', "'", "(", "="}:
            continue  # "//" inside a comment or a path, not a protocol-relative URL
        host = re.sub(r"^(?:https?:)?//", "", url, flags=re.IGNORECASE).split("/")[0].split(":")[0]
        if host not in LOCAL_HOSTS:
            found.append(url)
    return found


def _files(*roots: str) -> list[Path]:
    return [path for root in roots for path in sorted((BASE_DIR / root).rglob("*")) if path.is_file()]


def test_templates_and_portal_static_reference_no_other_host():
    offenders = {}
    for path in _files("templates", "static/portal"):
        if path.suffix in {".png", ".jpg", ".ico", ".woff", ".woff2"}:
            continue
        found = _external_references(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(BASE_DIR))] = found
    assert not offenders, f"government intranets are offline; vendor these under static/: {offenders}"


def test_the_scan_catches_what_it_should():
    assert _external_references('<script src="https://cdn.jsdelivr.net/npm/echarts"></script>')
    assert _external_references("<link href='//fonts.googleapis.com/css?family=Noto'>")
    assert _external_references("@import url(https://unpkg.com/x.css);")
    assert not _external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert not _external_references("<a href=\"{% url 'home' %}\">")


def test_vendored_stylesheets_import_nothing_from_other_hosts():
    """Vendored files may mention URLs (licences, comments) but must not load anything remote."""
    loads = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
    offenders = {
        str(path.relative_to(BASE_DIR)): loads.findall(path.read_text(encoding="utf-8"))
        for path in _files("static/vendor")
        if path.suffix == ".css" and loads.search(path.read_text(encoding="utf-8"))
    }
    assert not offenders, offenders


def test_templates_load_scripts_and_styles_through_static():
    tag = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {url}"
        for path in _files("templates")
        for url in tag.findall(path.read_text(encoding="utf-8"))
        if not url.startswith("{% static")
    ]
    assert not offenders, offenders


def test_every_template_compiles():
    engine = engines["django"]
    for path in _files("templates"):
        if path.suffix in {".html", ".txt"}:
            engine.get_template(str(path.relative_to(BASE_DIR / "templates")))


# --- navigation ---------------------------------------------------------------------------------


def test_active_entry_is_the_longest_matching_prefix():
    urls = ["/", "/cases/", "/supervision/", "/supervision/risks/"]
    assert _active_url("/", urls) == "/"
    assert _active_url("/cases/42/", urls) == "/cases/"
    assert _active_url("/supervision/risks/", urls) == "/supervision/risks/"
    assert _active_url("/supervision/ledger/7/", urls) == "/supervision/"
    assert _active_url("/accounts/login/", urls) is None


def test_anonymous_visitors_get_no_navigation():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert navigation(request) == {"nav_items": []}


def test_navigation_lists_only_what_the_user_may_open(staff_user, django_user_model):
    from portal.accounts.models import Role

    request = RequestFactory().get("/supervision/risks/")
    request.user = staff_user
    items = navigation(request)["nav_items"]
    assert [str(item["label"]) for item in items] == SECTIONS
    assert [str(item["label"]) for item in items if item["active"]] == ["风险预警"]

    auditor = django_user_model.objects.create_user("shell_auditor", roles=[Role.SECURITY_AUDITOR])
    request.user = auditor
    labels = [str(item["label"]) for item in navigation(request)["nav_items"]]
    assert "问题清单" not in labels
    assert "审计日志" in labels


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"
    page = client.get(response["Location"]).content.decode()
    assert "请先登录，再访问该页面。" in page
    assert 'name="viewport"' in page
    assert 'id="portal-nav"' not in page  # no sections before signing in
    assert 'action="/i18n/setlang/"' in page  # but the language switch is there


def test_signed_in_shell(signed_in):
    page = signed_in.get("/").content.decode()
    for label in SECTIONS:
        assert f"<span>{label}</span>" in page
    assert 'aria-current="page"' in page
    assert "李四" in page
    assert re.search(r'<form action="/accounts/logout/" method="post"', page)
    assert 'id="region-chart"' in page  # the home page is the reader's own dashboard
    assert 'id="dashboard-charts"' in page  # the charts' data, passed with json_script


def test_sign_in_with_a_wrong_password_shows_the_error(client, staff_user):
    response = client.post(reverse("login"), {"username": "shell_staff", "password": "wrong"})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_sign_in_lands_on_the_dashboard(client, staff_user):
    response = client.post(reverse("login"), {"username": "shell_staff", "password": PASSWORD, "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_logout_is_post_only_and_says_so(signed_in):
    assert signed_in.get(reverse("logout")).status_code == 405
    response = signed_in.post(reverse("logout"), {"next": f"{reverse('login')}?logged_out=1"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('login')}?logged_out=1"
    assert "您已安全退出登录。" in response.content.decode()
    assert signed_in.get("/").status_code == 302


def test_logout_refuses_to_redirect_to_another_host(signed_in):
    response = signed_in.post(reverse("logout"), {"next": "https://evil.example.com/"})
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


@pytest.mark.django_db
def test_not_found_page_uses_the_shell(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_static_assets_of_the_shell_exist():
    from django.contrib.staticfiles import finders

    for name in [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
        "portal/portal.css",
        "portal/charts.js",
        "portal/icons.svg",
        "portal/emblem.svg",
        "portal/favicon.svg",
    ]:
        assert finders.find(name), name
