import datetime as dt
import io
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.models import Category
from complaints.models import Complaint
from portal.documents.models import IssuedDocument
from portal.regions.models import Unit
from supervision import candidates, services
from supervision.models import CandidateDismissal, SupervisionItem
from supervision.tests.test_services import list_item, make_problem, people  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


def client_for(client, user):
    client.force_login(user)
    return client


def make_complaint(unit, category, *, escalated=False, days_ago=1):
    today = timezone.localdate()
    return Complaint.objects.create(
        tracking_number=f"TS{next(_numbers):08d}",
        channel="web",
        kind="complaint",
        area="highway",
        subject="路政人员乱收费",
        description="投诉内容",
        region_id=unit.region_id,
        unit=unit,
        category=category,
        escalated=escalated,
        handling_unit=unit,
        handling_region_id=unit.region_id,
        received_at=timezone.now() - dt.timedelta(days=days_ago),
        accept_deadline=today + dt.timedelta(days=1),
        deadline=today + dt.timedelta(days=21),
        deadline_warn_from=today + dt.timedelta(days=20),
    )


def test_ledger_is_scoped_and_filtered(client, people):  # noqa: F811
    jinshui = list_item(people["province"], [make_problem("410105")])
    xigong = list_item(people["province"], [make_problem("410303")])
    body = client_for(client, people["county"]).get(reverse("supervision:index")).content.decode()
    assert jinshui.code in body and xigong.code not in body
    client.force_login(people["province"])
    body = client.get(reverse("supervision:index"), {"region": "410300"}).content.decode()
    assert xigong.code in body and jinshui.code not in body
    body = client.get(reverse("supervision:index"), {"status": "delisted"}).content.decode()
    assert jinshui.code not in body


def test_ledger_list_query_count_does_not_grow(client, people, django_assert_max_num_queries):  # noqa: F811
    for _ in range(3):
        list_item(people["province"], [make_problem("410105")])
    client.force_login(people["province"])
    client.get(reverse("supervision:index"))
    with django_assert_max_num_queries(10) as first:
        client.get(reverse("supervision:index"))
    for _ in range(5):
        list_item(people["province"], [make_problem("410122")])
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("supervision:index"))


def test_listing_from_an_out_of_scope_problem_is_404(client, people):  # noqa: F811
    foreign = make_problem("410303")
    client.force_login(people["city"])
    assert client.get(reverse("supervision:new"), {"problem": foreign.pk}).status_code == 404
    own = make_problem("410105")
    response = client.get(reverse("supervision:new"), {"problem": own.pk})
    assert response.status_code == 200 and own.code in response.content.decode()


def test_list_by_hand_through_the_form(client, people):  # noqa: F811
    problem = make_problem("410105")
    client.force_login(people["province"])
    response = client.post(
        reverse("supervision:new"),
        {
            "title": "金水区乱罚款",
            "problem_codes": problem.code,
            "problem_list": "乱罚款",
            "measures_list": "清退",
            "rectification_responsibility": "局长",
            "supervision_responsibility": "省厅",
            "deadline_days": 20,
            "report_every_days": 5,
            "team": [people["inspector"].pk],
        },
    )
    item = SupervisionItem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("supervision:detail", args=[item.pk])
    assert item.region_id == "410105" and list(item.team.all()) == [people["inspector"]]
    # missing lists: a clear message, nothing written
    response = client.post(reverse("supervision:new"), {"title": "x", "deadline_days": 20, "report_every_days": 5})
    assert response.status_code == 200 and SupervisionItem.objects.count() == 1


def test_stale_copy_answers_409(client, people):  # noqa: F811
    item = list_item(people["province"], [make_problem("410105")])
    client.force_login(people["county"])
    url = reverse("supervision:transition", args=[item.pk])
    assert client.post(url, {"move": "start", "expected_version": item.version}).status_code == 302
    response = client.post(url, {"move": "start", "expected_version": item.version})
    assert response.status_code == 409


