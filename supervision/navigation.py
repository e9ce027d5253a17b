"""supervision's entries in the main navigation (``portal.core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.navigation import register

register(30, "supervision:index", _("挂牌督办/执法监督"), "i-flag")
register(40, "supervision:risks", _("风险预警"), "i-alert")
