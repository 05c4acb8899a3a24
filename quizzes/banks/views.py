"""Pages: question banks, their categories and questions, import and export (admins only).

- /admin/banks/                      the banks with their question counts; create a bank
- /admin/banks/<id>                  a bank: category tree with counts, filtered, paged questions
- /admin/banks/<id>/questions/new    a question of any type, with a preview of the unsaved form
- /admin/questions/<id>[/preview]    edit one question; see it as a member would
- /admin/banks/<id>/import           upload, dry run, then apply the staged file (all-or-nothing)
- /admin/banks/<id>/export           the bank as GIFT, XLSX or CSV
- /admin/banks/template.xlsx|csv     the empty import template
- /admin/banks/<id>/preview          POST: the question editor's live preview of one text

Questions typed here go through the same path as imported ones: the form builds a
`ParsedQuestion`, the formats' `validate_question` checks it, and
`quizzes.banks.services.to_question_data` renders its texts once through learning.markup.
"""

from collections import defaultdict
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from learning import staging
from learning.accounts.forms import ConfirmForm
from learning.audit.services import record
from learning.bounds import page_arg, positive_int
from learning.editor import preview_answer, preview_limit
from learning.extensions import db
from learning.markup import to_plain_text
from learning.permissions import require_role
from quizzes.authoring.services import quizzes_using
from quizzes.banks import services
from quizzes.banks.forms import (
    MAX_ROWS,
    QTYPE_LABELS,
    BankForm,
    CategoryForm,
    CategoryRenameForm,
    ImportApplyForm,
    ImportForm,
    QuestionForm,
    question_form_data,
)
from quizzes.formats import template_bytes
from quizzes.formats.questions import QTYPES, TEXT_FORMATS
from quizzes.models import (
    CATEGORY_SEPARATOR,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
    question_tag_links,
)
from quizzes.permissions import can_manage_quizzes

bp = Blueprint("banks", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))

PER_PAGE = 20
EXCERPT_CHARS = 80
MAX_CATEGORY_PATH = services.MAX_CATEGORY_PATH
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"gift": "text/plain; charset=utf-8", "xlsx": XLSX_MIME,
             "csv": "text/csv; charset=utf-8"}
FILE_SUFFIXES = {"gift": "gift", "xlsx": "xlsx", "csv": "csv"}
_UNSAFE_FILENAME = str.maketrans({char: "_" for char in '\\/:*?"<>|'})


@bp.before_request
@login_required
def _admins_only():
    # Every page of the blueprint is an authoring page: checked once here, so a new route cannot
    # forget it.
    require_role(can_manage_quizzes(current_user))


@bp.app_template_global()
def qtype_label(qtype: str) -> str:
    """The name of a question type in the reader's language."""
    return str(QTYPE_LABELS.get(qtype, qtype))


# --- banks -------------------------------------------------------------------------------------


def _saved_with_unique_name(form: BankForm, bank: QuestionBank) -> bool:
    """Flush a new or renamed bank; False, with the error on the name field, if it is taken."""
    query = select(QuestionBank.id).where(QuestionBank.name == bank.name)
    if bank.id is not None:
        query = query.where(QuestionBank.id != bank.id)
    with db.session.no_autoflush:  # the renamed bank is flushed below, not by this query
        taken = db.session.scalar(query.limit(1)) is not None
    if not taken:
        db.session.add(bank)
        try:
            db.session.flush()
        except IntegrityError:  # another admin took the name between the check and now
            taken = True
    if taken:
        db.session.rollback()
        form.name.errors.append(_("A bank with this name already exists."))
    return not taken


