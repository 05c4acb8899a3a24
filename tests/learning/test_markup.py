"""The one sanitiser (learning/markup.py): useful Markdown survives, hostile input never does.

Pure functions, no app. Safety is asserted on the OUTPUT, by parsing it with the stdlib
html.parser (independent of the html5lib inside bleach) and inspecting every element and every
attribute, not by looking for substrings only.
"""

import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from learning.markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    MAX_SOURCE_CHARS,
    render_markdown,
    sanitize_html,
    to_plain_text,
)

# Third-party payload lists (see its SOURCES.md), kept beside the project and never copied in:
# tests/learning/test_markup.py -> parents[2] is the project, parents[3] the folder holding it.
CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"

# Never in the output, whatever the input (the text "<" is always escaped, so these substrings
# can only be markup).
FORBIDDEN_TAGS = (
    "script", "style", "svg", "math", "iframe", "frame", "object", "embed", "applet", "form",
    "button", "textarea", "select", "base", "meta", "link", "template", "noscript",
)  # fmt: skip


# --- the structural check ----------------------------------------------------------------


class _Elements(HTMLParser):
    """Every start tag with its attributes (names lowercased, values with entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_comment(self, data):
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.other.append(f"unknown declaration {data!r}")


def _as_browser_reads(url: str) -> str:
    """A URL as a browser resolves it: tab/newline/CR dropped anywhere, C0 and space trimmed."""
    return re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))


def _scheme(url: str) -> str | None:
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", _as_browser_reads(url))
    return match.group(1).lower() if match else None


def elements(output: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(output)
    parser.close()
    assert not parser.other, parser.other
    return [(tag, dict(attrs)) for tag, attrs in parser.elements]


def assert_safe(output) -> None:
    """The structural assertions every output must pass."""
    assert isinstance(output, Markup)
    text = str(output)
    lowered = text.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, (tag, text)
    for tag, attrs in elements(text):
        assert tag in ALLOWED_TAGS, (tag, text)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, text)
            assert name not in ("style", "id", "name", "srcset", "formaction"), text
            if name == "class":  # only the two the sanitiser itself sets
                assert (tag, value) in (("div", "table-scroll"), ("span", "missing-file")), text
            assert name in ALLOWED_ATTRIBUTES.get(tag, ()), (tag, name, text)
            if name in ("href", "src"):
                # Stricter than a browser: drop every non-printable, non-ASCII character.
                squashed = re.sub(r"[^\x21-\x7e]", "", value or "").lower()
                bad = ("javascript:", "vbscript:", "data:", "livescript:")
                assert not squashed.startswith(bad), (tag, value, text)
                assert _scheme(value or "") in (None, *ALLOWED_PROTOCOLS), (tag, value, text)
        if tag == "a":
            assert attrs.get("rel") == "noopener nofollow", text
        if tag == "input":  # only a task item's read-only checkbox
            assert attrs.get("type") == "checkbox" and "disabled" in attrs, text
            assert set(attrs) <= {"type", "disabled", "checked", "aria-label"}, text
        if tag == "img":
            src = _as_browser_reads(attrs.get("src") or "")
            assert src.startswith("/") and src[1:2] not in ("/", "\\"), (src, text)


def render_both(source: str) -> list[Markup]:
    return [render_markdown(source), sanitize_html(source)]


# --- useful Markdown survives --------------------------------------------------------------


def test_empty_input_gives_empty_markup():
    for function in (render_markdown, sanitize_html):
        assert function("") == Markup("")
        assert function(None) == Markup("")
        assert isinstance(function(""), Markup)
    assert to_plain_text("") == ""
    assert to_plain_text(None) == ""


def test_headings_lists_and_emphasis():
    out = render_markdown(
        "# 学习汇\n\n## 第一单元\n\n"
        "- 第一条\n- 第二条 *重点* **要点** `代码`\n\n"
        "3. 三\n4. 四\n\n"
        "Term\n: definition\n"
    )
    assert_safe(out)
    assert "<h1>学习汇</h1>" in out
    assert "<h2>第一单元</h2>" in out
    assert "<li>第一条</li>" in out
    assert "<em>重点</em>" in out and "<strong>要点</strong>" in out
    assert "<code>代码</code>" in out
    assert '<ol start="3">' in out  # sane_lists keeps the number the author started at
    assert "<dt>Term</dt>" in out and "<dd>definition</dd>" in out


def test_long_multi_paragraph_block_quote():
    paragraphs = [f"第{n}段：青年一代有理想、有本领、有担当，国家就有前途。" * 8 for n in range(12)]
    out = render_markdown("\n>\n".join(f"> {p}" for p in paragraphs))
    assert_safe(out)
    assert out.count("<blockquote>") == 1
    assert out.count("<p>") == 12
    for p in paragraphs:
        assert p in out


def test_table_without_style_or_align():
    out = render_markdown("| 单位 | 学习率 |\n|:-----|------:|\n| 第一团支部 | 98% |\n")
    assert_safe(out)
    assert "<table>" in out and "<thead>" in out and "<tbody>" in out
    assert "<th>单位</th>" in out and "<td>98%</td>" in out
    assert "align" not in out and "style" not in out


def test_fenced_code_is_escaped():
    out = render_markdown('```html\n<script>alert("x")</script>\n<b>&amp;</b>\n```\n')
    assert_safe(out)
    assert out.startswith("<pre><code>")
    assert "&lt;script&gt;" in out
    assert "&amp;amp;" in out  # shown as the author typed it
    assert "class=" not in out  # the language class is dropped with every other class


def test_links_get_rel_and_keep_allowed_targets():
    out = render_markdown(
        '[来源](https://www.gov.cn/xinwen "新闻") [附件](/files/12) [上文](#top) '
        "[写信](mailto:tuanwei@example.cn) [另一站](//other.example/x) [相对](notes/1)"
    )
    assert_safe(out)
    assert (
        '<a href="https://www.gov.cn/xinwen" title="新闻" rel="noopener nofollow">来源</a>' in out
    )
    assert '<a href="/files/12" rel="noopener nofollow">附件</a>' in out
    assert '<a href="#top" rel="noopener nofollow">' in out
    assert '<a href="mailto:tuanwei@example.cn" rel="noopener nofollow">' in out
    assert '<a href="//other.example/x" rel="noopener nofollow">' in out
    assert '<a href="notes/1" rel="noopener nofollow">' in out


def test_author_rel_is_replaced():
    out = sanitize_html('<a href="/x" rel="opener author">x</a>')
    assert out == Markup('<a href="/x" rel="noopener nofollow">x</a>')


def test_markdown_mail_autolink_survives():
    out = render_markdown("<tuanwei@example.cn>")
    assert_safe(out)
    assert to_plain_text("<tuanwei@example.cn>") == "tuanwei@example.cn"


def test_own_image_is_kept():
    out = render_markdown('![合影](/files/1 "团日活动")')
    assert_safe(out)
    assert '<img alt="合影" src="/files/1" title="团日活动">' in out


@pytest.mark.parametrize(
    "source",
    [
        "![合影](https://cdn.example.com/a.png)",
        "![合影](http://10.0.0.8/a.png)",
        "![合影](//cdn.example.com/a.png)",
        "![合影](data:image/png;base64,iVBORw0KGgo=)",
        "![合影](a.png)",
        '<img src="/\\cdn.example.com/a.png" alt="合影">',
        '<img src="/&#47;cdn.example.com/a.png" alt="合影">',
        '<img src="/&#x09;/cdn.example.com/a.png" alt="合影">',
        '<img src=" //cdn.example.com/a.png" alt="合影">',
        '<img src="HTTPS://cdn.example.com/a.png" alt="合影">',
    ],
)
def test_other_hosts_images_become_their_alt_text(source):
    out = render_markdown(source)
    assert_safe(out)
    assert "<img" not in out
    assert "合影" in out


def test_refused_image_without_alt_disappears():
    assert sanitize_html('<img src="https://cdn.example.com/a.png">x') == Markup("x")


def test_chinese_text_is_unchanged():
    text = "坚定制度自信，绽放战疫青春！「青年兴则国家兴」——《回信》：“不负韶华”。"
    assert render_markdown(text) == f"<p>{text}</p>"
    assert sanitize_html(text) == text
    assert to_plain_text(text) == text


@pytest.mark.parametrize(("source", "expected"), [
    ("坚定\n信心", "<p>坚定信心</p>"),
    ("坚定 \n 信心", "<p>坚定信心</p>"),
    ("**坚定**\n信心", "<p><strong>坚定</strong>信心</p>"),
    ("「引号」\n（括号）", "<p>「引号」（括号）</p>"),
    ("> 引用\n> 第二行", "<blockquote>\n<p>引用第二行</p>\n</blockquote>"),
    ("word\nword", "<p>word\nword</p>"),  # Latin words keep their space
    ("中文\nword", "<p>中文\nword</p>"),
    ("한국\n어", "<p>한국\n어</p>"),  # so does Korean
    ("坚定  \n信心", "<p>坚定<br>\n信心</p>"),  # a hard break stays one
    ("坚定\n\n信心", "<p>坚定</p>\n<p>信心</p>"),
    ("```\n中文\n中文\n```", "<pre><code>中文\n中文\n</code></pre>"),  # code keeps its lines
])
def test_line_wraps_inside_chinese_sentences_are_not_spaces(source, expected):
    """A speech pasted with its line wraps reads 「坚定信心」, not 「坚定 信心」: browsers show a
    line break as a space, so breaks between two Chinese characters are dropped."""
    assert render_markdown(source) == expected
    assert sanitize_html(expected) == expected


def test_allowed_raw_html_is_kept():
    source = (
        "<u>下划线</u> H<sub>2</sub>O x<sup>2</sup> <mark>重点</mark> <kbd>Ctrl</kbd> "
        '<ins>增</ins> <del>删</del> <s>划</s> <abbr title="共青团">团</abbr> <span>段</span>'
    )
    out = sanitize_html(source)
    assert_safe(out)
    assert out == source
    assert_safe(render_markdown(source))
    assert '<abbr title="共青团">团</abbr>' in render_markdown(source)


def test_disallowed_tags_are_stripped_but_their_text_kept():
    out = sanitize_html('<div class="x"><font color="red">红</font><center>中</center></div>')
    assert_safe(out)
    assert "红" in out and "中" in out and "<div" not in out and "<font" not in out


def test_bare_urls_are_linked_when_they_have_a_scheme():
    out = render_markdown(
        "见https://www.gov.cn/a?b=1&c=2，然后看 http://intranet/files (或 README.md)。\n\n"
        "`http://in.code/x`"
    )
    assert_safe(out)
    assert (
        '<a href="https://www.gov.cn/a?b=1&amp;c=2" rel="noopener nofollow">'
        "https://www.gov.cn/a?b=1&amp;c=2</a>，然后" in out
    )
    assert '<a href="http://intranet/files" rel="noopener nofollow">' in out
    assert "README.md" in out and "http://README.md" not in out
    assert "<code>http://in.code/x</code>" in out


# --- hostile input never survives -----------------------------------------------------------

# Elements whose content must go with them: the text "alert(1)" must not be left behind.
DROPPED_WITH_CONTENT = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt src=x>alert(1)</sCrIpT>",
    "before <script>alert(1)</script> after",
    "<script>\nalert(1)\n</script>",
    "<style>body{background:url(alert(1))}</style>",
    "<iframe src=x>alert(1)</iframe>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><text>alert(1)</text></svg>",
    "<math><mtext>alert(1)</mtext></math>",
    "<object data=x>alert(1)</object>",
    "<template>alert(1)</template>",
    "<noscript>alert(1)</noscript>",
    "<noembed>alert(1)</noembed>",
]


@pytest.mark.parametrize("source", DROPPED_WITH_CONTENT)
def test_script_like_elements_go_with_their_content(source):
    for out in render_both(source):
        assert_safe(out)
        assert "alert(1)" not in out, out
    assert "alert(1)" not in to_plain_text(source)


def test_script_text_gone_but_surrounding_text_kept():
    out = render_markdown("学习 <script>alert(1)</script> 汇")
    assert out == Markup("<p>学习  汇</p>")


# Links whose target must be removed (the <a> may stay, without href).
HOSTILE_HREFS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#106avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)",
    "java&#x09;script:alert(1)",
    "java&#x0A;script:alert(1)",
    "java&#13;script:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\x00script:alert(1)",
    "java script:alert(1)",
    "java&Tab;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "&#x6a&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3a;alert(1)",
    "\u2028javascript:alert(1)",
    "&#x20;javascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "livescript:alert(1)",
    "file:///etc/passwd",
    "ftp://example.com/x",
]


@pytest.mark.parametrize("href", HOSTILE_HREFS)
def test_hostile_href_in_html_is_removed(href):
    for out in render_both(f"<a href=\"{href}\">x</a> <a href='{href}'>y</a>"):
        assert_safe(out)
        assert "href" not in out, out


@pytest.mark.parametrize(
    "href",
    [
        "%6Aavascript:alert(1)",
        "javascript%3Aalert(1)",
        "\\x6Aavascript:alert(1)",
        "\\u006Aavascript:x",
    ],
)
def test_percent_or_backslash_encoded_scheme_is_a_harmless_relative_url(href):
    # Browsers never decode these inside a scheme: the link points to a path on our own site.
    for out in render_both(f'<a href="{href}">x</a>'):
        assert_safe(out)
        [(_, attrs)] = elements(str(out).removeprefix("<p>").removesuffix("</p>"))
        assert _scheme(attrs.get("href", "")) is None


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x]( javascript:alert(1) )",
        '[x](javascript:alert(1) "t")',
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](\x00javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x][r]\n\n[r]: javascript:alert(1)",
        '[x][r]\n\n[r]: <javascript:alert(1)> "t"',
        "[r]\n\n[r]: JavaScript:alert(1)",
        "[x] [r]\n\n[R]: data:text/html,x",
    ],
)
def test_hostile_markdown_link_loses_its_target(source):
    out = render_markdown(source)
    assert_safe(out)
    assert "href" not in out, out
    assert "<a" in out  # the link text is still there, as a dead link


@pytest.mark.parametrize(
    "source",
    [
        "<javascript:alert(1)>",
        "<javascript://%0aalert(1)>",
        "<vbscript://x%0amsgbox(1)>",
        "<data:text/html,<script>alert(1)</script>>",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![x][i]\n\n[i]: data:image/svg+xml,<svg onload=alert(1)>",
        '![x" onerror="alert(1)](/files/1)',
        '![x](/files/1 "t\\" onerror=\\"alert(1)")',
        '[x](/a "t\\" onclick=\\"alert(1)")',
        "[x](/a onclick=alert(1))",
        '<https://example.com/" onmouseover="alert(1)>',
        '<x@example.com" onclick="alert(1)>',
        'https://example.com/"onmouseover="alert(1)',
        "**<img src=x onerror=alert(1)>**",
        "*<svg/onload=alert(1)>*",
        '<div onclick="alert(1)">\n*markdown* in a raw block\n</div>',
        "<details open ontoggle=alert(1)>x</details>",
        "<body onload=alert(1)>",
        "<img src=x onerror=alert(1)>",
        '<img src="/files/1" onerror="alert(1)" onload=alert(1)>',
        '<img src="/files/1"/onerror=alert(1)>',
        '<img src="javascript:alert(1)" alt="x">',
        '<img """><script>alert(1)</script>">',
        "<img src=`javascript:alert(1)`>",
        '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
        '<a href="#" onclick="alert(1)" onmouseover=alert(1)>x</a>',
        '<a href="/ok" style="position:fixed;top:0" class="btn" id="login" name="x">x</a>',
        '<p style="background:url(javascript:alert(1))" class="x" id="y">t</p>',
        '<table background="javascript:alert(1)">'
        '<tr><td style="x" align="left" onclick="alert(1)">t</td></tr></table>',
        '<form action="javascript:alert(1)"><input type=submit formaction=javascript:alert(1)>'
        "<button>go</button></form>",
        '<base href="javascript:/">',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<link rel=stylesheet href="javascript:alert(1)">',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<embed src="javascript:alert(1)">',
        '<object data="javascript:alert(1)"></object>',
        "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<math href=javascript:alert(1)>x</math>",
        # <p> breaks out of <svg> (as in browsers), so its text stays, as plain text.
        "<svg><foreignObject><p>alert(1)</p><script>alert(2)</script></foreignObject></svg>",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "<template><img src=x onerror=alert(1)></template>",
        "<!--<img src=x onerror=alert(1)>-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<<script>script>alert(1)<</script>/script>",
        '<a href="javascript:alert(1)"',
        "<textarea><script>alert(1)</script></textarea>",
        "<title><img src=x onerror=alert(1)></title>",
        "<xmp><img src=x onerror=alert(1)></xmp>",
        "<plaintext><img src=x onerror=alert(1)>",
        "<select><option><img src=x onerror=alert(1)></option></select>",
        "<isindex action=javascript:alert(1) type=image>",
        "<video><source onerror=alert(1)></video><audio src=x onerror=alert(1)>",
        '<a href="/x" target="_blank">x</a>',
        "\x02wzxhzdk:0\x03<script>alert(1)</script>",
    ],
)
def test_hostile_input_never_survives(source):
    for out in render_both(source):
        assert_safe(out)


