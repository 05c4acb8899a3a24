"""The largest numbers a request may carry: ids in URLs and query strings, and page numbers.

Every id column is a 32-bit INTEGER on PostgreSQL (SQLite stores up to 64 bits), so a larger
number names nothing. Refusing it where the request comes in gives a 404 or a 422; letting it
reach the database gave a 500 ("integer out of range", or SQLite's OverflowError). A page
number is bounded tighter: SQLAlchemy binds OFFSET as an INTEGER too, and OFFSET is the page
number times the page size. The API's schemas apply the same bounds (learning/api.py).
"""

from werkzeug.routing import IntegerConverter, ValidationError

MAX_INT = 2**31 - 1  # PostgreSQL's INTEGER
MIN_INT = -(2**31)
# (MAX_PAGE - 1) x the longest page (200 rows) stays an INTEGER, with room to spare.
MAX_PAGE = 1_000_000


class BoundedInt(IntegerConverter):
    """Flask's `int` URL converter limited to 0..MAX_INT: a larger id matches no route (404).

    Registered as the app's `int` converter, so every `<int:...>` of every blueprint is bounded.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        # int() refuses strings of more than 4,300 digits with ValueError: no route, not a 500.
        if len(value.lstrip("0")) > len(str(self.max)):
            raise ValidationError()
        return super().to_python(value)


def _whole_number(value: str, maximum: int) -> int:
    text = value.strip()
    if not text.isdigit() or len(text.lstrip("0")) > len(str(maximum)):
        raise ValueError(value)
    number = int(text)
    if not 1 <= number <= maximum:
        raise ValueError(value)
    return number


def positive_int(value: str) -> int:
    """`type=` for `request.args.get`: an id 1..MAX_INT, else ValueError, so an id filter that
    is malformed, negative or too large gets the default (usually: no filter)."""
    return _whole_number(value, MAX_INT)


def page_arg(value: str) -> int:
    """`type=` for `request.args.get("page", 1, ...)`: 1..MAX_PAGE, else ValueError (page 1)."""
    return _whole_number(value, MAX_PAGE)
