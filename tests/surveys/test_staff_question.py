"""Type 1 clients (emotional, confident; DOMAIN §5) are asked whom of our staff to reward, penalise or train, and
the answer goes to the head of their manager."""

import pytest

from crm.models import BehaviourType, Task
from surveys.models import FeedbackItem

pytestmark = pytest.mark.django_db

QUESTION = "Кого из наших сотрудников нам стоит наградить, наказать или обучить"


def test_only_a_type_1_client_is_asked_about_our_staff(client, person, invite, client_account):
    others = client.get(f"/s/{invite(person, 'relationship', round='r1')}/").content.decode()
    client_account.behaviour_type = BehaviourType.EMOTIONAL_CONFIDENT
    client_account.save()
    type_1 = client.get(f"/s/{invite(person, 'relationship', round='r2')}/").content.decode()

    assert QUESTION not in others
    assert QUESTION in type_1


def test_the_answer_is_a_task_for_the_managers_head_with_the_clients_words(
    client, person, invite, client_account, manager, head
):
    client_account.behaviour_type = BehaviourType.EMOTIONAL_CONFIDENT
    client_account.save()
    token = invite(person, "relationship")
    words = "Наградить Ольгу со склада: отгрузила в выходной. Обучить нового логиста документам."

    for _ in range(2):  # a double click records one answer and one task
        client.post(f"/s/{token}/", {"q_result": "9", "q_staff_feedback": words, "action": "send"})

    [task] = Task.objects.filter(created_by_rule="staff_feedback")
    assert task.assignee == head and task.account == client_account
    assert task.description == words
    assert task.title.startswith("About our staff, from ООО «Ромашка»: Наградить Ольгу")
    assert FeedbackItem.objects.filter(question_code="staff_feedback", text=words).exists()


def test_a_question_not_asked_of_this_client_cannot_be_answered_on_the_page(client, person, invite, head):
    token = invite(person, "relationship")

    client.post(f"/s/{token}/", {"q_result": "9", "q_staff_feedback": "Уволить всех", "action": "send"})

    assert not Task.objects.filter(created_by_rule="staff_feedback").exists()
