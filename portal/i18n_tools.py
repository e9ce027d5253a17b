"""The English locale without GNU gettext: extract, check, update and compile.

The source language is Chinese; ``locale/en/LC_MESSAGES/django.po`` holds the English
translation of every translatable string and ``django.mo`` is committed next to it, so a fresh
machine needs neither ``xgettext`` nor ``msgfmt``::

    python -m portal.i18n_tools check     # msgids with no English translation; exit 1 if any
    python -m portal.i18n_tools update    # add new msgids to the .po (empty), drop vanished ones
    python -m portal.i18n_tools compile   # .po -> .mo, in pure Python (Babel)

Extraction follows Django's own rules closely enough for this codebase: Python files are read
with ``ast`` (calls to the gettext family, resolving ``from django.utils.translation import
gettext_lazy as _`` and friends), templates are passed through Django's ``templatize`` (the
function ``makemessages`` uses), so ``{% translate %}``, ``{% blocktranslate %}`` with
``trimmed``/``context``/``plural`` and ``_("...")`` in filters give the same msgids the template
engine looks up at run time.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import gettext as gnu_gettext
import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

BASE_DIR = Path(__file__).resolve().parent.parent
# Every top-level package of the project (portal and the domain apps) and the templates.
SOURCE_DIRS = tuple(
    sorted(
        path.name
        for path in BASE_DIR.iterdir()
        if (path / "__init__.py").exists() and path.name not in {"bench", "tests", "deploy"}
    )
)
TEMPLATE_SUFFIXES = {".html", ".txt"}
SKIP_DIRS = {"migrations", "tests", "__pycache__", "static", "node_modules"}
DOMAIN = "django"
TARGET_LOCALES = ("en",)

# Argument roles of each gettext function: which positional argument is the context, the
# singular and the plural.
_ROLES = {
    "gettext": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "pgettext": ("context", "msgid"),
    "npgettext": ("context", "msgid", "plural"),
}
GETTEXT_FUNCTIONS = {
    **{name: name for name in _ROLES},
    **{f"{name}_lazy": name for name in _ROLES},
    "gettext_noop": "gettext",
}
TRANSLATION_MODULE = "django.utils.translation"

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL_PLACEHOLDER = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")


@dataclass
class Message:
    msgid: str
    context: str | None = None
    plural: str | None = None
    locations: set[tuple[str, int]] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)

    def where(self) -> str:
        return ", ".join(f"{path}:{line}" for path, line in sorted(self.locations)[:3])


@dataclass
class Extraction:
    messages: dict[tuple[str | None, str], Message] = field(default_factory=dict)
    # Calls whose argument can never be found in a catalog (an f-string, _('...' % x)).
    problems: list[str] = field(default_factory=list)

    def add(self, msgid: str, *, context: str | None, plural: str | None, path: str, line: int) -> None:
        if not msgid:
            return
        message = self.messages.setdefault((context, msgid), Message(msgid, context, plural))
        message.plural = message.plural or plural
        message.locations.add((path, line))


# --- extraction -------------------------------------------------------------------------------


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(root: Path, suffixes: set[str]) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.suffix not in suffixes or not path.is_file():
            continue
        if SKIP_DIRS.intersection(part for part in path.relative_to(root).parts[:-1]):
            continue
        yield path


def python_files(base_dir: Path = BASE_DIR) -> Iterator[Path]:
    for name in SOURCE_DIRS:
        for path in _walk(base_dir / name, {".py"}):
            if path.name.startswith("test_") or path.name == "conftest.py" or "templates" in path.parts:
                continue
            yield path


def template_files(base_dir: Path = BASE_DIR) -> Iterator[Path]:
    yield from _walk(base_dir / "templates", TEMPLATE_SUFFIXES)
    for name in SOURCE_DIRS:
        for templates in sorted((base_dir / name).rglob("templates")):
            if templates.is_dir() and not SKIP_DIRS.intersection(templates.relative_to(base_dir).parts):
                yield from _walk(templates, TEMPLATE_SUFFIXES)


def _gettext_names(tree: ast.AST) -> tuple[dict[str, str], set[str]]:
    """Local names bound to gettext functions, and local names of the translation module."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == TRANSLATION_MODULE:
            for alias in node.names:
                if alias.name in GETTEXT_FUNCTIONS:
                    functions[alias.asname or alias.name] = GETTEXT_FUNCTIONS[alias.name]
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules.update(alias.asname or alias.name for alias in node.names if alias.name == "translation")
        elif isinstance(node, ast.Import):
            modules.update(alias.asname for alias in node.names if alias.name == TRANSLATION_MODULE and alias.asname)
    return functions, modules


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(source: str, path: str, into: Extraction) -> None:
    tree = ast.parse(source, filename=path)
    functions, modules = _gettext_names(tree)
    if not functions and not modules:
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in functions:
            kind = functions[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
            and func.attr in GETTEXT_FUNCTIONS
        ):
            kind = GETTEXT_FUNCTIONS[func.attr]
        else:
            continue
        roles = dict(zip(_ROLES[kind], node.args, strict=False))
        for keyword in node.keywords:
            if keyword.arg in {"message", "singular"}:
                roles["msgid"] = keyword.value
            elif keyword.arg == "plural":
                roles["plural"] = keyword.value
            elif keyword.arg == "context":
                roles["context"] = keyword.value
        msgid_node = roles.get("msgid")
        msgid = _string(msgid_node)
        if msgid is None:
            if isinstance(msgid_node, ast.JoinedStr):
                into.problems.append(f"{path}:{node.lineno}: an f-string inside {kind}() is never translated")
            elif isinstance(msgid_node, ast.BinOp) and _string(msgid_node.left) is not None:
                into.problems.append(
                    f"{path}:{node.lineno}: formatted before translating, {kind}('...' % ...), is never translated;"
                    f" write {kind}('...') % ..."
                )
            continue
        into.add(
            msgid,
            context=_string(roles.get("context")),
            plural=_string(roles.get("plural")),
            path=path,
            line=node.lineno,
        )


