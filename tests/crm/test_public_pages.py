"""The pages a client opens from a message, without logging in."""

import base64

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from crm.models import ContactConsent, MessageKind, OutboundMessage, TrackedLink
from crm.outreach.proposals import proposal_send
from crm.outreach.services import MessagePlan, message_plan
from crm.outreach.unsubscribe import unsubscribe_token_make, unsubscribe_url
from tests.crm.factories import ContactFactory

Purpose = ContactConsent.Purpose


@pytest.fixture
def person(account):
    return ContactFactory(account=account)


def link_for(person, purpose=Purpose.GREETINGS, channel="email"):
    return unsubscribe_url(contact_id=person.id, purpose=purpose, channel=channel).split("8000", 1)[1]


@pytest.mark.django_db
def test_the_unsubscribe_page_speaks_the_persons_language_and_preselects_what_they_got(client, person):
    response = client.get(link_for(person))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Иван Петрович, какие сообщения остановить?" in page
    assert 'value="greetings" checked' in page


@pytest.mark.django_db
def test_choosing_what_to_stop_records_it_with_a_time_and_suppresses_queued_messages(client, person):
    queued = message_plan(MessagePlan(key="b", kind=MessageKind.BIRTHDAY, contact=person))

    response = client.post(link_for(person), {"purpose": ["greetings", "marketing"], "scope": "all"})

    assert response.status_code == 200
    consents = {c.purpose: c for c in person.consents.all()}
    assert set(consents) == {"greetings", "marketing"}
    assert all(not c.granted and c.channel == "any" and c.changed_at for c in consents.values())
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SUPPRESSED


@pytest.mark.django_db
def test_mail_clients_one_click_post_unsubscribes_from_that_purpose_and_channel(client, person):
    response = client.post(link_for(person, Purpose.SERVICE), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    consent = person.consents.get()
    assert (consent.purpose, consent.channel, consent.granted) == ("service", "email", False)


@pytest.mark.django_db
def test_a_tampered_link_is_refused_and_nothing_changes(client, person):
    path = link_for(person)
    tampered = path.replace(path.split("/")[2], path.split("/")[2][:-3] + "AAA")

    response = client.post(tampered, {"purpose": ["greetings"]})

    assert response.status_code == 400
    assert "damaged" in response.content.decode()
    assert not person.consents.exists()


@pytest.mark.django_db
def test_an_expired_link_is_refused_with_a_clear_page(client, person, settings):
    token = unsubscribe_token_make(contact_id=person.id, purpose="greetings", channel="email")
    settings.CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS = -1

    response = client.get(f"/u/{token}/")

    assert response.status_code == 400
    assert "expired" in response.content.decode()


@pytest.mark.django_db
def test_the_link_says_nothing_of_whom_it_is_for(person):
    """A signed token carried "<contact id>.greetings.email" in clear: anyone holding a link read the id."""
    token = unsubscribe_token_make(contact_id=person.id, purpose="greetings", channel="email")
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))

    # Not the id alone: a one-digit id is one byte, which random ciphertext holds a third of the time.
    assert f"{person.id}.greetings".encode() not in decoded and b"greetings" not in decoded
    assert token != unsubscribe_token_make(contact_id=person.id, purpose="greetings", channel="email")


@pytest.mark.django_db
def test_a_link_sent_before_tokens_were_encrypted_still_works_until_it_expires(client, person):
    legacy = signing.TimestampSigner(salt="crm.outreach.unsubscribe").sign(f"{person.id}.greetings.email")

    response = client.post(f"/u/{legacy}/", {"purpose": ["greetings"]})

    assert response.status_code == 200
    assert person.consents.get().granted is False


@pytest.mark.django_db
def test_a_link_signed_for_something_else_is_refused(client, person):
    token = signing.TimestampSigner().sign(f"{person.id}.greetings.email")  # right payload, wrong salt

    assert client.get(f"/u/{token}/").status_code == 400


@pytest.mark.django_db
def test_submitting_nothing_or_an_unknown_kind_asks_again_without_changes(client, person):
    assert client.post(link_for(person), {}).status_code == 400
    assert client.post(link_for(person), {"purpose": ["everything"]}).status_code == 400
    assert not person.consents.exists()


@pytest.mark.django_db
def test_a_tracked_link_redirects_to_the_document_and_counts_the_open(client, person):
    link = proposal_send(contact=person, title="КП", target_url="https://files.example/kp.pdf")

    response = client.get(f"/l/{link.token}/")

    assert response.status_code == 302 and response["Location"] == "https://files.example/kp.pdf"
    link.refresh_from_db()
    assert link.open_count == 1


@pytest.mark.django_db
def test_an_unknown_tracked_link_is_a_404_page(client):
    assert client.get("/l/not-a-token/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "https://files.example.evil.example/x", "javascript:alert(1)", "//evil.example/"],
)
def test_a_tracked_link_to_a_host_outside_our_document_storage_is_refused_with_the_reason(person, target):
    with pytest.raises(ValidationError) as refused:
        proposal_send(contact=person, title="КП", target_url=target)

    assert "CRM_DOCUMENT_HOSTS" in str(refused.value) or "Enter a valid URL" in str(refused.value)
    assert not TrackedLink.objects.exists()


@pytest.mark.django_db
def test_a_stored_link_to_a_host_no_longer_allowed_does_not_redirect(client, person, settings):
    link = proposal_send(contact=person, title="КП", target_url="https://files.example/kp.pdf")
    settings.CRM_DOCUMENT_HOSTS = ["docs.our.example"]

    response = client.get(f"/l/{link.token}/")

    assert response.status_code == 404 and "Location" not in response


@pytest.mark.django_db
def test_the_admin_form_refuses_a_foreign_host_and_says_why(client, manager, person):
    client.force_login(manager)

    response = client.post(
        "/admin/crm/trackedlink/add/", {"contact": person.pk, "title": "КП", "target_url": "https://evil.example/x"}
    )

    assert response.status_code == 200
    assert "CRM_DOCUMENT_HOSTS" in str(response.context["adminform"].form.errors["target_url"])
    assert not TrackedLink.objects.exists()
