"""Production settings: every secret from the environment, HTTPS only, checks enforced.

``manage.py check --deploy`` passes with zero warnings under these settings (a test proves it).
The portal runs behind a TLS-terminating proxy (``deploy/nginx.conf``) that sets
``X-Forwarded-Proto``; gunicorn must not be reachable from anywhere else.
"""

from portal.settings.base import *  # noqa: F403
from portal.settings.env import SettingError, env, env_bool, env_int

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
# The same bar as Django's security.W009: 50+ characters, 5+ different ones, not a generated dev key.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise SettingError(
        "SECRET_KEY is missing or too short for production; set it to 50+ random characters, e.g. "
        "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not env.str("ALLOWED_HOSTS", default=""):
    raise SettingError(
        "ALLOWED_HOSTS is not set; production answers only the host names it is given, "
        "e.g. ALLOWED_HOSTS=zfjd.jtt.henan.gov.cn."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Container and load-balancer probes call /healthz, Prometheus /metrics, over plain HTTP inside
# the network (/metrics answers only METRICS_ALLOWED_IPS).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Every staff user enrols and verifies a TOTP device (portal.accounts); REQUIRE_2FA=false only
# for a first set-up without devices yet.
PORTAL_REQUIRE_2FA = env_bool("REQUIRE_2FA", True)