@bp.route("/admin/banks/", methods=["GET", "POST"])
def index():
    form = BankForm()
    if form.validate_on_submit():
        bank = QuestionBank(name=form.name.data, description=form.description.data or "")
        if _saved_with_unique_name(form, bank):
            record("bank.create", {"bank": bank.name}, target=bank)
            flash(_("Question bank %(name)s created.", name=bank.name), "success")
            return redirect(url_for("banks.bank", bank_id=bank.id))
    banks = db.session.scalars(select(QuestionBank).order_by(QuestionBank.name)).all()
    counts = dict(db.session.execute(
        select(Question.bank_id, func.count()).group_by(Question.bank_id)).all())
    return render_template("quizzes/banks/index.html", banks=banks, counts=counts, form=form)


@bp.route("/admin/banks/<int:bank_id>/edit", methods=["GET", "POST"])
def bank_edit(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    form = BankForm(obj=bank)
    if form.validate_on_submit():
        bank.name = form.name.data
        bank.description = form.description.data or ""
        if _saved_with_unique_name(form, bank):
            record("bank.update", {"bank": bank.name}, target=bank)
            flash(_("Question bank %(name)s saved.", name=bank.name), "success")
            return redirect(url_for("banks.bank", bank_id=bank.id))
        bank = db.get_or_404(QuestionBank, bank_id)
    return render_template("quizzes/banks/bank_form.html", bank=bank, form=form,
                           confirm_form=ConfirmForm())


@bp.post("/admin/banks/<int:bank_id>/delete")
def bank_delete(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("banks.bank_edit", bank_id=bank.id))
    if _refused_in_use(question_ids=select(Question.id).where(Question.bank_id == bank.id),
                       category_ids=select(QuestionCategory.id)
                       .where(QuestionCategory.bank_id == bank.id)):
        return redirect(url_for("banks.bank_edit", bank_id=bank.id))
    name = bank.name
    record("bank.delete", {"bank": name}, target=bank)
    # Categories, questions and their tag links go with it (ON DELETE CASCADE).
    db.session.delete(bank)
    flash(_("Question bank %(name)s deleted.", name=name), "success")
    return redirect(url_for("banks.index"))


def _refused_in_use(**used) -> bool:
    """Flash and refuse when quizzes use what is to be deleted (attempts keep their copies)."""
    titles = quizzes_using(**used)
    if titles:
        flash(_("Used by the quiz %(titles)s: take it out of the quiz first.",
                titles="、".join(titles)), "danger")
    return bool(titles)


# --- the bank page -----------------------------------------------------------------------------


@dataclass
class CategoryRow:
    """A category as the tree shows it: its depth, its own questions and its subtree's."""

    category: QuestionCategory
    depth: int
    count: int
    total: int = 0


def _categories(bank: QuestionBank) -> list[QuestionCategory]:
    return list(db.session.scalars(select(QuestionCategory)
                                   .where(QuestionCategory.bank_id == bank.id)
                                   .order_by(QuestionCategory.path)))


def _category_rows(categories: list[QuestionCategory], counts: dict) -> list[CategoryRow]:
    """The categories depth first, children by name, each with its subtree's question count.

    Built from parent ids rather than by sorting paths: "/" sorts after "!" and "-", so a
    sibling named "党史-附" would otherwise land between 党史 and its children.
    """
    children = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)
    rows: list[CategoryRow] = []

    def visit(parent_id: int | None, depth: int) -> int:
        subtotal = 0
        for category in sorted(children[parent_id], key=lambda c: c.name):
            row = CategoryRow(category, depth, counts.get(category.id, 0))
            rows.append(row)
            row.total = row.count + visit(category.id, depth + 1)
            subtotal += row.total
        return subtotal

    visit(None, 0)
    return rows


def _subtree_ids(categories: list[QuestionCategory], top: QuestionCategory) -> list[int]:
    prefix = top.path + CATEGORY_SEPARATOR
    return [c.id for c in categories if c.path == top.path or c.path.startswith(prefix)]


def _category_choices(categories: list[QuestionCategory], none_label: str) -> list:
    return [(0, none_label), *((c.id, c.path) for c in categories)]


