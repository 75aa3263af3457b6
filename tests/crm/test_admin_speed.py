"""The change lists do less work than stock django-unfold (crm/admin/unfold_speed.py, crm/admin/paginator.py), and
show the same thing."""

import re
from unittest import mock

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.options import BaseModelAdmin
from django.db import connection
from django.template.base import Variable, VariableDoesNotExist
from django.test.utils import CaptureQueriesContext
from django.urls import get_script_prefix, set_script_prefix
from unfold import admin as unfold_admin

from config import navigation
from config.navigation import admin_link
from crm.admin import unfold_speed
from crm.admin.paginator import EstimatedCountPaginator
from crm.models import Account, Zone
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory


def test_the_account_list_computes_its_column_headers_once_not_once_a_row(client, manager):
    for n in range(5):
        AccountFactory(manager=manager, name=f"Завод {n}")
    client.force_login(manager)
    unfolds, calls = unfold_speed._unfold_result_headers, []

    def counted(cl):
        calls.append(cl)
        return unfolds(cl)

    with mock.patch.object(unfold_speed, "_unfold_result_headers", counted):
        page = client.get("/admin/crm/account/").content.decode()

    assert len(calls) == 1
    assert page.count('data-label="zone"') == 5  # every row still labels its cells with the headers' text


def test_a_rows_checkbox_is_the_markup_unfold_renders(db):
    account = Account(pk=4217)

    assert unfold_speed.action_checkbox(None, account) == unfold_admin.checkbox.render(
        helpers.ACTION_CHECKBOX_NAME, "4217"
    )


def test_an_unfiltered_large_table_is_counted_by_the_planners_estimate_and_a_filtered_one_exactly(manager):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the estimate is PostgreSQL's pg_class.reltuples")
    for _ in range(3):
        AccountFactory(manager=manager)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")

    with mock.patch.object(EstimatedCountPaginator, "ESTIMATE_ABOVE", 1), CaptureQueriesContext(connection) as queries:
        everything = EstimatedCountPaginator(Account.objects.order_by("pk"), 50).count
        filtered = EstimatedCountPaginator(Account.objects.filter(name="nobody").order_by("pk"), 50).count

    assert (everything, filtered) == (3, 0)
    assert [q["sql"].startswith("SELECT reltuples") for q in queries.captured_queries] == [True, False]


def test_a_small_table_is_counted_exactly(manager):
    for _ in range(3):
        AccountFactory(manager=manager)

    assert EstimatedCountPaginator(Account.objects.order_by("pk"), 50).count == 3


def test_the_app_list_is_remembered_per_user_and_a_new_permission_shows_at_once(rf, manager):
    from django.contrib import admin
    from django.contrib.admin import AdminSite
    from django.contrib.auth.models import Permission

    def app_list(user):
        request = rf.get("/admin/")
        request.user = user
        return admin.site.get_app_list(request)

    def models(listing):
        return {model["object_name"] for app in listing for model in app["models"]}

    before = app_list(manager)
    request = rf.get("/admin/")
    request.user = manager
    assert before == AdminSite.get_app_list(admin.site, request)  # what Django itself builds
    assert "IntervalSchedule" not in models(before)

    manager.user_permissions.add(Permission.objects.get(codename="view_intervalschedule"))
    manager = type(manager).objects.get(pk=manager.pk)  # a new request's user: permissions read afresh

    assert models(app_list(manager)) - models(before) == {"IntervalSchedule"}


def test_the_account_search_finds_by_a_part_of_the_name_by_inn_and_by_a_contacts_phone(client, manager):
    from crm.models import Contact, Phone

    factory = AccountFactory(manager=manager, name="Северный литейный завод", inn="7707083893")
    other = AccountFactory(manager=manager, name="Южный завод")
    person = Contact.objects.create(account=other, first_name="Анна", last_name="Котова")
    Phone.objects.create(contact=person, raw="8 (916) 555-12-34", number="+79165551234")
    client.force_login(manager)

    def found(term):
        page = client.get("/admin/crm/account/", {"q": term}).content.decode()
        return {account.name for account in (factory, other) if account.name in page}

    assert found("литейный") == {"Северный литейный завод"}
    assert found("завод") == {"Северный литейный завод", "Южный завод"}
    assert found("7707083893") == {"Северный литейный завод"}
    assert found("+7 916 555 12 34") == {"Южный завод"}
    assert found("770708389") == set()  # an INN is matched whole


def test_on_postgresql_account_names_have_trigram_indexes_for_the_admins_search(db):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: pg_trgm is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'crm_account' AND indexdef LIKE '%gin_trgm_ops%'"
        )
        names = {row[0] for row in cursor.fetchall()}

    assert names == {"account_name_trgm", "account_legal_name_trgm"}


def _sidebar_link(page: str, href: str) -> str:
    """The classes of the sidebar's link to href (unfold draws its links as flex rows 38 px high)."""
    anchors = re.findall(rf'<a href="{re.escape(href)}" class="(flex h-\[38px\][^"]*)"', page)
    assert len(anchors) == 1, href
    return anchors[0]