_LITERAL = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_TEMPLATIZED_CALL = re.compile(
    rf"(?<![\w.])(?P<func>gettext|ngettext|pgettext|npgettext|_)\(\s*(?P<args>{_LITERAL}(?:\s*,\s*{_LITERAL})*)"
)
_LITERAL_RE = re.compile(_LITERAL)


def extract_template(source: str, path: str, into: Extraction) -> None:
    # Imported here so the module loads without Django on the path (only templates need it).
    from django.utils.translation.template import templatize

    text = templatize(source, origin=path)
    for match in _TEMPLATIZED_CALL.finditer(text):
        func = "gettext" if match["func"] == "_" else match["func"]
        args = [ast.literal_eval(literal) for literal in _LITERAL_RE.findall(match["args"])]
        roles = dict(zip(_ROLES[func], args, strict=False))
        if "msgid" not in roles:
            continue
        into.add(
            roles["msgid"],
            context=roles.get("context"),
            plural=roles.get("plural"),
            path=path,
            line=text.count("\n", 0, match.start()) + 1,
        )


def extract(base_dir: Path = BASE_DIR) -> Extraction:
    """Every translatable string of the project's Python files and templates."""
    result = Extraction()
    for path in python_files(base_dir):
        extract_python(path.read_text(encoding="utf-8"), _relative(path, base_dir), result)
    for path in template_files(base_dir):
        extract_template(path.read_text(encoding="utf-8"), _relative(path, base_dir), result)
    return result


# --- catalogs ---------------------------------------------------------------------------------


def po_path(locale: str, base_dir: Path = BASE_DIR) -> Path:
    return base_dir / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str, base_dir: Path = BASE_DIR) -> Path:
    return po_path(locale, base_dir).with_suffix(".mo")


def read_catalog(locale: str, base_dir: Path = BASE_DIR) -> Catalog:
    path = po_path(locale, base_dir)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, fuzzy=False)
    with path.open("rb") as fileobj:
        return read_po(fileobj, locale=locale, domain=DOMAIN, abort_invalid=True)


def _catalog_keys(catalog: Catalog) -> Iterator[tuple[str | None, str]]:
    for entry in catalog:
        if entry.id:
            yield entry.context, entry.id if isinstance(entry.id, str) else entry.id[0]


def _is_translated(string: str | tuple[str, ...] | None) -> bool:
    if isinstance(string, (list, tuple)):
        return bool(string) and all(string)
    return bool(string)


def _placeholders(text: str) -> tuple[set[str], int, set[str]]:
    return (
        set(NAMED_PLACEHOLDER.findall(text)),
        len(POSITIONAL_PLACEHOLDER.findall(text.replace("%%", ""))),
        set(BRACE_PLACEHOLDER.findall(text)),
    )


def translation_errors(msgid: str, string: str) -> list[str]:
    """What would break or be wrong at run time with this translation."""
    errors = []
    named, positional, braces = _placeholders(msgid)
    t_named, t_positional, t_braces = _placeholders(string)
    if t_named - named:
        errors.append(f"placeholders not in the source: {sorted(t_named - named)}")
    if positional != t_positional:
        errors.append(f"{t_positional} positional placeholders, the source has {positional}")
    if t_braces - braces:
        errors.append(f"brace placeholders not in the source: {sorted(t_braces - braces)}")
    if CJK.search(string):
        errors.append("Chinese characters left in the English text")
    return errors


@dataclass
class Report:
    missing: list[Message]
    fuzzy: list[Message]
    invalid: list[tuple[Message, str]]
    unused: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.fuzzy or self.invalid or self.problems)

    def lines(self) -> Iterator[str]:
        for message in self.missing:
            yield f"untranslated: {message.msgid!r} ({message.where()})"
        for message in self.fuzzy:
            yield f"fuzzy, needs review: {message.msgid!r} ({message.where()})"
        for message, error in self.invalid:
            yield f"invalid: {message.msgid!r}: {error}"
        yield from self.problems


