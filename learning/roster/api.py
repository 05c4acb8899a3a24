"""API: roster import (admins), dry run or apply, same service as the web page and the CLI."""

from flask import request
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError

from learning.api import api_blueprint, api_requires
from learning.extensions import db
from learning.permissions import can_manage_users
from learning.roster import services

blp = api_blueprint("api_roster", __name__, "Roster import (admins)")


class RowErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String(allow_none=True)
    message = fields.String()


class RowChangeSchema(Schema):
    row = fields.Integer()
    username = fields.String()
    name = fields.String()
    unit_path = fields.String()
    role = fields.String()
    action = fields.String(metadata={"enum": ["new", "updated", "unchanged"]})
    changes = fields.List(fields.String())


class CredentialSchema(Schema):
    username = fields.String()
    name = fields.String()
    unit = fields.String()
    password = fields.String()


class RosterImportResultSchema(Schema):
    applied = fields.Boolean()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    errors = fields.List(fields.Nested(RowErrorSchema))
    warnings = fields.List(fields.Nested(RowErrorSchema),
                           metadata={"description": "values allowed but worth a second look "
                                     "(a name that starts like a spreadsheet formula)"})
    changes = fields.List(fields.Nested(RowChangeSchema))
    units_to_create = fields.List(fields.String())
    credentials = fields.List(fields.Nested(CredentialSchema),
                              metadata={"description": "new accounts' initial passwords, "
                                        "returned once on apply"})


class RosterImportArgs(Schema):
    dry_run = fields.Boolean(load_default=True,
                             metadata={"description": "check only (default); false applies"})


class RosterFileSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


def _row_notes(notes) -> list[dict]:
    return [{"row": n.row, "column": n.column, "message": str(n.message)} for n in notes]


def _plan_body(plan, applied: bool, credentials=None) -> dict:
    return {
        "applied": applied,
        "summary": plan.summary,
        "errors": _row_notes(plan.errors),
        "warnings": _row_notes(plan.warnings),
        "changes": [vars(change) for change in plan.changes],
        "units_to_create": plan.units_to_create,
        "credentials": credentials or [],
    }


@blp.post("/roster/import")
@api_requires(can_manage_users)
@blp.arguments(RosterImportArgs, location="query")
@blp.arguments(RosterFileSchema, location="files")
@blp.response(200, RosterImportResultSchema)
@blp.alt_response(422, schema=RosterImportResultSchema, description="the file has row errors")
def roster_import(args, files):
    """Check (dry_run=true, the default) or apply a roster CSV/XLSX file, all-or-nothing."""
    upload = request.files["file"]
    data = upload.read()
    try:
        if args["dry_run"]:
            plan = services.plan_import(data, upload.filename or "roster")
            return _plan_body(plan, applied=False), 200 if plan.ok else 422
        result = services.apply_import(data, upload.filename or "roster", actor=current_user)
    except services.RosterFileError as error:
        abort(400, message=str(error))
    except services.RosterImportError as error:
        db.session.rollback()
        return _plan_body(error.plan, applied=False), 422
    except IntegrityError:
        db.session.rollback()
        abort(409, message="The roster was changed concurrently; nothing was imported.")
    body = _plan_body(result.plan, applied=True, credentials=result.credentials)
    return body, 200, {"Cache-Control": "no-store"}  # initial passwords: never cached
