"""The complaint API (/api/v1/): intake for other systems, the scoped complaint resource with
its workflow actions and statistics.

Every view declares its access rule (the authorization matrix reads it). Every detail action
answers GET (what the action would act on) as well as POST (do it), so each route of a visible
complaint can be read by anyone who may see it."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.api import serializers as s
from complaints.models import Complaint, IntakeClient
from complaints.routing import refdata
from portal.accounts.access import AccessRule, ScopedViewSetMixin, record_denial
from portal.accounts.capabilities import Cap, has_cap
from portal.core.batch_check import BatchChecker


class FollowsAccessRule(permissions.BasePermission):
    """DRF views that are not scoped viewsets: the view's ``access_rule`` decides; a signed-in
    user it does not allow gets the same 404 as a missing resource (audited)."""

    def has_permission(self, request, view):
        rule: AccessRule = view.access_rule
        if rule.kind == "public":
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if rule.allows(request.user):
            return True
        record_denial(request, f"missing capability {rule.cap}")
        raise Http404


# --- intake ----------------------------------------------------------------------------------------


class IntakeTokenAuthentication(TokenAuthentication):
    """DRF's token check, reading the account's intake registration in the same query (intake
    is the hot path: one round trip fewer per work order)."""

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user", "user__intake_client").filter(key=key).first()
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # DRF's own refusal and message
        return token.user, token


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: the intake's token check is DRF's token scheme under its own name."""

    target_class = IntakeTokenAuthentication
    name = "intakeTokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 - the scheme's word, not a secret


def _intake_client_of(user) -> IntakeClient | None:
    try:
        client = user.intake_client  # joined by IntakeTokenAuthentication; one query after a session login
    except IntakeClient.DoesNotExist:
        return None
    return client if client.active else None


