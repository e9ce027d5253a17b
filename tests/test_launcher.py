"""``make run`` on bad input: one clear line, a non-zero exit, and no process left behind.

The launcher runs as a child process, as ``make run`` starts it, with ``PORTAL_VAR_DIR`` in a
temporary folder (so a portal running from this checkout is not disturbed) and with
DATABASE_URL / REDIS_URL naming this test run's servers, so no embedded server is started.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_marked(marker: str) -> list[str]:
    """Live processes (not zombies) whose environment carries ``marker``: the launcher's
    descendants, wherever they were re-parented."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() not in (entry / "environ").read_bytes():
                continue
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name} {command}")
    return found


@pytest.fixture
def launch(tmp_path):
    """Run ``python -m portal.launcher run`` with extra variables; check nothing outlives it."""
    marker = f"PORTAL_LAUNCHER_TEST={uuid.uuid4().hex}"

    def run(**variables: str) -> tuple[int, list[str]]:
        env = dict(os.environ)
        env.pop("PORT", None)
        env.update(
            {
                "PORTAL_VAR_DIR": str(tmp_path / "var"),
                "DJANGO_SETTINGS_MODULE": "portal.settings.local",
                "PORTAL_LAUNCHER_TEST": marker.split("=", 1)[1],
                **variables,
            }
        )
        result = subprocess.run(
            [sys.executable, "-m", "portal.launcher", "run"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        return result.returncode, lines

    yield run
    assert processes_marked(marker) == []


def test_a_port_that_is_not_a_number(launch):
    code, lines = launch(PORT="abc")

    assert code != 0
    assert len(lines) == 1, lines
    assert "PORT='abc' is not a port number" in lines[0]


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_a_port_out_of_range(launch, port):
    code, lines = launch(PORT=port)

    assert code != 0
    assert len(lines) == 1, lines
    assert "is not a port number" in lines[0]


def test_a_port_in_use(launch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code, lines = launch(PORT=str(port))

    assert code != 0
    assert len(lines) == 1, lines
    assert f"port {port} is already in use" in lines[0]
    assert "PORT=" in lines[0]  # says what to do


def test_an_unreachable_database(launch):
    code, lines = launch(PORT=str(free_port()), DATABASE_URL="postgres://portal@127.0.0.1:1/portal")

    assert code != 0
    assert len(lines) == 1, lines
    assert "database in DATABASE_URL (127.0.0.1:1) cannot be reached" in lines[0]


def test_a_server_that_answers_but_is_no_usable_database(launch):
    # This test run's Redis accepts the connection but speaks no PostgreSQL.
    redis_port = urlsplit(os.environ["REDIS_URL"]).port
    code, lines = launch(PORT=str(free_port()), DATABASE_URL=f"postgres://portal@127.0.0.1:{redis_port}/portal")

    assert code != 0
    assert len(lines) == 1, lines
    assert "the database in DATABASE_URL cannot be used" in lines[0]


def test_an_unreachable_redis(launch):
    code, lines = launch(PORT=str(free_port()), REDIS_URL="redis://127.0.0.1:1/0")

    assert code != 0
    assert len(lines) == 1, lines
    assert "REDIS_URL (127.0.0.1:1) cannot be reached" in lines[0]


def test_a_malformed_variable(launch):
    code, lines = launch(PORT=str(free_port()), DEBUG="maybe")

    assert code == 2
    assert len(lines) == 1, lines
    assert "DEBUG='maybe'" in lines[0]


def test_a_second_run_from_the_same_folder(launch, tmp_path):
    lock_path = tmp_path / "var" / "run" / "portal.lock"
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()

        code, lines = launch(PORT=str(free_port()))

    assert code != 0
    assert len(lines) == 1, lines
    assert "already running from this folder (launcher pid 4242)" in lines[0]
    assert "make stop" in lines[0]


def test_stop_with_nothing_running(tmp_path):
    env = dict(os.environ, PORTAL_VAR_DIR=str(tmp_path / "var"))
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher", "stop"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert result.stdout.strip() == "portal: nothing left running"
