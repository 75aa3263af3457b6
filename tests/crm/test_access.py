"""The access matrix: a manager sees only their clients and everything under them, a head their department.

Every model registered in the admin is classified below (a test fails for one that is not): the account data,
where a manager sees their rows only and cannot open another manager's; shared reference data (products,
surveys, templates); and what only administrators open. The API endpoints and the exports follow.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm.models import AccountEvent, Call, Equipment, EquipmentSignal, MessageKind, TrackedLink, WebLead
from crm.outreach.services import MessagePlan, message_plan
from crm.portal.services import client_page_link_create
from crm.telephony.services import telephony_connection_create
from journeys.models import Stage, Transition
from journeys.services import account_stage_move
from segments.models import Segment
from segments.services.behaviour import contact_behaviour_suggest
from segments.services.levels import account_level_refresh
from surveys.models import Case, FeedbackItem, Invitation, Survey
from surveys.services.invitations import survey_invite
from surveys.services.responses import survey_response_record
from tests.commit import committed
from tests.crm.factories import (
    AccountFactory,
    CommitmentFactory,
    ContactFactory,
    DepartmentFactory,
    InteractionFactory,
    OrderFactory,
    PhoneFactory,
    ServiceRequestFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def _world(account):
    """One row of every kind under `account`, made the way the product makes them where it can."""
    now = timezone.now()
    contact = ContactFactory(account=account, is_decision_maker=True, email=f"p{account.pk}@example.ru")
    interaction = InteractionFactory(
        account=account, contact=contact, notes="Нужны гарантии и сертификаты, боимся рисков"
    )
    order = OrderFactory(account=account, ordered_at=now - timedelta(days=3))
    account_level_refresh(account_id=account.pk)
    relationship = Survey.objects.get(slug="relationship")
    survey_invite(survey=relationship, people=[(contact, "r1")])
    with committed():
        response, _created = survey_response_record(  # a detractor's answer: a zone change, a case and feedback
            survey=relationship,
            contact=contact,
            submitted_at=now,
            external_id=f"access-{account.pk}",
            answers={"result": 3, "understanding": 4, "service_quality": 3, "recommend": 2, "fix_three": "Сроки"},
        )
    connection = telephony_connection_create(
        provider="generic", name=f"pbx-{account.pk}", secret="s" * 32, fallback_target="100"
    )
    account_stage_move(account=account, to_stage=Stage.objects.filter(journey__is_default=True).first())
    return {
        "crm.account": account,
        "crm.contact": contact,
        "phone": PhoneFactory(contact=contact, number=f"+7916{account.pk:07d}"),
        "crm.interaction": interaction,
        "crm.order": order,
        "crm.commitment": CommitmentFactory(account=account, department=DepartmentFactory(name="Service")),
        "crm.task": TaskFactory(account=account),
        "crm.servicerequest": ServiceRequestFactory(account=account),
        "crm.equipment": (
            unit := Equipment.objects.create(account=account, model_name="ТВ-320", serial_number=f"S{account.pk}")
        ),
        "crm.equipmentsignal": EquipmentSignal.objects.create(
            equipment=unit, kind="fault", occurred_at=now, key=f"access-{account.pk}"
        ),
        "crm.weblead": WebLead.objects.create(
            key=f"access-{account.pk}", name="Лид", account=account, contact=contact, new_account=False
        ),
        "crm.accountevent": AccountEvent.objects.create(account=account, type=AccountEvent.Type.CREATED),
        "crm.outboundmessage": message_plan(
            MessagePlan(
                key=f"access:{account.pk}", kind=MessageKind.BIRTHDAY, contact=contact, subject="С днём", body="."
            )
        ),
        "crm.trackedlink": TrackedLink.objects.create(
            token=f"t{account.pk}", account=account, contact=contact, title="КП", target_url="https://example.ru/kp.pdf"
        ),
        "crm.clientpagelink": client_page_link_create(contact=contact)[0],
        "crm.call": Call.objects.create(
            connection=connection,
            account=account,
            contact=contact,
            provider_call_id=f"call-{account.pk}",
            direction=Call.Direction.INBOUND,
            from_number=f"+7916{account.pk:07d}",
            started_at=now,
        ),
        "surveys.invitation": Invitation.objects.get(contact=contact),
        "surveys.response": response,
        "surveys.case": Case.objects.filter(account=account).first(),
        "surveys.feedbackitem": FeedbackItem.objects.filter(account=account).first(),
        "journeys.transition": _latest("journeys.Transition", account),
        "journeys.accountjourney": account.journey_state,
        "segments.zonechange": _latest("segments.ZoneChange", account),
        "segments.levelchange": _latest("segments.LevelChange", account),
        "segments.behavioursuggestion": contact_behaviour_suggest(contact_id=contact.pk),
    }


def _latest(label, account):
    return apps.get_model(label).objects.filter(account=account).order_by("-id").first()


def _ids_under(model, *worlds):
    """Every row of the model under these worlds' accounts: the world's one row, and those the product made
    along (the tasks and alerts a detractor's answer opens, say)."""
    found = apps.get_model("crm.phone" if model == "phone" else model)
    paths = {
        "crm.account": "pk",
        "phone": "contact__account",
        "crm.equipmentsignal": "equipment__account",
        "segments.behavioursuggestion": "contact__account",
    }
    path = paths.get(model, "account")
    accounts = [w["crm.account"].pk for w in worlds]
    ids = set(found.objects.filter(**{f"{path}__in": accounts}).values_list("pk", flat=True))
    assert all(world[model].pk in ids for world in worlds)
    return ids


@pytest.fixture
def worlds(manager, other_manager):
    mine = _world(AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=400)))
    theirs = _world(AccountFactory(manager=other_manager, created_at=timezone.now() - timedelta(days=400)))
    unassigned = _world(AccountFactory(manager=None, created_at=timezone.now() - timedelta(days=400)))
    for world in (mine, theirs, unassigned):
        assert all(world.values()), [name for name, row in world.items() if row is None]
    return mine, theirs, unassigned


