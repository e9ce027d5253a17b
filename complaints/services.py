"""Writes of the complaint loop. Each runs in one transaction with its audit event; state moves
go through ``complaint_transition`` (the table in transitions.py, compare-and-swap on status and
version). Personal data never enters the audit trail: events name fields, not values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import similarity
from complaints.models import (
    STAFF_CHANNELS,
    Callback,
    Channel,
    Complaint,
    Decision,
    Extension,
    IntakeClient,
    Kind,
    Reply,
    ReturnRequest,
    RoutingRule,
    Satisfaction,
    VolunteerSupervisor,
)
from complaints.routing import refdata, refdata_changed
from complaints.transitions import MOVES, Move
from portal.accounts.capabilities import Cap, has_cap
from portal.accounts.scoping import PROVINCE_CODE, ensure_writable, get_visible_or_404
from portal.audit.services import audit_copy_many, audit_record, audit_record_many
from portal.core import crypto
from portal.core.api import ConflictError
from portal.core.fields import EncryptedTextField
from portal.core.seeding import copy_rows
from portal.workdays.calendar import add_working_days

S = Complaint.Status

# Which enforcement domain a problem raised from a complaint belongs to, by business area.
AREA_DOMAIN = {
    "highway": "highway",
    "waterway": "waterway-maritime",
    "road_transport": "transport-admin",
    "urban_transit": "transport-admin",
    "maritime": "waterway-maritime",
    "salvage": "waterway-maritime",
    "water_rescue": "waterway-maritime",
}


# --- deadlines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    accept_deadline: dt.date
    deadline: dt.date
    warn_from: dt.date
    provisional: bool

    def as_updates(self) -> dict:
        return {
            "accept_deadline": self.accept_deadline,
            "deadline": self.deadline,
            "deadline_warn_from": self.warn_from,
            "deadline_provisional": self.provisional,
        }


def deadlines_from(start: dt.date, kind: str, *, deadline: dt.date | None = None) -> Deadlines:
    """Accept-by and handle-by dates ``start`` + the class's working days (or a given handle-by
    date), and the first yellow day; ``provisional`` when a year's calendar is not entered yet."""
    limit = refdata().limit(kind)
    start = _plain(start)
    accept = add_working_days(start, limit.accept_days)
    handle = deadline if deadline is not None else add_working_days(start, limit.handle_days)
    provisional = bool(getattr(accept, "provisional", False) or getattr(handle, "provisional", False))
    accept, handle = _plain(accept), _plain(handle)
    warn = _plain(add_working_days(handle, -limit.warn_days)) if limit.warn_days else handle
    warn = max(min(warn, handle), min(start, handle))
    return Deadlines(accept, handle, warn, provisional)


def _plain(day: dt.date) -> dt.date:
    """A plain date (the calendar's WorkDate cannot be the start of further arithmetic)."""
    return dt.date(day.year, day.month, day.day)


# --- intake ----------------------------------------------------------------------------------------


def next_tracking_numbers(count: int = 1, *, prefix: str = "TS", year: int | None = None) -> list[str]:
    """Tracking numbers TS<year><8 digits> from one database sequence (unique under concurrency)."""
    year = year or timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('complaints_tracking_seq') FROM generate_series(1, %s)", [count])
        return [f"{prefix}{year}{value:08d}" for (value,) in cursor.fetchall()]


AUDITED_ON_SUBMIT = (
    "tracking_number",
    "channel",
    "external_id",
    "kind",
    "area",
    "category_id",
    "region_id",
    "unit_id",
    "handling_unit_id",
    "escalated",
    "accept_deadline",
    "deadline",
)


def _pk(value):
    return getattr(value, "pk", value)


def _check_submitter(*, actor, channel: str, intake_client: IntakeClient | None, region_code: str) -> None:
    if intake_client is not None:
        if not intake_client.active or channel != intake_client.channel:
            raise PermissionDenied(_("接入系统未启用或渠道不符。"))
        return
    if actor is not None and getattr(actor, "is_authenticated", False):
        if not has_cap(actor, Cap.EDIT_RECORDS):
            raise PermissionDenied
        if channel not in STAFF_CHANNELS:
            raise ValidationError({"channel": _("工作人员只能登记热线、来信、来访、义务监督员、媒体和舆情渠道。")})
        ensure_writable(actor, region=region_code)
        return
    if channel not in (Channel.WEB, Channel.VOLUNTEER):
        raise PermissionDenied


def _new_complaint(**fields) -> Complaint:
    """A checked, routed complaint with its clock started, not yet saved and without its
    tracking number (the fields of ``_complaint_values``). ValidationError or PermissionDenied
    when it may not be registered."""
    values, related = _complaint_values(**fields)
    return _complaint(values, **related)


