"""What the surveys app announces (crm/events.py carries it): a response finished, and what its answers mean for
the apps that read them. Segments keep zones and suggestions from it; journeys move a promoter on."""

from dataclasses import dataclass
from datetime import datetime

from crm.events import DomainEvent


@dataclass(frozen=True)
class ResponseCompleted(DomainEvent):
    account_id: int
    contact_id: int
    response_id: int
    submitted_at: datetime  # when the person answered (an imported response: in the past)
    completed_at: datetime  # when we took it in; the zone is read as of then
    relationship: bool  # an answer to the monthly relationship survey, which the zones are read from
    promoter: bool  # it holds an NPS score of PROMOTER_FROM or more
    words: bool  # it holds written text about the person
