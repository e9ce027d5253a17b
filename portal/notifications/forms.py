from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("电子邮件"), required=False)
    sms = forms.BooleanField(label=_("短信"), required=False)


class MarkReadForm(forms.Form):
    message = forms.TypedMultipleChoiceField(coerce=int, required=False)
    all = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any whole number is a candidate; whether it is the user's own is the service's call.
        self.fields["message"].valid_value = lambda value: str(value).isdigit()
