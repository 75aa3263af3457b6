from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.models import ApiToken
from crm.services.tokens import api_token_has_scope


class HasResourceScope(BasePermission):
    """The same model permissions as the admin, and for a token also the scope for the resource.

    Which rows can be seen is decided by each view's queryset (`for_user`), as in the admin.
    """

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        write = request.method not in SAFE_METHODS
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and not api_token_has_scope(token, resource=view.scope_resource, write=write):
            raise PermissionDenied(
                _("This token lacks the scope “%(scope)s”.")
                % {"scope": f"{view.scope_resource}:{'write' if write else 'read'}"}
            )
        model = view.permission_model._meta
        action = "view" if not write else ("add" if request.method == "POST" else "change")
        if not user.has_perm(f"{model.app_label}.{action}_{model.model_name}"):
            raise PermissionDenied(
                _("Your user may not %(action)s %(things)s. Ask an administrator for the permission.")
                % {"action": _(action), "things": model.verbose_name_plural}
            )
        return True


class SeesAllAccounts(BasePermission):
    """For the telephony API, which answers for any caller: its user must be one who may see every account (an
    integration user with `crm.view_all_accounts`), never a manager, who would read other managers' clients."""

    def has_permission(self, request, view):
        if not request.user.sees_all_accounts:
            raise PermissionDenied(
                _(
                    "The telephony API answers for every caller: use a token of a user who may see all accounts "
                    "(the permission “Can see every account”)."
                )
            )
        return True


class ApiDocsAccess(BasePermission):
    """The schema and the docs: open where settings.CRM_API_DOCS_PUBLIC (a developer's machine), otherwise for a
    signed-in user or an API token. Read at request time, so a test can switch it."""

    message = _lazy("Sign in to the admin, or send an API token, to read the API's schema.")

    def has_permission(self, request, view):
        return settings.CRM_API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)
