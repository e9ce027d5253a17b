"""Container health check for the web service: GET /healthz on the local gunicorn.

Sends the first ALLOWED_HOSTS entry as the Host header (Django answers only its own host
names) and exits 0 only when the portal reports its database and broker ok.
"""

import json
import os
import sys
import urllib.request


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    request = urllib.request.Request("http://127.0.0.1:8000/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a fixed local URL
            body = json.loads(response.read())
    except Exception as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1
    print(body)
    return 0 if body.get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
