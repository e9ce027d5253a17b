from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉举报")
    url_mounts = {"complaints/": "urls", "open311/v2/": "open311.urls"}

    def ready(self):
        from complaints.models import Complaint, VolunteerSupervisor
        from portal.accounts.capabilities import Cap
        from portal.core.personal_data import register

        def complaints(user):
            return Complaint.objects.visible_to(user, Cap.VIEW_RECORDS)

        def volunteers(user):
            return VolunteerSupervisor.objects.visible_to(user, Cap.VIEW_RECORDS)

        # The complainant's personal data: masked everywhere, revealed only through the audited
        # endpoint. phone and id_number are stored encrypted; their fields decrypt on reading.
        register("complaints.complaint", "complainant_name", "name", complaints)
        register("complaints.complaint", "phone", "phone", complaints)
        register("complaints.complaint", "id_number", "id_number", complaints)
        register("complaints.complaint", "plate", "plate", complaints)
        register("complaints.volunteersupervisor", "name", "name", volunteers)
        register("complaints.volunteersupervisor", "phone", "phone", volunteers)