# The account data in the admin: a manager sees their rows only.
ADMIN_MODELS = [
    "crm.account",
    "crm.contact",
    "crm.interaction",
    "crm.order",
    "crm.commitment",
    "crm.task",
    "crm.servicerequest",
    "crm.equipment",
    "crm.equipmentsignal",
    "crm.weblead",
    "crm.accountevent",
    "crm.outboundmessage",
    "crm.trackedlink",
    "crm.clientpagelink",
    "crm.call",
    "surveys.invitation",
    "surveys.response",
    "surveys.case",
    "surveys.feedbackitem",
    "journeys.transition",
    "journeys.accountjourney",
    "segments.zonechange",
    "segments.levelchange",
    "segments.behavioursuggestion",
]
# Shared by everyone in sales: reference data and what the outreach and surveys are made of. A manager may see
# all of it (and changes only what their group's permissions allow).
SHARED_MODELS = {
    "crm.user",  # colleagues, to assign work to: scoped to what the user may see (tests/crm/test_admin.py)
    "crm.department",
    "crm.industry",
    "crm.leadsource",
    "crm.product",
    "crm.productcategory",
    "crm.messagetemplate",
    "crm.professionalholiday",
    "crm.campaign",
    "crm.responsetarget",
    "crm.internalservice",  # the register between departments is the company's, read by everyone
    "crm.reference",
    "surveys.survey",
    "surveys.feedbackrule",
    "journeys.journey",
    "journeys.touchpoint",
    "segments.segment",
    "segments.lexiconentry",
    "segments.levelbaseline",
    "crm.leadsourcecost",
    "crm.leadroute",  # which manager gets the site's new prospects: the company's rules
}
# Each row its author's alone (and administrators'): tested where the model is.
AUTHOR_ONLY_MODELS = {"crm.importjob": "tests/crm/test_imports.py: an upload is seen and run by its uploader"}
# Administrators only: tokens, connections, schedules, the audit trail, login records.
ADMIN_ONLY_MODELS = {
    "crm.apitoken",
    "crm.movein",  # a company's data moved in from another system: whoever sees every account
    "crm.telephonyconnection",
    "auth.group",
    "auditlog.logentry",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "django_celery_beat.periodictask",
    "django_celery_beat.intervalschedule",
    "django_celery_beat.crontabschedule",
    "django_celery_beat.solarschedule",
    "django_celery_beat.clockedschedule",
}
API_ENDPOINTS = {
    "crm.account": "accounts",
    "crm.contact": "contacts",
    "phone": "phones",
    "crm.interaction": "interactions",
    "crm.order": "orders",
    "crm.commitment": "commitments",
    "crm.task": "tasks",
    "crm.servicerequest": "service-requests",
}


