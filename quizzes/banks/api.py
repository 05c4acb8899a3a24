"""API: question banks (admins only): list, one bank's categories and counts, import with a dry
run, export.

The same services as the pages and the CLI (quizzes.banks.services): an import is checked in
full first and applied all-or-nothing; every problem names its line (GIFT, Aiken) or row
(XLSX, CSV). The upload is a multipart form, held to MAX_CONTENT_LENGTH (413) like the roster
import, and to the question files' own size limit (reported as a file error).
"""

from io import BytesIO
from pathlib import PurePath

from flask import request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learning.api import api_blueprint
from learning.audit.services import record
from learning.errors import json_error
from learning.extensions import db
from quizzes.banks import services
from quizzes.formats import AIKEN, GIFT, SHEET
from quizzes.formats.questions import QTYPES
from quizzes.models import CATEGORY_SEPARATOR, Question, QuestionBank, QuestionCategory
from quizzes.permissions import can_manage_quizzes

blp = api_blueprint("api_banks", __name__, "Question banks: import and export (admins)")

# What the uploader may name, and the format module that reads it (as the CLI's --format).
IMPORT_FORMATS = {"gift": GIFT, "aiken": AIKEN, "xlsx": SHEET, "csv": SHEET}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"gift": "text/plain; charset=utf-8", "xlsx": XLSX_MIME,
             "csv": "text/csv; charset=utf-8"}
_UNSAFE_FILENAME = str.maketrans({char: "_" for char in '\\/:*?"<>|'})


@blp.before_request
def _admins_only():
    # Runs after api_blueprint's log-in check (401 first): every bank endpoint is an authoring
    # one, checked once here so that a new route cannot forget it.
    if not can_manage_quizzes(current_user):
        return json_error(403)
    return None


# --- schemas --------------------------------------------------------------------------------


class BankSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    created_at = fields.DateTime()
    question_count = fields.Integer()


class BankCategorySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    path = fields.String(metadata={"description": 'names from the top, joined by "/"'})
    parent_id = fields.Integer(allow_none=True)
    question_count = fields.Integer(metadata={"description": "questions in this category"})
    total_count = fields.Integer(metadata={"description": "... and in its subcategories"})


class BankDetailSchema(BankSchema):
    uncategorised_count = fields.Integer()
    counts_by_type = fields.Dict(keys=fields.String(metadata={"enum": list(QTYPES)}),
                                 values=fields.Integer())
    categories = fields.List(fields.Nested(BankCategorySchema))


class BankImportFormSchema(Schema):
    # Documented here, read from request.files: one multipart body holds the file and the fields.
    file = fields.Raw(metadata={"type": "string", "format": "binary",
                                "description": "the question file (required)"})
    bank = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the bank's name; created when missing"})
    format = fields.String(load_default=None, validate=validate.OneOf(list(IMPORT_FORMATS)),
                           metadata={"description": "default: from the file's extension "
                                     "(.gift/.txt GIFT, .xlsx, .csv); Aiken must be named"})
    dry_run = fields.Boolean(load_default=True,
                             metadata={"description": "check only (default); false applies"})
    skip_duplicates = fields.Boolean(
        load_default=False, metadata={"description": "skip questions already in the bank or "
                                      "repeated in the file"})


class ImportProblemSchema(Schema):
    line = fields.Integer(allow_none=True, metadata={"description": "GIFT/Aiken: the line of "
                                                     "the question (0: the whole file)"})
    at_line = fields.Integer(allow_none=True,
                             metadata={"description": "the exact line, when it differs"})
    row = fields.Integer(allow_none=True, metadata={"description": "XLSX/CSV: the row"})
    column = fields.String(allow_none=True)
    message = fields.String()
    text = fields.String(metadata={"description": "the whole message, saying where"})


class ImportDuplicateSchema(Schema):
    line = fields.Integer(allow_none=True)
    row = fields.Integer(allow_none=True)
    in_bank = fields.Boolean(metadata={"description": "repeats a question of the bank (blocks "
                                       "the import unless duplicates are skipped)"})
    question_id = fields.Integer(allow_none=True, metadata={"description": "the bank's question"})
    first = fields.Integer(allow_none=True,
                           metadata={"description": "the earlier line/row of the file"})
    text = fields.String()


