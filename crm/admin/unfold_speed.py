"""Needless work in django-unfold's admin pages, removed (issue 22); the page reads the same.

- `unfold.templatetags.unfold_list.items_for_result` computes every column header again for each row, only to
  read its text for the row's `data-label` attributes: 50 rows, 50 header computations (sorting links and
  query strings included), the largest single cost of the account list. The headers are computed once per
  change list here.
- `unfold.admin.ModelAdmin.action_checkbox` renders a template for each row's checkbox: here it is rendered once
  per language and the row's id put in its place.
- Unfold's templates read options its ModelAdmin does not define: `list_sections` (67 times on a list page of
  50 rows), `conditional_fields` (18 times on a change form) and another. Each read of a missing attribute
  costs the template engine an exception and a `dir()` of the admin (~40 us). They are defined here with the
  value their absence means.

All are checked against unfold's own output by tests/crm/test_admin_speed.py, which fails if an upgrade of
unfold changes what they replace.
"""

from django.contrib.admin import helpers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from unfold import admin as unfold_admin
from unfold.templatetags import unfold_list

_PLACEHOLDER = "__crm_pk__"
_checkboxes: dict[str | None, str] = {}
_unfold_result_headers = unfold_list.result_headers


def result_headers(cl):
    if not hasattr(cl, "_crm_headers"):
        # Each header's text is a lazy translation, which every row's cells read again: translated once here.
        cl._crm_headers = [{**header, "text": str(header["text"])} for header in _unfold_result_headers(cl)]
    return iter(cl._crm_headers)


def action_checkbox(self, obj) -> str:
    language = get_language()
    if language not in _checkboxes:
        _checkboxes[language] = unfold_admin.checkbox.render(helpers.ACTION_CHECKBOX_NAME, _PLACEHOLDER)
    return mark_safe(_checkboxes[language].replace(_PLACEHOLDER, escape(str(obj.pk))))  # noqa: S308


# Options unfold's templates read and its ModelAdmin leaves undefined, with the value their absence means there.
_ABSENT_OPTIONS = {"list_sections": (), "conditional_fields": {}, "change_form_show_cancel_button": False}


def install() -> None:
    for name, empty in _ABSENT_OPTIONS.items():
        if not hasattr(unfold_admin.ModelAdmin, name):
            setattr(unfold_admin.ModelAdmin, name, empty)
    unfold_list.result_headers = result_headers
    action_checkbox.short_description = unfold_admin.ModelAdmin.action_checkbox.short_description
    unfold_admin.ModelAdmin.action_checkbox = action_checkbox
