"""Input and output serializers of the problem API. They parse and present; the rules are in
``cases.services`` (its ValidationError answers 400 per field, ConflictError 409)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import selectors
from cases.models import (
    Category,
    Evidence,
    ExtensionRequest,
    Milestone,
    Problem,
    ProgressEntry,
    RectificationPlan,
    Verification,
)
from cases.transitions import MOVES
from portal.core.api_schema import documented, formatted, one_of
from portal.regions.models import EnforcementDomain, Region, Unit

# A file part of a multipart body, as the schema states it.
BINARY = {"type": "string", "format": "binary"}

OUT_OF_SCOPE = _("所选区划或单位不在您的管辖范围内，或不存在。")


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a region or unit in the requester's subtree. Out of scope and missing give the
    same per-field message, so the answer says nothing about other regions."""

    default_error_messages = {"does_not_exist": OUT_OF_SCOPE, "incorrect_type": OUT_OF_SCOPE}

    def __init__(self, *, scope, model, **kwargs):
        self.scope, self.model = scope, model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return self.model.objects.none()
        return self.scope(request.user)

    def to_internal_value(self, data):
        # a NUL never names a region or unit, and PostgreSQL refuses it in a lookup (a 500)
        if isinstance(data, bool) or not isinstance(data, str | int) or (isinstance(data, str) and "\x00" in data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ProblemSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    domain_name = serializers.CharField(source="domain.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.SerializerMethodField(help_text=_("由期限和状态得出，不能设置"))

    class Meta:
        model = Problem
        fields = [
            "id",
            "code",
            "title",
            "description",
            "category",
            "category_name",
            "source",
            "severity",
            "region",
            "region_name",
            "unit",
            "unit_name",
            "domain",
            "domain_name",
            "is_key",
            "first_responsible",
            "deputy_in_charge",
            "handling_department",
            "status",
            "status_display",
            "deadline",
            "deadline_provisional",
            "is_overdue",
            "version",
            "found_on",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, problem) -> bool:
        annotated = getattr(problem, "is_overdue", None)
        return bool(annotated) if annotated is not None else problem.overdue_on()


class ProblemWriteSerializer(serializers.Serializer):
    """Registering a problem (POST) and, every field optional, editing one (PATCH)."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(active=True))
    source = serializers.ChoiceField(choices=Problem.Source.choices)
    severity = serializers.ChoiceField(choices=Problem.Severity.choices, default=Problem.Severity.GENERAL)
    region = ScopedRelatedField(scope=selectors.regions_for, model=Region, help_text=_("区划代码，须在您的管辖范围内"))
    unit = ScopedRelatedField(
        scope=lambda user: Unit.objects.visible_to(user, None), model=Unit, help_text=_("单位ID，须在您的管辖范围内")
    )
    domain = serializers.PrimaryKeyRelatedField(queryset=EnforcementDomain.objects.filter(active=True))
    is_key = serializers.BooleanField(default=False)
    first_responsible = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    deputy_in_charge = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    handling_department = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    found_on = formatted(
        "date-not-future",
        serializers.DateField(required=False, allow_null=True, default=None, help_text=_("发现日期，默认今天")),
    )

    def validate_found_on(self, value):
        if value is not None and not (dt.date(2000, 1, 1) <= value <= timezone.localdate()):
            raise serializers.ValidationError(_("发现日期应在 2000-01-01 至今天之间。"))
        return value


class ProblemUpdateSerializer(ProblemWriteSerializer):
    """PATCH: only the fields sent are changed (status and deadline move through transitions)."""

    found_on = None  # the discovery date is part of the record, not edited here
    expected_version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("您看到的问题版本（version）；给出时，若已被他人改动则返回 409 而不覆盖其修改"),
    )

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "done_on", "explanation"]


class PlanSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationPlan
        fields = ["measures", "route_map", "milestones", "updated_at"]


class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()


class PlanInputSerializer(serializers.Serializer):
    measures = serializers.CharField(max_length=20000)
    route_map = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    milestones = MilestoneInputSerializer(many=True, required=False, default=list, max_length=100)


class MilestoneDoneInputSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(min_value=1, help_text=_("时间节点的 id（见问题详情的 plan.milestones）"))
    done_on = formatted(
        "date-not-future",
        serializers.DateField(required=False, allow_null=True, default=None, help_text=_("完成日期，默认今天")),
    )
    explanation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("给出时不标记完成，而是说明该节点未完成的原因"),
    )


class TransitionInputSerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=[(name, move.label) for name, move in MOVES.items()])
    expected_version = serializers.IntegerField(
        min_value=1, help_text=_("您看到的问题版本（version）；已被他人改动时返回 409")
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    new_deadline = formatted(
        "date-future",
        serializers.DateField(
            required=False, allow_null=True, default=None, help_text=_("新的整改期限（退回整改、重新打开时必填）")
        ),
    )


class UnmetSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("条件代码，如 plan_measures、progress_evidence、verification_onsite"))
    message = serializers.CharField()
    link = serializers.CharField(help_text=_("填写该项的页面"))


class UnmetConflictSerializer(serializers.Serializer):
    """A 409: a stale version carries only ``detail``; unmet requirements add ``code`` and ``unmet``."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text=_("requirements_unmet：办理条件尚未满足"))
    unmet = UnmetSerializer(many=True, required=False)


class MoveSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    needs_reason = serializers.BooleanField()
    needs_deadline = serializers.BooleanField()
    ready = serializers.BooleanField(help_text=_("办理条件均已满足"))
    unmet = UnmetSerializer(many=True, help_text=_("尚未满足的办理条件"))


class AllowedMovesSerializer(serializers.Serializer):
    status = serializers.CharField()
    version = serializers.IntegerField()
    moves = MoveSerializer(many=True)


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, evidence) -> str:
        return reverse("cases:evidence-download", kwargs={"pk": evidence.pk})


class ProgressEntrySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)
    files = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressEntry
        fields = ["id", "note", "author", "created_at", "files"]
        read_only_fields = fields


