"""The batch short path (portal/core/batch_check) answers exactly as the serializer it stands for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from complaints.api.serializers import ComplaintIntakeSerializer
from portal.core.batch_check import BatchChecker, _Unsure

pytestmark = pytest.mark.django_db

VALID = {
    "external_id": "GD202611250001",
    "kind": "complaint",
    "area": "road_transport",
    "subject": "网约车绕路多收费",
    "description": "乘客反映网约车司机绕路，多收费用 30 元。\r\n请处理。",
    "region": "410105",
    "complainant_name": "王五",
    "phone": "139 1234 5678",
    "id_number": "11010519491231002x",
    "plate": "豫a·D12345",
}

now = timezone.now()
SAMPLES = {
    "external_id": ["", " GD-1 ", "x" * 64, "x" * 65, "GD\x01"],
    "channel": ["hotline", "letter", "12328", "", "HOTLINE"],
    "kind": ["complaint", "consultation", "praise", "", "nope"],
    "area": ["road_transport", "highway", "waterway", "", "Road"],
    "category": ["", "overcharge", "bad slug!", "x" * 49],
    "subject": ["标题", "", "   ", "x" * 200, "x" * 201, "行\r\n换", "控\x0b制", "\ud800", "\x00"],
    "description": ["描述", "", "a\rb", "x" * 5000, "x" * 5001, "\ufffe"],
    "region": ["410105", "41010", "4101055", "abcdef", "４１０１０５"],
    "unit": [1, 0, -1, "12", 2**31, 1.5, True],
    "complainant_name": ["", " 张三 ", "x" * 65],
    "phone": ["13912345678", "+86 139-1234-5678", "１３９１２３４５６７８", "12", "电话"],
    "id_number": ["11010519491231002X", "11010519491231002x", "110105194912310021", "123", "110105491231002"],
    "plate": ["豫A12345", "豫a·12345", "豫Ａ１２３４５", "ABC", "豫A1234567"],
    "location": ["", "郑州", "x" * 201],
    "latitude": ["34.75", 34.75, "91", "abc", "34.1234567", None],
    "longitude": ["113.62", -180, "181", None],
    "incident_on": ["2026-01-02", "1999-12-31", (timezone.localdate() + dt.timedelta(days=5)).isoformat(), "x"],
    "source_name": ["", "微博"],
    "source_url": ["", "https://example.org/a", "ftp://x", "not a url", "http://" + "x" * 500],
    "received_at": [now.isoformat(), (now - dt.timedelta(days=400)).isoformat(), "2026-13-01T00:00:00+08:00", None],
}
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
)


def answer(run, item):
    try:
        return "ok", dict(run(item))
    except serializers.ValidationError as exc:
        return "refused", exc.detail


@st.composite
def items(draw):
    item = dict(VALID)
    for name, samples in SAMPLES.items():
        how = draw(st.sampled_from(["keep", "drop", "sample", "sample", "any"]))
        if how == "drop":
            item.pop(name, None)
        elif how == "sample":
            item[name] = draw(st.sampled_from(samples))
        elif how == "any":
            item[name] = draw(ANY)
    return item


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=items())
def test_the_short_path_answers_as_the_serializer(item):
    checker = BatchChecker(ComplaintIntakeSerializer())
    assert answer(checker.check, item) == answer(ComplaintIntakeSerializer().run_validation, item)


def test_a_valid_work_order_takes_the_short_path():
    checker = BatchChecker(ComplaintIntakeSerializer())
    short = checker._short(dict(VALID))  # raises _Unsure if the short path gave up
    assert short == dict(ComplaintIntakeSerializer().run_validation(dict(VALID)))
    assert short["description"].endswith("\n请处理。") and short["phone"] == "13912345678"
    with pytest.raises(_Unsure):
        checker._short({**VALID, "subject": "x" * 201})


class Renamed(serializers.Serializer):
    code = serializers.CharField(source="number", max_length=4)
    note = serializers.CharField(required=False)
    level = serializers.ChoiceField(choices=["a", "b"], default="a")

    def validate(self, attrs):
        if attrs.get("note") == "no":
            raise serializers.ValidationError("note says no")
        return {**attrs, "checked": True}


@pytest.mark.parametrize(
    "item",
    [
        {"code": "12"},
        {"code": " 12 ", "note": "yes", "level": "b"},
        {"code": "12", "note": "no"},
        {"code": "12345"},
        {"note": "x"},
        {"code": 12},
        ["not", "a", "dict"],
    ],
)
def test_sources_defaults_and_object_checks_as_drf(item):
    assert answer(BatchChecker(Renamed()).check, item) == answer(Renamed().run_validation, item)
