"""Starting values of the editable lists (DESIGN.md, reference facts). Administrators edit the
lists in the portal; these only seed an empty database."""

# (code, name, group, escalate complaints, discipline breach, children)
CATEGORY_TREE = [
    (
        "zhuli",
        "逐利执法",
        "campaign2023",
        True,
        False,
        [
            ("zhuli-quota", "下达罚没指标"),
            ("zhuli-monitoring", "违规设置电子监控"),
            ("zhuli-fines", "乱罚款"),
            ("zhuli-fees", "滥收费"),
        ],
    ),
    (
        "buguifan",
        "执法不规范（违规执法）",
        "campaign2023",
        True,
        False,
        [
            ("buguifan-discretion", "滥用自由裁量权"),
            ("buguifan-roadblock", "随意设卡拦车扣车"),
            ("buguifan-inspection", "随意检查"),
            ("buguifan-selective", "选择性执法"),
        ],
    ),
    (
        "jianghua",
        "执法方式简单僵化",
        "campaign2023",
        False,
        False,
        [
            ("jianghua-onesize", "一刀切"),
            ("jianghua-campaign", "运动式执法"),
            ("jianghua-excessive", "过度执法"),
        ],
    ),
    (
        "cubao",
        "执法粗暴",
        "campaign2023",
        False,
        False,
        [
            ("cubao-heavy", "重罚轻教"),
            ("cubao-fineinstead", "以罚代管、一罚了之"),
            ("cubao-entrapment", "钓鱼执法"),
            ("cubao-attitude", "态度冷硬、推诿刁难"),
        ],
    ),
    (
        "xunzu",
        '执法"寻租"',
        "campaign2023",
        False,
        False,
        [
            ("xunzu-favour", "人情案"),
            ("xunzu-relation", "关系案"),
            ("xunzu-money", "金钱案"),
        ],
    ),
    (
        "sanluan",
        '公路"三乱"',
        "sanluan",
        False,
        False,
        [
            ("sanluan-checkpoint", "乱设卡"),
            ("sanluan-fines", "乱罚款"),
            ("sanluan-fees", "乱收费"),
        ],
    ),
    ("chinakayao", "吃拿卡要", "chinakayao", False, False, []),
    (
        "babuzhun",
        "违反“八不准”",
        "babuzhun",
        False,
        True,
        [
            ("bbz-drinking", "酒后上岗执法"),
            ("bbz-uniform", "不按规定着装、不持证执法"),
            ("bbz-uncivil", "对当事人言行不文明"),
            ("bbz-camera", "未按规定佩戴使用执法记录仪"),
            ("bbz-beyond", "超越法定范围实施处罚"),
            ("bbz-notremoved", "未消除违法状态即予以罚款"),
            ("bbz-overload", "对超限超载违法行为现场处罚"),
            ("bbz-chase", "强行拦截追赶逃逸车辆"),
        ],
    ),
    (
        "liuyanjin",
        "违反“六严禁”",
        "liuyanjin",
        False,
        True,
        [
            ("lyj-unqualified", "无执法资格人员执法"),
            ("lyj-directfine", "治超站点直接罚款"),
            ("lyj-gatecapture", "依据“闯卡”抓拍系统实施处罚"),
            ("lyj-touts", "与“黄牛”勾结"),
            ("lyj-fees", "违规收费"),
            ("lyj-holding", "超时限扣留车辆"),
        ],
    ),
    ("zuofeng", "作风问题", "other", False, False, []),
]

# Children that escalate complaints although their class does not (§8: 乱收费, 乱罚款, 违规执法).
ESCALATING_CHILDREN = {"sanluan-fines", "sanluan-fees", "lyj-fees", "lyj-directfine"}

# Default rectification time limits in working days by severity (editable: DeadlineRule).
DEFAULT_WORKING_DAYS = {"general": 20, "serious": 15, "grave": 10}


def seed_categories(category_model) -> None:
    order = 0
    for code, name, group, escalate, breach, children in CATEGORY_TREE:
        order += 1
        parent, _ = category_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "escalate_complaints": escalate,
                "is_discipline_breach": breach,
                "sort_order": order,
            },
        )
        for child_code, child_name in children:
            order += 1
            category_model.objects.update_or_create(
                code=child_code,
                defaults={
                    "name": child_name,
                    "group": group,
                    "parent": parent,
                    "sort_order": order,
                    "escalate_complaints": escalate or child_code in ESCALATING_CHILDREN,
                    "is_discipline_breach": breach,
                },
            )


def seed_deadline_rules(rule_model) -> None:
    for severity, days in DEFAULT_WORKING_DAYS.items():
        if not rule_model.objects.filter(category__isnull=True, severity=severity).exists():
            rule_model.objects.create(category=None, severity=severity, working_days=days)
