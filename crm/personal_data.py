"""What each app holds about a person, for the export and the erasure on request (crm/services/privacy.py).

The core exports and erases its own rows, then runs each app's part. An app that keeps something about a person
registers its part in its AppConfig.ready(), so the core never imports the apps built on it:

    personal_data_register("surveys", PersonalData(export=..., erase=...))
"""

from collections.abc import Callable
from dataclasses import dataclass

from crm.models import Contact


@dataclass(frozen=True)
class PersonalData:
    # export(contact, data): adds the app's part to the export's JSON-ready dict, in place.
    export: Callable[[Contact, dict], None]
    # erase(contact, acting_user): removes who the person is and what they said; keeps what the figures count.
    erase: Callable[..., None]


_PARTS: dict[str, PersonalData] = {}


def personal_data_register(app: str, part: PersonalData) -> None:
    _PARTS[app] = part


def personal_data_parts() -> list[PersonalData]:
    """In the order the apps registered (INSTALLED_APPS), so an export always reads the same."""
    return list(_PARTS.values())