class IntakeView(APIView):
    """POST a complaint. Other systems (the 12328 platform, WeChat, the app) authenticate with
    their API token and get their registered channel; staff with the edit right may post too,
    naming a staff channel. The same ``external_id`` twice returns the first complaint (200)."""

    access_rule = AccessRule("signed_in")
    permission_classes = [FollowsAccessRule]
    authentication_classes = [IntakeTokenAuthentication, SessionAuthentication]

    @extend_schema(
        request=s.ComplaintIntakeSerializer,
        responses={201: s.ComplaintIntakeResultSerializer, 200: s.ComplaintIntakeResultSerializer},
        summary="Submit a complaint (12328 work order, WeChat, app)",
    )
    def post(self, request):
        client = _intake_client_of(request.user)
        if client is None and not has_cap(request.user, Cap.EDIT_RECORDS):
            record_denial(request, "not an intake client")
            raise Http404
        serializer = s.ComplaintIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if client is not None:
            data.pop("channel", None)
            channel = client.channel
            if channel == "12328" and not data["external_id"]:
                return Response(
                    {"external_id": [_("12328 工单必须提供工单编号。")]}, status=status.HTTP_400_BAD_REQUEST
                )
        else:
            channel = data.pop("channel", None) or "operator"
        category_code = data.pop("category")
        category = None
        if category_code:
            category = refdata().categories_by_code.get(category_code)
            if category is None:
                return Response({"category": [_("问题类别代码不存在。")]}, status=status.HTTP_400_BAD_REQUEST)
        complaint, created = services.complaint_submit(
            actor=request.user,
            intake_client=client,
            channel=channel,
            category=category.id if category else None,
            **data,
        )
        result = s.ComplaintIntakeResultSerializer({**_intake_fields(complaint), "created": created}).data
        return Response(result, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BatchIntakeView(APIView):
    """POST up to 500 work orders at once: the 12328 platform's sync. Only intake clients
    (their API token names the channel). Every work order is checked like a single intake and
    answered on its own (``results``, in the request's order); the valid ones are stored
    together. A body that is not a list of 1 to 500 objects is refused whole (400)."""

    access_rule = AccessRule("signed_in")
    permission_classes = [FollowsAccessRule]
    # as the single intake; a signed-in person who is no intake client gets 404 on POST
    authentication_classes = [IntakeTokenAuthentication, SessionAuthentication]

    @extend_schema(
        request=s.ComplaintBatchIntakeSerializer,
        responses={200: s.ComplaintBatchResultSerializer},
        summary="Submit up to 500 complaints at once (12328 sync)",
    )
    def post(self, request):
        client = _intake_client_of(request.user)
        if client is None:
            record_denial(request, "not an intake client")
            raise Http404
        batch = s.ComplaintBatchIntakeSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        orders = batch.validated_data["work_orders"]
        items, rejected = [], {}
        categories = refdata().categories_by_code
        # One serializer for every work order, by the batch's short path (portal/core/batch_check):
        # the same validated data and the same errors as the single intake's serializer.
        checker = BatchChecker(s.ComplaintIntakeSerializer())
        for index, order in enumerate(orders):
            try:
                data = checker.check(order)
            except ValidationError as exc:
                rejected[index] = exc.detail
                continue
            data.pop("channel", None)
            if client.channel == "12328" and not data["external_id"]:
                rejected[index] = {"external_id": [_("12328 工单必须提供工单编号。")]}
                continue
            code = data.pop("category")
            if code and code not in categories:
                rejected[index] = {"category": [_("问题类别代码不存在。")]}
                continue
            data["category"] = categories[code].id if code else None
            items.append((index, data))
        stored = services.complaint_submit_many(
            actor=request.user, intake_client=client, items=[data for _index, data in items]
        )
        results = [
            {
                "index": index,
                "outcome": "rejected",
                "external_id": str(orders[index].get("external_id", ""))[:64],
                "complaint": None,
                "errors": errors,
            }
            for index, errors in rejected.items()
        ]
        for (index, data), item in zip(items, stored, strict=True):
            results.append(
                {
                    "index": index,
                    "outcome": item.outcome,
                    "external_id": data["external_id"],
                    "complaint": _batch_complaint(item.complaint, item.outcome == "created")
                    if item.complaint
                    else None,
                    "errors": item.errors,
                }
            )
        results.sort(key=lambda result: result["index"])
        counts = {
            outcome: sum(1 for r in results if r["outcome"] == outcome)
            for outcome in ("created", "existing", "rejected")
        }
        # Plain values in the shape of ComplaintBatchResultSerializer (what the schema states):
        # rendering 500 items through nested serializers cost as much as checking them.
        return Response({**counts, "results": results})


def _batch_complaint(complaint: Complaint | services.Stored, created: bool) -> dict:
    """``ComplaintIntakeResultSerializer``'s fields of one stored work order, as plain values."""
    return {
        "id": complaint.id,
        "tracking_number": complaint.tracking_number,
        "status": complaint.status,
        "created": created,
        "handling_unit": complaint.handling_unit_id,
        "escalated": complaint.escalated,
        "accept_deadline": complaint.accept_deadline.isoformat(),
        "deadline": complaint.deadline.isoformat(),
    }


def _intake_fields(complaint: Complaint) -> dict:
    return {
        "id": complaint.pk,
        "tracking_number": complaint.tracking_number,
        "status": complaint.status,
        "handling_unit_id": complaint.handling_unit_id,
        "escalated": complaint.escalated,
        "accept_deadline": complaint.accept_deadline,
        "deadline": complaint.deadline,
    }


# --- the scoped resource ------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="受理编号、电话、身份证号、车牌或标题"),
    OpenApiParameter("status", str, enum=Complaint.Status.values),
    OpenApiParameter("kind", str, enum=[k for k, _label in s.Kind.choices]),
    OpenApiParameter("area", str, enum=[a for a, _label in s.Area.choices]),
    OpenApiParameter("channel", str),
    OpenApiParameter("category", int),
    OpenApiParameter("light", str, enum=["red", "yellow", "green"]),
    OpenApiParameter("escalated", bool),
    OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
    OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
]


class ComplaintViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Complaints in the user's subtree, personal data masked; workflow actions on each."""

    queryset = Complaint.objects.all()
    serializer_class = s.ComplaintSerializer
    filter_backends: list = []
    lookup_value_regex = "[0-9]+"  # ids only: "intake" and "statistics" are routes of their own

    def get_queryset(self):
        queryset, _filters = selectors.complaint_search(self.request.user, self.request.query_params)
        if self.action == "list":
            return queryset.defer("description", "bigrams", "phone", "id_number")
        return queryset

    def get_serializer_class(self):
        return s.ComplaintListSerializer if self.action == "list" else s.ComplaintSerializer

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _result(self, complaint):
        complaint = selectors.with_lights(Complaint.objects.filter(pk=complaint.pk)).get()
        return Response(s.ComplaintSerializer(complaint).data)

    @extend_schema(methods=["GET"], responses=s.ComplaintMovesSerializer)
    @extend_schema(methods=["POST"], request=s.ComplaintTransitionSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def transitions(self, request, pk=None):
        """GET: the moves the user may make now. POST: make one (compare-and-swap on version)."""
        complaint = self.get_object()
        if request.method == "GET":
            moves = services.allowed_moves(request.user, complaint)
            return Response(
                s.ComplaintMovesSerializer(
                    {
                        "status": complaint.status,
                        "version": complaint.version,
                        "moves": [
                            {
                                "name": m.name,
                                "label": str(m.label),
                                "needs_reason": m.needs_reason,
                                "needs_unit": m.needs_unit,
                            }
                            for m in moves
                        ],
                    }
                ).data
            )
        serializer = s.ComplaintTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        complaint = services.complaint_transition(
            actor=request.user,
            complaint_id=complaint.pk,
            move=data["move"],
            expected_version=data.get("expected_version"),
            reason=data["reason"],
            unit=data["unit"],
            satisfaction=data["satisfaction"],
            reply_method=data["reply_method"],
        )
        return self._result(complaint)

    @extend_schema(responses=s.ComplaintReplySerializer(many=True))
    @action(detail=True, pagination_class=None, methods=["get"])
    def replies(self, request, pk=None):
        complaint = self.get_object()
        return Response(s.ComplaintReplySerializer(complaint.replies.select_related("author"), many=True).data)

    @extend_schema(methods=["GET"], responses=s.ComplaintCallbackSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ComplaintCallbackInputSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def callbacks(self, request, pk=None):
        """GET: callbacks so far. POST: record one (unsatisfied reopens the complaint)."""
        complaint = self.get_object()
        if request.method == "GET":
            return Response(s.ComplaintCallbackSerializer(complaint.callbacks.select_related("caller"), many=True).data)
        serializer = s.ComplaintCallbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = services.complaint_callback(
            actor=request.user,
            complaint_id=complaint.pk,
            satisfaction=serializer.validated_data["satisfaction"],
            note=serializer.validated_data["note"],
            expected_version=serializer.validated_data.get("expected_version"),
        )
        return self._result(complaint)

    @extend_schema(methods=["GET"], responses=s.ComplaintExtensionSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=s.ComplaintExtensionInputSerializer, responses={201: s.ComplaintExtensionSerializer}
    )
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def extensions(self, request, pk=None):
        """GET: extension requests. POST: request one (decided by the level above)."""
        complaint = self.get_object()
        if request.method == "GET":
            return Response(
                s.ComplaintExtensionSerializer(complaint.extensions.select_related("requested_by"), many=True).data
            )
        serializer = s.ComplaintExtensionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extension = services.extension_request(
            actor=request.user, complaint_id=complaint.pk, reason=serializer.validated_data["reason"]
        )
        return Response(s.ComplaintExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=s.ComplaintExtensionSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=s.ComplaintExtensionDecisionSerializer, responses=s.ComplaintExtensionSerializer
    )
    @action(detail=True, pagination_class=None, methods=["get", "post"], url_path="extension-decision")
    def extension_decision(self, request, pk=None):
        """GET: the pending request ([] when none). POST: approve or refuse it (the level above)."""
        complaint = self.get_object()
        if request.method == "GET":
            pending = selectors.pending_extension(complaint)
            return Response(s.ComplaintExtensionSerializer([pending] if pending else [], many=True).data)
        serializer = s.ComplaintExtensionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extension = services.extension_decide(
            actor=request.user,
            complaint_id=complaint.pk,
            approve=serializer.validated_data["approve"],
            note=serializer.validated_data["note"],
        )
        return Response(s.ComplaintExtensionSerializer(extension).data)

    @extend_schema(responses=s.ComplaintReturnRequestSerializer(many=True))
    @action(detail=True, pagination_class=None, methods=["get"])
    def returns(self, request, pk=None):
        """Return requests (退单) and their decisions; make them with the transitions."""
        complaint = self.get_object()
        return Response(s.ComplaintReturnRequestSerializer(complaint.returns.all(), many=True).data)

    @extend_schema(methods=["GET"], responses=s.ComplaintDuplicateSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ComplaintMergeSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def duplicates(self, request, pk=None):
        """GET: likely duplicates. POST: merge this complaint into another (both are kept)."""
        complaint = self.get_object()
        if request.method == "GET":
            found = selectors.duplicate_suggestions(request.user, complaint=complaint)
            return Response(
                s.ComplaintDuplicateSerializer(
                    [{"complaint": c, "candidate": cand} for c, cand in found], many=True
                ).data
            )
        serializer = s.ComplaintMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = services.complaint_merge(
            actor=request.user,
            complaint_id=complaint.pk,
            into_id=serializer.validated_data["into"],
            reason=serializer.validated_data["reason"],
        )
        return self._result(complaint)

    @extend_schema(methods=["GET"], responses=s.ComplaintProblemLinkSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=s.ComplaintRaiseProblemSerializer, responses={201: s.ComplaintProblemLinkSerializer}
    )
    @action(detail=True, pagination_class=None, methods=["get", "post"])
    def problems(self, request, pk=None):
        """GET: problems this complaint raised. POST: raise one from it (and others)."""
        complaint = self.get_object()
        if request.method == "GET":
            return Response(s.ComplaintProblemLinkSerializer(selectors.problems_for(complaint), many=True).data)
        serializer = s.ComplaintRaiseProblemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = services.complaint_raise_problem(
            actor=request.user,
            complaint_ids=[complaint.pk, *data["also"]],
            title=data["title"],
            category=data["category"],
            severity=data["severity"],
            description=data["description"],
        )
        return Response(s.ComplaintProblemLinkSerializer(problem).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.ComplaintTimelineEntrySerializer(many=True))
    @action(detail=True, pagination_class=None, methods=["get"])
    def timeline(self, request, pk=None):
        complaint = self.get_object()
        return Response(s.ComplaintTimelineEntrySerializer(selectors.complaint_timeline(complaint), many=True).data)


class StatisticsView(APIView):
    """Counts by unit complained about, handling unit, category and month (the user's subtree)."""

    access_rule = AccessRule("cap", Cap.VIEW_RECORDS)
    permission_classes = [FollowsAccessRule]

    @extend_schema(parameters=[s.ComplaintStatisticsQuerySerializer], responses={200: {"type": "object"}})
    def get(self, request):
        query = s.ComplaintStatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = selectors.complaint_statistics(
            request.user, date_from=query.validated_data["date_from"], date_to=query.validated_data["date_to"]
        )
        for row in stats["by_month"]:
            row["month"] = row["month"].strftime("%Y-%m") if row["month"] else None
        return Response(stats)