def _url(model, view, *args):
    app, name = model.split(".")
    return reverse(f"admin:{app}_{name}_{view}", args=args)


def _admin_ids(client, model):
    response = client.get(_url(model, "changelist"), {"whose": "all"} if model == "crm.account" else {})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _api_ids(client, endpoint):
    response = client.get(f"/api/v1/{endpoint}/", {"page_size": 500})
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_every_model_in_the_admin_is_in_the_matrix():
    registered = {model._meta.label_lower for model in admin.site._registry}

    assert registered == set(ADMIN_MODELS) | SHARED_MODELS | ADMIN_ONLY_MODELS | set(AUTHOR_ONLY_MODELS)


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_manager_sees_only_their_rows_in_the_admin(client, manager, worlds, model):
    mine, theirs, _unassigned = worlds
    client.force_login(manager)

    assert _admin_ids(client, model) == _ids_under(model, mine)
    other_page = client.get(_url(model, "change", theirs[model].pk))
    assert other_page.status_code == 302  # the admin answers "does not exist" and sends the user back


@pytest.mark.parametrize("model", sorted(ADMIN_ONLY_MODELS))
def test_a_manager_and_a_head_cannot_open_what_only_administrators_open(client, manager, head, model):
    for user in (manager, head):
        client.force_login(user)
        assert client.get(_url(model, "changelist")).status_code == 403


@pytest.mark.parametrize("model", sorted(SHARED_MODELS))
def test_a_manager_may_read_the_shared_reference_data(client, manager, model):
    client.force_login(manager)

    assert client.get(_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", list(API_ENDPOINTS))
def test_manager_sees_only_their_rows_in_the_api(manager_api, worlds, model):
    mine, theirs, _unassigned = worlds
    endpoint = API_ENDPOINTS[model]

    assert _api_ids(manager_api, endpoint) == _ids_under(model, mine)
    assert manager_api.get(f"/api/v1/{endpoint}/{theirs[model].pk}/").status_code == 404


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_head_sees_their_department_and_the_unassigned_queue_not_other_departments(client, head, worlds, model):
    mine, _theirs, unassigned = worlds
    client.force_login(head)

    assert _admin_ids(client, model) == _ids_under(model, mine, unassigned)


@pytest.mark.parametrize("model", list(API_ENDPOINTS))
def test_superuser_sees_everything_in_the_api(api_client, superuser, worlds, model):
    api_client.force_authenticate(superuser)

    assert _api_ids(api_client, API_ENDPOINTS[model]) == _ids_under(model, *worlds)


def test_manager_cannot_change_another_managers_account_through_the_api(manager_api, worlds):
    _mine, theirs, _unassigned = worlds

    response = manager_api.patch(f"/api/v1/accounts/{theirs['crm.account'].pk}/", {"name": "hijacked"}, format="json")

    assert response.status_code == 404
    theirs["crm.account"].refresh_from_db()
    assert theirs["crm.account"].name != "hijacked"


def test_manager_cannot_pick_another_managers_account_in_an_admin_form(client, manager, worlds):
    _mine, theirs, _unassigned = worlds
    client.force_login(manager)

    response = client.post(
        _url("crm.interaction", "add"),
        {
            "account": theirs["crm.account"].pk,
            "channel": "phone",
            "direction": "inbound",
            "occurred_at_0": "2026-11-20",
            "occurred_at_1": "10:00:00",
        },
    )

    assert response.status_code == 200  # the form comes back with an error
    assert "account" in response.context["adminform"].form.errors
    assert not theirs["crm.account"].interactions.filter(user=manager).exists()


def test_autocomplete_offers_only_visible_accounts(client, manager, worlds):
    mine, _theirs, _unassigned = worlds
    client.force_login(manager)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": "interaction", "field_name": "account", "term": ""},
    )

    assert {int(row["id"]) for row in response.json()["results"]} == {mine["crm.account"].pk}


def test_an_inactive_users_token_and_session_see_nothing(token_client, manager, worlds):
    client = token_client(manager, ["*"])
    manager.is_active = False
    manager.save()

    assert client.get("/api/v1/accounts/").status_code == 401


