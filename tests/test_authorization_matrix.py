"""The authorization matrix: every URL pattern and every API route, tried by every kind of
actor against objects in every region, compared with what the scoping rule allows.

Routes come from the resolver (DRF routers included), so a new route joins automatically;
a route this test cannot classify or reach fails it. Expectations:
- public routes answer everyone without a server error;
- other routes send anonymous users to the login page (API: 401/403);
- a signed-in actor without the route's capability gets the same 404 as a missing page;
- on routes over a region-scoped model, detail pages of out-of-scope objects answer exactly
  like a missing object (status and body), list pages never show an out-of-scope object's
  marker and do show in-scope ones; writes to out-of-scope objects change nothing;
- routes that name a region (a ``region_code`` kwarg, e.g. a region's dashboard) are tried
  with every region of the matrix like objects: out-of-scope codes answer like a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.accounts.access import AccessRule, ScopedViewSetMixin
from portal.accounts.models import Role, User
from portal.regions.models import Region
from tests.matrix_objects import FACTORIES, LIST_QUERIES, REGIONS, marker

pytestmark = pytest.mark.django_db

MISSING_PK = 987654321
# Public lookups by a key the caller holds (Open311's service_request_id is a tracking number):
# tried with a key nobody has, so a 404 there is the route's own answer, not an unreachable route.
PUBLIC_LOOKUPS = {"service_request_id": "NO-SUCH-REQUEST"}
REGION_KWARG = "region_code"  # a route showing a region's subtree: tried with REGIONS' codes
CSRF_RE = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@dataclass
class Actor:
    name: str
    region: str | None = None
    roles: list[str] = field(default_factory=list)
    staff: bool = False
    user: User | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None


ACTORS = [
    Actor("province_admin", "410000", [Role.PROVINCE_ADMIN], staff=True),
    Actor("province_staff", "410000", [Role.PROVINCE_STAFF]),
    Actor("city_a", "410100", [Role.CITY_STAFF]),
    Actor("city_b", "410300", [Role.CITY_STAFF]),
    Actor("county_a1", "410105", [Role.COUNTY_OFFICER]),
    Actor("county_a2", "410122", [Role.COUNTY_OFFICER]),
    Actor("county_b1", "410303", [Role.COUNTY_OFFICER]),
    Actor("auditor_province", "410000", [Role.SECURITY_AUDITOR]),
    Actor("auditor_city_a", "410100", [Role.SECURITY_AUDITOR]),
    Actor("security_admin_city_a", "410100", [Role.SECURITY_ADMIN], staff=True),
    Actor("leader_a1", "410105", [Role.LEADER]),  # issue 20: the dashboard and its own station days/visits
    Actor("anonymous"),
]


@dataclass
class Route:
    pattern: str
    name: str | None
    callback: object
    kwargs: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or self.pattern


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield Route(prefix + str(entry.pattern), name, entry.callback, kwargs)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def rule_of(route: Route) -> AccessRule | str | None:
    callback = route.callback
    if (
        getattr(callback, "model_admin", None) is not None
        or (route.name or "").startswith("admin:")
        or (route.pattern.startswith("admin/"))
    ):
        return "admin"
    if hasattr(callback, "access_rule"):
        return callback.access_rule
    cls = getattr(callback, "cls", None)
    if cls is not None:
        if hasattr(cls, "access_rule"):
            return cls.access_rule
        if issubclass(cls, ScopedViewSetMixin):
            model = cls.queryset.model
            if cls.read_cap is None:
                return AccessRule("signed_in", None, model)
            return AccessRule("cap", cls.read_cap, model)
        if cls.__name__ == "APIRootView":
            return AccessRule("signed_in")
    return None


@pytest.fixture
def world(db):
    paths = dict(Region.objects.values_list("code", "path"))
    for actor in ACTORS:
        actor.user = None
        if actor.region:
            actor.user = User.objects.create_user(
                f"m_{actor.name}",
                password="Matrix#Pass2026",
                region_id=actor.region,
                roles=actor.roles,
                is_staff=actor.staff,
                is_superuser=actor.staff,
            )
    objects = {model: {code: factory(code) for code in REGIONS} for model, factory in FACTORIES.items()}
    return paths, objects


def in_scope(actor: Actor, code: str, paths) -> bool:
    if actor.anonymous:
        return False
    return paths[code].startswith(paths[actor.region])


def client_for(actor: Actor) -> Client:
    client = Client(raise_request_exception=False)
    if not actor.anonymous:
        client.force_login(actor.user)
    return client


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def normalise(body: bytes, path: str = "") -> str:
    """The body without what legitimately differs between two requests: CSRF tokens, and the
    requested path itself (the language switch sends you back to where you were)."""
    text = CSRF_RE.sub(r"\1<token>", body.decode("utf-8", "replace"))
    return text.replace(path, "<path>") if path else text


def url_for(route: Route, pk=None) -> str | None:
    kwargs = {}
    for name in route.kwargs:
        if name in ("pk", "id", "object_id", REGION_KWARG):
            kwargs[name] = pk if pk is not None else MISSING_PK
        elif name == "format":
            kwargs[name] = "json"
        elif name in PUBLIC_LOOKUPS:
            kwargs[name] = PUBLIC_LOOKUPS[name]
        else:
            return None
    return reverse(route.name, kwargs=kwargs) if route.name else None


def check_denied(response, actor: Actor, api: bool) -> str | None:
    if actor.anonymous:
        if api and response.status_code in (401, 403):
            return None
        if response.status_code == 302 and "/accounts/login/" in response["Location"]:
            return None
        return f"anonymous got {response.status_code}, expected the login page"
    if response.status_code != 404:
        return f"expected 404, got {response.status_code}"
    return None


def test_every_route_answers_as_the_scoping_rule_says(world):
    paths, objects = world
    routes = all_routes()
    unreached, failures = [], []
    tried = 0
    out_of_scope_pairs = 0
    # The matrix means something only if out-of-scope data exists for everyone below province.
    for actor in ACTORS:
        if actor.region and actor.region != "410000":
            assert any(not in_scope(actor, code, paths) for code in REGIONS), actor.name

    clients = {actor.name: client_for(actor) for actor in ACTORS}
    missing_bodies: dict[tuple[str, str], tuple[int, str]] = {}

    for route in routes:
        rule = rule_of(route)
        if rule is None:
            unreached.append(f"{route.label}: no access rule (decorate with public/signed_in/needs)")
            continue
        if rule == "admin":
            continue  # the admin site has its own matrix below
        api = route.pattern.startswith("api/")
        is_detail = any(k in ("pk", "id", "object_id", REGION_KWARG) for k in route.kwargs)
        region_route = REGION_KWARG in route.kwargs
        if is_detail and rule.model is None and not region_route:
            # Reference data open to every signed-in user (regions, domains): try one real row.
            if rule.kind != "signed_in" or getattr(route.callback, "cls", None) is None:
                unreached.append(f"{route.label}: detail route without a scoped model")
                continue
            sample = route.callback.cls.queryset.first()
            for actor in ACTORS:
                tried += 1
                response = clients[actor.name].get(url_for(route, sample.pk))
                problem = (
                    check_denied(response, actor, api)
                    if actor.anonymous
                    else (None if response.status_code == 200 else f"expected 200, got {response.status_code}")
                )
                if problem:
                    failures.append(f"{route.label} {actor.name}: {problem}")
            continue
        if rule.model is not None and rule.model not in objects:
            unreached.append(f"{route.label}: no matrix factory for {rule.model.__name__}")
            continue
        if url_for(route) is None and not is_detail and route.kwargs:
            unreached.append(f"{route.label}: cannot build a URL for kwargs {route.kwargs}")
            continue
        for actor in ACTORS:
            client = clients[actor.name]
            may = rule.allows(actor.user) if not actor.anonymous else rule.kind == "public"
            if is_detail:
                missing_url = url_for(route, MISSING_PK)
                missing = client.get(missing_url)
                missing_bodies[(route.label, actor.name)] = (
                    missing.status_code,
                    normalise(content(missing), missing_url),
                )
                targets = {code: code for code in REGIONS} if region_route else objects[rule.model]
                for code, obj in targets.items():
                    tried += 1
                    object_url = url_for(route, obj if region_route else obj.pk)
                    response = client.get(object_url)
                    visible = may and in_scope(actor, code, paths)
                    if not visible:
                        out_of_scope_pairs += 1
                        problem = check_denied(response, actor, api)
                        answer = (response.status_code, normalise(content(response), object_url))
                        if (
                            problem is None
                            and not actor.anonymous
                            and answer != missing_bodies[(route.label, actor.name)]
                        ):
                            problem = "out-of-scope answer differs from a missing object's"
                        if problem:
                            failures.append(f"{route.label} {actor.name} {code}: {problem}")
                    elif response.status_code not in (200, 405):  # 405: a POST-only action, reached
                        failures.append(f"{route.label} {actor.name} {code}: expected 200, got {response.status_code}")
                continue
            tried += 1
            response = client.get(url_for(route), LIST_QUERIES.get(rule.model, {}))
            if rule.kind == "public":
                looked_up = any(name in PUBLIC_LOOKUPS for name in route.kwargs)
                if response.status_code >= 500 or (response.status_code == 404 and not looked_up):
                    failures.append(f"{route.label} {actor.name}: public route answered {response.status_code}")
                continue
            if not may:
                problem = check_denied(response, actor, api)
                if problem:
                    failures.append(f"{route.label} {actor.name}: {problem}")
                continue
            if response.status_code not in (200, 302, 405) or (
                response.status_code == 302 and "/accounts/login/" in response["Location"]
            ):
                failures.append(f"{route.label} {actor.name}: expected 200, got {response.status_code}")
                continue
            if rule.model is not None and response.status_code == 200:
                body = content(response).decode("utf-8", "replace")
                for code in REGIONS:
                    shown = marker(code) in body
                    if shown and not in_scope(actor, code, paths):
                        failures.append(f"{route.label} {actor.name}: LEAK of the object in {code}")
                    if not shown and in_scope(actor, code, paths):
                        failures.append(f"{route.label} {actor.name}: in-scope object of {code} missing")

    assert not unreached, "routes the matrix cannot reach:\n" + "\n".join(unreached)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    assert tried > 0 and out_of_scope_pairs > 0
    print(
        f"\nauthorization matrix: {len(routes)} routes, {len(ACTORS)} actors, {tried} requests "
        f"({out_of_scope_pairs} out-of-scope object attempts), 0 leaks"
    )


def test_admin_change_lists_and_pages_are_scoped(world):
    """The admin site: only staff reach it; every registered scoped model's change list and
    change page show the subtree only, and out-of-scope objects answer like missing ones."""
    paths, objects = world
    failures, tried = [], 0
    for actor in ACTORS:
        client = client_for(actor)
        index = client.get(reverse("admin:index"))
        tried += 1
        if actor.anonymous or not actor.staff:
            if index.status_code != 302:
                failures.append(f"admin:index {actor.name}: expected a redirect to login, got {index.status_code}")
            continue
        for model, _model_admin in admin_site._registry.items():
            if model not in objects:
                continue
            info = model._meta.app_label, model._meta.model_name
            changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
            tried += 1
            if changelist.status_code == 200:
                body = changelist.content.decode()
                for code in REGIONS:
                    if marker(code) in body and not in_scope(actor, code, paths):
                        failures.append(f"admin {model.__name__} list {actor.name}: LEAK {code}")
            missing = client.get(reverse("admin:{}_{}_change".format(*info), args=[MISSING_PK]))
            for code, obj in objects[model].items():
                tried += 1
                response = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
                answer = (response.status_code, response.get("Location"))
                if not in_scope(actor, code, paths) and answer != (missing.status_code, missing.get("Location")):
                    failures.append(f"admin {model.__name__} change {actor.name} {code}: differs from missing")
    assert not failures, "\n".join(failures)
    assert tried > 0


def test_every_admin_route_is_behind_the_staff_login(world):
    routes = [r for r in all_routes() if rule_of(r) == "admin"]
    anonymous = Client()
    county = client_for(ACTORS[4])
    for route in routes:
        url = None
        if route.name == "admin:logout":
            continue  # logging out is not a protected page (Django sends anonymous users to /admin/)
        if route.name and not route.kwargs:
            url = reverse(route.name)
        if url is None:
            continue
        for client in (anonymous, county):
            response = client.get(url)
            assert response.status_code == 302 and "login" in response["Location"], (route.label, response.status_code)
