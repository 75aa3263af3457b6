from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    # A default rather than auto_now_add, so imports and demo data can keep historical times.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Language(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class BatchCheckpoint(models.Model):
    """Where a long batch job stopped, so a second run goes on from there instead of starting again."""

    name = models.SlugField(_("job"), max_length=64, unique=True)
    position = models.BigIntegerField(_("done up to id"), default=0)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch checkpoint")
        verbose_name_plural = _("batch checkpoints")

    def __str__(self):
        return f"{self.name} @ {self.position}"


def same_account_check(instance, *links: str) -> None:
    """A row of one client may link only to that client's rows (its person, promise, source interaction...):
    a link across accounts would show one client's data on another's page, and count it in their figures."""
    if not instance.account_id:
        return
    errors = {}
    for name in links:
        if getattr(instance, f"{name}_id") and getattr(instance, name).account_id != instance.account_id:
            errors[name] = _("“%(linked)s” belongs to another client: choose one of this client's.") % {
                "linked": getattr(instance, name)
            }
    if errors:
        raise ValidationError(errors)
