"""The one place where user text becomes HTML (STYLE.md habit 6).

Module bodies, question stems and forum posts are all untrusted, whoever wrote them. They go
Markdown -> bleach (explicit allowlist, plus the two filters below) -> `Markup`. The result is
rendered once at save time and stored, so everything here is deterministic: the same source gives
the same bytes on every server, and `sanitize_html(render_markdown(x)) == render_markdown(x)`.

Raw HTML inside Markdown is *passed to bleach*, not escaped: allowed tags (<u>, <sub>, a table
pasted from an old quiz) keep working, anything else is stripped. Stripping keeps the text of a
tag, which is wrong for tags whose "text" is code or hidden content (<script>alert(1)</script>
must not leave "alert(1)" behind), so those elements are removed with everything inside them.

A line break inside a paragraph between two Chinese characters is dropped: Markdown keeps it
and browsers show it as a space, so a speech pasted with its line wraps would read 「坚定\n信心」
as 「坚定 信心」. Between Latin words (and Korean, which spaces its words) it stays a space.

URL policy, enforced on the final attribute values (entities decoded, control characters and
whitespace removed, as a browser would see them):
- links: http, https, mailto, or relative (`/files/12`, `#top`, `//host/x`); a link to another
  host is fine (members cite sources). Every <a> gets rel="noopener nofollow".
- images: our own server only, i.e. a path starting with a single "/". The app runs on intranets
  and must not make the reader's browser contact another host. A refused image is replaced by its
  alt text.
- players (<video>, <audio>, <source>, <track>): our own attachment files only, i.e. a src (and
  poster) of the form "/files/<id>/...". A player with any other source is removed with what is
  inside it; a <source> or <track> with another is removed. Players always get controls.

Authors never write players as HTML: `![视频](clip.mp4)` names an attachment of the module, and
the caller passes the module's media (`media=`, file name -> MediaSource) so that the image
becomes a player at save time, with the attachment's poster and captions. `![](poster.png)`
naming an image attachment becomes that image; a bare file name that names no attachment becomes
a visible placeholder (`missing=` gives its words, e.g. 「找不到附件」) so the author sees it.

Lessons fit a phone: every image is wrapped in a link to itself (tap to open it full size), every
table in a <div class="table-scroll"> that scrolls sideways on its own (app.css), and Markdown
task items (`- [ ] x`, `- [x] x`) start with a read-only checkbox. Those are the only classes and
the only <input> the allowlist keeps (_CLASSES; inputs are disabled checkboxes).
"""

import html
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from urllib.parse import unquote

import bleach
import markdown
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter
from markdown import inlinepatterns
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "span",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "code", "pre", "kbd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "a", "img", "abbr", "video", "audio", "source", "track", "div", "input",
})  # fmt: skip

# No style or id anywhere (ids allow DOM clobbering), class only as _CLASSES says, no event
# handlers, no align (the
# tables extension is told to emit align instead of style, and we drop that too).
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "img": ["src", "alt", "title", "width", "height"],
    "abbr": ["title"],
    "ol": ["start"],
    "th": ["colspan", "rowspan"],
    "td": ["colspan", "rowspan"],
    "video": ["src", "poster", "controls", "preload", "playsinline", "title"],
    "audio": ["src", "controls", "preload", "title"],
    "source": ["src", "type"],
    "track": ["src", "kind", "srclang", "label", "default"],
    "div": ["class", "tabindex"],
    "span": ["class"],
    "input": ["type", "checked", "disabled", "aria-label"],
}
# The one class each element may carry (any other value is dropped): set by this module only.
_TABLE_BOX = "table-scroll"
_MISSING_FILE = "missing-file"
_CLASSES = {"div": _TABLE_BOX, "span": _MISSING_FILE}
# A box that scrolls must be reachable by keyboard to be scrolled without a mouse (WCAG 2.1.1).
_TABLE_BOX_ATTRS = {(None, "class"): _TABLE_BOX, (None, "tabindex"): "0"}
_PLAYERS = frozenset({"video", "audio"})
_MEDIA_TAGS = _PLAYERS | {"source", "track"}
# Our own attachment files, as catalog.file serves them.
_OWN_FILE = re.compile(r"/files/[0-9]+/")

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Elements removed together with their content, not just their tags: their content is code,
# markup in another language, or not meant to be shown.
_DROP_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "applet", "embed",
    "svg", "math", "template", "noscript", "noembed", "noframes",
})  # fmt: skip