def _complaint_values(
    *,
    actor,
    channel: str,
    area: str,
    subject: str,
    description: str,
    region,
    kind: str = Kind.COMPLAINT,
    category=None,
    unit=None,
    complainant_name: str = "",
    phone: str = "",
    id_number: str = "",
    plate: str = "",
    external_id: str = "",
    location: str = "",
    latitude=None,
    longitude=None,
    incident_on: dt.date | None = None,
    source_name: str = "",
    source_url: str = "",
    volunteer: VolunteerSupervisor | None = None,
    intake_client: IntakeClient | None = None,
    received_at: dt.datetime | None = None,
    deadlines_memo: dict | None = None,
) -> tuple[dict, dict]:
    """The column values (attnames) of a checked, routed complaint with its clock started, and
    its related objects at hand: what the single and the batch intake both write (the batch
    copies the values without making a model instance). ValidationError or PermissionDenied
    when it may not be registered."""
    texts = {
        "subject": subject,
        "description": description,
        "complainant_name": complainant_name,
        "phone": phone,
        "id_number": id_number,
        "plate": plate,
        "external_id": external_id,
        "location": location,
        "source_name": source_name,
        "source_url": source_url,
    }
    bad = {name: _("不能包含空字符。") for name, value in texts.items() if value and "\x00" in value}
    if bad:
        raise ValidationError(bad)
    ref = refdata()
    region_code = str(_pk(region) or "")
    if ref.region(region_code) is None:
        raise ValidationError({"region": _("区划代码 %(code)s 不存在。") % {"code": region_code[:12]}})
    unit_id = _pk(unit)
    if unit_id is not None and unit_id not in ref.units:
        raise ValidationError({"unit": _("被投诉单位不存在或已停用。")})
    category_id = _pk(category)
    if category_id is not None and category_id not in ref.categories:
        raise ValidationError({"category": _("问题类别不存在或已停用。")})
    if kind not in Kind.values:
        raise ValidationError({"kind": _("未知的类别。")})
    _check_submitter(actor=actor, channel=channel, intake_client=intake_client, region_code=region_code)

    try:
        route = ref.route_complaint(region=region_code, area=area, kind=kind, unit_id=unit_id, category_id=category_id)
    except LookupError:
        raise ValidationError({"region": _("该区划尚无可承办投诉的单位，请联系管理员配置转办规则。")}) from None
    received_at = received_at or timezone.now()
    received_on = timezone.localdate(received_at)
    if deadlines_memo is None:
        deadlines = deadlines_from(received_on, kind)
    else:  # a batch: its work orders mostly share the day and the class
        deadlines = deadlines_memo.get((received_on, kind))
        if deadlines is None:
            deadlines = deadlines_memo[received_on, kind] = deadlines_from(received_on, kind)
    phone = crypto.normalise_phone(phone)
    id_number = crypto.normalise_id_number(id_number)
    staff = actor if getattr(actor, "is_authenticated", False) else None

    values = {
        "channel": channel,
        "external_id": external_id,
        "intake_client_id": _pk(intake_client),
        "volunteer_id": _pk(volunteer),
        "kind": kind,
        "area": area,
        "category_id": category_id,
        "subject": subject,
        "description": description,
        "location": location,
        "latitude": latitude,
        "longitude": longitude,
        "incident_on": incident_on,
        "source_name": source_name,
        "source_url": source_url,
        "complainant_name": complainant_name.strip(),
        "phone": phone,
        "phone_hash": crypto.search_hash(phone, kind="phone"),
        "id_number": id_number,
        "id_number_hash": crypto.search_hash(id_number, kind="id_number"),
        "plate": crypto.normalise_plate(plate),
        "region_id": region_code,
        "unit_id": unit_id,
        "handling_unit_id": route.unit.id,
        "handling_region_id": route.unit.region,
        "escalated": route.escalated,
        "routing_rule_id": route.rule_id,
        "received_at": received_at,
        "accept_deadline": deadlines.accept_deadline,
        "deadline": deadlines.deadline,
        "deadline_warn_from": deadlines.warn_from,
        "deadline_provisional": deadlines.provisional,
        "bigrams": similarity.bigrams(subject, description),
        "created_by_id": _pk(staff),
        "updated_at": received_at,
    }
    return values, {"intake_client": intake_client, "volunteer": volunteer, "created_by": staff}


def _complaint(values: dict, **related) -> Complaint:
    """A Complaint of column values (attnames; the rest take their defaults) and its related
    objects already at hand. Positional arguments are Django's fast way in (what ``from_db``
    uses): the batch makes 500 of these a request."""
    complaint = Complaint(*[values[name] if name in values else default() for name, default in _DEFAULTS])
    for name, obj in related.items():
        if obj is not None:
            Complaint._meta.get_field(name).set_cached_value(complaint, obj)
    return complaint


