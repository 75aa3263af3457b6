from django import forms
from django.utils import formats
from django.utils.translation import gettext as _


class LocalDateInput(forms.DateInput):
    """A date typed the way the reader writes it (30.06.2026 in Russian, 2026-06-30 in English), whatever the
    browser's own language: a type="date" input shows the browser's format (mm/dd/yyyy on an English one)."""

    def get_context(self, name, value, attrs):
        pattern = formats.get_format("DATE_INPUT_FORMATS")[0]
        placeholder = pattern.replace("%d", _("dd")).replace("%m", _("mm")).replace("%Y", _("yyyy"))
        return super().get_context(name, value, {"placeholder": placeholder, "size": 10, **(attrs or {})})
