"""Pages: quiz settings, a fixed quiz's questions, a random quiz's draws, preview (admins only).

- /admin/quizzes/                          every quiz with its course, module, questions, attempts
- /admin/courses/<id>/quizzes/new          a new quiz in a course (?module=<id> preselects)
- /admin/quizzes/<id>                      its settings, and its question list or its draws
- /admin/quizzes/<id>/questions            POST: the complete ordered list (plus adds, a move)
- /admin/quizzes/<id>/draws                POST: the complete list of draws (plus a new one)
- /admin/quizzes/<id>/delete               POST: refused while it has attempts, unless ticked
- /admin/quizzes/<id>/preview              a sample draw as a member sees it, with the answers

The pages post whole lists back (no JavaScript needed); quizzes.authoring.services checks and
writes them. Times are typed in the app's display time zone and stored in UTC, as the study
assignment form does.
"""

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from courses.models import Course, Module
from learning.audit.services import record
from learning.bounds import page_arg, positive_int
from learning.extensions import db
from learning.markup import to_plain_text
from learning.permissions import require_role
from quizzes.attempts.review import right_answer
from quizzes.attempts.services import AttemptError, draw_slots, public_slot
from quizzes.authoring import services
from quizzes.authoring.forms import (
    DeleteQuizForm,
    QuizDrawsForm,
    QuizForm,
    QuizQuestionsForm,
)
from quizzes.authoring.services import QuizSettingsError
from quizzes.formats.questions import DESCRIPTION
from quizzes.models import (
    CATEGORY_SEPARATOR,
    Attempt,
    Question,
    QuestionBank,
    QuestionCategory,
    Quiz,
    QuizDraw,
    QuizQuestion,
)
from quizzes.permissions import can_manage_quizzes

bp = Blueprint("quiz_admin", __name__,
               template_folder=str(Path(__file__).parents[1] / "templates"))

PER_PAGE = 20
EXCERPT_CHARS = 80
PICKER_ARGS = ("bank", "category", "page")


@bp.before_request
@login_required
def _admins_only():
    # Every page here writes or reveals quiz settings and answers: checked once for the whole
    # blueprint, so a new route cannot forget it.
    require_role(can_manage_quizzes(current_user))


# --- helpers -----------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime | None) -> datetime | None:
    """A naive local time from a datetime-local input, in UTC."""
    return None if local is None else local.replace(tzinfo=_zone()).astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time a datetime-local input shows."""
    return None if moment is None else moment.astimezone(_zone()).replace(tzinfo=None)


def _quiz_or_404(quiz_id: int) -> Quiz:
    """The quiz with its questions and draws loaded (a constant number of queries)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.id == quiz_id).options(
        selectinload(Quiz.questions).joinedload(QuizQuestion.question),
        selectinload(Quiz.draws).joinedload(QuizDraw.category)
        .joinedload(QuestionCategory.bank)))
    if quiz is None:
        abort(404)
    return quiz


def attempt_count(quiz_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt)
                             .where(Attempt.quiz_id == quiz_id))


def _settings(form: QuizForm) -> dict:
    """The form's values as quizzes.authoring.services takes them."""
    return {
        "title": form.title.data, "intro_md": form.intro_md.data or "",
        "selection": form.selection.data, "shuffle_questions": form.shuffle_questions.data,
        "shuffle_options": form.shuffle_options.data, "layout": form.layout.data,
        "time_limit_minutes": form.time_limit_minutes.data,
        "attempts_allowed": form.attempts_allowed.data, "grading_method": form.grading_method.data,
        "pass_mark": form.pass_mark.data, "open_at": to_utc(form.open_at.data),
        "close_at": to_utc(form.close_at.data), "review_when": form.review_when.data,
        "review_shows": form.review_shows.data,
    }


def _initial(quiz: Quiz) -> dict:
    """The form's values for a stored quiz."""
    data = {name: getattr(quiz, name) for name in services.SETTINGS}
    data["open_at"], data["close_at"] = to_local(quiz.open_at), to_local(quiz.close_at)
    return data


def _field_error(form: QuizForm, error: QuizSettingsError) -> None:
    """Show a service's refusal next to the field it names (the title if none matches)."""
    field = form._fields.get(error.field) or form.title
    field.errors = [*field.errors, str(error)]


def _free_modules(course: Course) -> list[tuple[int, str]]:
    """The course's modules that have no quiz yet, in course order."""
    rows = db.session.execute(
        select(Module.id, Module.title).outerjoin(Quiz, Quiz.module_id == Module.id)
        .where(Module.course_id == course.id, Quiz.id.is_(None))
        .order_by(Module.position, Module.id)).all()
    return [(row.id, row.title) for row in rows]


