"""Reproducible random draws (双随机) that anyone can re-check: commit, then reveal.

The algorithm, in full (``verify_draw`` and anybody with the published record can redo it):

1. **Commit.** The eligible candidates (inspector codes, or unit ids for a target draw) are
   normalised: stripped, de-duplicated and sorted as strings. The candidate text is
   ``"activity:<id>\\nkind:<kind>\\nsize:<k>\\n"`` followed by one candidate per line, each
   ending in ``"\\n"``, UTF-8; its SHA-256 (hex) is the *candidate hash*. The list, the hash,
   the commit time (``committed_at``) and the named public value to come — a lottery draw
   (``value_source``, e.g. 福彩3D) on ``value_date``, a date **after** the commit day
   (Asia/Shanghai) — are stored and published before that value exists.
2. **Reveal.** On or after ``value_date`` the drawn number is entered. It is normalised by
   Unicode NFKC (full-width digits become ASCII digits) and by removing every white space,
   so "０３ ５ 7" and "0357" are the same value; it must then be digits only.
3. **Seed.** ``seed = SHA-256("<activity id>|<candidate hash>|<normalised value>")`` (hex).
4. **Stream.** Block i (i = 0, 1, ...) of the random stream is
   ``SHA-256(seed + ":" + str(i))`` (32 bytes). Integers are read as big-endian 8-byte chunks.
5. **Choice.** ``below(n)`` reads the next 8-byte integer x and rejects it while
   ``x >= 2**64 - (2**64 % n)`` (no modulo bias), returning ``x % n``. A partial
   Fisher–Yates shuffle of the sorted list: for j = 0 .. k-1, swap position j with position
   ``j + below(len - j)``. The first k positions, in that order, are the result.

A redraw (a member unable to go, with a reason) is a new commit and reveal with ``seq`` + 1;
earlier draws are kept and the count of redraws is on the published record.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

VALUE_RE = re.compile(r"^[0-9]{1,64}$")


def normalise_candidates(candidates: Iterable) -> list[str]:
    return sorted({str(c).strip() for c in candidates if str(c).strip()})


def candidate_text(activity_id: int, kind: str, size: int, candidates: Sequence[str]) -> str:
    head = f"activity:{activity_id}\nkind:{kind}\nsize:{size}\n"
    return head + "".join(f"{c}\n" for c in candidates)


def candidate_hash(activity_id: int, kind: str, size: int, candidates: Sequence[str]) -> str:
    return hashlib.sha256(candidate_text(activity_id, kind, size, candidates).encode()).hexdigest()


def normalise_value(raw: str) -> str:
    """The public value as the seed reads it; ValueError with a message when it is not one."""
    text = "".join(unicodedata.normalize("NFKC", raw or "").split())
    if not VALUE_RE.match(text):
        raise ValueError(_("开奖号码只能由数字组成（全角数字和空格可以），请按开奖公告原样输入。"))
    return text


def seed_of(activity_id: int, hash_hex: str, value: str) -> str:
    return hashlib.sha256(f"{activity_id}|{hash_hex}|{value}".encode()).hexdigest()


class Stream:
    """The seed's byte stream (step 4) and unbiased integers below n (step 5)."""

    def __init__(self, seed: str):
        self.seed = seed
        self.block = 0
        self.buffer = b""

    def _next64(self) -> int:
        if len(self.buffer) < 8:
            self.buffer += hashlib.sha256(f"{self.seed}:{self.block}".encode()).digest()
            self.block += 1
        chunk, self.buffer = self.buffer[:8], self.buffer[8:]
        return int.from_bytes(chunk, "big")

    def below(self, n: int) -> int:
        if n <= 0:
            raise ValueError("n must be positive")
        limit = 2**64 - (2**64 % n)
        while True:
            x = self._next64()
            if x < limit:
                return x % n


def pick(seed: str, candidates: Sequence[str], k: int) -> list[str]:
    """The first k of a partial Fisher–Yates shuffle of ``candidates`` driven by ``seed``."""
    if k > len(candidates):
        raise ValueError("more than the candidates")
    items = list(candidates)
    stream = Stream(seed)
    for j in range(k):
        r = j + stream.below(len(items) - j)
        items[j], items[r] = items[r], items[j]
    return items[:k]


@dataclass
class Check:
    ok: bool
    reasons: list[str]
    result: list[str]


def verify(draw) -> Check:
    """Recompute a stored draw: the hash of its list, the order of commitment and value, the
    seed and the result. Every reason for a mismatch is named."""
    from django.utils import timezone

    reasons: list[str] = []
    normalised = normalise_candidates(draw.candidates)
    if normalised != list(draw.candidates):
        reasons.append(_("候选名单未按规则规范化（去重、排序）。"))
    digest = candidate_hash(draw.activity_id, draw.kind, draw.size, normalised)
    if digest != draw.candidates_hash:
        reasons.append(
            _("候选名单的哈希 %(now)s 与固定时公布的 %(then)s 不一致：名单在固定后被改动。")
            % {"now": digest[:16], "then": draw.candidates_hash[:16]}
        )
    if timezone.localtime(draw.committed_at).date() >= draw.value_date:
        reasons.append(
            _("候选名单固定于 %(at)s，不早于开奖日 %(day)s：固定须在公开随机数产生之前。")
            % {"at": timezone.localtime(draw.committed_at).strftime("%Y-%m-%d %H:%M"), "day": draw.value_date}
        )
    if draw.revealed_at is None:
        reasons.append(_("尚未揭晓：开奖号码还未录入。"))
        return Check(False, reasons, [])
    if timezone.localtime(draw.revealed_at).date() < draw.value_date:
        reasons.append(_("揭晓时间早于开奖日。"))
    try:
        value = normalise_value(draw.value_raw or draw.value)
    except ValueError as exc:
        reasons.append(str(exc))
        return Check(False, reasons, [])
    if value != draw.value:
        reasons.append(_("规范化后的开奖号码与记录的不一致。"))
    seed = seed_of(draw.activity_id, draw.candidates_hash, value)
    if seed != draw.seed:
        reasons.append(_("由活动编号、哈希和开奖号码算出的种子与记录的不一致。"))
    result: list[str] = []
    if draw.size <= len(normalised):
        result = pick(seed, normalised, draw.size)
    if result != list(draw.result):
        reasons.append(
            _("重新计算的抽取结果 %(now)s 与记录的 %(then)s 不一致。") % {"now": result, "then": draw.result}
        )
    return Check(not reasons, reasons, result)
