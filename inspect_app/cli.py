"""Commands: flask --app inspect_app demo | user | token | checkpoints."""
import io
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .extensions import db
from .importer import export_checkpoints, import_checkpoints, read_csv
from .models import ROLES, User
from .operations import ValidationFailed, add_token, create_user

user_cli = AppGroup("user", help="People who sign in.")
token_cli = AppGroup("token", help="API tokens.")
checkpoints_cli = AppGroup("checkpoints", help="Checkpoints as CSV.")


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
    for command in (user_cli, token_cli, checkpoints_cli, demo_command, init_db_command):
        app.cli.add_command(command)
