"""Enforcement case data (issue 15): the row checks, the batch upload (idempotent per row,
versions kept, a late older version never wins), the key table that keeps (unit, case number)
unique on a partitioned table, the normalised plate/ID search and the audit. Real PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from cases.enforcement import checks, selectors, services
from cases.enforcement.models import EnforcementCase, EnforcementCaseKey
from cases.tests.enforcement import case
from portal.accounts.models import User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def upload(system, unit, rows):
    return services.case_upload_batch(actor=system, unit=unit, rows=rows)


def outcomes(results):
    return [(r.index, r.outcome) for r in results]


# --- the row checks ------------------------------------------------------------------------------


@pytest.fixture
def ctx(agency, items):
    return services.batch_context(agency, today=dt.date(2026, 12, 7))


def test_a_good_row_is_cleaned_and_normalised(ctx, items):
    clean = checks.check_row(case(plate="豫a·１２３４５", party_id_number="41010519900101123x"), ctx)
    assert clean["plate"] == "豫A12345" and clean["party_id_number"] == "41010519900101123X"
    assert clean["violation_item_id"] == items["CZ001"].pk and clean["filed_year"] == 2026
    assert str(clean["penalty_amount"]) == "500.00" and clean["legal_basis"] == "《公路法》第七十六条"
    assert clean["content_hash"] == checks.check_row(case(), ctx)["content_hash"]  # same content, same hash


def test_the_revision_time_is_not_part_of_the_content(ctx):
    assert (
        checks.check_row(case(revised_at="2026-05-01T00:00:00+08:00"), ctx)["content_hash"]
        == checks.check_row(case(), ctx)["content_hash"]
    )
    assert checks.check_row(case(place="别处"), ctx)["content_hash"] != checks.check_row(case(), ctx)["content_hash"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit": 999999}, "unit"),
        ({"violation_item": "NOPE"}, "violation_item"),
        ({"decided_on": "2026-12-31"}, "decided_on"),  # in the future
        ({"decided_on": "2026-02-01"}, "decided_on"),  # before 立案
        ({"filed_on": "2027-01-01"}, "filed_on"),
        ({"filed_on": "2014-06-01", "decided_on": None}, "filed_on"),
        ({"filed_on": "01/03/2026"}, "filed_on"),
        ({"penalty_amount": "五百"}, "penalty_amount"),
        ({"penalty_amount": True}, "penalty_amount"),
        ({"penalty_amount": "NaN"}, "penalty_amount"),
        ({"penalty_amount": -1}, "penalty_amount"),
        ({"penalty_amount": None}, "penalty_amount"),  # a fine needs its amount
        ({"party_name": "张\x00三"}, "party_name"),
        ({"place": "花园路\x1b"}, "place"),
        ({"case_number": ""}, "case_number"),
        ({"case_number": "x" * 65}, "case_number"),
        ({"mode": "remote"}, "mode"),
        ({"status": "done"}, "status"),
        ({"soft_measures": ["hug"]}, "soft_measures"),
        ({"officer_certificates": ["41010001"]}, "officer_certificates"),
        ({"officer_certificates": ["41010001", "41010001"]}, "officer_certificates"),
        ({"officer_certificates": ["41010001", "4101\x070002"]}, "officer_certificates"),
        ({"region": "410303"}, "region"),  # outside the unit's region
        ({"revised_at": "yesterday"}, "revised_at"),
        ({"colour": "red"}, "non_field_errors"),
    ],
)
def test_a_bad_row_names_its_field(ctx, overrides, field):
    with pytest.raises(checks.RowErrors) as caught:
        checks.check_row(case(**overrides), ctx)
    assert field in caught.value.errors and all(caught.value.errors[field])


def test_a_row_that_is_not_an_object_is_refused(ctx):
    with pytest.raises(checks.RowErrors) as caught:
        checks.check_row(["not", "a", "case"], ctx)
    assert "non_field_errors" in caught.value.errors


# --- the upload ----------------------------------------------------------------------------------


def test_a_new_case_is_stored_with_its_key_and_one_audit_event(system, agency, items):
    [result] = upload(system, agency, [case()])
    assert (result.outcome, result.version) == ("new", 1)
    stored = EnforcementCase.objects.get()
    assert stored.is_current and stored.version == 1 and stored.filed_year == 2026
    assert stored.plate == "豫A12345" and stored.party_id_number == "41010519900101123X"  # decrypted on read
    assert stored.officer_certificates == ["41010001", "41010002"] and stored.soft_measures == ["persuasion"]
    key = EnforcementCaseKey.objects.get()
    assert (key.unit_id, key.case_number, key.current_version, key.current_hash) == (
        agency.pk,
        "金交执罚〔2026〕1号",
        1,
        stored.content_hash,
    )
    event = AuditEvent.objects.get(action="enforcement_case.upload")
    assert event.object_id == str(agency.pk) and event.changes["counts"]["new"] == 1


def test_the_same_batch_twice_changes_nothing(system, agency, items):
    batch = [case(f"金交罚{i}") for i in range(1, 21)]
    assert {r.outcome for r in upload(system, agency, batch)} == {"new"}
    stored = EnforcementCase.objects.order_by("id").values_list("id", "version", "is_current", "content_hash")
    rows_before = list(stored)
    again = upload(system, agency, batch)
    assert {r.outcome for r in again} == {"unchanged"} and {r.version for r in again} == {1}
    assert list(stored.all()) == rows_before
    assert EnforcementCaseKey.objects.count() == 20


def test_an_update_is_a_new_version_and_the_old_one_is_kept(system, agency, items):
    upload(system, agency, [case(status="filed", decided_on=None, penalty_type="none", penalty_amount=None)])
    [result] = upload(system, agency, [case(revised_at="2026-03-05T10:00:00+08:00", closed_on="2026-03-05")])
    assert (result.outcome, result.version) == ("updated", 2)
    versions = list(EnforcementCase.objects.order_by("version").values_list("version", "is_current", "status"))
    assert versions == [(1, False, "filed"), (2, True, "decided")]
    key = EnforcementCaseKey.objects.get()
    assert key.current_version == 2 and key.current_hash == EnforcementCase.objects.get(is_current=True).content_hash


def test_a_late_older_version_is_answered_unchanged_and_never_wins(system, agency, items):
    upload(system, agency, [case(revised_at="2026-03-05T10:00:00+08:00", status="closed", closed_on="2026-03-05")])
    [late] = upload(system, agency, [case(revised_at="2026-03-02T09:00:00+08:00", status="decided")])
    assert (late.outcome, late.version) == ("unchanged", 1) and late.note
    assert list(EnforcementCase.objects.values_list("version", "status", "is_current")) == [(1, "closed", True)]


def test_a_mixed_batch_answers_per_row(system, agency, items):
    upload(system, agency, [case("A-1"), case("A-2")])
    results = upload(
        system,
        agency,
        [
            case("A-1"),  # unchanged
            case("A-2", place="新地点", revised_at="2026-03-03T09:00:00+08:00"),  # updated
            case("A-3"),  # new
            case("A-4", violation_item="NOPE"),  # rejected
            case("A-5", penalty_amount="abc", decided_on="2027-01-01"),  # rejected, two fields
        ],
    )
    assert outcomes(results) == [(0, "unchanged"), (1, "updated"), (2, "new"), (3, "rejected"), (4, "rejected")]
    assert results[3].errors.keys() == {"violation_item"}
    assert {"penalty_amount", "decided_on"} <= results[4].errors.keys()
    assert services.outcome_counts(results) == {"new": 1, "updated": 1, "unchanged": 1, "rejected": 2}
    assert EnforcementCaseKey.objects.count() == 3 and EnforcementCase.objects.count() == 4
    assert EnforcementCase.objects.filter(is_current=True).count() == 3


def test_a_case_number_repeated_in_one_batch_is_rejected(system, agency, items):
    results = upload(system, agency, [case("B-1"), case("B-1", place="别处")])
    assert outcomes(results) == [(0, "new"), (1, "rejected")]
    assert "case_number" in results[1].errors
    assert EnforcementCase.objects.count() == 1


def test_an_all_rejected_batch_writes_nothing(system, agency, items):
    results = upload(system, agency, [case(violation_item="NOPE")])
    assert outcomes(results) == [(0, "rejected")]
    assert not EnforcementCase.objects.exists() and not EnforcementCaseKey.objects.exists()
    assert not AuditEvent.objects.filter(action="enforcement_case.upload").exists()


@pytest.mark.parametrize(("rows", "status"), [({"cases": []}, 400), ([], 400), ([case()] * 5001, 413), ("text", 400)])
def test_a_malformed_or_oversized_batch_is_refused_whole(system, agency, items, rows, status):
    with pytest.raises(services.BatchRefused) as caught:
        upload(system, agency, rows)
    assert caught.value.status == status and caught.value.message
    assert not EnforcementCase.objects.exists()


def test_the_same_case_number_in_two_units_is_two_cases(system, agency, other_agency, items):
    upload(system, agency, [case("C-1")])
    upload(system, other_agency, [case("C-1", region="410303")])
    assert EnforcementCaseKey.objects.count() == 2


def test_unit_and_case_number_are_unique_in_the_database(agency):
    values = {
        "unit": agency,
        "case_number": "D-1",
        "filed_year": 2026,
        "current_version": 1,
        "current_hash": "x",
        "current_revised_at": "2026-03-01T00:00:00+08:00",
    }
    EnforcementCaseKey.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnforcementCaseKey.objects.create(**values)


def test_cases_are_partitioned_by_the_year_of_filing(system, agency, items):
    upload(system, agency, [case("E-1", filed_on="2019-05-01", decided_on="2019-05-02"), case("E-2")])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, case_number FROM cases_enforcementcase ORDER BY case_number")
        assert cursor.fetchall() == [("cases_enforcementcase_y2019", "E-1"), ("cases_enforcementcase_y2026", "E-2")]
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'cases_enforcementcase'")
        assert cursor.fetchone() == ("p",)  # a partitioned table
    assert "cases_enforcementcase_y2015" in services.case_partitions()


def test_the_year_of_filing_must_match_the_date_in_the_database(system, agency, items):
    upload(system, agency, [case("F-1")])
    with pytest.raises(IntegrityError), transaction.atomic():
        EnforcementCase.objects.filter(case_number="F-1").update(filed_on=dt.date(2025, 3, 1))


@pytest.mark.parametrize(
    ("field", "stored", "typed"),
    [
        ("plate", "豫A12345", "豫A·12345"),
        ("plate", "豫A12345", "豫a12345"),
        ("plate", "豫A12345", "豫Ａ１２３４５"),
        ("plate", "豫A·12345", "豫A12345"),
        ("party_id_number", "41010519900101123X", "41010519900101123x"),
        ("party_id_number", "41010519900101123x", "41010519900101123X"),
        ("party_id_number", "41010519900101123X", "４１０１０５１９９００１０１１２３Ｘ"),
    ],
)
def test_plates_and_id_numbers_are_found_however_typed(system, agency, items, field, stored, typed):
    upload(system, agency, [case("G-1", **{field: stored}), case("G-2", plate="豫B99999", party_id_number="")])
    province = User.objects.create_user("province_enf", region_id="410000", roles=["province_staff"])
    found = selectors.cases_search(province, **{field: typed})
    assert [c.case_number for c in found] == ["G-1"]


def test_the_partition_job_makes_next_years_partition_ahead(db):
    from django.conf import settings

    from cases import tasks

    assert "cases-enforcement-ensure-partitions" in settings.CELERY_BEAT_SCHEDULE
    later = dt.date(2031, 6, 1)  # years past the migration's partitions
    assert services.case_partitions_ensure(ahead=1, today=later) == [
        "cases_enforcementcase_y2031",
        "cases_enforcementcase_y2032",
    ]
    assert services.case_partitions_ensure(ahead=1, today=later) == []  # idempotent
    assert {"cases_enforcementcase_y2031", "cases_enforcementcase_y2032"} <= set(services.case_partitions())
    tasks.cases_enforcement_ensure_partitions()  # the beat task: this year and next exist already
    from django.utils import timezone

    year = timezone.localdate().year
    assert f"cases_enforcementcase_y{year + 1}" in services.case_partitions()


def test_the_demo_seed_gives_each_demo_unit_cases_of_every_mode_with_versions(db):
    import random

    from cases.enforcement import seed as enforcement_seed
    from portal.accounts import seed as accounts_seed
    from portal.core.seeding import SeedContext
    from portal.regions import seed as regions_seed

    ctx = SeedContext(scale="small", rng=random.Random(1))  # noqa: S311 - demo data
    regions_seed.seed(ctx)
    accounts_seed.seed(ctx)
    enforcement_seed.seed(ctx)
    current = EnforcementCase.objects.filter(is_current=True)
    assert current.count() >= 240 and set(current.values_list("mode", flat=True)) == set(EnforcementCase.Mode.values)
    assert EnforcementCase.objects.filter(version=2).exists()
    assert EnforcementCase.objects.filter(is_current=False).count() == EnforcementCase.objects.filter(version=2).count()
    total = EnforcementCase.objects.count()
    enforcement_seed.seed(SeedContext(scale="small", rng=random.Random(2)))  # noqa: S311
    assert EnforcementCase.objects.count() == total  # idempotent
