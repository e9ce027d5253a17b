"""The problem API: a scoped viewset (list with the page's filters, retrieve, register, edit)
and small workflow endpoints with input and output serializers. Every write calls a service;
errors map through ``portal.core.api.exception_handler`` (400 per field, 409 on a stale
version, 404 for out of scope exactly as for missing)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases import selectors, services
from cases.api.serializers import (
    AllowedMovesSerializer,
    ErrorSerializer,
    ExtensionDecideInputSerializer,
    ExtensionRequestInputSerializer,
    ExtensionSerializer,
    MilestoneDoneInputSerializer,
    MilestoneSerializer,
    PendingExtensionSerializer,
    PlanInputSerializer,
    PlanSerializer,
    ProblemSerializer,
    ProblemUpdateSerializer,
    ProblemWriteSerializer,
    ProgressEntrySerializer,
    ProgressInputSerializer,
    ProgressNoteInputSerializer,
    TransitionInputSerializer,
    UnmetConflictSerializer,
    VerificationInputSerializer,
    VerificationSerializer,
)
from cases.models import Evidence, ExtensionRequest, Milestone, Problem, RectificationPlan, Verification
from cases.requirements import active_rules, facts_for, needed_checks, unmet_of
from portal.accounts.access import ScopedViewSetMixin
from portal.accounts.capabilities import Cap, has_cap
from portal.core.api import ConflictError

BAD_REQUEST = OpenApiResponse(description=gettext_lazy("输入有误：按字段给出原因（区划或单位不在管辖范围内也在此）"))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("不存在，或不在您的管辖范围内"))
CONFLICT = OpenApiResponse(ErrorSerializer, description=gettext_lazy("该问题已被他人处理（版本已变化），请刷新后重试"))
TRANSITION_CONFLICT = OpenApiResponse(
    UnmetConflictSerializer,
    description=gettext_lazy(
        "版本已变化（请刷新后重试），或办理条件尚未满足：code 为 requirements_unmet，unmet 逐项列出缺少的条件"
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("问题清单（按管辖范围）"),
        description=gettext_lazy("筛选条件与问题清单页面相同。"),
        parameters=[
            OpenApiParameter(
                "o",
                str,
                enum=[key for key in selectors.LIST_ORDERINGS if key],
                description=gettext_lazy(
                    "排序：deadline 期限由近及远，-deadline 由远及近，code 按编号；默认登记时间倒序"
                ),
            )
        ],
    ),
    retrieve=extend_schema(summary=gettext_lazy("问题详情"), responses={200: ProblemSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary=gettext_lazy("登记问题"),
        request=ProblemWriteSerializer,
        responses={201: ProblemSerializer, 400: BAD_REQUEST},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("修改问题信息"),
        description=gettext_lazy(
            "带上 expected_version（您看到的 version）可防止覆盖他人同时所做的修改：版本已变化时返回 409。"
        ),
        request=ProblemUpdateSerializer,
        responses={200: ProblemSerializer, 400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    ),
)
class ProblemViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The problem list, scoped to the requester's region subtree; the state moves only through
    ``transition``."""

    queryset = Problem.objects.select_related("region", "unit", "category", "domain")
    serializer_class = ProblemSerializer
    filterset_class = selectors.ProblemFilter

    def get_queryset(self):
        ordering = selectors.LIST_ORDERINGS.get(self.request.query_params.get("o", ""), selectors.LIST_ORDERINGS[""])
        return super().get_queryset().with_overdue().order_by(*ordering)

    def _answer(self, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=problem.pk)
        return Response(ProblemSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = ProblemWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        problem = services.problem_register(actor=request.user, **serializer.validated_data)
        return self._answer(problem, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        problem = self.get_object()
        serializer = ProblemUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        expected_version = changes.pop("expected_version", None)
        if changes:
            problem = services.problem_update(
                actor=request.user, problem=problem, expected_version=expected_version, **changes
            )
        return self._answer(problem)

    # --- the workflow ------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("可执行的办理操作"),
        responses={200: AllowedMovesSerializer, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("办理（状态流转）"),
        description=gettext_lazy(
            "按 version 比较并交换：两人同时办理时只有一人成功，另一人得到 409。"
            "办理条件（整改方案、佐证材料、核查记录等，由管理员按严重程度配置）未满足时也返回 409，"
            "code 为 requirements_unmet，unmet 列出每项缺少的条件。"
        ),
        request=TransitionInputSerializer,
        responses={200: ProblemSerializer, 400: BAD_REQUEST, 404: NOT_FOUND, 409: TRANSITION_CONFLICT},
    )
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def transition(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            moves = services.allowed_moves(request.user, problem)
            rules = active_rules() if moves else []
            facts = None
            entries = []
            for move in moves:
                unmet = []
                if needed_checks(rules, move.name, severity=problem.severity, is_key=problem.is_key):
                    facts = facts or facts_for(problem)
                    unmet = [item.as_dict() for item in unmet_of(rules, move.name, facts)]
                entries.append(
                    {
                        "name": move.name,
                        "label": str(move.label),
                        "target": move.target,
                        "needs_reason": move.needs_reason,
                        "needs_deadline": move.needs_deadline,
                        "ready": not unmet,
                        "unmet": unmet,
                    }
                )
            data = {"status": problem.status, "version": problem.version, "moves": entries}
            return Response(AllowedMovesSerializer(data).data)
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = services.problem_transition(actor=request.user, problem_id=problem.pk, **serializer.validated_data)
        return self._answer(problem)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("整改方案与时间节点"),
        description=gettext_lazy("尚未制定方案时各项为空，updated_at 为 null。"),
        responses={200: PlanSerializer, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["PUT"],
        summary=gettext_lazy("制定或修改整改方案"),
        description=gettext_lazy("时间节点整体替换；标题不变的节点保留其完成日期。"),
        request=PlanInputSerializer,
        responses={200: PlanSerializer, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    @action(detail=True, pagination_class=None, methods=["get", "put"])
    def plan(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            plan = RectificationPlan.objects.filter(problem=problem).prefetch_related("milestones").first()
            if plan is None:  # no plan yet: an empty one (a 404 would read like a missing problem)
                return Response({"measures": "", "route_map": "", "milestones": [], "updated_at": None})
            return Response(PlanSerializer(plan).data)
        serializer = PlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        milestones = sorted(((m["title"], m["due_on"]) for m in data["milestones"]), key=lambda item: item[1])
        plan = services.plan_set(
            actor=request.user,
            problem=problem,
            measures=data["measures"],
            route_map=data["route_map"],
            milestones=milestones,
        )
        return Response(PlanSerializer(RectificationPlan.objects.prefetch_related("milestones").get(pk=plan.pk)).data)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("尚未完成的时间节点"),
        responses={200: MilestoneSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("时间节点标记完成"),
        request=MilestoneDoneInputSerializer,
        responses={200: MilestoneSerializer, 400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        pagination_class=None,
        methods=["get", "post"],
        url_path="plan/milestones/done",
        url_name="milestone-done",
    )
    def milestone_done(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            left = Milestone.objects.filter(plan__problem=problem, done_on__isnull=True).order_by("due_on", "id")
            return Response(MilestoneSerializer(left, many=True).data)
        serializer = MilestoneDoneInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["explanation"].strip():
            milestone = services.milestone_explain(
                actor=request.user, problem=problem, milestone_id=data["milestone"], explanation=data["explanation"]
            )
        else:
            milestone = services.milestone_done(
                actor=request.user, problem=problem, milestone_id=data["milestone"], done_on=data["done_on"]
            )
        return Response(MilestoneSerializer(milestone).data)

    @extend_schema(
        methods=["GET"], summary=gettext_lazy("整改进展"), responses={200: ProgressEntrySerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("报送整改进展（可附多个佐证材料）"),
        request={"multipart/form-data": ProgressInputSerializer, "application/json": ProgressNoteInputSerializer},
        responses={201: ProgressEntrySerializer, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        pagination_class=None,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def progress(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            entries = problem.progress.select_related("author").prefetch_related("files").order_by("created_at", "id")
            return Response(ProgressEntrySerializer(entries, many=True).data)
        serializer = ProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.progress_log(actor=request.user, problem=problem, **serializer.validated_data)
        return Response(ProgressEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], summary=gettext_lazy("核查记录"), responses={200: VerificationSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("记录核查（上一级；方式、日期、人员、发现、佐证材料）"),
        description=gettext_lazy("记录待本轮结论：核查通过并销号、或退回整改时一并作出结论。"),
        request={"multipart/form-data": VerificationInputSerializer, "application/json": VerificationInputSerializer},
        responses={201: VerificationSerializer, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        pagination_class=None,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def verifications(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            rows = (
                Verification.objects.filter(problem=problem)
                .select_related("verifier")
                .prefetch_related(Prefetch("files", queryset=Evidence.objects.order_by("uploaded_at", "id")))
                .order_by("created_at", "id")
            )
            return Response(VerificationSerializer(rows, many=True).data)
        serializer = VerificationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.verification_record(actor=request.user, problem=problem, **serializer.validated_data)
        return Response(VerificationSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary=gettext_lazy("延期申请"), responses={200: ExtensionSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("申请延期（由上一级审批）"),
        request=ExtensionRequestInputSerializer,
        responses={201: ExtensionSerializer, 400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def extensions(self, request, pk=None, **kwargs):
        problem = self.get_object()
        if request.method == "GET":
            rows = problem.extensions.select_related("requested_by").order_by("-requested_at")
            return Response(ExtensionSerializer(rows, many=True).data)
        serializer = ExtensionRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extension = services.extension_request(actor=request.user, problem=problem, **serializer.validated_data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], summary=gettext_lazy("待审批的延期申请"), responses={200: PendingExtensionSerializer}
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("审批延期申请（上一级）"),
        description=gettext_lazy("批准则整改期限随之调整；不予批准须填写理由。"),
        request=ExtensionDecideInputSerializer,
        responses={200: ExtensionSerializer, 400: BAD_REQUEST, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        pagination_class=None,
        methods=["get", "post"],
        url_path="extensions/decide",
        url_name="extensions-decide",
    )
    def decide_extension(self, request, pk=None, **kwargs):
        problem = self.get_object()
        pending = problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING).first()
        if request.method == "GET":
            may_decide = has_cap(request.user, Cap.VERIFY) and services.is_level_above(request.user, problem)
            return Response(PendingExtensionSerializer({"pending": pending, "may_decide": may_decide}).data)
        serializer = ExtensionDecideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if pending is None or (data["extension"] is not None and data["extension"] != pending.pk):
            raise ConflictError(_("该问题没有这条待审批的延期申请（可能已被审批），请刷新后重试。"))
        extension = services.extension_decide(
            actor=request.user, extension_id=pending.pk, approve=data["approve"], note=data["note"]
        )
        return Response(ExtensionSerializer(extension).data)
