"""Question banks: storing parsed questions, and importing or exporting whole files.

Shared by the CLI (and later the web pages and the API):

- `to_question_data` turns a `ParsedQuestion` (what a file format reads) into the stored columns
  and the answer data of quizzes/spec.py, rendering every display text to HTML once, through
  learning.markup; `to_parsed` is the way back, for export.
- `plan_import` is the dry run: it reads the file and compares it with the bank, listing every
  problem with its line (GIFT, Aiken) or row (XLSX, CSV), every duplicate and the categories to
  create, and writes nothing.
- `apply_import` re-plans and, only when nothing blocks, writes the bank, its categories, tags
  and questions in the current transaction (all-or-nothing: it flushes, the caller commits once
  or rolls back).
- `export_bank` writes a bank as GIFT (every type; re-imports to equal questions) or as the
  XLSX/CSV template (the types the template can hold).

Duplicates (same type and normalised stem; for choice and matching questions, also the same
options: quizzes.formats.find_duplicates) are reported in two kinds. A question that repeats one
already in the bank blocks the import unless duplicates are skipped: that is what re-importing a
file by accident looks like, and it must not double the bank. A question that repeats an earlier
one in the same file is a warning and is imported, unless duplicates are skipped: the file's
author put both there, and Moodle imports both (its own fixture holds such a pair and is expected
to import as 9 questions).

Beyond quizzes/spec.py, `data` holds `"blank_at"` for a missing-word question (GIFT answers in
the middle of a sentence): the offset of the blank ("_____") in the stem, so the question can be
shown with its blank in place and exported as it was written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learning.extensions import db
from learning.markup import render_markdown, sanitize_html
from quizzes.formats import (
    GIFT,
    SHEET,
    FormatError,
    ParsedQuestion,
    detect_format,
    find_duplicates,
    parse,
    to_gift,
    validate_question,
    write_sheet,
)
from quizzes.formats.questions import (
    BLANK,
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TEXT_FORMATS,
    TRUEFALSE,
    Answer,
    MatchPair,
    NumericalAnswer,
)
from quizzes.models import (
    CATEGORY_SEPARATOR,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
)
from quizzes.spec import OPTION_ID, PAIR_ID

__all__ = [
    "EXPORT_FORMATS",
    "BankExport",
    "BankImportError",
    "BankImportPlan",
    "BankImportResult",
    "BankNotFound",
    "Duplicate",
    "apply_import",
    "build_export",
    "category_names",
    "export_bank",
    "plan_import",
    "render_text",
    "to_parsed",
    "to_question_data",
]

EXPORT_FORMATS = ("gift", "xlsx", "csv")

# Column sizes (quizzes/models.py); longer values are reported, not cut.
MAX_BANK_NAME = 200
MAX_NAME = 255
MAX_CATEGORY_NAME = 255
MAX_CATEGORY_PATH = 500
MAX_TAG = 100
MAX_IDNUMBER = 100
MAX_DIFFICULTY = 16


class BankNotFound(LookupError):
    """No bank has the given name."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name
        self.message = _l("there is no question bank named %(name)s", name=name)


class BankImportError(ValueError):
    """Applying was refused (errors, or duplicates not skipped); nothing was written."""

    def __init__(self, plan: BankImportPlan):
        super().__init__(f"{len(plan.errors)} errors, {len(plan.duplicates)} duplicates")
        self.plan = plan


# --- Texts and categories ----------------------------------------------------------------------


def render_text(text: str, fmt: str) -> str:
    """A question text in Moodle's format `fmt` as sanitised HTML, to store next to its source.

    markdown -> render_markdown; html -> sanitize_html; plain -> escaped, line breaks kept;
    moodle (Moodle's auto-format) -> HTML allowed (sanitised), line breaks kept. Bare URLs
    become links in every format (the sanitiser's linkifier).
    """
    if not text:
        return ""
    if fmt == "markdown":
        return str(render_markdown(text))
    if fmt == "html":
        return str(sanitize_html(text))
    if fmt == "plain":
        text = html.escape(text, quote=False)
    return str(sanitize_html(text.replace("\r\n", "\n").replace("\n", "<br>\n")))


