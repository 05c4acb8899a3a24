"""Chinese first, English second: the default locale, the switch, and complete catalogues."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "learning" / "translations"
METHODS = [("learning/**.py", "python"), ("courses/**.py", "python"),
           ("quizzes/**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set[str]:
    """Every translatable string in the code and templates, extracted the way pybabel does."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_every_string_has_a_chinese_translation():
    zh = catalogue("zh_Hans_CN")  # Babel's name for zh_CN
    missing = sorted(m for m in source_messages()
                     if not (zh.get(m) and zh.get(m).string and not zh.get(m).fuzzy))
    assert not missing, f"{len(missing)} strings lack a zh_CN translation, e.g. {missing[:10]}"


def test_english_catalogue_is_shipped():
    assert (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").exists()


@pytest.fixture
def compiled():
    for locale in ("zh_Hans_CN", "en"):
        if not (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").exists():
            pytest.fail("catalogues are not compiled: run `make translations`")


def test_chinese_by_default_and_english_on_request(client, org, compiled):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "登录" in page
    client.get("/lang/en")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page and "登录" not in page


def test_language_choice_survives_login(client, org, compiled):
    client.get("/lang/en")
    login(client, "member")
    assert "My study" in client.get("/").get_data(as_text=True)


def test_templates_follow_a_locale_forced_in_the_middle_of_a_request(app, compiled):
    """Templates keep the request's catalogue between messages (learning/i18n.py), but a
    force_locale() block (a notification written in the site's language) still switches it."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/"):
        template = "{{ _('Log in') }}"
        assert render_template_string(template) == "登录"
        with force_locale("en"):
            assert render_template_string(template) == "Log in"
        assert render_template_string(template) == "登录"


def test_the_datetimeformat_filter_reads_as_flask_babels_in_every_locale(app, compiled):
    """Templates' |datetimeformat('short') is learning/i18n.py's house date-time; other formats
    go to Flask-Babel. Both read as Flask-Babel's pattern, also after force_locale()."""
    from datetime import UTC, datetime

    import flask_babel
    from flask import render_template_string
    from flask_babel import force_locale

    when = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    template = "{{ when|datetimeformat('short') }} | {{ when|datetimeformat('yyyy-MM-dd HH:mm') }}"
    with app.test_request_context("/"):
        for locale in ("zh_CN", "en", "zh_CN"):
            with force_locale(locale):
                assert render_template_string(template, when=when) == (
                    f"{flask_babel.format_datetime(when, 'yyyy-MM-dd HH:mm')} | "
                    f"{flask_babel.format_datetime(when, 'yyyy-MM-dd HH:mm')}")


def test_form_messages_follow_the_language_from_a_catalogue_read_once(app, monkeypatch):
    """WTForms' own messages come in the request's language (learning/i18n.py), from WTForms'
    catalogue read once per process and language instead of from disk on every request."""
    from babel import support
    from flask_babel import force_locale
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from learning import i18n

    class TitleForm(FlaskForm):
        title = StringField("Title", validators=[DataRequired()])

    i18n._wtforms_catalogue.cache_clear()
    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        lambda *args, **kw: loads.append(args) or real_load(*args, **kw))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the app is shared: undone after
    seen = []
    for locale in ("zh_CN", "en", "zh_CN", "en"):
        with app.test_request_context("/", method="POST", data={"title": ""}), \
                force_locale(locale):
            form = TitleForm()
            form.validate()
            seen.append(form.errors["title"][0])
    assert seen == ["该字段是必填字段。", "This field is required."] * 2
    assert len(loads) == 2  # once for each language, not once per request


def test_colons_between_printed_values_come_from_the_catalogue():
    """「测验：…」, not 「测验: …」: a colon printed between two values (or after a message)
    must be part of a message, so that the Chinese text gets its full-width colon."""
    import re

    glued = re.compile(r"\}\}\s*[:：]\s*\{\{|_\((['\"])[^'\"]*\1\)\s*\}\}[:：]")
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}"
                 for path in sorted(ROOT.glob("*/templates/**/*.html"))
                 for match in glued.finditer(path.read_text(encoding="utf-8"))]
    assert not offenders, offenders


