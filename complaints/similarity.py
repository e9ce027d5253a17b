"""Similar Chinese text without pg_trgm: character bigrams as an integer array.

A text is reduced to the set of its character bigrams (letters, digits and CJK characters
kept, everything else dropped, Latin letters lower-cased); each bigram of two BMP characters
is packed exactly into one int4 (``a << 16 | b``). Two texts are compared by the Jaccard
index of their sets, ``|A ∩ B| / |A ∪ B|``, computed in SQL (``JACCARD_SQL``) over the
candidates an index already narrowed down.
"""

from __future__ import annotations

import itertools
import unicodedata

MAX_BIGRAMS = 256  # a long description is judged by its first 256 distinct bigrams


def bigrams(*texts: str) -> list[int]:
    """The sorted distinct bigram codes of the texts (each text on its own: no bigram spans two)."""
    seen: set[int] = set()
    for text in texts:
        cleaned = [ch for ch in unicodedata.normalize("NFKC", text or "").lower() if ch.isalnum() and ch <= "\uffff"]
        for a, b in itertools.pairwise(cleaned):
            code = (ord(a) << 16) | ord(b)
            seen.add(code - (1 << 32) if code >= (1 << 31) else code)  # as a signed int4
            if len(seen) >= MAX_BIGRAMS:
                return sorted(seen)
    return sorted(seen)


def jaccard(a: list[int], b: list[int]) -> float:
    """The same measure in Python (tests, and ranking a handful of rows already in memory)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)
