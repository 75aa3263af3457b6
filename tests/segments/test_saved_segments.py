"""Saved segments: filters over accounts or people, a live count, an export, an audience."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from crm.models import (
    Campaign,
    ContactConsent,
    Industry,
    MessageKind,
    OrderLine,
    OutboundMessage,
    Product,
    ProductCategory,
)
from crm.outreach.jobs import campaign_activate, campaign_audience, campaigns_plan
from segments.filters import AccountSegmentFilter, segment_filters_described
from segments.models import Segment
from segments.selectors import segment_members
from surveys.models import Invitation, Survey
from tests.crm.factories import AccountFactory, ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db


def members(target="accounts", **filters):
    segment = Segment(name="s", target=target, filters=filters)
    segment.full_clean()
    return {member.pk for member in segment_members(segment=segment)}


def bought(account, category, *, days_ago):
    order = OrderFactory(account=account, ordered_at=timezone.now() - timedelta(days=days_ago))
    product = Product.objects.get_or_create(name=category.name, defaults={"sku": category.name, "category": category})[
        0
    ]
    OrderLine.objects.create(order=order, product=product, quantity=1, unit_price=Decimal("10"))


def test_each_account_filter_by_hand(manager, other_manager):
    metal = Industry.objects.create(name="Металлургия")
    machines, tools = ProductCategory.objects.create(name="Станки"), ProductCategory.objects.create(name="Инструмент")
    red_metal = AccountFactory(manager=manager, industry=metal, zone="red", level="core", behaviour_type=3)
    green = AccountFactory(manager=other_manager, zone="green", level="repeat", behaviour_type=1)
    lead = AccountFactory(manager=manager, zone="grey", level="lead")
    bought(red_metal, machines, days_ago=200)
    bought(green, tools, days_ago=5)

    assert members(zone=["red"]) == {red_metal.pk}
    assert members(zone=["red", "green"], manager=[str(other_manager.pk)]) == {green.pk}
    assert members(level=["lead"]) == {lead.pk}
    assert members(behaviour_type=["3", "1"]) == {red_metal.pk, green.pk}
    assert members(industry=[metal.pk]) == {red_metal.pk}
    assert members(bought_category=[machines.pk]) == {red_metal.pk}
    assert members(last_order_days_min="90") == {red_metal.pk}  # bought, but not for 90 days; leads are not "quiet"
    assert members(last_order_days_max="30") == {green.pk}
    assert members() == {red_metal.pk, green.pk, lead.pk}

    from journeys.models import AccountJourney, Journey, Stage

    decision = Stage.objects.get(journey__is_default=True, code="decision")
    AccountJourney.objects.create(
        account=lead,
        journey=Journey.objects.get(is_default=True),
        stage=decision,
        since=timezone.now(),
        started_at=timezone.now(),
    )
    assert members(journey_stage=[decision.pk]) == {lead.pk}


def test_nps_group_is_the_latest_recommendation_score(manager):
    from surveys.services.responses import survey_response_record

    promoter, detractor = AccountFactory(manager=manager), AccountFactory(manager=manager)
    nps = Survey.objects.get(slug="nps")
    for account, scores in ((promoter, [3, 10]), (detractor, [10, 4])):
        person = ContactFactory(account=account)
        for days_ago, score in zip((20, 10), scores, strict=True):
            survey_response_record(
                survey=nps,
                contact=person,
                submitted_at=timezone.now() - timedelta(days=days_ago),
                external_id=f"{account.pk}-{days_ago}",
                answers={"recommend": score},
            )
    assert members(nps_group="promoter") == {promoter.pk}
    assert members(nps_group="detractor") == {detractor.pk}
    assert members(nps_group="passive") == set()


def test_person_filters_choose_among_the_accounts_people(manager):
    red = AccountFactory(manager=manager, zone="red")
    boss = ContactFactory(account=red, is_decision_maker=True, emotional="no", confident="no")
    opted_out = ContactFactory(account=red, is_decision_maker=True)
    ContactConsent.objects.create(
        contact=opted_out, purpose="marketing", granted=False, changed_at=timezone.now(), source="unsubscribe"
    )
    ContactFactory(account=red, is_decision_maker=False)
    ContactFactory(account=AccountFactory(manager=manager, zone="green"), is_decision_maker=True)

    assert members("contacts", zone=["red"], is_decision_maker=True, marketing="not_opted_out") == {boss.pk}
    assert members("contacts", zone=["red"], marketing="opted_out") == {opted_out.pk}
    assert members("contacts", emotional=["no"], confident=["no"]) == {boss.pk}


def test_bad_filters_are_refused_with_the_filter_named():
    cases = [
        ({"zone": ["purple"]}, "zone: Select a valid choice"),
        ({"colour": ["red"]}, "“colour” is not a filter here"),
        ({"last_order_days_min": "-3"}, "last_order_days_min"),
        ({"industry": ["999"]}, "industry: Select a valid choice"),
    ]
    for filters, message in cases:
        with pytest.raises(ValidationError) as error:
            Segment(name="bad", filters=filters).full_clean()
        assert message in str(error.value), filters
    with pytest.raises(ValidationError, match="not a filter here"):
        Segment(name="people only", target="accounts", filters={"is_decision_maker": True}).full_clean()


def test_a_segment_is_built_in_the_admin_form_and_shows_its_live_count(client, manager, other_manager):
    mine = [AccountFactory(manager=manager, zone="red") for _ in range(3)]
    AccountFactory(manager=other_manager, zone="red")  # not the manager's: not counted for them
    AccountFactory(manager=manager, zone="green")
    client.force_login(manager)

    response = client.post(
        reverse("admin:segments_segment_add"),
        {"name": "Red", "description": "", "target": "accounts", "zone": ["red"], "is_decision_maker": "unknown"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get(name="Red")
    assert segment.filters == {"zone": ["red"]} and segment.created_by == manager
    page = client.get(reverse("admin:segments_segment_change", args=[segment.pk])).content.decode()
    assert '<strong data-testid="segment-count">3</strong>' in page
    assert all(account.name in page for account in mine)

    bad = client.post(
        reverse("admin:segments_segment_change", args=[segment.pk]),
        {"name": "Red", "target": "accounts", "zone": ["purple"]},
    )
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    segment.refresh_from_db()
    assert segment.filters == {"zone": ["red"]}


def test_the_export_has_only_what_the_user_may_see_and_no_formulas(client, manager, other_manager):
    AccountFactory(manager=manager, zone="red", name="=HYPERLINK(evil)")
    AccountFactory(manager=other_manager, zone="red", name="Someone else's")
    segment = Segment.objects.create(name="Red", filters={"zone": ["red"]})
    client.force_login(manager)

    response = client.get(reverse("admin:segments_segment_export", args=[segment.pk]))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["id", "name"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(evil)"]


def test_a_segment_of_people_exports_their_phones(client, manager):
    from crm.services.accounts import phone_add

    boss = ContactFactory(account=AccountFactory(manager=manager), is_decision_maker=True, first_name="Иван")
    phone_add(contact=boss, raw="8 916 123-45-67", is_primary=True)
    segment = Segment.objects.create(name="Bosses", target="contacts", filters={"is_decision_maker": True})
    client.force_login(manager)
    response = client.get(reverse("admin:segments_segment_export", args=[segment.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == str(boss.pk) and "+79161234567" in rows[1]


def test_a_campaign_reaches_the_segments_people_once(manager):
    red = AccountFactory(manager=manager, zone="red")
    boss = ContactFactory(account=red, is_decision_maker=True, email="boss@example.ru")
    ContactFactory(account=red, is_decision_maker=False, email="clerk@example.ru")
    ContactFactory(account=AccountFactory(manager=manager, zone="green"), is_decision_maker=True)
    segment = Segment.objects.create(
        name="Red bosses", target="contacts", filters={"zone": ["red"], "is_decision_maker": True}
    )
    campaign = Campaign.objects.create(
        name="Советы", segment=segment, subject_ru="Совет", body_ru="Текст", subject_en="Tip", body_en="Text"
    )
    campaign_activate(campaign=campaign)

    campaigns_plan()
    campaigns_plan()  # a second beat tick plans nothing new

    sent = OutboundMessage.objects.filter(kind=MessageKind.CAMPAIGN)
    assert list(sent.values_list("contact_id", flat=True)) == [boss.pk]


def test_a_survey_is_sent_to_a_segments_accounts_from_the_admin(client, manager):
    red = AccountFactory(manager=manager, zone="red")
    boss = ContactFactory(account=red, is_decision_maker=True, email="boss@example.ru")
    ContactFactory(account=AccountFactory(manager=manager, zone="green"), is_decision_maker=True)
    segment = Segment.objects.create(name="Red", filters={"zone": ["red"]})
    survey = Survey.objects.get(slug="relationship")
    client.force_login(manager)
    url = reverse("admin:segments_segment_changelist")

    page = client.post(url, {"action": "send_survey", "_selected_action": [segment.pk]})
    assert page.status_code == 200 and red.name in page.content.decode()
    done = client.post(
        url, {"action": "send_survey", "_selected_action": [segment.pk], "survey": survey.pk, "round": "red-dec"}
    )

    assert done.status_code == 302
    assert list(Invitation.objects.values_list("contact_id", flat=True)) == [boss.pk]


def test_the_api_gives_the_count_and_the_members_in_a_fixed_number_of_queries(manager_api, manager, other_manager):
    AccountFactory(manager=other_manager, zone="red")
    segment = Segment.objects.create(name="Red", filters={"zone": ["red"]})

    def members_queries():
        with CaptureQueriesContext(connection) as queries:
            response = manager_api.get(f"/api/v1/segments/{segment.pk}/members/")
        assert response.status_code == 200
        return len(queries), response.json()

    AccountFactory(manager=manager, zone="red")
    members_queries()  # the first request also loads the user's permissions
    few, _body = members_queries()
    for _ in range(5):
        AccountFactory(manager=manager, zone="red")
    many, body = members_queries()

    assert many == few
    assert len(body["results"]) == 6 and all(item["zone"] == "red" for item in body["results"])
    detail = manager_api.get(f"/api/v1/segments/{segment.pk}/").json()
    assert detail["count"] == 6 and detail["filters"] == {"zone": ["red"]}
    assert [item["name"] for item in manager_api.get("/api/v1/segments/").json()["results"]] == ["Red"]


@pytest.mark.parametrize(("who", "may"), [("author", True), ("head", True), ("other_manager", False), ("root", True)])
def test_only_the_author_their_head_or_an_administrator_change_a_segment(request, client, manager, who, may):
    segment = Segment.objects.create(name="Red", filters={"zone": ["red"]}, created_by=manager)
    user = manager if who == "author" else request.getfixturevalue({"root": "superuser"}.get(who, who))
    client.force_login(user)

    changed = client.post(
        reverse("admin:segments_segment_change", args=[segment.pk]),
        {"name": "Red", "target": "accounts", "is_decision_maker": "unknown"},  # the filters cleared
    )

    segment.refresh_from_db()
    if may:
        assert changed.status_code == 302 and segment.filters == {}
    else:
        deleted = client.post(reverse("admin:segments_segment_delete", args=[segment.pk]), {"post": "yes"})
        assert changed.status_code == 403 and deleted.status_code == 403
        assert segment.filters == {"zone": ["red"]}
        assert client.get(reverse("admin:segments_segment_change", args=[segment.pk])).status_code == 200  # reads


def test_a_campaign_reaches_only_the_clients_its_author_may_see_whoever_widened_the_segment(manager, other_manager):
    mine = ContactFactory(account=AccountFactory(manager=manager, zone="red"), email="mine@example.ru")
    ContactFactory(account=AccountFactory(manager=other_manager, zone="red"), email="theirs@example.ru")
    segment = Segment.objects.create(name="Red", target="contacts", filters={"zone": ["red"]}, created_by=manager)
    campaign = Campaign.objects.create(
        name="Советы", segment=segment, created_by=manager, subject_ru="С", body_ru="Т", subject_en="T", body_en="T"
    )

    assert list(campaign_audience(campaign).values_list("pk", flat=True)) == [mine.pk]


def test_a_segments_filters_read_as_words_in_the_readers_language_and_the_manager_choice_is_managers(
    manager, superuser
):
    metals = Industry.objects.create(name="Металлургия")
    filters = {"zone": ["red"], "industry": [metals.pk], "last_order_days_min": "90", "is_decision_maker": True}

    with translation.override("ru"):
        russian = segment_filters_described(filters)
    with translation.override("en"):
        english = segment_filters_described(filters)

    assert russian == ("Зона: Красная; Отрасль: Металлургия; Последний заказ не менее стольких дней назад: 90; ЛПР: да")
    assert english == (
        "Zone: Red; Industry: Металлургия; Last order at least this many days ago: 90; Decision maker: yes"
    )
    choices = set(AccountSegmentFilter().filters["manager"].field.queryset)
    assert manager in choices and superuser not in choices  # the administrator manages no accounts
