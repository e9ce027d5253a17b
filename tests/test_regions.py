import pytest

from portal.regions.models import EnforcementDomain, Region
from portal.regions.services import regions_load_henan

pytestmark = pytest.mark.django_db


def test_all_175_divisions_are_loaded_with_their_tree():
    assert Region.objects.divisions().count() == 175
    assert Region.objects.filter(level="province").count() == 1
    assert Region.objects.filter(level="city").count() == 18
    assert Region.objects.filter(level="county").count() == 156
    jiyuan = Region.objects.get(code="419001")
    assert (jiyuan.name, jiyuan.level, jiyuan.parent_id) == ("济源市", "city", "410000")
    jinshui = Region.objects.get(code="410105")
    assert jinshui.path == "410000/410100/410105/"
    assert jinshui.depth == 2


def test_statistics_only_zones_are_kept_apart_from_divisions():
    zone = Region.objects.get(code="410173")
    assert zone.level == Region.Level.ZONE
    assert zone.parent_id == "410100"
    assert Region.objects.filter(level=Region.Level.ZONE).count() == 24


def test_loading_again_changes_nothing():
    before = list(Region.objects.values_list("code", "name", "path", "parent_id"))
    regions_load_henan()
    regions_load_henan()
    assert list(Region.objects.values_list("code", "name", "path", "parent_id")) == before


def test_subtree_is_one_query(django_assert_num_queries):
    zhengzhou = Region.objects.get(code="410100")
    with django_assert_num_queries(1):
        codes = list(zhengzhou.descendants().values_list("code", flat=True))
    assert "410100" in codes and "410105" in codes and "410122" in codes
    assert "410300" not in codes and "410303" not in codes
    # 12 county-level divisions and 3 zones under 郑州
    assert len([c for c in codes if c != "410100"]) == 12 + 3


def test_ancestors_are_one_query(django_assert_num_queries):
    county = Region.objects.get(code="410122")
    with django_assert_num_queries(1):
        chain = [r.code for r in county.ancestors()]
    assert chain == ["410000", "410100"]
    assert county.contains(county) and Region.objects.get(code="410100").contains(county)
    assert not Region.objects.get(code="410300").contains(county)


def test_the_eight_enforcement_domains():
    assert list(EnforcementDomain.objects.values_list("name", flat=True)) == [
        "综合执法",
        "政策法规",
        "运政执法",
        "普通公路执法",
        "高速公路执法",
        "航务海事执法",
        "工程质量执法",
        "安全生产执法",
    ]
