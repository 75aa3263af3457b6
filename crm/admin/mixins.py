from collections import defaultdict

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from crm.spreadsheets import EXPORT_FORMATS


class AppendOnlyAdminMixin:
    """History and records of what happened: read in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_CONTRIBUTED_ACTIONS: dict[str, list] = defaultdict(list)


def admin_action_contribute(model, action) -> None:
    """An app built on the core adds an action to one of the core's admins, in its AppConfig.ready()
    (the surveys app's "send a survey" on accounts), so the core's admin never imports it."""
    actions = _CONTRIBUTED_ACTIONS[model._meta.label_lower]
    if action not in actions:
        actions.append(action)


class ContributedActionsMixin:
    """The admin's own actions (`own_actions`), then those the apps contributed to its model."""

    own_actions = ()

    @property
    def actions(self):
        return [*self.own_actions, *_CONTRIBUTED_ACTIONS[self.model._meta.label_lower]]


class FormulaSafeExportMixin:
    """The admin's exports offer only formats whose text cells cannot run as formulas (crm/spreadsheets.py)."""

    export_formats = EXPORT_FORMATS


class UserScopedResourceMixin:
    """The export's resource gets the requesting user, to export only the rows they may see (crm/resources.py)."""

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}


def visible_choices(related_model, user):
    """The rows of `related_model` a form may offer `user`: scoped by its `for_user` where it has one (an account's
    rows, a person, a promise, an interaction...), else None for the field's own choices (reference data)."""
    queryset = related_model._default_manager.all()
    return queryset.for_user(user) if hasattr(queryset, "for_user") else None


class RowLevelAccessMixin:
    """Every queryset, and every choice of a row of an account's in a form (the account, its person, a promise,
    the interaction or order it came from...), is limited to what the user may see: an id of another's row is
    "not one of the choices" and its text never shows."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and (choices := visible_choices(db_field.related_model, request.user)) is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReturnToNextMixin:
    """After a quick action from the client card (`?next=<card url>`), go back to the card."""

    def _next_url(self, request):
        next_url = request.GET.get("next")
        if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            return next_url
        return None

    def response_add(self, request, obj, post_url_continue=None):
        next_url = self._next_url(request)
        if next_url and "_addanother" not in request.POST and "_continue" not in request.POST:
            self.message_user(request, _("Saved: %(object)s.") % {"object": obj})
            return HttpResponseRedirect(next_url)
        return super().response_add(request, obj, post_url_continue)