# --- The API: every path of the schema is in one of these. ---------------------------------------------------
# Actions on one row: another manager's answer 404 and change nothing.
API_ACTIONS_ON_ROWS = {
    "/api/v1/accounts/{id}/": ("crm.account", "patch", {"name": "hijacked"}),
    "/api/v1/accounts/{account_id}/zone-history/": ("crm.account", "get", None),
    "/api/v1/contacts/{id}/": ("crm.contact", "patch", {"first_name": "hijacked"}),
    "/api/v1/phones/{id}/": ("phone", "get", None),
    "/api/v1/interactions/{id}/": ("crm.interaction", "get", None),
    "/api/v1/orders/{id}/": ("crm.order", "get", None),
    "/api/v1/orders/{id}/move-delivery/": ("crm.order", "post", {"new_date": "2030-01-10", "reason": "x"}),
    "/api/v1/commitments/{id}/": ("crm.commitment", "get", None),
    "/api/v1/commitments/{id}/close/": ("crm.commitment", "post", {"status": "kept"}),
    "/api/v1/tasks/{id}/": ("crm.task", "get", None),
    "/api/v1/tasks/{id}/complete/": ("crm.task", "post", {}),
    "/api/v1/service-requests/{id}/": ("crm.servicerequest", "get", None),
    "/api/v1/service-requests/{id}/resolve/": ("crm.servicerequest", "post", {"resolution": "x"}),
    "/api/v1/service-requests/{id}/respond_first/": ("crm.servicerequest", "post", {}),
}
API_LISTS = {f"/api/v1/{endpoint}/" for endpoint in API_ENDPOINTS.values()}
# Metrics over the rows the user may see: `n` counts one account per world here.
API_METRICS = {"clv", "fcr", "nps", "repeat-purchase", "csat", "ces"}
# The same, where the worlds have nothing to count; their querysets are the same `for_user` ones.
API_METRICS_WITHOUT_WORLD_DATA = {"churn", "first-response", "kept-promises", "resolution-time", "roi"}
API_OTHERS = {
    "/api/v1/contacts/lookup/": "test_the_phone_lookup_finds_only_visible_people",
    "/api/v1/journeys/funnel/": "test_journeys_count_only_visible_accounts",
    "/api/v1/journeys/transitions/": "test_journeys_count_only_visible_accounts",
    "/api/v1/segments/": "shared definitions, like the admin's",
    "/api/v1/segments/{id}/": "test_a_segments_members_and_count_are_only_visible_accounts",
    "/api/v1/segments/{id}/members/": "test_a_segments_members_and_count_are_only_visible_accounts",
    "/api/v1/surveys/{slug}/responses/": "test_a_response_cannot_be_recorded_for_another_managers_person",
    "/api/v1/telephony/calls/": "tests/crm/test_telephony.py: a user who sees all accounts only",
    "/api/v1/telephony/calls/{call_id}/events/": "tests/crm/test_telephony.py: a user who sees all accounts only",
    "/api/v1/telephony/lookup/": "tests/crm/test_telephony.py: a user who sees all accounts only",
    "/api/v1/users/": "colleagues, scoped like the admin's user list",
    "/api/v1/users/{id}/": "colleagues, scoped like the admin's user list",
}


def test_every_api_path_is_in_the_matrix(api_client):
    paths = set(api_client.get("/api/schema/", {"format": "json"}).json()["paths"])

    metrics = {f"/api/v1/metrics/{name}/" for name in API_METRICS | API_METRICS_WITHOUT_WORLD_DATA}
    assert paths == set(API_ACTIONS_ON_ROWS) | API_LISTS | metrics | set(API_OTHERS)


@pytest.mark.parametrize("path", sorted(API_ACTIONS_ON_ROWS))
def test_a_manager_cannot_act_on_another_managers_row_through_the_api(manager_api, worlds, path):
    _mine, theirs, _unassigned = worlds
    model, method, body = API_ACTIONS_ON_ROWS[path]
    row = theirs[model]
    before = model_to_dict(row)

    response = getattr(manager_api, method)(path.format(id=row.pk, account_id=row.pk), body, format="json")

    assert response.status_code == 404
    row.refresh_from_db()
    assert model_to_dict(row) == before


