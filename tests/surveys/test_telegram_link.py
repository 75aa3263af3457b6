"""The survey page carries the person's link to our Telegram bot until their chat is bound (issue 20, part 4)."""

import pytest

from crm.models import Contact
from crm.outreach.telegram_links import telegram_start_token_read

pytestmark = pytest.mark.django_db


def test_the_survey_page_offers_the_bot_until_the_chat_is_bound(client, person, invite, settings):
    settings.CRM_TELEGRAM_BOT_USERNAME = "OurCrmBot"
    token = invite(person, "nps")

    page = client.get(f"/s/{token}/").content.decode()
    link = page[page.index("https://t.me/OurCrmBot?start=") :].split('"', 1)[0]
    Contact.objects.filter(pk=person.pk).update(telegram_chat_id="777")
    bound = client.get(f"/s/{token}/").content.decode()

    assert telegram_start_token_read(link.rsplit("=", 1)[1]) == person.id
    assert "Получать наши сообщения в Telegram" in page
    assert "t.me/" not in bound