class ProgressNoteInputSerializer(serializers.Serializer):
    """Progress without files (application/json)."""

    note = serializers.CharField()


class ProgressInputSerializer(ProgressNoteInputSerializer):
    files = serializers.ListField(
        child=documented(BINARY, serializers.FileField()),
        required=False,
        default=list,
        help_text=_("佐证材料，可多个（multipart）"),
    )


class VerificationSerializer(serializers.ModelSerializer):
    verifier = serializers.CharField(source="verifier.get_username", read_only=True)
    files = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Verification
        fields = [
            "id",
            "result",
            "method",
            "verified_on",
            "verifiers",
            "findings",
            "note",
            "verifier",
            "created_at",
            "concluded_at",
            "files",
        ]
        read_only_fields = fields


class VerificationInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Verification.Method.choices)
    verified_on = serializers.DateField()
    verifiers = serializers.CharField(max_length=200)
    findings = serializers.CharField(max_length=20000)
    files = serializers.ListField(
        child=documented(BINARY, serializers.FileField()),
        required=False,
        default=list,
        help_text=_("核查佐证材料，可多个（multipart）"),
    )


class ExtensionSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "requested_by",
            "requested_at",
            "current_deadline",
            "requested_deadline",
            "reason",
            "decision",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ExtensionRequestInputSerializer(serializers.Serializer):
    requested_deadline = formatted("date-future", serializers.DateField(help_text=_("申请的新期限，须晚于原期限")))
    reason = serializers.CharField()


class ExtensionDecideInputSerializer(serializers.Serializer):
    extension = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("待审批申请的ID；省略时审批该问题当前待审批的申请")
    )
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PendingExtensionSerializer(serializers.Serializer):
    pending = ExtensionSerializer(allow_null=True)
    may_decide = serializers.BooleanField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- what the schema states beyond the fields (portal.core.api_schema) -------------------------


class TransitionInputSchema(OpenApiSerializerExtension):
    """Which move needs a reason and a new deadline, as oneOf variants taken from the workflow
    table (cases.transitions.MOVES)."""

    target_class = TransitionInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        groups: dict[tuple, list[str]] = {}
        for name, move in MOVES.items():
            needed = (("reason", move.needs_reason), ("new_deadline", move.needs_deadline))
            groups.setdefault(tuple(field for field, need in needed if need), []).append(name)
        return one_of(schema, "move", [(names, list(required)) for required, names in groups.items()])


class ExtensionDecideInputSchema(OpenApiSerializerExtension):
    """A refusal needs a note (不予批准须填写理由)."""

    target_class = ExtensionDecideInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return one_of(schema, "approve", [([True], []), ([False], ["note"])])