def test_event_handlers_style_class_id_are_dropped_from_allowed_tags():
    out = sanitize_html(
        '<p style="color:red" class="lead" id="main" onclick="alert(1)">t</p>'
        '<a href="/x" id="__proto__" onmouseover="alert(1)">x</a>'
    )
    assert out == Markup('<p>t</p><a href="/x" rel="noopener nofollow">x</a>')


def test_control_characters_are_removed():
    out = render_markdown("学\x00习\x08汇\x1b[31m\x7f")
    assert out == Markup("<p>学习汇[31m</p>")


# --- corpora: every payload, both functions -------------------------------------------------


# Present today (SOURCES.md lists them); any other *.txt added under xss/ is picked up as well.
KNOWN_CORPUS_FILES = (
    "xss/PayloadsAllTheThings/IntrudersXSS.txt",
    "xss/PayloadsAllTheThings/RSNAKE_XSS.txt",
    "xss/PayloadsAllTheThings/XSS_Polyglots.txt",
    "naughty/blns.txt",
    "naughty/blns.json",
)
CORPUS_FILES = sorted(
    {
        *KNOWN_CORPUS_FILES,
        *(p.relative_to(CORPORA).as_posix() for p in CORPORA.glob("xss/**/*.txt")),
    }
)


def _payloads(path: Path) -> list[str]:
    # Bytes, not read_text(): universal newlines would turn the CRs some payloads rely on into
    # line breaks. Split on "\n" only; str.splitlines() would also split on the U+2028/U+2029
    # and \x1c-\x1e the naughty strings are made of.
    data = path.read_bytes().decode("utf-8")
    strings = json.loads(data) if path.suffix == ".json" else data.split("\n")
    # Each payload alone, and the whole file as one document (multi-line payloads, interplay).
    return [*strings, data]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_payloads_never_survive(name):
    path = CORPORA / name
    if not path.is_file():
        pytest.skip(f"corpus not found: {path} (it lives outside the project, in /work/shared)")
    payloads = _payloads(path)
    assert len(payloads) > 10
    for payload in payloads:
        for out in render_both(payload):
            assert_safe(out)
        to_plain_text(payload, limit=80)


