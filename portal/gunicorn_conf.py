"""gunicorn settings shared by ``make run`` and the compose ``web`` service
(``gunicorn -c python:portal.gunicorn_conf ...``; command-line options override these).

Metrics across worker processes: each worker counts its own requests, so prometheus-client's
multiprocess mode keeps them in files under PROMETHEUS_MULTIPROC_DIR (a fresh folder of its own
unless set), emptied when gunicorn starts, and a worker that exits is marked dead there.
"""

import os
import shutil
import tempfile
from pathlib import Path

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")


def on_starting(server):
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)  # counts of an earlier run are not this one's
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