class BankImportResultSchema(Schema):
    applied = fields.Boolean()
    blocked = fields.Boolean(metadata={"description": "applying would be refused"})
    message = fields.String()
    bank_id = fields.Integer(allow_none=True)
    bank_name = fields.String()
    bank_exists = fields.Boolean(metadata={"description": "before this import"})
    format = fields.String(allow_none=True, metadata={"enum": [GIFT, AIKEN, SHEET]})
    questions = fields.Integer(metadata={"description": "questions read without problems"})
    to_import = fields.Integer(metadata={"description": "questions stored (or to be stored)"})
    skipped = fields.Integer(metadata={"description": "duplicates left out"})
    errors = fields.List(fields.Nested(ImportProblemSchema))
    duplicates = fields.List(fields.Nested(ImportDuplicateSchema))
    categories_to_create = fields.List(fields.String())


class ExportArgsSchema(Schema):
    format = fields.String(load_default="gift", validate=validate.OneOf(services.EXPORT_FORMATS))


# --- helpers --------------------------------------------------------------------------------


def _question_counts() -> dict[int, int]:
    return dict(db.session.execute(
        select(Question.bank_id, func.count()).group_by(Question.bank_id)).all())


def _bank_body(bank: QuestionBank, count: int) -> dict:
    return {"id": bank.id, "name": bank.name, "description": bank.description,
            "created_at": bank.created_at, "question_count": count}


def _category_rows(bank: QuestionBank) -> tuple[list[dict], int]:
    """Every category with its own and its subtree's question count; and the uncategorised."""
    categories = db.session.scalars(select(QuestionCategory).where(
        QuestionCategory.bank_id == bank.id).order_by(QuestionCategory.path)).all()
    own = dict(db.session.execute(
        select(Question.category_id, func.count()).where(Question.bank_id == bank.id)
        .group_by(Question.category_id)).all())
    rows = []
    for category in categories:
        prefix = category.path + CATEGORY_SEPARATOR
        total = sum(own.get(other.id, 0) for other in categories
                    if other.id == category.id or other.path.startswith(prefix))
        rows.append({"id": category.id, "name": category.name, "path": category.path,
                     "parent_id": category.parent_id,
                     "question_count": own.get(category.id, 0), "total_count": total})
    return rows, own.get(None, 0)


def _where(plan: services.BankImportPlan, number: int | None) -> dict:
    """A position as `row` for a spreadsheet, `line` for a text file."""
    return {"row": number, "line": None} if plan.by_row else {"line": number, "row": None}


def _plan_body(plan: services.BankImportPlan, skip_duplicates: bool, *, applied: bool,
               bank_id: int | None, message: str) -> dict:
    to_import = len(plan.to_import(skip_duplicates))
    duplicate_texts = plan.duplicate_messages()
    return {
        "applied": applied,
        "blocked": plan.blocked(skip_duplicates),
        "message": message,
        "bank_id": bank_id,
        "bank_name": plan.bank_name,
        "bank_exists": plan.bank_exists,
        "format": plan.fmt,
        "questions": len(plan.questions),
        "to_import": to_import,
        "skipped": len(plan.questions) - to_import,
        "errors": [{**_where(plan, error.line), "at_line": error.at_line,
                    "column": error.column, "message": str(error.message), "text": str(error)}
                   for error in plan.errors],
        "duplicates": [{**_where(plan, d.line), "in_bank": d.in_bank,
                        "question_id": d.question_id, "first": d.first_line, "text": text}
                       for d, text in zip(plan.duplicates, duplicate_texts, strict=True)],
        "categories_to_create": plan.categories_to_create,
    }


def _upload_name(filename: str, fmt: str | None) -> str:
    """The file's own name, with the extension the uploader's chosen sheet format implies
    (the sheet reader tells XLSX from CSV by the extension)."""
    name = PurePath(filename or "questions").name[-200:] or "questions"
    if fmt in ("xlsx", "csv") and PurePath(name).suffix.lower() != f".{fmt}":
        name = f"{PurePath(name).stem or 'questions'}.{fmt}"
    return name


def _blocked_message(plan: services.BankImportPlan) -> str:
    if plan.errors:
        return _("%(count)d errors; nothing was imported.", count=len(plan.errors))
    return _("%(count)d questions are already in the bank; nothing was imported (skip "
             "duplicates to import the others).",
             count=sum(1 for d in plan.duplicates if d.in_bank))


# --- endpoints ------------------------------------------------------------------------------