# Longer sources are not parsed as Markdown but shown as escaped text (see render_markdown);
# forms should refuse them with this number (forum posts can use a much smaller one). A long
# speech (a congress report is ~32,000 characters) fits. Some adversarial shapes still cost
# seconds at this size: Python-Markdown's raw-HTML pass uses the stdlib html.parser, which is
# quadratic on runs of unterminated tags before CPython 3.11.13 (CVE-2025-6069), and html5lib's
# etree walker is quadratic in the number of siblings. Ordinary text takes milliseconds.
MAX_SOURCE_CHARS = 50_000
# Lines that follow each other without a blank line form one block, and Python-Markdown's block
# parser is quadratic in a block's lines: after each heading or rule it consumes, every block
# processor re-reads the rest of the block (the tables extension splits it into lines again).
# 50,000 characters of "a\n=\n" (12,500 headings in one block) took 11.7 s; with blocks of at
# most this many lines the same length takes about a second (bench/worst_inputs.py). A block
# this long is never prose: a speech pasted with its line wraps has a few hundred lines, and
# forms refuse longer ones with a message naming the line (see longest_block).
MAX_BLOCK_LINES = 500
# Within those bounds the cost is about linear in the number of elements, which a dense shape
# ("|a|b|" rows, "*a* " runs, one-line paragraphs) makes thousands of times larger than prose:
# 50,000 characters of such shapes took 2-3 s of CPU, a 38,000-character speech 20 ms. Counting
# lines and Markdown's marker characters bounds the elements (at these numbers the densest shape
# takes under 0.8 s, bench/worst_inputs.py); a congress report pasted with its line wraps has
# under 2,000 lines and a few hundred markers.
MAX_LINES = 5_000
MAX_MARKERS = 8_000
_MARKERS = re.compile(r"[*_#|=+>`\[\]!<~-]")
# How far ahead, and how deeply nested, a link's closing "]" or ")" may be (see _BoundedScan).
_BRACKET_SCAN_CHARS = 2_000
_BRACKET_NESTING = 8
# Bare URLs are linked only with an explicit http(s) scheme ("README.md" is a domain name too),
# not inside a longer scheme, and only over ASCII URL characters: "见https://example.com/a，然后"
# starts after "见" and stops at "，". The length bound keeps bleach's trailing-punctuation
# trimming cheap. bleach's own URL pattern is quadratic on runs of "(", and wants a public
# suffix, which intranet host names lack.
_BARE_URL = re.compile(
    r"(?<![A-Za-z0-9+.\-])https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]{1,2000}", re.IGNORECASE
)

# C0 controls other than tab/newline/CR, and DEL. Python-Markdown uses \x02/\x03 to mark its own
# placeholders, and nothing legitimate in a post needs these; bleach would turn them into "?".
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# For URL checks only: anything that is not printable ASCII. Browsers ignore tabs and newlines
# inside URLs and leading controls/spaces; removing more than they do can only make a check
# stricter, never let a scheme or a "//" through.
_NOT_URL_CHARS = re.compile(r"[^\x21-\x7e]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:")

_LINK_REL = "noopener nofollow"


@dataclass(frozen=True)
class MediaSource:
    """An attachment an image reference may name: a player, or an image shown as itself."""

    kind: str  # "video", "audio" or "image"
    url: str  # /files/<id>/<name>
    content_type: str = ""
    poster: str | None = None  # an image attachment's URL
    captions: tuple[tuple[str, str], ...] = ()  # (WebVTT attachment URL, label)


