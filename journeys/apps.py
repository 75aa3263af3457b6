from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = _("Customer journeys")

    def ready(self):
        from crm.demo.registry import DemoStep, demo_step_register
        from crm.moving_in import services as moving_in
        from crm.panels import FACTS, CardPanel, card_panel_register
        from journeys import receivers  # noqa: F401  (subscribes to the core's events)
        from journeys.demo import journeys_demo_seed
        from journeys.selectors import account_journey_card
        from journeys.services import journey_stage_choices, stage_norms_refresh

        moving_in.journey_stage_choices = journey_stage_choices  # the stages a deal stage may map to

        # First the touchpoints the survey answers then move accounts along; last the norms, from every move.
        demo_step_register(DemoStep(name="journeys", order=10, run=lambda seed: journeys_demo_seed(seed=seed)))
        demo_step_register(
            DemoStep(name="stage norms", order=90, run=lambda seed: {"stage norms": stage_norms_refresh()})
        )
        card_panel_register(
            CardPanel(
                name="journey",
                place=FACTS,
                order=40,
                template="journeys/card/stage.html",
                read=lambda card: account_journey_card(account=card.account),
            )
        )