def test_the_sidebar_links_the_main_pages_and_marks_the_one_it_is_on(client, manager):
    client.force_login(manager)

    page = client.get("/admin/crm/account/").content.decode()

    assert "active" in _sidebar_link(page, "/admin/crm/account/").split()
    assert "active" not in _sidebar_link(page, "/admin/my-day/").split()
    for href in ("/admin/feedback/dashboard/", "/admin/journeys/analytics/", "/admin/auditlog/logentry/"):
        _sidebar_link(page, href)


def test_a_sidebar_link_is_resolved_once_for_each_path_the_site_is_served_under(db):
    link, prefix = admin_link("admin:crm_my_day"), get_script_prefix()
    try:
        with mock.patch.object(navigation, "reverse", wraps=navigation.reverse) as reversing:
            set_script_prefix("/behind-a-proxy/")
            assert (str(link), str(link)) == ("/behind-a-proxy/admin/my-day/",) * 2
            set_script_prefix("/")
            assert str(link) == "/admin/my-day/"
    finally:
        set_script_prefix(prefix)
    assert reversing.call_count <= 2  # once for the new prefix; "/" may have been resolved before this test


def test_the_admin_pages_read_no_option_the_admin_lacks(client, manager):
    """Every option of an admin that unfold's templates read exists (unfold_speed fills in those its ModelAdmin
    lacks): reading a missing one costs the template engine an exception and a dir() of the admin, 67 times on a
    list page of 50 rows."""
    account = AccountFactory(manager=manager)
    person = ContactFactory(account=account)
    client.force_login(manager)
    read, missing = Variable._resolve_lookup, []

    def reading(variable, context):
        try:
            return read(variable, context)
        except VariableDoesNotExist:
            owner, _, option = variable.var.rpartition(".")
            if owner.endswith("model_admin") and isinstance(Variable(owner).resolve(context), BaseModelAdmin):
                missing.append(option)
            raise

    with mock.patch.object(Variable, "_resolve_lookup", reading):
        for url in (
            "/admin/crm/account/",
            f"/admin/crm/account/{account.pk}/change/",
            f"/admin/crm/contact/{person.pk}/change/",
        ):
            assert client.get(url).status_code == 200

    assert sorted(set(missing)) == []


def test_the_account_lists_badges_say_what_the_choices_say_in_the_managers_language(client, manager):
    from django.utils import translation

    account = AccountFactory(manager=manager, zone=Zone.GREY, status=Account.Status.CHURNED, behaviour_type=3)
    manager.language = "ru"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    page = client.get("/admin/crm/account/").content.decode()

    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*/admin/crm/account/{account.pk}/change/.*?</tr>", page, re.S).group()
    with translation.override("ru"):
        status, zone, behaviour = (getattr(account, f"get_{f}_display")() for f in ("status", "zone", "behaviour_type"))
    assert zone == "Серая (нет ответов)"
    assert f">{status}</span>" in row
    assert f'title="{zone}">серая</span>' in row
    assert f'title="{behaviour}">тип 3</span>' in row


def test_an_object_url_is_the_one_reverse_gives_under_any_script_prefix(db):
    from django.urls import NoReverseMatch, reverse

    from crm.templatetags.crm_links import object_url

    prefix = get_script_prefix()
    try:
        for served_under in ("/", "/behind-a-proxy/"):
            set_script_prefix(served_under)
            for name, object_id in (("admin:crm_commitment_change", 7), ("admin:crm_click_to_call", 123456)):
                assert object_url(name, object_id) == reverse(name, args=[object_id])
            assert object_url("admin:crm_account_change", 42) == f"{served_under}admin/crm/account/42/change/"
    finally:
        set_script_prefix(prefix)
    with pytest.raises(NoReverseMatch):  # as {% url %} says of a URL that takes no id
        object_url("admin:crm_my_day", 1)


def test_the_remembered_sidebar_is_what_unfold_draws_for_each_user_page_and_language(rf, manager, superuser):
    from django.contrib import admin
    from django.template import Template
    from django.template.context import RequestContext
    from django.template.loader import render_to_string
    from django.urls import resolve
    from django.utils import translation

    from crm.templatetags import crm_sidebar

    remembered = Template("{% load crm_sidebar %}{% sidebar_app_list %}")
    crm_sidebar._drawn.clear()
    drawings = {}
    for user in (manager, superuser):
        for path in ("/admin/crm/account/", "/admin/my-day/"):
            for language in ("ru", "en"):
                request = rf.get(path)
                request.user, request.resolver_match = user, resolve(path)
                with translation.override(language):
                    context = admin.site.each_context(request)
                    unfolds = render_to_string(
                        "unfold/helpers/app_list.html", {**context, "app_list": context["available_apps"]}, request
                    )
                    for _time in ("drawn", "remembered"):
                        assert remembered.render(RequestContext(request, context)) == unfolds
                drawings[user.username, path, language] = unfolds

    assert len(crm_sidebar._drawn) == 8  # one drawing each: none was taken for another
    assert drawings["manager", "/admin/crm/account/", "ru"] != drawings["manager", "/admin/my-day/", "ru"]
    assert drawings["manager", "/admin/my-day/", "ru"] != drawings[superuser.username, "/admin/my-day/", "ru"]
    assert "Мой день" in drawings["manager", "/admin/my-day/", "ru"]
