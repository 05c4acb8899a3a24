"""Admin page for roster import: upload, dry run, apply, download initial passwords."""

from io import BytesIO

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from learning import staging
from learning.extensions import db
from learning.permissions import can_manage_users, require, require_role
from learning.roster import services
from learning.roster.forms import RosterApplyForm, RosterUploadForm
from learning.workbooks import table_xlsx

bp = Blueprint("roster", __name__, url_prefix="/admin/roster")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def _admins_only():
    require_role(can_manage_users(current_user))


@bp.route("/", methods=["GET", "POST"])
def upload():
    """Step 1: upload; the file is checked and kept for the apply step, nothing is imported."""
    form = RosterUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            plan = services.plan_import(data, upload.filename)
        except services.RosterFileError as error:
            form.file.errors.append(str(error))
        else:
            token = None
            if plan.ok:
                token = staging.stage(current_user.id, "roster-import", upload.filename,
                                      data).token
            return render_template("roster/plan.html", plan=plan,
                                   apply_form=RosterApplyForm(token=token))
    return render_template("roster/upload.html", form=form)


@bp.post("/apply")
def apply():
    """Step 2: apply the staged file, all or nothing."""
    form = RosterApplyForm()
    staged = staging.find(form.token.data or "", current_user.id, "roster-import") \
        if form.validate_on_submit() else None
    if staged is None:
        flash(_("The checked file has expired. Please upload it again."), "warning")
        return redirect(url_for("roster.upload"))
    try:
        result = services.apply_import(staged.content, staged.filename, actor=current_user)
    except services.RosterImportError as error:
        db.session.rollback()
        return render_template("roster/plan.html", plan=error.plan, apply_form=None), 422
    except IntegrityError:
        db.session.rollback()
        flash(_("The roster was changed by someone else at the same time. "
                "Nothing was imported; please check the file again."), "danger")
        return redirect(url_for("roster.upload"))
    staging.discard(staged)
    download = None
    if result.credentials:
        download = staging.stage(current_user.id, "roster-credentials", "initial-passwords.xlsx",
                                 services.credentials_xlsx(result.credentials)).token
    flash(_("The roster has been imported."), "success")
    response = make_response(render_template("roster/done.html", result=result,
                                             download=download))
    response.headers["Cache-Control"] = "no-store"  # the passwords are shown once, not cached
    return response


@bp.get("/passwords/<token>")
def passwords(token: str):
    """The new members' initial passwords as XLSX; served once, then deleted."""
    staged = staging.find(token, current_user.id, "roster-credentials")
    require(staged is not None)
    content, filename = staged.content, staged.filename
    staging.discard(staged)
    response = send_file(BytesIO(content), mimetype=XLSX_MIME, as_attachment=True,
                         download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/template.xlsx")
def template():
    """An empty roster file with the expected headers and one example row."""
    content = table_xlsx("名单", ["姓名", "用户名", "所属组织", "角色", "手机号"],
                         (12, 18, 40, 10, 14),
                         [["张三", "zhangsan", "某某团委/第一团支部/第一学习小组", "成员",
                           "13800138000"]])
    return send_file(BytesIO(content), mimetype=XLSX_MIME, as_attachment=True,
                     download_name="roster-template.xlsx")
