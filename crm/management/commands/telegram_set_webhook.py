"""Point the bot at this site: `manage.py telegram_set_webhook` (uses CRM_PUBLIC_BASE_URL, or --url)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from crm.http import TransientError
from crm.outreach.telegram_bot import TelegramSetupError, telegram_webhook_set


class Command(BaseCommand):
    help = "Tell Telegram where to send our bot's updates (setWebhook), with the webhook secret."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="The webhook's public HTTPS address (default: CRM_PUBLIC_BASE_URL's)")

    def handle(self, *args, url=None, **options):
        url = url or settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("telegram_webhook")
        if not url.startswith("https://"):
            raise CommandError(f"Telegram sends updates only to an HTTPS address, not {url}: pass --url.")
        try:
            answer = telegram_webhook_set(url=url)
        except (TelegramSetupError, TransientError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Telegram will send updates to {url}: {answer.get('description', 'ok')}"))