_DEFAULTS = [(f.attname, f._get_default) for f in Complaint._meta.concrete_fields]  # Django's own default maker


def _submit_event(complaint: Complaint) -> dict:
    """The audit entry of a registered complaint (for ``audit_record_many``)."""
    actor = complaint.created_by or (complaint.intake_client.user if complaint.intake_client_id else None)
    return _submit_entry(complaint.__dict__, actor=actor)


def _submit_entry(values: dict, *, actor) -> dict:
    """The audit entry of a registered complaint from its column values."""
    changes = {name.removesuffix("_id"): [None, values[name]] for name in AUDITED_ON_SUBMIT}
    changes["personal_data"] = [None, [name for name in PERSONAL_DATA if values[name]]]
    return {
        "actor": actor,
        "action": "complaint.submit",
        "object_type": "complaints.complaint",
        "object_id": values["id"],
        "changes": changes,
    }


PERSONAL_DATA = ("complainant_name", "phone", "id_number", "plate")


def complaint_submit(**fields) -> tuple[Complaint, bool]:
    """Register a complaint from any channel, route it and start its clock (the fields of
    ``_new_complaint``).

    Returns ``(complaint, created)``: with an ``external_id`` (the 12328 work-order number) the
    same (channel, external_id) sent again returns the complaint made the first time, created
    False, and changes nothing (the unique constraint decides, also under concurrency)."""
    complaint = _new_complaint(**fields)
    complaint.tracking_number = next_tracking_numbers(1)[0]
    # The same work order sent twice: the unique (channel, external_id) refuses the second
    # insert and the first complaint is returned. The transaction is its own (a savepoint only
    # when a caller's transaction is open), so the insert, its audit event and COMMIT are all
    # the round trips a new complaint costs: the audit chain's lock is held for no longer.
    try:
        with transaction.atomic():
            complaint.save(force_insert=True)
            audit_record_many([_submit_event(complaint)])
            from complaints.tasks import complaint_flag_duplicates

            transaction.on_commit(lambda: complaint_flag_duplicates.delay(complaint.pk))
    except IntegrityError:
        external_id = complaint.external_id
        existing = (
            Complaint.objects.filter(channel=complaint.channel, external_id=external_id).first()
            if external_id
            else None
        )
        if existing is None:
            raise
        return existing, False
    return complaint, True


MAX_BATCH = 500  # work orders in one batch intake request


@dataclass
class BatchItem:
    """One work order of a batch: ``created`` (a new complaint), ``existing`` (its external id
    was sent before, in an earlier request or earlier in this batch: the first complaint is
    returned, nothing changes) or ``rejected`` (``errors`` by field; nothing stored)."""

    index: int
    outcome: str
    complaint: Complaint | Stored | None = None
    errors: dict | None = None


@dataclass(frozen=True)
class Stored:
    """What the answer to a batch tells of a complaint it stored (the batch writes column
    values, not model instances); a stored ``Complaint`` answers to the same attributes."""

    id: int
    tracking_number: str
    status: str
    handling_unit_id: int
    escalated: bool
    accept_deadline: dt.date
    deadline: dt.date

    @classmethod
    def of(cls, values: dict) -> Stored:
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})


