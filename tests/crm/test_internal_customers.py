"""Internal customers (DOMAIN §9): the register, requests as promises between departments, the internal CSAT,
and the report, its figures worked out by hand on small data."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crm.models import Commitment, InternalService, Task
from crm.selectors import internal_service_figures
from crm.services.activity import commitment_close
from crm.services.internal import internal_request_create, internal_request_rate
from crm.services.roles import HEADS
from tests.crm.factories import DepartmentFactory, UserFactory

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def logistics(db):
    department = DepartmentFactory(name="Logistics")
    department.head = UserFactory(username="logistics-head", department=department, language="en")
    department.save()
    department.head.groups.add(Group.objects.get(name=HEADS))
    return department


@pytest.fixture
def service(logistics, department):
    """Logistics owes Sales Moscow a weekly shipping plan within 2 days of asking."""
    return InternalService.objects.create(
        serving_department=logistics,
        receiving_department=department,
        deliverable="Shipping plan",
        deadline_days=2,
        completeness="Every order due next week, with its truck",
        delivery_format="XLSX by e-mail",
    )


def test_a_request_is_a_promise_of_the_serving_department_due_after_the_registers_deadline(service, manager):
    now = datetime(2026, 3, 2, 10, tzinfo=MSK)

    request = internal_request_create(service=service, requested_by=manager, details="week 10", now=now)

    assert request.account is None
    assert request.department == service.serving_department
    assert request.owner == service.serving_department.head
    assert request.receiving_department == service.receiving_department
    assert request.description == "Shipping plan: week 10"
    assert request.due_at == now + timedelta(days=2)
    # Both departments see it; a stranger does not.
    assert Commitment.objects.for_user(manager).filter(pk=request.pk).exists()
    assert Commitment.objects.for_user(service.serving_department.head).filter(pk=request.pk).exists()
    assert not Commitment.objects.for_user(UserFactory(username="stranger")).filter(pk=request.pk).exists()


def test_delivery_asks_the_requester_to_rate_once_and_the_rating_closes_that_task(service, manager):
    request = internal_request_create(service=service, requested_by=manager)

    commitment_close(commitment=request, status=Commitment.Status.KEPT)
    commitment_close(commitment=request, status=Commitment.Status.KEPT)  # a second click changes nothing

    task = Task.objects.get(commitment=request)
    assert task.assignee == manager and task.status == Task.Status.OPEN
    assert task.title == "Rate what you received: Shipping plan"

    internal_request_rate(commitment=request, rating=4, user=manager)

    request.refresh_from_db()
    task.refresh_from_db()
    assert (request.internal_rating, request.rated_by) == (4, manager)
    assert task.status == Task.Status.DONE


def test_only_the_receiving_department_rates_and_only_a_delivered_request_on_the_scale(service, manager):
    request = internal_request_create(service=service, requested_by=manager)
    with pytest.raises(ValidationError, match="after it is delivered"):
        internal_request_rate(commitment=request, rating=5, user=manager)
    commitment_close(commitment=request, status=Commitment.Status.KEPT)

    with pytest.raises(PermissionDenied):
        internal_request_rate(commitment=request, rating=5, user=service.serving_department.head)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        internal_request_rate(commitment=request, rating=6, user=manager)
    # The database refuses what the service would: a rating on an open request.
    with transaction.atomic(), pytest.raises(IntegrityError):
        Commitment.objects.filter(pk=request.pk).update(status=Commitment.Status.OPEN, internal_rating=3)


def test_the_report_per_department_and_month_matches_the_figures_worked_out_by_hand(service, manager):
    """March: 4 requests due. Kept on time 2 (one kept late, one broken) = 50 %. Rated: 5, 4, 3 → strict 1/3 =
    33.3 %, broad 2/3 = 66.7 %. April: 1 due, kept on time = 100 %, not rated. One still open and overdue now."""
    now = datetime(2026, 4, 20, 12, tzinfo=MSK)

    def request(due, status, fulfilled=None, rating=None):
        made = internal_request_create(service=service, requested_by=manager, now=due - timedelta(days=2))
        Commitment.objects.filter(pk=made.pk).update(status=status, fulfilled_at=fulfilled, internal_rating=rating)

    march = datetime(2026, 3, 10, 12, tzinfo=MSK)
    request(march, "kept", march - timedelta(hours=1), 5)
    request(march, "kept", march, 4)
    request(march, "kept", march + timedelta(days=1), 3)  # late
    request(march, "broken")
    request(march, "cancelled")  # does not count
    request(datetime(2026, 4, 1, 9, tzinfo=MSK), "kept", datetime(2026, 4, 1, 8, tzinfo=MSK))
    request(datetime(2026, 4, 19, 9, tzinfo=MSK), "open")  # overdue now
    request(datetime(2026, 4, 25, 9, tzinfo=MSK), "open")  # not due yet: in no figure

    rows = internal_service_figures(start=datetime(2026, 3, 1, tzinfo=MSK), end=now, now=now)

    by_month = {row.month.astimezone(MSK).month: row for row in rows}
    assert set(by_month) == {3, 4}
    assert (by_month[3].kept_rate.percent, by_month[3].due) == (50.0, 4)
    assert (by_month[3].csat_strict, by_month[3].csat_broad, by_month[3].rated) == (33.3, 66.7, 3)
    assert (by_month[4].kept_rate.percent, by_month[4].due, by_month[4].csat_broad) == (50.0, 2, None)
    assert {row.overdue_now for row in rows} == {1}
    assert {row.department for row in rows} == {"Logistics"}


def test_the_head_of_the_serving_department_sees_its_figures_on_my_day_and_the_report(client, service, manager):
    request = internal_request_create(service=service, requested_by=manager, now=timezone.now() - timedelta(days=3))
    commitment_close(commitment=request, status=Commitment.Status.KEPT, at=request.due_at - timedelta(hours=1))
    internal_request_rate(commitment=request, rating=5, user=manager)
    client.force_login(service.serving_department.head)

    day = client.get(reverse("admin:crm_my_day")).content.decode()
    report = client.get(reverse("admin:crm_internal_report")).content.decode()

    assert (
        "Logistics for its internal customers, last 30 days: kept on time 100.0 % (1 of 1), "
        "internal CSAT 100.0 % (n = 1), overdue now 0" in day
    )
    assert "Logistics" in report and "1 / 1" in report and "n = 1" in report


def test_the_rating_buttons_on_the_promise_post_the_rating(client, service, manager):
    request = internal_request_create(service=service, requested_by=manager)
    commitment_close(commitment=request, status=Commitment.Status.KEPT)
    client.force_login(manager)

    page = client.get(reverse("admin:crm_commitment_change", args=[request.pk])).content.decode()
    assert reverse("admin:crm_internal_rate", args=[request.pk]) in page
    response = client.post(reverse("admin:crm_internal_rate", args=[request.pk]), {"rating": "2"})
    bad = client.post(reverse("admin:crm_internal_rate", args=[request.pk]), {"rating": "lots"}, follow=True)

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.internal_rating == 2
    assert "Choose a rating from 1 to 5." in bad.content.decode()


def test_the_register_action_requests_a_service(client, service, head):
    client.force_login(head)

    client.post(
        reverse("admin:crm_internalservice_changelist"),
        {"action": "request_now", "_selected_action": [service.pk]},
    )

    request = Commitment.objects.get(internal_service=service)
    assert request.created_by == head and request.department == service.serving_department
