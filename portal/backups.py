"""``make backup`` and ``make restore FILE=...``: one archive holding the database and the files.

Stdlib only at import time, like the launcher that calls it (psycopg is imported when needed).

The archive is an uncompressed tar (the dump is compressed already, evidence files mostly are):

- ``manifest.json``: when and from which database, PostgreSQL's version, the row count of every
  table, and the size and sha256 of the dump and of every file;
- ``database.dump``: ``pg_dump --format=custom`` of the whole database;
- ``media/...``: the private media (evidence files, issued documents, uploaded ledgers).

Consistency: the row counts are taken in one REPEATABLE READ transaction whose snapshot is
exported to ``pg_dump --snapshot``, so the dump holds exactly the rows the manifest counts,
whatever is written meanwhile. The files are copied after that snapshot: every file the dump
refers to is there (evidence is never deleted), files uploaded later may be too (harmless).

Restore refuses a database that has any table, and a media folder that has any file, before it
changes anything; it checks every sha256 first, restores the dump in one transaction
(``pg_restore --single-transaction --exit-on-error``), writes the files, counts the rows again
against the manifest and runs ``manage.py verify_audit``.

``pg_dump``/``pg_restore`` come from ``PG_BIN`` when set, else from the pgserver wheel (the same
PostgreSQL 16 as the embedded server and as compose's ``postgres:16``), else from PATH.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"
CHUNK = 1 << 20


class BackupError(Exception):
    """One line for the user (the launcher prints it as ``portal: ...``)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# --- where the database is -----------------------------------------------------------------


@dataclass
class Target:
    host: str
    port: str
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> Target:
        """``postgres://user:password@host:5432/db``, or the embedded server's socket form
        ``postgres://user@//socket/dir/db`` (the socket directory in the path)."""
        parts = urlsplit(url)
        if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
            raise BackupError("DATABASE_URL is not a PostgreSQL URL; set it like postgres://user:password@host/portal.")
        path = unquote(parts.path)
        host = unquote(parts.hostname or "")
        if host:
            dbname = path.lstrip("/")
        else:
            # socket form: everything before the last segment is the socket directory
            socket_dir, _, dbname = path.rstrip("/").rpartition("/")
            host = "/" + socket_dir.lstrip("/") if socket_dir.strip("/") else ""
        if not dbname:
            raise BackupError("DATABASE_URL names no database; set it like postgres://user:password@host/portal.")
        return cls(
            host=host,
            port=str(parts.port or ""),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=dbname,
        )

    def conninfo(self, **overrides: str) -> str:
        from psycopg.conninfo import make_conninfo

        values = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        values.update(overrides)
        return make_conninfo(**{k: v for k, v in values.items() if v}, password=self.password or None)

    def client_args(self) -> list[str]:
        args = []
        for flag, value in (("--host", self.host), ("--port", self.port), ("--username", self.user)):
            if value:
                args += [flag, value]
        return args

    def client_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password  # never on the command line (ps would show it)
        return env

    def describe(self) -> str:
        if self.host.startswith("/"):
            return f"the database {self.dbname!r} at the socket {self.host}"
        return f"the database {self.dbname!r} on {self.host or 'localhost'}:{self.port or 5432}"


def pg_binary(name: str) -> str:
    """``PG_BIN``, then the pgserver wheel's bin/, then PATH."""
    if os.environ.get("PG_BIN"):
        candidate = Path(os.environ["PG_BIN"]) / name
        if candidate.exists():
            return str(candidate)
        raise BackupError(f"PG_BIN={os.environ['PG_BIN']} has no {name}; point it at PostgreSQL's bin folder.")
    with contextlib.suppress(ImportError):
        import importlib.util

        spec = importlib.util.find_spec("pgserver")
        if spec and spec.origin:
            candidate = Path(spec.origin).parent / "pginstall" / "bin" / name
            if candidate.exists():
                return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} was found neither in the pgserver package nor on PATH; install requirements.txt "
        f"(pgserver ships it) or PostgreSQL's client programs, or set PG_BIN."
    )


