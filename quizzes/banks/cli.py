"""Command-line tools: `flask --app wsgi bank import | export`.

An import runs as one transaction: it commits at the end or, on any error, writes nothing.
"""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from learning.cli import in_default_locale
from learning.extensions import db

bank_cli = AppGroup("bank", help="Import and export question banks.")

IMPORT_FORMATS = {"gift": "gift", "aiken": "aiken", "xlsx": "sheet", "csv": "sheet"}


@bank_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True,
              help="The bank to import into (created if missing).")
@click.option("--format", "fmt", type=click.Choice(sorted(IMPORT_FORMATS)),
              help="The file's format (default: from its extension; Aiken needs --format aiken).")
@click.option("--dry-run", is_flag=True, help="Only check the file and report what would happen.")
@click.option("--skip-duplicates", is_flag=True,
              help="Skip questions already in the bank or repeated in the file.")
@in_default_locale
def bank_import_command(file: Path, bank_name: str, fmt: str | None, dry_run: bool,
                        skip_duplicates: bool) -> None:
    """Import FILE (GIFT, Aiken, XLSX or CSV) into a bank, all-or-nothing.

    Exits non-zero, having written nothing, when the file has any error or repeats questions
    already in the bank (unless --skip-duplicates).
    """
    from quizzes.banks import services

    data = file.read_bytes()
    plan = services.plan_import(bank_name, data, file.name, IMPORT_FORMATS.get(fmt or ""))
    for message in plan.error_messages():
        click.echo(f"{file.name}: {message}", err=True)
    for message in plan.duplicate_messages():
        click.echo(f"{file.name}: {message}", err=True)
    if not skip_duplicates and any(not d.in_bank for d in plan.duplicates):
        click.echo(_("Questions repeated within the file are imported as often as they appear; "
                     "use --skip-duplicates to import them once."), err=True)
    blocked = plan.blocked(skip_duplicates)
    if blocked:
        db.session.rollback()
        if plan.errors:
            raise click.ClickException(
                _("%(count)d errors; nothing was imported.", count=len(plan.errors)))
        raise click.ClickException(
            _("%(count)d questions are already in the bank; nothing was imported "
              "(use --skip-duplicates to import the others).",
              count=sum(1 for d in plan.duplicates if d.in_bank)))

    count = len(plan.to_import(skip_duplicates))
    skipped = len(plan.questions) - count
    if not plan.bank_exists:
        click.echo(_("The bank %(name)s does not exist and will be created.", name=plan.bank_name)
                   if dry_run else _("Created the bank %(name)s.", name=plan.bank_name))
    for path in plan.categories_to_create:
        click.echo(_("  new category: %(path)s", path=path))
    if dry_run:
        db.session.rollback()
        click.echo(_("Dry run: %(count)d questions would be imported, %(skipped)d duplicates "
                     "skipped; nothing was changed.", count=count, skipped=skipped))
        return
    result = services.apply_import(plan.bank_name, data, file.name,
                                   IMPORT_FORMATS.get(fmt or ""),
                                   skip_duplicates=skip_duplicates)
    db.session.commit()
    click.echo(_("Imported %(count)d questions into %(name)s, %(skipped)d duplicates skipped.",
                 count=result.imported, name=result.bank.name, skipped=result.skipped))


@bank_cli.command("export")
@click.option("--bank", "bank_name", required=True, help="The bank to export.")
@click.option("--format", "fmt", type=click.Choice(["gift", "xlsx", "csv"]), required=True,
              help="GIFT holds every question type; the XLSX/CSV template holds 单选, 多选, "
                   "判断, 填空 and 简答.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write.")
@in_default_locale
def bank_export_command(bank_name: str, fmt: str, output: Path) -> None:
    """Export a bank to a GIFT, XLSX or CSV file."""
    from quizzes.banks import services

    try:
        export = services.build_export(bank_name, fmt)
    except services.BankNotFound as error:
        raise click.ClickException(str(error.message)) from error
    output.write_bytes(export.data)
    for question, reason in export.skipped:
        click.echo(_("left out: %(name)s: %(reason)s", name=question.display_name,
                     reason=reason), err=True)
    click.echo(_("Wrote %(path)s.", path=str(output)))
