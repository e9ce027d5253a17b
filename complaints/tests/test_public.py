"""The public's pages: the complaint form (no login, honeypot, per-address throttling, a resubmit
finds the first submission) and tracking by number plus the phone's last four digits."""

from __future__ import annotations

import re
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from django.test import Client
from django.urls import reverse

from complaints import throttle
from complaints.models import Complaint, VolunteerSupervisor
from complaints.services import volunteer_register

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "complaint",
    "area": "highway",
    "region": "410105",
    "subject": "治超站乱罚款不开票",
    "description": "11月20日在花园路治超站被罚款200元，没有开具票据。",
    "location": "花园路治超站",
    "plate": "豫A12345",
    "complainant_name": "孙八",
    "phone": "13655556666",
    "website": "",
}


def form(**overrides):
    return {**FORM, "form_token": overrides.pop("form_token", "a" * 32), **overrides}


def test_anyone_can_file_a_complaint_and_gets_a_tracking_number(units):
    client = Client()
    page = client.get(reverse("complaints:public-new"))
    assert page.status_code == 200 and 'name="website"' in page.content.decode()
    response = client.post(reverse("complaints:public-new"), form())
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert complaint.tracking_number in response.content.decode()
    assert complaint.channel == "web" and complaint.created_by is None and complaint.phone == "13655556666"
    # the same form sent again (a double click, a refresh) finds the first submission
    again = client.post(reverse("complaints:public-new"), form())
    assert again.status_code == 201 and Complaint.objects.count() == 1
    assert complaint.tracking_number in again.content.decode()


def test_the_honeypot_keeps_nothing_and_looks_like_success(units):
    response = Client().post(reverse("complaints:public-new"), form(website="http://spam.example"))
    assert response.status_code == 200 and "提交成功" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_bad_input_is_a_400_naming_the_fields(units):
    response = Client().post(reverse("complaints:public-new"), form(phone="", subject="x" * 201, region="41"))
    body = response.content.decode()
    assert response.status_code == 400 and "请填写手机号" in body and Complaint.objects.count() == 0
    assert "invalid-feedback" in body


def test_a_volunteer_supervisor_is_recognised_by_number_and_phone(units, people):
    volunteer_register(actor=people["county"], number="JS-007", name="周九", phone="13655556666", region="410105")
    response = Client().post(reverse("complaints:public-new"), form(volunteer_number="JS-007"))
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert complaint.channel == "volunteer" and complaint.volunteer == VolunteerSupervisor.objects.get()
    wrong = Client().post(
        reverse("complaints:public-new"), form(volunteer_number="JS-007", phone="13000000000", form_token="b" * 32)
    )
    assert wrong.status_code == 400


def test_tracking_shows_status_and_never_personal_data(units):
    Client().post(reverse("complaints:public-new"), form())
    complaint = Complaint.objects.get()
    client = Client()
    assert client.get(reverse("complaints:public-track")).status_code == 200
    found = client.post(
        reverse("complaints:public-track"), {"tracking_number": complaint.tracking_number, "phone_last4": "6666"}
    )
    body = found.content.decode()
    assert found.status_code == 200 and "待受理" in body and complaint.handling_unit.name in body
    for secret in ("孙八", "13655556666", "豫A12345", "治超站乱罚款不开票", "花园路", "6666"):
        assert secret not in body.replace('value="6666"', "")
    wrong = client.post(
        reverse("complaints:public-track"), {"tracking_number": complaint.tracking_number, "phone_last4": "1234"}
    )
    missing = client.post(
        reverse("complaints:public-track"), {"tracking_number": "TS209900000001", "phone_last4": "6666"}
    )
    assert wrong.status_code == missing.status_code == 200  # the same answer for both
    assert "没有找到匹配的投诉" in wrong.content.decode() and "没有找到匹配的投诉" in missing.content.decode()


def test_tracking_lookups_are_throttled(units):
    client = Client()
    limit, _seconds = throttle.RATES["public-track"]
    codes = [
        client.post(reverse("complaints:public-track"), {"tracking_number": "TS1", "phone_last4": "0000"}).status_code
        for _ in range(limit + 3)
    ]
    assert codes[:limit] == [200] * limit and codes[limit:] == [429] * 3
    bad = Client(REMOTE_ADDR="10.0.0.9").post(
        reverse("complaints:public-track"), {"tracking_number": "TS1", "phone_last4": "12"}
    )
    assert bad.status_code == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_of_1000_submissions_from_one_address_throttles_and_loses_nothing_accepted(
    _restore_migrated_data, live_server
):
    from complaints.tests.conftest import UNITS
    from portal.regions.models import Unit

    for code, (authority, _agency) in UNITS.items():
        Unit.objects.create(name=authority, kind="authority", region_id=code)
    url = live_server.url + reverse("complaints:public-new")
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def submit(i):
        body = urllib.parse.urlencode(
            {**form(form_token=f"burst{i:04d}"), "subject": f"突发提交 {i}", "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310 - the live server
        try:
            with opener.open(request, timeout=60) as response:
                text = response.read().decode()
                return response.status, re.search(r'id="tracking-number">([A-Z0-9]+)<', text).group(1)
        except urllib.error.HTTPError as error:
            return error.code, None

    limit, seconds = throttle.RATES["public-submit"]
    first_window = int(time.time() // seconds)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(submit, range(1000)))
    windows = int(time.time() // seconds) - first_window + 1  # a fixed window may turn mid-burst
    accepted = [number for status, number in results if status == 201]
    statuses = {status for status, _ in results}
    assert statuses <= {201, 429}, statuses
    assert sum(status == 429 for status, _ in results) == 1000 - len(accepted)
    assert limit <= len(accepted) <= limit * windows
    # every accepted submission is stored, and nothing else is
    assert sorted(Complaint.objects.values_list("tracking_number", flat=True)) == sorted(accepted)
