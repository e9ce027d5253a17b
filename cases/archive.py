"""The rectification archive (问题整治档案, §6): one problem's whole file as a Word document
officials can edit and stamp, plus a zip with the document and every evidence file."""

from __future__ import annotations

import io
import zipfile

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Pt

from cases.models import Problem
from portal.accounts.capabilities import Cap
from portal.accounts.scoping import get_visible_or_404
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record


def _table(document, header: list[str], rows: list[list[object]]) -> None:
    if not rows:
        document.add_paragraph(_("（无）"))
        return
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def build_archive_docx(problem: Problem) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    document.add_heading(_("问题整治档案"), level=0)
    document.add_paragraph(f"{problem.code}  {problem.title}")

    document.add_heading(_("一、基本情况"), level=1)
    _table(
        document,
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

    document.add_heading(_("二、整改方案"), level=1)
    plan = getattr(problem, "plan", None)
    document.add_paragraph(plan.measures if plan else _("（尚未制定）"))
    if plan and plan.route_map:
        document.add_paragraph(plan.route_map)
    _table(
        document,
        [_("时间节点"), _("计划完成"), _("实际完成")],
        [[m.title, m.due_on, m.done_on or ""] for m in (plan.milestones.all() if plan else [])],
    )

    document.add_heading(_("三、整改进展"), level=1)
    _table(
        document,
        [_("时间"), _("填报人"), _("进展")],
        [
            [_local(p.created_at), p.author.get_full_name() or p.author.get_username(), p.note]
            for p in problem.progress.select_related("author")
        ],
    )

    document.add_heading(_("四、佐证材料清单"), level=1)
    _table(
        document,
        [_("文件名"), _("类型"), _("大小（字节）"), _("SHA-256"), _("上传时间")],
        [[e.original_name, e.content_type, e.size, e.sha256, _local(e.uploaded_at)] for e in problem.evidence.all()],
    )

    document.add_heading(_("五、延期申请"), level=1)
    _table(
        document,
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

    document.add_heading(_("六、核查情况"), level=1)
    _table(
        document,
        [_("核查时间"), _("核查人"), _("结果"), _("意见")],
        [
            [
                _local(v.created_at),
                v.verifier.get_full_name() or v.verifier.get_username(),
                v.get_result_display(),
                v.note,
            ]
            for v in problem.verifications.select_related("verifier")
        ],
    )

    document.add_heading(_("七、追责问责"), level=1)
    _table(
        document,
        [_("姓名"), _("职务"), _("单位"), _("问责方式"), _("决定机关"), _("决定日期")],
        [
            [a.person_name, a.post, a.unit.name, a.get_measure_display(), a.decided_by, a.decided_on]
            for a in problem.accountability.select_related("unit")
        ],
    )

    document.add_heading(_("八、操作记录"), level=1)
    events = AuditEvent.objects.filter(object_type="cases.problem", object_id=str(problem.pk)).order_by("seq")
    _table(
        document,
        [_("时间"), _("操作人"), _("操作"), _("内容")],
        [[_local(e.occurred_at), e.actor_username, e.action, e.changes] for e in events],
    )

    document.add_paragraph("")
    document.add_paragraph(_("档案生成时间：%(t)s") % {"t": _local(timezone.now())})
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def export_archive(*, actor, problem_id: int) -> tuple[str, bytes]:
    """(file name, zip bytes): the .docx archive and every evidence file; audited."""
    problem = get_visible_or_404(
        Problem.objects.select_related("category", "region", "unit", "domain"), actor, Cap.VIEW_RECORDS, pk=problem_id
    )
    docx = build_archive_docx(problem)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{problem.code}-问题整治档案.docx", docx)
        used = set()
        for evidence in problem.evidence.all():
            name = f"佐证材料/{evidence.pk}-{evidence.original_name}"
            if name in used:
                continue
            used.add(name)
            with evidence.file.open("rb") as handle:
                archive.writestr(name, handle.read())
    with transaction.atomic():
        audit_record(actor=actor, action="problem.archive_export", obj=problem)
    return f"{problem.code}-archive.zip", buffer.getvalue()
