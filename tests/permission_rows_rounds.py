"""Permission rows for my work, rounds and runs, the manager's plan pages and their API."""
from datetime import timedelta

from inspect_app.extensions import db
from inspect_app.models import (CalendarDay, Checkpoint, Round, RoundRun, RoundStop, Term, User,
                                utcnow)

from .permission_table import row


WORKERS = row(302, 403, 200, 200, 200)
ADMIN_PAGE = row(302, 403, 403, 403, 200)
ADMIN_FORM = row(302, 403, 403, 403, 422)  # an empty form is refused
ADMIN_DONE = row(302, 403, 403, 403, 303)
API_READ = row(401, 403, 200, 200, 200)

ROWS = {
    ("rounds.work", "GET"): WORKERS,
    ("rounds.index", "GET"): WORKERS,
    ("rounds.show", "GET"): WORKERS,
    ("rounds.start", "POST"): row(302, 403, 303, 303, 303),
    ("rounds.run", "GET"): WORKERS,
    # the run in url_values is the guard's: staff may not finish it
    ("rounds.finish", "POST"): row(302, 403, 303, 403, 303),
    ("admin.index", "GET"): ADMIN_PAGE,
    ("admin.kinds", "GET"): ADMIN_PAGE,
    ("admin.kind_schedule", "POST"): ADMIN_FORM,
    ("admin.checkpoints", "GET"): ADMIN_PAGE,
    ("admin.checkpoint_schedule", "GET"): ADMIN_PAGE,
    ("admin.checkpoint_schedule", "POST"): ADMIN_FORM,
    ("admin.calendar", "GET"): ADMIN_PAGE,
    ("admin.add_term", "POST"): ADMIN_FORM,
    ("admin.delete_term", "POST"): ADMIN_DONE,
    ("admin.add_days", "POST"): ADMIN_FORM,
    ("admin.delete_day", "POST"): ADMIN_DONE,
    ("admin.closed_weekdays", "POST"): ADMIN_DONE,  # no box ticked: open every weekday
    ("admin.rounds", "GET"): ADMIN_PAGE,
    ("admin.new_round", "GET"): ADMIN_PAGE,
    ("admin.new_round", "POST"): ADMIN_FORM,
    ("admin.edit_round", "GET"): ADMIN_PAGE,
    ("admin.edit_round", "POST"): ADMIN_FORM,
    ("admin.delete_round", "POST"): ADMIN_DONE,
    ("api.get_due", "GET"): API_READ,
    ("api.list_rounds", "GET"): API_READ,
    ("api.get_round", "GET"): API_READ,
    ("api.list_runs", "GET"): API_READ,
    ("api.get_run", "GET"): API_READ,
    # the page's start (registered earlier) already started the run: the API returns it, 200
    ("api.start_round_run", "POST"): API_READ,
    ("api.finish_round_run", "POST"): row(401, 403, 200, 403, 200),
}


def url_values(app):
    """A round of the school's gate with a finished run by the guard, a term and a holiday."""
    with app.app_context():
        guard = db.session.execute(db.select(User).where(User.username == "guard")).scalar_one()
        gate = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "南门")).scalar_one()
        rnd = Round(name="南校区晚间巡查", weekdays=list(range(7)))
        rnd.stops = [RoundStop(checkpoint_id=gate.id, position=0)]
        db.session.add(rnd)
        db.session.flush()
        now = utcnow()
        run = RoundRun(round_id=rnd.id, user_id=guard.id, run_date=now.date(),
                       started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=1),
                       stop_count=1, visited_count=0, missed_count=1, out_of_order_count=0)
        term = Term(name="秋季学期", first_date=now.date() - timedelta(days=60),
                    last_date=now.date() + timedelta(days=60))
        day = CalendarDay(day=now.date() + timedelta(days=3), kind="closed", name="校庆")
        db.session.add_all([run, term, day])
        db.session.commit()
        kind_id = gate.kind_id
        return {"round_id": rnd.id, "run_id": run.id, "term_id": term.id, "day_id": day.id,
                "kind_id": kind_id}