def test_corpus_path_points_beside_the_project():
    project = Path(__file__).resolve().parents[2]
    assert (project / "learning" / "markup.py").is_file()
    assert CORPORA.parent.parent == project.parent


# --- determinism, idempotence, size ---------------------------------------------------------

IDEMPOTENCE_SAMPLES = [
    '# 标题\n\n正文 **粗体** 与 [链接](https://example.com/a?b=1&c=2 "t")。',
    "![图](/files/1) ![外](https://cdn.example.com/x.png) 见 http://intranet/a_b.",
    "| a | b |\n|---|:-:|\n| &amp; | <u>u</u> |",
    "```\n<b>x</b> &lt; 1\n```\n\n> 引用\n>\n> 第二段",
    '<a href="javascript:alert(1)">x</a><script>alert(1)</script><img src=x alt="http://a.b">',
    "AT&T &copy; &#169; &unknown; 5 < 6 > 4 \"quoted\" 'single'",
]


@pytest.mark.parametrize("source", IDEMPOTENCE_SAMPLES)
def test_sanitising_rendered_output_changes_nothing(source):
    rendered = render_markdown(source)
    assert sanitize_html(rendered) == rendered
    assert sanitize_html(sanitize_html(source)) == sanitize_html(source)


def test_rendering_is_deterministic_across_threads():
    source = "\n\n".join(IDEMPOTENCE_SAMPLES)
    expected = render_markdown(source)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(render_markdown(source))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


