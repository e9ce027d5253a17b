"""The indicator form, shared by the indicator page and the admin inline, so both refuse what
``services.indicator_check`` refuses (an unknown figure named with the known ones, a flat curve)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from evaluation import services
from evaluation.models import Indicator

FIELDS = [
    "code",
    "name",
    "dimension",
    "level",
    "weight",
    "rule",
    "figure",
    "target",
    "zero_at",
    "description",
    "sort_order",
]


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = FIELDS

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        system_id = self.instance.system_id
        if system_id and (
            Indicator.objects.filter(system_id=system_id, level=cleaned.get("level"), code=cleaned.get("code"))
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("code", _("该评价对象下已有编号为“%(code)s”的指标。") % {"code": cleaned.get("code")})
            return cleaned
        candidate = Indicator(**{name: cleaned.get(name) for name in FIELDS if name in cleaned})
        try:
            services.indicator_check(candidate)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned
