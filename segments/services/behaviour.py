"""Behaviour types (DOMAIN §5): the lexicons' suggestions of a person's axes.

The manager's reading of a person is the truth (crm/services/behaviour.py keeps it and the account's type); the
suggestion sits beside it with its evidence and never overwrites it.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.batches import account_batches_run
from crm.models import Axis, Contact, Interaction
from crm.prepared import prepared_cursor
from crm.services.behaviour import accounts_behaviour_type_refresh, contact_behaviour_set
from segments.lexicon import Matcher, Term
from segments.models import BehaviourSuggestion, LexiconEntry

SATURATION = 6  # evidence weight at which an unopposed axis is 100 % sure
MIN_CONFIDENCE = 30  # below this an axis stays "not sure"
EVIDENCE_KEPT = 12  # the most recent findings shown per person
SUGGEST_ALL_JOB = "behaviour-suggest"


@transaction.atomic
def contact_behaviour_accept_suggestion(*, contact: Contact, acting_user=None) -> bool:
    """Take the suggested side of each axis the suggestion is sure of; the others stay as the manager set them."""
    suggestion = BehaviourSuggestion.objects.filter(contact=contact).first()
    if suggestion is None:
        return False
    emotional = suggestion.emotional if suggestion.emotional != Axis.UNSURE else contact.emotional
    confident = suggestion.confident if suggestion.confident != Axis.UNSURE else contact.confident
    changed = (emotional, confident) != (contact.emotional, contact.confident)
    contact_behaviour_set(contact=contact, emotional=emotional, confident=confident, acting_user=acting_user)
    return changed


# --- The suggestions --------------------------------------------------------------------------------


def lexicon_matcher() -> Matcher:
    return Matcher(
        (stems, Term(entry_id=entry_id, phrase=phrase, axis=axis, leans=leans, weight=weight))
        for entry_id, stems, phrase, axis, leans, weight in LexiconEntry.objects.filter(is_active=True).values_list(
            "id", "stems", "phrase", "axis", "leans", "weight"
        )
    )


def _axis_reading(yes: int, no: int) -> tuple[str, int]:
    """The side an axis leans to and how sure that is: the margin between the sides, scaled by how much
    evidence there is (SATURATION weight for full confidence)."""
    total = yes + no
    if not total:
        return Axis.UNSURE, 0
    confidence = round(100 * abs(yes - no) / total * min(1, total / SATURATION))
    if confidence < MIN_CONFIDENCE:
        return Axis.UNSURE, confidence
    return (Axis.YES if yes > no else Axis.NO), confidence


def suggestion_build(
    *, contact_id: int, texts: Iterable[tuple[str, int, datetime, str]], matcher: Matcher, now: datetime
) -> BehaviourSuggestion | None:
    """The suggestion from one person's texts, (source, id, when, text) each; None when nothing matched."""
    weights = defaultdict(int)
    evidence, read = [], 0
    for source, source_id, at, text in texts:
        read += 1
        for match in matcher.matches(text):
            term = match.term
            weights[term.axis, term.leans] += term.weight
            evidence.append(
                {
                    "phrase": term.phrase,
                    "axis": term.axis,
                    "leans": term.leans,
                    "weight": term.weight,
                    "source": source,
                    "id": source_id,
                    "at": at.isoformat(),
                    "excerpt": match.excerpt,
                }
            )
    if not evidence:
        return None
    emotional, emotional_confidence = _axis_reading(weights["emotional", "yes"], weights["emotional", "no"])
    confident, confident_confidence = _axis_reading(weights["confident", "yes"], weights["confident", "no"])
    evidence.sort(key=lambda item: item["at"], reverse=True)
    return BehaviourSuggestion(
        contact_id=contact_id,
        emotional=emotional,
        confident=confident,
        emotional_confidence=emotional_confidence,
        confident_confidence=confident_confidence,
        evidence=evidence[:EVIDENCE_KEPT],
        texts=read,
        computed_at=now,
    )


def _texts_by_contact(interactions: Q, answers: Q) -> dict[int, list[tuple[str, int, datetime, str]]]:
    """Interaction notes (with subject and outcome: a call's summary) and open survey answers, per person."""
    from surveys.models import Answer

    texts = defaultdict(list)
    rows = (
        Interaction.objects.filter(interactions, contact__isnull=False)
        .exclude(subject="", notes="", outcome="")
        .values_list("contact_id", "id", "occurred_at", "subject", "notes", "outcome")
    )
    for contact_id, interaction_id, at, subject, notes, outcome in rows.iterator(chunk_size=5000):
        texts[contact_id].append(
            ("interaction", interaction_id, at, "\n".join(filter(None, (subject, notes, outcome))))
        )
    for contact_id, answer_id, at, text in (
        Answer.objects.filter(answers)
        .exclude(text="")
        .values_list("response__contact_id", "id", "submitted_at", "text")
    ):
        texts[contact_id].append(("answer", answer_id, at, text))
    return texts


