from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = _("提醒与预警")

    def ready(self) -> None:
        from portal.notifications import checks, signals  # noqa: F401 - settings checks; redispatch at worker start
