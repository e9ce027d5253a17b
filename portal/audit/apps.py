from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from portal.audit import signals  # noqa: F401 - login, logout and failed-login events
