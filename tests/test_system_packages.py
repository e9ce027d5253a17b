"""``make test`` on a fresh machine: .ci/system-packages installs Chromium and the CJK fonts when
it can (root or sudo, apt-get) and otherwise says why and lets the tests run; the run then ends
with a line counting the skipped browser tests (``pytest_terminal_summary`` in conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import conftest

BASE_DIR = Path(__file__).resolve().parent.parent
SCRIPT = BASE_DIR / ".ci" / "system-packages"


def fake_bin(folder: Path, **programs: str) -> Path:
    folder.mkdir()
    for name, body in programs.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def run(path: Path, *args: str, system: bool = True) -> subprocess.CompletedProcess:
    """The script with the fake programs first on PATH (then the system's, for mktemp and tail)."""
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), *args],
        env={"PATH": f"{path}:/usr/bin:/bin" if system else str(path)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_without_apt_it_says_so_and_lets_make_test_go_on(tmp_path):
    empty = fake_bin(tmp_path / "bin")
    lenient = run(empty, "--if-possible", system=False)
    assert lenient.returncode == 0
    assert "no apt-get here" in lenient.stderr and "browser tests will be skipped" in lenient.stderr
    strict = run(empty, system=False)  # .ci/run: a failure
    assert strict.returncode == 1 and "no apt-get here" in strict.stderr


def test_not_root_without_sudo_it_names_the_command(tmp_path):
    path = fake_bin(
        tmp_path / "bin",
        **{
            "dpkg-query": "echo not-installed",
            "apt-get": "echo apt-get must not run >&2; exit 9",
            "id": "echo 1000",
            "sudo": "exit 1",
            "python3": "exit 0",
            "make": "exit 0",
        },
    )
    result = run(path, "--if-possible")
    assert result.returncode == 0
    assert "not root" in result.stderr and "sudo apt-get install chromium fonts-noto-cjk" in result.stderr
    assert "apt-get must not run" not in result.stderr


def test_as_root_it_installs_what_is_missing_with_apt(tmp_path):
    log = tmp_path / "apt.log"
    path = fake_bin(
        tmp_path / "bin",
        **{
            "dpkg-query": 'case "$*" in *chromium*) echo not-installed;; *) echo installed;; esac',
            "apt-get": f'echo "$@" >> {log}',
            "id": "echo 0",
            "python3": "exit 0",
            "make": "exit 0",
            "chromium": "echo Chromium 140",
        },
    )
    result = run(path, "--if-possible")
    assert result.returncode == 0, result.stderr
    assert "installing chromium with apt-get" in result.stdout
    calls = log.read_text().splitlines()
    assert calls[0].endswith("update") and calls[1].endswith("install -y --no-install-recommends chromium")


def test_a_run_that_skipped_browser_tests_ends_saying_how_many_and_why():
    def report(nodeid, reason="Skipped: /usr/bin/chromium is missing. apt-get install chromium"):
        return SimpleNamespace(nodeid=nodeid, keywords={}, longrepr=("x.py", 1, reason))

    browser = [report(f"tests/e2e/test_{n}.py::t") for n in range(8)]
    assert conftest.skipped_browser_tests_line({"skipped": [*browser, report("tests/test_x.py::t")]}) == (
        "portal: 8 browser tests were skipped: /usr/bin/chromium is missing. apt-get install chromium. "
        "As root on Debian, 'make test' installs them (.ci/system-packages)."
    )
    assert conftest.skipped_browser_tests_line({"skipped": [report("tests/test_x.py::t")], "passed": []}) is None
