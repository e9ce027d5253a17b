"""Issue 20 §5 (§8): the volunteer supervisors' register of complaints/ is extended, not
duplicated: a term of appointment, and the complaints each volunteer filed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import volunteer_register
from complaints.tests.conftest import units  # noqa: F401 - fixture
from complaints.tests.test_public import form

pytestmark = pytest.mark.django_db


def test_a_term_in_the_past_is_refused(people):
    with pytest.raises(ValidationError, match="聘期"):
        volunteer_register(
            actor=people["county"],
            number="JS-101",
            name="周九",
            phone="13655556666",
            region="410105",
            term_ends_on=timezone.localdate() - dt.timedelta(days=1),
        )


def test_the_register_shows_the_term_and_the_complaints_each_filed(people, units, client):  # noqa: F811
    term = timezone.localdate() + dt.timedelta(days=365)
    volunteer_register(
        actor=people["county"], number="JS-007", name="周九", phone="13655556666", region="410105", term_ends_on=term
    )
    response = Client().post(reverse("complaints:public-new"), form(volunteer_number="JS-007"))
    assert response.status_code == 201 and Complaint.objects.get().volunteer.number == "JS-007"
    client.force_login(people["county"])
    page = client.get(reverse("complaints:volunteers"))
    row = page.context["page"][0]
    assert row.term_ends_on == term and row.n_filed == 1
    assert term.isoformat() in page.content.decode()
