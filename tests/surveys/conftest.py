from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import links
from surveys.models import Survey
from surveys.services.invitations import survey_invite
from tests.crm.factories import AccountFactory, ContactFactory


@pytest.fixture
def client_account(manager):
    """An established client: old enough to be surveyed."""
    return AccountFactory(manager=manager, name="ООО «Ромашка»", created_at=timezone.now() - timedelta(days=400))


@pytest.fixture
def person(client_account):
    return ContactFactory(account=client_account, email="ivan@romashka.ru", is_decision_maker=True, language="ru")


@pytest.fixture
def surveys(db):
    return {survey.slug: survey for survey in Survey.objects.all()}


@pytest.fixture
def invite(surveys):
    """invite(contact, slug="nps", round="r1") -> the link's token, after a real invitation."""

    def make(contact, slug="nps", round="r1", now=None):
        report = survey_invite(survey=surveys[slug], people=[(contact, round)], now=now)
        assert report.invited == 1, report
        return links.invitation_token(survey_id=surveys[slug].id, contact_id=contact.id, round=round)

    return make