@blp.get("/banks")
@blp.response(200, BankSchema(many=True))
def list_banks():
    """Every question bank with its number of questions."""
    counts = _question_counts()
    banks = db.session.scalars(select(QuestionBank).order_by(QuestionBank.name))
    return [_bank_body(bank, counts.get(bank.id, 0)) for bank in banks]


@blp.get("/banks/<int:bank_id>")
@blp.response(200, BankDetailSchema)
def get_bank(bank_id: int):
    """A bank: its categories (with question counts, own and with subcategories) and the
    number of questions of each type."""
    bank = db.get_or_404(QuestionBank, bank_id)
    categories, uncategorised = _category_rows(bank)
    by_type = dict(db.session.execute(
        select(Question.qtype, func.count()).where(Question.bank_id == bank.id)
        .group_by(Question.qtype)).all())
    return {**_bank_body(bank, sum(by_type.values())), "uncategorised_count": uncategorised,
            "counts_by_type": by_type, "categories": categories}


@blp.post("/banks/import")
@blp.arguments(BankImportFormSchema, location="form", content_type="multipart/form-data")
@blp.response(200, BankImportResultSchema)
@blp.alt_response(422, schema=BankImportResultSchema,
                  description="the file has errors (each with its line or row); nothing written")
@blp.alt_response(409, schema=BankImportResultSchema,
                  description="questions already in the bank and duplicates not skipped")
def import_bank(args):
    """Check (dry_run=true, the default) or apply a GIFT, Aiken, XLSX or CSV question file.

    Applying is all-or-nothing: any error, or a question already in the bank (unless
    skip_duplicates), refuses the whole file.
    """
    upload = request.files.get("file")
    if upload is None:
        abort(422, message=_("Choose a file."),
              errors={"files": {"file": [_("Choose a file.")]}})
    data = upload.read()
    fmt, skip = args["format"], args["skip_duplicates"]
    filename = _upload_name(upload.filename or "", fmt)
    plan = services.plan_import(args["bank"], data, filename, IMPORT_FORMATS.get(fmt or ""))
    if args["dry_run"]:
        bank = services.get_bank(plan.bank_name) if plan.bank_exists else None
        message = (_blocked_message(plan) if plan.blocked(skip) else
                   _("Dry run: %(count)d questions would be imported; nothing was changed.",
                     count=len(plan.to_import(skip))))
        body = _plan_body(plan, skip, applied=False, bank_id=bank.id if bank else None,
                          message=message)
        return body, 200 if plan.ok else 422
    try:
        result = services.apply_import(args["bank"], data, filename,
                                       IMPORT_FORMATS.get(fmt or ""), skip_duplicates=skip)
    except services.BankImportError as error:
        db.session.rollback()
        body = _plan_body(error.plan, skip, applied=False, bank_id=None,
                          message=_blocked_message(error.plan))
        return body, 422 if error.plan.errors else 409
    except IntegrityError:  # another import created the bank or a question at the same time
        db.session.rollback()
        abort(409, message=_("The bank was changed by someone else at the same time; nothing "
                             "was imported. Please try again."))
    record("bank.import", {"bank": result.bank.name, "file": filename}, target=result.bank,
           details={"imported": result.imported, "skipped": result.skipped, "api": True})
    message = _("Imported %(count)d questions into %(name)s; %(skipped)d duplicates skipped.",
                count=result.imported, name=result.bank.name, skipped=result.skipped)
    return _plan_body(result.plan, skip, applied=True, bank_id=result.bank.id, message=message)


@blp.get("/banks/<int:bank_id>/export")
@blp.arguments(ExportArgsSchema, location="query")
@blp.doc(responses={"200": {
    "description": "the bank as a GIFT, XLSX or CSV file (an attachment)",
    "content": {mime: {"schema": {"type": "string", "format": "binary"}}
                for mime in MIMETYPES.values()}}})
def export_bank(args, bank_id: int):
    """The bank as GIFT (every question type) or the XLSX/CSV template (the types it holds;
    the header X-Left-Out counts the questions it could not hold)."""
    bank = db.get_or_404(QuestionBank, bank_id)
    fmt = args["format"]
    export = services.build_export(bank.name, fmt)
    # send_file writes the UTF-8 name as filename*=UTF-8''... next to an ASCII fallback.
    response = send_file(BytesIO(export.data), mimetype=MIMETYPES[fmt], as_attachment=True,
                         download_name=f"{bank.name}.{fmt}".translate(_UNSAFE_FILENAME))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Left-Out"] = str(len(export.skipped))
    return response
