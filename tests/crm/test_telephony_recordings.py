"""Recordings that Zadarma and Mango announce by id: kept on the call, listened to through a fresh link."""

import json
from urllib.parse import parse_qs

import pytest

from crm.models import Interaction
from crm.telephony.click_to_call import zadarma_api_signature
from crm.telephony.mango import mango_sign
from crm.telephony.models import Call
from crm.telephony.services import telephony_connection_create
from tests.crm.test_telephony import APPEARED, START, mango_post, zadarma_post

pytestmark = pytest.mark.django_db
RECORD = {"pbx_call_id": "in_1", "call_id_with_rec": "1795000000.123"}


@pytest.fixture
def zadarma(db, settings, http_service):
    settings.CRM_ZADARMA_API_URL = http_service.url
    return telephony_connection_create(
        provider="zadarma", name="Zadarma", secret="zd-secret", api_key="zd-key", fallback_target="100"
    )


def listen(client, user, call):
    client.force_login(user)
    return client.get(f"/admin/crm/call/{call.pk}/recording/")


def test_zadarma_a_recording_is_kept_once_and_played_through_a_fresh_signed_link(
    client, zadarma, caller, manager, http_service
):
    zadarma_post(client, zadarma, "NOTIFY_START", **START)

    first = zadarma_post(client, zadarma, "NOTIFY_RECORD", **RECORD)
    again = zadarma_post(client, zadarma, "NOTIFY_RECORD", **RECORD)  # Zadarma retries its notifications

    call = Call.objects.get()
    assert (first.status_code, again.status_code) == (200, 200)
    assert call.recording_ref == "1795000000.123"
    assert Interaction.objects.get(pk=call.interaction_id).recording_url.endswith(
        f"/admin/crm/call/{call.pk}/recording/"
    )

    link = "https://api.zadarma.com/v1/pbx/record/download/abc/1795000000.123.mp3"
    http_service.answer(200, {"status": "success", "link": link, "lifetime_till": "2026-12-01 20:00:00"})
    response = listen(client, manager, call)

    assert response.status_code == 302 and response["Location"] == link
    [(method, path, headers, _body)] = http_service.requests
    query = "call_id=1795000000.123&format=json&lifetime=1800"
    assert (method, path) == ("GET", f"/v1/pbx/record/request/?{query}")
    params = {"call_id": "1795000000.123", "format": "json", "lifetime": "1800"}
    signature = zadarma_api_signature(secret="zd-secret", method="/v1/pbx/record/request/", params=params)
    assert headers["Authorization"] == f"zd-key:{signature}"


def test_the_recording_shows_on_the_client_card_and_only_its_manager_can_play_it(
    client, zadarma, caller, manager, other_manager, http_service
):
    zadarma_post(client, zadarma, "NOTIFY_START", **START)
    zadarma_post(client, zadarma, "NOTIFY_RECORD", **RECORD)
    call = Call.objects.get()
    client.force_login(manager)

    card = client.get(f"/admin/crm/account/{caller.account_id}/change/").content.decode()

    assert 'data-testid="recording"' in card and f"/admin/crm/call/{call.pk}/recording/" in card
    assert listen(client, other_manager, call).status_code == 404
    assert http_service.requests == []  # the provider was not even asked


def test_when_zadarma_has_no_link_the_manager_is_told_why(client, zadarma, caller, manager, http_service):
    zadarma_post(client, zadarma, "NOTIFY_START", **START)
    zadarma_post(client, zadarma, "NOTIFY_RECORD", **RECORD)
    http_service.answer(200, {"status": "error", "message": "Record not found"})

    response = listen(client, manager, Call.objects.get())

    assert response.status_code == 302 and response["Location"].endswith(
        f"/admin/crm/call/{Call.objects.get().pk}/change/"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Record not found" in page


def test_a_recording_of_a_call_never_registered_is_dropped_not_an_error(client, zadarma):
    response = zadarma_post(client, zadarma, "NOTIFY_RECORD", pbx_call_id="in_404", call_id_with_rec="1.2")

    assert response.status_code == 200
    assert not Call.objects.exists()


def test_mango_a_completed_recording_plays_through_its_signed_single_use_link(client, mango, caller, manager):
    mango_post(client, mango, "call", APPEARED)
    started = {"entry_id": "ENTRY1", "call_id": "LEG1", "recording_id": "REC1", "recording_state": "Started", "seq": 3}

    mango_post(client, mango, "recording", started)
    assert Call.objects.get().recording_ref == ""  # not until it is complete
    response = mango_post(client, mango, "recording", {**started, "recording_state": "Completed", "seq": 4})

    call = Call.objects.get()
    assert response.status_code == 200 and call.recording_ref == "REC1"

    mango.api_service.requests.clear()
    mango.api_service.answer(302, {}, {"Location": "https://app.mango-office.ru/record/once/REC1.mp3"})
    played = listen(client, manager, call)

    assert played.status_code == 302 and played["Location"] == "https://app.mango-office.ru/record/once/REC1.mp3"
    [(method, path, _headers, body)] = mango.api_service.requests
    assert (method, path) == ("POST", "/queries/recording/post")
    form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
    assert json.loads(form["json"]) == {"recording_id": "REC1", "action": "play"}
    assert form["sign"] == mango_sign(api_key="vpbx-key", payload=form["json"], salt="mango-salt")


def test_mango_a_recording_event_without_its_id_is_a_400(client, mango, caller):
    mango_post(client, mango, "call", APPEARED)

    response = mango_post(client, mango, "recording", {"entry_id": "ENTRY1", "recording_state": "Completed"})

    assert response.status_code == 400
    assert Call.objects.get().recording_ref == ""
