"""Who is asked and when: invitations through the outbox, throttling, triggers, rounds and reminders."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import ContactConsent, MessageKind, Order, OutboundMessage
from crm.outreach.services import outbox_send_batch
from crm.services.accounts import contact_consent_set
from surveys import links
from surveys.models import Invitation, Survey
from surveys.services.invitations import (
    cadence_round,
    survey_invite,
    survey_reminders_plan,
    surveys_cadence_plan,
    surveys_triggered_plan,
)
from surveys.services.responses import survey_response_submit
from tests.crm.factories import AccountFactory, ContactFactory, InteractionFactory, OrderFactory, ServiceRequestFactory

pytestmark = pytest.mark.django_db
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def any_hour(settings):
    settings.CRM_OUTREACH_SENDING_HOURS = (0, 24)
    settings.CRM_OUTREACH_QUIET_WEEKENDS = False


def invitations_of(contact):
    return OutboundMessage.objects.filter(contact=contact, kind=MessageKind.SURVEY_INVITATION)


def test_the_invitation_email_carries_the_signed_link_and_one_click_scores_and_the_database_does_not(
    surveys, person, smtp_server
):
    report = survey_invite(survey=surveys["nps"], people=[(person, "r1")])
    outbox_send_batch()

    assert report.invited == 1
    [email] = smtp_server.messages
    body = email.get_content().replace("\r\n", "\n")  # SMTP's line ends
    token = links.invitation_token(survey_id=surveys["nps"].id, contact_id=person.id, round="r1")
    url = links.invitation_url(token)
    assert email["Subject"].strip() == "Порекомендуете ли вы нас?"  # the person's language
    assert "Иван Петрович" in body
    assert f"0: {url}?recommend=0\n1: {url}?recommend=1\n" in body  # one line a score
    assert f"10: {url}?recommend=10\n" in body
    # Only the hash is stored: neither the invitation nor the outbox holds the token.
    message = invitations_of(person).get()
    invitation = Invitation.objects.get()
    assert token not in message.body and links.LINK_PLACEHOLDER in message.body
    assert invitation.token_hash == links.token_hash(token)
    assert invitation.sent_at is not None
    assert message.status == Status.SENT


def test_one_invitation_per_survey_person_and_round(surveys, person):
    survey_invite(survey=surveys["nps"], people=[(person, "r1")])
    again = survey_invite(survey=surveys["nps"], people=[(person, "r1"), (person, "r1")])

    assert again.invited == 0
    assert Invitation.objects.count() == 1
    assert invitations_of(person).count() == 1


def test_a_person_asked_recently_is_not_asked_another_survey_and_the_drop_is_kept(surveys, person, settings):
    settings.CRM_SURVEY_PERSON_WAIT_DAYS = 30
    survey_invite(survey=surveys["nps"], people=[(person, "r1")], now=timezone.now() - timedelta(days=10))

    report = survey_invite(survey=surveys["csat"], people=[(person, "sr-1")])
    retried = survey_invite(survey=surveys["csat"], people=[(person, "sr-1")], now=timezone.now() + timedelta(days=40))

    assert report.invited == 0 and "less than 30 days" in next(iter(report.dropped))
    assert retried.invited == 0 and retried.dropped == {}  # dropped, not retried
    dropped = Invitation.objects.get(survey=surveys["csat"])
    assert "less than 30 days" in dropped.dropped_reason
    assert invitations_of(person).count() == 1


def test_after_the_waiting_time_the_person_is_asked_again(surveys, person):
    survey_invite(survey=surveys["nps"], people=[(person, "r1")], now=timezone.now() - timedelta(days=31))

    assert survey_invite(survey=surveys["csat"], people=[(person, "sr-1")]).invited == 1


def test_new_clients_and_people_who_opted_out_are_not_asked(surveys, manager):
    new_client = ContactFactory(account=AccountFactory(manager=manager))  # created today
    opted_out = ContactFactory(account=AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=99)))
    contact_consent_set(contact=opted_out, purpose=ContactConsent.Purpose.SURVEYS, granted=False)

    report = survey_invite(survey=surveys["nps"], people=[(new_client, "r1"), (opted_out, "r1")])

    assert report.invited == 0
    assert sorted(report.dropped.values()) == [1, 1]
    assert OutboundMessage.objects.count() == 0


def test_a_closed_survey_invites_nobody(surveys, person):
    Survey.objects.filter(slug="nps").update(is_active=False)
    surveys["nps"].refresh_from_db()

    assert survey_invite(survey=surveys["nps"], people=[(person, "r1")]).invited == 0


def test_the_monthly_round_asks_each_active_accounts_decision_makers_once(surveys, person, client_account):
    ContactFactory(account=client_account, is_decision_maker=False)
    second_boss = ContactFactory(account=client_account, is_decision_maker=True)
    prospect = AccountFactory(status="prospect", created_at=timezone.now() - timedelta(days=99))
    ContactFactory(account=prospect)

    first = surveys_cadence_plan()
    second = surveys_cadence_plan()

    round = cadence_round(30, timezone.now())
    assert first.invited == 2 and second.invited == 0
    assert set(Invitation.objects.filter(round=round).values_list("contact_id", flat=True)) == {
        person.id,
        second_boss.id,
    }


def test_an_account_without_a_decision_maker_is_asked_through_its_main_person(surveys, manager):
    account = AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=99))
    main, other = (ContactFactory(account=account, is_decision_maker=False) for _ in range(2))

    report = surveys_cadence_plan()

    assert report.invited == 1
    assert list(Invitation.objects.values_list("contact_id", flat=True)) == [main.id]
    assert not Invitation.objects.filter(contact=other).exists()


def asked_rounds(contact):
    return list(
        Invitation.objects.filter(contact=contact, dropped_reason="").order_by("id").values_list("round", flat=True)
    )


def test_the_monthly_round_follows_last_months_even_when_february_is_short(surveys, person, settings):
    settings.CRM_SURVEY_PERSON_WAIT_DAYS = 30
    february, march = datetime(2027, 2, 1, 9, tzinfo=UTC), datetime(2027, 3, 1, 9, tzinfo=UTC)  # 28 days apart

    surveys_cadence_plan(now=february)
    march_report = surveys_cadence_plan(now=march)

    assert march_report.invited == 1 and march_report.dropped == {}
    assert asked_rounds(person) == ["2027-02", "2027-03"]


def test_an_account_on_its_own_survey_day_and_cadence(surveys, person, client_account, manager):
    client_account.survey_day = 15  # the client prepays on the 15th
    client_account.save()
    quarterly = ContactFactory(
        account=AccountFactory(manager=manager, created_at=client_account.created_at, survey_cadence_days=90),
        is_decision_maker=True,
    )

    for day in (datetime(2027, 1, 14, 9, tzinfo=UTC), datetime(2027, 1, 15, 9, tzinfo=UTC)):
        surveys_cadence_plan(now=day)
    surveys_cadence_plan(now=datetime(2027, 2, 14, 9, tzinfo=UTC))

    # Dec 15 - Jan 14, then Jan 15 - Feb 14: two rounds, however often the job runs.
    assert asked_rounds(person) == ["2026-12", "2027-01"]
    assert len(asked_rounds(quarterly)) == 1  # one 90-day round, not one a month


def test_a_survey_schedule_out_of_range_is_refused(client_account):
    client_account.survey_day, client_account.survey_cadence_days = 31, 3

    with pytest.raises(ValidationError) as refused:
        client_account.full_clean()

    assert set(refused.value.message_dict) == {"survey_day", "survey_cadence_days"}


def test_rotation_asks_one_person_per_account_and_nobody_twice_a_quarter(surveys, client_account, settings):
    settings.CRM_SURVEY_PERSON_WAIT_DAYS = 0
    relationship = surveys["relationship"]
    relationship.audience = Survey.Audience.ROTATE
    relationship.save()
    people = [ContactFactory(account=client_account, is_decision_maker=i == 0) for i in range(3)]
    asked = []
    for months_ago in (3, 2, 1, 0):
        now = timezone.now() - timedelta(days=30 * months_ago)
        surveys_cadence_plan(now=now)
        asked.append(
            Invitation.objects.filter(round=cadence_round(relationship.cadence_days, now))
            .values_list("contact_id", flat=True)
            .first()
        )

    assert asked[:3] == [people[0].id, people[1].id, people[2].id]  # decision maker first, then in turn
    assert asked[3] == people[0].id  # a quarter later, the first again


def test_triggers_ask_after_a_resolved_request_a_delivery_and_a_chosen_kind_of_interaction(
    surveys, person, client_account
):
    now = timezone.now()
    request = ServiceRequestFactory(
        account=client_account, contact=person, created_at=now - timedelta(days=1), resolved_at=now - timedelta(hours=3)
    )
    Survey.objects.filter(slug="nps").update(trigger=Survey.Trigger.INTERACTION, trigger_channels=["meeting"])
    other = ContactFactory(account=AccountFactory(created_at=now - timedelta(days=99)), is_decision_maker=True)
    meeting = InteractionFactory(
        account=other.account, contact=other, channel="meeting", occurred_at=now - timedelta(hours=5)
    )
    InteractionFactory(account=other.account, contact=other, channel="email", occurred_at=now - timedelta(hours=5))
    third = ContactFactory(account=AccountFactory(created_at=now - timedelta(days=99)), is_decision_maker=True)
    order = OrderFactory(
        account=third.account, status=Order.Status.DELIVERED, delivered_at=now - timedelta(days=1, hours=1)
    )

    report = surveys_triggered_plan()

    assert report.invited == 3
    assert set(Invitation.objects.values_list("survey__slug", "contact_id", "round")) == {
        ("csat", person.id, f"service-request-{request.id}"),
        ("nps", other.id, f"interaction-{meeting.id}"),
        ("ces", third.id, f"order-{order.id}"),
    }
    assert surveys_triggered_plan().invited == 0


def test_an_event_younger_than_the_surveys_delay_waits(surveys, person, client_account):
    now = timezone.now()
    ServiceRequestFactory(
        account=client_account,
        contact=person,
        created_at=now - timedelta(days=1),
        resolved_at=now - timedelta(minutes=30),
    )

    assert surveys_triggered_plan().invited == 0


def test_reminders_go_to_those_who_have_not_answered_spaced_and_bounded(surveys, person, invite):
    nps = surveys["nps"]
    nps.reminders, nps.reminder_interval_days = 2, 3
    nps.save()
    invite(person, "nps", "r1")
    outbox_send_batch()
    invitation = Invitation.objects.get()
    now = invitation.sent_at

    planned = [survey_reminders_plan(now=now + timedelta(days=days)) for days in (1, 3, 4, 6, 9)]

    assert planned == [0, 1, 0, 1, 0]
    keys = OutboundMessage.objects.filter(kind=MessageKind.SURVEY_REMINDER).values_list("idempotency_key", flat=True)
    assert sorted(keys) == [f"survey-reminder:{invitation.id}:1", f"survey-reminder:{invitation.id}:2"]


def test_a_reminder_planned_before_the_answer_is_not_sent_after_it(surveys, person, invite, smtp_server):
    token = invite(person, "nps", "r1")
    outbox_send_batch()
    sent_at = Invitation.objects.get().sent_at
    survey_reminders_plan(now=sent_at + timedelta(days=3))

    survey_response_submit(token=token, answers={"recommend": 9}, complete=True)
    outbox_send_batch()

    reminder = OutboundMessage.objects.get(kind=MessageKind.SURVEY_REMINDER)
    assert reminder.status == Status.SUPPRESSED
    assert "answered" in reminder.status_reason
    assert len(smtp_server.messages) == 1  # the invitation only


def test_an_answered_person_gets_no_reminder(surveys, person, invite):
    token = invite(person, "nps", "r1")
    outbox_send_batch()
    survey_response_submit(token=token, answers={"recommend": 9}, complete=True)

    assert survey_reminders_plan(now=timezone.now() + timedelta(days=5)) == 0
