"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/) under /open311/v2/, so that
existing Open311 clients can submit complaints and follow them, in JSON and in XML.

- ``GET services.{json|xml}``: one service per 12328 business area (class 投诉举报);
- ``POST requests.{json|xml}``: a new service request; ``api_key`` is the API token of an
  intake client registered for the Open311 channel; ``jurisdiction_id`` is the county or city
  code (GB/T 2260) that routes it (the province dispatches requests without one);
- ``GET requests.{json|xml}``: requests filed through Open311 (by ``service_request_id``,
  ``service_code``, ``status``, ``start_date``/``end_date``; 90 days and 1,000 at most);
- ``GET requests/{service_request_id}.{json|xml}``: one of them.

``service_request_id`` is the tracking number. Answers carry ``status_notes`` (a fixed, public
sentence per state) and ``expected_datetime`` (the handling deadline's end); they never carry
the complainant's name, phone, ID number or plate, and the description is shown with phone
numbers, ID numbers and plates masked. Errors follow the spec: a list of {code, description}.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from complaints import services as complaint_services
from complaints.api.serializers import valid_phone
from complaints.models import Area, Channel, Complaint, IntakeClient, Kind
from portal.accounts.access import public
from portal.core.masking import mask_id_number, mask_phone, mask_plate
from portal.core.text import clean_text, normalise_line_breaks, refused_character

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
MAX_DESCRIPTION = 5000

SERVICE_DESCRIPTIONS = {
    "highway": "公路路政、治超、收费等执法问题",
    "waterway": "航道、港口等水路执法问题",
    "road_transport": "道路客货运输、驾培、维修等运政执法问题",
    "urban_transit": "公交、出租车、网约车等城市客运问题",
    "maritime": "海事执法问题",
    "salvage": "救助打捞",
    "water_rescue": "水上搜救",
}

STATUS_NOTES = {
    Complaint.Status.RECEIVED: "已登记，等待承办单位受理。",
    Complaint.Status.ACCEPTED: "承办单位正在办理。",
    Complaint.Status.RETURN_REQUESTED: "正在重新确定承办单位。",
    Complaint.Status.REPLIED: "已答复，等待回访。",
    Complaint.Status.CALLED_BACK: "已回访，即将办结。",
}
CLOSED_NOTES = {
    Complaint.CloseKind.CALLBACK: "已办结（已回访）。",
    Complaint.CloseKind.NO_CALLBACK: "已办结。",
    Complaint.CloseKind.REJECTED: "不予受理。",
    Complaint.CloseKind.MERGED: "与其他投诉合并办理。",
}

PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PLATE_RE = re.compile(r"[\u4e00-\u9fa5][A-Z][·•.\-\s]?[A-Z0-9]{5,6}")


def scrub(text: str) -> str:
    """A public description: phone numbers, ID numbers and plates in the text masked."""
    text = ID_RE.sub(lambda m: mask_id_number(m.group()), text)
    text = PHONE_RE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), text)
    return PLATE_RE.sub(lambda m: mask_plate(m.group()), text)


# --- rendering -----------------------------------------------------------------------------------