def _warn_if_attempted(quiz: Quiz) -> None:
    attempts = attempt_count(quiz.id)
    if attempts:
        flash(_("This quiz has %(n)d attempts already: they keep the questions they were given; "
                "only new attempts get the change.", n=attempts), "warning")


def _picker_args(args) -> dict:
    """The question picker's bank, category and page, to come back to after a post."""
    return {key: args.get(key, type=positive_int) for key in PICKER_ARGS
            if args.get(key, type=positive_int)}


# --- the list of quizzes -----------------------------------------------------------------------


@bp.get("/admin/quizzes/")
def index():
    """Every quiz with its course, module, questions per attempt and attempts so far."""
    rows = db.session.execute(
        select(Quiz, Course.title.label("course"), Module.title.label("module"))
        .join(Course, Course.id == Quiz.course_id)
        .outerjoin(Module, Module.id == Quiz.module_id)
        .order_by(Course.position, Course.id, Quiz.id)).all()
    fixed = dict(db.session.execute(select(QuizQuestion.quiz_id, func.count())
                                    .group_by(QuizQuestion.quiz_id)).all())
    drawn = dict(db.session.execute(select(QuizDraw.quiz_id, func.sum(QuizDraw.count))
                                    .group_by(QuizDraw.quiz_id)).all())
    attempts = dict(db.session.execute(select(Attempt.quiz_id, func.count())
                                       .group_by(Attempt.quiz_id)).all())
    courses = db.session.execute(select(Course.id, Course.title)
                                 .order_by(Course.position, Course.id)).all()
    counts = {quiz.id: (fixed if quiz.selection == "fixed" else drawn).get(quiz.id, 0)
              for quiz, _course, _module in rows}
    return render_template("quizzes/authoring/index.html", rows=rows, counts=counts,
                           attempts=attempts, courses=courses)


# --- settings ----------------------------------------------------------------------------------


@bp.route("/admin/courses/<int:course_id>/quizzes/new", methods=["GET", "POST"])
def new(course_id: int):
    """A new quiz in the course, attached to one of its modules without a quiz or standalone."""
    course = db.get_or_404(Course, course_id)
    form = QuizForm()
    form.module_id.choices = [(0, _("Standalone in the course")), *_free_modules(course)]
    if not form.is_submitted():
        wanted = request.args.get("module", type=positive_int)
        if wanted in {module_id for module_id, _title in form.module_id.choices}:
            form.module_id.data = wanted
    if form.validate_on_submit():
        try:
            quiz = services.create_quiz(course.id, form.module_id.data or None,
                                        **_settings(form))
        except QuizSettingsError as error:
            db.session.rollback()  # nothing of a refused quiz is kept
            _field_error(form, error)
        else:
            record("quiz.create", {"quiz": quiz.title}, target=quiz)
            flash(_("Quiz %(title)s created. Now give it its questions.", title=quiz.title),
                  "success")
            return redirect(url_for("quiz_admin.edit", quiz_id=quiz.id))
    return render_template("quizzes/authoring/new.html", form=form, course=course)


@bp.route("/admin/quizzes/<int:quiz_id>", methods=["GET", "POST"])
def edit(quiz_id: int):
    """The quiz's settings, and below them its question list (fixed) or its draws (random)."""
    quiz = _quiz_or_404(quiz_id)
    form = QuizForm(data=None if request.method == "POST" else _initial(quiz))
    del form.module_id  # where a quiz is attached is chosen once, when it is created
    if form.validate_on_submit():
        try:
            services.update_quiz(quiz, **_settings(form))
        except QuizSettingsError as error:
            db.session.rollback()
            _field_error(form, error)
            quiz = _quiz_or_404(quiz_id)
        else:
            record("quiz.update", {"quiz": quiz.title}, target=quiz)
            flash(_("Quiz %(title)s saved.", title=quiz.title), "success")
            return redirect(url_for("quiz_admin.edit", quiz_id=quiz.id))
    return _edit_page(quiz, form)


def _edit_page(quiz: Quiz, form: QuizForm):
    """The edit page: a constant number of queries whatever the numbers of questions, draws,
    banks and categories."""
    course = db.session.get(Course, quiz.course_id)
    module = db.session.get(Module, quiz.module_id) if quiz.module_id else None
    context = {"quiz": quiz, "form": form, "course": course, "module": module,
               "attempts": attempt_count(quiz.id),
               "delete_form": DeleteQuizForm(formdata=None)}
    if quiz.selection == "fixed":
        context.update(_questions_section(quiz))
    else:
        context.update(_draws_section(quiz))
    return render_template("quizzes/authoring/edit.html", **context)


# --- fixed questions ---------------------------------------------------------------------------


