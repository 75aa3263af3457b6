from django.conf import settings
from django.core.checks import Error, register


@register()
def zone_thresholds_check(app_configs, **kwargs):
    """The zones must cover the 1..10 scale with no overlap and no gap: red < yellow-from <= green-from."""
    green, yellow = settings.CRM_ZONE_GREEN_FROM, settings.CRM_ZONE_YELLOW_FROM
    errors = []
    if not 1 < yellow < green <= 10:
        errors.append(
            Error(
                f"CRM_ZONE_YELLOW_FROM ({yellow}) and CRM_ZONE_GREEN_FROM ({green}) must satisfy "
                "1 < yellow-from < green-from <= 10, or the zones overlap or leave a gap.",
                hint="The defaults are 7.0 and 9.0 (DOMAIN §4).",
                id="segments.E001",
            )
        )
    if settings.CRM_ZONE_WINDOW_DAYS < 1:
        errors.append(Error("CRM_ZONE_WINDOW_DAYS must be at least 1.", id="segments.E002"))
    return errors
