"""Language choice: zh_CN by default, English as the second locale, switchable per browser."""

from datetime import UTC, date, datetime
from functools import cache, cached_property

from babel import Locale, support
from babel.dates import parse_pattern
from flask import (
    Blueprint,
    current_app,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
)
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
    install_date_filters(app)


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


# One format per kind of date, for pages, chat text and exports alike (issue 18). A kind is a
# day part and a time part (Babel patterns), by language ("*": every other language):
#   date      a day:                                       2030-06-30
#   datetime  when something happened (posted, sent):      2030-06-30 18:00
#   due       a due time, with its weekday (people plan their week's study by it):
#             2030-06-30 周日 18:00 / Sun 2030-06-30 18:00
# Digits and hyphens read the same in both languages and in Chinese Excel, and sort as text.
DATE_FORMATS = {
    "date": {"*": ("yyyy-MM-dd", None)},
    "datetime": {"*": ("yyyy-MM-dd", "HH:mm")},
    "due": {"zh": ("yyyy-MM-dd EEE", "HH:mm"), "*": ("EEE yyyy-MM-dd", "HH:mm")},
}
# The same kinds in spreadsheet cells (Excel's codes): a cell stays a date Excel can sort and
# filter and reads as the page does; Excel's weekday names follow its own language, so a due
# time's cell leaves the weekday out.
EXCEL_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "due": "yyyy-mm-dd hh:mm"}


def install_date_filters(app) -> None:
    """Templates' date filters: `|datetimeformat('short')` (and `|datetime`), `|due`, `|day`
    print the kinds of DATE_FORMATS."""
    app.jinja_env.filters["datetimeformat"] = datetimeformat
    app.jinja_env.filters["due"] = lambda value: moment_text(value, "due")
    app.jinja_env.filters["day"] = lambda value: moment_text(value, "date")


def datetimeformat(value, format=None, rebase=True):
    """Flask-Babel's `datetimeformat` filter; `'short'`, what pages ask for, is the house
    date-time (DATE_FORMATS["datetime"])."""
    if format == "short" and rebase and isinstance(value, datetime):
        return moment_text(value, "datetime")
    return format_datetime(value, format, rebase)


def moment_text(value: datetime | date | None, kind: str = "datetime") -> str:
    """`value` as the DATE_FORMATS `kind` prints it, in the reader's language and time zone
    (a naive datetime is UTC, as the database keeps them); None is empty."""
    if value is None:
        return ""
    if not has_app_context():
        raise RuntimeError("moment_text() needs the app (its time zone and language)")
    formats = g.setdefault("_moment_formats", {})
    moments = formats.get(kind)
    if moments is None or moments.locale is not get_locale():  # force_locale() switches it
        moments = formats[kind] = Moments(kind)
    return moments(value)


def short_datetime(value: datetime) -> str:
    """A moment as the pages print it (the `datetime` kind)."""
    return moment_text(value, "datetime")


class Moments:
    """One kind of DATE_FORMATS for the current language and zone, with the lookups done once
    (a page of posts or members formats dozens of times, ~80 µs each otherwise); values often
    share a day, so each day's text is made once."""

    def __init__(self, kind: str):
        self.locale, self.zone = get_locale(), get_timezone()
        patterns = DATE_FORMATS[kind]
        day, time = patterns.get(self.locale.language, patterns["*"])
        self.day_pattern = parse_pattern(day)
        self.time_pattern = parse_pattern(time) if time else None
        self.days: dict = {}

    def __call__(self, value: datetime | date) -> str:
        local = None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            # pytz zones convert correctly in astimezone() (their fromutc); Babel's normalize()
            # afterwards changes nothing for a converted value and costs a third of the call.
            local = value.astimezone(self.zone)
            day = local.date()
        else:
            day = value
        day_text = self.days.get(day)
        if day_text is None:
            day_text = self.days[day] = self.day_pattern.apply(day, self.locale)
        if self.time_pattern is None or local is None:
            return day_text
        return f"{day_text} " + self.time_pattern.apply(local.timetz(), self.locale,
                                                        reference_date=day)