# --- helpers ---------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    return sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink())


USER_TABLES_SQL = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'
ORDER BY 1, 2
"""


def count_rows(conn) -> dict[str, int]:
    from psycopg import sql

    counts = {}
    for schema, table in conn.execute(USER_TABLES_SQL).fetchall():
        name = table if schema == "public" else f"{schema}.{table}"
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[name] = conn.execute(query).fetchone()[0]
    return counts


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


# --- backup ----------------------------------------------------------------------------------


def _now() -> datetime.datetime:
    """The portal's time zone (Asia/Shanghai), whatever the machine's clock zone is."""
    from zoneinfo import ZoneInfo

    return datetime.datetime.now(ZoneInfo("Asia/Shanghai"))


def default_output(folder: Path) -> Path:
    stamp = _now().strftime("%Y%m%d-%H%M%S")
    return folder / f"portal-{stamp}.tar"


def backup(database_url: str, media_root: Path, output: Path) -> dict:
    """Write the archive to ``output``: a ``.tar`` file, or a folder to put a dated one in.
    Returns the manifest."""
    import psycopg

    target = Target.from_url(database_url)
    if output.is_dir() or not output.name.endswith(".tar"):
        output = default_output(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        raise BackupError(f"{output} exists already; name another file (FILE=...) or move that one away.")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="portal-backup-", dir=output.parent))
    try:
        dump = work / DUMP
        try:
            conn = psycopg.connect(target.conninfo(), autocommit=False)
        except psycopg.Error as exc:
            raise BackupError(f"cannot connect to {target.describe()}: {' '.join(str(exc).split())}") from None
        with conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            server_version = conn.execute("SHOW server_version").fetchone()[0]
            counts = count_rows(conn)
            if not counts:
                raise BackupError(
                    f"{target.describe()} has no tables: nothing to back up. Is DATABASE_URL the right "
                    f"database, or has the portal never run ('make run' migrates it)?"
                )
            # pg_dump reads the same snapshot while this transaction stays open.
            _run(
                [
                    pg_binary("pg_dump"),
                    *target.client_args(),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    target.dbname,
                ],
                target.client_env(),
                "pg_dump",
            )
            conn.rollback()
        dumped = time.monotonic()
        files = []
        for path in media_files(media_root):
            files.append(
                {
                    "path": path.relative_to(media_root).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": sha256_of(path),
                }
            )
        manifest = {
            "format": FORMAT,
            "created_at": _now().isoformat(timespec="seconds"),
            "database": {
                "name": target.dbname,
                "server_version": server_version,
                "tables": counts,
                "rows": sum(counts.values()),
            },
            "dump": {"path": DUMP, "size": dump.stat().st_size, "sha256": sha256_of(dump)},
            "media": {"root": str(media_root), "count": len(files), "size": sum(f["size"] for f in files)},
            "files": files,
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            tar.add(dump, arcname=DUMP)
            for entry in files:
                tar.add(media_root / entry["path"], arcname=f"{MEDIA}/{entry['path']}")
        partial.rename(output)  # a crash never leaves a file that looks complete
        manifest["seconds"] = {"dump": dumped - started, "total": time.monotonic() - started}
        manifest["archive"] = {"path": str(output), "size": output.stat().st_size}
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


# --- restore ---------------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile, archive: Path) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not an archive written by 'make backup'.") from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has manifest format {manifest.get('format')!r}; this portal reads {FORMAT}.")
    return manifest


def _safe_member_path(name: str) -> str:
    path = Path(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"the archive holds an unsafe path {name!r}; it was not written by 'make backup'.")
    return path.as_posix()


def verify_archive(archive: Path) -> dict:
    """Every member the manifest names is there with its sha256; nothing else is. No writes."""
    if not archive.is_file():
        raise BackupError(
            f"{archive} does not exist; give the file 'make backup' wrote, e.g. FILE=backups/portal-....tar"
        )
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise BackupError(f"{archive} is not a readable archive ({exc}).") from None
    with tar:
        manifest = read_manifest(tar, archive)
        expected = {DUMP: manifest["dump"]["sha256"]}
        expected.update({f"{MEDIA}/{_safe_member_path(f['path'])}": f["sha256"] for f in manifest["files"]})
        seen = set()
        for member in tar:
            if member.name == MANIFEST:
                continue
            _safe_member_path(member.name)
            if member.name not in expected or not member.isfile():
                raise BackupError(f"{archive} holds {member.name!r}, which its manifest does not name.")
            digest = hashlib.sha256()
            handle = tar.extractfile(member)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != expected[member.name]:
                raise BackupError(f"{member.name} in {archive} does not match its sha256: the archive is damaged.")
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError(f"{archive} lacks {len(missing)} member(s) its manifest names, e.g. {missing[0]}.")
    return manifest


def check_empty(target: Target, media_root: Path) -> None:
    import psycopg

    try:
        conn = psycopg.connect(target.conninfo(), autocommit=True)
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to {target.describe()}: {' '.join(str(exc).split())}") from None
    with conn:
        tables = conn.execute(USER_TABLES_SQL).fetchall()
    if tables:
        raise BackupError(
            f"{target.describe()} is not empty ({len(tables)} tables, e.g. {tables[0][1]}); restore only into an "
            f"empty database: create a new one (createdb) and point DATABASE_URL at it, or for the embedded one "
            f"'make stop' and move var/run/pg away first. Nothing was changed."
        )
    present = media_files(media_root)
    if present:
        raise BackupError(
            f"the media folder {media_root} already holds {len(present)} file(s), e.g. "
            f"{present[0].relative_to(media_root)}; restore into an empty folder (move it away first). "
            f"Nothing was changed."
        )


def restore(database_url: str, media_root: Path, archive: Path) -> dict:
    """Restore ``archive`` into the empty database and media folder. Returns what was restored."""
    import psycopg

    started = time.monotonic()
    target = Target.from_url(database_url)
    manifest = verify_archive(archive)
    check_empty(target, media_root)
    work = Path(tempfile.mkdtemp(prefix="portal-restore-"))
    try:
        with tarfile.open(archive, "r:") as tar:
            tar.extract(DUMP, work, filter="data")
            _run(
                [
                    pg_binary("pg_restore"),
                    *target.client_args(),
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={target.dbname}",
                    str(work / DUMP),
                ],
                target.client_env(),
                "pg_restore (nothing was restored: it runs in one transaction)",
            )
            restored_db = time.monotonic()
            (work / DUMP).unlink()
            media_root.mkdir(parents=True, exist_ok=True)
            for entry in manifest["files"]:
                member = tar.getmember(f"{MEDIA}/{entry['path']}")
                destination = media_root / entry["path"]
                destination.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink, CHUNK)
                if sha256_of(destination) != entry["sha256"]:
                    raise BackupError(
                        f"{destination} was written with another sha256 than the archive's; check the disk"
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        counts = count_rows(conn)
        # Planner statistics are not in a dump: gather them, or the first queries plan blind.
        conn.execute("ANALYZE")
    expected = manifest["database"]["tables"]
    differing = sorted(name for name in set(expected) | set(counts) if expected.get(name) != counts.get(name))
    if differing:
        name = differing[0]
        raise BackupError(
            f"after the restore {len(differing)} table(s) differ from the manifest, e.g. {name}: "
            f"{counts.get(name)} rows, the manifest says {expected.get(name)}."
        )
    return {
        "manifest": manifest,
        "tables": counts,
        "seconds": {"database": restored_db - started, "total": time.monotonic() - started},
    }