def _answered(world, slug, code, score):
    survey_response_record(
        survey=Survey.objects.get(slug=slug),
        contact=world["crm.contact"],
        submitted_at=timezone.now(),
        external_id=f"{slug}-{world['crm.account'].pk}",
        answers={code: score},
    )


@pytest.mark.parametrize("metric", sorted(API_METRICS))
def test_metrics_count_only_what_the_user_may_see(api_client, manager, head, superuser, worlds, metric):
    for world in worlds:
        _answered(world, "csat", "satisfaction", 4)
        _answered(world, "ces", "effort", 5)
    for user, accounts in ((manager, 1), (head, 2), (superuser, 3)):
        api_client.force_authenticate(user)
        response = api_client.get(f"/api/v1/metrics/{metric}/")
        assert response.status_code == 200
        assert response.json()["n"] == accounts, user


def test_the_phone_lookup_finds_only_visible_people(manager_api, worlds):
    mine, theirs, _unassigned = worlds

    def found(world):
        return manager_api.get("/api/v1/contacts/lookup/", {"phone": world["phone"].number}).json()

    assert found(mine)
    assert not found(theirs)


def test_journeys_count_only_visible_accounts(manager_api, head, api_client, worlds):
    _mine, theirs, _unassigned = worlds
    stage = Stage.objects.filter(journey__is_default=True).order_by("-position").first()

    moved = manager_api.post(
        "/api/v1/journeys/transitions/", {"account": theirs["crm.account"].pk, "to_stage": stage.pk}, format="json"
    )

    assert moved.status_code == 400 and "account" in moved.json()["error"]["fields"]
    assert not Transition.objects.filter(account=theirs["crm.account"], to_stage=stage).exists()
    assert manager_api.get("/api/v1/journeys/funnel/").json()["cohort"] == 1
    api_client.force_authenticate(head)
    assert api_client.get("/api/v1/journeys/funnel/").json()["cohort"] == 2


def test_a_segments_members_and_count_are_only_visible_accounts(manager_api, manager, worlds):
    mine, _theirs, _unassigned = worlds
    segment = Segment.objects.create(name="Все", target=Segment.Target.ACCOUNTS, filters={}, created_by=manager)

    detail = manager_api.get(f"/api/v1/segments/{segment.pk}/").json()
    members = manager_api.get(f"/api/v1/segments/{segment.pk}/members/").json()["results"]

    assert detail["count"] == 1
    assert [row["id"] for row in members] == [mine["crm.account"].pk]


def test_a_response_cannot_be_recorded_for_another_managers_person(token_client, manager, worlds):
    _mine, theirs, _unassigned = worlds
    client = token_client(manager, ["surveys:write"])

    response = client.post(
        "/api/v1/surveys/nps/responses/",
        {
            "contact": theirs["crm.contact"].pk,
            "external_id": "x-1",
            "submitted_at": timezone.now().isoformat(),
            "answers": {"recommend": 10},
        },
        format="json",
    )

    assert response.status_code in (400, 404)
    assert not theirs["crm.contact"].responses.filter(external_id="x-1").exists()


# --- Exports ---------------------------------------------------------------------------------------------------
def _body(response):
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


@pytest.mark.parametrize("model", ["crm.interaction", "crm.commitment", "crm.task", "crm.servicerequest", "crm.order"])
def test_an_export_of_selected_rows_leaves_out_another_managers_rows(client, manager, worlds, model):
    mine, theirs, _unassigned = worlds
    client.force_login(manager)
    both = [mine[model].pk, theirs[model].pk]

    offered = client.post(_url(model, "changelist"), {"action": "export_admin_action", "_selected_action": both})
    # Asked for both rows straight at the export view, as a crafted request would.
    exported = client.post(_url(model, "export"), {"resource": 0, "format": 0, "export_items": both})

    assert offered.context["form"].initial["export_items"] == [mine[model].pk]
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(_body(exported))))
    assert [int(row["id"]) for row in rows] == [mine[model].pk]


def test_personal_data_of_another_managers_person_is_not_exported(client, manager, worlds):
    _mine, theirs, _unassigned = worlds
    client.force_login(manager)

    response = client.post(
        _url("crm.contact", "changelist"),
        {"action": "export_personal_data", "_selected_action": [theirs["crm.contact"].pk]},
    )

    assert theirs["crm.contact"].last_name not in response.content.decode() or response.status_code == 302
    assert response.status_code == 302  # nothing selected that the manager may see: back to the list


