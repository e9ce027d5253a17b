"""Checking many items of one batch with a serializer, at the cost of checking them once.

A batch endpoint (the 12328 sync: 500 work orders a request) checks each item with the same
serializer as the single endpoint, so an item means the same thing on both routes. Run through
DRF's machinery, most of what that costs is the machinery: for every field of every item,
``run_validation`` → ``validate_empty_values`` → ``to_internal_value`` → ``run_validators``
(each validator called, its errors collected, Django's ``ProhibitSurrogateCharactersValidator``
reading the text character by character). ``BatchChecker`` takes the common case, a plain
value that is valid, by a short path and leaves everything else to the serializer itself:

- ``check(item)`` returns the validated data, exactly what ``serializer.run_validation(item)``
  returns, or raises its ``ValidationError`` with its messages. The short path never refuses:
  when it is not sure a value is valid, it hands the whole item to the serializer, which then
  decides and words the error. So the answer is DRF's either way; only the time differs.
- The short path knows text fields (``CharField`` and its subclasses that only add validators:
  ``RegexField``, ``SlugField``, ``URLField`` …, with the portal's text boundary
  ``portal.core.text.clean_text``) and choice fields given a string; any other field, and any
  value of another type, runs through the field's own ``run_validation``. Absent keys, defaults,
  None, the serializer's ``validate_<field>`` methods, its ``validate()`` and validators are
  applied as DRF applies them.
- Text refused by ``clean_text`` cannot hold NUL or surrogates, so the text path skips
  ``ProhibitNullCharactersValidator`` and ``ProhibitSurrogateCharactersValidator``; length
  validators become a ``len`` comparison; any other validator is called as it is.

``tests/test_batch_check.py`` holds the equivalence to DRF (a property over generated items).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator, ProhibitNullCharactersValidator
from rest_framework import fields, serializers
from rest_framework.fields import SkipField, empty

from portal.core.text import clean_text

TEXT, CHOICE, OTHER = "text", "choice", "other"


class _Unsure(Exception):
    """The short path cannot tell: let the serializer decide."""


def _kind(field) -> str:
    cls = type(field)
    if isinstance(field, fields.CharField) and (
        cls.run_validation is fields.CharField.run_validation
        and cls.to_internal_value is fields.CharField.to_internal_value
        and cls.run_validators is fields.Field.run_validators
    ):
        return TEXT
    if isinstance(field, fields.ChoiceField) and (
        cls.run_validation is fields.Field.run_validation
        and cls.to_internal_value is fields.ChoiceField.to_internal_value
        and not field.validators
    ):
        return CHOICE
    return OTHER


class _Plan:
    __slots__ = ("field", "key", "kind", "max_length", "method", "min_length", "name", "others")

    def __init__(self, serializer, field):
        if field.source == "*" or len(field.source_attrs) != 1:
            raise TypeError(f"BatchChecker: {field.field_name} has a nested or dotted source")
        self.name = field.field_name
        self.key = field.source  # where DRF puts the value
        self.field = field
        self.kind = _kind(field)
        self.method = getattr(serializer, f"validate_{field.field_name}", None)
        self.max_length = self.min_length = None
        self.others = []
        if self.kind == TEXT:
            for validator in field.validators:
                if isinstance(validator, MaxLengthValidator):
                    self.max_length = validator.limit_value
                elif isinstance(validator, MinLengthValidator):
                    self.min_length = validator.limit_value
                elif isinstance(validator, ProhibitNullCharactersValidator) or (
                    type(validator).__name__ == "ProhibitSurrogateCharactersValidator"
                ):
                    continue  # clean_text refuses both
                else:
                    self.others.append(validator)

    def value(self, item: Mapping):
        field = self.field
        data = item.get(self.name, empty)
        if data is empty:
            if field.required:
                raise _Unsure
            if field.default is empty:
                raise SkipField
            value = field.get_default()
        elif data is None:
            if not field.allow_null:
                raise _Unsure
            value = None
        elif self.kind == TEXT and type(data) is str:
            value = data.strip() if field.trim_whitespace else data
            if value == "":
                if not field.allow_blank:
                    raise _Unsure
            else:
                value = clean_text(value)  # DjangoValidationError: unsure
                if (self.max_length is not None and len(value) > self.max_length) or (
                    self.min_length is not None and len(value) < self.min_length
                ):
                    raise _Unsure
                for validator in self.others:
                    validator(value, field) if getattr(validator, "requires_context", False) else validator(value)
        elif self.kind == CHOICE and type(data) is str:
            if data == "" and field.allow_blank:
                value = ""
            else:
                try:
                    value = field.choice_strings_to_values[data]
                except KeyError:
                    raise _Unsure from None
        else:
            value = field.run_validation(data)
        if self.method is not None:
            value = self.method(value)
        return value


class BatchChecker:
    """``BatchChecker(SomeSerializer()).check(item)`` for each item of a batch."""

    def __init__(self, serializer: serializers.Serializer):
        self.serializer = serializer
        self.plans = [_Plan(serializer, field) for field in serializer._writable_fields]
        cls = type(serializer)
        self.object_checks = cls.validate is not serializers.Serializer.validate or bool(serializer.validators)
        if getattr(serializer, "partial", False):
            raise TypeError("BatchChecker: a partial serializer skips absent fields; check such items one by one")

    def check(self, item) -> dict:
        if type(item) is dict:
            try:
                return self._short(item)
            except _Unsure:
                pass
            except (serializers.ValidationError, DjangoValidationError):
                pass  # the serializer words it, with every field's errors
        return self.serializer.run_validation(item)

    def _short(self, item: dict) -> dict:
        result = {}
        for plan in self.plans:
            try:
                result[plan.key] = plan.value(item)
            except SkipField:
                continue
        if self.object_checks:
            self.serializer.run_validators(result)
            result = self.serializer.validate(result)
        return result
