"""complaints's entries in the main navigation (``portal.core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.navigation import register

register(20, "complaints:index", _("投诉举报"), "i-complaint")
