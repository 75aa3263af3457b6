"""Journey moves (DOMAIN §7): the rules move accounts forward as things happen; managers move them anywhere."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import Industry, Interaction, Order, Task
from crm.outreach.proposals import proposal_send
from crm.services.accounts import account_create
from crm.services.activity import interaction_log
from crm.services.orders import order_create
from journeys.models import AccountJourney, Journey, Stage, Touchpoint, Transition, TransitionRule
from journeys.services import (
    account_stage_move,
    drawn_out_tasks_open,
    journeys_backfill,
    stage_norms_refresh,
)
from surveys.models import Survey
from surveys.services.responses import survey_response_record
from tests.commit import committed
from tests.crm.factories import AccountFactory, ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db


def stage(code):
    return Stage.objects.get(journey__is_default=True, code=code)


def stage_of(account):
    state = AccountJourney.objects.filter(account=account).select_related("stage").first()
    return state and (state.stage.code if state.stage else "lost")


def history(account):
    return [
        (t.from_stage.code if t.from_stage else None, t.to_stage.code if t.to_stage else None, t.rule)
        for t in Transition.objects.filter(account=account).order_by("at", "id")
    ]


def log(account, contact=None, **fields):
    with committed():
        return interaction_log(account=account, contact=contact, channel="phone", direction="inbound", **fields)[0]


def test_the_rules_move_an_account_forward_through_every_stage(manager):
    account = AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=30))
    person = ContactFactory(account=account, is_decision_maker=True, email="boss@example.ru")

    log(account, person)
    assert stage_of(account) == "awareness"
    demo = Touchpoint.objects.get(stage__code="consideration", channel="demo")
    log(account, person, touchpoint=demo)
    assert stage_of(account) == "consideration"
    with committed():
        proposal_send(contact=person, title="КП", target_url="https://example.com/kp.pdf", acting_user=manager)
    assert stage_of(account) == "decision"
    with committed():
        order = order_create(account=account, number="A-1", amount=Decimal("1000"), ordered_at=timezone.now())
    assert stage_of(account) == "purchase"
    order.delivered_at = timezone.now()
    order.save()
    from crm.services.orders import order_delivered

    with committed():
        order_delivered(order=order)
    assert stage_of(account) == "usage"
    with committed():
        survey_response_record(
            survey=Survey.objects.get(slug="nps"),
            contact=person,
            submitted_at=timezone.now(),
            external_id="promoter-1",
            answers={"recommend": 10},
        )
    assert stage_of(account) == "advocacy"

    assert history(account) == [
        (None, "awareness", "interaction"),
        ("awareness", "consideration", "touchpoint"),
        ("consideration", "decision", "proposal_sent"),
        ("decision", "purchase", "order"),
        ("purchase", "usage", "order_delivered"),
        ("usage", "advocacy", "promoter_answer"),
    ]
    touchpoints = [
        t.touchpoint.channel if t.touchpoint else None
        for t in Transition.objects.filter(account=account).order_by("at", "id")
    ]
    assert touchpoints == [None, "demo", "proposal", None, "delivery", "survey"]  # events are touchpoints too
    stays = Transition.objects.filter(account=account).order_by("at", "id")
    assert all(stay.left_at == following.at for stay, following in itertools.pairwise(stays))
    assert stays.last().left_at is None


def test_rules_never_move_an_account_back_and_a_switched_off_rule_moves_nobody(manager):
    account = AccountFactory(manager=manager)
    OrderFactory(account=account)  # made directly: no rule saw it
    with committed():
        order_create(account=account, number="A-2", amount=Decimal("10"), ordered_at=timezone.now())
    assert stage_of(account) == "purchase"
    log(account)  # a later call is not a first contact
    assert stage_of(account) == "purchase"

    other = AccountFactory(manager=manager)
    TransitionRule.objects.filter(event="interaction").update(is_active=False)
    log(other)
    assert stage_of(other) is None


def test_a_referral_moves_the_referrer_to_advocacy(manager):
    referrer = AccountFactory(manager=manager)
    log(referrer)
    with committed():
        account_create(name="New client", manager=manager, referred_by=referrer)
    assert stage_of(referrer) == "advocacy"


def test_a_manager_moves_back_or_out_with_a_reason_and_bad_moves_are_refused(manager):
    account = AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=10))
    log(account)
    account_stage_move(account=account, to_stage=stage("decision"), acting_user=manager)
    assert stage_of(account) == "decision"

    with pytest.raises(ValidationError, match="Say why"):
        account_stage_move(account=account, to_stage=stage("consideration"), acting_user=manager)
    with pytest.raises(ValidationError, match="Say why"):
        account_stage_move(account=account, to_stage=None, acting_user=manager)
    with pytest.raises(ValidationError, match="in the future"):
        account_stage_move(account=account, to_stage=stage("purchase"), at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="created on"):
        account_stage_move(account=account, to_stage=stage("purchase"), at=timezone.now() - timedelta(days=20))
    with pytest.raises(ValidationError, match="last move was on"):
        account_stage_move(account=account, to_stage=stage("purchase"), at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError, match="already there"):
        account_stage_move(account=account, to_stage=stage("decision"))
    other_journey = Journey.objects.create(name_ru="Тендеры", name_en="Tenders")
    foreign = Stage.objects.create(journey=other_journey, code="bid", position=1, name_ru="Заявка", name_en="Bid")
    with pytest.raises(ValidationError, match="is a stage of the journey “Tenders”"):
        account_stage_move(account=account, to_stage=foreign, reason="x")
    assert stage_of(account) == "decision"  # nothing was written by the refused moves

    account_stage_move(account=account, to_stage=None, reason="Chose a competitor", acting_user=manager)
    assert stage_of(account) == "lost"
    log(account)  # the client calls again: back at the start
    assert stage_of(account) == "awareness"
    lost = Transition.objects.get(account=account, to_stage__isnull=True)
    assert (lost.reason, lost.acting_user, lost.rule) == ("Chose a competitor", manager, "")


def test_an_account_follows_its_industrys_journey(manager):
    tenders = Journey.objects.create(name_ru="Тендеры", name_en="Tenders", industry=Industry.objects.create(name="Гос"))
    bid = Stage.objects.create(journey=tenders, code="bid", position=1, name_ru="Заявка", name_en="Bid")
    TransitionRule.objects.create(journey=tenders, event="interaction", to_stage=bid)
    account = AccountFactory(manager=manager, industry=tenders.industry)
    log(account)
    assert AccountJourney.objects.get(account=account).stage == bid


def test_a_stage_list_with_duplicates_is_refused_in_the_admin(client, superuser):
    client.force_login(superuser)
    journey = Journey.objects.get(is_default=True)
    url = reverse("admin:journeys_journey_change", args=[journey.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "name_ru": journey.name_ru,
        "name_en": journey.name_en,
        "is_default": "on",
        "drawn_out_multiple": "2.0",
        "stages-TOTAL_FORMS": "2",
        "stages-INITIAL_FORMS": "0",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
    }
    for n in (0, 1):
        data |= {f"stages-{n}-journey": journey.pk, f"stages-{n}-code": "pilot", f"stages-{n}-name_ru": f"П{n}"}
        data |= {f"stages-{n}-name_en": f"P{n}", f"stages-{n}-position": str(10 + n)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for code" in response.content.decode()
    assert not Stage.objects.filter(code="pilot").exists()


def test_backfill_places_accounts_from_history_resumes_and_adds_nothing_twice(manager):
    now = timezone.now()
    early, late = AccountFactory(manager=manager), AccountFactory(manager=manager)
    for account in (early, late):
        Interaction.objects.create(
            account=account, channel="phone", direction="inbound", occurred_at=now - timedelta(days=100)
        )
        OrderFactory(account=account, ordered_at=now - timedelta(days=60), delivered_at=now - timedelta(days=40))
    OrderFactory(account=early, ordered_at=now - timedelta(days=10), status=Order.Status.CANCELLED)
    silent = AccountFactory(manager=manager)

    summary = journeys_backfill(batch_accounts=1)
    again = journeys_backfill(batch_accounts=1)

    assert (summary["placed"], summary["transitions"]) == (2, 6)
    assert (again["placed"], again["transitions"]) == (0, 0)
    assert history(early) == [
        (None, "awareness", "interaction"),
        ("awareness", "purchase", "order"),
        ("purchase", "usage", "order_delivered"),
    ]
    delivered = Transition.objects.get(account=early, rule="order_delivered")
    assert delivered.touchpoint.channel == "delivery"  # the event is the purchase stage's "Delivery" touchpoint
    first = Transition.objects.filter(account=early).order_by("at").first()
    assert first.at == now - timedelta(days=100) and first.left_at == now - timedelta(days=60)
    assert stage_of(silent) is None


def test_a_drawn_out_stay_opens_one_task_for_the_manager(manager):
    now = timezone.now()
    for days in (10, 10, 12):  # three completed stays in decision: median 10 days, norm 20
        done = AccountFactory(manager=manager)
        Transition.objects.create(
            account=done,
            journey=Journey.objects.get(is_default=True),
            to_stage=stage("decision"),
            at=now - timedelta(days=100),
            left_at=now - timedelta(days=100 - days),
            stay_seconds=days * 86400,
        )
    slow, quick = AccountFactory(manager=manager, name="Slow"), AccountFactory(manager=manager)
    for account, days in ((slow, 25), (quick, 5)):
        log(account)
        account_stage_move(account=account, to_stage=stage("decision"))
        AccountJourney.objects.filter(account=account).update(since=now - timedelta(days=days))

    stage_norms_refresh()
    assert stage("decision").median_days == Decimal("10.0") and stage("decision").norm_days == Decimal("20.0")
    assert drawn_out_tasks_open() == 1
    assert drawn_out_tasks_open() == 0  # the same stay: no second task
    task = Task.objects.get(created_by_rule="journey_drawn_out")
    assert task.account == slow and task.assignee == manager and "Slow" in task.title


def test_the_card_shows_the_stage_its_norm_and_the_next_touchpoint_and_moves_from_there(client, manager):
    account = AccountFactory(manager=manager)
    log(account)
    Stage.objects.filter(code="awareness").update(median_days=Decimal("3.0"))
    AccountJourney.objects.filter(account=account).update(since=timezone.now() - timedelta(days=9))
    client.force_login(manager)

    card = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()

    assert "<strong>Awareness</strong>" in card
    assert "norm 6 days" in card and 'data-testid="drawn-out"' in card
    assert "next: Demo or consultation" in card
    move_url = reverse("admin:journeys_move", args=[account.pk])
    refused = client.post(move_url, {"to_stage": "", "reason": ""})
    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    moved = client.post(move_url, {"to_stage": stage("decision").pk, "reason": ""})
    assert moved.status_code == 302 and stage_of(account) == "decision"
    assert Transition.objects.filter(account=account, acting_user=manager).count() == 1


def test_another_managers_client_cannot_be_moved(client, manager, other_manager):
    theirs = AccountFactory(manager=other_manager)
    client.force_login(manager)
    response = client.post(reverse("admin:journeys_move", args=[theirs.pk]), {"to_stage": stage("decision").pk})
    assert response.status_code == 404 and stage_of(theirs) is None


def test_the_backfill_command_prints_its_summary(manager, capsys):
    from django.core.management import call_command

    log(AccountFactory(manager=manager))
    Interaction.objects.create(account=AccountFactory(manager=manager), channel="phone", direction="inbound")
    call_command("journeys_backfill", "--quiet")
    assert "1 put on a journey with 1 stage moves" in capsys.readouterr().out


def test_the_drawn_out_accounts_a_user_is_shown_are_those_they_see(manager, other_manager, head, superuser):
    from journeys.selectors import drawn_out_accounts

    Stage.objects.filter(code="awareness").update(median_days=Decimal("3.0"))  # norm 6 days
    mine, theirs, queued = (AccountFactory(manager=m) for m in (manager, other_manager, None))
    for account in (mine, theirs, queued):
        log(account)
    AccountJourney.objects.update(since=timezone.now() - timedelta(days=9))

    def shown(user):
        return {state.account for state in drawn_out_accounts(user=user)}

    assert shown(manager) == {mine}
    assert shown(head) == {mine, queued}  # the head's department (manager) and the unassigned queue
    assert shown(superuser) == {mine, theirs, queued}
    assert shown(other_manager) == {theirs}


def test_the_first_drawn_out_accounts_read_stage_by_stage_are_the_first_of_the_whole_list(manager, head, superuser):
    from journeys.selectors import drawn_out_accounts, drawn_out_first

    Stage.objects.filter(code__in=["awareness", "consideration"]).update(median_days=Decimal("3.0"))  # norms 6 days
    now = timezone.now()
    for days, code, whose in (
        (9, "awareness", manager),
        (30, "consideration", None),
        (12, "consideration", manager),
        (20, "awareness", None),
        (7, "consideration", manager),
        (2, "awareness", manager),
    ):
        account = AccountFactory(manager=whose)
        log(account)  # a first contact: awareness
        if code != "awareness":
            account_stage_move(account=account, to_stage=stage(code))
        AccountJourney.objects.filter(account=account).update(since=now - timedelta(days=days))
    journey = Journey.objects.get(is_default=True)

    for user in (manager, head, superuser):
        whole = list(drawn_out_accounts(user=user, journey=journey, now=now))
        assert len(whole) == (3 if user == manager else 5)  # two days in awareness is not drawn out
        for limit in (1, 2, 3, 10):
            assert drawn_out_first(limit=limit, user=user, journey=journey, now=now) == whole[:limit]
