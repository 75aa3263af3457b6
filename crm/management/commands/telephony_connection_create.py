from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.telephony.models import TelephonyConnection
from crm.telephony.services import telephony_connection_create, telephony_webhook_urls


class Command(BaseCommand):
    help = "Create a telephony connection and print the URLs to give the provider. The secret is not shown again."

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, choices=TelephonyConnection.Provider.values)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--secret",
            required=True,
            help="Twilio's auth token, Zadarma's secret key, Mango's salt, the PBX's crm_token",
        )
        parser.add_argument("--api-key", default="")
        parser.add_argument("--public-base-url", default="")
        parser.add_argument("--fallback", default="0", help="Extension or queue for unknown callers (default 0)")

    def handle(self, *args, provider, name, secret, api_key, public_base_url, fallback, **options):
        try:
            connection = telephony_connection_create(
                provider=provider,
                name=name,
                secret=secret,
                api_key=api_key,
                public_base_url=public_base_url,
                fallback_target=fallback,
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
        self.stdout.write(self.style.SUCCESS(f"Connection “{connection.name}” ({connection.get_provider_display()})."))
        for label, url in telephony_webhook_urls(connection).items():
            self.stdout.write(f"  {label}: {url}")
        self.stdout.write(f"The secret ends in {connection.secret_hint}; it is stored and will not be shown again.")
