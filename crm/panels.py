"""The client card is assembled from panels; the apps built on the core add theirs in AppConfig.ready():

    card_panel_register(CardPanel(name="zone", place=FACTS, order=20, template="segments/card/zone.html",
                                  read=lambda card: account_zone_reading(account=card.account)))

A panel reads what it shows from the card the core has loaded (`read(card)`: its account, contacts, ...), in a
fixed number of queries (the card's query count is tested), and
renders it with its template, which gets the value as `panel` beside the whole `card`. Panels go to one of the
card's places, each in its declared order: FACTS are lines in the card's header, ADVICE the row under it, and
PANELS sit beside the promises and requests.
"""

from collections.abc import Callable
from dataclasses import dataclass

FACTS, ADVICE, PANELS = "facts", "advice", "panels"


@dataclass(frozen=True)
class CardPanel:
    name: str
    place: str
    order: int
    template: str
    read: Callable  # (crm.selectors.ClientCard) -> the value the template gets as `panel`


@dataclass(frozen=True)
class ShownPanel:
    name: str
    template: str
    value: object


_PANELS: dict[str, CardPanel] = {}


def card_panel_register(panel: CardPanel) -> None:
    if panel.place not in (FACTS, ADVICE, PANELS):
        raise ValueError(f"{panel.name}: the place is one of {FACTS}, {ADVICE}, {PANELS}")
    _PANELS[panel.name] = panel


def card_panels() -> list[CardPanel]:
    """Every panel, by place and then by its order."""
    return sorted(_PANELS.values(), key=lambda panel: (panel.place, panel.order, panel.name))


def card_panels_read(card) -> dict[str, list[ShownPanel]]:
    """Each place's panels for the card's account, in order, with what they show."""
    shown = {FACTS: [], ADVICE: [], PANELS: []}
    for panel in card_panels():
        shown[panel.place].append(ShownPanel(name=panel.name, template=panel.template, value=panel.read(card)))
    return shown
