"""Settings from the environment: a malformed value stops start-up with one line naming the
variable; production settings pass ``check --deploy`` with zero warnings and refuse a weak key.

Each case runs ``manage.py`` in a child process with its own environment, as a server would.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import env as settings_env

BASE_DIR = Path(__file__).resolve().parent.parent

# The child gets a clean environment: only these from ours, so that neither the caller's shell
# nor test-process settings (e.g. DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests) change the outcome.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def manage(*args: str, settings: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: os.environ[k] for k in INHERITED if k in os.environ}
    # The servers of this test run (make test sets both); the cases below override one of them.
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    env["DJANGO_SETTINGS_MODULE"] = settings
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_variables(**overrides: str) -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "zfjd.jtt.henan.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://zfjd.jtt.henan.gov.cn",
        "EMAIL_URL": "smtp://portal:secret@mail.jtt.henan.gov.cn:25",
        **overrides,
    }


LOCAL, PRODUCTION = "portal.settings.local", "portal.settings.production"


@pytest.mark.parametrize(
    ("settings", "variable", "value"),
    [
        (LOCAL, "DATABASE_URL", "mysql://x"),
        (LOCAL, "DATABASE_REPLICA_URL", "postgres://replica-host"),
        (LOCAL, "REPLICA_MAX_LAG_SECONDS", "half a minute"),
        (LOCAL, "REDIS_URL", "http://x"),
        (LOCAL, "EMAIL_URL", "foo://x"),
        (LOCAL, "DEBUG", "maybe"),
        (LOCAL, "ALLOWED_HOSTS", ","),
        (LOCAL, "CSRF_TRUSTED_ORIGINS", "portal.example.gov.cn"),
        (LOCAL, "DB_CONN_MAX_AGE", "soon"),
        (LOCAL, "METRICS_ALLOWED_IPS", "127.0.0.1,prometheus.local"),
        (LOCAL, "LOG_FORMAT", "xml"),
        (PRODUCTION, "REDIS_URL", "http://x"),
        (PRODUCTION, "SECURE_HSTS_SECONDS", "a year"),
    ],
)
def test_a_malformed_variable_stops_start_up_with_one_line_naming_it(settings, variable, value):
    variables = production_variables() if settings == PRODUCTION else {}
    result = manage("check", settings=settings, **{**variables, variable: value})

    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_production_settings_pass_the_deployment_checks_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", settings=PRODUCTION, **production_variables())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "too-short",
        "x" * 60,  # long enough, but one character
        "django-insecure-" + secrets.token_urlsafe(50),
    ],
    ids=["missing", "empty", "short", "one-character", "django-insecure"],
)
def test_production_refuses_a_missing_or_weak_secret_key(key):
    variables = production_variables()
    del variables["SECRET_KEY"]
    if key is not None:
        variables["SECRET_KEY"] = key

    result = manage("check", settings=PRODUCTION, **variables)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]
    assert key is None or len(key) < 20 or key not in lines[0], "the key must not be echoed"


def test_production_requires_its_host_names():
    variables = production_variables()
    del variables["ALLOWED_HOSTS"]

    result = manage("check", settings=PRODUCTION, **variables)

    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "ALLOWED_HOSTS" in result.stderr


# --- the parsing rules, in process -------------------------------------------------------------


def test_database_url_with_a_host_or_a_socket_directory(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal:p%40ss@db.internal:6432/portal")
    config = settings_env.env_database()
    assert (config["HOST"], config["PORT"], config["NAME"], config["PASSWORD"]) == (
        "db.internal",
        6432,
        "portal",
        "p@ss",
    )

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@//srv/portal/var/run/pg/portal")
    config = settings_env.env_database()
    assert (config["HOST"], config["NAME"]) == ("/srv/portal/var/run/pg", "portal")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("postgres://host", "names no database"),
        ("postgres:///portal", "names no host"),
        ("postgres://u@h:port/portal", "cannot be parsed"),
    ],
)
def test_database_url_problems_are_named(monkeypatch, value, problem):
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(settings_env.SettingError, match=problem):
        settings_env.env_database()


def test_cache_and_broker_use_separate_redis_databases():
    assert settings_env.redis_db("redis://:pw@cache:6379/0", 1) == "redis://:pw@cache:6379/1"
    assert settings_env.redis_db("unix:///run/redis.sock?db=0", 2) == "unix:///run/redis.sock?db=2"


def test_numbers_and_switches(monkeypatch):
    monkeypatch.setenv("DB_CONN_MAX_AGE", " 30 ")
    assert settings_env.env_int("DB_CONN_MAX_AGE", 60, minimum=0) == 30
    monkeypatch.setenv("DB_CONN_MAX_AGE", "-1")
    with pytest.raises(settings_env.SettingError, match="is below 0"):
        settings_env.env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    monkeypatch.setenv("SECURE_SSL_REDIRECT", "Off")
    assert settings_env.env_bool("SECURE_SSL_REDIRECT", True) is False
    monkeypatch.delenv("SECURE_SSL_REDIRECT")
    assert settings_env.env_bool("SECURE_SSL_REDIRECT", True) is True
