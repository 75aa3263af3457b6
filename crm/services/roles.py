"""The built-in groups. Run after every migrate, so new models' permissions are granted too."""

from django.contrib.auth.models import Group, Permission

ACCOUNT_MANAGERS = "Account managers"
HEADS = "Heads of department"

_WORK_MODELS = [
    "account",
    "contact",
    "phone",
    "contactconsent",
    "interaction",
    "commitment",
    "task",
    "servicerequest",
    "order",
    "orderline",
    "equipment",
    "trackedlink",
    "clientpagelink",
    # surveys: the closed loop is everyday work
    "case",
    "feedbackitem",
    # segments: audiences are built by whoever needs one
    "segment",
]
_REFERENCE_MODELS = [
    "industry",
    "leadsource",
    "product",
    "productcategory",
    "responsetarget",
    "accountevent",
    "deliverydatechange",
    "department",
    "internalservice",
    "user",
    "outboundmessage",
    "call",
    "equipmentsignal",
    "weblead",
    "leadroute",
    "messagetemplate",
    "professionalholiday",
    "campaign",
    "leadsourcecost",
    "reference",
    # surveys
    "survey",
    "question",
    "invitation",
    "response",
    "answer",
    "feedbackrule",
    # segments
    "zonechange",
    "levelchange",
    "levelbaseline",
    "lexiconentry",
    "behavioursuggestion",
    # journeys
    "journey",
    "stage",
    "touchpoint",
    "transitionrule",
    "transition",
    "accountjourney",
]


def _codenames(*, heads: bool) -> set[str]:
    codenames = {f"{action}_{model}" for model in _WORK_MODELS for action in ("view", "add", "change")}
    codenames |= {f"view_{model}" for model in _REFERENCE_MODELS}
    # Phones and consents are edited inline on a contact, which needs delete to remove a row.
    codenames |= {"delete_phone", "delete_contactconsent", "delete_orderline"}
    codenames |= {"add_invitation", "add_response"}  # send a survey; record answers collected elsewhere
    codenames.add("add_transition")  # move a client along its journey by hand
    if heads:
        codenames |= {"delete_task", "delete_commitment", "delete_interaction"}
        # Heads run outreach: the words of messages, the greetings calendar and campaigns.
        codenames |= {
            f"{action}_{model}"
            for model in (
                "messagetemplate",
                "professionalholiday",
                "reference",
                "campaign",
                "leadsourcecost",
                "internalservice",
                "survey",
                "question",
                "lexiconentry",
                "journey",
                "stage",
                "touchpoint",
                "transitionrule",
            )
            for action in ("add", "change")
        }
        codenames.add("change_feedbackrule")
    return codenames


def roles_ensure_groups() -> None:
    for name, heads in ((ACCOUNT_MANAGERS, False), (HEADS, True)):
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label__in=["crm", "surveys", "segments", "journeys"], codename__in=_codenames(heads=heads)
        )
        group.permissions.set(permissions)
