"""The portal's one rule for stored text (``portal.core.text.clean_text``), as every form and
serializer field applies it."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from portal.core.text import REFUSED_TEXT, clean_text, office_text


@pytest.mark.parametrize(("sent", "stored"), [("甲\r\n乙\r丙\n丁", "甲\n乙\n丙\n丁"), ("a\tb", "a\tb"), ("", "")])
def test_line_breaks_are_stored_as_lf_and_tabs_kept(sent, stored):
    assert clean_text(sent) == stored


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("整改进展\x01\x0b\x1f\ufffe结束", "U+0001"),
        ("a\x00b", "U+0000"),
        ("非字符\ufffe", "U+FFFE"),
        ("\ufdd0", "U+FDD0"),
        ("平面末尾\U0001fffe", "U+1FFFE"),
        ("孤立代理\ud800", "U+D800"),
    ],
)
def test_invisible_characters_are_refused_with_their_name(text, named):
    with pytest.raises(ValidationError) as refused:
        clean_text(text)
    assert named in refused.value.messages[0] and "请删除后重试" in refused.value.messages[0]


def test_every_form_field_applies_it():
    class Note(forms.Form):
        note = forms.CharField(widget=forms.Textarea)
        email = forms.EmailField(required=False)

    form = Note({"note": "第一行\r\n第二行", "email": ""})
    assert form.is_valid() and form.cleaned_data["note"] == "第一行\n第二行"
    form = Note({"note": "坏\x07字符"})
    assert not form.is_valid() and "U+0007" in form.errors["note"][0]


def test_every_serializer_field_applies_it():
    class Note(serializers.Serializer):
        note = serializers.CharField()
        other = serializers.CharField(required=False)

    accepted = Note(data={"note": "a\r\nb"})
    assert accepted.is_valid() and accepted.validated_data["note"] == "a\nb"
    refused = Note(data={"note": "ok", "other": "x\x1fy"})
    assert not refused.is_valid()
    assert list(refused.errors) == ["other"] and "U+001F" in str(refused.errors["other"][0])


@given(st.text())
def test_what_it_stores_an_office_writer_keeps_unchanged(text):
    try:
        stored = clean_text(text)
    except ValidationError:
        assert REFUSED_TEXT.search(text.replace("\r", ""))
        return
    assert "\r" not in stored and office_text(stored) == stored
