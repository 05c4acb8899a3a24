"""Read a page the way a person uses it: its links and forms, parsed from the HTML, so a test
can tap them (follow a link, submit a form as it stands) and count the taps."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit


@dataclass
class Link:
    """An <a href> with its text."""

    href: str
    text: str = ""


@dataclass
class Form:
    """A <form> with the values it would send as it stands (hidden and pre-filled fields)."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[Link] = []
        self.forms: list[Form] = []
        self._link: Link | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self._link = Link(attrs["href"])
            self.links.append(self._link)
        elif tag == "form":
            self.forms.append(Form(attrs.get("action") or "", (attrs.get("method") or "get")
                                   .lower()))
        elif tag == "input" and self.forms and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.forms[-1].fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self.forms:
            self._button = []

    def handle_endtag(self, tag):
        if tag == "a":
            self._link = None
        elif tag == "button" and self._button is not None:
            self.forms[-1].buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data):
        if self._link is not None:
            self._link.text = " ".join(f"{self._link.text} {data}".split())
        if self._button is not None:
            self._button.append(data)


def parse(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    return parser


def links(html: str) -> list[Link]:
    """Every link of the page, in order."""
    return parse(html).links


def forms(html: str) -> list[Form]:
    """Every form of the page, in order."""
    return parse(html).forms


def local_path(href: str, base: str = "/") -> str | None:
    """The path and query of a same-origin link (no fragment), or None for another host."""
    url = urldefrag(urljoin(f"http://localhost{base}", href)).url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def tap_link(client, html: str, text: str):
    """Follow the first link whose text contains `text` (redirects followed); the response."""
    link = next((link for link in links(html) if text in link.text), None)
    assert link is not None, f"no link {text!r} on the page"
    return client.get(local_path(link.href), follow_redirects=True)


def tap_button(client, html: str, text: str):
    """Submit the form whose button says `text`, as it stands (redirects followed)."""
    form = next((form for form in forms(html) if any(text in b for b in form.buttons)), None)
    assert form is not None, f"no button {text!r} on the page"
    return client.open(local_path(form.action), method=form.method.upper(), data=form.fields,
                       follow_redirects=True)
