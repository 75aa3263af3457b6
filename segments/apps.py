from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from django.db.models.signals import post_migrate

        from crm.personal_data import PersonalData, personal_data_register
        from crm.services.roles import roles_ensure_groups
        from segments import checks  # noqa: F401  (registers the zone thresholds check)
        from segments.services import behaviour

        personal_data_register(
            "segments",
            PersonalData(export=behaviour.contact_suggestion_export, erase=behaviour.contact_behaviour_erase),
        )
        # Again after this app's permissions exist: the built-in groups get them too.
        post_migrate.connect(lambda sender, **kwargs: roles_ensure_groups(), sender=self, weak=False)
