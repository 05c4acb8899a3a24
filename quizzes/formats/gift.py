"""GIFT question files: import and export, with Moodle's reading as the authority.

GIFT is Moodle's plain-text question format (https://docs.moodle.org/en/GIFT_format). This module
reads it the way Moodle's `qformat_gift` does: a question ends at a blank line, lines starting
with `//` are comments, escapes are `\\~ \\= \\# \\{ \\} \\: \\\\ \\n`, and the question type comes
from the answer text in Moodle's order (nothing -> description, `{}` -> essay, `#` -> numerical,
any `~` -> multiple choice, `=` with `->` -> matching, T/TRUE/F/FALSE -> true/false, otherwise
short answer). A multiple-choice question is single-answer exactly when one of its answers is
marked `=`; with only `~` answers (weighted `~%50%`) several may be picked. As in Moodle 4,
`// [id:xyz]` and `// [tag:abc]` in a question's comments give its idnumber and tags.

Where Moodle would silently import something odd, we report a `FormatError` instead and keep
reading the following questions:
- an unclosed or stray brace, or a second `{...}` block (Moodle uses the first `}` it finds);
- text before the first `~`/`=` of a choice or matching answer (Moodle makes it an answer);
- a number that does not parse (Moodle's check lets any text through as "*");
- a `::name` without its closing `::`;
- a question Moodle would save with a notice: no 100% answer, positive weights of a multiple
  choice not adding up to 100%, fewer than 2 sub-questions or 3 answers in a matching question.
Two deliberate differences: a `$CATEGORY:` line is a line of its own (Moodle swallows the rest of
its paragraph into the category name), and the lines of the question text keep their indentation
(Moodle trims every line, which breaks Markdown code and `<pre>` blocks). Lines inside the answer
braces are trimmed, as Moodle does. Per-answer format prefixes (`~[html]red`) are read and dropped:
every text of a question is rendered in the question's format.

Export (`to_gift`) writes what `parse_gift` reads back to equal questions. GIFT cannot express a
`->` inside a matching sub-question, or inside a short answer (the question would read as
matching); Moodle's own exporter has the same limit.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from decimal import Decimal
from itertools import accumulate

from flask_babel import lazy_gettext as _l

from .questions import (
    BLANK,
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MAX_QUESTIONS,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    WHITESPACE,
    Answer,
    FormatError,
    ImportResult,
    MatchPair,
    NumericalAnswer,
    ParsedQuestion,
    TooManyInFile,
    trim,
    validate_question,
)

# Escaped characters are swapped for Unicode noncharacters (reserved for a program's internal
# use) before parsing, so that every structural search below is a plain string search, as in
# Moodle's escapedchar_pre(). They are swapped back in each finished text.
_ESCAPABLE = "\\:#={}~n"
_PLACEHOLDERS = {char: chr(0xFDD0 + i) for i, char in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans(
    {placeholder: ("\n" if char == "n" else char) for char, placeholder in _PLACEHOLDERS.items()}
)
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_ESCAPE_RE = re.compile(r"\\([\\:#={}~n])")

_FORMAT_PREFIX_RE = re.compile(r"\[(moodle|html|markdown|plain)\]")
_WEIGHT_RE = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_WEIGHT_LIKE_RE = re.compile(r"%[^%\s]*\d[^%\s]*%")  # a %...% that fails _WEIGHT_RE: a typo
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])+)\]")
_TRUE_WORDS = ("T", "TRUE")
_FALSE_WORDS = ("F", "FALSE")
_CATEGORY = "$CATEGORY:"
MAX_ANSWERS = 100  # answers (or matching pairs) in one question


def _protect(line: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _PLACEHOLDERS[m.group(1)], _NONCHARACTERS.sub("\ufffd", line))


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


# --- Import ------------------------------------------------------------------------------------


def parse_gift(text: str) -> ImportResult:
    """Read GIFT text into questions, collecting every problem with its line number.

    Raises TooManyInFile at the question after MAX_QUESTIONS or the category after
    MAX_CATEGORIES (the whole file is refused)."""
    result = ImportResult()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    category = ""
    lines: list[tuple[int, str]] = []  # the current question's lines, comments left out
    comments: list[str] = []
    count = 0

    def flush() -> None:
        nonlocal count
        if lines:
            count += 1
            if count > MAX_QUESTIONS:
                raise TooManyInFile("questions", lines[0][0])
            question, errors = _read_question(lines, comments, category)
            result.errors.extend(errors)
            if question is not None:
                result.questions.append(question)
        lines.clear()
        comments.clear()

    # split("\n"), not splitlines(): U+2028 and friends are text, not line breaks, in GIFT.
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = trim(line)
        if not stripped:
            flush()
        elif stripped.startswith("//"):
            comments.append(stripped)
        elif stripped.startswith(_CATEGORY):
            flush()  # comments above a category switch describe the switch, not a question
            category = trim(_restore(_protect(stripped[len(_CATEGORY) :])))
            result.add_category(category, number)
        else:
            lines.append((number, line))
    flush()
    return result


class _Problem(Exception):
    """A question cannot be read; carries the offset of the problem in the question's text."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