def complaint_submit_many(*, actor, intake_client: IntakeClient, items: Sequence[dict]) -> list[BatchItem]:
    """The 12328 sync: up to ``MAX_BATCH`` work orders (each the fields of ``_new_complaint``
    but ``channel``, which is the client's) with every guarantee of ``complaint_submit``:
    checked, routed, deadlines set, one audit event each, idempotent per external id, one answer
    per item. Valid items are written together (one INSERT of the complaints, one of their audit
    events, one task that flags duplicates), in one transaction; an invalid item never stops
    the others."""
    if len(items) > MAX_BATCH:
        raise ValidationError(_("一次最多提交 %(n)s 件工单。") % {"n": MAX_BATCH})
    channel = intake_client.channel
    results: list[BatchItem | None] = [None] * len(items)
    fresh: list[tuple[int, dict]] = []
    memo: dict = {}
    for index, item in enumerate(items):
        try:
            values, _related = _complaint_values(
                actor=actor, intake_client=intake_client, channel=channel, deadlines_memo=memo, **item
            )
        except ValidationError as exc:
            results[index] = BatchItem(index, "rejected", errors=_errors_of(exc))
            continue
        fresh.append((index, values))

    # Idempotency, as for one work order: ids already stored, and an id repeated in the batch.
    external_ids = {values["external_id"] for _i, values in fresh if values["external_id"]}
    stored = {c.external_id: c for c in stored_with_external_ids(channel, external_ids)} if external_ids else {}
    first_of: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []  # (index, index of the first item with its id)
    writes: list[tuple[int, dict]] = []
    for index, values in fresh:
        external_id = values["external_id"]
        if external_id in stored:
            results[index] = BatchItem(index, "existing", complaint=stored[external_id])
        elif external_id and external_id in first_of:
            repeats.append((index, first_of[external_id]))
        else:
            if external_id:
                first_of[external_id] = index
            writes.append((index, values))

    if writes:
        rows = _numbered_rows([values for _i, values in writes])
        submitter = actor if getattr(actor, "is_authenticated", False) else intake_client.user
        try:
            with transaction.atomic():
                copy_rows(Complaint, _COPY_COLUMNS, (_copy_row(row) for row in rows))
                audit_copy_many([_submit_entry(row, actor=submitter) for row in rows])
                from complaints.tasks import complaint_flag_duplicates_many

                pks = [row["id"] for row in rows]
                transaction.on_commit(lambda: complaint_flag_duplicates_many.delay(pks))
        except IntegrityError:
            # Another request stored one of these external ids between the check and the
            # insert: nothing of this write is kept; each item goes alone, each idempotent.
            for index, _values in writes:
                item = items[index]
                complaint, created = complaint_submit(actor=actor, intake_client=intake_client, channel=channel, **item)
                results[index] = BatchItem(index, "created" if created else "existing", complaint=complaint)
        else:
            for (index, _values), row in zip(writes, rows, strict=True):
                results[index] = BatchItem(index, "created", complaint=Stored.of(row))
    for index, first in repeats:
        results[index] = BatchItem(index, "existing", complaint=results[first].complaint)
    return results


def stored_with_external_ids(channel: str, external_ids) -> QuerySet:
    """The complaints of ``channel`` already stored under any of ``external_ids``, found through
    the unique index on (channel, external_id). ``exclude(external_id="")`` repeats that partial
    index's condition: PostgreSQL proves a partial index's predicate from an IN list of at most
    100 values, and a batch sends 500; without it the lookup read every complaint (420 ms of a
    batch's 560 at 2,000,000 complaints, bench ``complaints.intake.batch``)."""
    return Complaint.objects.filter(channel=channel, external_id__in=external_ids).exclude(external_id="")


def _numbered_rows(values: list[dict]) -> list[dict]:
    """Every column of each new complaint (its values, the rest the fields' defaults, the
    ``auto_now`` dates now), with its id and tracking number from their sequences in one query."""
    year = timezone.localdate().year
    defaults = {f.attname: f.get_default() for f in _CONCRETE}  # COPY writes them: one object each will do
    now = timezone.now()
    defaults.update(dict.fromkeys(_AUTO_NOW, now))
    auto_now = dict.fromkeys(_AUTO_NOW, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('complaints_complaint', 'id')), nextval('complaints_tracking_seq')"
            " FROM generate_series(1, %s)",
            [len(values)],
        )
        numbers = cursor.fetchall()
    return [
        {**defaults, **row, **auto_now, "id": pk, "tracking_number": f"TS{year}{number:08d}"}
        for row, (pk, number) in zip(values, numbers, strict=True)
    ]


def _copy_row(row: dict) -> list:
    """A complaint's COPY row: its values in column order, personal data encrypted as the
    fields' own ``get_db_prep_save`` does."""
    values = [row[attname] for attname in _COPY_COLUMNS]
    for position, field in _ENCRYPTED:
        values[position] = field.get_db_prep_save(values[position], connection)
    return values


_CONCRETE = Complaint._meta.concrete_fields
_COPY_COLUMNS = [f.attname for f in _CONCRETE]
_ENCRYPTED = [(i, f) for i, f in enumerate(_CONCRETE) if isinstance(f, EncryptedTextField)]
_AUTO_NOW = [f.attname for f in _CONCRETE if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)]
# COPY writes values as they are: a field that prepares its value on save otherwise (beyond
# auto_now dates and encryption) would need its pre_save in ``_numbered_rows`` too.
if any(type(f).pre_save is not models.Field.pre_save and not isinstance(f, models.DateField) for f in _CONCRETE):
    raise ImproperlyConfigured("complaints: a field with its own pre_save is not copied by the batch intake")