@pytest.mark.parametrize(
    "source",
    [
        "[" * 20_000,  # over a minute in Python-Markdown's own link processors
        "![" * 10_000,
        "[a](" * 5_000,
        "[a][" * 5_000,
        "[](" * 6_000,
        "(" * 20_000,  # quadratic in bleach's own bare-URL pattern
        "http://" + ")" * 20_000,
        "*" * 20_000,
        "`" * 20_000,
        "_a" * 10_000,
        "&#" * 10_000,
        "<b>" * 5_000,
        "> " * 5_000 + "x",
        "- " * 5_000 + "x",  # deeper than Python's recursion limit
        "1. " * 3_000 + "x",
    ],
    ids=lambda s: repr(s[:8]),
)
def test_pathological_input_is_rendered_safely(source):
    # How long these take is measured by bench/markup_pathological.py, not asserted here.
    for function in (render_markdown, sanitize_html):
        assert_safe(function(source))


def test_oversized_source_is_shown_as_text():
    source = "**粗** <b>x</b>\n\n" + "字" * MAX_SOURCE_CHARS
    out = render_markdown(source)
    assert_safe(out)
    assert out.startswith("<p>**粗** &lt;b&gt;x&lt;/b&gt;</p><p>字")


def test_deep_nesting_falls_back_to_text():
    out = render_markdown("- " * 3_000 + "x")
    assert_safe(out)
    assert out.startswith("<p>- - -")