def render_markdown(text: str, media: dict[str, MediaSource] | None = None,
                    missing: str = "") -> Markup:
    """Markdown source -> sanitised HTML, safe to store and serve.

    `media` maps file names to the attachments `![text](name)` may show (players, images);
    with `missing` (the placeholder's words), a bare file name not among them shows as
    "<missing> <name>" in a box, for the author to notice."""
    if not text:
        return Markup("")
    source = _CONTROL_CHARS.sub("", text)
    state = _state()
    raw_html = None
    if not too_dense(source) and longest_block(source)[1] <= MAX_BLOCK_LINES:
        try:
            state.md.reset()
            state.md.media = media or {}
            state.md.missing = missing if media is not None else ""
            raw_html = state.md.convert(source)
        except RecursionError:
            # Python-Markdown recurses once per nesting level ("- - - ... x" a thousand deep).
            state.md = _new_markdown()
    if raw_html is None:
        # Too long, too deep or too many lines in one block to be prose: show it literally
        # rather than fail the save (forms refuse it first; this covers imports and old rows).
        raw_html = "".join(
            f"<p>{html.escape(block, quote=False)}</p>" for block in source.split("\n\n")
        )
    return Markup(state.cleaner.clean(raw_html))


def too_dense(text: str) -> str | None:
    """Which bound a Markdown source is over ("chars", "lines" or "markers"), or None: such a
    source is shown literally, and forms refuse it (see MAX_LINES)."""
    if len(text) > MAX_SOURCE_CHARS:
        return "chars"
    if text.count("\n") + text.count("\r") - text.count("\r\n") >= MAX_LINES:
        return "lines"
    if len(_MARKERS.findall(text)) > MAX_MARKERS:
        return "markers"
    return None


def longest_block(text: str) -> tuple[int, int]:
    """(first line number, line count) of the longest run of lines with no blank line between
    them, as Python-Markdown will see it (CR and CRLF are line ends; a line of spaces and tabs
    is blank). (0, 0) for an empty text."""
    best = (0, 0)
    start = count = 0
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, 1):
        if line.strip(" \t"):
            if not count:
                start = number
            count += 1
            if count > best[1]:
                best = (start, count)
        else:
            count = 0
    return best


def sanitize_html(html: str) -> Markup:  # the parameter shadows the html module, unused here
    """Already-HTML input (e.g. GIFT [html] question text) -> sanitised HTML.

    Same allowlist, filters and URL policy as `render_markdown`.
    """
    if not html:
        return Markup("")
    return Markup(_state().cleaner.clean(_CONTROL_CHARS.sub("", html)))


def stored_html(html: str) -> Markup:
    """HTML this module rendered and sanitised earlier (stored at save time), marked safe to output.

    Only for values that came out of render_markdown/sanitize_html and were stored as text,
    such as Module.body_html; never for anything a user typed.
    """
    return Markup(html or "")


# A stored post's HTML cut into tags and the text between them (our own output: well formed,
# text escaped, no "<" or ">" inside an attribute value).
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
# Inside these a mention stays as written: code is code, and a link already goes somewhere.
_NO_MENTION_TAGS = frozenset({"a", "code", "pre"})
_TAG_NAME = re.compile(r"<(/?)([A-Za-z0-9]+)")


