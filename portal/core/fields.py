"""A model field that stores a string encrypted (``portal.core.crypto``) and reads it back clear.

Reading decrypts (``from_db_value``), so the model attribute, ``values_list`` and the audited
reveal endpoint all see the clear value; writing encrypts with a fresh nonce. Equal clear values
therefore never have equal ciphertexts, and the field refuses every lookup but ``isnull``:
search through the matching ``*_hash`` column instead (``crypto.search_hash``).
"""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models

from portal.core import crypto


class EncryptedTextField(models.BinaryField):
    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        kwargs.pop("null", None)
        kwargs.pop("blank", None)
        return name, path, args, kwargs

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} is stored encrypted and cannot be searched with '{lookup_name}'; "
                f"compare {self.name}_hash with crypto.search_hash() instead."
            )
        return super().get_lookup(lookup_name)

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt(value, kind=self.kind) if value is not None else ""

    def to_python(self, value):
        return "" if value is None else str(value)

    def get_prep_value(self, value):
        if isinstance(value, (bytes, memoryview)):  # already encrypted (bulk loaders)
            return bytes(value)
        return crypto.encrypt(value or None, kind=self.kind)

    def value_to_string(self, obj):
        # Serialised dumps keep the value encrypted, as stored.
        return ""
