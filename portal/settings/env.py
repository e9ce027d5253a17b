"""Reading settings from the environment, strictly.

django-environ parses the URLs; this module adds the checks it leaves out, so that a
malformed value stops start-up with one line naming the variable, what is wrong with it and
what to do (``manage.py`` and the launcher print that line instead of a traceback).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ImproperlyConfigured):
    """A malformed environment variable. Its message is the one line the user sees."""


def _fail(name: str, value: str, problem: str, example: str) -> SettingError:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return SettingError(f"{name}={shown!r} {problem}; set it like {example} or unset it to use the default.")


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(name, raw, "is not a yes/no value", f"{name}=true or {name}=false")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _fail(name, raw, "is not a whole number", f"{name}={default}") from None
    if minimum is not None and value < minimum:
        raise _fail(name, raw, f"is below {minimum}", f"{name}={default}")
    if maximum is not None and value > maximum:
        raise _fail(name, raw, f"is above {maximum}", f"{name}={default}")
    return value


# Examples for the list variables the settings read; origins need their scheme (Django 4+).
_LIST_EXAMPLES = {
    "ALLOWED_HOSTS": "portal.example.gov.cn,127.0.0.1",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.gov.cn",
}
_NEEDS_SCHEME = {"CSRF_TRUSTED_ORIGINS"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    example = f"{name}={_LIST_EXAMPLES.get(name, 'a,b')}"
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise _fail(name, raw, "is an empty list", example)
    if name in _NEEDS_SCHEME and any("://" not in item for item in items):
        raise _fail(name, raw, "has an entry without its scheme (https://...)", example)
    return items


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of IP addresses or networks (CIDR), each checked."""
    import ipaddress

    items = env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise _fail(
                name,
                ",".join(items),
                f"has {item!r}, which is no IP address or network",
                f"{name}=127.0.0.1,10.0.0.0/8",
            ) from None
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise _fail(name, raw, f"is not one of {', '.join(choices)}", f"{name}={choices[-1]}")
    return value


def _embedded_run_dir():
    """var/run of this checkout (or PORTAL_VAR_DIR): where `make run` keeps its servers."""
    import os
    from pathlib import Path

    base = os.environ.get("PORTAL_VAR_DIR") or str(Path(__file__).resolve().parents[2] / "var")
    return Path(base) / "run"


def _is_local_settings() -> bool:
    import os

    return os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings.local").endswith(".local")


def local_default_database() -> str | None:
    """With the local settings and no DATABASE_URL, `make run`'s embedded PostgreSQL (so
    `manage.py shell` or `makemigrations` work beside a running portal)."""
    return f"postgres://postgres@/{_embedded_run_dir() / 'pg'}/portal" if _is_local_settings() else None


def local_default_redis() -> str | None:
    if not _is_local_settings():
        return None
    try:
        port = int((_embedded_run_dir() / "redis" / "port").read_text())
    except (OSError, ValueError):
        port = 6379
    return f"redis://127.0.0.1:{port}/0"


def env_database(name: str = "DATABASE_URL", default: str | None = None) -> dict:
    raw = env.str(name, default=default if default is not None else local_default_database())
    if raw is None:
        raise SettingError(
            f"{name} is not set; run through 'make run' / 'make test' (they start an embedded "
            f"PostgreSQL) or set it like {name}=postgres://user:password@host:5432/portal."
        )
    parts = urlsplit(raw)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise _fail(name, raw, "is not a PostgreSQL URL", f"{name}=postgres://user:password@host:5432/portal")
    if not parts.path.strip("/"):
        raise _fail(name, raw, "names no database", f"{name}=postgres://user:password@host:5432/portal")
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises assorted errors on garbage
        raise _fail(
            name, raw, f"cannot be parsed ({exc})", f"{name}=postgres://user:password@host:5432/portal"
        ) from None
    if not config.get("HOST") and "host=" not in raw:
        raise _fail(name, raw, "names no host or socket", f"{name}=postgres://user:password@host:5432/portal")
    return config


def env_redis(name: str = "REDIS_URL", default: str | None = None) -> str:
    raw = env.str(name, default=default if default is not None else local_default_redis())
    if raw is None:
        raise SettingError(
            f"{name} is not set; run through 'make run' / 'make test' (they start an embedded Redis) "
            f"or set it like {name}=redis://host:6379/0."
        )
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise _fail(name, raw, "is not a Redis URL", f"{name}=redis://host:6379/0")
    try:
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError:
        raise _fail(name, raw, "has a port that is not a number", f"{name}=redis://host:6379/0") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise _fail(name, raw, "names no host", f"{name}=redis://host:6379/0")
    return raw


def env_email(name: str = "EMAIL_URL", default: str = "consolemail://") -> dict:
    raw = env.str(name, default=default)
    scheme = urlsplit(raw).scheme
    if scheme not in environ.Env.EMAIL_SCHEMES:
        known = ", ".join(sorted(environ.Env.EMAIL_SCHEMES))
        raise _fail(
            name, raw, f"has an unknown scheme (known: {known})", f"{name}=smtp://user:password@mail.example.gov.cn:25"
        )
    try:
        return environ.Env.email_url_config(raw)
    except Exception as exc:
        raise _fail(
            name, raw, f"cannot be parsed ({exc})", f"{name}=smtp://user:password@mail.example.gov.cn:25"
        ) from None


def redis_db(url: str, db: int) -> str:
    """The same Redis server as ``url`` with another logical database (cache vs. broker)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(
            filter(None, [*(p for p in parts.query.split("&") if p and not p.startswith("db=")), f"db={db}"])
        )
        # built by hand: geturl() drops the empty authority ("unix:/path"), which redis-py rejects
        return f"unix://{parts.netloc}{parts.path}?{query}"
    return parts._replace(path=f"/{db}").geturl()
