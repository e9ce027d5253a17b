"""cases's entries in the main navigation (``portal.core.navigation``)."""

from django.utils.translation import gettext_lazy as _

from portal.core.navigation import register

register(10, "cases:index", _("问题清单"), "i-list")
register(15, "enforcement_cases:list", _("执法案件"), "i-list")
register(16, "enforcement_cases:clues", _("问题线索"), "i-list")
