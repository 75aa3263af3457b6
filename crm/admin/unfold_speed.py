"""Two pieces of needless work in django-unfold's change lists, removed (issue 22); the page reads the same.

- `unfold.templatetags.unfold_list.items_for_result` computes every column header again for each row, only to
  read its text for the row's `data-label` attributes: 50 rows, 50 header computations (sorting links and
  query strings included), the largest single cost of the account list. The headers are computed once per
  change list here.
- `unfold.admin.ModelAdmin.action_checkbox` renders a template for each row's checkbox: here it is rendered once
  per language and the row's id put in its place.

Both are checked against unfold's own output by tests/crm/test_admin_speed.py, which fails if an upgrade of
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
        cl._crm_headers = list(_unfold_result_headers(cl))
    return iter(cl._crm_headers)


def action_checkbox(self, obj) -> str:
    language = get_language()
    if language not in _checkboxes:
        _checkboxes[language] = unfold_admin.checkbox.render(helpers.ACTION_CHECKBOX_NAME, _PLACEHOLDER)
    return mark_safe(_checkboxes[language].replace(_PLACEHOLDER, escape(str(obj.pk))))  # noqa: S308


def install() -> None:
    unfold_list.result_headers = result_headers
    action_checkbox.short_description = unfold_admin.ModelAdmin.action_checkbox.short_description
    unfold_admin.ModelAdmin.action_checkbox = action_checkbox
