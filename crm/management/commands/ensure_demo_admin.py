import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.models import User


class Command(BaseCommand):
    help = "Create the local admin login once (random password kept in var/admin-password.txt) and print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password_file = settings.VAR_DIR / "admin-password.txt"
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(
                username=username, email=f"{username}@localhost", password=password, language="en"
            )
            password_file.write_text(password)
            password_file.chmod(0o600)
        elif password_file.exists():
            password = password_file.read_text().strip()
        else:
            self.stdout.write(
                f"Admin login: {username} (password unchanged; reset it with "
                f"`python manage.py changepassword {username}`)."
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
