"""Text that an Office file can hold.

XML 1.0, and therefore .docx and .xlsx, cannot hold most C0 control characters (U+0000–U+001F
but tab, LF and CR), lone surrogates or the non-characters U+FFFE/U+FFFF; python-docx and
openpyxl raise on them. Stored text is refused at the boundary when it carries them, but what
is stored already (and append-only audit events) must still reach a document: the writers
escape each such character visibly as ``\\uXXXX`` instead, so nothing is lost and nothing
breaks.
"""

from __future__ import annotations

import re

XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def office_text(value) -> str:
    """``value`` as text an Office writer accepts: None → "", unsafe characters escaped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if XML_UNSAFE.search(text) is None:
        return text
    return XML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
