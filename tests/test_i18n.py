"""The English locale is complete and compiled, and the pages follow the visitor's language.

The source language is Chinese. When a test here fails because a string has no English
translation, run ``python -m portal.i18n_tools update``, fill the empty ``msgstr`` entries in
``locale/en/LC_MESSAGES/django.po``, then ``python -m portal.i18n_tools compile`` (or ``make
messages`` for both steps) and commit the .po and the .mo.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from portal import i18n_tools

FIX = "run `make messages`, translate the empty msgstr in locale/en/LC_MESSAGES/django.po, run it again"


@pytest.fixture(scope="module")
def extraction():
    return i18n_tools.extract()


@pytest.fixture(scope="module")
def report(extraction):
    return i18n_tools.check("en", extraction=extraction)


# --- the catalog -------------------------------------------------------------------------------


def test_every_translatable_string_has_an_english_translation(report):
    assert not report.missing, f"{len(report.missing)} strings have no English translation ({FIX}):\n" + "\n".join(
        f"  {message.msgid!r} at {message.where()}" for message in report.missing
    )


def test_no_english_translation_is_left_fuzzy(report):
    assert not report.fuzzy, "fuzzy (guessed) translations need review; fix them and remove the fuzzy flag:\n" + (
        "\n".join(f"  {message.msgid!r}" for message in report.fuzzy)
    )


def test_translations_keep_placeholders_and_are_english(report):
    assert not report.invalid, "\n".join(f"  {message.msgid!r}: {error}" for message, error in report.invalid)


def test_no_gettext_call_that_can_never_be_translated(report):
    assert not report.problems, "\n".join(report.problems)


def test_extraction_sees_python_and_templates(extraction):
    """A guard against an extractor that silently finds nothing."""
    where = {key[1]: {path for path, _line in message.locations} for key, message in extraction.messages.items()}
    assert "cases/navigation.py" in where["问题清单"]
    assert "templates/registration/login.html" in where["用户名"]
    assert "portal/regions/models.py" in where["县（市、区）"]  # a TextChoices label
    assert "portal/settings/base.py" in where["简体中文"]
    assert len(extraction.messages) > 100


def test_committed_mo_matches_the_po():
    """The .mo Django reads holds exactly what the .po says (compiled again here, in memory)."""
    mo_path = i18n_tools.mo_path("en")
    assert mo_path.exists(), f"{mo_path} is missing: run `python -m portal.i18n_tools compile`"
    expected = i18n_tools.mo_messages(i18n_tools.compile_bytes(i18n_tools.read_catalog("en")))
    committed = i18n_tools.mo_messages(mo_path.read_bytes())
    stale = {key for key in expected.keys() | committed.keys() if expected.get(key) != committed.get(key)}
    assert not stale, f"django.mo is out of date with django.po for {sorted(map(str, stale))[:10]}: run `make messages`"


def test_django_uses_the_english_catalog():
    with translation.override("en"):
        assert translation.gettext("问题清单") == "Problem list"
    with translation.override("zh-hans"):
        assert translation.gettext("问题清单") == "问题清单"


# --- the extractor itself ----------------------------------------------------------------------


def test_python_extraction_follows_imports_and_roles():
    source = """
from django.utils import translation
from django.utils.translation import gettext_lazy as _, ngettext, pgettext_lazy as p_

A = _("甲")
B = ngettext("%(n)s 个问题", "%(n)s 个问题（复数）", 2)
C = p_("月份", "五月")
D = translation.gettext("乙")
E = _(f"丙{A}")
F = _("丁%s") % 1
H = _("戊%s" % 1)
G = print("不是翻译")
"""
    result = i18n_tools.Extraction()
    i18n_tools.extract_python(source, "x.py", result)
    assert set(result.messages) == {
        (None, "甲"),
        (None, "%(n)s 个问题"),
        ("月份", "五月"),
        (None, "乙"),
        (None, "丁%s"),
    }
    assert result.messages[(None, "%(n)s 个问题")].plural == "%(n)s 个问题（复数）"
    assert len(result.problems) == 2  # the f-string and the format-before-translate


def test_template_extraction_matches_what_the_template_engine_looks_up():
    source = """{% load i18n %}
{% translate "登录" %} {% translate '五月' context "月份" %} {% translate "达标率 90%" %}
{% blocktranslate trimmed with name=user.name %}
  你好，{{ name }}。
{% endblocktranslate %}
{% blocktranslate count n=items|length %}{{ n }} 条{% plural %}{{ n }} 条（复数）{% endblocktranslate %}
{{ value|default:_("无") }}
"""
    result = i18n_tools.Extraction()
    i18n_tools.extract_template(source, "t.html", result)
    assert set(result.messages) == {
        (None, "登录"),
        ("月份", "五月"),
        (None, "达标率 90%%"),
        (None, "你好，%(name)s。"),
        (None, "%(n)s 条"),
        (None, "无"),
    }
    assert result.messages[(None, "%(n)s 条")].plural == "%(n)s 条（复数）"


@pytest.mark.parametrize(
    ("msgid", "string", "ok"),
    [
        ("%(year)s 年", "year %(year)s", True),
        ("%(year)s 年", "year %(yaer)s", False),
        ("共 %s 条", "%s in all", True),
        ("共 %s 条", "in all", False),
        ("{name} 已提交", "{name} submitted", True),
        ("{name} 已提交", "{who} submitted", False),
        ("问题清单", "问题清单", False),
    ],
)
def test_translation_errors(msgid, string, ok):
    assert (i18n_tools.translation_errors(msgid, string) == []) is ok


# --- pages follow the visitor's language -------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in content
    assert "用户登录" in content
    assert "河南省交通运输执法监督平台" in content
    assert "Sign in" not in content


@pytest.mark.django_db
def test_login_page_follows_accept_language(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    content = response.content.decode()
    assert '<html lang="en"' in content
    assert "Sign in" in content
    assert "Henan Transport Enforcement Supervision Portal" in content
    assert "用户登录" not in content


@pytest.mark.django_db
def test_set_language_switches_the_login_page_to_english_and_back(client):
    login = reverse("login")
    response = client.post(reverse("set_language"), {"language": "en", "next": login})
    assert response.status_code == 302
    assert response["Location"] == login
    content = client.get(login).content.decode()
    assert '<html lang="en"' in content
    assert "Sign in" in content
    # The switch offers each language in its own name.
    assert ">简体中文</button>" in content and ">English</button>" in content

    client.post(reverse("set_language"), {"language": "zh-hans", "next": login})
    assert "用户登录" in client.get(login).content.decode()
