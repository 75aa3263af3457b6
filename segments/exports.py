"""A saved segment's members as a CSV download, streamed so a segment of a million rows needs no memory."""

import csv

from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.models import Phone
from crm.spreadsheets import spreadsheet_cell
from segments.models import Segment
from segments.selectors import segment_members


class _Echo:
    def write(self, value):
        return value


def _rows(segment: Segment, user):
    members = segment_members(segment=segment, user=user)
    if segment.target == Segment.Target.ACCOUNTS:
        yield [_("id"), _("name"), _("INN"), _("manager"), _("industry"), _("zone"), _("level"), _("behaviour type")]
        for account in members.select_related("manager", "industry").order_by("id").iterator(chunk_size=2000):
            yield [
                account.id,
                account.name,
                account.inn,
                account.manager and account.manager.get_username(),
                account.industry,
                account.get_zone_display(),
                account.get_level_display(),
                account.behaviour_type or "",
            ]
        return
    phone = Phone.objects.filter(contact=OuterRef("pk")).order_by("-is_primary", "id").values("number")[:1]
    yield [_("id"), _("name"), _("account"), _("decision maker"), _("email"), _("phone"), _("language")]
    people = members.select_related("account").annotate(phone=Subquery(phone)).order_by("id")
    for contact in people.iterator(chunk_size=2000):
        yield [
            contact.id,
            contact.full_name,
            contact.account.name,
            _("yes") if contact.is_decision_maker else "",
            contact.email,
            contact.phone,
            contact.language,
        ]


def segment_csv_response(*, segment: Segment, user) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([spreadsheet_cell(value) for value in row]) for row in _rows(segment, user)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{slugify(segment.name, allow_unicode=False) or 'segment'}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
