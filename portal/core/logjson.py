"""``LOG_FORMAT=json``: one JSON object per log line, for a log collector (Loki, ELK, ...).

Fields: ``time`` (ISO 8601 with offset), ``level``, ``logger``, ``message``, ``process``, the
request id of the request being served (``request_id``, the X-Request-ID the audit trail keeps),
``exception`` (the formatted traceback) when there is one, and any ``extra={...}`` values.
Standard library only; Chinese text is written as is (UTF-8), not escaped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

# LogRecord's own attributes: everything else on a record came from extra={...}.
_RESERVED = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request_id = _request_id()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_") and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_id() -> str | None:
    try:
        from portal.audit.context import current
    except Exception:
        return None
    try:
        context = current()
    except Exception:
        return None
    return getattr(context, "request_id", None) if context else None
