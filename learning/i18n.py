"""Language choice: zh_CN by default, English as the second locale, switchable per browser."""

from datetime import UTC, datetime
from functools import cache, cached_property

from babel import Locale, support
from babel.dates import get_date_format, get_datetime_format, get_time_format, parse_pattern
from flask import Blueprint, current_app, g, has_request_context, redirect, request, session
from flask_babel import format_datetime, get_locale, get_timezone, get_translations
from wtforms.i18n import messages_path

from learning.security import safe_next

bp = Blueprint("i18n", __name__)


def select_locale() -> Locale:
    """The language the visitor picked, else the default (zh_CN).

    Babel reads "zh_CN" as zh_Hans_CN, which is why the Chinese catalogue lives in
    learning/translations/zh_Hans_CN.
    """
    # Outside a request (CLI, shell) there is no visitor: use the default language.
    chosen = session.get("lang") if has_request_context() else None
    if chosen not in current_app.config["LANGUAGES"]:
        chosen = current_app.config["BABEL_DEFAULT_LOCALE"]
    return _locale(chosen)


@cache
def _locale(code: str) -> Locale:
    """Parsed once per process: Babel matches "zh_CN" against every locale it knows
    (about half a millisecond, on every request otherwise)."""
    return Locale.parse(code)


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language and go back to where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


def install_template_gettext(app) -> None:
    """Templates' _() and ngettext() read the request's catalogue once, not on every call.

    Flask-Babel looks the catalogue up through several context lookups per message (about
    30 µs on our server); a thread page with 30 posts translates hundreds of messages. The
    catalogue is kept in `g` with the locale it belongs to, so force_locale() still switches.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["datetimeformat"] = datetimeformat


def install_form_translations(app) -> None:
    """WTForms' own messages ("This field is required.") in the request's language, from a
    catalogue read once per process and language.

    Flask-WTF reads `request.wtforms_translations` and, when it is missing, opens and parses
    WTForms' .mo file for the request: on every request that builds a form (about a fifth of a
    millisecond). The request class here answers that attribute from the process's copy.
    """

    class Request(app.request_class):
        @cached_property
        def wtforms_translations(self):
            return _wtforms_catalogue(str(get_locale()))

    app.request_class = Request


@cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    """WTForms' catalogue for `locale`, loaded once: what flask_wtf.i18n loads per request."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _translations():
    babel_state = g.get("_flask_babel")
    locale = getattr(babel_state, "babel_locale", None)
    cached = g.get("_template_translations")
    if cached is None or locale is None or cached[0] is not locale:
        translations = get_translations()  # sets g._flask_babel.babel_locale
        cached = g._template_translations = (g._flask_babel.babel_locale, translations)
    return cached[1]


def datetimeformat(value, format=None, rebase=True):
    """Flask-Babel's `datetimeformat` filter, with the common `'short'` made cheap (below)."""
    if format == "short" and rebase and isinstance(value, datetime):
        return short_datetime(value)
    return format_datetime(value, format, rebase)


def short_datetime(value: datetime) -> str:
    """`format_datetime(value, "short")`, with the request's locale, zone and patterns looked up
    once (a page of posts or members formats dozens of times, ~80 µs each otherwise)."""
    times = g.get("_short_times")
    if times is None or times.locale is not get_locale():  # force_locale() switches it
        times = g._short_times = ShortTimes()
    return times(value)


class ShortTimes:
    """What babel.dates.format_datetime(value, "short", tzinfo, locale) puts together, with
    the lookups done once; values often share a day, so each day's date text is made once."""

    def __init__(self):
        self.locale, self.zone = get_locale(), get_timezone()
        self.glue = get_datetime_format("short", self.locale).replace("'", "")
        self.time_pattern = parse_pattern(get_time_format("short", self.locale))
        self.date_pattern = parse_pattern(get_date_format("short", self.locale))
        self.days: dict = {}

    def __call__(self, value: datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        # pytz zones convert correctly in astimezone() (their fromutc); Babel's normalize()
        # afterwards changes nothing for a converted value and costs a third of the call.
        local = value.astimezone(self.zone)
        day = local.date()
        date_text = self.days.get(day)
        if date_text is None:
            date_text = self.days[day] = self.date_pattern.apply(day, self.locale)
        time_text = self.time_pattern.apply(local.timetz(), self.locale, reference_date=day)
        return self.glue.replace("{0}", time_text).replace("{1}", date_text)
