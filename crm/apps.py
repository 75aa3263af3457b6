from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from crm.models import ApiToken, TelephonyConnection, User
        from crm.monitoring.services import outbox_hooks_register as monitoring_outbox_hooks
        from crm.outreach import receivers  # noqa: F401  (subscribes to the core's events)
        from crm.panels import FACTS, CardPanel, card_panel_register
        from crm.portal import sections  # noqa: F401  (the client page's core sections)
        from crm.portal.services import outbox_hooks_register
        from crm.recent import recent_forget_changed
        from crm.schedules import schedules_install
        from crm.selectors import card_behaviour_from
        from crm.services.roles import roles_ensure_groups

        for model in (ApiToken, TelephonyConnection, User):
            post_save.connect(recent_forget_changed, sender=model, weak=False)
            post_delete.connect(recent_forget_changed, sender=model, weak=False)

        # Between the apps' level and zone (10, 20) and journey (40): the card's header reads in that order.
        card_panel_register(
            CardPanel(
                name="behaviour", place=FACTS, order=30, template="crm/card/behaviour.html", read=card_behaviour_from
            )
        )
        outbox_hooks_register()
        monitoring_outbox_hooks()
        # Groups need the permissions that post_migrate creates, so they are set up after it.
        post_migrate.connect(lambda sender, **kwargs: roles_ensure_groups(), sender=self, weak=False)
        post_migrate.connect(schedules_install, sender=self, weak=False)