def _questions_section(quiz: Quiz) -> dict:
    """The current list as a form, and the picker: a bank, a category, a page of questions."""
    rows = [{"question_id": link.question_id, "mark": link.mark} for link in quiz.questions]
    questions_form = QuizQuestionsForm(formdata=None, data={"rows": rows})
    excerpts = {link.question_id: to_plain_text(link.question.stem_html, EXCERPT_CHARS)
                for link in quiz.questions}

    banks = db.session.execute(select(QuestionBank.id, QuestionBank.name)
                               .order_by(QuestionBank.name)).all()
    bank_ids = [bank.id for bank in banks]
    bank_id = request.args.get("bank", type=positive_int)
    if bank_id not in bank_ids:
        bank_id = bank_ids[0] if bank_ids else None
    categories, page, category_id = [], None, None
    if bank_id is not None:
        categories = db.session.scalars(select(QuestionCategory)
                                        .where(QuestionCategory.bank_id == bank_id)
                                        .order_by(QuestionCategory.path)).all()
        query = select(Question).where(Question.bank_id == bank_id) \
            .options(joinedload(Question.category)).order_by(Question.id)
        chosen = next((c for c in categories
                       if c.id == request.args.get("category", type=positive_int)), None)
        if chosen is not None:
            category_id = chosen.id
            subtree = [c.id for c in categories if c.path == chosen.path
                       or c.path.startswith(chosen.path + CATEGORY_SEPARATOR)]
            query = query.where(Question.category_id.in_(subtree))
        page = db.paginate(query, page=request.args.get("page", 1, type=page_arg),
                           per_page=PER_PAGE, error_out=False)
        excerpts.update({q.id: to_plain_text(q.stem_html, EXCERPT_CHARS) for q in page.items})
    picker = {"bank": bank_id, "category": category_id}
    return {"questions_form": questions_form, "excerpts": excerpts, "banks": banks,
            "categories": categories, "page": page, "picker": picker,
            "in_quiz": {link.question_id for link in quiz.questions}}


def _ordered_questions(form: QuizQuestionsForm) -> list[tuple[int, float | None]]:
    """The posted list after its one move, without the removed rows, plus the added ones."""
    rows = [(row.question_id.data, row.mark.data, row.remove.data) for row in form.rows]
    direction, _sep, index = (form.move.data or "").partition("-")
    if index.isdigit() and direction in ("up", "down"):
        here = int(index)
        there = here - 1 if direction == "up" else here + 1
        if 0 <= here < len(rows) and 0 <= there < len(rows):
            rows[here], rows[there] = rows[there], rows[here]
    kept = [(question_id, mark) for question_id, mark, remove in rows if not remove]
    present = {question_id for question_id, _mark in kept}
    for question_id in form.add.data or []:
        if question_id not in present:  # ticking a question already listed changes nothing
            kept.append((question_id, None))
            present.add(question_id)
    return kept


@bp.post("/admin/quizzes/<int:quiz_id>/questions")
def questions(quiz_id: int):
    """Replace a fixed quiz's questions by the posted ordered list (marks blank: default)."""
    quiz = _quiz_or_404(quiz_id)
    back = url_for("quiz_admin.edit", quiz_id=quiz.id, _anchor="questions",
                   **_picker_args(request.args))
    form = QuizQuestionsForm()
    if not form.validate_on_submit():
        flash(_first_error(form) or _("The question list could not be read."), "danger")
        return redirect(back)
    before = [(link.question_id, link.mark) for link in quiz.questions]
    try:
        services.set_questions(quiz, _ordered_questions(form))
    except QuizSettingsError as error:  # refused before anything changed
        flash(str(error), "danger")
        return redirect(back)
    after = [(link.question_id, link.mark) for link in quiz.questions]
    if after != before:
        record("quiz.questions", {"quiz": quiz.title}, target=quiz,
               details={"questions": len(after)})
        _warn_if_attempted(quiz)
    flash(_("The quiz has %(n)d questions.", n=len(after)), "success")
    return redirect(back)


