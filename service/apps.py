from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("执法为民")
    url_mounts = {"service/": "urls", "public/": "public_urls"}
