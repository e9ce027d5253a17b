"""API glue shared by every app: the exception handler that turns domain errors into
readable 400/409 answers and never lets a traceback reach a client."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ConflictError(Exception):
    """Someone else changed the object first (compare-and-swap lost), or the object's state
    does not allow the request yet; answered with 409. A subclass may name itself (``code``)
    and add machine-readable details (``payload``) to the answer."""

    code = ""

    def payload(self) -> dict:
        return {}


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        body = {"detail": str(exc)}
        if exc.code:
            body["code"] = exc.code
        body.update(exc.payload())
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (Http404, PermissionDenied)):
        # Out of scope answers exactly like missing.
        exc = Http404()
    return drf_exception_handler(exc, context)