# --- strings pybabel cannot see --------------------------------------------------------------

TRANSLATORS = {"_", "gettext", "lazy_gettext", "_l", "ngettext"}


def _calls():
    """(path, call) for every call in the app's Python source."""
    import ast

    for package in ("learning", "courses", "quizzes"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    yield path.relative_to(ROOT), name, node


def _keys(node) -> list | None:
    """The string constants an argument can be (`"a" if x else "b"` gives both), else None."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def test_no_message_is_built_where_pybabel_cannot_see_it():
    """A message built at run time (an f-string, a concatenation, a variable) never reaches the
    catalogue: translating functions get literals, flash() gets a translated message, and the
    audit log and notifications get a registered key with parameters, never a sentence."""
    import ast

    from learning.messages import AUDIT_ACTIONS, NOTICES

    built = (ast.JoinedStr, ast.BinOp)
    found = []
    for path, name, call in _calls():
        first = call.args[0] if call.args else None
        if name in TRANSLATORS and first is not None and _keys(first) is None:
            found.append(f"{path}:{call.lineno} {name}() of a non-literal")
        elif name == "flash" and (isinstance(first, built) or _keys(first) is not None):
            found.append(f"{path}:{call.lineno} flash() of an untranslated string")
        elif name in ("record", "notify", "_notify") and str(path) != "learning/audit/services.py":
            registry = AUDIT_ACTIONS if name == "record" else NOTICES
            key = call.args[1] if name != "record" else first
            keys = _keys(key) if key is not None else None
            params = call.args[2] if name != "record" else (call.args[1] if len(call.args) > 1
                                                            else None)
            if name == "_notify" and "discussions" in str(path) and keys is None:
                continue  # the wrapper itself passes its argument on
            if name == "notify" and keys is None and "notifications" in str(path):
                continue
            if keys is None and isinstance(key, ast.Name):
                continue  # a key chosen just above (checked where it is written)
            if keys is None or not set(keys) <= set(registry) or isinstance(params, built):
                found.append(f"{path}:{call.lineno} {name}() without a registered key and "
                             "parameters")
    assert not found, "\n".join(found)


def test_every_stored_message_reads_in_both_languages(app, compiled):
    """Each notification and audit sentence, with every parameter it names, reads wholly in
    English in English and in Chinese in Chinese (full-width punctuation), nothing missing."""
    import re

    from flask_babel import force_locale

    from learning.messages import AUDIT_ACTIONS, NOTICES, audit_sentence, notice_text

    sample = {name: "X" for name in ("actor", "unit", "old", "old_path", "new_path", "user",
                                     "file", "course", "module", "place", "title", "thread",
                                     "reason", "bank", "category", "question", "quiz", "mark",
                                     "name", "note", "text")}
    sample.update(role="leader", old_role="member", count=3, size=2048, position=2,
                  due="2026-12-31T16:00:00+00:00")
    with app.test_request_context("/"):
        texts = {}
        for locale in ("en", "zh_CN"):
            with force_locale(locale):
                texts[locale] = (
                    [audit_sentence(action, sample, "admin") for action in AUDIT_ACTIONS]
                    + [str(entry.label) for entry in AUDIT_ACTIONS.values()]
                    + [notice_text(key, sample) for key in NOTICES if key != "legacy"])
    for text in texts["en"]:
        assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", text), text
        assert "…" not in text and "%(" not in text, text  # every parameter filled
    for text in texts["zh_CN"]:
        assert re.search(r"[\u4e00-\u9fff]", text), text
        assert not re.search(r"[A-Za-z]{3,}", text.replace("PM", "")), text  # no English
        assert not re.search(r"[“”,;()]|(?<!\d):(?!\d)", text), text  # full-width punctuation
        assert "…" not in text and "%(" not in text, text