def check(locale: str = "en", base_dir: Path = BASE_DIR, extraction: Extraction | None = None) -> Report:
    extraction = extraction or extract(base_dir)
    catalog = read_catalog(locale, base_dir)
    missing, fuzzy, invalid = [], [], []
    for key in sorted(extraction.messages, key=lambda k: (k[0] or "", k[1])):
        message = extraction.messages[key]
        entry = catalog.get(message.msgid, context=message.context)
        if entry is None or not _is_translated(entry.string):
            missing.append(message)
            continue
        if entry.fuzzy:
            fuzzy.append(message)
        sources = [message.msgid, message.plural or message.msgid]
        strings = entry.string if isinstance(entry.string, (list, tuple)) else [entry.string]
        for index, string in enumerate(strings):
            for error in translation_errors(sources[min(index, 1)], string):
                invalid.append((message, error))
    known = set(extraction.messages)
    unused = [msgid for context, msgid in _catalog_keys(catalog) if (context, msgid) not in known]
    return Report(missing, fuzzy, invalid, unused, list(extraction.problems))


def template_catalog(extraction: Extraction, locale: str) -> Catalog:
    template = Catalog(locale=locale, domain=DOMAIN, fuzzy=False)
    for message in extraction.messages.values():
        msgid = (message.msgid, message.plural) if message.plural else message.msgid
        template.add(msgid, locations=sorted(message.locations), context=message.context)
    return template


PO_HEADER = """# English translation of the Henan transport enforcement supervision portal.
# The source language is Chinese (zh-hans). Edit msgstr only; then run
#   python -m portal.i18n_tools update && python -m portal.i18n_tools compile
#"""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def write_catalog(catalog: Catalog, locale: str, base_dir: Path = BASE_DIR) -> Path:
    path = po_path(locale, base_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.header_comment = PO_HEADER
    catalog.project = "henan-enforcement-portal"
    catalog.version = "1.0"
    catalog.msgid_bugs_address = "portal@jtt.henan.gov.cn"
    catalog.last_translator = "Portal team <portal@jtt.henan.gov.cn>"
    catalog.language_team = "Portal team <portal@jtt.henan.gov.cn>"
    catalog.fuzzy = False
    if not isinstance(catalog.revision_date, datetime.datetime):
        catalog.revision_date = _now()
    buffer = io.BytesIO()
    # No line numbers: moving code does not churn the .po; sorted: merges stay small.
    write_po(buffer, catalog, width=0, sort_output=True, ignore_obsolete=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())
    return path


def update(locale: str = "en", base_dir: Path = BASE_DIR) -> tuple[Path, int, int]:
    """Merge the source's msgids into the .po: new ones empty, changed ones fuzzy, gone ones out."""
    extraction = extract(base_dir)
    catalog = read_catalog(locale, base_dir)
    before = set(_catalog_keys(catalog))
    template = template_catalog(extraction, locale)
    template.creation_date = catalog.creation_date
    # No fuzzy matching: between short Chinese labels its guesses are mostly wrong ("上传时间"
    # for "处理时间"); a new msgid starts empty and the check lists it.
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    added = len(set(extraction.messages) - before)
    removed = len(before - set(extraction.messages))
    if added or removed:
        catalog.revision_date = _now()
    path = write_catalog(catalog, locale, base_dir)
    return path, added, removed


def compile_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalog(locale: str = "en", base_dir: Path = BASE_DIR) -> Path:
    path = mo_path(locale, base_dir)
    path.write_bytes(compile_bytes(read_catalog(locale, base_dir)))
    return path


def mo_messages(data: bytes) -> dict:
    """The messages a compiled catalog holds, as Python's gettext (and so Django) reads them."""
    return dict(gnu_gettext.GNUTranslations(io.BytesIO(data))._catalog)


# --- command line -----------------------------------------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.i18n_tools", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "update", "compile"])
    parser.add_argument("--locale", action="append", help="default: every target locale (en)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    locales = args.locale or list(TARGET_LOCALES)
    status = 0
    for locale in locales:
        if args.command == "update":
            path, added, removed = update(locale)
            print(f"{_relative(path, BASE_DIR)}: {added} new msgids (translate them), {removed} removed")
        elif args.command == "compile":
            path = compile_catalog(locale)
            print(f"{_relative(path, BASE_DIR)}: compiled")
        report = check(locale)
        for line in report.lines():
            print(f"{locale}: {line}")
        if args.command == "check":
            counts = f"{len(report.missing)} untranslated, {len(report.fuzzy)} fuzzy, {len(report.invalid)} invalid"
            print(f"{locale}: {counts}")
        if args.command == "check" and not report.ok:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
