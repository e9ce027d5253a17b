from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("问题清单与整改")
    url_mounts = {"cases/": "urls", "dashboard/": "urls_overdue", "enforcement-cases/": "enforcement.urls"}
