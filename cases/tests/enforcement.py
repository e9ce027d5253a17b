"""Helpers of the enforcement case tests: a valid uploaded case row."""

from __future__ import annotations


def case(number="金交执罚〔2026〕1号", **overrides):
    row = {
        "case_number": number,
        "revised_at": "2026-03-02T09:00:00+08:00",
        "violation_item": "CZ001",
        "penalty_type": "fine",
        "penalty_amount": "500.00",
        "discretion": "general",
        "mode": "on_site",
        "soft_measures": ["persuasion"],
        "officer_certificates": ["41010001", "41010002"],
        "party_name": "张三",
        "party_id_number": "41010519900101123X",
        "plate": "豫A12345",
        "place": "郑州市金水区花园路",
        "region": "410105",
        "filed_on": "2026-03-01",
        "decided_on": "2026-03-02",
        "status": "decided",
    }
    row.update(overrides)
    return row
