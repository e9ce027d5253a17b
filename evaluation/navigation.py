"""evaluation's entries in the main navigation (``portal.core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.navigation import register

register(50, "evaluation:index", _("绩效评价"), "i-award")