@bp.get("/admin/banks/<int:bank_id>")
def bank(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    return _bank_page(bank)


def _bank_page(bank: QuestionBank, category_form: CategoryForm | None = None):
    """The bank page: a constant number of queries whatever the number of questions."""
    categories = _categories(bank)
    counts = dict(db.session.execute(
        select(Question.category_id, func.count()).where(Question.bank_id == bank.id)
        .group_by(Question.category_id)).all())
    tags = db.session.scalars(
        select(QuestionTag).join(question_tag_links, question_tag_links.c.tag_id == QuestionTag.id)
        .join(Question, Question.id == question_tag_links.c.question_id)
        .where(Question.bank_id == bank.id).distinct().order_by(QuestionTag.name)).all()

    query = (select(Question).where(Question.bank_id == bank.id)
             .options(joinedload(Question.category), selectinload(Question.tags))
             .order_by(Question.id))
    chosen = {"category": request.args.get("category", ""), "tag": request.args.get("tag", ""),
              "type": request.args.get("type", "")}
    by_id = {str(c.id): c for c in categories}
    if chosen["category"] == "none":
        query = query.where(Question.category_id.is_(None))
    elif chosen["category"] in by_id:
        query = query.where(Question.category_id.in_(
            _subtree_ids(categories, by_id[chosen["category"]])))
    else:
        chosen["category"] = ""
    if chosen["tag"] in {str(tag.id) for tag in tags}:
        query = query.where(Question.tags.any(QuestionTag.id == int(chosen["tag"])))
    else:
        chosen["tag"] = ""
    if chosen["type"] in QTYPES:
        query = query.where(Question.qtype == chosen["type"])
    else:
        chosen["type"] = ""
    page = db.paginate(query, page=request.args.get("page", 1, type=page_arg),
                       per_page=PER_PAGE, error_out=False)
    # Stored HTML to plain text: the list shows what members would read, never raw markup.
    excerpts = {q.id: to_plain_text(q.stem_html, EXCERPT_CHARS) for q in page.items}

    if category_form is None:
        category_form = CategoryForm()
        category_form.parent.choices = _category_choices(categories, _("(top level category)"))
    filters = {key: value for key, value in chosen.items() if value}
    return render_template(
        "quizzes/banks/bank.html", bank=bank, rows=_category_rows(categories, counts),
        uncategorised=counts.get(None, 0), total=sum(counts.values()), tags=tags,
        categories=categories, chosen=chosen, filters=filters, page=page, excerpts=excerpts,
        qtypes=QTYPES, category_form=category_form)


# --- categories --------------------------------------------------------------------------------


def _path_taken(bank_id: int, path: str, category_id: int | None = None) -> bool:
    query = select(QuestionCategory.id).where(QuestionCategory.bank_id == bank_id,
                                              QuestionCategory.path == path)
    if category_id is not None:
        query = query.where(QuestionCategory.id != category_id)
    return db.session.scalar(query.limit(1)) is not None


@bp.post("/admin/banks/<int:bank_id>/categories")
def category_new(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    categories = _categories(bank)
    form = CategoryForm()
    form.parent.choices = _category_choices(categories, _("(top level category)"))
    if form.validate_on_submit():
        parent = next((c for c in categories if c.id == form.parent.data), None)
        path = (parent.path + CATEGORY_SEPARATOR if parent else "") + form.name.data
        if _path_taken(bank.id, path):
            form.name.errors.append(_("There is already a category of this name there."))
        elif len(path) > MAX_CATEGORY_PATH:
            form.name.errors.append(_("The category path is longer than %(n)d characters.",
                                      n=MAX_CATEGORY_PATH))
        else:
            category = QuestionCategory(bank_id=bank.id, parent=parent, name=form.name.data,
                                        path=path)
            db.session.add(category)
            db.session.flush()
            record("category.create", {"bank": bank.name, "category": path}, target=category)
            flash(_("Category %(path)s created.", path=path), "success")
            return redirect(url_for("banks.bank", bank_id=bank.id))
    return _bank_page(bank, form)


def _category_or_404(category_id: int) -> QuestionCategory:
    category = db.session.scalar(select(QuestionCategory).where(QuestionCategory.id == category_id)
                                 .options(joinedload(QuestionCategory.bank)))
    if category is None:
        abort(404)
    return category


@bp.route("/admin/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryRenameForm(obj=category)
    if form.validate_on_submit():
        old = category.path
        parent_path = old.rpartition(CATEGORY_SEPARATOR)[0]
        new = (parent_path + CATEGORY_SEPARATOR if parent_path else "") + form.name.data
        subtree = [c for c in _categories(category.bank)
                   if c.path == old or c.path.startswith(old + CATEGORY_SEPARATOR)]
        if new != old and _path_taken(category.bank_id, new):
            form.name.errors.append(_("There is already a category of this name there."))
        elif max(len(new) + len(c.path) - len(old) for c in subtree) > MAX_CATEGORY_PATH:
            form.name.errors.append(_("The category path is longer than %(n)d characters.",
                                      n=MAX_CATEGORY_PATH))
        else:
            category.name = form.name.data
            for member in subtree:  # the category and everything below it
                member.path = new + member.path[len(old):]
            record("category.rename", {"bank": category.bank.name, "old": old, "category": new},
                   target=category)
            flash(_("Category renamed to %(path)s.", path=new), "success")
            return redirect(url_for("banks.bank", bank_id=category.bank_id))
    return render_template("quizzes/banks/category_form.html", category=category, form=form,
                           confirm_form=ConfirmForm())


@bp.post("/admin/categories/<int:category_id>/delete")
def category_delete(category_id: int):
    category = _category_or_404(category_id)
    bank_id = category.bank_id
    if ConfirmForm().validate_on_submit():
        ids = _subtree_ids(_categories(category.bank), category)
        if _refused_in_use(category_ids=ids):
            return redirect(url_for("banks.bank", bank_id=bank_id))
        # Its questions (and those of its subcategories) stay in the bank, uncategorised.
        db.session.execute(update(Question).where(Question.category_id.in_(ids))
                           .values(category_id=None))
        record("category.delete", {"bank": category.bank.name, "category": category.path},
               target=category,
               details={"categories": len(ids)})
        flash(_("Category %(path)s deleted; its questions have no category now.",
                path=category.path), "success")
        db.session.execute(delete(QuestionCategory).where(QuestionCategory.id.in_(ids)))
    return redirect(url_for("banks.bank", bank_id=bank_id))


# --- questions ---------------------------------------------------------------------------------


def _question_or_404(question_id: int) -> Question:
    question = db.session.scalar(select(Question).where(Question.id == question_id)
                                 .options(joinedload(Question.bank),
                                          joinedload(Question.category),
                                          selectinload(Question.tags)))
    if question is None:
        abort(404)
    return question


def _idnumber_taken(bank_id: int, idnumber: str, question_id: int | None) -> bool:
    query = select(Question.id).where(Question.bank_id == bank_id, Question.idnumber == idnumber)
    if question_id is not None:
        query = query.where(Question.id != question_id)
    return db.session.scalar(query.limit(1)) is not None


def _as_shown(parsed) -> SimpleNamespace:
    """An unsaved question with the attributes the question templates read (nothing stored)."""
    fields, data = services.to_question_data(parsed)
    return SimpleNamespace(id=None, data=data, **fields)


def _question_page(form: QuestionForm, bank: QuestionBank, qtype: str,
                   categories: list[QuestionCategory], question: Question | None):
    """Shared by new and edit: validate, then preview (nothing saved) or save."""
    preview = None
    if form.validate_on_submit():
        category = next((c for c in categories if c.id == form.category.data), None)
        parsed = form.parsed(qtype, category.path if category else "")
        if parsed is not None and form.preview.data:
            preview = _as_shown(parsed)
        elif parsed is not None and not form.problems:
            if parsed.idnumber and _idnumber_taken(bank.id, parsed.idnumber,
                                                   question.id if question else None):
                form.idnumber.errors.append(_("Another question of this bank has this ID "
                                              "number."))
            else:
                question = _store_question(bank, question, parsed, category)
                flash(_("Question %(name)s saved.", name=parsed.display_name), "success")
                return redirect(url_for("banks.bank", bank_id=bank.id))
    return render_template("quizzes/banks/question_form.html", form=form, bank=bank,
                           qtype=qtype, question=question, preview=preview,
                           problems=getattr(form, "problems", []),
                           confirm_form=ConfirmForm())


def _store_question(bank: QuestionBank, question: Question | None, parsed,
                    category: QuestionCategory | None) -> Question:
    """Create or overwrite a question from the parsed form (texts rendered once, here)."""
    fields, data = services.to_question_data(parsed)
    created = question is None
    if question is None:
        question = Question(bank_id=bank.id, **fields)
        db.session.add(question)
    else:
        for key, value in fields.items():
            setattr(question, key, value)
    question.data = data  # a new dict, so the JSON column is written
    question.category = category
    names = list(dict.fromkeys(parsed.tags))
    tags = services.ensure_tags(set(names))
    question.tags = [tags[name] for name in names]
    db.session.flush()
    record("question.create" if created else "question.update",
           {"bank": bank.name, "question": parsed.display_name}, target=question)
    return question


def _room_for_more(form: QuestionForm) -> None:
    """Two empty rows after a stored question's answers, so that one more can be added."""
    for rows in (form.answers, form.numerical, form.pairs):
        wanted = min(MAX_ROWS, len(rows.object_data or []) + 2)
        while len(rows) < wanted:
            rows.append_entry()


@bp.route("/admin/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
def question_new(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    qtype = request.args.get("type", "")
    if qtype not in QTYPES:
        return render_template("quizzes/banks/question_type.html", bank=bank, qtypes=QTYPES)
    categories = _categories(bank)
    form = QuestionForm(category=request.args.get("category", 0, type=positive_int))
    form.category.choices = _category_choices(categories, _("(no category)"))
    return _question_page(form, bank, qtype, categories, None)


@bp.route("/admin/questions/<int:question_id>", methods=["GET", "POST"])
def question_edit(question_id: int):
    question = _question_or_404(question_id)
    categories = _categories(question.bank)
    form = QuestionForm(data=question_form_data(services.to_parsed(question),
                                                question.category_id))
    form.category.choices = _category_choices(categories, _("(no category)"))
    if not form.is_submitted():
        _room_for_more(form)
    return _question_page(form, question.bank, question.qtype, categories, question)


@bp.get("/admin/questions/<int:question_id>/preview")
def question_preview(question_id: int):
    question = _question_or_404(question_id)
    return render_template("quizzes/banks/preview.html", question=question,
                           bank=question.bank)


@bp.post("/admin/banks/<int:bank_id>/preview")
@preview_limit
def markup_preview(bank_id: int):
    """The question editor's live preview: a text in the chosen format, as saving renders it."""
    db.get_or_404(QuestionBank, bank_id)
    fmt = request.form.get("format", "markdown")
    if fmt not in TEXT_FORMATS:
        fmt = "moodle"  # what saving does with an unknown format
    return preview_answer(lambda text: services.render_text(text, fmt))


@bp.post("/admin/questions/<int:question_id>/delete")
def question_delete(question_id: int):
    question = _question_or_404(question_id)
    bank_id = question.bank_id
    if ConfirmForm().validate_on_submit():
        if _refused_in_use(question_ids=[question.id]):
            return redirect(url_for("banks.bank", bank_id=bank_id))
        name = services.to_parsed(question).display_name
        record("question.delete", {"bank": question.bank.name, "question": name},
               target=question)
        db.session.delete(question)
        flash(_("Question %(name)s deleted.", name=name), "success")
    return redirect(url_for("banks.bank", bank_id=bank_id))


# --- import and export -------------------------------------------------------------------------


def _staging_purpose(bank: QuestionBank) -> str:
    # Bound to the bank: a file checked against one bank cannot be applied to another.
    return f"bank-import-{bank.id}"


@bp.route("/admin/banks/<int:bank_id>/import", methods=["GET", "POST"])
def bank_import(bank_id: int):
    """Step 1: upload; the file is checked against the bank and kept, nothing is imported."""
    bank = db.get_or_404(QuestionBank, bank_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = Path(upload.filename or "").name[-200:]  # keeps the extension
        fmt = form.format.data or None
        plan = services.plan_import(bank.name, data, filename, fmt)
        token = None
        if plan.ok:
            token = staging.stage(current_user.id, _staging_purpose(bank), filename, data).token
        return render_template("quizzes/banks/import_plan.html", bank=bank, plan=plan,
                               apply_form=ImportApplyForm(token=token, format=fmt or ""))
    return render_template("quizzes/banks/import.html", bank=bank, form=form)


@bp.post("/admin/banks/<int:bank_id>/import/apply")
def bank_import_apply(bank_id: int):
    """Step 2: apply the staged file, all or nothing."""
    bank = db.get_or_404(QuestionBank, bank_id)
    form = ImportApplyForm()
    staged = staging.find(form.token.data or "", current_user.id, _staging_purpose(bank)) \
        if form.validate_on_submit() else None
    if staged is None:
        flash(_("The checked file has expired. Please upload it again."), "warning")
        return redirect(url_for("banks.bank_import", bank_id=bank.id))
    token, fmt = staged.token, form.format.data or None
    try:
        result = services.apply_import(bank.name, staged.content, staged.filename, fmt,
                                       skip_duplicates=form.skip_duplicates.data)
    except services.BankImportError as error:
        db.session.rollback()
        return render_template("quizzes/banks/import_plan.html", bank=bank, plan=error.plan,
                               apply_form=ImportApplyForm(token=token, format=fmt or ""),
                               refused=True), 422
    except IntegrityError:
        db.session.rollback()
        flash(_("The bank was changed by someone else at the same time. Nothing was "
                "imported; please check the file again."), "danger")
        return redirect(url_for("banks.bank_import", bank_id=bank.id))
    staging.discard(staged)
    record("bank.import", {"bank": bank.name, "file": staged.filename}, target=bank,
           details={"imported": result.imported, "skipped": result.skipped})
    flash(_("Imported %(count)d questions into %(name)s; %(skipped)d duplicates skipped.",
            count=result.imported, name=bank.name, skipped=result.skipped), "success")
    return redirect(url_for("banks.bank", bank_id=bank.id))


def _download(data: bytes, filename: str, fmt: str):
    # send_file writes the UTF-8 name as filename*=UTF-8''... next to an ASCII fallback.
    response = send_file(BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                         download_name=filename.translate(_UNSAFE_FILENAME))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/banks/<int:bank_id>/export")
def bank_export(bank_id: int):
    bank = db.get_or_404(QuestionBank, bank_id)
    fmt = request.args.get("format", "gift")
    if fmt not in services.EXPORT_FORMATS:
        abort(400)
    export = services.build_export(bank.name, fmt)
    return _download(export.data, f"{bank.name}.{FILE_SUFFIXES[fmt]}", fmt)


@bp.get("/admin/banks/template.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/admin/banks/template.csv", defaults={"fmt": "csv"})
def template(fmt: str):
    """The empty import template (题型, 题干, 选项A … 答案 …) with one example per type."""
    return _download(template_bytes(fmt), f"题库导入模板.{fmt}", fmt)
