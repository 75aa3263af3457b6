from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.models import User
from crm.services.tokens import api_token_issue


class Command(BaseCommand):
    help = "Issue an integration token and print it once. Only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'Asterisk PBX'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated: * or <resource>:read|write, e.g. contacts:read,interactions:write",
        )

    def handle(self, *args, user, name, scopes, **options):
        owner = User.objects.filter(username=user, is_active=True).first()
        if owner is None:
            raise CommandError(f"No active user “{user}”.")
        try:
            _token, raw = api_token_issue(
                user=owner, name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(raw)
        self.stderr.write("Store it now: it will not be shown again.")