def show_mentions(stored: str, names: dict[str, str]) -> Markup:
    """Stored post HTML with each "@username" of `names` (lowercase username -> display name)
    shown as the person's current name: <span class="mention" title="@username">@name</span>.

    Run when the page is shown, so a renamed member reads right in old posts; the stored HTML
    keeps the username. "@name" is matched as discussions.services reads it when saving: not
    after an ASCII letter, digit, "_", ".", "-" or "@" (an e-mail address is no mention), and an
    ASCII username not followed by more of an ASCII name ("@li" is not "@lily")."""
    if not stored or not names or "@" not in stored:
        return Markup(stored or "")
    alternatives = sorted(names, key=len, reverse=True)
    pattern = re.compile(
        "(?<![A-Za-z0-9_.@-])@(" + "|".join(
            re.escape(n) + (r"(?![A-Za-z0-9_]|[.\-][A-Za-z0-9_])" if n.isascii() else "")
            for n in alternatives) + ")", re.IGNORECASE)

    def mention(match: re.Match) -> str:
        username = match.group(1).lower()
        return (f'<span class="mention" title="@{html.escape(username)}">'
                f"@{html.escape(names[username])}</span>")

    parts, skipped = [], 0  # > 0 inside a link, code or pre
    for piece in _TAG_OR_TEXT.split(stored):
        if piece.startswith("<"):
            tag = _TAG_NAME.match(piece)
            if tag and tag.group(2).lower() in _NO_MENTION_TAGS:
                skipped += -1 if tag.group(1) else 1
            parts.append(piece)
        else:
            parts.append(piece if skipped > 0 else pattern.sub(mention, piece))
    return Markup("".join(parts))


