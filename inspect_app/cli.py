"""Commands: flask --app inspect_app demo | user | token | checkpoints."""
import io
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .extensions import db
from .importer import export_checkpoints, import_checkpoints, read_csv
from .labels import DEFAULT_LAYOUT
from .models import ROLES, User
from .operations import ValidationFailed, add_token, create_user

user_cli = AppGroup("user", help="People who sign in.")
token_cli = AppGroup("token", help="API tokens.")
checkpoints_cli = AppGroup("checkpoints", help="Checkpoints as CSV.")
labels_cli = AppGroup("labels", help="QR label sheets.")


def _read_password():
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@user_cli.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="", help="The name people see.")
def user_add(username, role, display_name):
    """Add a user; the password is prompted for, or read from standard input."""
    try:
        user = create_user(username, role, _read_password(), display_name)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"added {user.username} ({user.role})")


@user_cli.command("list")
def user_list():
    """List users."""
    for user in db.session.scalars(db.select(User).order_by(User.username)):
        state = "" if user.active else " (inactive)"
        click.echo(f"{user.username}\t{user.role}\t{user.display_name}{state}")


@token_cli.command("add")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
def token_add(username, name):
    """Create an API token for USERNAME and print it (it is shown only once)."""
    user = db.session.execute(
        db.select(User).where(User.username == username.lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no user named {username}")
    token = add_token(user, name)
    db.session.commit()
    click.echo(token)


@checkpoints_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def checkpoints_import(file, dry_run):
    """Create or update checkpoints from a CSV file (all or nothing)."""
    try:
        rows = read_csv(file.read())
    except ValueError as exc:
        raise click.ClickException(f"{file.name}: {exc}")
    report = import_checkpoints(rows, dry_run=dry_run)
    if not report.ok:
        db.session.rollback()
        for number, message in report.errors:
            click.echo(f"{file.name}: row {number}: {message}", err=True)
        raise click.ClickException(f"{len(report.errors)} problem(s); nothing was imported")
    if dry_run:
        click.echo("dry run, nothing changed:")
    else:
        db.session.commit()
    click.echo(f"created {len(report.created)}, updated {len(report.updated)}, "
               f"unchanged {report.unchanged}")
    for code in report.created:
        click.echo(f"  + {code}")
    for code in report.updated:
        click.echo(f"  ~ {code}")


@checkpoints_cli.command("export")
def checkpoints_export():
    """Write all checkpoints as CSV to standard output."""
    out = io.StringIO()
    export_checkpoints(out)
    click.echo(out.getvalue(), nl=False)


@labels_cli.command("print")
@click.option("--kind", help="Only checkpoints of this kind (key, e.g. fire_extinguisher).")
@click.option("--location", help="Only checkpoints in this place and below, e.g. 北校区/启慧楼.")
@click.option("--code", "codes_", multiple=True, help="Only these codes (repeatable).")
@click.option("--layout", default=DEFAULT_LAYOUT, show_default=True)
@click.option("--start", default=1, show_default=True, help="First position on the sheet.")
@click.option("--blank", default=0, show_default=True, help="Blank labels to add at the end.")
@click.option("--none", "blank_only", is_flag=True, help="No checkpoints, only blank labels.")
@click.option("--out", type=click.Path(dir_okay=False), help="PDF file (default: labels/printed/).")
def labels_print(kind, location, codes_, layout, start, blank, blank_only, out):
    """Write a print-ready PDF of QR labels."""
    from pathlib import Path

    from .label_sheets import print_sheets, select_checkpoints
    from .labels import LabelError

    checkpoints = [] if blank_only else select_checkpoints(kind, location, list(codes_))
    try:
        pdf = print_sheets(checkpoints, layout, start=start, blank=blank)
    except LabelError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    path = Path(out) if out else Path(current_app.config["LABEL_FOLDER"], "printed",
                                      f"labels-{layout}.pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # never a half-written PDF
    db.session.commit()
    click.echo(f"{len(checkpoints)} labels and {blank} blank labels on {layout} -> {path}")


@labels_cli.command("calibrate")
@click.option("--layout", default=DEFAULT_LAYOUT, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False))
def labels_calibrate(layout, out):
    """Write the calibration page for a layout."""
    from pathlib import Path

    from .label_sheets import printer_offset
    from .labels import LabelError, load_layout, render_calibration

    try:
        sheet = load_layout(layout, current_app.config["LABEL_FOLDER"])
    except LabelError as exc:
        raise click.ClickException(str(exc))
    path = Path(out or Path(current_app.config["LABEL_FOLDER"], "printed", f"calibration-{layout}.pdf"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_calibration(sheet, printer_offset(sheet.key)))
    click.echo(str(path))


@labels_cli.command("layouts")
def labels_layouts():
    """List the sheet layouts (files in labels/)."""
    from .labels import list_layouts

    for layout in list_layouts(current_app.config["LABEL_FOLDER"]):
        click.echo(f"{layout.key}\t{layout.per_page} per page\t{layout.name}")


@labels_cli.command("replace")
@click.argument("code")
@click.option("--reason", default="")
def labels_replace(code, reason):
    """Retire CODE (a torn or stolen label) and give its checkpoint a new code."""
    from .label_sheets import replace_label
    from .operations import lookup_checkpoint

    cp = lookup_checkpoint(code)
    if cp is None:
        raise click.ClickException(f"no checkpoint has the code {code}")
    new = replace_label(cp, reason)
    db.session.commit()
    click.echo(new)


@click.command("demo")
@with_appcontext
@click.option("--days", default=28, show_default=True, help="Days of past checks.")
def demo_command(days):
    """Load the demo school (safe to run twice)."""
    from .demo import load_demo

    summary = load_demo(days=days)
    db.session.commit()
    click.echo(summary)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the tables without migrations (tests and throwaway databases)."""
    db.create_all()
    click.echo(f"tables created in {current_app.config['SQLALCHEMY_DATABASE_URI']}")


def init_app(app):
    """Register the commands."""
    for command in (user_cli, token_cli, checkpoints_cli, labels_cli, demo_command,
                    init_db_command):
        app.cli.add_command(command)
    from .repairs import repairs_cli

    app.cli.add_command(repairs_cli)