def test_out_of_scope_detail_is_404(client, people):  # noqa: F811
    item = list_item(people["province"], [make_problem("410105")])
    client.force_login(people["county_b"])
    assert client.get(reverse("supervision:detail", args=[item.pk])).status_code == 404
    assert client.post(reverse("supervision:progress", args=[item.pk]), {"text": "x"}).status_code == 404


def test_export_has_one_row_per_item_with_the_four_lists(client, people):  # noqa: F811
    a = list_item(people["province"], [make_problem("410105")])
    list_item(people["province"], [make_problem("410303")])
    client.force_login(people["city"])
    response = client.get(reverse("supervision:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6:10] == ("问题清单", "措施清单", "整改责任清单", "督办责任清单")
    assert len(rows) == 2 and rows[1][1] == a.code and rows[1][7] == a.measures_list


def test_public_page_shows_delisted_items_without_people(client, people):  # noqa: F811
    inspector = people["inspector"]
    item = list_item(people["province"], [make_problem("410105")], team=[inspector])
    for move in ("start", "report"):
        services.item_transition(actor=people["county"], item_id=item.pk, move=move, text="x")
    services.item_transition(
        actor=inspector,
        item_id=item.pk,
        move="accept_pass",
        text="ok",
        visited_on=timezone.localdate(),
        members=[inspector],
        handling_result="已整改到位",
    )
    body = client.get(reverse("supervision:public")).content.decode()
    assert item.code in body and "已整改到位" in body and "inspector" not in body
    other = list_item(people["province"], [make_problem("410105")])
    assert other.code not in client.get(reverse("supervision:public")).content.decode()


def test_personal_data_in_the_public_result_is_refused(people):  # noqa: F811
    inspector = people["inspector"]
    item = list_item(people["province"], [make_problem("410105")], team=[inspector])
    for move in ("start", "report"):
        services.item_transition(actor=people["county"], item_id=item.pk, move=move, text="x")
    with pytest.raises(Exception) as err:
        services.item_transition(
            actor=inspector,
            item_id=item.pk,
            move="accept_pass",
            text="ok",
            visited_on=timezone.localdate(),
            members=[inspector],
            handling_result="联系人 13812345678",
        )
    assert "个人信息" in str(err.value)
    item.refresh_from_db()
    assert item.status == "reported"


def test_documents_get_gap_free_numbers_per_type(client, people):  # noqa: F811
    item = list_item(people["province"], [make_problem("410105")])
    client.force_login(people["province"])
    url = reverse("supervision:document", args=[item.pk])
    for _ in range(2):
        client.post(url, {"doc_type": "supervision.notice"})
    client.post(url, {"doc_type": "supervision.letter"})
    numbers = list(IssuedDocument.objects.order_by("pk").values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"豫交执督〔{year}〕1号", f"豫交执督〔{year}〕2号", f"豫交执督函〔{year}〕1号"]
    # the referral letter needs a referral; the county cannot issue
    client.post(url, {"doc_type": "supervision.referral"})
    client.force_login(people["county"])
    client.post(url, {"doc_type": "supervision.notice"})
    assert IssuedDocument.objects.count() == 3


def test_candidates_from_high_frequency_complaints_and_dismissal_sticks(client, people, settings):  # noqa: F811
    settings.SUPERVISION_CANDIDATE_COMPLAINTS = 3
    unit = Unit.objects.create(name="金水区治超站", kind=Unit.Kind.STATION, region_id="410105")
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    for _ in range(3):
        make_complaint(unit, category)
    make_complaint(unit, category, days_ago=200)  # outside the window
    province = people["province"]
    found = candidates.candidates_for(province)
    [candidate] = found["hf"]["shown"]
    assert candidate.count == 3 and candidate.key == f"hf:{unit.pk}:{category.pk}"
    # the figure equals the list it links to
    client.force_login(province)
    page = client.get(candidate.records_url())
    assert page.status_code == 200 and page.content.decode().count("TS") >= 3
    assert len(candidate.complaints()) == 3
    # the city of another region sees nothing of it
    assert candidates.candidates_for(people["city_b"])["hf"]["shown"] == []
    # dismissed: hidden until the count exceeds the count at dismissal
    client.post(reverse("supervision:candidate-dismiss"), {"key": candidate.key, "count": 3, "reason": "已在处理"})
    assert CandidateDismissal.objects.get().reason == "已在处理"
    assert candidates.candidates_for(province)["hf"]["shown"] == []
    make_complaint(unit, category)
    [again] = candidates.candidates_for(province)["hf"]["shown"]
    assert again.count == 4
    # listed from the candidate: not proposed again while the item is open
    response = client.get(again.list_url())
    assert response.status_code == 200
    services.item_list(
        actor=province,
        title="x",
        problem_list="x",
        measures_list="x",
        rectification_responsibility="x",
        supervision_responsibility="x",
        complaints=[c.pk for c in again.complaints()],
        candidate_key=again.key,
    )
    assert candidates.candidates_for(province)["hf"]["shown"] == []


def test_candidate_pages_render_for_problems(client, people):  # noqa: F811
    make_problem("410105")  # source 舆情: a "pb" candidate
    client.force_login(people["province"])
    response = client.get(reverse("supervision:candidates"))
    assert response.status_code == 200
    found = candidates.candidates_for(people["province"])
    [candidate] = found["pb"]["shown"]
    assert candidate.count == 1 and len(candidate.problems()) == 1
    # beside it, the unit's problem density: the one figure the activities' proposals use
    from supervision.figures import units_with_most_problems

    [row] = units_with_most_problems(people["province"], limit=1)
    assert candidate.density == row and row["open"] == 1
    assert "在办 1 · 投诉 0 · 逾期 0" in response.content.decode()


def test_dashboard_figures_equal_their_lists(client, people):  # noqa: F811
    from portal.dashboards.services import figures_refresh
    from supervision.models import SupervisionFigure

    inspector = people["inspector"]
    done = list_item(people["province"], [make_problem("410105")], team=[inspector])
    for move in ("start", "report"):
        services.item_transition(actor=people["county"], item_id=done.pk, move=move, text="x")
    services.item_transition(
        actor=inspector,
        item_id=done.pk,
        move="accept_pass",
        text="ok",
        visited_on=timezone.localdate(),
        members=[inspector],
    )
    late = list_item(
        people["province"], [make_problem("410122")], listed_on=timezone.localdate() - dt.timedelta(days=90)
    )
    list_item(people["province"], [make_problem("410303")])
    figures_refresh()
    row = SupervisionFigure.objects.get(dim="all", region_id="410100", unit__isnull=True)
    assert (row.open, row.overdue, row.delisted, row.delisted_on_time) == (1, 1, 1, 1)
    client.force_login(people["city"])
    body = client.get(reverse("supervision:index"), {"overdue": "yes"}).content.decode()
    assert late.code in body and done.code not in body
    body = client.get(reverse("supervision:index"), {"status": "open"}).content.decode()
    assert late.code in body and done.code not in body
    body = client.get(
        reverse("supervision:index"), {"status": "delisted", "on_time": "yes", "delisted_from": "2000-01-01"}
    ).content.decode()
    assert done.code in body and late.code not in body
    # the city's dashboard shows the section, its numbers linking to the ledger
    body = client.get("/").content.decode()
    assert 'id="kpi-supervision"' in body and reverse("supervision:index") + "?" in body


def test_a_corrupt_template_falls_back_to_the_built_in_and_tells_the_administrator(people):  # noqa: F811
    import zipfile

    from portal.core.models import AdminWarning
    from portal.documents.models import DocumentTemplate

    item = list_item(people["province"], [make_problem("410105")])
    item.title = "含控制字符\x01\x0b的事项"
    item.save(update_fields=["title"])
    DocumentTemplate.objects.create(doc_type="supervision.notice", name="坏模板", content=b"not a docx", active=True)
    document = services.document_issue(actor=people["province"], item=item, doc_type="supervision.notice")
    assert document.number.endswith("1号")
    with zipfile.ZipFile(io.BytesIO(bytes(document.content))) as docx:
        body = docx.read("word/document.xml").decode()
    assert "含控制字符" in body and item.code in body
    assert AdminWarning.objects.filter(key__startswith="document-template-").exists()
