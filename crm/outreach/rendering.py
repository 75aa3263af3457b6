"""Message templates: what each kind may say, checked at save time, and rendering."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

from crm.outreach.kinds import MessageKind

_INVALID = "\x00%s\x00"
_INVALID_RE = re.compile("\x00(.*?)\x00")

# Plain-text messages: nothing to escape. Unknown variables come out as a marker at check time.
_checking_engine = Engine(autoescape=False, string_if_invalid=_INVALID)
_engine = Engine(autoescape=False)

_PERSON = {
    "name": "Иван Петрович",
    "first_name": "Иван",
    "patronymic": "Петрович",
    "last_name": "Сидоров",
    "full_name": "Сидоров Иван Петрович",
}
_ACCOUNT = {"name": "Ромашка"}
_MANAGER = {
    "name": "Анна Смирнова",
    "signature": "Анна Смирнова\nanna@example.com",
    "email": "anna@example.com",
    "phone_extension": "101",
}
_CLIENT = {"contact": _PERSON, "account": _ACCOUNT, "manager": _MANAGER, "unsubscribe_url": "https://crm.example/u/x/"}
_STAFF = {
    "user": {"name": "Анна Смирнова"},
    "account": _ACCOUNT,
    "contact": _PERSON,
    "admin_url": "https://crm.example/",
}
_ORDER = {
    "number": "A-1",
    "promised_date": date(2026, 7, 1),
    "old_date": date(2026, 6, 28),
    "new_date": date(2026, 7, 1),
    "reason": "…",
    "days_moved": 3,
}

_REFERENCES = [
    {"title": "Котельная завода «Север»", "url": "https://crm.example/cases/1/", "kind": "Выполненная работа"}
]
_STANDARDS = ["Трубы: ГОСТ 8732-78; ТУ 14-3-1128-2000"]
_DOCUMENT_ORDER = {
    "number": "A-1",
    "amount": Decimal("125000.50"),
    "currency": "RUB",
    "ordered_at": datetime(2026, 6, 1, 9, tzinfo=UTC),
    "promised_date": date(2026, 7, 1),
    "lines": [
        {
            "product": "Труба 57×3,5",
            "quantity": Decimal("10"),
            "unit_price": Decimal("12500.05"),
            "total": Decimal("125000.50"),
        }
    ],
}
_DOCUMENT = {**_CLIENT, "order": _DOCUMENT_ORDER, "standards": _STANDARDS, "references": _REFERENCES}
_COMPARISON = {
    "months": 12,
    "rows": [
        {
            "product": "Труба 57×3,5",
            "quantity": Decimal("120"),
            "current": Decimal("1500000.00"),
            "offer": Decimal("1380000.00"),
            "saving": Decimal("120000.00"),
        }
    ],
    "current_total": Decimal("1500000.00"),
    "offer_total": Decimal("1380000.00"),
    "saving": Decimal("120000.00"),
    "saving_percent": Decimal("8.0"),
}

_CLIENT_PAGE = {"url": "https://crm.example/c/x/", "expires_at": datetime(2026, 9, 1, 12, tzinfo=UTC)}

_SURVEY = {
    "title": "Как мы работаем?",
    "url": "https://crm.example/s/x/",
    "question": "Насколько вероятно, что вы порекомендуете нас коллеге?",
    "low_label": "Точно нет",
    "high_label": "Обязательно",
    "scores": [{"score": n, "url": f"https://crm.example/s/x/?recommend={n}"} for n in range(11)],
    "score_links": "".join(f"{n}: https://crm.example/s/x/?recommend={n}\n" for n in range(11)),
    "expires_at": datetime(2026, 7, 1, 12, tzinfo=UTC),
}
_CASE = {
    "summary": "NPS 3: …",
    "reason": "NPS detractor",
    "due_at": datetime(2026, 7, 1, 12, tzinfo=UTC),
    "urgent": True,
    "url": "https://crm.example/admin/surveys/case/1/change/",
}

# The variables each kind offers; a template using anything else is refused when saved.
SAMPLE_CONTEXTS: dict[str, dict] = {
    MessageKind.MAINTENANCE_DUE: {
        **_CLIENT,
        "equipment": {"model": "X-100", "serial_number": "SN1", "due_date": date(2026, 7, 1)},
    },
    MessageKind.EQUIPMENT_ALERT: {
        **_CLIENT,
        "equipment": {"model": "X-100", "serial_number": "SN1"},
        "signal": {
            "kind": "Прогноз отказа",
            "severity": "Критично",
            "code": "E42",
            "occurred_at": datetime(2026, 7, 1, 12, tzinfo=UTC),
        },
    },
    MessageKind.DELIVERY_MOVED: {**_CLIENT, "order": _ORDER},
    MessageKind.DELIVERY_AT_RISK: {**_CLIENT, "order": _ORDER},
    MessageKind.ORDER_ON_TRACK: {**_CLIENT, "order": _ORDER, "client_page": _CLIENT_PAGE},
    MessageKind.CLIENT_PAGE: {**_CLIENT, "client_page": _CLIENT_PAGE},
    MessageKind.BIRTHDAY: _CLIENT,
    MessageKind.THANKS: _CLIENT,
    MessageKind.HOLIDAY: {**_CLIENT, "holiday": {"name": "День металлурга", "date": date(2026, 7, 19)}},
    MessageKind.CAMPAIGN: _CLIENT,
    MessageKind.PROPOSAL: {
        **_CLIENT,
        "link": {"title": "КП", "url": "https://crm.example/l/x/"},
        "standards": _STANDARDS,
        "references": _REFERENCES,
        "comparison": _COMPARISON,
    },
    MessageKind.ORDER_CONFIRMATION: _DOCUMENT,
    MessageKind.INVOICE: {**_DOCUMENT, "payment_details": "ООО «Ромашка», ИНН 7707083893, р/с …"},
    MessageKind.PROMISE_DUE: {
        **_STAFF,
        "promise": {"description": "…", "due_at": datetime(2026, 7, 1, 12, tzinfo=UTC)},
    },
    MessageKind.PROMISE_OVERDUE: {
        **_STAFF,
        "promise": {"description": "…", "due_at": datetime(2026, 7, 1, 12, tzinfo=UTC)},
    },
    MessageKind.PROPOSAL_OPENED: {**_STAFF, "link": {"title": "КП", "url": "https://crm.example/l/x/"}},
    MessageKind.SURVEY_INVITATION: {**_CLIENT, "survey": _SURVEY},
    MessageKind.SURVEY_REMINDER: {**_CLIENT, "survey": _SURVEY},
    MessageKind.FEEDBACK_DONE: {**_CLIENT, "feedback": {"text": "…", "done_note": "…", "date": date(2026, 6, 1)}},
    MessageKind.CASE_OPENED: {**_STAFF, "case": _CASE},
    MessageKind.CASE_OVERDUE: {**_STAFF, "case": _CASE, "owner": {"name": "Анна Смирнова"}},
    MessageKind.ZONE_DIGEST: {
        **_STAFF,
        "day": date(2026, 7, 1),
        "changes": [
            {
                "account": "Ромашка",
                "from": "жёлтая",
                "to": "красная",
                "mean": "6.4",
                "answers": 8,
                "url": "https://crm.example/",
            }
        ],
    },
    MessageKind.ZONE_RED: {
        **_STAFF,
        "zone": {"from": "зелёная", "mean": "5.9", "answers": 8, "url": "https://crm.example/admin/crm/account/1/"},
    },
}


def variables_help(kind: str) -> str:
    def names(value, prefix=""):
        if isinstance(value, dict):
            return [name for key, item in value.items() for name in names(item, f"{prefix}{key}.")]
        return [prefix.rstrip(".")]

    return ", ".join(names(SAMPLE_CONTEXTS.get(kind, {})))


# What a message may use: conditions, loops and formatting. Tags that reach outside the message (include,
# extends, load, url, csrf_token, debug) are refused when the template is saved.
MESSAGE_TAGS = {
    *("if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof", "cycle", "now"),
    *("comment", "endcomment", "spaceless", "endspaceless", "filter", "endfilter", "ifchanged", "endifchanged"),
    *("regroup", "widthratio", "templatetag", "verbatim", "endverbatim", "autoescape", "endautoescape"),
}
_TAG_RE = re.compile(r"{%-?\s*(\w+)")


def template_errors(*, kind: str, subject: str, body: str) -> dict[str, str]:
    """Errors per field ("subject", "body") for a template of this kind; empty when it renders."""
    errors = {}
    context = SAMPLE_CONTEXTS.get(kind, {})
    for field, source in (("subject", subject), ("body", body)):
        if refused := sorted(set(_TAG_RE.findall(source)) - MESSAGE_TAGS):
            errors[field] = _("A message cannot use %(tags)s: use variables, {%% if %%} and {%% for %%}.") % {
                "tags": ", ".join(f"{{% {tag} %}}" for tag in refused)
            }
            continue
        try:
            rendered = _checking_engine.from_string(source).render(Context(context, autoescape=False))
        except TemplateSyntaxError as error:
            errors[field] = _("The template does not parse: %(error)s") % {"error": error}
            continue
        except Exception as error:  # a filter given a value it cannot take, say: the manager must see why
            errors[field] = _("The template does not render: %(error)s") % {"error": error}
            continue
        unknown = sorted(set(_INVALID_RE.findall(rendered)))
        if unknown:
            errors[field] = _("Unknown variable %(names)s. This kind of message offers: %(available)s.") % {
                "names": ", ".join(f"“{name}”" for name in unknown),
                "available": variables_help(kind),
            }
    return errors


@lru_cache(maxsize=256)
def _compiled(source: str):
    return _engine.from_string(source)


def render(*, subject: str, body: str, context: dict) -> tuple[str, str]:
    """Render under the active language: the caller activates the recipient's, so dates read as they expect."""
    context = Context(context, autoescape=False)
    rendered_subject = " ".join(_compiled(subject).render(context).split())
    return rendered_subject[:255], _compiled(body).render(context).strip()
