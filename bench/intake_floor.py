"""The intake's floor: the least a durable, authenticated intake can cost on this server.

Served only by the benchmark's gunicorn (``bench/intake_floor_wsgi.py``: the portal's URLs plus
this route and the trivial ping), never by the portal. ``POST /bench/floor/intake/`` does in ONE statement what
every accepted work order must write, with nothing computed in Python: it checks the API token
and copies a stored complaint (all its columns, so every index of the table is written) under a
new tracking number and the request's ``external_id``, with its audit event (the chain trigger
runs as for a real one). No validation, routing, deadlines, encryption, idempotency or response
serialization. Its throughput, measured next to ping and to the real intake on the same
server, bounds what any intake can reach here: the real one does all of that on top.
"""

from __future__ import annotations

import json
from functools import cache

from django.db import connection
from django.urls import path
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Complaint
from portal.audit.models import AuditEvent
from portal.urls import urlpatterns as portal_urlpatterns


@cache
def _floor_sql() -> str:
    fresh = {
        "tracking_number": "'FL' || lpad(nextval('complaints_tracking_seq')::text, 12, '0')",
        "external_id": "%(external_id)s",
        "received_at": "now()",
        "updated_at": "now()",
    }
    columns = [f.column for f in Complaint._meta.concrete_fields if not f.primary_key]
    copied = ", ".join(fresh.get(c, f't."{c}"') for c in columns)
    audit_fresh = {"seq": "0", "prev_hash": "''", "hash": "''", "occurred_at": "now()", "object_id": "c.id::text"}
    audit_columns = [f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    audit_copied = ", ".join(audit_fresh.get(c, f'e."{c}"') for c in audit_columns)
    return f"""
        WITH tok AS (
            SELECT tk.user_id FROM authtoken_token tk JOIN accounts_user u ON u.id = tk.user_id AND u.is_active
             WHERE tk.key = %(key)s
        ),
        c AS (
            INSERT INTO complaints_complaint ({", ".join(f'"{c}"' for c in columns)})
            SELECT {copied} FROM complaints_complaint t, tok WHERE t.id = %(template)s
         RETURNING id
        ),
        a AS (
            INSERT INTO audit_auditevent ({", ".join(f'"{c}"' for c in audit_columns)})
            SELECT {audit_copied} FROM audit_auditevent e, c WHERE e.id = %(audit_template)s
         RETURNING 1
        )
        SELECT c.id FROM c, a
    """  # column names from the models; values are parameters


@cache
def _templates() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM complaints_complaint WHERE external_id = ''")
        complaint = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM audit_auditevent WHERE action = 'complaint.submit'")
        event = cursor.fetchone()[0]
    return complaint, event


class IntakeFloorView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        body = json.loads(request.body)
        complaint, event = _templates()
        key = request.headers.get("Authorization", "").removeprefix("Token ")
        with connection.cursor() as cursor:
            cursor.execute(
                _floor_sql(),
                {"key": key, "template": complaint, "audit_template": event, "external_id": body["external_id"]},
            )
            row = cursor.fetchone()
        if row is None:
            return Response(status=status.HTTP_401_UNAUTHORIZED)
        return Response({"id": row[0]}, status=status.HTTP_201_CREATED)


@cache
def _batch_floor_sql() -> str:
    """The batch's floor: the same rows a batch intake writes (one complaint and one audit
    event per work order), by one plain multi-row statement: the template complaint and its
    audit event copied once per external id of the request."""
    columns = [f.column for f in Complaint._meta.concrete_fields if not f.primary_key]
    fresh = {
        "tracking_number": "'FB' || lpad(nextval('complaints_tracking_seq')::text, 12, '0')",
        "external_id": "x.external_id",
        "received_at": "now()",
        "updated_at": "now()",
    }
    copied = ", ".join(fresh.get(c, f't."{c}"') for c in columns)
    audit_fresh = {"seq": "0", "prev_hash": "''", "hash": "''", "occurred_at": "now()", "object_id": "c.id::text"}
    audit_columns = [f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    audit_copied = ", ".join(audit_fresh.get(c, f'e."{c}"') for c in audit_columns)
    return f"""
        WITH tok AS (
            SELECT tk.user_id FROM authtoken_token tk JOIN accounts_user u ON u.id = tk.user_id AND u.is_active
             WHERE tk.key = %(key)s
        ),
        c AS (
            INSERT INTO complaints_complaint ({", ".join(f'"{c}"' for c in columns)})
            SELECT {copied} FROM complaints_complaint t, tok, unnest(%(external_ids)s::text[]) AS x(external_id)
             WHERE t.id = %(template)s
         RETURNING id
        ),
        a AS (
            INSERT INTO audit_auditevent ({", ".join(f'"{c}"' for c in audit_columns)})
            SELECT {audit_copied} FROM audit_auditevent e, c WHERE e.id = %(audit_template)s
         RETURNING 1
        )
        SELECT count(*) FROM a
    """  # column names from the models; values are parameters


class BatchFloorView(APIView):
    """``POST /bench/floor/batch/``: a batch body as the real batch intake gets it, parsed, and
    its work orders written as plain rows by ``_batch_floor_sql``."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        orders = json.loads(request.body)["work_orders"]
        complaint, event = _templates()
        key = request.headers.get("Authorization", "").removeprefix("Token ")
        with connection.cursor() as cursor:
            cursor.execute(
                _batch_floor_sql(),
                {
                    "key": key,
                    "template": complaint,
                    "audit_template": event,
                    "external_ids": [order["external_id"] for order in orders],
                },
            )
            written = cursor.fetchone()[0]
        if not written:
            return Response(status=status.HTTP_401_UNAUTHORIZED)
        return Response({"written": written}, status=status.HTTP_200_OK)


class PingView(APIView):
    """A trivial endpoint (no authentication, no database): the benchmark's baseline. Only in
    this URLconf: it is no route of the portal, nor part of its API schema."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/floor/intake/", IntakeFloorView.as_view()),
    path("bench/floor/batch/", BatchFloorView.as_view()),
    path("api/v1/complaints/ping/", PingView.as_view()),
    *portal_urlpatterns,
]