# --- plain text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# 标题\n\n第一段 **重点**。\n\n- 一\n- 二", "标题 第一段 重点。 一 二"),
        ("AT&amp;T &lt;b&gt; 5 < 6 &copy;", "AT&T <b> 5 < 6 ©"),
        ("<b>粗</b><script>alert(1)</script><style>p{}</style>", "粗"),
        ("多个   空格\n换行\t制表", "多个 空格换行 制表"),  # a line wrap in Chinese is no space
        ("[链接](https://example.com) ![合影](/files/1)", "链接 合影"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"),
        ("```\nprint('x')\n```", "print('x')"),
        ("", ""),
    ],
)
def test_to_plain_text(source, expected):
    assert to_plain_text(source) == expected


def test_to_plain_text_limit():
    text = "青年兴则国家兴，青年强则国家强。"  # 16 characters
    assert to_plain_text(text, limit=16) == text
    assert to_plain_text(text, limit=100) == text
    assert to_plain_text(text, limit=8) == "青年兴则国家兴…"
    assert len(to_plain_text(text, limit=8)) == 8
    assert to_plain_text("one two three", limit=5) == "one…"  # no space before the ellipsis
    assert to_plain_text(text, limit=1) == "…"
    with pytest.raises(ValueError):
        to_plain_text(text, limit=0)


