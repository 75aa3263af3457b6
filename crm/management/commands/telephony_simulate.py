"""Play a call through one protocol's real endpoint, signed as that provider signs, against this database.

    python manage.py telephony_simulate --provider zadarma --phone "+7 916 123-45-67" [--missed]

It uses (or creates) a connection named "Demo <provider>", sends the provider's requests through
Django's test client (no server needed), and prints where the call rang and what the manager saw.
"""

import json
import secrets
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.phones import phone_normalize
from crm.telephony.mango import mango_sign
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.signatures import twilio_signature, zadarma_signature
from crm.telephony.zadarma import SIGNED_FIELDS

Provider = TelephonyConnection.Provider


class Command(BaseCommand):
    help = "Simulate a call through a provider's protocol and show the route, the card and the timeline entry."

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, choices=Provider.values)
        parser.add_argument("--phone", required=True, help="The caller's number, in any format")
        parser.add_argument("--missed", action="store_true", help="Nobody answers: a call-back task is opened")
        parser.add_argument(
            "--dialled",
            default="+74950000000",
            help="The number the caller dialled: a lead source's tracking number records that source on the call",
        )

    def handle(self, *args, provider, phone, missed, dialled, **options):
        self.dialled = phone_normalize(dialled).e164
        connection, _created = TelephonyConnection.objects.get_or_create(
            name=f"Demo {provider}",
            defaults={
                "provider": provider,
                "secret": secrets.token_urlsafe(24),
                "api_key": "demo",
                "fallback_target": "0",
            },
        )
        if connection.provider != provider:
            raise CommandError(f"A connection named “{connection.name}” exists for another provider.")
        # A host this site answers to, so the requests pass ALLOWED_HOSTS like a provider's would.
        self.host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
        client, call_id = Client(HTTP_HOST=self.host), f"sim-{uuid.uuid4().hex[:12]}"
        getattr(self, f"_{provider}")(client, connection, call_id, phone, missed)
        call = Call.objects.filter(connection=connection).order_by("-id").first()
        if call is None:
            raise CommandError("The provider's requests did not create a call: see the answers above.")
        self.stdout.write(self.style.SUCCESS(f"Call {call.provider_call_id}: {call.get_status_display()}"))
        self.stdout.write(f"  rang: {call.route_target} ({call.routed_to or 'fallback'})")
        self.stdout.write(f"  caller: {call.contact or 'unknown'} · {call.account or '-'}")
        if call.lead_source_id:
            self.stdout.write(f"  lead source (tracking number {call.to_number}): {call.lead_source}")
        if call.interaction_id:
            self.stdout.write(f"  timeline: {call.interaction.subject} ({call.interaction.outcome})")

    def _show(self, label, response):
        self.stdout.write(f"{label} → {response.status_code} {response.content.decode()[:400]}")

    def _generic(self, client, connection, call_id, phone, missed):
        from crm.telephony.services import call_event, call_register

        _call, lookup, _created = call_register(
            connection=connection, call_id=call_id, direction="inbound", from_number=phone, to_number=self.dialled
        )
        self.stdout.write(json.dumps({"route": lookup.route.as_dict(), "card": lookup.card}, ensure_ascii=False)[:600])
        if not missed:
            call_event(connection=connection, call_id=call_id, type="answered")
        call_event(
            connection=connection,
            call_id=call_id,
            type="missed" if missed else "ended",
            duration=None if missed else 42,
        )

    def _asterisk(self, client, connection, call_id, phone, missed):
        url = reverse("telephony_asterisk_lookup", args=[connection.webhook_key])
        self._show("lookup", client.get(url, {"phone": phone}, HTTP_X_CRM_TOKEN=connection.secret))
        self._generic(client, connection, call_id, phone, missed)  # outcomes come through the generic API

    def _twilio(self, client, connection, call_id, phone, missed):
        def post(name, **params):
            path = reverse(f"telephony_twilio_{name}", args=[connection.webhook_key])
            signature = twilio_signature(
                auth_token=connection.secret,
                url=f"http://{self.host}{path}",
                params={k: [v] for k, v in params.items()},
            )
            self._show(name, client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature))

        post("voice", CallSid=call_id, From=phone, To=self.dialled, CallStatus="ringing", Direction="inbound")
        status = "no-answer" if missed else "completed"
        post("dial_result", CallSid=call_id, DialCallStatus=status, DialCallDuration="0" if missed else "42")

    def _zadarma(self, client, connection, call_id, phone, missed):
        start = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        base = {"pbx_call_id": call_id, "caller_id": phone, "called_did": self.dialled.lstrip("+"), "call_start": start}

        def post(event, **fields):
            data = {"event": event, **base, **fields}
            signed = "".join(data.get(name, "") for name in SIGNED_FIELDS[event])
            signature = zadarma_signature(secret=connection.secret, signed=signed)
            url = reverse("telephony_zadarma", args=[connection.webhook_key])
            self._show(event, client.post(url, data, HTTP_SIGNATURE=signature))

        post("NOTIFY_START")
        post("NOTIFY_END", disposition="no answer" if missed else "answered", duration="0" if missed else "42")

    def _mango(self, client, connection, call_id, phone, missed):
        def post(event, payload):
            body = json.dumps(payload)
            sign = mango_sign(api_key=connection.api_key, payload=body, salt=connection.secret)
            url = reverse("telephony_mango", args=[connection.webhook_key, event])
            self._show(event, client.post(url, {"vpbx_api_key": connection.api_key, "sign": sign, "json": body}))

        # Not in the IVR, so no route command goes out to Mango's real API from a simulation.
        post(
            "call",
            {
                "entry_id": call_id,
                "call_id": f"{call_id}-1",
                "seq": 1,
                "call_state": "Appeared",
                "location": "abonent",
                "from": {"number": phone},
                "to": {"number": self.dialled.lstrip("+")},
            },
        )
        now = int(timezone.now().timestamp())
        post(
            "summary",
            {
                "entry_id": call_id,
                "entry_result": 0 if missed else 1,
                "talk_time": 0 if missed else now - 42,
                "end_time": now,
            },
        )

    def _itoolabs(self, client, connection, call_id, phone, missed):
        url = reverse("telephony_itoolabs", args=[connection.webhook_key])

        def post(**data):
            self._show(data["cmd"], client.post(url, {"crm_token": connection.secret, "callid": call_id, **data}))

        post(cmd="contact", phone=phone)
        post(cmd="event", type="INCOMING", phone=phone, diversion=self.dialled.lstrip("+"))
        post(
            cmd="history",
            type="in",
            status="missed" if missed else "Success",
            phone=phone,
            start=timezone.now().strftime("%Y%m%dT%H%M%SZ"),
            duration="0" if missed else "42",
        )