def _w3c(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    element = ET.Element(root)
    for row in rows:
        child = ET.SubElement(element, item)
        for key, value in row.items():
            field = ET.SubElement(child, key)
            if isinstance(value, list):
                field.text = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                field.text = "true" if value else "false"
            elif value is not None:
                field.text = str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")


def respond(format: str, root: str, item: str, rows: list[dict], *, status: int = 200) -> HttpResponse:
    if format == "xml":
        return HttpResponse(_xml(root, item, rows), content_type="text/xml; charset=utf-8", status=status)
    body = json.dumps(rows, ensure_ascii=False, default=str)
    return HttpResponse(body, content_type="application/json; charset=utf-8", status=status)


def error(format: str, code: int, description: str) -> HttpResponse:
    return respond(format, "errors", "error", [{"code": code, "description": description}], status=code)


def _services() -> list[dict]:
    return [
        {
            "service_code": code,
            "service_name": str(label),
            "description": SERVICE_DESCRIPTIONS.get(code, ""),
            "metadata": False,
            "type": "realtime",
            "keywords": ["投诉举报", "12328"],
            "group": "交通运输执法投诉举报",
        }
        for code, label in Area.choices
    ]


def _request_row(complaint: Complaint) -> dict:
    closed = complaint.status == Complaint.Status.CLOSED
    expected = (
        timezone.make_aware(dt.datetime.combine(complaint.deadline, dt.time(23, 59, 59)))
        if not closed and complaint.deadline
        else None
    )
    return {
        "service_request_id": complaint.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": CLOSED_NOTES.get(complaint.close_kind, "已办结。")
        if closed
        else STATUS_NOTES.get(complaint.status, ""),
        "service_name": str(dict(Area.choices).get(complaint.area, complaint.area)),
        "service_code": complaint.area,
        "description": scrub(complaint.description),
        "agency_responsible": complaint.handling_unit.name,
        "service_notice": "提级办理" if complaint.escalated else "",
        "requested_datetime": _w3c(complaint.received_at),
        "updated_datetime": _w3c(complaint.updated_at),
        "expected_datetime": _w3c(expected),
        "address": complaint.location,
        "address_id": None,
        "zipcode": None,
        "lat": float(complaint.latitude) if complaint.latitude is not None else None,
        "long": float(complaint.longitude) if complaint.longitude is not None else None,
        "media_url": None,
    }


REQUEST_FIELDS = (
    "tracking_number",
    "status",
    "close_kind",
    "area",
    "description",
    "handling_unit__name",
    "escalated",
    "received_at",
    "updated_at",
    "deadline",
    "location",
    "latitude",
    "longitude",
)


def _open311_requests():
    return Complaint.objects.filter(channel=Channel.OPEN311).select_related("handling_unit").only(*REQUEST_FIELDS)


# --- the endpoints -------------------------------------------------------------------------------


@public
@require_GET
def services(request, format):
    return respond(format, "services", "service", _services())


@public
@require_GET
def request_detail(request, service_request_id, format):
    complaint = _open311_requests().filter(tracking_number=service_request_id.strip().upper()[:20]).first()
    if complaint is None:
        return error(format, 404, "service_request_id not found")
    return respond(format, "service_requests", "request", [_request_row(complaint)])


@public
@csrf_exempt  # other systems, authenticated by api_key, no cookies
@require_http_methods(["GET", "POST"])
def requests_(request, format):
    if request.method == "POST":
        return _create(request, format)
    return _search(request, format)


def _date(value: str) -> dt.datetime | None:
    parsed = parse_datetime(value.strip()) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _search(request, format):
    params = request.GET
    queryset = _open311_requests()
    try:
        start, end = _date(params.get("start_date", "")[:40]), _date(params.get("end_date", "")[:40])
    except ValueError:
        return error(format, 400, "start_date and end_date must be W3C datetimes")
    if (params.get("start_date") and start is None) or (params.get("end_date") and end is None):
        return error(format, 400, "start_date and end_date must be W3C datetimes")
    ids = [i.strip().upper()[:20] for i in params.get("service_request_id", "")[:4000].split(",") if i.strip()]
    if ids:
        queryset = queryset.filter(tracking_number__in=ids[:MAX_RESULTS])
    else:
        end = end or timezone.now()
        start = start or end - dt.timedelta(days=DEFAULT_DAYS)
        if end - start > dt.timedelta(days=DEFAULT_DAYS):
            return error(format, 400, f"the date range may span {DEFAULT_DAYS} days at most")
        queryset = queryset.filter(received_at__gte=start, received_at__lte=end)
    codes = [c for c in params.get("service_code", "")[:400].split(",") if c]
    if codes:
        if not set(codes) <= set(Area.values):
            return error(format, 400, "unknown service_code")
        queryset = queryset.filter(area__in=codes)
    status = params.get("status", "")[:20]
    if status:
        wanted = set(status.split(","))
        if not wanted <= {"open", "closed"}:
            return error(format, 400, "status is open or closed")
        if wanted == {"open"}:
            queryset = queryset.exclude(status=Complaint.Status.CLOSED)
        elif wanted == {"closed"}:
            queryset = queryset.filter(status=Complaint.Status.CLOSED)
    rows = [_request_row(c) for c in queryset.order_by("-received_at", "-id")[:MAX_RESULTS]]
    return respond(format, "service_requests", "request", rows)


def _client(api_key: str) -> IntakeClient | None:
    if not api_key or len(api_key) > 64:
        return None
    return (
        IntakeClient.objects.filter(user__auth_token__key=api_key, active=True, user__is_active=True)
        .select_related("user")
        .first()
    )


def _decimal(value: str, low: int, high: int) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError from None
    if not number.is_finite() or not low <= number <= high:
        raise ValueError
    return number.quantize(Decimal("0.000001"))


def _create(request, format):
    data = request.POST
    try:  # the portal's one rule for stored text, on every field as sent
        data = {key: clean_text(value) for key, value in data.items()}
    except ValidationError as exc:
        field = next(key for key, value in request.POST.items() if refused_character(normalise_line_breaks(value)))
        return error(format, 400, f"{field}: {exc.messages[0]}")
    client = _client(data.get("api_key", ""))
    if client is None or client.channel != Channel.OPEN311:
        return error(format, 403, "api_key is missing or not valid for Open311")
    service_code = data.get("service_code", "")
    if service_code not in Area.values:
        return error(format, 400, "service_code is missing or unknown (see services)")
    description = data.get("description", "").strip()
    if not description:
        return error(format, 400, "description is required")
    if len(description) > MAX_DESCRIPTION:
        return error(format, 400, f"description is longer than {MAX_DESCRIPTION} characters")
    address = data.get("address_string", "").strip()
    try:
        lat = _decimal(data["lat"], -90, 90) if data.get("lat") else None
        long = _decimal(data["long"], -180, 180) if data.get("long") else None
    except ValueError:
        return error(format, 400, "lat and long must be WGS-84 decimal degrees")
    if (lat is None or long is None) and not address and not data.get("address_id"):
        return error(format, 400, "a location is required: lat and long, address_string or address_id")
    if len(address) > 200:
        return error(format, 400, "address_string is longer than 200 characters")
    jurisdiction = data.get("jurisdiction_id", "").strip() or "410000"
    if not re.fullmatch(r"[0-9]{6}", jurisdiction):
        return error(format, 400, "jurisdiction_id is a six-digit region code (GB/T 2260)")
    name = f"{data.get('last_name', '')}{data.get('first_name', '')}".strip()
    if len(name) > 64:
        return error(format, 400, "first_name and last_name are longer than 64 characters together")
    try:
        phone = valid_phone(data.get("phone", "")[:32])
    except Exception:  # DRF's ValidationError: the message is the spec's description
        return error(format, 400, "phone is not a valid phone number")
    try:
        complaint, created = complaint_services.complaint_submit(
            actor=client.user,
            intake_client=client,
            channel=Channel.OPEN311,
            kind=Kind.COMPLAINT,
            area=service_code,
            subject=description.splitlines()[0][:60],
            description=description,
            region=jurisdiction,
            complainant_name=name,
            phone=phone,
            location=address,
            latitude=lat,
            longitude=long,
        )
    except ValidationError as exc:
        messages = "; ".join(exc.messages)
        return error(format, 400, messages[:500])
    except PermissionDenied:
        return error(format, 403, "api_key is not allowed to submit")
    row = {
        "service_request_id": complaint.tracking_number,
        "service_notice": "提级办理" if complaint.escalated else "已登记，将在规定时限内受理。",
        "account_id": None,
    }
    return respond(format, "service_requests", "request", [row], status=201 if created else 200)
