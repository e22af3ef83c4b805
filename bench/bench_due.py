#!/usr/bin/env python3
"""What-is-due benchmark: server time of the work list and /api/v1/due for a big school.

    .venv/bin/python bench/bench_due.py            # 2,000 checkpoints, a year of ~1,000,000 checks
    .venv/bin/python bench/bench_due.py --quick    # 200 checkpoints, 20,000 checks

Builds (or reuses) the school of bench/_school.py in --folder (shared with bench_foundation.py),
copies it, adds the calendar and rounds tables (db.create_all), a term, two closure days and two
rounds, then times in-process with the Flask test client: GET /work as a guard (mine and
?all=1) and GET /api/v1/due (mine and ?all=1) with a bearer token. Target: median <= 100 ms.
Prints figures only; nothing passes or fails.
"""
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import _school  # noqa: E402

TARGET_MS = 100.0


def parse_args(argv=None):
    p = _school.parser(__doc__)
    p.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.checkpoints, args.checks, args.requests = 200, 20_000, 10
    return args


def prepare(app):
    """Calendar and rounds for the big school; returns the guard's username."""
    from inspect_app.extensions import db
    from inspect_app.models import CalendarDay, Checkpoint, Kind, Round, RoundStop, Term

    with app.app_context():
        db.create_all()  # the tables migrations do not know yet
        today = datetime.now(UTC).date()
        db.session.add(Term(name="本学期", first_date=today - timedelta(days=80),
                            last_date=today + timedelta(days=60)))
        for back in (9, 23):
            db.session.add(CalendarDay(day=today - timedelta(days=back), kind="closed", name="假日"))
        patrol = db.session.scalars(db.select(Checkpoint.id).join(Kind)
                                    .where(Kind.key == "patrol_point").order_by(Checkpoint.id)).all()
        for i, name in enumerate(("南校区晚间巡查", "北校区晚间巡查")):
            rnd = Round(name=name, weekdays=list(range(7)))
            rnd.stops = [RoundStop(checkpoint_id=cp, position=k)
                         for k, cp in enumerate(patrol[i * 40:(i + 1) * 40])]
            db.session.add(rnd)
        db.session.commit()
    return _school.GUARDS[0]


def timed(client, url, n, headers=None):
    client.get(url, headers=headers)  # warm up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1e3, sorted(times)[int(len(times) * 0.95) - 1] * 1e3, response


def main():
    args = parse_args()
    pristine, built = _school.ensure_school(args.folder, args.checkpoints, args.checks)
    print(f"school: {pristine.name}" + (f" (built in {built:.0f} s)" if built else " (reused)"))
    db_path = _school.working_copy(pristine, Path(args.folder) / "run-due")
    app = _school.make_app(db_path)
    app.config["RATELIMIT_ENABLED"] = False
    guard = prepare(app)
    from inspect_app.extensions import db
    from inspect_app.models import User
    from inspect_app.operations import add_token

    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == guard)).scalar_one()
        token = add_token(user, "bench")
        db.session.commit()
    browser = app.test_client()
    html = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert browser.post("/login", data={"username": guard, "password": _school.PASSWORD,
                                        "csrf_token": csrf}).status_code == 303
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"{'url':32} {'median ms':>10} {'p95 ms':>8}  items")
    for client, url, hdrs in [(browser, "/work", None), (browser, "/work?all=1", None),
                              (api, "/api/v1/due", headers), (api, "/api/v1/due?all=1", headers)]:
        median, p95, response = timed(client, url, args.requests, hdrs)
        items = len(response.json["items"]) if url.startswith("/api") else response.data.count(b"row-link")
        flag = "ok" if median <= TARGET_MS else f"over the {TARGET_MS:.0f} ms target"
        print(f"{url:32} {median:10.1f} {p95:8.1f}  {items:5d}  {flag}")


if __name__ == "__main__":
    main()
