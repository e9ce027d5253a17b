"""The ground floor knows no domain: no module under ``portal/`` imports an app above it.

Domain apps plug their alerts, figures, documents and navigation into portal's registries
(``portal/core/plugins.py``); portal's own tests and migrations may name them (fixtures,
historical state), nothing else may. The check reads the source with ``ast``, so an import
inside a function and ``import_module("cases...")`` with a literal name are caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
DOMAIN_APPS = ("cases", "complaints", "supervision", "evaluation")


def _portal_modules() -> list[Path]:
    return sorted(
        path for path in PORTAL.rglob("*.py") if not {"tests", "migrations"} & set(path.relative_to(PORTAL).parts[:-1])
    )


def _is_domain(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in DOMAIN_APPS


def domain_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a domain app in ``source``: ``import x``,
    ``from x import y``, and ``import_module("x...")`` / ``__import__("x")`` with a literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _is_domain(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_domain(node.module):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            argument = node.args[0].value
            if name in {"import_module", "__import__"} and isinstance(argument, str) and _is_domain(argument):
                found.append((node.lineno, argument))
    return found


def test_no_module_of_the_ground_floor_imports_a_domain_app():
    modules = _portal_modules()
    assert len(modules) > 50, "the walk must see portal's modules"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in modules
        for line, module in domain_imports(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "portal/ must not import a domain app; register through portal's registries:\n" + "\n".join(
        offenders
    )


@pytest.mark.parametrize(
    "source",
    [
        "import cases.models",
        "from complaints.crypto import encrypt",
        "def f():\n    from supervision import models\n",
        "import importlib\nimportlib.import_module('evaluation.figures')",
        "x = __import__('cases')",
    ],
)
def test_the_check_catches_every_form_of_import(source):
    assert domain_imports(source), source


@pytest.mark.parametrize(
    "source",
    [
        "from portal.core import plugins",
        "import casesx",
        "from . import cases",
        "name = 'cases.models'",
    ],
)
def test_the_check_leaves_other_imports_alone(source):
    assert not domain_imports(source), source
