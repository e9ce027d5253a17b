"""Listed supervision's official documents (``portal.documents``): the listing notice
(挂牌督办通知书), the supervision letter (督办函), the reminder (催办通知书) and the referral
letter (提请追责函). Each carries a number from its own gap-free per-year sequence
(豫交执督〔2026〕12号 ...); an administrator may replace its layout with a Word template
(admin → 文书模板). Text from the records is inserted as text, never rendered as a template."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.documents.registry import DocumentType, register

ITEM_PLACEHOLDERS = {
    "code": gettext_lazy("督办编号"),
    "item": gettext_lazy("督办事项"),
    "recipient": gettext_lazy("主送单位"),
    "region": gettext_lazy("所属区划"),
    "deadline": gettext_lazy("整改期限"),
}


def _date(value) -> str:
    return formats.date_format(value, "Y年n月j日") if value else ""


class _ItemDocument(DocumentType):
    numbered = True
    placeholders = ITEM_PLACEHOLDERS

    def recipient(self, item) -> str:
        return item.unit.name if item.unit_id else item.region.name

    def context(self, item) -> dict:
        return {
            "title": f"{self.label}（{item.code}）",
            "issuer": _("%(region)s交通运输厅（局）") % {"region": item.listed_by_region.name},
            "code": item.code,
            "item": item.title,
            "recipient": self.recipient(item),
            "region": item.region.name,
            "deadline": _date(item.deadline),
        }

    def region_code(self, item) -> str:
        return item.region_id

    def file_name(self, item, number: str = "") -> str:
        return f"{item.code}-{self.label}{('-' + number) if number else ''}.docx"

    def build(self, writer, item, **options) -> None:
        writer.heading(str(self.label), level=0)
        writer.paragraph(f"{self.recipient(item)}：")
        for text in self.body(item):
            writer.paragraph(text)
        writer.table(
            [_("项目"), _("内容")],
            [
                [_("督办编号"), item.code],
                [_("督办事项"), item.title],
                [_("问题清单"), item.problem_list],
                [_("措施清单"), item.measures_list],
                [_("整改责任清单"), item.rectification_responsibility],
                [_("督办责任清单"), item.supervision_responsibility],
                [_("整改期限"), _date(item.deadline)],
                [_("进展报告周期"), _("每 %(n)s 个工作日") % {"n": item.report_every_days}],
            ],
        )

    def body(self, item) -> list[str]:
        return []


@register
class ListingNotice(_ItemDocument):
    key = "supervision.notice"
    label = gettext_lazy("挂牌督办通知书")
    prefix = "豫交执督"

    def body(self, item):
        return [
            _(
                "经核查，“%(title)s”问题性质严重、群众反映强烈，现决定对该问题挂牌督办。请你单位按照问题清单、"
                "措施清单、整改责任清单和督办责任清单认真整改，于 %(deadline)s 前完成整改，每 %(n)s 个工作日报送"
                "一次整改进展，整改完成后报送整改报告，经现场验收合格后予以摘牌。"
            )
            % {"title": item.title, "deadline": _date(item.deadline), "n": item.report_every_days}
        ]


@register
class SupervisionLetter(_ItemDocument):
    key = "supervision.letter"
    label = gettext_lazy("督办函")
    prefix = "豫交执督函"

    def body(self, item):
        return [
            _("“%(title)s”已挂牌督办，现将督办要求函告如下，请切实落实整改责任，按期报送整改进展和整改报告。")
            % {"title": item.title}
        ]


@register
class ReminderNotice(_ItemDocument):
    key = "supervision.reminder"
    label = gettext_lazy("催办通知书")
    prefix = "豫交执催"

    def body(self, item):
        return [
            _(
                "你单位承办的挂牌督办事项“%(title)s”整改期限为 %(deadline)s，目前尚未完成整改或未按期报送进展。"
                "请于收到本通知后 3 个工作日内报送整改情况，逾期未整改的将依规提请追责。"
            )
            % {"title": item.title, "deadline": _date(item.deadline)}
        ]


@register
class ReferralLetter(_ItemDocument):
    key = "supervision.referral"
    label = gettext_lazy("提请追责函")
    prefix = "豫交执追"

    def recipient(self, item) -> str:
        return _("%(region)s党委、政府") % {"region": item.region.name}

    def body(self, item):
        reasons = "、".join(r.get_reason_display() for r in item.referrals.all()) or _("整改不力")
        return [
            _(
                "挂牌督办事项“%(title)s”整改不到位（%(reasons)s，验收未通过 %(failed)s 次），"
                "根据有关规定，提请对相关单位和责任人依规依纪追究责任，并将处理结果函告我厅。"
            )
            % {"title": item.title, "reasons": reasons, "failed": item.failed_acceptances}
        ]


ITEM_DOCUMENTS = {cls.key: cls.label for cls in (ListingNotice, SupervisionLetter, ReminderNotice, ReferralLetter)}


@register
class MonthlyAnalysis(DocumentType):
    """The monthly complaint and public-opinion analysis of one level (``supervision.analysis``):
    not numbered, written on request for the reader's subtree."""

    key = "supervision.monthly_analysis"
    label = gettext_lazy("投诉举报和负面舆情月度分析")
    placeholders = {"period": gettext_lazy("统计月份"), "region": gettext_lazy("所属区划")}

    def region_code(self, analysis) -> str:
        return analysis.region_code

    def object_type(self, analysis) -> str:
        return "supervision.monthlyanalysis"

    def context(self, analysis) -> dict:
        return {
            "title": f"{analysis.region_name}{analysis.label}{self.label}",
            "period": analysis.label,
            "region": analysis.region_name,
        }

    def file_name(self, analysis, number: str = "") -> str:
        return f"{analysis.month:%Y-%m}-{analysis.region_code}-{self.label}.docx"

    def build(self, writer, analysis, **options) -> None:
        t = analysis.totals
        writer.heading(f"{analysis.region_name}{analysis.label}{self.label}", level=0)
        writer.paragraph(
            _(
                "本月共受理 %(total)s 件，其中投诉举报 %(complaints)s 件；办结 %(closed)s 件，按期办结率 %(rate)s；"
                "逾期未办结 %(overdue)s 件；提级办理 %(escalated)s 件。"
            )
            % {
                "total": t.get("total") or 0,
                "complaints": t.get("complaints") or 0,
                "closed": t.get("closed") or 0,
                "rate": analysis.on_time_rate,
                "overdue": t.get("overdue") or 0,
                "escalated": t.get("escalated") or 0,
            }
        )
        writer.heading(_("按渠道"), level=2)
        writer.table([_("渠道"), _("件数")], [[r["name"], r["total"]] for r in analysis.by_channel])
        writer.heading(_("按问题类别"), level=2)
        writer.table(
            [_("问题类别"), _("件数"), _("按期办结")],
            [[r["category__name"] or _("未分类"), r["total"], r["closed_on_time"]] for r in analysis.by_category],
        )
        writer.heading(_("按被投诉单位"), level=2)
        writer.table(
            [_("单位"), _("区划"), _("件数")],
            [[r["unit__name"], r["unit__region__name"], r["total"]] for r in analysis.by_unit],
        )
        writer.heading(_("按承办区划"), level=2)
        writer.table([_("区划"), _("件数")], [[r["handling_region__name"], r["total"]] for r in analysis.by_region])
        writer.heading(_("重复投诉最多的事项"), level=2)
        writer.table(
            [_("受理编号"), _("标题"), _("重复次数")],
            [[r["duplicate_of__tracking_number"], r["duplicate_of__subject"], r["n"]] for r in analysis.repeated],
        )
        writer.heading(_("负面舆情问题（按责任单位）"), level=2)
        writer.table(
            [_("单位"), _("区划"), _("件数")],
            [[r["unit__name"], r["unit__region__name"], r["total"]] for r in analysis.opinion_problems],
        )
        writer.heading(_("监测预警及干预措施"), level=2)
        writer.table(
            [_("预警类型"), _("状态"), _("件数")],
            [[r["name"], r["status"], r["n"]] for r in analysis.warnings_by_kind],
        )
        writer.table(
            [_("单位或区划"), _("问题类别"), _("干预措施"), _("处理说明")],
            [
                [
                    w.unit.name if w.unit_id else w.region.name,
                    w.category.name if w.category_id else _("未分类"),
                    w.get_intervention_display(),
                    w.note,
                ]
                for w in analysis.interventions
            ],
            empty=_("本月没有记录干预措施的预警。"),
        )
