"""Click to call: the provider rings the manager first, then connects them to the client.

Twilio: POST /2010-04-01/Accounts/<AccountSid>/Calls.json (basic auth AccountSid:AuthToken) calls
the manager; when they answer, Twilio fetches our /connect/ TwiML, which dials the client.
Zadarma: GET /v1/request/callback/?from=<extension>&to=<number>, signed as its API client does:
Authorization: <key>:base64(hex(HMAC-SHA1(secret, method + params + md5(params)))).
"""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from django.conf import settings

from crm.http import PermanentError, TransientError, http_get, http_post, http_raise_for_status, http_session
from crm.telephony.models import TelephonyConnection


class ClickToCallError(Exception):
    """The provider did not take the call: the message says why, for the manager."""


def zadarma_api_signature(*, secret: str, method: str, params: dict) -> str:
    query = urlencode(sorted(params.items()))
    signed = method + query + hashlib.md5(query.encode()).hexdigest()  # noqa: S324  (Zadarma's scheme)
    return base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest().encode()).decode()


def zadarma_api_get(connection: TelephonyConnection, method: str, params: dict, *, retry_reads: bool = False) -> dict:
    """A signed GET to Zadarma's API and its JSON answer. Raises TransientError, PermanentError or ValueError.
    `retry_reads` only for requests that change nothing there (a call placed twice rings twice)."""
    signature = zadarma_api_signature(secret=connection.secret, method=method, params=params)
    session = http_session(retry_reads=retry_reads)
    try:
        response = http_get(
            session,
            f"{settings.CRM_ZADARMA_API_URL.rstrip('/')}{method}",
            params=sorted(params.items()),
            headers={"Authorization": f"{connection.api_key}:{signature}"},
        )
        http_raise_for_status(response, what="Zadarma")
        return response.json()
    finally:
        session.close()


def twilio_place_call(connection: TelephonyConnection, *, agent: str, client_number: str, connect_url: str) -> str:
    """Returns Twilio's CallSid."""
    if not (connection.api_key and connection.outbound_caller_id):
        raise ClickToCallError("Set the connection's API key (Account SID) and our number first.")
    url = f"{settings.CRM_TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{connection.api_key}/Calls.json"
    to = agent if agent.startswith("sip:") else f"client:{agent}"
    session = http_session()
    try:
        response = http_post(
            session,
            url,
            data={"To": to, "From": connection.outbound_caller_id, "Url": connect_url},
            auth=(connection.api_key, connection.secret),
        )
        http_raise_for_status(response, what="Twilio")
        sid = response.json().get("sid", "")
    except (TransientError, PermanentError, ValueError) as error:
        raise ClickToCallError(str(error)) from error
    finally:
        session.close()
    if not sid:
        raise ClickToCallError("Twilio answered without a call SID.")
    return sid


def zadarma_place_call(connection: TelephonyConnection, *, extension: str, client_number: str) -> None:
    if not connection.api_key:
        raise ClickToCallError("Set the connection's API key first.")
    params = {"from": extension, "to": client_number.lstrip("+"), "format": "json"}
    try:
        answer = zadarma_api_get(connection, "/v1/request/callback/", params)
    except (TransientError, PermanentError, ValueError) as error:
        raise ClickToCallError(str(error)) from error
    if answer.get("status") != "success":
        raise ClickToCallError(f"Zadarma: {answer.get('message', 'refused')}")
