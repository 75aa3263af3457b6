"""Saved segments for the demo: the audiences a marketer would build first."""

from segments.models import Segment
from segments.services.levels import levels_classify
from segments.services.zones import zones_classify

DEMO_SEGMENTS = [
    ("Красная зона: позвонить сегодня", Segment.Target.ACCOUNTS, {"zone": ["red"]}),
    ("Ядро и адвокаты: пригласить на интервью", Segment.Target.ACCOUNTS, {"level": ["core", "advocate"]}),
    ("Затихли: нет заказов 90 дней", Segment.Target.ACCOUNTS, {"last_order_days_min": "90"}),
    (
        "Тип 3, ЛПР: еженедельные подтверждения",
        Segment.Target.CONTACTS,
        {"behaviour_type": ["3"], "is_decision_maker": True, "marketing": "not_opted_out"},
    ),
]


def segments_demo_seed() -> dict:
    created = 0
    for name, target, filters in DEMO_SEGMENTS:
        _segment, was_created = Segment.objects.get_or_create(
            name=name, defaults={"target": target, "filters": filters}
        )
        created += was_created
    return {"saved segments": created}


def demo_classify() -> dict:
    """The demo's orders and answers are written in bulk, past the events that keep zones and levels: classify
    every account once they are all in, as the nightly run would."""
    zones, levels = zones_classify(), levels_classify()
    return {"zone changes": sum(zones.changed.values()), "level changes": sum(levels.changed.values())}