def to_plain_text(text: str, limit: int | None = None) -> str:
    """Markdown -> plain text for previews/notifications.

    No tags, entities unescaped, whitespace collapsed, cut at `limit` characters (the ellipsis
    included) when given. Goes through `render_markdown` so a preview never shows what the
    rendered page would not (e.g. the body of a <script>).
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be a positive number of characters")
    extractor = _TextExtractor()
    extractor.feed(str(render_markdown(text)))
    extractor.close()
    plain = " ".join("".join(extractor.parts).split())
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return plain


def _url_allowed(value: str, *, own_host_only: bool) -> bool:
    """Whether a link href (or, with own_host_only, an image src) may stay."""
    url = _NOT_URL_CHARS.sub("", html.unescape(value)).lower()
    if own_host_only:
        # "/files/1" yes; "//host/x" and "/\host/x" (browsers read "\" as "/") are other hosts.
        return url.startswith("/") and url[1:2] not in ("/", "\\")
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group()[:-1] in ALLOWED_PROTOCOLS


# Characters written without spaces between words: CJK punctuation, kana, CJK ideographs,
# compatibility ideographs, full-width forms (not Hangul: Korean spaces its words).
_CJK = "\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
# Tags a sentence runs through: a line break on either side of them is still inside it.
_INLINE_TAGS = frozenset({"strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark",
                          "span", "a", "abbr", "kbd", "code"})


class _ChineseLineBreaks(Filter):
    """html5lib filter: drops a line break, and the spaces around it, between two CJK
    characters outside <pre>, also across inline tags (「**坚定**\n信心」). Idempotent.

    Text is held back until the sentence ends (a block tag, a <br>, the end), so that a break
    at the edge of one text token can be judged by the characters in the next."""

    def __iter__(self):
        held: list[dict] = []
        pre = 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if pre or (kind not in ("Characters", "SpaceCharacters")
                       and name not in _INLINE_TAGS):
                yield from _joined(held)
                held = []
                if name == "pre" and kind == "StartTag":
                    pre += 1
                elif name == "pre" and kind == "EndTag" and pre:
                    pre -= 1
                yield token
            else:
                held.append(token)
        yield from _joined(held)


def _joined(tokens: list[dict]) -> list[dict]:
    """`tokens` (text and inline tags of one sentence) without the breaks between CJK text."""
    texts = [t for t in tokens if t["type"] in ("Characters", "SpaceCharacters")]
    whole = "".join(t["data"] for t in texts)
    if "\n" not in whole:
        return tokens
    dropped = {i for m in _CJK_LINE_BREAK.finditer(whole) for i in range(m.start(), m.end())}
    start = 0
    for token in texts:
        end = start + len(token["data"])
        token["data"] = "".join(c for i, c in enumerate(token["data"], start)
                                if i not in dropped)
        start = end
    return tokens


class _ContentPolicy(Filter):
    """html5lib filter run after bleach's own sanitiser: what an allowlist cannot express.

    - drops the _DROP_WITH_CONTENT elements with everything inside them (bleach is told to let
      them through only so that they arrive here as elements rather than as loose text);
    - replaces images that are not on our own server by their alt text;
    - removes link targets outside the URL policy and sets rel on every link;
    - wraps each image not already in a link in a link to itself (tap to open full size) and
      each table not already in one in a focusable <div class="table-scroll">, so that output
      given back to it comes out unchanged;
    - keeps a class only where _CLASSES allows it, and an <input> only as a disabled checkbox.
    The token stream comes from a parsed tree, so start and end tags are balanced.
    """

    def __iter__(self):
        links = 0  # > 0 while inside a link
        boxed: list[bool] = []  # per open table: whether we opened a box around it
        previous: dict = {}
        for token in self._allowed():
            kind, name = token["type"], token.get("name")
            if name == "a" and kind in ("StartTag", "EndTag"):
                links += 1 if kind == "StartTag" else -1
            if name == "table" and kind == "StartTag":
                inside = (previous.get("type") == "StartTag" and previous.get("name") == "div"
                          and _class(previous) == _TABLE_BOX)
                boxed.append(not inside)
                if not inside:
                    yield {"type": "StartTag", "name": "div", "namespace": token.get("namespace"),
                           "data": _TABLE_BOX_ATTRS}
            if name == "img" and kind == "EmptyTag" and not links:
                src = token["data"][(None, "src")]
                yield {"type": "StartTag", "name": "a", "namespace": token.get("namespace"),
                       "data": {(None, "href"): src, (None, "rel"): _LINK_REL}}
                yield token
                yield {"type": "EndTag", "name": "a", "namespace": token.get("namespace")}
            else:
                yield token
            if name == "table" and kind == "EndTag" and boxed and boxed.pop():
                yield {"type": "EndTag", "name": "div", "namespace": token.get("namespace")}
            previous = token

    def _allowed(self):
        """The tokens the URL and content policies let through, links given their rel."""
        depth = 0  # > 0 while inside an element being dropped
        divs: list[bool] = []  # per open <div>: kept (a table box) or unwrapped
        for token in super().__iter__():
            kind = token["type"]
            if depth:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth -= 1
                continue
            name = token.get("name")
            if name in _DROP_WITH_CONTENT:
                if kind == "StartTag":
                    depth = 1
                continue
            if name in _MEDIA_TAGS and kind in ("StartTag", "EmptyTag"):
                attrs = dict(token.get("data") or {})
                if not all(_own_file(attrs[(None, a)]) for a in ("src", "poster")
                           if (None, a) in attrs):
                    if kind == "StartTag":
                        depth = 1
                    continue
                if name in _PLAYERS:
                    attrs[(None, "controls")] = ""
                    attrs[(None, "preload")] = "metadata"
                    token["data"] = attrs
            if name == "img" and kind in ("StartTag", "EmptyTag"):
                attrs = token.get("data") or {}
                if not _url_allowed(attrs.get((None, "src"), ""), own_host_only=True):
                    alt = html.unescape(attrs.get((None, "alt"), ""))
                    if alt:
                        yield {"type": "Characters", "data": alt}
                    continue
            elif name == "a" and kind == "StartTag":
                attrs = dict(token.get("data") or {})
                href = attrs.get((None, "href"))
                if href is not None and not _url_allowed(href, own_host_only=False):
                    del attrs[(None, "href")]
                attrs[(None, "rel")] = _LINK_REL
                token["data"] = attrs
            elif name == "div" and kind in ("StartTag", "EndTag"):
                # Only our table boxes: any other <div> is unwrapped, as before divs were allowed.
                if kind == "StartTag":
                    kept = _class(token) == _TABLE_BOX
                    divs.append(kept)
                    token["data"] = _TABLE_BOX_ATTRS
                else:
                    kept = divs.pop() if divs else False
                if not kept:
                    continue
            elif name in _CLASSES and kind == "StartTag":
                attrs = dict(token.get("data") or {})
                if attrs.get((None, "class")) != _CLASSES[name]:
                    attrs.pop((None, "class"), None)
                token["data"] = attrs
            elif name == "input":
                attrs = token.get("data") or {}
                if kind != "EmptyTag" or attrs.get((None, "type"), "").lower() != "checkbox":
                    continue
                token["data"] = {(None, "type"): "checkbox", (None, "disabled"): ""}
                if (None, "checked") in attrs:
                    token["data"][(None, "checked")] = ""
                if attrs.get((None, "aria-label")):  # the item's words name its box
                    token["data"][(None, "aria-label")] = attrs[(None, "aria-label")][:100]
            yield token


def _class(token: dict) -> str | None:
    return (token.get("data") or {}).get((None, "class"))


def _own_file(value: str) -> bool:
    """Whether a player's src or poster is one of our own attachment files."""
    return _OWN_FILE.match(_NOT_URL_CHARS.sub("", html.unescape(value))) is not None