class _Question:
    """The text of one question, escapes protected, with a way back from offsets to lines."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.start = lines[0][0]
        protected = [_protect(line) for _, line in lines]
        self.text = "\n".join(protected)
        self.numbers = [number for number, _ in lines]
        # Where each line starts in `text`: a question with thousands of problems must not
        # count its newlines again for each one.
        self.starts = list(accumulate((len(line) + 1 for line in protected[:-1]), initial=0))
        self.errors: list[FormatError] = []

    def line_at(self, offset: int) -> int:
        return self.numbers[bisect_right(self.starts, max(offset, 0)) - 1]

    def error(self, offset: int, message: str) -> None:
        self.errors.append(FormatError(self.start, message, at_line=self.line_at(offset)))


def _read_question(
    lines: list[tuple[int, str]], comments: list[str], category: str
) -> tuple[ParsedQuestion | None, list[FormatError]]:
    """Read one question (a paragraph of the file); return it, or None and its errors."""
    source = _Question(lines)
    try:
        question = _parse(source)
    except _Problem as problem:
        source.error(problem.offset, problem.message)
        return None, source.errors
    if question is None:
        return None, source.errors
    for message in validate_question(question):
        source.errors.append(FormatError(source.start, message))
    if source.errors:
        return None, source.errors
    question.category = category
    question.idnumber, question.tags = _id_and_tags("\n".join(comments))
    question.line = source.start
    return question, []


def _parse(source: _Question) -> ParsedQuestion | None:
    """Split a question into name, text and answers, and read the answers by type."""
    text = source.text
    pos = _skip_space(text, 0)
    name = ""
    if text.startswith("::", pos):
        end = text.find("::", pos + 2)
        if end < 0:
            raise _Problem(pos, _l("the question name has no closing :: (write \\: for a colon)"))
        name = trim(_restore(text[pos + 2 : end]))
        pos = _skip_space(text, end + 2)

    opening = text.find("{", pos)
    closing = text.find("}", pos)
    if opening < 0 and closing < 0:
        stem_format, stem = _with_format(text[pos:], "moodle")
        return ParsedQuestion(DESCRIPTION, _clean_stem(stem), name, stem_format, default_mark=0.0)
    if closing >= 0 and (opening < 0 or closing < opening):
        raise _Problem(closing, _l("found } without a { before it (write \\} for a brace)"))
    if closing < 0:
        raise _Problem(
            opening,
            _l(
                "the { has no closing }; a question ends at a blank line, so answers must not "
                "contain blank lines"
            ),
        )
    nested = text.find("{", opening + 1, closing)
    if nested >= 0:
        raise _Problem(nested, _l("a second { before the closing } (write \\{ for a brace)"))
    extra = min(
        (i for i in (text.find("{", closing), text.find("}", closing + 1)) if i >= 0), default=-1
    )
    if extra >= 0:
        raise _Problem(
            extra,
            _l("a question has one {…} answer block; write \\{ and \\} for braces in the text"),
        )

    before, after = text[pos:opening], text[closing + 1 :]
    stem_format, before = _with_format(before, "moodle")
    question = ParsedQuestion(ESSAY, "", name, stem_format)
    if trim(after):  # answers in mid-sentence: a missing-word question
        start = _restore(before).lstrip(WHITESPACE)
        end = _restore(after).rstrip(WHITESPACE)
        question.stem, question.blank = start + BLANK + end, (start, end)
    else:
        question.stem = _clean_stem(before)

    answers, base = text[opening + 1 : closing], opening + 1
    separator = answers.rfind("####")
    if separator >= 0:
        question.general_feedback = _text(answers[separator + 4 :], stem_format)
        answers = answers[:separator]
    _read_answers(source, question, answers, base)
    return None if source.errors else question


def _read_answers(source: _Question, question: ParsedQuestion, answers: str, base: int) -> None:
    """Find the type from the answer text, in Moodle's order, and read the answers."""
    lead = len(answers) - len(answers.lstrip(WHITESPACE))
    answers, base = trim(answers), base + lead
    if not answers:
        question.qtype = ESSAY
    elif answers.startswith("#"):
        question.qtype = NUMERICAL
        _read_numerical(source, question, answers[1:], base + 1)
    elif "~" in answers:
        question.qtype = SINGLE if "=" in answers else MULTIPLE
        _read_choices(source, question, answers, base)
    elif "=" in answers and "->" in answers:
        question.qtype = MATCHING
        _read_matching(source, question, answers, base)
    elif trim(answers.split("#", 1)[0]) in _TRUE_WORDS + _FALSE_WORDS:
        question.qtype = TRUEFALSE
        _read_truefalse(question, answers)
    else:
        question.qtype = SHORTANSWER
        _read_shortanswers(source, question, answers, base)


