"""Password rules beyond Django's own validators (length, common, numeric, similarity).

Graded protection level 3 (等保2.0) asks for passwords that mix character classes:
``CharacterClassValidator`` counts upper case, lower case, digits and symbols and wants
``min_classes`` of the four. ``DecoratedCommonPasswordValidator`` closes the gap that leaves:
``Password@123456`` has all four classes and is not on Django's list, but ``password`` is.
"""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CLASSES = (
    ("upper", str.isupper),
    ("lower", str.islower),
    ("digit", str.isdigit),
)


def character_classes(password: str) -> set[str]:
    """Which of upper, lower, digit, symbol the password uses (letters without case, such as
    Chinese characters, count as symbols: they are neither guessable case nor digits)."""
    found = set()
    for char in password:
        for name, test in CLASSES:
            if test(char):
                found.add(name)
                break
        else:
            if not char.isspace():
                found.add("symbol")
    return found


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        if not 1 <= min_classes <= 4:
            raise ValueError("min_classes must be between 1 and 4")
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "密码至少要包含大写字母、小写字母、数字、特殊符号中的 %(min)d 类。",
                    "密码至少要包含大写字母、小写字母、数字、特殊符号中的 %(min)d 类。",
                    self.min_classes,
                ),
                code="password_too_simple",
                params={"min": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("至少包含大写字母、小写字母、数字、特殊符号中的 %(min)d 类。") % {"min": self.min_classes}


# Digits, symbols and spaces at either end: the usual decoration of a common password.
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class DecoratedCommonPasswordValidator(CommonPasswordValidator):
    """A common password with digits or symbols added before or after it is still common."""

    def validate(self, password: str, user=None) -> None:
        plain = password.lower().strip()
        core = _DECORATION.sub("", plain)
        if core and core != plain and core in self.passwords:
            raise ValidationError(
                _("密码只是在常见密码前后加了数字或符号，容易被猜中。"),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("不能是常见密码，也不能只在常见密码前后加数字或符号。")
