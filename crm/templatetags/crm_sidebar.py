"""`{% sidebar_app_list %}`: unfold's sidebar links (`unfold/helpers/app_list.html`), drawn once for each different
sidebar and then remembered (issue 22). Every admin page draws them, about 2.5 ms a page of some 40 links, and they
are the same on every page a user opens but for the link marked active.

What the template reads is the key: every value of the sidebar's groups and links (their titles in the page's
language, links, icons, the active mark, whether the user may open each), the apps and models of "All
applications" (the user's own), and the language. So a drawing is reused only where it would come out the same.
Per process, the 128 most recently used: a drawing and its key take about 70 KB, so at most some 9 MB a process.
"""

import threading

from cachetools import LRUCache
from django import template
from django.utils.translation import get_language

register = template.Library()

_drawn: LRUCache = LRUCache(maxsize=128)
_lock = threading.Lock()


def _values(entry: dict, *, leave_out: str = "") -> tuple:
    return tuple(sorted((name, str(value)) for name, value in entry.items() if name != leave_out))


def _key(context) -> tuple:
    groups = tuple(
        (_values(group, leave_out="items"), tuple(_values(item) for item in group.get("items") or ()))
        for group in context.get("sidebar_navigation") or ()
    )
    apps = tuple(
        (str(app.get("name")), tuple((str(model.get("name")), str(model.get("admin_url"))) for model in app["models"]))
        for app in context.get("available_apps") or ()
    )
    return get_language(), bool(context.get("sidebar_show_all_applications")), groups, apps


@register.simple_tag(takes_context=True)
def sidebar_app_list(context) -> str:
    key = _key(context)
    with _lock:
        drawn = _drawn.get(key)
    if drawn is None:
        app_list = context.template.engine.get_template("unfold/helpers/app_list.html")
        with context.push(app_list=context.get("available_apps")):
            drawn = app_list.render(context)
        with _lock:
            _drawn[key] = drawn
    return drawn