def _read_choices(source: _Question, question: ParsedQuestion, answers: str, base: int) -> None:
    """`~wrong =right ~%50%half #feedback`: `=` is 100%, `~` is 0% unless weighted."""
    prefix, pieces = _split(answers, base, "~=")
    if trim(prefix):
        source.error(base, _l("answer text before the first ~ or =: %(text)s", text=_short(prefix)))
    for piece, offset in pieces:
        marker, body = piece[0], trim(piece[1:])
        if marker == "=":  # Moodle reads no weight after "=": it is always 100%
            fraction = 1.0
        else:
            fraction, body = _weight(source, body, offset, default=0.0)
        text, feedback = _split_feedback(body, question.stem_format)
        question.answers.append(Answer(text, fraction, feedback))


def _read_shortanswers(
    source: _Question, question: ParsedQuestion, answers: str, base: int
) -> None:
    """`=answer =%50%partly#feedback`; as in Moodle, a lone answer needs no `=`."""
    prefix, pieces = _split(answers, base, "=")
    if trim(prefix):
        pieces.insert(0, ("=" + prefix, base - 1))
    for piece, offset in pieces:
        fraction, body = _weight(source, trim(piece[1:]), offset, default=1.0)
        text, feedback = _split_feedback(body, question.stem_format)
        question.answers.append(Answer(text, fraction, feedback))


def _read_truefalse(question: ParsedQuestion, answers: str) -> None:
    """`{FALSE#feedback for a wrong answer#feedback for the right one}`."""
    word, *feedbacks = answers.split("#", 2)
    wrong, right = (_text(f, question.stem_format) for f in [*feedbacks, "", ""][:2])
    question.correct = trim(word) in _TRUE_WORDS
    if question.correct:
        question.true_feedback, question.false_feedback = right, wrong
    else:
        question.true_feedback, question.false_feedback = wrong, right


