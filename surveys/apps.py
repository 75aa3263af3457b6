from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from crm.personal_data import PersonalData, personal_data_register
        from crm.services.roles import roles_ensure_groups
        from surveys.services import invitations, loop, responses

        invitations.outbox_hooks_register()
        loop.outbox_hooks_register()
        personal_data_register(
            "surveys", PersonalData(export=responses.contact_responses_export, erase=responses.contact_answers_erase)
        )
        # Again after this app's permissions exist: the built-in groups get them too.
        post_migrate.connect(lambda sender, **kwargs: roles_ensure_groups(), sender=self, weak=False)
