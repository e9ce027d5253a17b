from django_filters import rest_framework as filters
from rest_framework import viewsets

from portal.accounts.access import AccessRule, ScopedViewSetMixin
from portal.regions.api.serializers import EnforcementDomainSerializer, RegionSerializer, UnitSerializer
from portal.regions.models import EnforcementDomain, Region, Unit


class RegionFilter(filters.FilterSet):
    within = filters.CharFilter(method="filter_within", label="区划代码：该区划及其下级")

    class Meta:
        model = Region
        fields = ["level", "parent"]

    def filter_within(self, queryset, name, value):
        region = Region.objects.filter(code=value).only("path").first()
        return queryset.filter(path__startswith=region.path) if region else queryset.none()


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Henan's divisions (public reference data, readable by every signed-in user)."""

    access_rule = AccessRule("signed_in")
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    search_fields = ["name", "code"]


class EnforcementDomainViewSet(viewsets.ReadOnlyModelViewSet):
    access_rule = AccessRule("signed_in")
    queryset = EnforcementDomain.objects.filter(active=True)
    serializer_class = EnforcementDomainSerializer
    pagination_class = None


class UnitFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains", label="单位名称包含")

    class Meta:
        model = Unit
        fields = ["kind", "region", "name"]


class UnitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Units in the user's subtree (a county sees its own units, a city its counties'); an
    integrator finds one by part of its name (``?name=``) rather than paging the province's."""

    read_cap = None  # any signed-in user, scoped by region
    queryset = Unit.objects.select_related("region").prefetch_related("domains")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