def _read_matching(source: _Question, question: ParsedQuestion, answers: str, base: int) -> None:
    """`=sub-question -> answer`; an empty sub-question makes the answer a distractor."""
    prefix, pieces = _split(answers, base, "=")
    if trim(prefix):
        source.error(base, _l("answer text before the first =: %(text)s", text=_short(prefix)))
    for piece, offset in pieces:
        arrow = piece.find("->")
        if arrow < 0:
            source.error(
                offset,
                _l(
                    "matching answers are written =sub-question -> answer; this one has no ->: "
                    "%(text)s",
                    text=_short(piece),
                ),
            )
            continue
        _, sub_question = _with_format(piece[1:arrow], question.stem_format)
        sub_question, answer = _clean(sub_question), _clean(piece[arrow + 2 :])
        if sub_question:
            question.pairs.append(MatchPair(sub_question, answer))
        elif answer:
            question.distractors.append(answer)
        else:
            source.error(offset, _l("an empty matching answer"))


def _read_numerical(source: _Question, question: ParsedQuestion, answers: str, base: int) -> None:
    """`#3.14:0.01`, `#1..5`, `#=3.14:0.01#feedback =%50%3:1 ~#feedback for anything else`."""
    wrong = answers.find("~")
    catch_all = None
    if wrong >= 0:
        rest = answers[wrong + 1 :]
        if "~" in rest or trim(rest.split("#", 1)[0]):
            source.error(
                base + wrong,
                _l(
                    "in a numerical question, ~ may only be followed by #feedback for any other "
                    "answer"
                ),
            )
        catch_all = NumericalAnswer(None, 0.0, 0.0, _split_feedback(rest, question.stem_format)[1])
        answers = answers[:wrong]
    prefix, pieces = _split(answers, base, "=")
    if trim(prefix):
        pieces.insert(0, ("=" + prefix, base - 1))
    if not pieces:
        raise _Problem(base, _l("no answers found for the numerical question"))
    for piece, offset in pieces:
        fraction, body = _weight(source, trim(piece[1:]), offset, default=1.0)
        value_text, feedback = _split_feedback(body, question.stem_format)
        try:
            value, tolerance = _numerical_value(value_text)
        except ValueError:
            source.error(
                offset,
                _l(
                    "not a number, a number:tolerance or a min..max range: %(text)s",
                    text=_short(value_text),
                ),
            )
            continue
        question.numerical.append(NumericalAnswer(value, tolerance, fraction, feedback))
    if catch_all is not None:
        question.numerical.append(catch_all)


def _numerical_value(text: str) -> tuple[float | None, float]:
    """`*`, `value`, `value:tolerance` or `min..max` -> (value, tolerance), as Moodle stores it."""
    if text == "*":
        return None, 0.0
    if text.find("..") > 0:
        low, high = (_number(part) for part in text.split("..", 1))
        if low > high:
            raise ValueError(text)
        value = (low + high) / 2
        return value, high - value
    if text.find(":") > 0:
        value, tolerance = (_number(part) for part in text.split(":", 1))
        if tolerance < 0:
            raise ValueError(text)
        return value, tolerance
    return _number(text), 0.0


def _number(text: str) -> float:
    """A decimal number as PHP's is_numeric() reads it (no "inf", "nan" or "1_000")."""
    text = trim(text)
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(text)
    return float(text)


def _weight(source: _Question, body: str, offset: int, default: float) -> tuple[float, str]:
    """Take a leading `%50%` off an answer: (fraction, rest); `default` when there is none."""
    match = _WEIGHT_RE.match(body)
    if match:
        # Decimal, so that a weight written back by to_gift reads as exactly the same float.
        return float(Decimal(match.group(1)) / 100), body[match.end() :]
    typo = _WEIGHT_LIKE_RE.match(body)
    if typo:
        source.error(
            offset,
            _l("a weight is written like %%50%% or %%-33.3%%, not %(text)s", text=typo.group(0)),
        )
    return default, body


