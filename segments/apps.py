from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from django.db.models.signals import post_migrate

        from crm.demo.registry import DemoStep, demo_step_register
        from crm.outreach.hooks import segment_people_register
        from crm.panels import ADVICE, FACTS, CardPanel, card_panel_register
        from crm.personal_data import PersonalData, personal_data_register
        from crm.services.roles import roles_ensure_groups
        from segments import (
            checks,  # noqa: F401  (registers the zone thresholds check)
            receivers,  # noqa: F401  (subscribes to the core's and the surveys' events)
        )
        from segments.demo import demo_classify, segments_demo_seed
        from segments.playbooks import account_playbooks
        from segments.selectors import account_level_reading, account_zone_reading, segment_people
        from segments.services import behaviour

        personal_data_register(
            "segments",
            PersonalData(export=behaviour.contact_suggestion_export, erase=behaviour.contact_behaviour_erase),
        )
        segment_people_register(segment_people)
        demo_step_register(
            DemoStep(
                name="behaviour suggestions",
                order=30,
                run=lambda seed: {"behaviour suggestions": behaviour.behaviour_suggest_all()["suggested"]},
            )
        )
        demo_step_register(DemoStep(name="zones and levels", order=25, run=lambda seed: demo_classify()))
        demo_step_register(DemoStep(name="segments", order=40, run=lambda seed: segments_demo_seed()))
        for panel in (
            CardPanel(
                name="level",
                place=FACTS,
                order=10,
                template="segments/card/level.html",
                read=lambda card: account_level_reading(account=card.account),
            ),
            CardPanel(
                name="zone",
                place=FACTS,
                order=20,
                template="segments/card/zone.html",
                read=lambda card: account_zone_reading(account=card.account),
            ),
            CardPanel(
                name="playbooks",
                place=ADVICE,
                order=10,
                template="segments/card/playbooks.html",
                read=lambda card: account_playbooks(
                    behaviour_type=card.account.behaviour_type, level=card.account.level
                ),
            ),
        ):
            card_panel_register(panel)
        # Again after this app's permissions exist: the built-in groups get them too.
        post_migrate.connect(lambda sender, **kwargs: roles_ensure_groups(), sender=self, weak=False)
