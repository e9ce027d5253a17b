"""``make backup`` / ``make restore``: a backup of a database with records and evidence files,
restored into a fresh embedded server, has the same row count in every table, an intact audit
chain and the same evidence files (sha256); restore refuses a database or media folder that is
not empty, and a damaged archive, before it changes anything.

The launcher runs as a child process, as ``make backup`` starts it. The backup reads this test
run's database (so the records are committed: a transactional test); the restore starts an
embedded PostgreSQL of its own under a temporary ``PORTAL_VAR_DIR``.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from portal import backups, launcher
from portal.audit.chain import GENESIS
from portal.audit.verify import CHECK_SQL

BASE_DIR = Path(__file__).resolve().parent.parent


def source_url() -> str:
    """This test database as a URL the launcher takes (socket or TCP, as make test set it up)."""
    s = connection.settings_dict
    user = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    if str(s["HOST"]).startswith("/"):
        return f"postgres://{user}@/{s['HOST']}/{s['NAME']}"
    return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def launch(command: str, *args: str, **variables: str) -> tuple[int, str]:
    env = dict(os.environ, **variables)
    for name, value in variables.items():
        if value is None:
            env.pop(name)
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher", command, *args],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def start_embedded(scope_dir: Path) -> str:
    """The launcher's embedded server in ``scope_dir`` (started, or the one running there), in a
    child process: pgserver's exit hook then logs into that process's output, not pytest's."""
    script = "import sys; from pathlib import Path; from portal import launcher; "
    script += "print(launcher.postgres_start(Path(sys.argv[1]), 'portal'))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(scope_dir)], cwd=BASE_DIR, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def tree_digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def records(_restore_migrated_data, settings, tmp_path):
    """Problems with progress logs and evidence files (each write audited), in a media folder."""
    from cases import services
    from cases.models import Category, Problem
    from portal.accounts.models import Role, User
    from portal.regions.models import EnforcementDomain, Unit

    settings.MEDIA_ROOT = tmp_path / "media"
    county = User.objects.create_user("county", region_id="410105", roles=[Role.COUNTY_OFFICER])
    unit = Unit.objects.create(name="金水区交通运输综合行政执法大队", kind="agency", region_id="410105")
    for number in range(3):
        problem = services.problem_register(
            actor=county,
            title=f"治超站点直接罚款 {number}",
            category=Category.objects.get(code="lyj-directfine"),
            source=Problem.Source.COMPLAINT,
            region=unit.region,
            unit=unit,
            domain=EnforcementDomain.objects.get(code="highway"),
        )
        photo = SimpleUploadedFile(
            f"现场照片{number}.png", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), content_type="image/png"
        )
        services.progress_log(actor=county, problem=problem, note="已整改", files=[photo])
    return settings.MEDIA_ROOT


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_embedded_server(records, tmp_path):
    code, output = launch(
        "backup", "--output", str(tmp_path / "backups"), "--media", str(records), DATABASE_URL=source_url()
    )
    assert code == 0, output
    assert "backed up the database" in output and "3 files" in output
    (archive,) = (tmp_path / "backups").glob("portal-*.tar")
    with psycopg.connect(backups.Target.from_url(source_url()).conninfo()) as conn:
        source_counts = backups.count_rows(conn)
    assert source_counts["audit_auditevent"] >= 6 and source_counts["cases_evidence"] == 3

    # Into a fresh embedded server: no DATABASE_URL, its own var dir; the launcher starts it,
    # restores, and stops it again.
    var, restored_media = tmp_path / "var", tmp_path / "restored-media"
    fresh = {"DATABASE_URL": None, "PORTAL_VAR_DIR": str(var)}
    code, output = launch("restore", str(archive), "--media", str(restored_media), **fresh)
    assert code == 0, output
    assert f"restored {archive}" in output
    assert f"{len(source_counts)} tables, {sum(source_counts.values()):,} rows" in output
    assert "3 files" in output and "every sha256 equal" in output
    assert f"audit chain intact: {source_counts['audit_auditevent']} events" in output
    assert tree_digests(restored_media) == tree_digests(records) and len(tree_digests(records)) == 3

    url = start_embedded(var / "run")
    try:
        with psycopg.connect(backups.Target.from_url(url).conninfo()) as conn:
            assert backups.count_rows(conn) == source_counts
            assert conn.execute(CHECK_SQL, {"genesis": GENESIS}).fetchone() is None  # the chain verifies
            # the chain goes on: the next event links to the restored head
            head = conn.execute("SELECT max(seq) FROM audit_auditevent").fetchone()[0]
            assert head == source_counts["audit_auditevent"]

        # A second restore into the now filled database is refused, and nothing changes.
        code, output = launch("restore", str(archive), "--media", str(tmp_path / "other-media"), **fresh)
        assert code == 1
        assert "is not empty" in output and "Nothing was changed" in output
        assert not (tmp_path / "other-media").exists()
    finally:
        launcher.postgres_stop(var / "run")


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_archive_and_a_media_folder_with_files(records, tmp_path):
    code, output = launch(
        "backup", "--output", str(tmp_path / "b.tar"), "--media", str(records), DATABASE_URL=source_url()
    )
    assert code == 0, output
    archive = tmp_path / "b.tar"
    manifest = backups.verify_archive(archive)
    assert manifest["media"]["count"] == 3 and manifest["database"]["tables"]["cases_evidence"] == 3

    # A media folder with a file in it: refused before the database is touched.
    filled = tmp_path / "filled"
    (filled / "evidence").mkdir(parents=True)
    (filled / "evidence" / "old.pdf").write_bytes(b"%PDF-1.4")
    fresh = {"DATABASE_URL": None, "PORTAL_VAR_DIR": str(tmp_path / "var")}
    code, output = launch("restore", str(archive), "--media", str(filled), **fresh)
    assert code == 1 and "already holds 1 file(s)" in output and "Nothing was changed" in output

    # One evidence file changed inside the archive: its sha256 no longer matches.
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source:
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("media/") and member.name.endswith(".png"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    code, output = launch("restore", str(damaged), "--media", str(tmp_path / "m"), **fresh)
    assert code == 1 and "does not match its sha256" in output
    assert not (tmp_path / "m").exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_an_archive(records, tmp_path):
    existing = tmp_path / "b.tar"
    existing.write_bytes(b"keep")
    code, output = launch("backup", "--output", str(existing), "--media", str(records), DATABASE_URL=source_url())
    assert code == 1 and "exists already" in output and existing.read_bytes() == b"keep"


@pytest.mark.parametrize(
    ("url", "host", "port", "dbname"),
    [
        ("postgres://portal:s3cret@db:5432/portal", "db", "5432", "portal"),
        ("postgres://postgres@//work/var/run/pg/portal", "/work/var/run/pg", "", "portal"),
        ("postgresql://u@%2Ftmp%2Fsock/portal_test", "/tmp/sock", "", "portal_test"),
    ],
)
def test_database_urls_are_understood(url, host, port, dbname):
    target = backups.Target.from_url(url)
    assert (target.host, target.port, target.dbname) == (host, port, dbname)
    assert "s3cret" not in " ".join(target.client_args())
