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
        from portal.core.text import install_boundary

        # What text the portal stores, decided once for every form and API field.
        install_boundary()

        # Every app's alerts, figures, documents and navigation entries.
        plugins.autodiscover()
