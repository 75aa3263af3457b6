"""The admin sidebar's links, cheap to draw: it is on every admin page a manager opens (issue 22).

Unfold reads each link twice a page (to mark the active one, and in the template), and a `reverse_lazy` link
resolves the URL anew each time: some 80 `reverse()` calls a page. `admin_link` resolves each once per script
prefix (the path the site is served under) and remembers it. And unfold's templates read keys the
configuration may leave out (`badge`, `link_callback`, `collapsible`, `separator`): each missing one costs the
template engine an exception and a `dir()` of the dict, about 140 a page; `sidebar_complete` fills them in with
the values unfold takes for "absent".
"""

from functools import cache

from django.urls import get_script_prefix, reverse
from django.utils.functional import lazy


@cache
def _resolved(name: str, prefix: str) -> str:
    return reverse(name)


def admin_link(name: str):
    """`reverse_lazy(name)`, resolved once per script prefix."""
    return lazy(lambda: _resolved(name, get_script_prefix()), str)()


def sidebar_complete(groups: list[dict]) -> None:
    for group in groups:
        group.setdefault("collapsible", False)
        group.setdefault("separator", False)
        group.setdefault("badge", None)
        for item in group["items"]:
            item.setdefault("badge", None)
            item.setdefault("link_callback", None)
