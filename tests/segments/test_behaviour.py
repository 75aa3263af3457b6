"""Behaviour types (DOMAIN §5): the manager's two axes, the account's type, and the lexicons' suggestions."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from crm.models import Account, AccountEvent, BatchCheckpoint, Contact, Interaction, Task
from crm.services.accounts import account_update, contact_update
from crm.services.activity import interaction_log
from crm.services.behaviour import contact_behaviour_set
from crm.telephony.card import caller_card
from segments.lexicon import Matcher, Term, phrase_stems
from segments.models import BehaviourSuggestion, LexiconEntry
from segments.services.behaviour import behaviour_suggest_all, suggestion_build
from tests.commit import committed
from tests.crm.factories import AccountFactory, ContactFactory, TaskFactory

pytestmark = pytest.mark.django_db


def note(contact, text, *, days_ago=1):
    return Interaction.objects.create(
        account=contact.account,
        contact=contact,
        channel="phone",
        direction="inbound",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        notes=text,
    )


def suggestion_of(contact):
    return BehaviourSuggestion.objects.filter(contact=contact).first()


# --- The manager's choice ---------------------------------------------------------------------------


def test_the_account_takes_its_decision_makers_type_and_the_history_says_who_changed_it(manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True)
    clerk = ContactFactory(account=account, is_decision_maker=False)

    contact_behaviour_set(contact=clerk, emotional="yes", confident="yes", acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type is None  # not the decision maker

    contact_behaviour_set(contact=boss, emotional="no", confident="no", acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type == 3
    change = AccountEvent.objects.filter(account=account, type="behaviour_type_changed").get()
    assert change.data == {"from": None, "to": 3, "source": "decision_maker", "contact": boss.id}
    assert change.acting_user == manager
    assert AccountEvent.objects.filter(account=account, type="contact_behaviour_changed").count() == 2

    contact_behaviour_set(contact=boss, emotional="no", confident="unsure", acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type is None  # "not sure" on one axis: no type


def test_a_type_set_on_the_account_wins_until_it_is_cleared(manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True, emotional="yes", confident="no")
    account_update(account=account, behaviour_type_set=2, acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type == 2

    contact_behaviour_set(contact=boss, emotional="yes", confident="yes")
    account.refresh_from_db()
    assert account.behaviour_type == 2  # the account's own type still stands

    account_update(account=account, behaviour_type_set=None, acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type == 1  # back to the decision maker's


def test_making_someone_else_the_decision_maker_moves_the_type(manager):
    account = AccountFactory(manager=manager)
    old_boss = ContactFactory(account=account, is_decision_maker=True, emotional="yes", confident="yes")
    new_boss = ContactFactory(account=account, is_decision_maker=False, emotional="no", confident="yes")
    contact_update(contact=old_boss, is_decision_maker=True, acting_user=manager)  # nothing changed
    contact_update(contact=old_boss, is_decision_maker=False, acting_user=manager)
    contact_update(contact=new_boss, is_decision_maker=True, acting_user=manager)
    account.refresh_from_db()
    assert account.behaviour_type == 2


def test_an_axis_must_be_yes_no_or_unsure(account):
    person = ContactFactory(account=account)
    with pytest.raises(ValidationError) as error:
        contact_behaviour_set(contact=person, emotional="maybe", confident="yes")
    assert "emotional" in error.value.message_dict
    person.refresh_from_db()
    assert (person.emotional, person.confident) == ("unsure", "unsure")


# --- The lexicons ---------------------------------------------------------------------------------------


def test_russian_word_forms_match_their_entry_and_the_excerpt_quotes_the_note():
    matcher = Matcher(
        [
            (phrase_stems("гарантия"), Term(1, "гарантия", "confident", "no", 2)),
            (phrase_stems("таблица сравнения"), Term(2, "таблица сравнения", "emotional", "no", 2)),
            (phrase_stems("I decide"), Term(3, "I decide", "confident", "yes", 2)),
        ]
    )
    found = list(matcher.matches("Просил гарантии на монтаж и таблицей сравнения не доволен. I decided nothing."))
    assert [match.term.phrase for match in found] == ["гарантия", "таблица сравнения", "I decide"]
    assert "«гарантии»" in found[0].excerpt
    assert list(matcher.matches("Гарантийный талон потерян")) == []  # another word, not a form of it
    assert list(matcher.matches("сравнения таблица")) == []  # a phrase is its words in order


def test_a_lexicon_entry_that_is_empty_or_a_duplicate_is_refused_with_the_other_entry_named():
    with pytest.raises(ValidationError) as empty:
        LexiconEntry(language="ru", axis="confident", leans="no", phrase="  !!! ").full_clean()
    assert "no letters" in str(empty.value)
    with pytest.raises(ValidationError) as twin:
        # "гарантии" is a form of the shipped entry "гарантия": the same words, so the same entry
        LexiconEntry(language="ru", axis="confident", leans="yes", phrase="Гарантии").full_clean()
    assert "гарантия" in str(twin.value)
    other_axis = LexiconEntry(language="ru", axis="emotional", leans="no", phrase="Гарантии")
    other_axis.full_clean()  # the same words may hint at the other axis
    assert other_axis.stems == "гарант"


# --- Suggestions ---------------------------------------------------------------------------------------


def test_the_suggestion_reads_the_notes_and_answers_and_keeps_its_evidence(account):
    person = ContactFactory(account=account, is_decision_maker=True)
    note(person, "Спросил про гарантии и надёжность, боимся срыва сроков.", days_ago=3)
    note(person, "Без эмоций, по существу: нужны цифры.", days_ago=2)
    note(person, "Подтвердили сроки.", days_ago=1)

    behaviour_suggest_all()

    suggestion = suggestion_of(person)
    # confident: no on гарантия 2 + надежность 2 + боимся 2 = 6, nothing for yes: 100 % sure;
    # emotional: no on без эмоций 2 + по существу 2 + цифры 1 = 5 of 6: 83 %
    assert (suggestion.emotional, suggestion.confident) == ("no", "no")
    assert (suggestion.emotional_confidence, suggestion.confident_confidence) == (83, 100)
    assert suggestion.behaviour_type == 3 and suggestion.confidence == 83
    assert suggestion.texts == 3
    assert {item["phrase"] for item in suggestion.evidence} == {
        "гарантия",
        "надежность",
        "боимся",
        "без эмоций",
        "по существу",
        "цифры",
    }
    newest_note = suggestion.evidence[:3]  # newest first
    assert {item["phrase"] for item in newest_note} == {"без эмоций", "по существу", "цифры"}
    assert "нужны «цифры»" in newest_note[2]["excerpt"] and newest_note[2]["source"] == "interaction"


def test_a_faint_or_contradicting_hint_stays_not_sure():
    matcher = Matcher(
        [
            (phrase_stems("рады"), Term(1, "рады", "emotional", "yes", 1)),
            (phrase_stems("настаиваю"), Term(2, "настаиваю", "confident", "yes", 2)),
            (phrase_stems("не уверен"), Term(3, "не уверен", "confident", "no", 2)),
        ]
    )
    now = timezone.now()
    texts = [("interaction", 1, now, "Рады звонку. Настаиваю на сроках, но не уверен в объёме.")]
    suggestion = suggestion_build(contact_id=1, texts=texts, matcher=matcher, now=now)
    assert (suggestion.emotional, suggestion.emotional_confidence) == ("unsure", 17)  # 1 of 6
    assert (suggestion.confident, suggestion.confident_confidence) == ("unsure", 0)  # 2 against 2
    assert suggestion.behaviour_type is None
    assert suggestion_build(contact_id=1, texts=[("interaction", 2, now, "Ничего")], matcher=matcher, now=now) is None


def test_a_suggestion_never_overwrites_the_manager_and_the_card_shows_the_disagreement(client, manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True)
    contact_behaviour_set(contact=boss, emotional="yes", confident="yes", acting_user=manager)  # type 1

    with committed():
        interaction_log(
            account=account,
            contact=boss,
            channel="phone",
            direction="inbound",
            notes="Спокойно, без эмоций: нужна гарантия и отзывы, боимся рисков. Посоветуюсь.",
        )

    boss.refresh_from_db()
    account.refresh_from_db()
    assert (boss.emotional, boss.confident, account.behaviour_type) == ("yes", "yes", 1)
    suggestion = suggestion_of(boss)  # suggested at once, without a batch run
    assert suggestion.behaviour_type == 3 and suggestion.disagrees

    client.force_login(manager)
    card = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()
    assert 'data-testid="behaviour-disagrees"' in card
    assert "suggested: type 3" in card
    page = client.get(reverse("admin:crm_contact_change", args=[boss.pk])).content.decode()
    assert "«гарантия»" in page and "disagrees with the manager" in page


def test_accepting_the_suggestion_takes_only_the_axes_it_is_sure_of(client, manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True, emotional="yes")
    note(boss, "Нужна гарантия, боимся срыва, надежность важнее цены.")
    behaviour_suggest_all()
    client.force_login(manager)

    response = client.post(
        reverse("admin:crm_contact_changelist"),
        {"action": "accept_behaviour_suggestion", "_selected_action": [boss.pk]},
    )

    assert response.status_code == 302
    boss.refresh_from_db()
    account.refresh_from_db()
    assert (boss.emotional, boss.confident) == ("yes", "no")  # emotional: the suggestion was not sure
    assert account.behaviour_type == 4
    assert AccountEvent.objects.get(account=account, type="contact_behaviour_changed").acting_user == manager


def test_the_batch_run_resumes_from_its_checkpoint_and_drops_evidence_that_is_gone(manager):
    people = []
    for _ in range(5):
        person = ContactFactory(account=AccountFactory(manager=manager))
        note(person, "Нужна гарантия.")
        people.append(person)
    # A run that stopped after the first two accounts' batch:
    first_two = sorted(p.account_id for p in people)[1]
    BatchCheckpoint.objects.create(name="behaviour-suggest", position=first_two)

    summary = behaviour_suggest_all(batch_accounts=2)

    assert summary == {"accounts": 3, "suggested": 3, "resumed_from": first_two}
    assert BehaviourSuggestion.objects.count() == 3  # the first two were done by the run that stopped
    Interaction.objects.filter(contact=people[-1]).update(notes="Всё хорошо.")
    assert behaviour_suggest_all(batch_accounts=2)["accounts"] == 5  # a finished run starts again
    assert BehaviourSuggestion.objects.count() == 4
    assert suggestion_of(people[-1]) is None


def test_the_command_prints_a_summary(manager, capsys):
    note(ContactFactory(account=AccountFactory(manager=manager)), "I insist on the best terms, I decide.")
    call_command("suggest_behaviour", "--quiet", "--restart")
    assert "1 accounts read" in capsys.readouterr().out
    assert BehaviourSuggestion.objects.get().confident == "yes"


def test_no_data_gives_not_sure_and_the_caller_card_shows_the_type_with_its_hint(manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True)
    behaviour_suggest_all()
    assert suggestion_of(boss) is None and Account.objects.get(pk=account.pk).behaviour_type is None

    contact_behaviour_set(contact=boss, emotional="yes", confident="no")
    card = caller_card(contact=Contact.objects.select_related("account").get(pk=boss.pk), number="+79161234567")
    assert card["behaviour_type"] == 4 and card["behaviour_hint"]


# --- The API -------------------------------------------------------------------------------------------


def test_the_api_shows_type_suggestion_and_evidence_and_takes_the_managers_axes(manager_api, manager):
    account = AccountFactory(manager=manager)
    boss = ContactFactory(account=account, is_decision_maker=True)
    note(boss, "Требует лучшие условия: решение принимаю я, без согласований.")
    behaviour_suggest_all()

    response = manager_api.patch(f"/api/v1/contacts/{boss.pk}/", {"emotional": "no", "confident": "yes"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["emotional"], body["confident"], body["behaviour_type"]) == ("no", "yes", 2)
    assert body["behaviour_suggestion"]["confident"] == "yes"
    assert body["behaviour_suggestion"]["disagrees"] is False
    assert {item["phrase"] for item in body["behaviour_suggestion"]["evidence"]} >= {"решение принимаю я"}
    account_body = manager_api.get(f"/api/v1/accounts/{account.pk}/").json()
    assert (account_body["behaviour_type"], account_body["behaviour_type_source"]) == (2, "decision_maker")
    assert [a["id"] for a in manager_api.get("/api/v1/accounts/?behaviour_type=2").json()["results"]] == [account.pk]

    bad = manager_api.patch(f"/api/v1/contacts/{boss.pk}/", {"emotional": "very"}, format="json")
    assert bad.status_code == 400 and "emotional" in bad.json()["error"]["fields"]


def test_a_type_4_clients_call_backs_and_meetings_carry_a_video_call_and_a_video_message_plays_on_the_timeline(
    client, manager, settings
):
    settings.CRM_VIDEO_ROOM_URL = "https://video.example/rooms/{room}"
    warm = AccountFactory(manager=manager, behaviour_type=4)
    cool = AccountFactory(manager=manager, behaviour_type=3)
    call_back = TaskFactory(account=warm, assignee=manager, kind=Task.Kind.CALL_BACK)
    meeting = TaskFactory(account=warm, assignee=manager, kind=Task.Kind.MEETING)
    document = TaskFactory(account=warm, assignee=manager, kind=Task.Kind.DOCUMENT)
    other = TaskFactory(account=cool, assignee=manager, kind=Task.Kind.CALL_BACK)
    interaction_log(
        account=warm,
        channel=Interaction.Channel.VIDEO_MESSAGE,
        direction="outbound",
        subject="Видеообращение: как пройдёт монтаж",
        recording_url="https://video.example/messages/42",
    )

    assert call_back.video_link.startswith("https://video.example/rooms/crm-")
    assert meeting.video_link not in ("", call_back.video_link)  # a room of each task's own
    assert document.video_link == "" and other.video_link == ""  # not a call, or not a type 4 client
    client.force_login(manager)
    card = client.get(reverse("admin:crm_account_change", args=[warm.pk])).content.decode()
    assert call_back.video_link in card and 'data-testid="video-call"' in card
    assert ">Watch</a>" in card and "https://video.example/messages/42" in card
