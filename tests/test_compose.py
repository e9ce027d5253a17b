"""docker-compose.yml against the settings: every variable production refuses to start without is
given to every portal service, the environment compose builds passes ``check --deploy``, the
portal's services share one image and the media volume where MEDIA_ROOT is, and nothing stops
``docker compose up --scale worker=N`` (no fixed container names; one beat)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.test_settings import PRODUCTION, manage, production_variables

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
PORTAL_SERVICES = ("migrate", "web", "worker", "beat", "backup")
REFERENCE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def substituted(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message} with ``variables`` as .env."""

    def one(match):
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise AssertionError(f"compose would refuse to start: {rest}")
        return rest or ""

    return REFERENCE.sub(one, str(value))


def dot_env() -> dict[str, str]:
    """.env.example with its required values filled in, as an operator would."""
    values = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    values.update({k: v for k, v in production_variables().items() if not values.get(k)})
    values["POSTGRES_PASSWORD"] = "a1b2c3d4e5f6"
    return values


def compose_environment(service: str) -> dict[str, str]:
    """What the container's process sees: env_file (.env) overridden by environment."""
    spec = COMPOSE["services"][service]
    variables = dot_env()
    environment = {**variables} if spec.get("env_file") == ".env" else {}
    environment.update({name: substituted(value, variables) for name, value in spec["environment"].items()})
    return environment


@pytest.mark.parametrize("service", PORTAL_SERVICES)
def test_each_portal_service_runs_the_one_image_with_the_production_settings(service):
    spec = COMPOSE["services"][service]
    assert spec["image"] == "henan-portal:latest" and spec["build"] == "."
    assert spec["environment"]["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert "container_name" not in spec  # docker compose up --scale needs generated names
    # the evidence files: MEDIA_ROOT is var/private-media under the image's /app
    assert "private-media:/app/var/private-media" in spec["volumes"]


def test_every_variable_production_requires_is_given_to_the_portal_services():
    full = {**production_variables(), "DATABASE_URL": "postgres://u:p@db:5432/portal", "REDIS_URL": "redis://r:6379/0"}
    required = []
    for name in full:
        without = dict(full)
        del without[name]
        result = manage(
            "check", settings=PRODUCTION, **without, **({} if name not in ("DATABASE_URL", "REDIS_URL") else {name: ""})
        )
        if result.returncode != 0:
            required.append(name)
    assert {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS"} <= set(required)
    for service in PORTAL_SERVICES:
        given = COMPOSE["services"][service]["environment"]
        assert [name for name in required if name not in given] == [], service


def test_the_environment_compose_builds_passes_the_deployment_checks():
    environment = compose_environment("web")
    assert environment["DATABASE_URL"] == "postgres://portal:a1b2c3d4e5f6@db:5432/portal"
    result = manage("check", "--deploy", "--fail-level", "WARNING", settings=PRODUCTION, **environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_variable_compose_reads_is_in_the_example_env_file():
    text = (BASE_DIR / "docker-compose.yml").read_text()
    referenced = {match.group(1) for match in REFERENCE.finditer(text)}
    assert referenced - set(dot_env()) == set()


def test_scaling_out_the_workers_and_a_single_beat():
    services = COMPOSE["services"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "portal.celery", "worker"]
    # beat must run once: no replicas and no scaling hints
    assert "deploy" not in services["beat"] and "--schedule=/app/var/celerybeat-schedule" in services["beat"]["command"]
    # the broker keeps its queue across restarts (append-only), the database its volume
    assert "--appendonly" in services["redis"]["command"]
    assert any(v.startswith("postgres-data:") for v in services["db"]["volumes"])
    # web and the others wait for the migration
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
