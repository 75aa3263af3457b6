"""Asterisk: a lookup for the dialplan's CURL(), answering flat JSON fast enough not to hold a ringing call.

GET /telephony/asterisk/<webhook key>/lookup/?phone=${CALLERID(num)}   header X-CRM-Token: <secret>
→ {"extension": "101", "display_name": "Иван Петрович · Ромашка"}
"""

from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET

from crm.recent import recent_match
from crm.telephony.models import TelephonyConnection
from crm.telephony.services import caller_lookup


@require_GET
def asterisk_lookup(request, webhook_key: str):
    connection = recent_match(
        TelephonyConnection, webhook_key=webhook_key, provider=TelephonyConnection.Provider.ASTERISK, is_active=True
    )
    token = request.headers.get("X-CRM-Token", "")
    # Compare even when the connection is unknown, so the answer takes the same time either way.
    expected = connection.secret if connection else "-" * 32
    if not constant_time_compare(token, expected) or connection is None:
        return JsonResponse({"error": "forbidden"}, status=403)
    phone = request.GET.get("phone", "")
    if not phone.strip():
        return JsonResponse({"error": "Give the caller's number: ?phone=<any format>."}, status=400)
    lookup = caller_lookup(connection=connection, number=phone, with_card=False)
    contact = lookup.contact
    display = f"{contact.addressed_name} · {contact.account.name}" if contact else lookup.number or phone
    return JsonResponse({"extension": lookup.route.target, "display_name": display[:80]})