# A reference to an attachment by its file name: no folder, no scheme, no query.
_BARE_FILE_NAME = re.compile(r"[^/\\:?#]+\.[A-Za-z0-9]{1,8}")


class _Players(Treeprocessor):
    """Turns `![text](name)` naming one of `md.media` into an <audio> or <video> player, or into
    that image attachment; a bare file name naming none into a placeholder (`md.missing`)."""

    def run(self, root):
        media = getattr(self.md, "media", None) or {}
        missing = getattr(self.md, "missing", "")
        if not media and not missing:
            return
        for element in list(root.iter("img")):
            src = element.get("src", "")
            found = media.get(src) or media.get(unquote(src))
            if found is None:
                name = unquote(src)
                if missing and _BARE_FILE_NAME.fullmatch(name):
                    element.tag = "span"
                    element.attrib.clear()
                    element.set("class", _MISSING_FILE)
                    element.text = f"{missing} {name}"
                continue
            if found.kind == "image":
                element.set("src", found.url)
                continue
            text = element.get("alt", "")
            element.tag = found.kind
            element.attrib.clear()
            element.set("src", found.url)
            element.set("title", text)
            if found.poster and found.kind == "video":
                element.set("poster", found.poster)
            for url, label in found.captions:
                track = etree.SubElement(element, "track")
                track.set("kind", "captions")
                track.set("src", url)
                track.set("srclang", "zh")
                track.set("label", label)
            # Shown only by a browser without players: the file itself.
            link = etree.SubElement(element, "a")
            link.set("href", found.url)
            link.text = text or found.url.rsplit("/", 1)[-1]


# "[ ] " or "[x] " at the start of a list item: a task item.
_TASK = re.compile(r"\[([ xX])\][ \t]+")


class _TaskItems(Treeprocessor):
    """`- [ ] x` / `- [x] x` list items start with a read-only checkbox (GitHub's task lists)."""

    def run(self, root):
        for item in root.iter("li"):
            holder = item
            if not (item.text or "").strip() and len(item) and item[0].tag == "p":
                holder = item[0]  # a loose list wraps the item's text in <p>
            match = _TASK.match(holder.text or "")
            if match is None:
                continue
            box = etree.Element("input", {"type": "checkbox", "disabled": "disabled"})
            if match.group(1) != " ":
                box.set("checked", "checked")
            box.tail = holder.text[match.end():]
            holder.text = None
            holder.insert(0, box)
            # A control needs a name for screen readers: the item's own words.
            box.set("aria-label", " ".join("".join(holder.itertext()).split())[:100])


class _PlayerExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_Players(md), "players", 5)
        md.treeprocessors.register(_TaskItems(md), "task_items", 4)


def _linkify_callback(attrs: dict, new: bool) -> dict | None:
    """Give new links from bare URLs our rel; leave existing links to _ContentPolicy."""
    if not new:
        return attrs  # existing links were already checked by _ContentPolicy
    text = attrs.get("_text", "").lower()
    href = attrs.get((None, "href"), "")
    if not text.startswith(("http://", "https://")) or not _url_allowed(href, own_host_only=False):
        return None
    attrs[(None, "rel")] = _LINK_REL
    return attrs


