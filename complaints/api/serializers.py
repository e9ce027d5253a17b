"""Input and output shapes of the complaint API. Inputs are strict (lengths, formats, ranges)
so that bad input is a 400 naming the field; outputs mask personal data for everyone (the clear
value comes only from the audited reveal endpoint)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import (
    STAFF_CHANNELS,
    Area,
    Callback,
    Complaint,
    Extension,
    Kind,
    Reply,
    ReturnRequest,
    Satisfaction,
)
from complaints.services import MAX_BATCH
from complaints.transitions import MOVES
from portal.core import crypto
from portal.core.api_schema import documented, formatted, one_of
from portal.core.masking import mask_id_number, mask_name, mask_phone, mask_plate


def choice(field: serializers.ChoiceField) -> serializers.ChoiceField:
    """A choice field documented as a pattern, not as a named enum component: field names such
    as "status" or "kind" are used by every app's API with other values, and drf-spectacular's
    shared enum names would collide. Clients and fuzzers still see exactly the values allowed."""
    values = [str(value) for value in field.choices]
    if getattr(field, "allow_blank", False):
        values.insert(0, "")
    described = "; ".join(f"{value}: {label}" for value, label in field.choices.items())
    schema = {"type": "string", "pattern": "^(" + "|".join(re.escape(v) for v in values) + ")$"}
    return documented({**schema, "description": described}, field)


def text(help_text: str = "") -> serializers.CharField:
    """A read-only code (status, kind ...), documented in words for the same reason."""
    return serializers.CharField(read_only=True, help_text=help_text)


REGION_RE = re.compile(r"^[0-9]{6}$")
PLATE_RE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{4,6}[\u4e00-\u9fa5]?$")
# As the schema states them: the normalised forms (the API also reads "+86 138-0000-1234",
# lower-case plates and separators, and normalises them before checking).
PHONE_PATTERN = "^([0-9]{7,15})?$"
PLATE_PATTERN = "^([\\u4e00-\\u9fa5][A-Z][A-Z0-9]{4,6}[\\u4e00-\\u9fa5]?)?$"
LATITUDE_PATTERN = "^-?(90(\\.0{1,6})?|[1-8]?[0-9](\\.[0-9]{1,6})?)$"
LONGITUDE_PATTERN = "^-?(180(\\.0{1,6})?|(1[0-7][0-9]|[1-9]?[0-9])(\\.[0-9]{1,6})?)$"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def valid_phone(value: str) -> str:
    phone = crypto.normalise_phone(value)
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        raise serializers.ValidationError(_("请填写有效的电话号码（7–15 位数字）。"))
    return phone


def valid_id_number(value: str) -> str:
    number = crypto.normalise_id_number(value)
    if not number:
        return ""
    if len(number) == 15 and number.isdigit():
        return number
    if len(number) != 18 or not number[:17].isdigit():
        raise serializers.ValidationError(_("身份证号应为 18 位（或旧式 15 位）。"))
    check = ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11]
    if number[17] != check:
        raise serializers.ValidationError(_("身份证号校验位不正确。"))
    return number


def valid_plate(value: str) -> str:
    plate = crypto.normalise_plate(value)
    if plate and not PLATE_RE.match(plate):
        raise serializers.ValidationError(_("车牌号格式不正确，例如 豫A12345。"))
    return plate


class ComplaintIntakeSerializer(serializers.Serializer):
    """One complaint from another system (12328 work order, WeChat, app) or a staff member."""

    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("12328 工单编号或接入系统自己的编号：同一编号重复提交只生成一件投诉。"),
    )
    channel = choice(
        serializers.ChoiceField(
            choices=[(c.value, c.label) for c in STAFF_CHANNELS],
            required=False,
            help_text=_("仅工作人员账号填写；接入系统的渠道由其登记决定。"),
        )
    )
    kind = choice(serializers.ChoiceField(choices=Kind.choices, default=Kind.COMPLAINT))
    area = choice(serializers.ChoiceField(choices=Area.choices))
    category = serializers.SlugField(max_length=48, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    region = serializers.RegexField(REGION_RE, max_length=6, help_text=_("区划代码（GB/T 2260，6 位）"))
    unit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1, default=None)
    complainant_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = documented(
        {"type": "string", "maxLength": 32, "pattern": PHONE_PATTERN},
        serializers.CharField(max_length=32, required=False, allow_blank=True, default=""),
    )
    id_number = formatted(
        "cn-resident-id", serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    )
    plate = documented(
        {"type": "string", "maxLength": 16, "pattern": PLATE_PATTERN},
        serializers.CharField(max_length=16, required=False, allow_blank=True, default=""),
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    latitude = documented(
        {"type": "string", "pattern": LATITUDE_PATTERN, "description": _("纬度（WGS-84，-90 至 90，至多 6 位小数）")},
        serializers.DecimalField(
            max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True, default=None
        ),
    )
    longitude = documented(
        {
            "type": "string",
            "pattern": LONGITUDE_PATTERN,
            "description": _("经度（WGS-84，-180 至 180，至多 6 位小数）"),
        },
        serializers.DecimalField(
            max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True, default=None
        ),
    )
    incident_on = formatted("date-not-future", serializers.DateField(required=False, allow_null=True, default=None))
    source_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    source_url = formatted(
        "http-url", serializers.URLField(max_length=500, required=False, allow_blank=True, default=""), maxLength=500
    )
    received_at = formatted(
        "date-time-recent",
        serializers.DateTimeField(
            required=False, allow_null=True, default=None, help_text=_("工单登记时间；省略为现在。")
        ),
    )

    def validate_phone(self, value):
        return valid_phone(value)

    def validate_id_number(self, value):
        return valid_id_number(value)

    def validate_plate(self, value):
        return valid_plate(value)

    def validate_incident_on(self, value):
        if value and not (dt.date(2000, 1, 1) <= value <= timezone.localdate() + dt.timedelta(days=1)):
            raise serializers.ValidationError(_("发生日期不在合理范围内。"))
        return value

    def validate_received_at(self, value):
        if value is None:
            return value
        now = timezone.now()
        if value > now + dt.timedelta(minutes=10) or value < now - dt.timedelta(days=366):
            raise serializers.ValidationError(_("登记时间应在一年以内且不晚于现在。"))
        return value


class ComplaintBatchIntakeSerializer(serializers.Serializer):
    """The 12328 sync: several work orders in one request (each checked on its own)."""

    work_orders = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=_("工单列表，每件的字段与单件接入（ComplaintIntake）相同，一次最多 500 件。"),
    )


class ComplaintIntakeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text=_("false：该外部编号此前已提交，返回的是原投诉。"))
    handling_unit = serializers.IntegerField(source="handling_unit_id")
    escalated = serializers.BooleanField()
    accept_deadline = serializers.DateField()
    deadline = serializers.DateField()


@extend_schema_field({"type": "string", "description": "masked personal data, e.g. 138****1234"})
class MaskedField(serializers.Field):
    """A personal-data field, always masked (clear only through /personal-data/reveal/)."""

    maskers = {"phone": mask_phone, "id_number": mask_id_number, "name": mask_name, "plate": mask_plate}

    def __init__(self, kind, **kwargs):
        self.kind = kind
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.maskers[self.kind](value)


class ComplaintListSerializer(serializers.ModelSerializer):
    complainant_name = MaskedField("name")
    plate = MaskedField("plate")
    light = text(_("red / yellow / green；已答复或办结为空"))
    channel = text(_("渠道代码"))
    kind = text(_("consultation / complaint / suggestion / praise / not_ours"))
    area = text(_("业务领域代码"))
    status = text(_("received / accepted / return_requested / replied / called_back / closed"))
    handling_unit_name = serializers.CharField(source="handling_unit.name", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default="")
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tracking_number",
            "channel",
            "kind",
            "area",
            "category",
            "category_name",
            "subject",
            "complainant_name",
            "plate",
            "region",
            "region_name",
            "handling_unit",
            "handling_unit_name",
            "escalated",
            "status",
            "version",
            "light",
            "received_at",
            "accept_deadline",
            "deadline",
            "suspected_duplicates",
        ]
        read_only_fields = fields


class ComplaintSerializer(ComplaintListSerializer):
    phone = MaskedField("phone")
    id_number = MaskedField("id_number")
    satisfaction = text(_("satisfied / basic / unsatisfied；未回访为空"))
    close_kind = text(_("callback / no_callback / rejected / merged；未办结为空"))
    source_url = text(_("来源链接；没有时为空字符串"))

    class Meta(ComplaintListSerializer.Meta):
        fields = [
            *ComplaintListSerializer.Meta.fields,
            "external_id",
            "description",
            "location",
            "latitude",
            "longitude",
            "incident_on",
            "source_name",
            "source_url",
            "phone",
            "id_number",
            "unit",
            "routing_rule",
            "deadline_warn_from",
            "deadline_version",
            "deadline_provisional",
            "extensions_used",
            "accepted_at",
            "replied_at",
            "callback_at",
            "satisfaction",
            "closed_at",
            "close_kind",
            "close_reason",
            "reopen_count",
            "return_count",
            "misroute_count",
            "duplicate_of",
        ]
        read_only_fields = fields


class ComplaintMoveSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    needs_reason = serializers.BooleanField()
    needs_unit = serializers.BooleanField()


class ComplaintMovesSerializer(serializers.Serializer):
    status = serializers.CharField()
    version = serializers.IntegerField()
    moves = ComplaintMoveSerializer(many=True)


class ComplaintTransitionSerializer(serializers.Serializer):
    move = choice(serializers.ChoiceField(choices=[(name, MOVES[name].label) for name in sorted(MOVES)]))
    expected_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    unit = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None)
    satisfaction = choice(
        serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    )
    reply_method = choice(serializers.ChoiceField(choices=Reply.Method.choices, default=Reply.Method.PHONE))


class ComplaintReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    method = text(_("phone / sms / letter / online / visit"))

    class Meta:
        model = Reply
        fields = ["id", "method", "text", "author", "created_at"]
        read_only_fields = fields


class ComplaintCallbackSerializer(serializers.ModelSerializer):
    caller = serializers.CharField(source="caller.username", read_only=True)
    satisfaction = text(_("satisfied / basic / unsatisfied"))

    class Meta:
        model = Callback
        fields = ["id", "satisfaction", "note", "caller", "created_at"]
        read_only_fields = fields


class ComplaintCallbackInputSerializer(serializers.Serializer):
    satisfaction = choice(serializers.ChoiceField(choices=Satisfaction.choices))
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    expected_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)


class ComplaintExtensionSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decision = text(_("pending / approved / refused"))

    class Meta:
        model = Extension
        fields = [
            "id",
            "reason",
            "current_deadline",
            "new_deadline",
            "decision",
            "decision_note",
            "requested_by",
            "requested_at",
            "decided_at",
        ]
        read_only_fields = fields


class ComplaintExtensionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ComplaintExtensionDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ComplaintReturnRequestSerializer(serializers.ModelSerializer):
    decision = text(_("pending / approved / refused"))

    class Meta:
        model = ReturnRequest
        fields = ["id", "from_unit", "to_unit", "reason", "decision", "decision_note", "requested_at", "decided_at"]
        read_only_fields = fields


class ComplaintDuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="complaint.id")
    tracking_number = serializers.CharField(source="complaint.tracking_number")
    subject = serializers.CharField(source="complaint.subject")
    status = serializers.CharField(source="complaint.status")
    received_at = serializers.DateTimeField(source="complaint.received_at")
    reasons = serializers.ListField(child=serializers.CharField(), source="candidate.reasons")
    score = serializers.FloatField(source="candidate.score")


class ComplaintMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text=_("并入哪一件投诉（id）"))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ComplaintProblemLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class ComplaintRaiseProblemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None)
    severity = choice(
        serializers.ChoiceField(
            choices=[("general", "一般"), ("serious", "较重"), ("grave", "严重")], default="general"
        )
    )
    also = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=200,
        help_text=_("同一问题的其他投诉（id）"),
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ComplaintTimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    actor = serializers.CharField()
    text = serializers.CharField()


class ComplaintStatisticsQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)


class ComplaintBatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("该工单在请求 work_orders 中的位置（从 0 开始）。"))
    outcome = serializers.ChoiceField(
        choices=[("created", "created"), ("existing", "existing"), ("rejected", "rejected")],
        help_text=_("created 新登记；existing 该编号此前或本批中已提交，返回原投诉；rejected 未登记，见 errors。"),
    )
    external_id = serializers.CharField(allow_blank=True)
    complaint = ComplaintIntakeResultSerializer(required=False, allow_null=True)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, allow_null=True
    )


class ComplaintBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ComplaintBatchItemSerializer(many=True)


# --- what the schema states beyond the fields (portal.core.api_schema) -------------------------


class ComplaintIntakeSchema(OpenApiSerializerExtension):
    """An intake client (12328, WeChat, app) must name its work order: external_id is required
    for them (staff accounts may omit it, which the schema, written for integrators, does not
    offer)."""

    target_class = ComplaintIntakeSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["required"] = sorted({*schema.get("required", []), "external_id"})
            schema["properties"]["external_id"]["minLength"] = 1
        return schema


class ComplaintTransitionSchema(OpenApiSerializerExtension):
    """Which move needs a reason, a new handling unit or a given satisfaction, as oneOf variants
    taken from the workflow table (complaints.transitions.MOVES)."""

    target_class = ComplaintTransitionSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        groups: dict[tuple, list[str]] = {}
        for name in sorted(MOVES):
            if name in ("callback", "callback_unsatisfied"):
                continue
            spec = MOVES[name]
            required = tuple(
                field for field, needed in (("reason", spec.needs_reason), ("unit", spec.needs_unit)) if needed
            )
            groups.setdefault(required, []).append(name)
        variants = [(names, list(required)) for required, names in groups.items()]
        variants += [
            (["callback"], ["satisfaction"], {"satisfaction": {"enum": [Satisfaction.SATISFIED, Satisfaction.BASIC]}}),
            (["callback_unsatisfied"], ["satisfaction"], {"satisfaction": {"enum": [Satisfaction.UNSATISFIED]}}),
        ]
        return one_of(schema, "move", variants)