_STORED = ["emotional", "confident", "emotional_confidence", "confident_confidence", "evidence", "texts", "computed_at"]
_UPSERT = (
    f"INSERT INTO segments_behavioursuggestion (contact_id, {', '.join(_STORED)}) "  # noqa: S608  (constants)
    f"VALUES (%s, {', '.join(['%s'] * len(_STORED))}) ON CONFLICT (contact_id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _STORED)
)


def _suggestions_store(*, contact_ids: Q, suggestions: list[BehaviourSuggestion]) -> None:
    """Replace the suggestions of these people: upsert the new ones, drop those whose evidence is gone."""
    BehaviourSuggestion.objects.filter(contact_ids).exclude(contact_id__in=[s.contact_id for s in suggestions]).delete()
    if connection.vendor != "postgresql":
        BehaviourSuggestion.objects.bulk_create(
            suggestions, batch_size=1000, update_conflicts=True, unique_fields=["contact"], update_fields=_STORED
        )
        return
    # Bound on the server: Django's client-side binding would quote every character of the evidence in Python,
    # which was two thirds of a batch run's time.
    rows = [
        (
            s.contact_id,
            s.emotional,
            s.confident,
            s.emotional_confidence,
            s.confident_confidence,
            json.dumps(s.evidence, ensure_ascii=False),
            s.texts,
            s.computed_at,
        )
        for s in suggestions
    ]
    with prepared_cursor() as cursor:
        cursor.executemany(_UPSERT, rows)


@transaction.atomic
def contact_behaviour_suggest(*, contact_id: int, matcher: Matcher | None = None) -> BehaviourSuggestion | None:
    """Suggest again for one person, after a new note or answer: a few indexed queries."""
    account_id = Contact.objects.filter(id=contact_id).values_list("account_id", flat=True).first()
    if account_id is None:
        return None
    texts = _texts_by_contact(
        Q(account_id=account_id, contact_id=contact_id), Q(account_id=account_id, response__contact_id=contact_id)
    )
    suggestion = suggestion_build(
        contact_id=contact_id, texts=texts[contact_id], matcher=matcher or lexicon_matcher(), now=timezone.now()
    )
    _suggestions_store(contact_ids=Q(contact_id=contact_id), suggestions=[suggestion] if suggestion else [])
    return suggestion


def behaviour_suggest_all(
    *, batch_accounts: int = 2000, restart: bool = False, progress: Callable[[int], None] | None = None
) -> dict:
    """Suggest for everyone, in batches of accounts by id, resumable (crm.batches); `restart` starts over, for
    example after a lexicon change. Returns {"accounts", "suggested", "resumed_from"}."""
    matcher = lexicon_matcher()

    def suggest(ids: list[int]) -> Counter:
        low, high = ids[0], ids[-1]
        in_range = {"account_id__gte": low, "account_id__lte": high}
        texts = _texts_by_contact(Q(**in_range), Q(**in_range))
        now = timezone.now()
        suggestions = [
            suggestion
            for contact_id, contact_texts in texts.items()
            if (suggestion := suggestion_build(contact_id=contact_id, texts=contact_texts, matcher=matcher, now=now))
        ]
        _suggestions_store(
            contact_ids=Q(contact__account_id__gte=low, contact__account_id__lte=high), suggestions=suggestions
        )
        return Counter(suggested=len(suggestions))

    summary = account_batches_run(
        job=SUGGEST_ALL_JOB, work=suggest, batch_accounts=batch_accounts, restart=restart, progress=progress
    )
    return {"suggested": 0, **summary}


def contact_suggestion_export(contact: Contact, data: dict) -> None:
    """The product's reading of the person's behaviour, for their data export (crm/personal_data.py)."""
    data["behaviour"]["suggestion"] = BehaviourSuggestion.objects.filter(contact=contact).values().first()


def contact_behaviour_erase(contact: Contact, acting_user=None) -> None:
    """Erasure on request: the reading goes, and the account's type is worked out again without the person."""
    BehaviourSuggestion.objects.filter(contact=contact).delete()
    accounts_behaviour_type_refresh(account_ids=[contact.account_id], acting_user=acting_user)
