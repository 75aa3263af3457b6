"""A person's name as one field of a web form or another system's export: "Иванов Иван Петрович" into its parts."""

from typing import NamedTuple

_PATRONYMIC_ENDINGS = ("вич", "вна", "ична", "инична")


class PersonName(NamedTuple):
    first_name: str
    patronymic: str
    last_name: str


def _is_patronymic(word: str) -> bool:
    return word.lower().endswith(_PATRONYMIC_ENDINGS)


def person_name_split(full: str) -> PersonName:
    """Russian order ("Иванов Иван Петрович"), the given-name-first order ("Иван Петрович Иванов", "Ivan Petrov"),
    or one word: the patronymic is told by its ending; without one, two words are first name and last name."""
    words = full.split()
    match words:
        case []:
            return PersonName("", "", "")
        case [first]:
            return PersonName(first, "", "")
        case [first, second] if _is_patronymic(second):
            return PersonName(first, second, "")
        case [first, last]:
            return PersonName(first, "", last)
        case [first, middle, *rest] if _is_patronymic(middle):
            return PersonName(first, middle, " ".join(rest))
        case [last, first, *rest] if rest and _is_patronymic(rest[-1]):
            return PersonName(" ".join([first, *rest[:-1]]), rest[-1], last)
        case [first, *rest]:
            return PersonName(first, "", " ".join(rest))
