"""The enforcement case upload API for the units' own case systems (/api/v1/enforcement-cases/).

A unit's system signs in with its API token (the same token check as the 12328 intake:
``complaints.api.views.IntakeTokenAuthentication``, DRF tokens); its account is registered as a
``CaseUploadClient`` of one unit, and every case it sends belongs to that unit. The body is read
once and checked by ``cases.enforcement.checks`` row by row (plain Python: 5,000 rows of 20
fields through DRF serializer fields would cost several times the rest of the upload); the
serializers below only document the shapes in the OpenAPI schema.

A unit system pushes like this (or ``manage.py push_cases FILE --token …``)::

    curl -X POST https://portal.example/api/v1/enforcement-cases/upload/ \\
         -H "Authorization: Token <the unit system's token>" \\
         -H "Content-Type: application/json" --data-binary @cases.json
"""

from __future__ import annotations

import json

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.enforcement import checks, services
from cases.enforcement.models import MAX_BATCH, CaseUploadClient, EnforcementCase, ViolationItem
from complaints.api.views import FollowsAccessRule, IntakeTokenAuthentication
from portal.accounts.access import AccessRule, record_denial

# A 5,000-case batch is 3 to 4 MB of JSON; a body far beyond that is refused before it is read.
MAX_BODY_BYTES = 32 * 1024 * 1024

Case = EnforcementCase


# --- the documented shapes (OpenAPI only) -------------------------------------------------------


class CaseRowSerializer(serializers.Serializer):
    case_number = serializers.CharField(max_length=64, help_text=_lazy("案号：本单位内唯一"))
    unit = serializers.IntegerField(
        required=False, help_text=_lazy("上传单位 id；只能是令牌所属单位（不填即为本单位），其他单位的案件整条退回")
    )
    revised_at = serializers.DateTimeField(
        help_text=_lazy("单位系统最后修改此案件的时间（带时区，不晚于现在）；较早的版本不会覆盖较新的版本")
    )
    violation_item = serializers.CharField(
        max_length=32, help_text=_lazy("违法事项代码，取自 GET /api/v1/enforcement-cases/items/")
    )
    legal_basis = serializers.CharField(
        max_length=200, required=False, help_text=_lazy("处罚依据；不填取违法事项的依据")
    )
    penalty_type = serializers.ChoiceField(choices=Case.PenaltyType.choices, help_text=_lazy("处罚种类"))
    penalty_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_lazy("罚款金额（元）：数字或十进制字符串，最多两位小数；罚款案件必填"),
    )
    discretion = serializers.ChoiceField(choices=Case.Discretion.choices, help_text=_lazy("裁量等级"))
    mode = serializers.ChoiceField(
        choices=Case.Mode.choices, help_text=_lazy("执法方式（现场、非现场如闯卡抓拍、超限检测站）")
    )
    soft_measures = serializers.ListField(
        child=serializers.ChoiceField(choices=Case.SoftMeasure.choices),
        required=False,
        help_text=_lazy("柔性执法措施（说服教育、劝导示范、警示告诫、指导约谈）"),
    )
    officer_certificates = serializers.ListField(
        child=serializers.CharField(max_length=32),
        min_length=2,
        max_length=2,
        help_text=_lazy("两名执法人员的执法证号（两个不同的号码）"),
    )
    party_name = serializers.CharField(max_length=64, help_text=_lazy("当事人（页面与导出中脱敏显示）"))
    party_id_number = serializers.CharField(
        max_length=32, required=False, help_text=_lazy("当事人身份证号或统一社会信用代码（加密存储，可检索）")
    )
    plate = serializers.CharField(max_length=16, required=False, help_text=_lazy("车牌号（加密存储，可检索）"))
    place = serializers.CharField(max_length=128, required=False, help_text=_lazy("违法地点"))
    region = serializers.CharField(
        max_length=6, required=False, help_text=_lazy("案发区划代码：须在本单位辖区内；不填为本单位所在区划")
    )
    filed_on = serializers.DateField(help_text=_lazy("立案日期：不晚于今天，不早于 2015 年"))
    decided_on = serializers.DateField(
        required=False, allow_null=True, help_text=_lazy("决定日期：不早于立案日期，不晚于今天")
    )
    closed_on = serializers.DateField(
        required=False, allow_null=True, help_text=_lazy("结案日期：不早于决定日期（或立案日期），不晚于今天")
    )
    status = serializers.ChoiceField(choices=Case.Status.choices, help_text=_lazy("案件状态"))


class CaseBatchSerializer(serializers.Serializer):
    cases = serializers.ListField(child=CaseRowSerializer(), min_length=1, max_length=MAX_BATCH)


class CaseRowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_lazy("该案件在请求 cases 中的序号（从 0 起）"))
    case_number = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["new", "updated", "unchanged", "rejected"])
    version = serializers.IntegerField(allow_null=True, help_text=_lazy("存储的当前版本号；退回时为 null"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=_lazy("退回原因：字段 → 说明")
    )
    note = serializers.CharField(help_text=_lazy("补充说明，例如较早版本未覆盖"))


class CaseBatchResultSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = CaseRowResultSerializer(many=True)


class RefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ViolationItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ViolationItem
        fields = ["code", "name", "legal_basis", "exempt_first_offence"]


DESCRIPTION = (
    "由各单位执法办案系统实时上传执法案件。每批最多 5,000 件（超出 413），请求体为 JSON 对象 "
    '`{"cases": [...]}`；格式错误的 JSON 或结构不符整批退回（400），不写入任何数据。\n\n'
    "每件案件单独回复（results，顺序同请求）：new 新增、updated 更新为新版本（旧版本保留）、"
    "unchanged 内容未变（同一批次重复上传不产生任何变化；较早的版本不覆盖较新的版本，亦回复 "
    "unchanged 并附 note）、rejected 退回（errors 指明字段与原因）。同一批次内同一案号只能出现一次。"
    "有效案件与本批的审计记录在同一事务中写入。\n\n"
    "令牌属于某一单位的上传系统，只能上传本单位的案件。\n\n" + checks.RULES
)


def _upload_client(user) -> CaseUploadClient | None:
    client = CaseUploadClient.objects.select_related("unit__region").filter(user=user, active=True).first()
    return client if client is not None and client.unit.active else None


def _refused(message: str, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": message}, status=code)


def _too_big() -> Response:
    return _refused(
        _("请求体过大（%(mb)s MB 以上）：每批最多 %(max)s 件案件，请分批上传。")
        % {"mb": MAX_BODY_BYTES // (1024 * 1024), "max": MAX_BATCH},
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class CaseUploadView(APIView):
    """POST a batch of up to 5,000 of the unit's cases (units' case systems only)."""

    access_rule = AccessRule("signed_in")
    permission_classes = [FollowsAccessRule]
    authentication_classes = [IntakeTokenAuthentication, SessionAuthentication]

    @extend_schema(
        request=CaseBatchSerializer,
        responses={
            200: CaseBatchResultSerializer,
            400: OpenApiResponse(RefusedSerializer, description=_lazy("JSON 格式错误或请求体结构不符，整批未写入")),
            413: OpenApiResponse(RefusedSerializer, description=_lazy("超过每批 5,000 件或请求体过大，整批未写入")),
        },
        summary="Upload a batch of enforcement cases (a unit's case system)",
        description=DESCRIPTION,
        examples=[
            OpenApiExample(
                "一件罚款案件",
                request_only=True,
                value={
                    "cases": [
                        {
                            "case_number": "金交执罚〔2026〕118号",
                            "revised_at": "2026-03-02T09:00:00+08:00",
                            "violation_item": "CZ001",
                            "penalty_type": "fine",
                            "penalty_amount": "500.00",
                            "discretion": "general",
                            "mode": "overload_station",
                            "soft_measures": ["persuasion"],
                            "officer_certificates": ["41010001", "41010002"],
                            "party_name": "张三",
                            "plate": "豫A12345",
                            "region": "410105",
                            "filed_on": "2026-03-01",
                            "decided_on": "2026-03-02",
                            "status": "decided",
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request):
        client = _upload_client(request.user)
        if client is None:
            record_denial(request, "not a case upload client")
            raise Http404
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return _too_big()
        content_type = (request.content_type or "").split(";")[0].strip()
        if content_type != "application/json":
            return _refused(_("请求体须为 JSON（Content-Type: application/json）。"))
        # read past Django's form-sized DATA_UPLOAD_MAX_MEMORY_SIZE, up to the batch's own cap
        raw = request.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            return _too_big()
        try:
            body = json.loads(raw or b"")
        except (ValueError, RecursionError) as exc:
            return _refused(
                _("请求体不是有效的 JSON（%(error)s），整批未写入：请检查格式后重新上传。") % {"error": str(exc)[:200]}
            )
        rows = body.get("cases") if isinstance(body, dict) else None
        try:
            results = services.case_upload_batch(actor=request.user, unit=client.unit, rows=rows)
        except services.BatchRefused as refused:
            return _refused(refused.message, refused.status)
        counts = services.outcome_counts(results)
        return Response(
            {
                **counts,
                "results": [
                    {
                        "index": r.index,
                        "case_number": r.case_number,
                        "outcome": r.outcome,
                        "version": r.version,
                        "errors": r.errors,
                        "note": r.note,
                    }
                    for r in results
                ],
            }
        )


class ViolationItemListView(APIView):
    """The violation items a case may name (codes for ``violation_item``)."""

    access_rule = AccessRule("signed_in")
    permission_classes = [FollowsAccessRule]
    authentication_classes = [IntakeTokenAuthentication, SessionAuthentication]

    @extend_schema(responses={200: ViolationItemSerializer(many=True)}, summary="List the violation items")
    def get(self, request):
        items = ViolationItem.objects.filter(active=True).order_by("code")
        return Response(ViolationItemSerializer(items, many=True).data)


__all__ = ["CaseUploadView", "ViolationItemListView"]
