import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import ApiToken, DeliveryDateChange, Interaction
from tests.crm.factories import (
    AccountFactory,
    CommitmentFactory,
    ContactFactory,
    InteractionFactory,
    OrderFactory,
    PhoneFactory,
)

pytestmark = pytest.mark.django_db


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


class TestPhoneLookup:
    @pytest.mark.parametrize("query", ["+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "9161234567"])
    def test_contact_is_found_by_its_phone_in_any_format(self, manager_api, account, query):
        contact = ContactFactory(account=account)
        PhoneFactory(contact=contact, raw="8 916 123 45 67", number="+79161234567")
        ContactFactory(account=account, first_name="Другой")

        response = manager_api.get("/api/v1/contacts/", {"phone": query})

        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [contact.pk]
        assert response.json()["results"][0]["addressed_name"] == "Иван Петрович"

    def test_an_invalid_phone_query_is_a_400_saying_what_is_wrong(self, manager_api):
        response = manager_api.get("/api/v1/contacts/", {"phone": "12-34"})

        assert response.status_code == 400
        assert "phone" in _error(response)["fields"]


class TestFastPhoneLookup:
    @pytest.mark.parametrize("query", ["+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "9161234567"])
    def test_the_caller_is_found_with_their_company_and_manager(self, token_client, manager, account, query):
        api = token_client(manager, ["contacts:read"])
        contact = ContactFactory(account=account)
        PhoneFactory(contact=contact, raw="8 916 123 45 67 доб. 12", number="+79161234567", extension="12")

        response = api.get("/api/v1/contacts/lookup/", {"phone": query})

        assert response.status_code == 200
        assert response.json() == [
            {
                "contact": contact.pk,
                "first_name": "Иван",
                "patronymic": "Петрович",
                "last_name": "Сидоров",
                "addressed_name": "Иван Петрович",
                "account": account.pk,
                "account_name": "ООО «Ромашка»",
                "manager": manager.pk,
                "number": "+79161234567",
                "extension": "12",
            }
        ]

    def test_another_managers_client_is_not_found(self, token_client, other_manager, account):
        PhoneFactory(contact=ContactFactory(account=account), number="+79161234567")

        api = token_client(other_manager, ["contacts:read"])

        response = api.get("/api/v1/contacts/lookup/", {"phone": "89161234567"})

        assert response.status_code == 200 and response.json() == []

    @pytest.mark.parametrize("params", [{}, {"phone": ""}, {"phone": "12-34"}])
    def test_a_missing_or_bad_number_is_a_400(self, token_client, manager, params):
        response = token_client(manager, ["contacts:read"]).get("/api/v1/contacts/lookup/", params)

        assert response.status_code == 400
        assert "phone" in _error(response)["fields"]

    def test_it_needs_the_contacts_scope(self, token_client, manager):
        response = token_client(manager, ["orders:read"]).get("/api/v1/contacts/lookup/", {"phone": "89161234567"})

        assert response.status_code == 403

    def test_it_costs_one_query_after_authentication(self, token_client, manager, account):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        api = token_client(manager, ["contacts:read"])
        for n in range(3):
            PhoneFactory(contact=ContactFactory(account=account), number="+79161234567", raw=f"{n}")
        api.get("/api/v1/contacts/lookup/", {"phone": "89161234567"})  # warm the permission cache

        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/contacts/lookup/", {"phone": "89161234567"})

        assert len(response.json()) == 3
        lookups = [q["sql"] for q in queries if '"crm_phone"' in q["sql"]]
        assert len(lookups) == 1


class TestAccounts:
    def test_manager_creates_an_account_and_its_history_says_so(self, manager_api, manager):
        response = manager_api.post(
            "/api/v1/accounts/", {"name": "АО «Вектор»", "inn": "7707083893", "manager": manager.pk}, format="json"
        )

        assert response.status_code == 201, response.content
        assert response.json()["inn"] == "7707083893"
        from crm.models import Account

        assert Account.objects.get(pk=response.json()["id"]).events.filter(type="created").count() == 1

    def test_an_invalid_inn_is_refused_with_a_field_message_and_nothing_is_saved(self, manager_api):
        response = manager_api.post("/api/v1/accounts/", {"name": "Bad", "inn": "1234567890"}, format="json")

        error = _error(response)
        assert response.status_code == 400
        assert error["code"] == "invalid"
        assert "INN" in error["fields"]["inn"][0]
        from crm.models import Account

        assert not Account.objects.filter(name="Bad").exists()

    def test_over_long_text_is_refused_not_truncated(self, manager_api):
        response = manager_api.post("/api/v1/accounts/", {"name": "x" * 256}, format="json")

        assert response.status_code == 400
        assert "name" in _error(response)["fields"]

    def test_a_survey_schedule_is_set_through_the_api_and_a_day_out_of_range_is_refused(self, manager_api, account):
        bad = manager_api.patch(f"/api/v1/accounts/{account.pk}/", {"survey_day": 31}, format="json")
        good = manager_api.patch(
            f"/api/v1/accounts/{account.pk}/", {"survey_day": 15, "survey_cadence_days": 60}, format="json"
        )

        assert bad.status_code == 400 and "survey_day" in _error(bad)["fields"]
        assert good.status_code == 200
        assert (good.json()["survey_day"], good.json()["survey_cadence_days"]) == (15, 60)

    def test_changing_the_manager_is_recorded_with_who_did_it(self, token_client, account, head):
        head_api = token_client(head, ["*"])
        response = head_api.patch(f"/api/v1/accounts/{account.pk}/", {"manager": head.pk}, format="json")

        assert response.status_code == 200
        event = account.events.get(type="manager_changed")
        assert (event.data["to"], event.acting_user) == (head.pk, head)

    def test_malformed_json_is_a_400(self, manager_api):
        response = manager_api.generic("POST", "/api/v1/accounts/", "{not json", content_type="application/json")

        assert response.status_code == 400
        assert _error(response)["code"] == "parse_error"

    def test_filters_search_and_ordering(self, manager_api, manager):
        AccountFactory(manager=manager, name="Бета", inn="7707083893")
        AccountFactory(manager=manager, name="Альфа")

        by_name = manager_api.get("/api/v1/accounts/", {"ordering": "name"}).json()["results"]
        by_inn = manager_api.get("/api/v1/accounts/", {"search": "7707083893"}).json()["results"]

        assert [row["name"] for row in by_name] == ["Альфа", "Бета"]
        assert [row["name"] for row in by_inn] == ["Бета"]


class TestContacts:
    def test_contact_with_phones_in_mixed_formats(self, manager_api, account):
        response = manager_api.post(
            "/api/v1/contacts/",
            {
                "account": account.pk,
                "first_name": "Иван",
                "patronymic": "Петрович",
                "last_name": "Сидоров",
                "phones": ["8 (916) 123-45-67", "+7 495 123-45-67 доб. 12"],
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        phones = response.json()["phones"]
        assert [(p["number"], p["extension"]) for p in phones] == [("+79161234567", ""), ("+74951234567", "12")]

    def test_an_invalid_phone_or_email_refuses_the_whole_contact(self, manager_api, account):
        response = manager_api.post(
            "/api/v1/contacts/",
            {"account": account.pk, "first_name": "Иван", "email": "not-an-email", "phones": ["123"]},
            format="json",
        )

        assert response.status_code == 400
        assert "email" in _error(response)["fields"]
        assert account.contacts.count() == 0

    def test_a_contact_cannot_be_added_to_an_account_you_cannot_see(self, manager_api, other_manager):
        foreign = AccountFactory(manager=other_manager)

        response = manager_api.post("/api/v1/contacts/", {"account": foreign.pk, "first_name": "X"}, format="json")

        assert response.status_code == 400
        assert "account" in _error(response)["fields"]


class TestInteractions:
    def test_the_same_external_id_posted_twice_records_one_interaction(self, manager_api, account):
        payload = {
            "account": account.pk,
            "channel": "phone",
            "direction": "inbound",
            "source": "pbx",
            "external_id": "call-1",
            "duration_seconds": 65,
        }

        first = manager_api.post("/api/v1/interactions/", payload, format="json")
        second = manager_api.post("/api/v1/interactions/", payload, format="json")

        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["id"] == second.json()["id"]
        assert Interaction.objects.filter(external_id="call-1").count() == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("occurred_at", "yesterday"),
            ("duration_seconds", -5),
            ("channel", "pigeon"),
            ("recording_url", "not a url"),
            ("notes", "x" * 10_001),
        ],
    )
    def test_bad_values_are_400_with_the_field_named(self, manager_api, account, field, value):
        payload = {"account": account.pk, "channel": "phone", "direction": "inbound", field: value}

        response = manager_api.post("/api/v1/interactions/", payload, format="json")

        assert response.status_code == 400
        assert field in _error(response)["fields"]

    def test_unknown_account_id_is_a_400_not_a_500(self, manager_api):
        response = manager_api.post(
            "/api/v1/interactions/", {"account": 999999, "channel": "phone", "direction": "inbound"}, format="json"
        )

        assert response.status_code == 400
        assert "account" in _error(response)["fields"]

    def test_a_contact_from_another_account_is_refused(self, manager_api, account, manager):
        stranger = ContactFactory(account=AccountFactory(manager=manager))

        response = manager_api.post(
            "/api/v1/interactions/",
            {"account": account.pk, "contact": stranger.pk, "channel": "phone", "direction": "inbound"},
            format="json",
        )

        assert response.status_code == 400
        assert "contact" in _error(response)["fields"]


class TestOrdersAndPromises:
    def test_bad_amount_is_refused(self, manager_api, account):
        response = manager_api.post(
            "/api/v1/orders/",
            {"account": account.pk, "number": "A-1", "amount": "-1", "ordered_at": timezone.now().isoformat()},
            format="json",
        )

        assert response.status_code == 400
        assert "amount" in _error(response)["fields"]

    def test_moving_a_delivery_keeps_the_old_date_and_the_reason(self, manager_api, account):
        order = OrderFactory(account=account)
        old_date = order.promised_delivery_date
        new_date = old_date + timedelta(days=3)

        response = manager_api.post(
            f"/api/v1/orders/{order.pk}/move-delivery/",
            {"new_date": new_date.isoformat(), "reason": "Таможня"},
            format="json",
        )

        assert response.status_code == 200
        change = DeliveryDateChange.objects.get(order=order)
        assert (change.old_date, change.new_date, change.reason) == (old_date, new_date, "Таможня")

    def test_a_promise_due_in_the_year_745_is_refused_with_the_range_and_nothing_is_stored(self, manager_api, account):
        response = manager_api.post(
            "/api/v1/commitments/",
            {"account": account.pk, "description": "Отправить договор", "due_at": "0745-08-31T06:00:00+03:00"},
            format="json",
        )

        assert response.status_code == 400
        assert "1900" in str(_error(response)["fields"]["due_at"])
        assert not account.commitments.exists()

    def test_a_promise_is_closed_once(self, manager_api, account):
        commitment = CommitmentFactory(account=account)

        kept = manager_api.post(f"/api/v1/commitments/{commitment.pk}/close/", {"status": "kept"}, format="json")
        broken = manager_api.post(f"/api/v1/commitments/{commitment.pk}/close/", {"status": "broken"}, format="json")

        assert kept.status_code == 200
        assert kept.json()["kept_on_time"] is True
        assert broken.status_code == 400
        assert "already closed" in _error(broken)["message"]

    def test_service_request_gets_its_deadline_from_the_channel_target(self, manager_api, account):
        response = manager_api.post(
            "/api/v1/service-requests/",
            {"account": account.pk, "channel": "phone", "subject": "Станок стоит"},
            format="json",
        )

        body = response.json()
        assert response.status_code == 201
        from datetime import datetime

        created = datetime.fromisoformat(body["created_at"])
        due = datetime.fromisoformat(body["first_response_due_at"])
        assert due - created == timedelta(minutes=3)


class TestTokens:
    def test_a_token_reads_what_its_scope_allows_and_nothing_more(self, token_client, manager, account):
        InteractionFactory(account=account)
        client = token_client(manager, ["contacts:read"])

        assert client.get("/api/v1/contacts/").status_code == 200
        denied = client.get("/api/v1/interactions/")
        assert denied.status_code == 403
        assert "interactions:read" in _error(denied)["message"]
        assert client.post("/api/v1/contacts/", {}, format="json").status_code == 403

    def test_a_wrong_or_revoked_token_is_refused(self, api_client, token_client, manager):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer crm_abcdef123456_wrong")
        assert api_client.get("/api/v1/accounts/").status_code == 401

        client = token_client(manager, ["*"])
        ApiToken.objects.update(revoked_at=timezone.now())
        response = client.get("/api/v1/accounts/")
        assert response.status_code == 401
        assert _error(response)["code"] == "authentication_failed"

    def test_a_process_remembers_a_token_for_seconds_and_forgets_it_when_revoked_or_deactivated(
        self, token_client, manager, settings, django_assert_num_queries
    ):
        from crm.services.tokens import api_token_revoke

        settings.CRM_RECENT_ROWS_SECONDS = 1
        client = token_client(manager, ["contacts:read"])
        assert client.get("/api/v1/contacts/lookup/", {"phone": "+79161234567"}).status_code == 200
        with django_assert_num_queries(1):  # the contact lookup only: the token is remembered
            assert client.get("/api/v1/contacts/lookup/", {"phone": "+79161234567"}).status_code == 200

        # Revoked elsewhere (another process): refused once the second has passed.
        ApiToken.objects.update(revoked_at=timezone.now())
        assert client.get("/api/v1/contacts/").status_code == 200
        time.sleep(1.1)
        assert client.get("/api/v1/contacts/").status_code == 401

        # Revoked or deactivated in this process (the admin's action and form): refused at once.
        token = token_client(manager, ["contacts:read"])
        assert token.get("/api/v1/contacts/").status_code == 200
        api_token_revoke(token=ApiToken.objects.get(revoked_at__isnull=True))
        assert token.get("/api/v1/contacts/").status_code == 401
        other = token_client(manager, ["contacts:read"])
        assert other.get("/api/v1/contacts/").status_code == 200
        manager.is_active = False
        manager.save()
        assert other.get("/api/v1/contacts/").status_code == 401

    def test_only_the_hash_is_stored(self, manager):
        from crm.services.tokens import api_token_issue

        token, raw = api_token_issue(user=manager, name="pbx", scopes=["*"])

        secret = raw.split("_", 2)[2]
        assert secret not in token.token_hash
        assert raw not in str(ApiToken.objects.values().get())

    def test_anonymous_requests_are_refused(self, api_client):
        response = api_client.get("/api/v1/accounts/")
        assert response.status_code in (401, 403)
        _error(response)


def test_schema_and_docs_are_served(manager_api, client, manager):
    schema = manager_api.get("/api/schema/")
    client.force_login(manager)

    assert schema.status_code == 200
    assert b"/api/v1/contacts/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_outside_local_use_the_schema_and_docs_need_a_login(api_client, client, manager_api, settings):
    settings.CRM_API_DOCS_PUBLIC = False

    assert api_client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/admin/login/")
    assert manager_api.get("/api/schema/").status_code == 200  # an integration's token still reads it


def test_an_unknown_api_url_is_a_json_404(manager_api):
    response = manager_api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_contact_reached_through_an_extension_is_found_by_the_main_number(manager_api, account):
    contact = ContactFactory(account=account)
    PhoneFactory(contact=contact, raw="+7 495 123-45-67 доб. 12", number="+74951234567", extension="12")
    PhoneFactory(contact=contact, raw="+7 495 123-45-67 доб. 13", number="+74951234567", extension="13")

    response = manager_api.get("/api/v1/contacts/", {"phone": "8 495 123-45-67"})

    assert [row["id"] for row in response.json()["results"]] == [contact.pk]
