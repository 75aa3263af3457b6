from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from crm.demo.registry import DemoStep, demo_step_register
        from crm.panels import PANELS, CardPanel, card_panel_register
        from crm.personal_data import PersonalData, personal_data_register
        from crm.portal.sections import SectionSource, client_page_section_register
        from crm.services.roles import roles_ensure_groups
        from crm.telephony.card import caller_card_part_register
        from surveys.demo import surveys_demo_seed
        from surveys.portal import satisfaction_section, you_asked_section
        from surveys.selectors import account_feedback_panel, last_nps_caller_card_part
        from surveys.services import invitations, loop, responses

        invitations.outbox_hooks_register()
        loop.outbox_hooks_register()
        personal_data_register(
            "surveys", PersonalData(export=responses.contact_responses_export, erase=responses.contact_answers_erase)
        )
        card_panel_register(
            CardPanel(
                name="feedback",
                place=PANELS,
                order=10,
                template="surveys/card/feedback.html",
                read=lambda card: account_feedback_panel(account=card.account),
            )
        )
        caller_card_part_register(last_nps_caller_card_part())
        client_page_section_register(SectionSource(key="satisfaction", order=40, read=satisfaction_section))
        client_page_section_register(SectionSource(key="you_asked", order=60, read=you_asked_section))
        demo_step_register(DemoStep(name="surveys", order=20, run=lambda seed: surveys_demo_seed(seed=seed)))
        # Again after this app's permissions exist: the built-in groups get them too.
        post_migrate.connect(lambda sender, **kwargs: roles_ensure_groups(), sender=self, weak=False)