def category_names(path: str) -> tuple[str, ...]:
    """The names of a category path from the top: "党史/第一章" -> ("党史", "第一章").

    Moodle's own paths start with a context and its top category ("$course$/top/Default"):
    those two parts are not categories of ours and are dropped. Spaces inside a name collapse
    to one, empty parts ("a//b") are ignored.
    """
    names = [" ".join(part.split()) for part in path.split(CATEGORY_SEPARATOR)]
    names = [name for name in names if name]
    if names and len(names[0]) > 1 and names[0].startswith("$") and names[0].endswith("$"):
        names = names[1:]
        if names and names[0] == "top":
            names = names[1:]
    return tuple(names)


def _category_path(path: str) -> str:
    return CATEGORY_SEPARATOR.join(category_names(path))


# --- ParsedQuestion <-> stored question --------------------------------------------------------


def to_question_data(parsed: ParsedQuestion) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored columns of a parsed question, and its answer data per quizzes/spec.py.

    Category and tags are not columns: `apply_import` links them. Every display text is
    rendered once here, in the question's format.
    """
    fmt = parsed.stem_format if parsed.stem_format in TEXT_FORMATS else "moodle"

    def rendered(text: str) -> str:
        return render_text(text, fmt)

    fields = {
        "qtype": parsed.qtype,
        "name": parsed.name,
        "stem": parsed.stem,
        "stem_format": fmt,
        "stem_html": rendered(parsed.stem),
        "general_feedback": parsed.general_feedback,
        "general_feedback_html": rendered(parsed.general_feedback),
        "default_mark": float(parsed.default_mark),
        "difficulty": parsed.difficulty,
        "idnumber": parsed.idnumber or None,
    }
    data: dict[str, Any] = {}
    if parsed.qtype in (SINGLE, MULTIPLE):
        data["options"] = [
            {"id": OPTION_ID.format(number), "text": answer.text,
             "text_html": rendered(answer.text), "fraction": float(answer.fraction),
             "feedback": answer.feedback, "feedback_html": rendered(answer.feedback)}
            for number, answer in enumerate(parsed.answers, start=1)
        ]
    elif parsed.qtype == TRUEFALSE:
        data = {"correct": bool(parsed.correct),
                "true_feedback": parsed.true_feedback,
                "true_feedback_html": rendered(parsed.true_feedback),
                "false_feedback": parsed.false_feedback,
                "false_feedback_html": rendered(parsed.false_feedback)}
    elif parsed.qtype == SHORTANSWER:
        data = {"answers": [{"text": answer.text, "fraction": float(answer.fraction),
                             "feedback": answer.feedback,
                             "feedback_html": rendered(answer.feedback)}
                            for answer in parsed.answers],
                "case_sensitive": False}
    elif parsed.qtype == NUMERICAL:
        data = {"answers": [{"value": answer.value, "tolerance": float(answer.tolerance),
                             "fraction": float(answer.fraction), "feedback": answer.feedback,
                             "feedback_html": rendered(answer.feedback)}
                            for answer in parsed.numerical]}
    elif parsed.qtype == MATCHING:
        data = {"pairs": [{"id": PAIR_ID.format(number), "question": pair.question,
                           "question_html": rendered(pair.question), "answer": pair.answer}
                          for number, pair in enumerate(parsed.pairs, start=1)],
                "distractors": list(parsed.distractors)}
    elif parsed.qtype == ESSAY:
        data = {"grader_info": parsed.grader_info}
    if parsed.blank is not None:
        data["blank_at"] = len(parsed.blank[0])
    return fields, data


def to_parsed(question: Question) -> ParsedQuestion:
    """A stored question as the plain object the file formats write (for export, duplicates).

    Tags come back sorted by name: a question's tags are a set.
    """
    data = question.data or {}
    parsed = ParsedQuestion(
        question.qtype, question.stem, name=question.name, stem_format=question.stem_format,
        general_feedback=question.general_feedback,
        category=question.category.path if question.category is not None else "",
        tags=sorted(tag.name for tag in question.tags), idnumber=question.idnumber or "",
        default_mark=question.default_mark, difficulty=question.difficulty)
    if "blank_at" in data:
        at = data["blank_at"]
        parsed.blank = (question.stem[:at], question.stem[at + len(BLANK):])
    if question.qtype in (SINGLE, MULTIPLE):
        parsed.answers = [Answer(option["text"], option["fraction"], option["feedback"])
                          for option in data.get("options", [])]
    elif question.qtype == TRUEFALSE:
        parsed.correct = data.get("correct")
        parsed.true_feedback = data.get("true_feedback", "")
        parsed.false_feedback = data.get("false_feedback", "")
    elif question.qtype == SHORTANSWER:
        parsed.answers = [Answer(answer["text"], answer["fraction"], answer["feedback"])
                          for answer in data.get("answers", [])]
    elif question.qtype == NUMERICAL:
        parsed.numerical = [NumericalAnswer(answer["value"], answer["tolerance"],
                                            answer["fraction"], answer["feedback"])
                            for answer in data.get("answers", [])]
    elif question.qtype == MATCHING:
        parsed.pairs = [MatchPair(pair["question"], pair["answer"])
                        for pair in data.get("pairs", [])]
        parsed.distractors = list(data.get("distractors", []))
    elif question.qtype == ESSAY:
        parsed.grader_info = data.get("grader_info", "")
    return parsed


# --- Import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """A question of the file that repeats an earlier one of the file, or one of the bank."""

    index: int  # in BankImportPlan.questions
    line: int  # where it starts in the file (its row, for a spreadsheet)
    first_line: int | None = None  # the earlier question of the same file ...
    question_id: int | None = None  # ... or the bank's question it repeats
    question_name: str = ""  # the bank question's name, for the message

    @property
    def in_bank(self) -> bool:
        return self.question_id is not None


@dataclass
class BankImportPlan:
    """The dry run of an import: what is in the file and what applying it would do.

    `questions` are the questions read without problems, in file order; `errors` every problem
    (file, format and rule errors, values too long, clashing idnumbers); `duplicates` refer to
    `questions` by index.
    """

    bank_name: str
    bank_exists: bool
    filename: str
    fmt: str | None
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    categories_to_create: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # every category path the file names

    @property
    def ok(self) -> bool:
        """No errors (duplicates aside)."""
        return not self.errors

    @property
    def by_row(self) -> bool:
        """Whether positions are spreadsheet rows rather than lines."""
        return self.fmt == SHEET

    def blocked(self, skip_duplicates: bool) -> bool:
        """Whether applying would be refused."""
        return bool(self.errors) or (not skip_duplicates
                                     and any(d.in_bank for d in self.duplicates))

    def to_import(self, skip_duplicates: bool) -> list[ParsedQuestion]:
        """The questions applying would store."""
        if not skip_duplicates:
            return list(self.questions)
        skipped = {duplicate.index for duplicate in self.duplicates}
        return [q for i, q in enumerate(self.questions) if i not in skipped]

    def error_messages(self) -> list[str]:
        """Every error, as "line N: ..." or "row N, column: ..."."""
        return [str(error) for error in self.errors]

    def duplicate_messages(self) -> list[str]:
        """Every duplicate, saying where it is and what it repeats."""
        messages = []
        for duplicate in self.duplicates:
            if self.by_row:
                where = _l("row %(number)d", number=duplicate.line)
            else:
                where = _l("line %(number)d", number=duplicate.line)
            if duplicate.in_bank:
                messages.append(str(_l(
                    "%(where)s: the same question is already in the bank (#%(id)d %(name)s)",
                    where=where, id=duplicate.question_id, name=duplicate.question_name)))
            elif self.by_row:
                messages.append(str(_l("%(where)s: repeats the question in row %(first)d",
                                       where=where, first=duplicate.first_line)))
            else:
                messages.append(str(_l("%(where)s: repeats the question on line %(first)d",
                                       where=where, first=duplicate.first_line)))
        return messages


@dataclass
class BankImportResult:
    """An applied import: the plan, the bank, and how many questions were stored or skipped."""

    plan: BankImportPlan
    bank: QuestionBank
    bank_created: bool
    imported: int
    skipped: int


def get_bank(name: str) -> QuestionBank | None:
    """The bank with this name, or None."""
    return db.session.scalar(select(QuestionBank).where(QuestionBank.name == name))


def _bank_questions(bank: QuestionBank | None) -> list[Question]:
    if bank is None:
        return []
    return list(db.session.scalars(
        select(Question).where(Question.bank_id == bank.id)
        .options(selectinload(Question.category), selectinload(Question.tags))
        .order_by(Question.id)))


def _bank_category_paths(bank: QuestionBank | None) -> set[str]:
    if bank is None:
        return set()
    return set(db.session.scalars(
        select(QuestionCategory.path).where(QuestionCategory.bank_id == bank.id)))


def _length_problems(question: ParsedQuestion) -> list[str]:
    """Values longer than their column (PostgreSQL would refuse them, SQLite would not)."""
    problems = []

    def check(value: str, limit: int, what) -> None:
        if len(value) > limit:
            problems.append(_l("%(what)s is longer than %(limit)d characters",
                               what=what, limit=limit))

    check(question.name, MAX_NAME, _l("the question name"))
    check(question.idnumber, MAX_IDNUMBER, _l("the id number"))
    check(question.difficulty, MAX_DIFFICULTY, _l("the difficulty"))
    names = category_names(question.category)
    for name in names:
        check(name, MAX_CATEGORY_NAME, _l("a category name"))
    check(CATEGORY_SEPARATOR.join(names), MAX_CATEGORY_PATH, _l("the category path"))
    for tag in question.tags:
        check(tag, MAX_TAG, _l("a tag"))
    return problems


def _problem(plan: BankImportPlan, question: ParsedQuestion, message) -> FormatError:
    # A spreadsheet's rule problems are about its 答案 column (the parser checks the others).
    return FormatError(question.line, message, column="答案" if plan.by_row else None)


def plan_import(bank_name: str, data: bytes, filename: str,
                fmt: str | None = None) -> BankImportPlan:
    """Dry run: read the file and compare it with the bank. Writes nothing."""
    bank_name = bank_name.strip()
    fmt = fmt or detect_format(filename)
    bank = get_bank(bank_name) if bank_name else None
    plan = BankImportPlan(bank_name, bank is not None, filename, fmt)
    if not bank_name:
        plan.errors.append(FormatError(0, _l("the bank needs a name")))
    elif len(bank_name) > MAX_BANK_NAME:
        plan.errors.append(FormatError(0, _l("a bank name is at most %(limit)d characters",
                                             limit=MAX_BANK_NAME)))

    result = parse(data, filename, fmt)
    plan.errors.extend(result.errors)
    for question in result.questions:
        problems = [*validate_question(question), *_length_problems(question)]
        if problems:
            plan.errors.extend(_problem(plan, question, message) for message in problems)
        else:
            plan.questions.append(question)

    existing = _bank_questions(bank)
    existing_parsed = [to_parsed(question) for question in existing]
    offset = len(existing_parsed)
    for index, first in find_duplicates(existing_parsed + plan.questions):
        if index < offset:
            continue  # the bank's own duplicates are not this file's business
        question = plan.questions[index - offset]
        if first < offset:
            plan.duplicates.append(Duplicate(index - offset, question.line,
                                             question_id=existing[first].id,
                                             question_name=existing_parsed[first].display_name))
        else:
            plan.duplicates.append(Duplicate(index - offset, question.line,
                                             first_line=plan.questions[first - offset].line))

    _check_idnumbers(plan, existing)

    known = _bank_category_paths(bank)  # then also every path already listed (sets: linear)
    listed: set[str] = set()
    for path in dict.fromkeys([*result.categories, *(q.category for q in plan.questions)]):
        names = category_names(path)
        if not names:
            continue
        full = CATEGORY_SEPARATOR.join(names)
        if len(full) > MAX_CATEGORY_PATH:  # and so not a path of thousands of prefixes
            plan.errors.append(FormatError(0, _l(
                "%(what)s is longer than %(limit)d characters", what=_l("the category path"),
                limit=MAX_CATEGORY_PATH)))
            continue
        if full not in listed:
            listed.add(full)
            plan.categories.append(full)
        for depth in range(1, len(names) + 1):
            prefix = CATEGORY_SEPARATOR.join(names[:depth])
            if prefix not in known:
                known.add(prefix)
                plan.categories_to_create.append(prefix)
    return plan


def _check_idnumbers(plan: BankImportPlan, existing: list[Question]) -> None:
    """An idnumber is unique in its bank: report one used twice in the file, or already used."""
    in_bank = {question.idnumber: question for question in existing if question.idnumber}
    bank_duplicates = {d.index: d.question_id for d in plan.duplicates if d.in_bank}
    seen: dict[str, int] = {}
    for index, question in enumerate(plan.questions):
        idnumber = question.idnumber
        if not idnumber:
            continue
        if idnumber in seen:
            plan.errors.append(_problem(plan, question, _l(
                "the id number %(id)s is already used earlier in the file (at %(line)d)",
                id=idnumber, line=seen[idnumber])))
            continue
        seen[idnumber] = question.line
        other = in_bank.get(idnumber)
        # Re-importing the same question is a duplicate (skipped or refused), not a clash.
        if other is not None and bank_duplicates.get(index) != other.id:
            plan.errors.append(_problem(plan, question, _l(
                "the id number %(id)s is already used in the bank by question #%(qid)d",
                id=idnumber, qid=other.id)))
    plan.errors.sort(key=lambda error: error.line)


def apply_import(bank_name: str, data: bytes, filename: str, fmt: str | None = None, *,
                 skip_duplicates: bool = False,
                 description: str = "") -> BankImportResult:
    """Import a file into the bank (created when missing), all-or-nothing.

    Raises BankImportError, having written nothing, when the file has any error, or repeats
    questions of the bank and `skip_duplicates` is false. Flushes; the caller commits.
    """
    plan = plan_import(bank_name, data, filename, fmt)
    if plan.blocked(skip_duplicates):
        raise BankImportError(plan)
    bank = get_bank(plan.bank_name)
    created = bank is None
    if bank is None:
        bank = QuestionBank(name=plan.bank_name, description=description)
        db.session.add(bank)
        db.session.flush()
    categories = _ensure_categories(bank, plan.categories)
    questions = plan.to_import(skip_duplicates)
    tags = ensure_tags({tag for question in questions for tag in question.tags})
    for parsed in questions:
        fields, answer_data = to_question_data(parsed)
        question = Question(bank=bank, data=answer_data, **fields)
        question.category = categories.get(_category_path(parsed.category))
        question.tags = [tags[name] for name in dict.fromkeys(parsed.tags)]
        db.session.add(question)
    db.session.flush()
    return BankImportResult(plan, bank, created, len(questions),
                            len(plan.questions) - len(questions))


def _ensure_categories(bank: QuestionBank, paths: list[str]) -> dict[str, QuestionCategory]:
    """Every category on the given paths (and their parents), by path; missing ones created."""
    by_path = {category.path: category for category in db.session.scalars(
        select(QuestionCategory).where(QuestionCategory.bank_id == bank.id))}
    for path in paths:
        names = path.split(CATEGORY_SEPARATOR)
        parent = None
        for depth in range(1, len(names) + 1):
            prefix = CATEGORY_SEPARATOR.join(names[:depth])
            category = by_path.get(prefix)
            if category is None:
                category = QuestionCategory(bank=bank, parent=parent, name=names[depth - 1],
                                            path=prefix)
                db.session.add(category)
                by_path[prefix] = category
            parent = category
    return by_path


def ensure_tags(names: set[str]) -> dict[str, QuestionTag]:
    """The tags with these names, by name; missing ones created."""
    tags = {tag.name: tag for tag in db.session.scalars(
        select(QuestionTag).where(QuestionTag.name.in_(sorted(names))))} if names else {}
    for name in sorted(names - tags.keys()):
        tags[name] = QuestionTag(name=name)
        db.session.add(tags[name])
    return tags


# --- Export ------------------------------------------------------------------------------------


@dataclass
class BankExport:
    """An exported file, and the questions its format could not hold (with the reason)."""

    data: bytes
    skipped: list[tuple[ParsedQuestion, str]]


def build_export(bank_name: str, fmt: str) -> BankExport:
    """Write a bank as GIFT, XLSX or CSV, by category then age. Raises BankNotFound."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    bank = get_bank(bank_name)
    if bank is None:
        raise BankNotFound(bank_name)
    questions = sorted(_bank_questions(bank),
                       key=lambda q: (q.category.path if q.category else "", q.id))
    parsed = [to_parsed(question) for question in questions]
    if fmt == GIFT:
        return BankExport(to_gift(parsed).encode("utf-8"), [])
    sheet = write_sheet(parsed, fmt)
    return BankExport(sheet.data, [(parsed[s.index], str(s.reason)) for s in sheet.skipped])


def export_bank(bank_name: str, fmt: str) -> bytes:
    """A bank as a GIFT, XLSX or CSV file. Raises BankNotFound."""
    return build_export(bank_name, fmt).data
