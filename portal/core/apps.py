from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        # Bind @shared_task to the configured app in every process (web, worker, beat).
        import portal.accounts.personal
        import portal.celery  # noqa: F401
        from portal.core import plugins

        # Every app's alerts, figures, documents, ledgers, public pages and navigation entries.
        plugins.autodiscover()