def _errors_of(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


# --- who may do what -------------------------------------------------------------------------------


def is_level_above(actor, complaint: Complaint) -> bool:
    """The level above the handling unit's region: any region above it; the province for
    complaints the province handles itself."""
    if not getattr(actor, "region_id", None):
        return False
    if complaint.handling_region_id == PROVINCE_CODE:
        return actor.region_id == PROVINCE_CODE
    handling_path = complaint.handling_region.path
    actor_path = actor.region.path
    return handling_path.startswith(actor_path) and handling_path != actor_path


def may_move(actor, complaint: Complaint, move: Move) -> bool:
    return (
        complaint.status in move.source
        and has_cap(actor, move.cap)
        and (move.who != "above" or is_level_above(actor, complaint))
    )


def allowed_moves(actor, complaint: Complaint) -> list[Move]:
    return [move for move in MOVES.values() if may_move(actor, complaint, move)]


def _load_for_write(actor, complaint_id) -> Complaint:
    return get_visible_or_404(
        Complaint.objects.select_related("handling_region", "handling_unit"), actor, None, pk=complaint_id
    )


def _check_version(complaint: Complaint, version: int) -> None:
    if complaint.version != version:
        raise ConflictError(
            _("该投诉已被他人处理（当前状态：%(status)s），请刷新后重试。") % {"status": complaint.get_status_display()}
        )


# --- the workflow ----------------------------------------------------------------------------------


@transaction.atomic
def complaint_transition(
    *,
    actor,
    complaint_id: int,
    move: str,
    expected_version: int | None = None,
    reason: str = "",
    unit=None,
    satisfaction: str = "",
    reply_method: str = Reply.Method.PHONE,
) -> Complaint:
    """Make one move of the workflow. Compare-and-swap on (status, version): of two people moving
    the same complaint at once exactly one succeeds, the other gets ConflictError (409).

    ``reason`` is the move's text: the reply for ``reply``, the callback note for the callbacks,
    the reason for returns, reroutes, rejections and reopening."""
    spec = MOVES.get(move)
    if spec is None:
        raise ValidationError({"move": _("未知的操作：%(move)s") % {"move": str(move)[:32]}})
    complaint = _load_for_write(actor, complaint_id)
    if not has_cap(actor, spec.cap) or (spec.who == "above" and not is_level_above(actor, complaint)):
        raise PermissionDenied(_("您无权对该投诉执行“%(label)s”。") % {"label": spec.label})
    version = expected_version if expected_version is not None else complaint.version
    if complaint.status not in spec.source:
        raise ConflictError(
            _("该投诉当前状态为“%(status)s”，不能执行“%(label)s”。")
            % {"status": complaint.get_status_display(), "label": spec.label}
        )
    _check_version(complaint, version)

    reason = (reason or "").strip()
    errors = {}
    if spec.needs_reason and not reason:
        errors["reason"] = _("请填写答复内容。") if move == "reply" else _("请填写理由。")
    new_unit = None
    if spec.needs_unit:
        ref = refdata()
        new_unit = ref.units.get(_pk(unit)) if unit is not None else None
        if new_unit is None:
            errors["unit"] = _("请选择承办单位。")
        elif new_unit.id == complaint.handling_unit_id:
            errors["unit"] = _("请选择另一个承办单位。")
        else:
            try:
                ensure_writable(actor, region=new_unit.region, field="unit")
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if move in ("callback", "callback_unsatisfied"):
        expected = Satisfaction.UNSATISFIED if move == "callback_unsatisfied" else None
        if satisfaction not in Satisfaction.values or (expected and satisfaction != expected):
            errors["satisfaction"] = _("请选择回访满意度。")
        elif move == "callback" and satisfaction == Satisfaction.UNSATISFIED:
            errors["satisfaction"] = _("不满意的回访请选择“回访不满意，重办”。")
    if move == "reply" and reply_method not in Reply.Method.values:
        errors["reply_method"] = _("请选择答复方式。")
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    today = timezone.localdate()
    updates: dict = {"status": spec.target, "version": F("version") + 1, "updated_at": now}
    changes: dict = {"status": [complaint.status, spec.target]}
    if reason and move != "reply":
        changes["reason"] = reason

    def restart_clock(start: dt.date, *, accept_too: bool):
        deadlines = deadlines_from(start, complaint.kind)
        fields = deadlines.as_updates()
        if not accept_too:
            fields.pop("accept_deadline")
        updates.update(fields, deadline_version=F("deadline_version") + 1)
        changes["deadline"] = [complaint.deadline, deadlines.deadline]

    if move == "accept":
        updates["accepted_at"] = now
    elif move == "reply":
        updates["replied_at"] = now
    elif move in ("callback", "callback_unsatisfied"):
        updates.update(callback_at=now, satisfaction=satisfaction)
        changes["satisfaction"] = satisfaction
        if move == "callback_unsatisfied":
            updates["reopen_count"] = F("reopen_count") + 1
            restart_clock(today, accept_too=False)
    elif move == "close":
        updates.update(closed_at=now, close_kind=Complaint.CloseKind.CALLBACK, close_reason="")
    elif move == "close_without_callback":
        updates.update(closed_at=now, close_kind=Complaint.CloseKind.NO_CALLBACK, close_reason=reason)
    elif move == "reject":
        updates.update(closed_at=now, close_kind=Complaint.CloseKind.REJECTED, close_reason=reason)
    elif move == "request_return":
        updates["return_count"] = F("return_count") + 1
    elif move in ("approve_return", "reroute"):
        updates.update(
            handling_unit_id=new_unit.id,
            handling_region_id=new_unit.region,
            misroute_count=F("misroute_count") + 1,
            accepted_at=None,
        )
        changes["handling_unit"] = [complaint.handling_unit_id, new_unit.id]
        restart_clock(today, accept_too=True)
    elif move == "refuse_return":
        if complaint.accepted_at is None:
            updates["accepted_at"] = now
    elif move == "reopen":
        updates.update(closed_at=None, close_kind="", close_reason="", reopen_count=F("reopen_count") + 1)
        restart_clock(today, accept_too=False)

    changed = Complaint.objects.filter(pk=complaint.pk, status=complaint.status, version=version).update(**updates)
    if changed == 0:
        raise ConflictError(_("该投诉刚刚被他人处理，请刷新后重试。"))

    if move == "reply":
        Reply.objects.create(complaint=complaint, author=actor, method=reply_method, text=reason, created_at=now)
    elif move in ("callback", "callback_unsatisfied"):
        Callback.objects.create(
            complaint=complaint, caller=actor, satisfaction=satisfaction, note=reason, created_at=now
        )
    elif move == "request_return":
        ReturnRequest.objects.create(
            complaint=complaint,
            from_unit_id=complaint.handling_unit_id,
            requested_by=actor,
            reason=reason,
            requested_at=now,
        )
    elif move in ("approve_return", "refuse_return"):
        ReturnRequest.objects.filter(complaint=complaint, decision=Decision.PENDING).update(
            decision=Decision.APPROVED if move == "approve_return" else Decision.REFUSED,
            decided_by=actor,
            decided_at=now,
            decision_note=reason,
            to_unit_id=new_unit.id if new_unit else None,
        )
    audit_record(actor=actor, action=f"complaint.{move}", obj=complaint, changes=changes)
    complaint.refresh_from_db()
    return complaint


def complaint_callback(
    *, actor, complaint_id: int, satisfaction: str, note: str = "", expected_version: int | None = None
) -> Complaint:
    """Record the callback: satisfied or basically satisfied may then close; unsatisfied
    reopens the complaint for handling again (重办) with a fresh deadline."""
    move = "callback_unsatisfied" if satisfaction == Satisfaction.UNSATISFIED else "callback"
    return complaint_transition(
        actor=actor,
        complaint_id=complaint_id,
        move=move,
        expected_version=expected_version,
        reason=note,
        satisfaction=satisfaction,
    )


# --- extensions ------------------------------------------------------------------------------------


@transaction.atomic
def extension_request(*, actor, complaint_id: int, reason: str) -> Extension:
    complaint = _load_for_write(actor, complaint_id)
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    if complaint.status != S.ACCEPTED:
        raise ValidationError({"complaint": _("只有办理中的投诉可以申请延期。")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写延期理由。")})
    limit = refdata().limit(complaint.kind)
    if complaint.extensions_used >= limit.max_extensions:
        raise ValidationError(
            {"complaint": _("该投诉已延期 %(n)s 次，不能再延期。") % {"n": complaint.extensions_used}}
        )
    if complaint.extensions.filter(decision=Decision.PENDING).exists():
        raise ConflictError(_("该投诉已有待审批的延期申请。"))
    extension = Extension.objects.create(
        complaint=complaint, requested_by=actor, reason=reason.strip(), current_deadline=complaint.deadline
    )
    audit_record(
        actor=actor,
        action="complaint.extension_request",
        obj=complaint,
        changes={"reason": reason.strip(), "deadline": complaint.deadline},
    )
    return extension


@transaction.atomic
def extension_decide(*, actor, complaint_id: int, approve: bool, note: str = "") -> Extension:
    """The level above approves (the deadline moves on by the class's extension days, a new
    deadline version) or refuses with a reason."""
    complaint = _load_for_write(actor, complaint_id)
    if not has_cap(actor, Cap.VERIFY) or not is_level_above(actor, complaint):
        raise PermissionDenied(_("延期申请由上一级审批。"))
    extension = complaint.extensions.select_for_update().filter(decision=Decision.PENDING).first()
    if extension is None:
        raise ConflictError(_("该投诉没有待审批的延期申请。"))
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不予批准时请填写理由。")})
    now = timezone.now()
    changes = {"decision": "approved" if approve else "refused", "note": note}
    if approve:
        limit = refdata().limit(complaint.kind)
        new_deadline = _plain(add_working_days(extension.current_deadline, limit.extension_days))
        deadlines = deadlines_from(timezone.localdate(complaint.received_at), complaint.kind, deadline=new_deadline)
        moved = Complaint.objects.filter(
            pk=complaint.pk, deadline=extension.current_deadline, status__in=Complaint.OPEN_STATES
        ).update(
            deadline=deadlines.deadline,
            deadline_warn_from=deadlines.warn_from,
            deadline_provisional=deadlines.provisional,
            deadline_version=F("deadline_version") + 1,
            extensions_used=F("extensions_used") + 1,
            version=F("version") + 1,
            updated_at=now,
        )
        if not moved:
            raise ConflictError(_("投诉的期限或状态已经变化，请刷新后重新审批。"))
        extension.new_deadline = new_deadline
        changes["deadline"] = [extension.current_deadline, new_deadline]
    extension.decision = Decision.APPROVED if approve else Decision.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = actor, now, note
    extension.save(update_fields=["decision", "decided_by", "decided_at", "decision_note", "new_deadline"])
    audit_record(actor=actor, action="complaint.extension_decide", obj=complaint, changes=changes)
    return extension


# --- duplicates ------------------------------------------------------------------------------------


@transaction.atomic
def complaint_merge(*, actor, complaint_id: int, into_id: int, reason: str = "") -> Complaint:
    """Merge a duplicate into another complaint (并案): both records are kept; the duplicate is
    closed as merged and points at the one that goes on being handled."""
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    complaint = _load_for_write(actor, complaint_id)
    into = get_visible_or_404(Complaint, actor, Cap.EDIT_RECORDS, pk=into_id)
    while into.duplicate_of_id is not None:  # merge into the surviving complaint
        into = get_visible_or_404(Complaint, actor, Cap.EDIT_RECORDS, pk=into.duplicate_of_id)
    if into.pk == complaint.pk:
        raise ValidationError({"into": _("不能把投诉并入它自己。")})
    if complaint.status == S.CLOSED:
        raise ConflictError(_("已办结的投诉不能再并案。"))
    note = (reason or "").strip() or _("与 %(number)s 重复，并案办理。") % {"number": into.tracking_number}
    now = timezone.now()
    moved = Complaint.objects.filter(pk=complaint.pk, status=complaint.status, version=complaint.version).update(
        status=S.CLOSED,
        close_kind=Complaint.CloseKind.MERGED,
        close_reason=note,
        closed_at=now,
        duplicate_of=into,
        version=F("version") + 1,
        updated_at=now,
    )
    if not moved:
        raise ConflictError(_("该投诉刚刚被他人处理，请刷新后重试。"))
    audit_record_many(
        [
            {
                "actor": actor,
                "action": "complaint.merge",
                "obj": complaint,
                "changes": {
                    "status": [complaint.status, S.CLOSED],
                    "duplicate_of": into.tracking_number,
                    "reason": note,
                },
            },
            {
                "actor": actor,
                "action": "complaint.merged_in",
                "obj": into,
                "changes": {"merged": complaint.tracking_number},
            },
        ]
    )
    complaint.refresh_from_db()
    return complaint


@transaction.atomic
def complaint_flag_duplicates(*, complaint_id: int) -> int | None:
    """Store how many likely duplicates a new complaint has (the inbox shows it); None when the
    complaint is gone. System work: no actor, no audit event (nothing a person decided)."""
    from complaints.selectors import duplicate_candidates

    complaint = (
        Complaint.objects.filter(pk=complaint_id)
        .only("id", "phone_hash", "plate", "region_id", "unit_id", "handling_unit_id", "bigrams", "received_at")
        .first()
    )
    if complaint is None:
        return None
    found = duplicate_candidates(
        phone_hash=complaint.phone_hash,
        plate=complaint.plate,
        region=complaint.region_id,
        unit_id=complaint.unit_id,
        handling_unit_id=complaint.handling_unit_id,
        bigrams=complaint.bigrams,
        exclude_pk=complaint.pk,
        before=complaint.received_at,
    )
    Complaint.objects.filter(pk=complaint.pk).update(suspected_duplicates=min(len(found), 99))
    return len(found)


# --- into the problem list -------------------------------------------------------------------------


@transaction.atomic
def complaint_raise_problem(
    *,
    actor,
    complaint_ids: Sequence[int],
    title: str,
    category=None,
    severity: str = "general",
    unit=None,
    domain=None,
    description: str = "",
):
    """Raise one problem on the problem list from one or several complaints, linked both ways
    (the problem's links name the complaints; each complaint finds it through them)."""
    from cases.models import Category, Problem
    from cases.services import problem_register
    from portal.regions.models import EnforcementDomain, Unit

    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    ids = list(dict.fromkeys(int(i) for i in complaint_ids))
    if not ids:
        raise ValidationError({"complaints": _("请至少选择一件投诉。")})
    complaints = [get_visible_or_404(Complaint, actor, Cap.EDIT_RECORDS, pk=pk) for pk in ids]
    first = complaints[0]
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写问题标题。")})
    if category is None:
        category = next((c.category for c in complaints if c.category_id), None)
    if category is None:
        raise ValidationError({"category": _("请选择问题类别。")})
    if not isinstance(category, Category):
        category = Category.objects.filter(pk=category).first()
        if category is None:
            raise ValidationError({"category": _("问题类别不存在。")})
    if unit is None:
        unit = first.unit or first.handling_unit
    elif not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).select_related("region").first()
        if unit is None:
            raise ValidationError({"unit": _("单位不存在。")})
    if domain is None:
        domain = EnforcementDomain.objects.filter(code=AREA_DOMAIN.get(first.area, "comprehensive")).first()
    elif not isinstance(domain, EnforcementDomain):
        domain = EnforcementDomain.objects.filter(pk=domain).first()
    if domain is None:
        raise ValidationError({"domain": _("请选择执法领域。")})
    body = description.strip() or "\n".join(f"{c.tracking_number} {c.subject}" for c in complaints)
    problem = problem_register(
        actor=actor,
        title=title.strip(),
        category=category,
        source=Problem.Source.COMPLAINT,
        severity=severity,
        region=unit.region,
        unit=unit,
        domain=domain,
        description=body,
        links=[("complaints.complaint", str(c.pk)) for c in complaints],
    )
    audit_record_many(
        [
            {"actor": actor, "action": "complaint.problem_raised", "obj": c, "changes": {"problem": problem.code}}
            for c in complaints
        ]
    )
    return problem


# --- configuration ---------------------------------------------------------------------------------


@transaction.atomic
def routing_rule_save(*, actor, region, area: str, unit, note: str = "", active: bool = True, rule=None) -> RoutingRule:
    """Create or change a routing rule; the region and the unit must lie in the actor's subtree."""
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    ensure_writable(actor, region=region)
    ensure_writable(actor, unit=unit)
    if rule is None:
        rule = RoutingRule(region=region, area=area)
        before = {}
    else:
        rule = get_visible_or_404(RoutingRule, actor, Cap.EDIT_RECORDS, pk=_pk(rule))
        before = {"region": rule.region_id, "area": rule.area, "unit": rule.unit_id, "active": rule.active}
    rule.region, rule.area, rule.unit, rule.note, rule.active = region, area, unit, note, active
    rule.updated_at = timezone.now()
    if RoutingRule.objects.filter(region=region, area=area).exclude(pk=rule.pk).exists():
        raise ValidationError({"area": _("该区划在该业务领域已有转办规则。")})
    rule.save()
    after = {"region": rule.region_id, "area": rule.area, "unit": rule.unit_id, "active": rule.active}
    audit_record(
        actor=actor,
        action="complaint.routing_rule_save",
        obj=rule,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
    )
    transaction.on_commit(refdata_changed)
    return rule


@transaction.atomic
def volunteer_register(
    *, actor, number: str, name: str, phone: str, region, organisation: str = "", term_ends_on=None
) -> VolunteerSupervisor:
    if not has_cap(actor, Cap.EDIT_RECORDS):
        raise PermissionDenied
    ensure_writable(actor, region=region)
    if VolunteerSupervisor.objects.filter(number=number).exists():
        raise ValidationError({"number": _("编号 %(n)s 已存在。") % {"n": number}})
    if term_ends_on is not None and term_ends_on < timezone.localdate():
        raise ValidationError({"term_ends_on": _("聘期截止日期已过，请填写今后的日期。")})
    phone = crypto.normalise_phone(phone)
    volunteer = VolunteerSupervisor.objects.create(
        term_ends_on=term_ends_on,
        number=number,
        name=name,
        phone=phone,
        phone_hash=crypto.search_hash(phone, kind="phone"),
        region_id=_pk(region),
        organisation=organisation,
    )
    audit_record(actor=actor, action="complaint.volunteer_register", obj=volunteer, changes={"number": number})
    return volunteer


def volunteer_matching(*, number: str, phone: str) -> VolunteerSupervisor | None:
    """The active volunteer with this number whose phone matches (how the public form knows one)."""
    phone_hash = crypto.search_hash(crypto.normalise_phone(phone), kind="phone")
    if not number or not phone_hash:
        return None
    return VolunteerSupervisor.objects.filter(number=number.strip(), phone_hash=phone_hash, active=True).first()


def config_changed() -> None:
    """After time limits or intake settings change (admin): every process reloads them."""
    transaction.on_commit(refdata_changed)