def test_every_api_operation_needs_its_own_scope(api_client, token_client, superuser):
    """An integration token sees only its scopes: a superuser's token with every scope but the operation's own
    gets a 403 from every operation of the schema."""
    from django.urls import resolve

    from crm.services.tokens import VALID_SCOPES

    schema = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    checked = 0
    for template, operations in schema.items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        resource = resolve(path).func.cls.scope_resource
        client = token_client(superuser, sorted(VALID_SCOPES - {"*", f"{resource}:read", f"{resource}:write"}))
        for method in set(operations) & {"get", "post", "put", "patch", "delete"}:
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 403, (method, template, response.status_code)
            assert resource in response.json()["error"]["message"]
            checked += 1
    assert checked >= 50


# Who may hand an account to whom (crm/access.py): themselves; a head, also their department's members; one who
# sees all accounts, anyone active. The same rule in the API, the admin form and the import.
ASSIGNMENTS = [
    ("manager", "manager", True),
    ("manager", "head", False),
    ("manager", "other_manager", False),
    ("manager", "superuser", False),
    ("head", "manager", True),
    ("head", "head", True),
    ("head", "other_manager", False),
    ("head", "superuser", False),
    ("superuser", "other_manager", True),
]


@pytest.mark.parametrize(("who", "to", "allowed"), ASSIGNMENTS)
def test_who_may_assign_an_account_to_whom_through_the_api(request, token_client, manager, who, to, allowed):
    account = AccountFactory(manager=manager)
    acting, target = request.getfixturevalue(who), request.getfixturevalue(to)

    response = token_client(acting, ["*"]).patch(
        f"/api/v1/accounts/{account.pk}/", {"manager": target.pk}, format="json"
    )

    account.refresh_from_db()
    assert (response.status_code, account.manager) == ((200, target) if allowed else (400, manager))


@pytest.mark.parametrize(("who", "to", "allowed"), ASSIGNMENTS)
def test_who_may_assign_an_account_to_whom_in_the_admin(request, client, manager, who, to, allowed):
    account = AccountFactory(manager=manager, name="Ромашка")
    acting, target = request.getfixturevalue(who), request.getfixturevalue(to)
    client.force_login(acting)

    response = client.post(
        reverse("admin:crm_account_change", args=[account.pk]),
        {
            "name": "Ромашка",
            "status": account.status,
            "manager": target.pk,
            "time_zone": account.time_zone,
            "survey_cadence_days": 30,
        },
    )

    account.refresh_from_db()
    assert account.manager == (target if allowed else manager)
    if not allowed:
        assert list(response.context["adminform"].form.errors) == ["manager"]


def test_in_the_admin_a_manager_cannot_put_their_account_in_the_queue_but_a_head_can(client, manager, head):
    account = AccountFactory(manager=manager, name="Ромашка")
    form = {"name": "Ромашка", "status": account.status, "manager": "", "time_zone": account.time_zone}
    form["survey_cadence_days"] = 30
    url = reverse("admin:crm_account_change", args=[account.pk])

    client.force_login(manager)
    refused = client.post(url, form)
    account.refresh_from_db()
    assert account.manager == manager
    assert list(refused.context["adminform"].form.errors) == ["manager"]

    client.force_login(head)
    client.post(url, form)
    account.refresh_from_db()
    assert account.manager is None


def test_a_manager_cannot_put_their_account_in_the_queue_but_a_head_can(client, token_client, manager, head):
    account = AccountFactory(manager=manager)

    refused = token_client(manager, ["*"]).patch(f"/api/v1/accounts/{account.pk}/", {"manager": None}, format="json")
    done = token_client(head, ["*"]).patch(f"/api/v1/accounts/{account.pk}/", {"manager": None}, format="json")

    assert (refused.status_code, done.status_code) == (400, 200)


def test_an_account_a_manager_creates_without_a_manager_is_theirs(token_client, manager):
    response = token_client(manager, ["*"]).post("/api/v1/accounts/", {"name": "Новый клиент"}, format="json")

    assert response.status_code == 201
    assert response.json()["manager"] == manager.pk


