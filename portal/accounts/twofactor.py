"""TOTP two-factor authentication (django-otp): who needs it, checking a code, enrolment.

A user with a confirmed device gives a code at every login. With ``PORTAL_REQUIRE_2FA`` on,
every staff user (``is_staff`` or any role) must also have one and a session verified by it
before reaching anything else (``middleware.TwoFactorRequiredMiddleware``), the admin site
included (``admin_site.PortalAdminSite``).
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp import devices_for_user, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

PENDING_KEY = "portal_totp_pending_key"  # the secret being enrolled, until a code proves it
TOLERANCE = 1  # one 30-second step either side, for phone clocks a little off


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or getattr(user, "roles", None)))


def session_verified(user) -> bool:
    """True when this session was verified by a device (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def two_factor_required(user) -> bool:
    return bool(settings.PORTAL_REQUIRE_2FA and is_staff_user(user))


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def clean_token(value) -> str | None:
    token = "".join(str(value or "").split())
    return token if token.isdigit() and 6 <= len(token) <= 8 else None


def verify(user, token: str):
    """The user's confirmed device that accepts ``token`` (once: a code cannot be replayed),
    or None. django-otp throttles a device after wrong codes."""
    token = clean_token(token)
    if token is None:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                return device
    return None


# --- enrolment ------------------------------------------------------------------------------


def pending_key(session, *, renew: bool = False) -> str:
    """The secret offered for enrolment, kept in the session until a code confirms it (no
    database row for enrolments that are never finished)."""
    key = session.get(PENDING_KEY)
    if renew or not key:
        key = random_hex(20)
        session[PENDING_KEY] = key
    return key


def check_pending(key: str, token: str) -> TOTP | None:
    """The TOTP state if ``token`` is a current code of ``key``, else None."""
    token = clean_token(token)
    if token is None:
        return None
    try:
        totp = TOTP(binascii.unhexlify(key))
    except (binascii.Error, ValueError):
        return None
    return totp if totp.verify(int(token), tolerance=TOLERANCE) else None


def base32_secret(key: str) -> str:
    return base64.b32encode(binascii.unhexlify(key)).decode("ascii")


def config_url(user, key: str) -> str:
    return TOTPDevice(user=user, key=key).config_url


def qr_svg(data: str) -> SafeString:
    """The QR code as inline SVG (no image request, no network: the intranet is offline)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    # The SVG comes from our own otpauth URI through qrcode's writer, not from user input.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308
