from rest_framework import serializers

from portal.regions.models import EnforcementDomain, Region, Unit


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "path", "depth"]


class EnforcementDomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnforcementDomain
        fields = ["code", "name", "sort_order"]


class UnitSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    domains = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "region", "region_name", "parent", "domains", "active"]