def test_longest_block_counts_lines_as_markdown_splits_them():
    from learning.markup import longest_block

    assert longest_block("") == (0, 0)
    assert longest_block("a\nb\n\nc") == (1, 2)
    assert longest_block("a\n \t\nb\r\nc\rd\n") == (3, 3)  # a line of blanks ends a block


def test_a_block_over_the_line_cap_is_shown_literally_not_parsed():
    from learning.markup import MAX_BLOCK_LINES

    text = "a\n=\n" * (MAX_BLOCK_LINES // 2 + 1)
    html = str(render_markdown(text))
    assert "<h1>" not in html and html.startswith("<p>a\n=\na")
    assert str(render_markdown("a\n=\n" * (MAX_BLOCK_LINES // 2))).startswith("<h1>a</h1>")


# --- lessons fit the screen (issue 18) -------------------------------------------------------


def test_images_link_to_themselves_to_open_full_size():
    out = render_markdown("![海报](/files/3/poster.png)\n\n[![封面](/files/4/c.png)](/courses/1)")
    assert_safe(out)
    assert ('<a href="/files/3/poster.png" rel="noopener nofollow">'
            '<img alt="海报" src="/files/3/poster.png"></a>') in out
    # An image that already is a link keeps its own target, and is not wrapped twice.
    assert out.count("<a ") == 2 and '<a href="/courses/1" rel="noopener nofollow"><img' in out
    assert sanitize_html(out) == out


def test_tables_scroll_in_their_own_box():
    header = "|" + "|".join(f"列{i}" for i in range(30)) + "|"
    out = render_markdown(header + "\n|" + "---|" * 30 + "\n|" + "x|" * 30)
    assert_safe(out)
    assert out.startswith('<div class="table-scroll" tabindex="0"><table>')
    assert out.endswith("</table></div>")
    assert out.count("table-scroll") == 1 and sanitize_html(out) == out
    # A pasted HTML table gets its box too; a <div> of the author's own is unwrapped.
    pasted = sanitize_html('<div class="x"><table><tr><td>1</td></tr></table></div>')
    assert pasted.count("<div") == 1 and '<div class="table-scroll" tabindex="0"><table>' in pasted


def test_task_list_items_are_read_only_checkboxes():
    out = render_markdown("- [ ] 读原文\n- [x] 做测验\n- [ ]不是任务\n\n1. [X] 有序也行")
    assert_safe(out)
    # Each box is named by its item's words (a control needs a name for screen readers).
    assert '<li><input type="checkbox" disabled aria-label="读原文">读原文</li>' in out
    assert '<li><input type="checkbox" disabled checked aria-label="做测验">做测验</li>' in out
    assert "<li>[ ]不是任务</li>" in out  # no space after "]": plain text
    assert ('<li><input type="checkbox" disabled checked aria-label="有序也行">有序也行</li>'
            in out)
    assert sanitize_html(out) == out
    # Any other input an author types is removed; a checkbox is made read-only.
    typed = sanitize_html('<input type="text" value="x"><input type=checkbox checked onclick=x>'
                          '<input type="submit">')
    assert_safe(typed)
    assert str(typed) == '<input type="checkbox" disabled checked>'


def test_attachment_images_by_file_name_and_missing_placeholder():
    from learning.markup import MediaSource

    media = {"poster.png": MediaSource("image", "/files/9/poster.png"),
             "海报 2.png": MediaSource("image", "/files/10/%E6%B5%B7.png")}
    out = render_markdown("![海报](poster.png)\n\n![](海报%202.png)\n\n![](gone.jpg)",
                          media=media, missing="找不到附件")
    assert_safe(out)
    assert '<img alt="海报" src="/files/9/poster.png">' in out
    assert 'src="/files/10/%E6%B5%B7.png"' in out
    assert '<span class="missing-file">找不到附件 gone.jpg</span>' in out
    assert sanitize_html(out) == out
    # Without a module's attachments (a post, a question) a bare name stays its alt text, and
    # an author cannot make up other classes.
    assert str(render_markdown("![图](gone.jpg)")) == "<p>图</p>"
    assert str(sanitize_html('<span class="btn">x</span>')) == "<span>x</span>"


# --- dense sources (issue 16, item 6) --------------------------------------------------------


def test_too_dense_names_the_bound_a_source_is_over():
    from learning.markup import MAX_LINES, MAX_MARKERS, too_dense

    speech = ("青年兴则国家兴，青年强则国家强。" * 30 + "\n\n") * 60  # ~29,000 characters
    assert too_dense(speech) is None
    assert too_dense("a\n\n" * (MAX_LINES // 2)) == "lines"
    assert too_dense("a\r\n" * (MAX_LINES - 1)) is None  # CRLF is one line end
    assert too_dense("*a* " * (MAX_MARKERS // 2 + 1)) == "markers"
    assert too_dense("*a* " * (MAX_MARKERS // 2)) is None


def test_a_source_with_too_many_markers_is_shown_literally_not_parsed():
    from learning.markup import MAX_MARKERS

    html = str(render_markdown("*a* " * (MAX_MARKERS // 2 + 1)))
    assert "<em>" not in html and html.startswith("<p>*a* *a*")
    assert "<em>a</em>" in str(render_markdown("*a* " * (MAX_MARKERS // 2)))
