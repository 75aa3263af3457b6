import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_the_russian_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    mo = {entry.msgid: entry.msgstr for entry in polib.mofile(str(MO))}

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert {e.msgid: e.msgstr for e in po.translated_entries()} == {k: v for k, v in mo.items() if k}


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        pytest.skip("gettext is not installed: apt-get install gettext (CI installs it).")
    tree = tmp_path / "src"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "tests", "bench"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-obsolete", "-v0"],
        cwd=tree,
        check=True,
        env={"CRM_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"},
    )
    extracted = {entry.msgid for entry in polib.pofile(str(tree / "locale/ru/LC_MESSAGES/django.po"))}
    committed = {entry.msgid for entry in polib.pofile(str(PO))}

    assert extracted - committed == set(), "run `make messages` and translate the new strings"


@pytest.mark.django_db
def test_a_russian_speaking_manager_sees_russian_and_an_english_one_english(client, manager, account):
    manager.language = "ru"
    manager.save()
    client.force_login(manager)
    russian = client.get(reverse("admin:crm_account_change", args=[account.pk]))

    manager.language = "en"
    manager.save()
    english = client.get(reverse("admin:crm_account_change", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="ru")

    assert "Записать взаимодействие" in russian.text and "Открытых обещаний нет." in russian.text
    assert "Log an interaction" in english.text
    # The header says so too (browsers offer to translate a page by it, and screen readers pick a voice).
    assert (russian["Content-Language"], english["Content-Language"]) == ("ru", "en")


@pytest.mark.django_db
def test_api_errors_follow_the_users_language(api_client, manager):
    manager.language = "ru"
    manager.save()
    api_client.force_authenticate(manager)

    response = api_client.get("/api/v1/contacts/", {"phone": "12-34"})

    assert "неверный номер телефона" in response.json()["error"]["fields"]["phone"][0]
