"""What to do about a client, by behaviour type (DOMAIN §5) and by base level (DOMAIN §6), for the client card.

`automations` names only what the product already does for that type.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from crm.models import Level


@dataclass(frozen=True)
class Playbook:
    title: str
    actions: list = field(default_factory=list)
    script: str = ""
    contact_form: str = ""
    automations: list = field(default_factory=list)


BEHAVIOUR_PLAYBOOKS = {
    1: Playbook(
        title=_("Type 1 · emotional and confident: status and prestige matter"),
        actions=[
            _("Thank them regularly."),
            _("Do not just inform them of difficulties and changes: call to consult them first."),
            _("Ask for their feedback, and whom of our staff to reward, penalise or train."),
        ],
        script=_("“We are planning a change and your opinion matters to us before we decide: may I ask you?”"),
        contact_form=_("A call or a meeting, by the manager in person"),
    ),
    2: Playbook(
        title=_("Type 2 · unemotional and confident: specifics, optimality, benefit"),
        actions=[
            _("Send proposals with comparison tables that show the savings."),
            _("Offer ways to optimise, cut costs and earn with us, now and later."),
        ],
        script=_("“Here are three options side by side; the second saves you 12 % over a year.”"),
        contact_form=_("Email with figures, then a short call"),
    ),
    3: Playbook(
        title=_("Type 3 · unemotional and unconfident: predictability and guarantees"),
        actions=[
            _("Confirm dates twice and warn early of anything that changes."),
            _("Refer to standards (GOST, TU), completed work and testimonials in proposals and contracts."),
            _("Offer the report of their purchase history with on-time and quality figures."),
        ],
        script=_("“Your order is on track: it leaves the warehouse on Tuesday and arrives on Thursday, as promised.”"),
        contact_form=_("Written confirmations, then a call"),
        automations=[_("A confirmation every week that an order longer than a week is on track.")],
    ),
    4: Playbook(
        title=_("Type 4 · emotional and unconfident: communication and comfort"),
        actions=[
            _("Keep the contact personal: call rather than write, and record video messages."),
            _("Send text with good illustrations."),
            _("Call the moment they open a proposal we sent."),
        ],
        script=_("“I saw you opened our proposal: shall we go through it together now, on video?”"),
        contact_form=_("Video calls by default"),
        automations=[_("When they open a tracked proposal, the manager gets an urgent “call now” task.")],
    ),
}

LEVEL_PLAYBOOKS = {
    Level.LEAD: Playbook(title=_("Lead: convert"), actions=[_("Win the first order: a trial, a demo, a visit.")]),
    Level.FIRST_TIME: Playbook(
        title=_("First-time buyer: the second purchase"),
        actions=[_("Follow up on the first delivery and offer the next order while it is fresh.")],
    ),
    Level.REPEAT: Playbook(
        title=_("Repeat buyer: frequency and breadth"),
        actions=[_("Raise how often they buy and how many of our categories they use.")],
    ),
    Level.CORE: Playbook(
        title=_("Core client: learn from them"),
        actions=[_("Invite them to a customer interview."), _("Ask for a referral.")],
    ),
    Level.ADVOCATE: Playbook(
        title=_("Advocate: keep and reward"),
        actions=[_("Thank and reward them for the clients they brought."), _("Ask for a case study or testimonial.")],
    ),
}


def account_playbooks(*, behaviour_type: int | None, level: str) -> list[Playbook]:
    """The playbooks that apply to the account: its behaviour type's, if it has one, then its level's."""
    found = [BEHAVIOUR_PLAYBOOKS[behaviour_type]] if behaviour_type in BEHAVIOUR_PLAYBOOKS else []
    return [*found, LEVEL_PLAYBOOKS[Level(level)]]
