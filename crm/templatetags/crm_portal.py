"""The client page's table cells and its bar chart (inline SVG: drawn without scripts or inline styles)."""

from django import template
from django.utils.html import format_html, format_html_join

from crm.portal.exports import cell_text
from crm.portal.sections import DATE, MONEY, NUMBER, PERCENT

register = template.Library()

_CSS = {NUMBER: "num", MONEY: "num", PERCENT: "num", DATE: "date"}


@register.filter
def portal_cells(row, columns):
    return [
        {"text": cell_text(value, column.kind), "css": _CSS.get(column.kind, "")}
        for value, column in zip(row, columns, strict=True)
    ]


@register.simple_tag
def portal_bars(bars, width=400, row_height=22):
    """One horizontal bar per month: the share on time, with its sample; amber under 90 %. Drawn 400 units wide,
    so that on a phone it shrinks little and its labels stay readable."""
    label_width, value_width = 100, 96
    track = width - label_width - value_width
    rows = (
        (
            index * row_height + 15,  # the label's and the value's baseline
            bar.label,
            label_width,
            index * row_height + 4,  # the bars' top
            track,
            "bar" if (bar.percent or 0) >= 90 else "bar bar--low",
            round(track * (bar.percent or 0) / 100, 1),
            label_width + track + 8,
            f"{cell_text(bar.percent, PERCENT)} (n = {bar.n})",
        )
        for index, bar in enumerate(bars)
    )
    body = format_html_join(
        "",
        '<text x="0" y="{0}">{1}</text><rect class="track" x="{2}" y="{3}" width="{4}" height="14" rx="3"/>'
        '<rect class="{5}" x="{2}" y="{3}" width="{6}" height="14" rx="3"/><text x="{7}" y="{0}">{8}</text>',
        rows,
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" data-testid="chart">{}</svg>',
        width,
        max(len(bars), 1) * row_height,
        body,
    )
