"""What the OpenAPI schema says about input, beyond what drf-spectacular reads off a serializer.

A client generated from the schema should send requests the API accepts. Three things the
serializers enforce are invisible to drf-spectacular, so they are stated here once:

1. **Stored text** (``portal.core.text``): every string a request body carries is refused when it
   holds a C0 control character (but tab, LF, CR) or a Unicode non-character, and a required text
   must hold more than whitespace. ``stored_text_patterns`` (a postprocessing hook) gives every
   free-text property of a request body the matching ``pattern``.
2. **Conditional rules** ("a reason is required for these moves", "a refusal needs a note"):
   ``one_of`` turns an object schema into a ``oneOf`` of variants keyed by one property, each
   variant naming what it requires. Serializers use it through an ``OpenApiSerializerExtension``.
3. **Formats a regex cannot state** (named ``format`` values, listed in ``FORMATS`` and in the
   schema's description): a resident ID number with its GB 11643 check character, and dates
   that must lie in a window relative to today. OpenAPI lets a schema name its own formats;
   clients that do not know them still see a string and read the description.
"""

from __future__ import annotations

import copy

from drf_spectacular.utils import extend_schema_field

# The characters portal.core.text refuses, as a JSON-Schema (ECMA 262) character class body.
# Astral non-characters are left out of the pattern (a regex class over surrogate pairs differs
# between engines); they are still refused, with a 400 naming the field.
_REFUSED_CLASS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufdd0-\\ufdef\\ufffe\\uffff"
TEXT_PATTERN = f"^[^{_REFUSED_CLASS}]*$"
NON_BLANK_TEXT_PATTERN = f"^\\s*[^\\s{_REFUSED_CLASS}][^{_REFUSED_CLASS}]*$"

FORMATS = {
    "cn-resident-id": "居民身份证号码：18 位，末位为 GB 11643 校验码（0–9 或 X）；旧式 15 位数字亦可",
    "date-not-future": "ISO 日期（YYYY-MM-DD），不晚于今天、不早于 2000-01-01",
    "date-future": "ISO 日期（YYYY-MM-DD），晚于今天、两年以内",
    "date-time-recent": "ISO 8601 日期时间（带时区），一年以内且不晚于现在",
    "http-url": "以 http:// 或 https:// 开头、带主机名的网址",
}
# The shape of each format as a pattern too, for validators and generators that skip unknown formats.
FORMAT_SHAPES = {
    "cn-resident-id": "^([0-9]{17}[0-9X]|[0-9]{15})$",
    "date-not-future": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "date-future": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "date-time-recent": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}",
    "http-url": "^https?://[^/?#\\s]+",
}
FORMATS_DESCRIPTION = "\n\nFormats named by this schema (string values):\n" + "\n".join(
    f"- `{name}`: {meaning}" for name, meaning in FORMATS.items()
)


def formatted(name: str, field, **extra):
    """``field`` documented as a string of the named format (one of ``FORMATS``)."""
    assert name in FORMATS, name
    # Fields that also take null are documented as strings only: a client omits them instead
    # (null and omission mean the same for every such field), and "nullable" would hide the
    # format from generators that rewrite it as anyOf.
    schema = {"type": "string", "format": name, "pattern": FORMAT_SHAPES[name], **extra}
    help_text = getattr(field, "help_text", None)
    schema["description"] = f"{help_text}（{FORMATS[name]}）" if help_text else FORMATS[name]
    return documented(schema, field)


def documented(schema: dict, field):
    """``field`` documented by ``schema``. The override sits on a subclass made for this field:
    a serializer deep-copies its declared fields by re-instantiating their class, which keeps a
    class annotation but drops one set on the instance."""
    cls = type(field)
    subclass = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    extend_schema_field(schema)(subclass)
    field.__class__ = subclass
    return field


# A variant's narrowed choices are written as "x-portal-enum" and become "enum" only after
# drf-spectacular's enum hook has run: that hook names one shared component per field name, which
# would give every variant the same (full) choice set.
_NARROWED = "x-portal-enum"


