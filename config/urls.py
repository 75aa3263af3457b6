from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm.api.errors import json_not_found, json_server_error
from crm.monitoring.views import equipment_signal_view
from crm.portal.views import client_page_download_view, client_page_request_view, client_page_view
from crm.telephony import twilio
from crm.telephony.asterisk import asterisk_lookup
from crm.telephony.itoolabs import itoolabs_crm_api
from crm.telephony.mango import mango_event
from crm.telephony.zadarma import zadarma_webhook
from crm.views import (
    email_events_dsn_view,
    email_events_sendpulse_view,
    email_events_unisender_view,
    healthz_view,
    telegram_webhook_view,
    tracked_link_view,
    unsubscribe_view,
)
from crm.webleads.views import web_lead_script_view, web_lead_token_view, web_lead_view
from surveys.views import survey_page

_swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema")  # its script is a file: no inline JS


def api_docs_view(request, *args, **kwargs):
    """The docs page sends a person who is not signed in to the login page (the schema answers 401)."""
    if not settings.CRM_API_DOCS_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    return _swagger(request, *args, **kwargs)


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/equipment/signals/", equipment_signal_view, name="equipment_signals"),
    path("api/v1/", include("crm.api.urls")),
    path("api/v1/", include("surveys.api.urls")),
    path("api/v1/", include("segments.api.urls")),
    path("api/v1/", include("journeys.api.urls")),
    path("healthz", healthz_view, name="healthz"),
    path("u/<str:token>/", unsubscribe_view, name="crm_unsubscribe"),
    path("l/<str:token>/", tracked_link_view, name="crm_tracked_link"),
    path("s/<str:token>/", survey_page, name="survey_page"),
    path("forms/lead.js", web_lead_script_view, name="web_lead_script"),
    path("forms/lead/", web_lead_view, name="web_lead"),
    path("forms/lead/token/", web_lead_token_view, name="web_lead_token"),
    path("email/events/unisender/", email_events_unisender_view, name="email_events_unisender"),
    path("email/events/sendpulse/<str:secret>/", email_events_sendpulse_view, name="email_events_sendpulse"),
    path("email/events/dsn/", email_events_dsn_view, name="email_events_dsn"),
    path("telegram/webhook/", telegram_webhook_view, name="telegram_webhook"),
    path("c/new/", client_page_request_view, name="client_page_request"),
    path("c/<str:token>/", client_page_view, name="client_page"),
    path("c/<str:token>/report.<str:file_format>", client_page_download_view, name="client_page_download"),
    path("telephony/asterisk/<str:webhook_key>/lookup/", asterisk_lookup, name="telephony_asterisk_lookup"),
    path("telephony/zadarma/<str:webhook_key>/", zadarma_webhook, name="telephony_zadarma"),
    path("telephony/itoolabs/<str:webhook_key>/", itoolabs_crm_api, name="telephony_itoolabs"),
    path("telephony/mango/<str:webhook_key>/events/<str:event>", mango_event, name="telephony_mango"),
    path("telephony/twilio/<str:webhook_key>/voice/", twilio.twilio_voice, name="telephony_twilio_voice"),
    path(
        "telephony/twilio/<str:webhook_key>/dial-result/",
        twilio.twilio_dial_result,
        name="telephony_twilio_dial_result",
    ),
    path("telephony/twilio/<str:webhook_key>/status/", twilio.twilio_status, name="telephony_twilio_status"),
    path("telephony/twilio/<str:webhook_key>/connect/", twilio.twilio_connect, name="telephony_twilio_connect"),
    path("telephony/twilio/<str:webhook_key>/recording/", twilio.twilio_recording, name="telephony_twilio_recording"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs_view, name="api-docs"),
]


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
