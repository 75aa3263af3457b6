"""The mixed load of bench/load.py: managers in the admin, API clients, telephony lookups, survey respondents.

Run by bench/load.py, which prepares the data (LOAD_DATA, a JSON file) and starts the servers. The server runs
the production settings behind what would be a TLS proxy: requests say `X-Forwarded-Proto: https`, and the
cookies, which production marks Secure, are kept here by hand (requests would not send them over plain HTTP).
"""

import itertools
import json
import os
import random
import re
from urllib.parse import quote

from locust import HttpUser, LoadTestShape, between, task

DATA = json.loads(open(os.environ["LOAD_DATA"]).read())  # noqa: SIM115
HTTPS = {"X-Forwarded-Proto": "https"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
invitations = itertools.cycle(DATA["invitations"])  # each respondent answers a fresh invitation


class BrowserUser(HttpUser):
    abstract = True

    def on_start(self):
        self.jar = {}

    def send(self, method, path, name, **kwargs):
        headers = {**HTTPS, "Referer": f"https://{DATA['host']}{path}", **kwargs.pop("headers", {})}
        response = self.client.request(
            method, path, name=name, headers=headers, cookies=self.jar, allow_redirects=False, **kwargs
        )
        self.jar.update(response.cookies.get_dict())
        return response

    def form_token(self, html: str) -> str:
        return CSRF_INPUT.search(html).group(1)


class AdminUser(BrowserUser):
    abstract = True

    def log_in(self, username):
        page = self.send("GET", "/admin/login/", "admin login page")
        answer = self.send(
            "POST",
            "/admin/login/",
            "admin login",
            data={
                "username": username,
                "password": DATA["password"],
                "csrfmiddlewaretoken": self.form_token(page.text),
                "next": "/admin/",
            },
        )
        if answer.status_code != 302:  # back to the form: the login failed
            raise RuntimeError(f"{username} could not log in: {answer.text[:300]}")


class Manager(AdminUser):
    """An account manager: their day, the list of their clients, a client card, a search for a client."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        username, self.accounts = random.choice(DATA["managers"])
        self.log_in(username)

    @task(2)
    def account_list(self):
        self.send("GET", "/admin/crm/account/", "admin: my accounts")

    @task(3)
    def client_card(self):
        account_id, _inn, _name = random.choice(self.accounts)
        self.send("GET", f"/admin/crm/account/{account_id}/change/", "admin: client card")

    @task(1)
    def my_day(self):
        self.send("GET", "/admin/my-day/", "admin: My day")
        self.send("GET", "/admin/my-day/department/", "admin: My day, department figure (after the page)")

    @task(1)
    def search(self):
        _account_id, inn, name = random.choice(self.accounts)
        term, kind = random.choice([(random.choice(DATA["raw_phones"]), "phone"), (inn, "INN"), (name, "name")])
        self.send("GET", f"/admin/crm/account/?whose=all&q={quote(term)}", f"admin: search by {kind}")


class Head(AdminUser):
    """The head of sales, now and then: all the accounts, the surveys dashboard, the journeys' funnel. One, however
    many users the run has: a head for the run's five or six managers (with three, on 2026-12-07, their pages of
    several seconds held the four web workers and every other request's p99 went past 1 s)."""

    fixed_count = 1
    wait_time = between(5, 15)

    def on_start(self):
        super().on_start()
        self.log_in(DATA["head"])

    @task(2)
    def all_accounts(self):
        self.send("GET", "/admin/crm/account/?whose=all", "admin: all 1M accounts")

    @task(1)
    def dashboard(self):
        self.send("GET", "/admin/feedback/dashboard/", "admin: surveys dashboard")

    @task(1)
    def funnel(self):
        self.send("GET", "/admin/journeys/analytics/", "admin: journeys funnel")
        self.send("GET", "/admin/journeys/analytics/cycle-times/", "admin: journeys cycle times (after the page)")


class ApiClient(HttpUser):
    """An integration listing and filtering through the REST API with a manager's token."""

    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers.update({"Authorization": f"Bearer {DATA['api_token']}", **HTTPS})

    @task
    def accounts_filtered(self):
        zone = random.choice(["red", "yellow", "green", "grey"])
        self.client.get(f"/api/v1/accounts/?zone={zone}&page_size=50", name="api: accounts by zone")

    @task
    def contacts_search(self):
        self.client.get("/api/v1/contacts/?search=Иван&page_size=50", name="api: contacts search")

    @task
    def one_account(self):
        self.client.get(f"/api/v1/accounts/{random.choice(DATA['api_accounts'])}/", name="api: one account")


class Telephony(HttpUser):
    """The PBX asking who is calling, for every ringing call."""

    weight = 3
    wait_time = between(0.1, 0.3)

    def on_start(self):
        self.client.headers.update({"Authorization": f"Bearer {DATA['telephony_token']}", **HTTPS})

    @task
    def lookup(self):
        number = random.choice(DATA["phones"])
        self.client.get(
            f"/api/v1/telephony/lookup/?phone={number}&connection=bench-generic", name="telephony: caller card"
        )


class Respondent(BrowserUser):
    """A client opening their relationship survey and sending it."""

    weight = 1
    wait_time = between(2, 5)

    @task
    def answer(self):
        self.jar = {}
        path = f"/s/{next(invitations)}/"
        page = self.send("GET", path, "survey: page")
        if page.status_code != 200:
            return
        self.send(
            "POST",
            path,
            "survey: submit",
            data={
                "q_result": random.randint(6, 10),
                "q_understanding": random.randint(6, 10),
                "q_service_quality": random.randint(5, 10),
                "q_recommend": random.randint(1, 10),  # this survey asks 1-10
                "q_fix_three": "Быстрее отвечать на письма; отчёт раз в неделю",
                "q_like_three": "Менеджер; качество; сроки",
                "action": "send",
                "csrfmiddlewaretoken": self.form_token(page.text),
            },
        )


if os.environ.get("LOAD_RAMP"):

    class Ramp(LoadTestShape):
        """Saturation (bench/load.py --ramp): `users` more every `seconds` until the last window's p99 passes the
        limit (or errors appear), for at most `most_seconds`; bench/load.py reads the steps from the stats history."""

        step_users, step_seconds, limit_ms, most_seconds = (int(n) for n in os.environ["LOAD_RAMP"].split(","))

        def tick(self):
            run_time = self.get_run_time()
            if run_time > self.most_seconds:  # locust's --run-time does not apply to a shape
                return None
            step = int(run_time // self.step_seconds) + 1
            if step > 1 and run_time % self.step_seconds < 1:  # judge the step just ended by its last seconds
                total = self.runner.stats.total
                if total.get_current_response_time_percentile(0.99) > self.limit_ms or total.num_failures:
                    return None
            return (step * self.step_users, self.step_users)
