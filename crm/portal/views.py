"""The client page and its downloads: public, opened by the link's token alone, scoped to the link's account."""

from csp.constants import NONE, SELF
from csp.decorators import csp_replace
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.portal import exports
from crm.portal.models import ClientPageLink
from crm.portal.sections import client_page_sections
from crm.portal.services import REVOKED, LinkRefused, client_page_open, client_page_request
from crm.ratelimit import public_rate_limit

PAGE_ROWS = 100  # per section on the page; the downloads hold every row (the PDF up to exports.PDF_ROWS)

# Nothing runs on these pages and nothing loads from anywhere but here: no scripts at all, styles from our file.
strict_csp = csp_replace(
    {
        "default-src": [NONE],
        "script-src": [NONE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": None,
        "connect-src": None,
        "base-uri": [NONE],
        "form-action": [SELF],
    }
)


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the address: no caching on the way, no referrer to other sites, no search engines."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request):
    return _private(
        render(
            request,
            "crm/portal/message.html",
            {
                "title": _("Page not found"),
                "message": _(
                    "This link does not open any page. Copy the whole link from the message, or ask your manager to "
                    "send it again."
                ),
            },
            status=404,
        )
    )


def _gone(request, refused: LinkRefused, token: str):
    language = refused.link.contact.language
    with translation.override(language):
        request.LANGUAGE_CODE = language
        message = (
            (_("This link was withdrawn.") if refused.reason == REVOKED else _("This link has expired."))
            + " "
            + _("Enter your e-mail address and we will send a new link to it if it is one we know.")
        )
        return _private(
            render(
                request,
                "crm/portal/message.html",
                {
                    "title": _("The link no longer works"),
                    "message": message,
                    "ask": True,
                    "token": token,  # the new-link form asks within this link's account
                },
                status=410,
            )
        )


def _opened(request, token: str):
    """(link, None) or (None, the response for a forged, unknown, expired or revoked link)."""
    try:
        return client_page_open(token=token[:200]), None
    except (signing.BadSignature, ClientPageLink.DoesNotExist):
        return None, _not_found(request)
    except LinkRefused as refused:
        return None, _gone(request, refused, token[:200])


@require_GET
@public_rate_limit("client-page")
@strict_csp
def client_page_view(request, token: str):
    link, refused = _opened(request, token)
    if refused is not None:
        return refused
    language = link.contact.language
    with translation.override(language):
        request.LANGUAGE_CODE = language
        sections = client_page_sections(link.account, limit=PAGE_ROWS)
        return _private(
            render(
                request,
                "crm/portal/page.html",
                {
                    "account": link.account,
                    "contact": link.contact,
                    "sections": sections,
                    "made_at": timezone.now(),
                    "expires_at": link.expires_at,
                    "page_rows": PAGE_ROWS,
                    "token": token,
                },
            )
        )


@require_GET
@public_rate_limit("client-page")
@strict_csp
def client_page_download_view(request, token: str, file_format: str):
    if file_format not in ("pdf", "xlsx"):
        return _not_found(request)
    link, refused = _opened(request, token)
    if refused is not None:
        return refused
    with translation.override(link.contact.language):
        made_at = timezone.now()
        limit = exports.PDF_ROWS if file_format == "pdf" else None
        sections = client_page_sections(link.account, limit=limit)
        title = _("%(account)s: purchases, deliveries and quality") % {"account": link.account.name}
        if file_format == "pdf":
            content, content_type = exports.sections_pdf(sections, title=title, made_at=made_at), "application/pdf"
        else:
            content = exports.sections_xlsx(sections, title=title, made_at=made_at)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=content_type)
    name = f"{slugify(link.account.name, allow_unicode=False) or 'report'}-{timezone.localdate(made_at)}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


@require_http_methods(["GET", "POST"])
@public_rate_limit("client-page-request")
@strict_csp
def client_page_request_view(request):
    """Ask for a new link by e-mail. The answer is the same whether the address is known or not."""
    if request.method == "GET":
        return _private(render(request, "crm/portal/message.html", {"title": _("Your client page"), "ask": True}))
    email = request.POST.get("email", "").strip()
    if "@" not in email or len(email) > 254:
        return _private(
            render(
                request,
                "crm/portal/message.html",
                {
                    "title": _("Your client page"),
                    "ask": True,
                    "error": _("Enter an e-mail address, like name@company.ru."),
                },
                status=400,
            )
        )
    client_page_request(email=email, link_token=request.POST.get("link", "")[:200])
    return _private(
        render(
            request,
            "crm/portal/message.html",
            {
                "title": _("Check your e-mail"),
                "message": _("If this address is one we know, a new link is on its way to it."),
            },
        )
    )
