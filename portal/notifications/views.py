"""Pages of the alert ledger: a user's inbox and channel choices; the administrators' status.

The inbox is personal (``selectors.inbox_of``): a message that is not the user's answers 404
exactly like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.access import needs, signed_in
from portal.accounts.capabilities import Cap
from portal.notifications import conf, selectors, services
from portal.notifications.forms import MarkReadForm, PreferenceForm

PAGE_SIZE = 30


def _inbox_context(request) -> dict:
    only_unread = request.GET.get("unread") == "1" or request.POST.get("unread") == "1"
    rows = selectors.inbox_of(request.user)
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "only_unread": only_unread, "unread": selectors.inbox_unread_count(request.user)}


@signed_in
def inbox(request):
    context = _inbox_context(request)
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, "notifications/_inbox_list.html", context)
    return render(request, "notifications/inbox.html", context)


@signed_in
@require_POST
def inbox_read(request):
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("请求无效。"))
    services.inbox_mark_read(
        user=request.user, message_ids=form.cleaned_data["message"], everything=form.cleaned_data["all"]
    )
    if getattr(request, "htmx", False):
        return render(request, "notifications/_inbox_list.html", {**_inbox_context(request), "oob_badge": True})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@signed_in
def unread_badge(request):
    return render(request, "notifications/_badge.html", {"inbox_unread": selectors.inbox_unread_count(request.user)})


@signed_in
def preferences(request):
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(actor=request.user, email=form.cleaned_data["email"], sms=form.cleaned_data["sms"])
            messages.success(request, _("提醒方式已保存。"))
            return redirect("notifications:preferences")
    else:
        form = PreferenceForm(initial=selectors.channels_of(request.user))
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
            "has_phone": bool(request.user.phone),
            "sms_available": bool(conf.sms_gateway_url()),
        },
    )


@needs(Cap.MANAGE_SYSTEM)
def status(request):
    return render(request, "notifications/status.html", {"report": selectors.alerts_status()})
