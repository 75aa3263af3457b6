"""The closed loop: low scores and requests become cases with owners, wishes become items, clients are told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import MessageKind, OutboundMessage, Task
from crm.outreach.services import outbox_send_batch
from surveys.models import Case, FeedbackItem, FeedbackRule, Response
from surveys.services.loop import case_close, cases_escalate, feedback_item_update
from surveys.services.responses import survey_drafts_finalise, survey_response_record, survey_response_submit
from tests.crm.factories import InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def any_hour(settings):
    settings.CRM_OUTREACH_SENDING_HOURS = (0, 24)
    settings.CRM_OUTREACH_QUIET_WEEKENDS = False


def answer(invite, person, slug, answers, round="r1"):
    token = invite(person, slug, round)
    return survey_response_submit(token=token, answers=answers, complete=True)


def test_a_detractor_opens_one_case_for_the_manager_with_a_task_and_an_alert(invite, person, manager, surveys):
    before = timezone.now()
    answer(invite, person, "nps", {"recommend": 3, "reason": "Поставка опять задержалась"})

    case = Case.objects.get()
    assert (case.reason, case.owner, case.status, case.urgent) == ("nps_detractor", manager, "open", False)
    assert before + timedelta(hours=47) < case.due_at <= timezone.now() + timedelta(hours=48)
    assert "3" in case.summary and "Сидоров Иван Петрович" in case.summary
    task = Task.objects.get(assignee=manager)
    assert task.due_at == case.due_at
    alert = OutboundMessage.objects.get(kind=MessageKind.CASE_OPENED)
    assert alert.recipient_user == manager and "/admin/surveys/case/" in alert.body
    item = FeedbackItem.objects.get()
    assert (item.text, item.urgency, item.question_code) == ("Поставка опять задержалась", 3, "reason")


def test_a_second_low_score_while_the_case_is_open_adds_no_case(invite, person, surveys):
    answer(invite, person, "nps", {"recommend": 3}, round="r1")
    survey_response_record(
        survey=surveys["nps"], contact=person, submitted_at=timezone.now(), external_id="x", answers={"recommend": 1}
    )

    assert Case.objects.count() == 1


def test_a_passive_and_a_satisfied_client_open_no_case(invite, person, surveys):
    answer(invite, person, "nps", {"recommend": 7})
    survey_response_record(
        survey=surveys["csat"],
        contact=person,
        submitted_at=timezone.now(),
        external_id="c",
        answers={"satisfaction": 3},
    )

    assert Case.objects.count() == 0


def test_low_csat_and_a_red_relationship_average_open_cases(invite, person, surveys, settings):
    settings.CRM_SURVEY_PERSON_WAIT_DAYS = 0
    survey_response_record(
        survey=surveys["csat"],
        contact=person,
        submitted_at=timezone.now(),
        external_id="c",
        answers={"satisfaction": 2},
    )
    answer(invite, person, "relationship", {"result": 6, "understanding": 7, "service_quality": 7, "recommend": 7})

    assert set(Case.objects.values_list("reason", flat=True)) == {"low_csat", "red_relationship"}
    # 6.75 is red; the recommend of 7 on 1..10 is a passive, not a detractor
    assert "6.8" in Case.objects.get(reason="red_relationship").summary


def test_talk_to_owner_goes_to_the_head_of_the_company_urgently(invite, person, settings):
    boss = UserFactory(username="ceo")
    settings.CRM_COMPANY_HEAD_USERNAME = "ceo"

    answer(invite, person, "relationship", {"result": 10, "recommend": 10, "talk_to_owner": "yes"})

    case = Case.objects.get()
    assert (case.reason, case.owner, case.urgent) == ("talk_to_owner", boss, True)
    assert Task.objects.get(assignee=boss).priority == Task.Priority.URGENT


def test_a_switched_off_rule_opens_nothing(invite, person):
    FeedbackRule.objects.filter(reason="nps_detractor").update(is_active=False)

    answer(invite, person, "nps", {"recommend": 0})

    assert Case.objects.count() == 0


def test_an_imported_answer_from_long_ago_counts_but_opens_no_case(person, surveys):
    survey_response_record(
        survey=surveys["nps"],
        contact=person,
        submitted_at=timezone.now() - timedelta(days=200),
        external_id="old",
        answers={"recommend": 0},
    )

    assert Case.objects.count() == 0 and Response.objects.count() == 1


def test_an_overdue_case_escalates_once_to_the_owners_head(invite, person, head):
    answer(invite, person, "nps", {"recommend": 2})
    later = timezone.now() + timedelta(hours=49)

    assert cases_escalate(now=later) == 1
    assert cases_escalate(now=later) == 0

    case = Case.objects.get()
    assert (case.escalated_to, case.escalated_at) == (head, later)
    alert = OutboundMessage.objects.get(kind=MessageKind.CASE_OVERDUE)
    assert alert.recipient_user == head


def test_a_call_to_the_client_before_the_deadline_stops_the_escalation(invite, person, manager):
    answer(invite, person, "nps", {"recommend": 2})
    InteractionFactory(account=person.account, contact=person, user=manager, occurred_at=timezone.now())

    assert cases_escalate(now=timezone.now() + timedelta(hours=49)) == 0
    assert Case.objects.get().first_contact_at is not None


def test_closing_a_case_needs_what_was_done_and_closes_its_task(invite, person, manager):
    answer(invite, person, "nps", {"recommend": 2})
    case = Case.objects.get()

    case_close(case=case, resolution="Позвонили, перенесли поставку", acting_user=manager)

    assert Case.objects.get().status == "closed"
    assert Task.objects.get().status == Task.Status.DONE


def test_done_wish_tells_the_client_in_their_language_and_records_when(invite, person, manager, smtp_server):
    answer(invite, person, "relationship", {"result": 9, "fix_three": "Сделайте личный кабинет"})
    item = FeedbackItem.objects.get()

    feedback_item_update(
        item=item,
        status=FeedbackItem.Status.DONE,
        done_note="Личный кабинет открыт",
        tell_client=True,
        acting_user=manager,
    )
    outbox_send_batch()

    told = OutboundMessage.objects.get(kind=MessageKind.FEEDBACK_DONE)
    assert told.contact == person and told.language == "ru"
    assert "Сделайте личный кабинет" in told.body and "Личный кабинет открыт" in told.body
    item.refresh_from_db()
    assert item.client_told_at is not None
    assert any("Личный кабинет открыт" in m.get_content() for m in smtp_server.messages)


def test_a_draft_left_unsent_counts_after_a_day(client, invite, person, settings):
    settings.CRM_SURVEY_DRAFT_FINALISE_HOURS = 24
    token = invite(person, "nps")
    survey_response_submit(token=token, answers={"recommend": 2}, complete=False)

    assert survey_drafts_finalise() == 0
    assert survey_drafts_finalise(now=timezone.now() + timedelta(hours=25)) == 1
    assert Response.objects.get().completed
    assert Case.objects.count() == 1
