"""Personal numbers at rest (complainants' phones and IDs, case parties' IDs and plates):
AES-256-GCM, with a keyed hash for exact search. Shared by every app (``portal.core.fields``).

One setting, ``FIELD_ENCRYPTION_KEY`` (32 random bytes, url-safe base64), gives two subkeys by
HKDF: one encrypts, one computes the HMAC-SHA256 search hashes. A stored value is
``version (1 byte) | nonce (12) | ciphertext | tag (16)``; the field kind ("phone",
"id_number") is bound in as associated data, so a value copied into another column does not
decrypt. Searching compares the keyed hash of the normalised input with a hash column: equal
numbers match, the database never sees a clear number, and without the key a hash cannot be
reversed by trying every phone number.

The module is plain Python (no models) so that the settings can validate the key at start-up.
The HKDF labels still say "complaints": they derive the keys of data already stored, and
renaming them would make it unreadable.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import unicodedata

VERSION = b"\x01"
NONCE_BYTES = 12
HASH_HEX_CHARS = 32  # 128 bits of HMAC-SHA256: ample for exact matching, half the index size

# Local and test runs only (never production, which refuses to start without its own key).
DEVELOPMENT_KEY = base64.urlsafe_b64encode(b"portal-dev-only-field-key-000001").decode()

KEY_HINT = (
    "set it to 32 random bytes in url-safe base64, e.g. FIELD_ENCRYPTION_KEY=$(python3 -c "
    "'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
)


class FieldKeyError(ValueError):
    """The key setting is missing or malformed; the message is one line and never echoes it."""


def decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise FieldKeyError(f"FIELD_ENCRYPTION_KEY is not url-safe base64; {KEY_HINT}.") from None
    if len(raw) != 32:
        raise FieldKeyError(f"FIELD_ENCRYPTION_KEY decodes to {len(raw)} bytes, not 32; {KEY_HINT}.")
    return raw


def key_setting(value: str, *, required: bool) -> str:
    """The value of ``settings.FIELD_ENCRYPTION_KEY``: the environment's key, checked; the fixed
    development key when it is unset and not ``required`` (local and test)."""
    from portal.settings.env import SettingError

    if not value.strip():
        if required:
            raise SettingError(
                "FIELD_ENCRYPTION_KEY is not set; production stores complainants' phone and ID numbers "
                f"encrypted with it: {KEY_HINT}, and keep it with the database backups."
            )
        return DEVELOPMENT_KEY
    try:
        decode_key(value)
    except FieldKeyError as exc:
        raise SettingError(str(exc)) from None
    return value.strip()


@functools.lru_cache(maxsize=4)
def _subkeys(key_text: str):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master = decode_key(key_text)

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return AESGCM(derive(b"complaints.field-encryption.v1")), derive(b"complaints.search-hash.v1")


def _keys():
    from django.conf import settings

    return _subkeys(getattr(settings, "FIELD_ENCRYPTION_KEY", "") or DEVELOPMENT_KEY)


def encrypt(value: str | None, *, kind: str) -> bytes | None:
    if value is None or value == "":
        return None
    aead, _hash_key = _keys()
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + aead.encrypt(nonce, value.encode("utf-8"), kind.encode("ascii"))


def decrypt(blob: bytes | memoryview | None, *, kind: str) -> str:
    if not blob:
        return ""
    blob = bytes(blob)
    if blob[:1] != VERSION:
        raise ValueError("unknown field encryption version")
    aead, _hash_key = _keys()
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    return aead.decrypt(nonce, body, kind.encode("ascii")).decode("utf-8")


def search_hash(value: str | None, *, kind: str) -> str:
    """The keyed hash of a normalised value ("" for no value): what the *_hash columns hold."""
    if not value:
        return ""
    _aead, hash_key = _keys()
    digest = hmac.new(hash_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:HASH_HEX_CHARS]


# --- normalising before storing and searching ---------------------------------------------------

_NOT_DIGITS = re.compile(r"[\s\-()]")
_PLATE_SEPARATORS = re.compile(r"[\s·•・.\-]")


def normalise_phone(value: str | None) -> str:
    """Digits only, without a +86/0086 country prefix: "+86 138-0000-1234" → "13800001234"."""
    text = _NOT_DIGITS.sub("", _nfkc(value))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) > 11:
            text = text[len(prefix) :]
    return text


def _nfkc(value: str | None) -> str:
    # Full-width digits and letters (１２３４５, Ａ) as typed by Chinese input methods → ASCII.
    return unicodedata.normalize("NFKC", value or "").strip()


def normalise_id_number(value: str | None) -> str:
    """ "41010519900101123x", "４１０１０５…１２３Ｘ" and "4101 0519 …" give the same number."""
    return re.sub(r"\s", "", _nfkc(value)).upper()


def normalise_plate(value: str | None) -> str:
    """ "豫A·12345", "豫a12345", "豫Ａ １２３４５" → "豫A12345"."""
    return _PLATE_SEPARATORS.sub("", _nfkc(value)).upper()