def _narrow(prop: dict, values: list) -> dict:
    prop = {k: v for k, v in prop.items() if k not in ("enum", "x-spec-enum-id", "pattern", "$ref")}
    prop[_NARROWED] = list(values)
    return prop


def one_of(schema: dict, key: str, variants: list[tuple]) -> dict:
    """``schema`` (an object) as a oneOf: one variant per group of ``key`` values, each variant
    requiring its listed properties (required strings then need more than whitespace and
    required ids may not be null). ``variants`` is [(values of key, properties required)] or
    [(values, required, {property: schema changes})] where a variant narrows a property."""
    branches = []
    for values, required, *narrowed in variants:
        branch = copy.deepcopy(schema)
        properties = branch.setdefault("properties", {})
        for name, changes in (narrowed[0] if narrowed else {}).items():
            changes = dict(changes)
            values_of_name = changes.pop("enum", None)
            properties[name] = {**properties[name], **changes}
            if values_of_name is not None:
                properties[name] = _narrow(properties[name], values_of_name)
        properties[key] = _narrow(properties.get(key, {}), values)
        for name in required:
            prop = properties[name]
            prop.pop("nullable", None)
            if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
                prop["minLength"] = max(prop.get("minLength", 0), 1)
                prop["pattern"] = NON_BLANK_TEXT_PATTERN
        branch["required"] = sorted({*branch.get("required", []), key, *required})
        branch.pop("description", None)
        branches.append(branch)
    return {"oneOf": branches, "description": schema.get("description", "")}


def _free_text(prop: dict) -> bool:
    return (
        prop.get("type") == "string"
        and not prop.get("readOnly")
        and not {"enum", "format", "pattern", "const"} & prop.keys()
    )


def _always_required(schema, components: dict) -> bool:
    """A oneOf body whose every variant requires a property: the body itself is required
    (drf-spectacular only sees the top level's "required")."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[1])
    variants = (schema or {}).get("oneOf")
    return bool(variants) and all(variant.get("required") for variant in variants)


def _unhide_narrowed(node) -> None:
    if isinstance(node, list):
        for item in node:
            _unhide_narrowed(item)
    elif isinstance(node, dict):
        if _NARROWED in node:
            node["enum"] = node.pop(_NARROWED)
        for value in node.values():
            _unhide_narrowed(value)


def _add_patterns(node, seen: set[int], components: dict) -> None:
    if isinstance(node, list):
        for item in node:
            _add_patterns(item, seen, components)
        return
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        _add_patterns(components.get(ref.rsplit("/", 1)[1]), seen, components)
    required = set(node.get("required") or ())
    for name, prop in (node.get("properties") or {}).items():
        if isinstance(prop, dict) and _free_text(prop):
            # a required text field refuses blank (DRF's allow_blank=False), which drf-spectacular
            # does not state
            if name in required:
                prop["minLength"] = max(prop.get("minLength", 0), 1)
            prop["pattern"] = NON_BLANK_TEXT_PATTERN if prop.get("minLength", 0) >= 1 else TEXT_PATTERN
    for key in ("properties", "items", "oneOf", "anyOf", "allOf", "additionalProperties"):
        child = node.get(key)
        if key == "properties" and isinstance(child, dict):
            _add_patterns(list(child.values()), seen, components)
        elif child is not None and not isinstance(child, bool):
            _add_patterns(child, seen, components)


def stored_text_patterns(result, generator, request, public):
    """drf-spectacular postprocessing hook: free-text properties of every request body state the
    storing rule as a ``pattern``; the schema's description lists the named formats."""
    components = result.get("components", {}).get("schemas", {})
    _unhide_narrowed(components)
    seen: set[int] = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody") or {}
            for media in body.get("content", {}).values():
                _add_patterns(media.get("schema"), seen, components)
                if _always_required(media.get("schema"), components):
                    body["required"] = True
    info = result.setdefault("info", {})
    if FORMATS_DESCRIPTION not in info.get("description", ""):
        info["description"] = info.get("description", "") + FORMATS_DESCRIPTION
    return result