def _split(text: str, base: int, markers: str) -> tuple[str, list[tuple[str, int]]]:
    """Cut `text` before each marker character: (text before the first, [(piece, offset)]).

    More than MAX_ANSWERS pieces is a _Problem (the bank form shows at most 30 rows)."""
    cuts = [i for i, char in enumerate(text) if char in markers]
    if len(cuts) > MAX_ANSWERS:
        raise _Problem(base + cuts[MAX_ANSWERS], _l(
            "a question may have at most %(limit)d answers", limit=MAX_ANSWERS))
    if not cuts:
        return text, []
    ends = [*cuts[1:], len(text)]
    return text[: cuts[0]], [(text[a:b], base + a) for a, b in zip(cuts, ends, strict=True)]


def _split_feedback(body: str, default_format: str) -> tuple[str, str]:
    """`answer # feedback` -> (answer, feedback), each without its format prefix."""
    answer, _, feedback = body.partition("#")
    return _text(answer, default_format), _text(feedback, default_format)


def _with_format(raw: str, default: str) -> tuple[str, str]:
    """Take a leading `[html]`-style format off a text: (format, rest). Unknown names stay text."""
    stripped = raw.lstrip(WHITESPACE)
    match = _FORMAT_PREFIX_RE.match(stripped)
    if match:
        return match.group(1), stripped[match.end() :]
    return default, raw


def _text(raw: str, default_format: str) -> str:
    """An answer-section text: its format prefix dropped, lines trimmed, escapes restored."""
    return _clean(_with_format(raw, default_format)[1])


def _clean(raw: str) -> str:
    """Trim every line (indentation in the answer braces is layout) and restore escapes."""
    if "\n" in raw:
        raw = "\n".join(trim(line) for line in raw.split("\n"))
    return trim(_restore(raw))


def _clean_stem(raw: str) -> str:
    """The question text keeps its lines' indentation (Markdown code, <pre>); ends trimmed."""
    return trim(_restore(raw))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos


def _short(raw: str) -> str:
    text = " ".join(_restore(raw).split())
    return text[:40] + ("…" if len(text) > 40 else "")


def _id_and_tags(comments: str) -> tuple[str, list[str]]:
    """Moodle's `// [id:xyz]` and `// [tag:abc]` comments: (idnumber, tags)."""
    match = _ID_RE.search(comments)
    idnumber = trim(match.group(1)).replace("\\]", "]") if match else ""
    tags = [trim(tag).replace("\\]", "]") for tag in _TAG_RE.findall(comments)]
    return idnumber, [tag for tag in tags if tag]


# --- Export ------------------------------------------------------------------------------------


def to_gift(questions: Iterable[ParsedQuestion]) -> str:
    """Write questions as GIFT that parse_gift (and Moodle) reads back to the same questions.

    A `$CATEGORY:` line is written whenever the category changes; each text is written on one
    line, its newlines as `\\n`, its control characters escaped.
    """
    blocks: list[str] = []
    category = ""
    for question in questions:
        if question.category != category:
            category = question.category
            # A category is read to the end of its line: a line break cannot be written in it.
            path = " ".join(category.replace("\\", "\\\\").split("\n"))
            blocks.append(f"{_CATEGORY} {path}\n")
        blocks.append(_write_question(question))
    return "\n".join(blocks)


