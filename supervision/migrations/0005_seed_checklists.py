"""The first checklist versions (data an administrator edits afterwards in the admin).

The full text of the handbook 《交通运输执法监督工作手册》 was not available: these items follow
its structure from Henan's enforcement discipline (八不准、六严禁) and the 2023 campaign's
classes of prominent problems; a later version replaces them without touching old records."""

from django.db import migrations

INSPECTION = [
    "执法主体资格、执法人员持证上岗情况",
    "执法程序是否合法（立案、调查、告知、决定、送达）",
    "执法文书是否规范、完整",
    "行政处罚自由裁量是否适当，有无以罚代管、一罚了之",
    "执法记录仪配备和全过程记录情况",
    "罚没款和暂扣物品管理情况",
    "八不准、六严禁执行情况",
    "投诉举报受理和办理情况",
]
UNANNOUNCED = [
    "是否按规定着装、持证执法",
    "执法用语、行为是否文明，有无态度粗暴、冷硬横推",
    "是否佩戴并使用执法记录仪",
    "有无超越法定范围处罚或未消除违法状态即罚款",
    "超限检测站有无直接罚款、现场处罚",
    "有无吃拿卡要、乱罚款、乱收费",
    "有无超时限扣留车辆",
    "有无与黄牛勾结迹象",
]


def seed(apps, schema_editor):
    Checklist = apps.get_model("supervision", "ChecklistVersion")
    for method, items in (("inspection", INSPECTION), ("unannounced", UNANNOUNCED), ("joint", INSPECTION)):
        Checklist.objects.get_or_create(method=method, version=1, defaults={"items": items, "active": True})


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_inspector_pool_activities_draws")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
