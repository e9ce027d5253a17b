"""The problem list's official documents (``portal.documents``): the rectification archive
(问题整治档案, §6), one problem's whole file as a Word document officials can edit and stamp.
An administrator may replace its layout with a template (admin → 文书模板)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Problem
from portal.audit.models import AuditEvent
from portal.documents.registry import DocumentType, register


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@register
class RectificationArchive(DocumentType):
    key = "cases.archive"
    label = gettext_lazy("问题整治档案")
    placeholders = {
        "code": gettext_lazy("问题编号"),
        "unit": gettext_lazy("责任单位"),
        "region": gettext_lazy("所属区划"),
    }

    def build(self, writer, obj, **options) -> None:
        _build(writer, obj)

    def context(self, obj) -> dict:
        return {
            "title": f"{obj.code} {obj.title}",
            "code": obj.code,
            "unit": obj.unit.name,
            "region": obj.region.name,
            "issuer": obj.unit.name,
        }

    def region_code(self, obj) -> str:
        return obj.region_id

    def file_name(self, obj, number: str = "") -> str:
        return f"{obj.code}-问题整治档案.docx"


def _build(writer, problem: Problem) -> None:
    from cases.selectors import ACTION_LABELS, change_summary

    writer.heading(_("问题整治档案"), level=0)
    writer.paragraph(f"{problem.code}  {problem.title}")
    verifications = list(problem.verifications.select_related("verifier").prefetch_related("files"))
    verified = any(v.is_record and v.result == v.Result.PASSED for v in verifications)
    if problem.status == Problem.Status.CLOSED and not verified:
        writer.paragraph(
            _("【注意】该问题销号时没有核查记录（核查方式、日期、人员、发现），整改是否到位未经记录的核查确认。")
        )

    writer.heading(_("一、基本情况"), level=1)
    writer.table(
        [_("项目"), _("内容")],
        [
            [_("问题编号"), problem.code],
            [_("问题标题"), problem.title],
            [_("问题描述"), problem.description],
            [_("问题类别"), problem.category],
            [_("发现渠道"), problem.get_source_display()],
            [_("严重程度"), problem.get_severity_display()],
            [_("所属区划"), problem.region.name],
            [_("责任单位"), problem.unit.name],
            [_("执法领域"), problem.domain.name],
            [_("重点问题"), _("是") if problem.is_key else _("否")],
            [_("第一责任人"), problem.first_responsible],
            [_("分管领导"), problem.deputy_in_charge],
            [_("承办部门"), problem.handling_department],
            [_("状态"), problem.get_status_display()],
            [_("整改期限"), problem.deadline or ""],
            [_("发现日期"), problem.found_on],
            [_("销号时间"), _local(problem.closed_at)],
        ],
    )

    writer.heading(_("二、整改方案"), level=1)
    plan = getattr(problem, "plan", None)
    writer.paragraph(plan.measures if plan else _("（尚未制定）"))
    if plan and plan.route_map:
        writer.paragraph(plan.route_map)
    writer.table(
        [_("时间节点"), _("计划完成"), _("实际完成"), _("未完成说明")],
        [[m.title, m.due_on, m.done_on or "", m.explanation] for m in (plan.milestones.all() if plan else [])],
    )

    writer.heading(_("三、整改进展"), level=1)
    writer.table(
        [_("时间"), _("填报人"), _("进展")],
        [
            [_local(p.created_at), p.author.get_full_name() or p.author.get_username(), p.note]
            for p in problem.progress.select_related("author")
        ],
    )

    writer.heading(_("四、佐证材料清单"), level=1)

    def evidence_of(e) -> str:
        if e.verification_id:
            return _("核查")
        return _("整改进展") if e.progress_id else ""

    writer.table(
        [_("文件名"), _("类型"), _("大小（字节）"), _("SHA-256"), _("上传时间"), _("所属")],
        [
            [e.original_name, e.content_type, e.size, e.sha256, _local(e.uploaded_at), evidence_of(e)]
            for e in problem.evidence.all()
        ],
    )

    writer.heading(_("五、延期申请"), level=1)
    writer.table(
        [_("申请时间"), _("原期限"), _("申请延期至"), _("理由"), _("审批结果"), _("审批意见")],
        [
            [
                _local(x.requested_at),
                x.current_deadline,
                x.requested_deadline,
                x.reason,
                x.get_decision_display(),
                x.decision_note,
            ]
            for x in problem.extensions.all()
        ],
    )

    writer.heading(_("六、核查情况"), level=1)
    writer.table(
        [_("核查日期"), _("核查方式"), _("核查人员"), _("核查发现"), _("佐证材料"), _("结果"), _("意见")],
        [
            [
                v.verified_on or _local(v.created_at),
                v.get_method_display() if v.method else _("（无核查记录）"),
                v.verifiers or v.verifier.get_full_name() or v.verifier.get_username(),
                v.findings,
                "、".join(f.original_name for f in v.files.all()),
                v.get_result_display(),
                v.note,
            ]
            for v in verifications
        ],
    )

    writer.heading(_("七、追责问责"), level=1)
    writer.table(
        [_("姓名"), _("职务"), _("单位"), _("问责方式"), _("决定机关"), _("决定日期")],
        [
            [a.person_name, a.post, a.unit.name, a.get_measure_display(), a.decided_by, a.decided_on]
            for a in problem.accountability.select_related("unit")
        ],
    )

    writer.heading(_("八、办理时间线"), level=1)
    events = (
        AuditEvent.objects.filter(object_type="cases.problem", object_id=str(problem.pk))
        .select_related("actor")
        .order_by("occurred_at", "seq")
    )

    def who(e) -> str:
        return (e.actor.get_full_name() or e.actor.get_username()) if e.actor else e.actor_username

    writer.table(
        [_("时间"), _("操作人"), _("操作"), _("内容")],
        [
            [
                _local(e.occurred_at),
                who(e),
                str(ACTION_LABELS.get(e.action, e.action)),
                "；".join(f"{label}：{text}" for label, text in change_summary(e.changes or {}))
                if e.action != "problem.register"
                else "",
            ]
            for e in events
        ],
    )

    writer.paragraph("")
    writer.paragraph(_("档案生成时间：%(t)s") % {"t": _local(timezone.now())})
