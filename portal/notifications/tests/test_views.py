"""The inbox (personal: another user's message is a 404), channel choices and the status
page and command for administrators."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.notifications.delivery import deliveries_send
from portal.notifications.models import Delivery, InboxMessage, NotificationPreference
from portal.notifications.sweep import alerts_fan_out, alerts_sweep
from portal.notifications.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(people, make_problem):
    """Two problems due: inbox messages for the handler, one also for the deputy."""
    make_problem(TODAY, handler=people["handler"], deputy=people["deputy"])
    make_problem(TODAY, handler=people["handler"])
    run = alerts_sweep(today=TODAY, enqueue=False)
    rows = alerts_fan_out(run_id=run.pk, enqueue=False)["to_send"]
    deliveries_send(channel="inbox", ids=[pk for pk, channel in rows if channel == "inbox"])
    return InboxMessage.objects


def unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="inbox-unread">([^<]+)<', html)
    return found.group(1) if found else None


def test_the_inbox_shows_ones_own_messages_and_the_unread_count(client, people, delivered):
    client.force_login(people["handler"])
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.count('id="message-') == 2 and unread_badge(page) == "2"
    client.force_login(people["deputy"])
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.count('id="message-') == 1 and unread_badge(page) == "1"
    client.force_login(people["city"])
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert 'id="message-' not in page and unread_badge(page) is None


def test_marking_read_and_the_counter(client, people, delivered):
    client.force_login(people["handler"])
    mine = list(delivered.filter(user=people["handler"]).order_by("pk"))
    response = client.post(reverse("notifications:inbox-read"), {"message": mine[0].pk})
    assert response.status_code == 302
    assert unread_badge(client.get(reverse("notifications:unread-badge")).content.decode()) == "1"
    response = client.post(reverse("notifications:inbox-read"), {"all": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'hx-swap-oob="true"' in response.content.decode()
    assert not delivered.filter(user=people["handler"], read_at__isnull=True).exists()
    page = client.get(reverse("notifications:inbox") + "?unread=1").content.decode()
    assert 'id="message-' not in page


def test_the_list_redrawn_after_marking_read_pages_through_the_inbox(client, people):
    """The htmx answer to "mark read" is the inbox list drawn at the POST's address: its pager
    must still lead to the inbox's pages (a relative "?page=2" would GET the POST-only view)."""
    InboxMessage.objects.bulk_create(InboxMessage(user=people["handler"], title=f"消息 {n}") for n in range(65))
    client.force_login(people["handler"])
    first = InboxMessage.objects.filter(user=people["handler"]).order_by("pk").first()
    response = client.post(
        reverse("notifications:inbox-read"), {"message": first.pk, "unread": "1"}, HTTP_HX_REQUEST="true"
    )
    links = re.findall(r'class="page-link" href="([^"]+)"', response.content.decode())
    assert links == [reverse("notifications:inbox") + "?page=2&amp;unread=1"]
    page_two = client.get(reverse("notifications:inbox"), {"page": "2", "unread": "1"})
    assert page_two.status_code == 200 and page_two.content.decode().count('id="message-') == 30


def test_another_persons_message_is_as_missing_as_a_missing_one(client, people, delivered):
    theirs = delivered.get(user=people["deputy"])
    client.force_login(people["handler"])
    url = reverse("notifications:inbox-read")
    foreign = client.post(url, {"message": theirs.pk})
    missing = client.post(url, {"message": 987654321})
    assert foreign.status_code == missing.status_code == 404
    csrf = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
    assert csrf.sub(rb"\1", foreign.content) == csrf.sub(rb"\1", missing.content)
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    assert client.get(url).status_code == 405  # a write: POST only


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for name in ("notifications:inbox", "notifications:preferences", "notifications:status"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_following_a_message_marks_it_read_and_opens_its_page(client, people, delivered):
    message = delivered.filter(user=people["handler"]).first()
    client.force_login(people["handler"])
    response = client.post(reverse("notifications:inbox-read"), {"message": message.pk, "next": message.link})
    assert response.status_code == 302 and response["Location"] == message.link
    response = client.post(
        reverse("notifications:inbox-read"), {"message": message.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:inbox")


def test_channel_choices_are_saved_and_audited(client, people):
    client.force_login(people["handler"])
    assert client.get(reverse("notifications:preferences")).status_code == 200
    response = client.post(reverse("notifications:preferences"), {"sms": "on"})
    assert response.status_code == 302
    choice = NotificationPreference.objects.get(user=people["handler"])
    assert (choice.email, choice.sms) == (False, True)
    event = AuditEvent.objects.get(action="notifications.preference_set")
    assert event.changes == {"email": [None, False], "sms": [None, True]}


def test_the_status_page_is_for_administrators(client, people, delivered, smtp_sink):
    smtp_sink.reply = "451 4.3.0 try later"
    deliveries_send(channel="email", ids=list(Delivery.objects.filter(channel="email").values_list("pk", flat=True)))
    for name in ("handler", "city", "province"):
        client.force_login(people[name])
        assert client.get(reverse("notifications:status")).status_code == 404
    client.force_login(people["admin"])
    page = client.get(reverse("notifications:status")).content.decode()
    assert "alerts-sweep" in page and "alerts-redispatch" in page
    backlog = re.search(r'<table class="table table-sm mb-2" id="backlog">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"电子邮件</td><td class=\"text-end\">3</td>", backlog)
    assert "451" in page  # the recent failures, each under its alert's ledger key
    assert re.search(r"<td>problem:\d+:(reminder|due|overdue|escalation):\w+:v1</td>", page)


def test_the_alerts_status_command_prints_the_same(people, delivered):
    out = io.StringIO()
    call_command("alerts_status", stdout=out)
    text = out.getvalue()
    assert "alerts-sweep" in text and "Backlog by channel" in text
    assert re.search(r"sweep\s+\S+ \S+\s+ok\s+alerts=2", text)
    assert re.search(r"email\s+3\s+0\s+0\s+0", text)
    out = io.StringIO()
    call_command("alerts_status", "--json", stdout=out)
    assert '"backlog"' in out.getvalue()
