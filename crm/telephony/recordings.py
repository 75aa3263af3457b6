"""Recordings that providers announce by id: a fresh link is asked for each time someone listens.

Zadarma: GET /v1/pbx/record/request/?call_id=<call_id_with_rec>&lifetime=<seconds>, signed as its
API client signs (see click_to_call.zadarma_api_signature) → {"status": "success", "link": ...}
(or "links": [...] when asked by pbx_call_id). The link expires, so it is never stored.
Mango Office: POST <api>/queries/recording/post with vpbx_api_key, sign and
json={"recording_id": ..., "action": "play"} → 302 to a temporary, single-use link.
"""

import json

from django.conf import settings

from crm.http import PermanentError, TransientError, http_post, http_raise_for_status, http_session, http_url_or_blank
from crm.telephony.click_to_call import zadarma_api_get
from crm.telephony.mango import mango_sign
from crm.telephony.models import Call, TelephonyConnection

ZADARMA_LINK_LIFETIME = 1800  # seconds: long enough to listen, short enough not to leak


class RecordingError(Exception):
    """No link to the recording: the message says why, for the manager."""


def _zadarma_link(connection: TelephonyConnection, recording_ref: str) -> str:
    params = {"call_id": recording_ref, "lifetime": str(ZADARMA_LINK_LIFETIME), "format": "json"}
    try:
        # Asking for a link changes nothing at Zadarma: worth trying again on a dropped connection.
        answer = zadarma_api_get(connection, "/v1/pbx/record/request/", params, retry_reads=True)
    except (TransientError, PermanentError, ValueError) as error:
        raise RecordingError(str(error)) from error
    link = answer.get("link") or next(iter(answer.get("links") or []), "")
    if answer.get("status") != "success" or not link:
        raise RecordingError(f"Zadarma: {answer.get('message', 'no link to this recording')}")
    return link


def _mango_link(connection: TelephonyConnection, recording_ref: str) -> str:
    body = json.dumps({"recording_id": recording_ref, "action": "play"})
    data = {
        "vpbx_api_key": connection.api_key,
        "sign": mango_sign(api_key=connection.api_key, payload=body, salt=connection.secret),
        "json": body,
    }
    session = http_session()
    try:
        # The answer is a redirect to the file: its address is what we want, not the file.
        response = http_post(
            session,
            f"{settings.CRM_MANGO_API_URL.rstrip('/')}/queries/recording/post",
            data=data,
            allow_redirects=False,
        )
        http_raise_for_status(response, what="Mango")
    except (TransientError, PermanentError) as error:
        raise RecordingError(str(error)) from error
    finally:
        session.close()
    link = response.headers.get("Location", "") if response.is_redirect else ""
    if not link:
        raise RecordingError(f"Mango gave no link to this recording (HTTP {response.status_code}).")
    return link


def call_recording_link(call: Call) -> str:
    """Where to listen to the call now: the provider's fresh link, or the link it sent with the call."""
    if not call.recording_ref:
        if http_url_or_blank(call.recording_url):  # a link stored before links were checked is checked again
            return call.recording_url
        raise RecordingError("This call has no recording.")
    connection = call.connection
    if not connection.api_key:
        raise RecordingError("Set the connection's API key first: the provider asks for it to give the recording.")
    if connection.provider == TelephonyConnection.Provider.ZADARMA:
        return _zadarma_link(connection, call.recording_ref)
    if connection.provider == TelephonyConnection.Provider.MANGO:
        return _mango_link(connection, call.recording_ref)
    raise RecordingError(f"{connection.get_provider_display()} does not announce recordings by id.")