def _first_error(form) -> str | None:
    """The first message of a list form's errors (nested rows included), for a flash."""
    def walk(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                found = walk(value)
                if found:
                    return found
        elif isinstance(errors, list):
            for value in errors:
                found = walk(value) if isinstance(value, dict | list) else value
                if found:
                    return str(found)
        return None

    return walk(form.errors)


# --- random draws ------------------------------------------------------------------------------


def _available_counts() -> tuple[list[QuestionCategory], dict[int, tuple[int, int]]]:
    """Every category (with its bank) and, per category, how many gradable questions a draw
    finds in it alone and with its subcategories (as services.draw_pool counts them), in two
    queries."""
    categories = db.session.scalars(select(QuestionCategory)
                                    .options(joinedload(QuestionCategory.bank))
                                    .order_by(QuestionCategory.bank_id,
                                              QuestionCategory.path)).all()
    own = dict(db.session.execute(
        select(Question.category_id, func.count()).where(
            Question.category_id.is_not(None), Question.qtype != DESCRIPTION)
        .group_by(Question.category_id)).all())
    by_bank = defaultdict(list)
    for category in categories:
        by_bank[category.bank_id].append(category)
    counts = {}
    for category in categories:
        prefix = category.path + CATEGORY_SEPARATOR
        total = sum(own.get(other.id, 0) for other in by_bank[category.bank_id]
                    if other.id == category.id or other.path.startswith(prefix))
        counts[category.id] = (own.get(category.id, 0), total)
    return categories, counts


def _draws_section(quiz: Quiz) -> dict:
    categories, counts = _available_counts()
    rows = [{"category_id": draw.category_id, "count": draw.count,
             "include_subcategories": draw.include_subcategories} for draw in quiz.draws]
    draws_form = QuizDrawsForm(formdata=None, data={"rows": rows})
    draws_form.new_category.choices = [(0, _("(choose a category)"))] + [
        (c.id, f"{c.bank.name} / {c.path} ({counts[c.id][1]})") for c in categories]
    available = {draw.id: counts.get(draw.category_id, (0, 0))[
        1 if draw.include_subcategories else 0] for draw in quiz.draws}
    return {"draws_form": draws_form, "available": available,
            "drawn_total": services.question_count(quiz)}


@bp.post("/admin/quizzes/<int:quiz_id>/draws")
def draws(quiz_id: int):
    """Replace a random quiz's draws by the posted list, plus the new draw if one is given."""
    quiz = _quiz_or_404(quiz_id)
    back = url_for("quiz_admin.edit", quiz_id=quiz.id, _anchor="draws")
    form = QuizDrawsForm()
    if not form.validate_on_submit():
        flash(_first_error(form) or _("The draws could not be read."), "danger")
        return redirect(back)
    wanted = [(row.category_id.data, row.count.data, row.include_subcategories.data)
              for row in form.rows if not row.remove.data]
    if form.new_category.data:
        if not form.new_count.data:
            flash(_("Say how many questions to draw from the new category."), "danger")
            return redirect(back)
        wanted.append((form.new_category.data, form.new_count.data,
                       form.new_include_subcategories.data))
    before = [(d.category_id, d.count, d.include_subcategories) for d in quiz.draws]
    try:
        services.set_draws(quiz, wanted)
    except QuizSettingsError as error:  # refused before anything changed
        flash(str(error), "danger")
        return redirect(back)
    if wanted != before:
        record("quiz.draws", {"quiz": quiz.title}, target=quiz, details={"draws": len(wanted)})
        _warn_if_attempted(quiz)
    flash(_("Each attempt draws %(n)d questions.", n=services.question_count(quiz)), "success")
    return redirect(back)


# --- delete and preview ------------------------------------------------------------------------


@bp.post("/admin/quizzes/<int:quiz_id>/delete")
def delete(quiz_id: int):
    """Delete a quiz; one with attempts only when "delete the attempts too" is ticked."""
    quiz = db.get_or_404(Quiz, quiz_id)
    form = DeleteQuizForm()
    if not form.validate_on_submit():
        return redirect(url_for("quiz_admin.edit", quiz_id=quiz.id))
    attempts = attempt_count(quiz.id)
    if attempts and not form.delete_attempts.data:
        flash(_("This quiz has %(n)d attempts. Tick “delete the attempts too” to delete them "
                "with it.", n=attempts), "danger")
        return redirect(url_for("quiz_admin.edit", quiz_id=quiz.id, _anchor="delete"))
    title = quiz.title
    record("quiz.delete", {"quiz": title}, target=quiz, details={"attempts": attempts})
    # Questions, draws, attempts and their slots go with it (ON DELETE CASCADE).
    db.session.delete(quiz)
    flash(_("Quiz %(title)s deleted.", title=title), "success")
    return redirect(url_for("quiz_admin.index"))


@bp.get("/admin/quizzes/<int:quiz_id>/preview")
def preview(quiz_id: int):
    """A sample draw as a member would see it, each question with its right answer; nothing
    is stored (the slots are never added to the session)."""
    quiz = _quiz_or_404(quiz_id)
    problem, items = None, []
    try:
        slots = draw_slots(quiz)
    except AttemptError as error:
        problem, slots = str(error), []
    for position, slot in enumerate(slots, start=1):
        slot.position = position
        items.append({"view": public_slot(slot), "answer": right_answer(slot),
                      "data": slot.snapshot.get("data", {}),
                      "explanation_html": slot.snapshot.get("general_feedback_html", "")})
    course = db.session.get(Course, quiz.course_id)
    return render_template("quizzes/authoring/preview.html", quiz=quiz, course=course,
                           items=items, problem=problem)
