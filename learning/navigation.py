"""The main navigation bar: feature packages register their links (with the menu each belongs
to) in app.extensions["nav_links"]; related links fold into dropdown menus so the bar fits one
line on a 1366 px screen and the phone's collapsed menu stays short (issue 18, item 9)."""

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

# The menus a registered link may name, as (key, label).
MENUS = {
    "study": _l("Study management"),
    "content": _l("Content"),
}


class NavItem(NamedTuple):
    """A link of the bar (`items` empty) or a menu of links (`endpoint` None)."""

    label: Any
    endpoint: str | None
    items: list[tuple[Any, str]]


def nav_items(registered: list[tuple], user) -> list[NavItem]:
    """The bar for `user`: the links they may follow, in the order registered; a menu stands
    where its first link was registered, and a menu with one link for this user is that link."""
    items: list[NavItem] = []
    menus: dict[str, NavItem] = {}
    for label, endpoint, visible, *menu in registered:
        if not visible(user):
            continue
        key = menu[0] if menu else None
        if key is None:
            items.append(NavItem(label, endpoint, []))
        elif key in menus:
            menus[key].items.append((label, endpoint))
        else:
            menus[key] = NavItem(MENUS[key], None, [(label, endpoint)])
            items.append(menus[key])
    return [NavItem(item.items[0][0], item.items[0][1], []) if len(item.items) == 1 else item
            for item in items]