def test_the_import_assigns_only_to_whom_the_importer_may(client, manager, other_manager):
    client.force_login(manager)
    csv = f"name,inn,status,manager\nЧужому,,active,{other_manager.username}\nСебе,,active,{manager.username}\n"

    preview = client.post(
        reverse("admin:crm_account_import_file"),
        {"import_file": SimpleUploadedFile("a.csv", csv.encode())},
        follow=True,
    )

    page = preview.content.decode()
    assert f"Unknown user “{other_manager.username}”" in page
    assert "Import 1 valid row" in page


# Every link (foreign key) a manager can set, in an admin form or an API input, is classified: a link to a row of
# an account's (anything with `for_user`) must offer only what the user may see, checked below for each one found;
# any other link must be listed here with why anyone may pick any row. A new link fails until it is one or other.
REFERENCE_LINKS = {
    "crm.account.industry": "reference data",
    "crm.account.lead_source": "reference data",
    "crm.account.manager": "who may be assigned: its own rule (ASSIGNMENTS above)",
    "crm.interaction.user": "a colleague who took part",
    "crm.commitment.owner": "a colleague who owns the promise",
    "crm.commitment.department": "the department that owes it",
    "crm.commitment.receiving_department": "the department it is owed to",
    "crm.commitment.internal_service": "the register of internal services",
    "crm.task.assignee": "a colleague",
    "crm.servicerequest.assignee": "a colleague",
    "crm.equipment.product": "the catalogue",
    "surveys.case.owner": "a colleague",
    "surveys.feedbackitem.owner": "a colleague",
    "api:AccountInputSerializer.manager": "who may be assigned: its own rule (ASSIGNMENTS above)",
    "api:CommitmentInputSerializer.owner": "a colleague who owns the promise",
    "api:CommitmentInputSerializer.department": "the department that owes it",
    "api:ServiceRequestInputSerializer.assignee": "a colleague",
    "api:TaskInputSerializer.assignee": "a colleague",
    "api:InteractionInputSerializer.user": "a colleague who took part",
    "api:AccountInputSerializer.industry": "reference data",
    "api:AccountInputSerializer.lead_source": "reference data",
    "api:OrderLineInputSerializer.product": "the catalogue",
}


def _admin_links():
    """(model label, field name, form field) for every choice of a row on a form a row-level admin lets anyone
    fill in (its add or change form, built for an administrator, who sees every field)."""
    from django.forms import ModelChoiceField

    from crm.admin.mixins import RowLevelAccessMixin
    from tests.crm.factories import UserFactory

    request = RequestFactory().get("/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True, is_active=True)
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, RowLevelAccessMixin):
            continue
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            continue  # read only: nothing to link
        for name, field in model_admin.get_form(request).base_fields.items():
            if isinstance(field, ModelChoiceField):
                yield model._meta.label_lower, name, field


def _api_links(user=None):
    """("api:<serializer>", field name, the rows it accepts) for every writable link of the API's input
    serializers, as `user` (by default an administrator) would be offered them."""
    import inspect

    from rest_framework import relations

    from crm.api import serializers
    from tests.crm.factories import UserFactory

    request = RequestFactory().get("/")
    request.user = user or UserFactory.build(is_superuser=True, is_staff=True, is_active=True)
    for name, serializer in inspect.getmembers(serializers, inspect.isclass):
        if serializer.__module__ == serializers.__name__ and name.endswith(("InputSerializer", "UpdateSerializer")):
            for field_name, field in serializer(context={"request": request}).fields.items():
                if isinstance(field, relations.RelatedField) and not field.read_only:
                    yield f"api:{name}", field_name, field.get_queryset()


def _scoped(model) -> bool:
    return hasattr(model._default_manager.all(), "for_user")


def _related(choices):
    """The model a form field (its .queryset) or an API field (its queryset itself) chooses among."""
    return getattr(choices, "queryset", choices).model


def test_every_link_on_an_admin_form_or_api_input_is_scoped_or_classified(db):
    found = [*_admin_links(), *_api_links()]
    unclassified = {f"{where}.{name}" for where, name, field in found if not _scoped(_related(field))} - set(
        REFERENCE_LINKS
    )

    assert unclassified == set(), "scope these with for_user, or list them in REFERENCE_LINKS with the reason"
    assert {"crm.task.commitment", "crm.commitment.source_order", "crm.interaction.contact"} <= {
        f"{where}.{name}" for where, name, _field in found
    }


