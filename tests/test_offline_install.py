"""Offline install: with wheels in wheelhouse/ (``make wheelhouse``) ``make run`` and ``make test``
install with the package index off; without, from the index. .ci/run builds the wheelhouse and
then installs the whole environment from it with --no-index (a real install, not only this)."""

from __future__ import annotations

import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def planned_installs(**variables: str) -> list[str]:
    """The pip commands make would run for a fresh .venv (``make -n -B``, nothing is executed)."""
    arguments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", ".venv/.installed-dev", *arguments],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return [line for line in result.stdout.splitlines() if "pip install" in line]


def test_with_a_wheelhouse_every_install_has_the_index_off(tmp_path):
    (tmp_path / "Django-5.2.19-py3-none-any.whl").write_bytes(b"")
    installs = planned_installs(WHEELHOUSE=str(tmp_path))
    assert len(installs) == 2  # requirements.txt, then requirements-dev.txt
    assert all(f"--no-index --find-links {tmp_path}" in line for line in installs), installs


def test_without_one_pip_uses_the_index(tmp_path):
    installs = planned_installs(WHEELHOUSE=str(tmp_path / "absent"))
    assert len(installs) == 2 and not any("--no-index" in line for line in installs)


def test_the_image_can_build_from_the_wheelhouse():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "FROM scratch AS wheels" in dockerfile
    assert "--mount=type=bind,from=wheels,target=/wheels" in dockerfile
    assert "--no-index --find-links /wheels" in dockerfile
    assert "wheelhouse" in (BASE_DIR / ".dockerignore").read_text().split()  # never copied into /app