class _BoundedScan:
    """Mixin for Python-Markdown's link processors: find closing brackets in linear time.

    Upstream walks character by character to the end of the paragraph for every "[" and "]("
    that might open a link (Python-Markdown issue #798): 10,000 "[" took 20 s. Here the closing
    bracket is searched with a regex, at most _BRACKET_SCAN_CHARS ahead and _BRACKET_NESTING
    levels deep. A link beyond those limits, or whose title holds unbalanced parentheses, stays
    plain text.
    """

    def getText(self, data, index):
        end = _closing_bracket(data, index, _SQUARE_BRACKETS, "[")
        if end is None:
            return "", index, False
        return data[index : end - 1], end, True

    def getLink(self, data, index):
        if not data.startswith("(", index):
            return "", None, index, False
        end = _closing_bracket(data, index + 1, _ROUND_BRACKETS, "(")
        if end is None:
            return "", None, index, False
        href, title, link_end, handled = super().getLink(data[index:end], 0)
        return href, title, index + link_end, handled

    def evalId(self, data, index, text):
        ref, end, handled = super().evalId(data[index : index + _BRACKET_SCAN_CHARS], 0, text)
        return ref, index + end, handled


_SQUARE_BRACKETS = re.compile(r"[\[\]]")
_ROUND_BRACKETS = re.compile(r"[()]")


def _closing_bracket(data: str, index: int, brackets: re.Pattern, opener: str) -> int | None:
    """Position just past the bracket closing the one before `index`, if within the limits."""
    depth = 1
    for match in brackets.finditer(data, index, index + _BRACKET_SCAN_CHARS):
        depth += 1 if match.group() == opener else -1
        if depth == 0:
            return match.end()
        if depth > _BRACKET_NESTING:
            return None
    return None


class _BoundedLinks(Extension):
    """Re-registers the six link and image processors with _BoundedScan, same names and order."""

    def extendMarkdown(self, md):
        ip = inlinepatterns
        for name, base, pattern, priority in (
            ("reference", ip.ReferenceInlineProcessor, ip.REFERENCE_RE, 170),
            ("link", ip.LinkInlineProcessor, ip.LINK_RE, 160),
            ("image_link", ip.ImageInlineProcessor, ip.IMAGE_LINK_RE, 150),
            ("image_reference", ip.ImageReferenceInlineProcessor, ip.IMAGE_REFERENCE_RE, 140),
            ("short_reference", ip.ShortReferenceInlineProcessor, ip.REFERENCE_RE, 130),
            ("short_image_ref", ip.ShortImageReferenceInlineProcessor, ip.IMAGE_REFERENCE_RE, 125),
        ):
            bounded = type(f"Bounded{base.__name__}", (_BoundedScan, base), {})
            md.inlinePatterns.register(bounded(pattern, md), name, priority)


def _new_markdown() -> markdown.Markdown:
    # No nl2br (speeches use normal paragraphs), no extension that emits attributes or styles
    # we would only strip again (attr_list, footnotes' ids, codehilite); tables emit align
    # instead of style, and bleach drops align.
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "def_list", _BoundedLinks(),
                    _PlayerExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def _new_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS | _DROP_WITH_CONTENT,  # see _ContentPolicy: dropped there, with content
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            _ContentPolicy,
            partial(
                LinkifyFilter,
                callbacks=[_linkify_callback],
                skip_tags={"pre", "code"},
                url_re=_BARE_URL,
            ),
            _ChineseLineBreaks,
        ],
    )


_local = threading.local()


def _state() -> threading.local:
    """This thread's Markdown converter and bleach Cleaner (neither is thread-safe)."""
    if not hasattr(_local, "md"):
        _local.md = _new_markdown()
        _local.cleaner = _new_cleaner()
    return _local


# Tags after which a preview needs a space, so "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
    "dl", "dt", "dd", "pre", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
})  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collects the text of our own sanitised HTML (well-formed, so html.parser is enough)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)
