from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("挂牌督办与执法监督")
    url_mounts = {"supervision/": "urls"}