def _write_question(question: ParsedQuestion) -> str:
    lines = []
    meta = []
    if question.idnumber:
        meta.append(f"[id:{question.idnumber.replace(']', chr(92) + ']')}]")
    meta += [f"[tag:{tag.replace(']', chr(92) + ']')}]" for tag in question.tags]
    if meta:
        lines.append("// " + " ".join(meta))

    head = f"::{_escape(question.name)}::" if question.name else ""
    fmt = question.stem_format
    stem = question.stem
    after = ""
    if question.blank is not None and question.blank[1]:
        stem, after = question.blank
    # A format prefix is written when the format is not the default, and also to protect text
    # that would otherwise read as a prefix, or as a comment line ("//") at the start of a line.
    protect = bool(_FORMAT_PREFIX_RE.match(stem)) or (not head and stem.startswith("//"))
    prefix = f"[{fmt}]" if fmt != "moodle" or protect else ""
    text = head + prefix + _escape(stem)
    if question.qtype == DESCRIPTION:
        lines.append(text)
    else:
        lines.append(text + _write_answers(question) + _escape(after))
    return "\n".join(lines) + "\n"


def _write_answers(question: ParsedQuestion) -> str:
    """The `{...}` block of a question, general feedback last."""
    fmt = question.stem_format
    general = ""
    if question.general_feedback:
        general = "####" + _write_text(question.general_feedback, fmt)
    if question.qtype == ESSAY:
        return "{" + general + "}"
    if question.qtype == TRUEFALSE:
        right, wrong = question.true_feedback, question.false_feedback
        if not question.correct:
            right, wrong = wrong, right
        block = "TRUE" if question.correct else "FALSE"
        if wrong or right:
            block += "#" + _write_text(wrong, fmt)
        if right:
            block += "#" + _write_text(right, fmt)
        return "{" + block + general + "}"

    rows: list[str] = []
    if question.qtype in (SINGLE, MULTIPLE):
        for answer in question.answers:
            if question.qtype == SINGLE and answer.fraction == 1:
                marker = "="
            elif answer.fraction == 0 and not _WEIGHT_LIKE_RE.match(answer.text):
                marker = "~"
            else:
                marker = f"~%{_percent(answer.fraction)}%"
            rows.append(
                marker + _write_text(answer.text, fmt) + _write_feedback(answer.feedback, fmt)
            )
    elif question.qtype == SHORTANSWER:
        for answer in question.answers:
            rows.append(
                f"=%{_percent(answer.fraction)}%"
                + _write_text(answer.text, fmt)
                + _write_feedback(answer.feedback, fmt)
            )
    elif question.qtype == NUMERICAL:
        last = len(question.numerical) - 1
        for index, answer in enumerate(question.numerical):
            if answer.value is None and answer.fraction == 0 and index == last:
                rows.append("~#" + _write_text(answer.feedback, fmt))  # Moodle's own form
                continue
            value = (
                "*"
                if answer.value is None
                else (f"{_format_number(answer.value)}:{_format_number(answer.tolerance)}")
            )
            rows.append(
                f"=%{_percent(answer.fraction)}%{value}" + _write_feedback(answer.feedback, fmt)
            )
    elif question.qtype == MATCHING:
        for pair in question.pairs:
            rows.append("=" + _write_text(pair.question, fmt) + " -> " + _escape(pair.answer))
        rows += ["= -> " + _escape(answer) for answer in question.distractors]
    opening = "{#\n" if question.qtype == NUMERICAL else "{\n"
    if general:
        rows.append(general)
    return opening + "".join(f"\t{row}\n" for row in rows) + "}"


def _write_feedback(feedback: str, fmt: str) -> str:
    return "#" + _write_text(feedback, fmt) if feedback else ""


def _write_text(text: str, fmt: str) -> str:
    """A text in the question's format; prefixed when it would otherwise read as a prefix."""
    prefix = f"[{fmt}]" if _FORMAT_PREFIX_RE.match(text) else ""
    return prefix + _escape(text)


def _escape(text: str) -> str:
    """Escape GIFT's control characters and write newlines as \\n (one text, one line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _percent(fraction: float) -> str:
    """A fraction as the percentage that _weight() reads back to exactly the same float."""
    return format((Decimal(repr(fraction)) * 100).normalize(), "f")


def _format_number(value: float) -> str:
    """The shortest text that reads back as the same float; whole numbers without ".0"."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
