"""service's entry in the main navigation (``portal.core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.navigation import register

register(55, "service:index", _("执法为民"), "i-user")
register(56, "service:mine", _("我的联系与驻点"), "i-user")  # leaders: their own days and visits
