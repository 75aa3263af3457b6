"""Outreach in the admin: the outbox, the card's messages, templates, campaigns and tracked proposals."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from crm.models import Campaign, Industry, MessageKind, MessageTemplate, OutboundMessage, TrackedLink
from crm.outreach.services import MessagePlan, message_plan
from tests.crm.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def birthday_for(contact):
    return message_plan(MessagePlan(key=f"birthday:{contact.pk}", kind=MessageKind.BIRTHDAY, contact=contact))


def test_a_manager_sees_in_the_outbox_only_messages_to_their_own_clients(client, manager, other_manager, account):
    mine = birthday_for(ContactFactory(account=account))
    birthday_for(ContactFactory(account=AccountFactory(manager=other_manager)))
    client.force_login(manager)

    response = client.get(reverse("admin:crm_outboundmessage_changelist"))

    assert list(response.context["cl"].result_list) == [mine]


def test_the_client_card_lists_the_messages_sent_with_their_status_and_reason(client, manager, account):
    message = birthday_for(ContactFactory(account=account))
    OutboundMessage.objects.filter(pk=message.pk).update(status="failed", status_reason="SMTP 550: No such user")
    client.force_login(manager)

    page = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()

    assert message.subject in page
    assert "crm-badge--failed" in page and "SMTP 550: No such user" in page


def test_a_failed_message_is_retried_from_the_admin(client, manager, account):
    message = birthday_for(ContactFactory(account=account))
    OutboundMessage.objects.filter(pk=message.pk).update(status="failed", attempts=6, status_reason="timeout")
    client.force_login(manager)

    client.post(reverse("admin:crm_outboundmessage_changelist"), {"action": "retry", "_selected_action": [message.pk]})

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 0)


def test_saving_a_template_with_an_unknown_variable_shows_the_variable(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:crm_messagetemplate_add"),
        {
            "kind": "birthday",
            "language": "ru",
            "behaviour_type": "1",
            "subject": "Привет",
            "body": "{{ contakt.name }}",
        },
    )

    assert response.status_code == 200
    assert "contakt.name" in response.content.decode()
    assert not MessageTemplate.objects.filter(kind="birthday", behaviour_type=1).exists()


def test_sending_a_proposal_from_the_admin_creates_the_tracked_link_and_the_message(client, manager, account):
    person = ContactFactory(account=account)
    client.force_login(manager)

    response = client.post(
        reverse("admin:crm_trackedlink_add"),
        {"contact": person.pk, "title": "КП на прессы", "target_url": "https://files.example/kp.pdf"},
    )

    assert response.status_code == 302
    link = TrackedLink.objects.get()
    assert (link.account, link.created_by) == (account, manager)
    assert OutboundMessage.objects.get(kind=MessageKind.PROPOSAL).contact == person


def test_starting_a_campaign_without_an_audience_says_why(client, superuser):
    campaign = Campaign.objects.create(name="Советы", subject_ru="a", body_ru="b", subject_en="a", body_en="b")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:crm_campaign_changelist"),
        {"action": "activate", "_selected_action": [campaign.pk]},
        follow=True,
    )

    assert "Choose the audience first" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    campaign.industries.add(Industry.objects.create(name="Химия"))
    client.post(reverse("admin:crm_campaign_changelist"), {"action": "activate", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_the_seven_jobs_and_the_sender_are_scheduled_and_editable_in_the_admin(client, superuser):
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    client.force_login(superuser)

    assert {
        "crm.outbox_send",
        "crm.promises_remind",
        "crm.outreach_maintenance_due",
        "crm.outreach_deliveries",
        "crm.outreach_orders_on_track",
        "crm.outreach_greetings",
        "crm.outreach_campaigns",
    } <= tasks
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200


def test_a_schedule_someone_changed_survives_the_next_migrate(superuser):
    from crm.schedules import schedules_install

    PeriodicTask.objects.filter(task="crm.outreach_greetings").update(enabled=False)

    schedules_install()

    assert PeriodicTask.objects.get(task="crm.outreach_greetings").enabled is False


def test_my_day_shows_my_kept_promise_rate_with_its_sample(client, manager, account):
    from datetime import timedelta

    from django.utils import timezone

    from tests.crm.factories import CommitmentFactory

    due = timezone.now() - timedelta(days=1)
    CommitmentFactory(account=account, owner=manager, due_at=due, status="kept", fulfilled_at=due)
    CommitmentFactory(account=account, owner=manager, due_at=due, status="broken")
    manager.language = "ru"
    manager.save()
    client.force_login(manager)

    page = client.get(reverse("admin:crm_my_day")).content.decode()

    assert "Обещаний выполнено в срок за последние 30 дн.: 50,0 % (1 из 2)" in page
    assert "мало данных" in page


def test_my_days_department_figure_is_fetched_after_the_page_and_counts_the_whole_department(
    client, manager, head, account
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.crm.factories import AccountFactory, CommitmentFactory

    due = timezone.now() - timedelta(days=1)
    CommitmentFactory(account=account, owner=manager, due_at=due, status="kept", fulfilled_at=due)
    CommitmentFactory(account=AccountFactory(manager=head), owner=head, due_at=due, status="broken")
    client.force_login(manager)

    page = client.get(reverse("admin:crm_my_day")).content.decode()
    fragment = client.get(reverse("admin:crm_my_day_department")).content.decode()

    assert f'data-fragment="{reverse("admin:crm_my_day_department")}"' in page
    assert "your department: 50.0 % (1 of 2)" in fragment
