"""The evaluation's official documents (``portal.documents``): the commendation (通报表扬) of
the top entities and the criticism (通报批评) of the bottom ones of a published period, and the
regular warning-case circular (警示案例定期通报, §3) drawn from the period's accountability
records, with the cases a reviewer picks. Each carries a gap-free number of its own per year
(豫交评表〔2026〕1号, 豫交评批〔2026〕1号, 豫交警示〔2026〕2号 ...: a prefix per type,
since each type has its own sequence); an administrator may replace the layout with a Word template
(admin → 文书模板). Record text goes in as text through the writer (``office_text``)."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.models import Dimension, Level
from portal.accounts.scoping import PROVINCE_CODE
from portal.documents.registry import DocumentType, register

PLACEHOLDERS = {"period": gettext_lazy("评价周期")}
ISSUER = gettext_lazy("河南省交通运输厅")


def _number_line(writer) -> None:
    """The built-in layout has no number field: put one under the title (a template that
    places ``{{number}}`` itself keeps its own)."""
    if not any("{{number}}" in p.text for p in writer.document.paragraphs):
        writer.paragraph("{{number}}")


def _date(value) -> str:
    return formats.date_format(value, "Y年n月j日") if value else ""


class _PeriodNotice(DocumentType):
    numbered = True
    placeholders = PLACEHOLDERS

    def region_code(self, period) -> str:
        return PROVINCE_CODE

    def context(self, period) -> dict:
        return {"title": self.title(period), "issuer": str(ISSUER), "period": period.label}

    def title(self, period) -> str:
        raise NotImplementedError

    def file_name(self, period, number: str = "") -> str:
        return f"{period.label}{self.label}{('-' + number) if number else ''}.docx"


def _weak_points(score) -> str:
    """The entity's indicators that lost the most points, for the criticism."""
    rows = sorted(score.indicator_scores.all(), key=lambda r: (r.points - r.indicator.weight, r.indicator.sort_order))
    lost = [r for r in rows if r.points < r.indicator.weight][:3]
    return "；".join(
        _("%(name)s（得 %(points)s / %(weight)s 分）")
        % {"name": r.indicator.name, "points": r.points, "weight": r.indicator.weight}
        for r in lost
    )


def _entity_table(writer, scores, *, weak: bool) -> None:
    dims = dict(Dimension.choices)
    header = [_("排名"), _("单位"), _("总分"), *[str(label) for label in dims.values()]]
    if weak:
        header.append(_("主要失分指标"))
    rows = []
    for s in scores:
        row = [s.rank, s.region.name, s.total, *[s.dimensions.get(k, "0") for k in dims]]
        if weak:
            row.append(_weak_points(s))
        rows.append(row)
    writer.table(header, rows)


@register
class Commendation(_PeriodNotice):
    key = "evaluation.commendation"
    prefix = "豫交评表"  # each type numbers on its own (portal.documents), so each has its own prefix
    label = gettext_lazy("绩效评价通报表扬")

    def title(self, period) -> str:
        return _("关于%(period)s交通运输执法绩效评价优秀单位的通报表扬") % {"period": period.label}

    def build(self, writer, period, *, count: int = 3, **options) -> None:
        from evaluation.selectors import notice_entities

        writer.heading(self.title(period), level=0)
        _number_line(writer)
        writer.paragraph(_("各省辖市交通运输局，各县（市、区）交通运输执法大队："))
        writer.paragraph(
            _(
                "根据《关于常态化开展交通运输执法领域突出问题专项整治工作的意见》和%(period)s绩效评价结果，"
                "现对评价排名靠前的单位予以通报表扬。希望受表扬单位珍惜荣誉、再接再厉，各单位以先进为榜样，"
                "持续提升执法规范化水平。"
            )
            % {"period": period.label}
        )
        for number, (level, label) in enumerate(Level.choices, start=1):
            writer.heading(f"{number}. {label}", level=1)
            _entity_table(writer, notice_entities(period, level, count, top=True), weak=False)
        writer.paragraph("")
        writer.paragraph(str(ISSUER))
        writer.paragraph(_date(period.published_at or period.closed_at))