def _others(model, manager):
    """The rows of `model` that `manager` may not see: in the worlds, another manager's and the queue's."""
    others = model._default_manager.exclude(pk__in=model._default_manager.all().for_user(manager))
    assert others.exists(), f"the worlds have no other manager's {model._meta.label_lower}"
    return others


def _links_to_scoped_rows(links):
    return sorted((where, name) for where, name, field in links if _scoped(_related(field)))


@pytest.mark.parametrize(("label", "name"), _links_to_scoped_rows(_admin_links()))
def test_an_admin_form_offers_only_the_managers_own_rows_for_each_link(rf, manager, worlds, label, name):
    request = rf.get("/")
    request.user = manager
    choices = admin.site._registry[apps.get_model(label)].get_form(request).base_fields[name].queryset

    assert not choices.filter(pk__in=_others(choices.model, manager)).exists()


@pytest.mark.parametrize(("serializer", "name"), _links_to_scoped_rows(_api_links()))
def test_an_api_input_accepts_only_the_managers_own_rows_for_each_link(manager, worlds, serializer, name):
    [choices] = [rows for where, field, rows in _api_links(manager) if (where, field) == (serializer, name)]

    assert not choices.filter(pk__in=_others(choices.model, manager)).exists()


def test_services_refuse_a_link_to_another_clients_row_even_for_one_who_sees_both(head, manager):
    from django.core.exceptions import ValidationError

    from crm.services.activity import commitment_create, interaction_log, task_create

    ours, other = AccountFactory(manager=manager), AccountFactory(manager=manager)
    their_promise = CommitmentFactory(account=other)
    their_person = ContactFactory(account=other)
    their_order = OrderFactory(account=other)
    due = timezone.now() + timedelta(days=1)

    attempts = {
        "commitment": lambda: task_create(title="Позвонить", account=ours, commitment=their_promise),
        "contact": lambda: interaction_log(account=ours, contact=their_person, channel="phone", direction="outbound"),
        "source_order": lambda: commitment_create(
            description="Привезти", due_at=due, account=ours, owner=head, source_order=their_order
        ),
    }
    for field, attempt in attempts.items():
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert "belongs to another client" in refused.value.message_dict[field][0]
    assert not ours.tasks.exists() and not ours.interactions.exists() and not ours.commitments.exists()


@pytest.mark.parametrize(
    ("endpoint", "param"),
    [("contacts", "account"), ("interactions", "contact"), ("orders", "account"), ("accounts", "referred_by")],
)
def test_a_filter_by_another_managers_row_answers_like_one_that_does_not_exist(manager_api, worlds, endpoint, param):
    _mine, theirs, _unassigned = worlds
    linked = theirs["crm.contact" if param == "contact" else "crm.account"]

    foreign = manager_api.get(f"/api/v1/{endpoint}/", {param: linked.pk})
    unknown = manager_api.get(f"/api/v1/{endpoint}/", {param: 10**9})

    assert (foreign.status_code, foreign.json()["results"]) == (unknown.status_code, unknown.json()["results"])
    assert foreign.status_code == 200 and foreign.json()["results"] == []


def test_an_inn_already_taken_is_refused_naming_the_account_only_to_who_may_see_it(token_client, manager, worlds):
    mine, theirs, _unassigned = worlds
    mine["crm.account"].inn, theirs["crm.account"].inn = "7707083893", "7736050003"
    mine["crm.account"].save()
    theirs["crm.account"].save()
    api = token_client(manager, ["*"])

    own = api.post("/api/v1/accounts/", {"name": "Копия", "inn": "7707083893"}, format="json")
    foreign = api.post("/api/v1/accounts/", {"name": "Копия", "inn": "7736050003"}, format="json")

    assert (own.status_code, foreign.status_code) == (400, 400)
    assert mine["crm.account"].name in str(own.json()["error"]["fields"]["inn"])
    assert theirs["crm.account"].name not in str(foreign.json()) and "cannot use INN" in str(foreign.json())
    assert not apps.get_model("crm.account").objects.filter(name="Копия").exists()
