"""How the domain apps plug into the ground floor.

``portal/`` offers registries and never imports an app above it (a test keeps it so:
``tests/test_ground_floor.py``). Each app contributes its entries in modules with the same
names in every app, imported at start-up the way Django's admin finds ``admin.py``:

============== ===================================== =========================================
module         registry                              what it holds
============== ===================================== =========================================
``alerts``     ``portal.notifications.sources``      time limits that owe alerts (``@register``)
``figures``    ``portal.dashboards.registry``        dashboard sections, named figures and the
                                                     summary tables behind them
``documents``  ``portal.documents.registry``         official .docx documents and their numbers
``navigation`` ``portal.core.navigation``            entries of the main navigation
============== ===================================== =========================================

Shared mechanisms an app uses rather than registers with: Excel workbooks read safely
(``portal.imports.xlsx``), Word documents (``portal.documents``), personal-data encryption,
keyed hashes and masking (``portal.core.crypto``, ``fields``, ``masking``). A registry of import
ledgers and of public pages will join the table when a second app needs one (case data, the
public site); until then the problem ledger's import job stays in ``cases``.

Adding a domain means adding an app with those files (and its line in ``INSTALLED_APPS``);
nothing under ``portal/`` changes. URLs follow the same rule: an app config's ``url_mounts``
({prefix: module relative to the app}) are mounted by ``portal/urls.py``, its ``api/urls.py``
under ``/api/v1/`` (``portal/api_urls.py``), and its ``schedule.py`` joins the Celery beat
schedule (``portal/settings/base.py``).
"""

from __future__ import annotations

from importlib.util import find_spec

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

PLUGIN_MODULES = ("alerts", "figures", "documents", "navigation")


def autodiscover() -> None:
    """Import every app's plugin modules (``CoreConfig.ready``; idempotent)."""
    autodiscover_modules(*PLUGIN_MODULES)


def has_module(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def apps_with(module: str) -> list[str]:
    """Dotted names ``<app>.<module>`` of the installed apps that have such a module, in
    ``INSTALLED_APPS`` order."""
    return [f"{config.name}.{module}" for config in apps.get_app_configs() if has_module(f"{config.name}.{module}")]


def url_mounts() -> list[tuple[str, str]]:
    """(URL prefix, dotted urls module) of every app config's ``url_mounts``, e.g.
    ``{"cases/": "urls"}`` mounts ``cases.urls`` at ``/cases/``."""
    mounted = []
    for config in apps.get_app_configs():
        for prefix, module in getattr(config, "url_mounts", {}).items():
            mounted.append((prefix, f"{config.name}.{module}"))
    return mounted