@register
class Criticism(_PeriodNotice):
    key = "evaluation.criticism"
    prefix = "豫交评批"
    label = gettext_lazy("绩效评价通报批评")

    def title(self, period) -> str:
        return _("关于%(period)s交通运输执法绩效评价排名靠后单位的通报批评") % {"period": period.label}

    def build(self, writer, period, *, count: int = 3, **options) -> None:
        from evaluation.selectors import notice_accountability, notice_entities

        writer.heading(self.title(period), level=0)
        _number_line(writer)
        writer.paragraph(_("各省辖市交通运输局，各县（市、区）交通运输执法大队："))
        writer.paragraph(
            _(
                "%(period)s绩效评价中，以下单位排名靠后，主要失分指标列于表中。现予通报批评，"
                "请被通报单位在 15 个工作日内向省厅报送整改报告，逐项落实整改。"
            )
            % {"period": period.label}
        )
        bottom = []
        for number, (level, label) in enumerate(Level.choices, start=1):
            scores = notice_entities(period, level, count, top=False)
            bottom += scores
            writer.heading(f"{number}. {label}", level=1)
            _entity_table(writer, scores, weak=True)
        people = notice_accountability(period, [s.region for s in bottom])
        writer.heading(_("%(n)s. 本期被问责人员") % {"n": len(Level.choices) + 1}, level=1)
        writer.table(
            [_("姓名"), _("职务"), _("单位"), _("问责方式"), _("决定机关"), _("决定日期")],
            [[a.person_name, a.post, a.unit.name, a.get_measure_display(), a.decided_by, a.decided_on] for a in people],
        )
        writer.paragraph("")
        writer.paragraph(str(ISSUER))
        writer.paragraph(_date(period.published_at or period.closed_at))


@register
class WarningCircular(_PeriodNotice):
    key = "evaluation.warning"
    prefix = "豫交警示"
    label = gettext_lazy("警示案例通报")

    def title(self, period) -> str:
        return _("%(period)s交通运输执法领域警示案例通报") % {"period": period.label}

    def build(self, writer, period, *, cases=(), **options) -> None:
        from cases.accountability import AGENCY_HEAD_THRESHOLD

        writer.heading(self.title(period), level=0)
        _number_line(writer)
        writer.paragraph(_("各省辖市交通运输局，各县（市、区）交通运输执法大队："))
        writer.paragraph(
            _(
                "按照警示案例定期通报制度，现将%(period)s（%(start)s至%(end)s）查处的 %(n)s 起典型问题通报如下。"
                "各单位要引以为戒、举一反三，严格落实“四必究”要求"
                "（同一单位同一周期被问责达 %(k)s 人次的，追究执法机构负责人责任）。"
            )
            % {
                "period": period.label,
                "start": _date(period.starts_on),
                "end": _date(period.ends_on),
                "n": len(cases),
                "k": AGENCY_HEAD_THRESHOLD,
            }
        )
        for number, record in enumerate(cases, start=1):
            problem = record.problem
            writer.heading(
                _("案例%(n)s：%(unit)s %(title)s") % {"n": number, "unit": record.unit.name, "title": problem.title},
                level=1,
            )
            writer.paragraph(problem.description)
            writer.table(
                [_("项目"), _("内容")],
                [
                    [_("问题编号"), problem.code],
                    [_("被问责人员"), f"{record.person_name}（{record.post}）"],
                    [_("问责方式"), record.get_measure_display()],
                    [_("违反执法纪律"), _("是") if record.discipline_breach else _("否")],
                    [_("情节严重"), _("是") if record.serious else _("否")],
                    [_("决定机关"), record.decided_by],
                    [_("决定日期"), _date(record.decided_on)],
                ],
            )
        writer.paragraph("")
        writer.paragraph(str(ISSUER))
