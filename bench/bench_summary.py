#!/usr/bin/env python3
"""Weekly summary benchmark: server time of the weekly summary for a big school.

    .venv/bin/python bench/bench_summary.py            # 2,000 checkpoints, a year, ~1,000,000 checks
    .venv/bin/python bench/bench_summary.py --quick    # smoke run: 200 checkpoints, 20,000 checks

1. Builds (or reuses) the school of bench/_school.py and copies it; adds a year of repairs
   (about 12 a school day, some hazards, most closed and rated, parts used) and a year of
   evening round runs, bulk-inserted.
2. Times, in-process with the Flask test client (the server's time, no network):
   GET /api/v1/summary/weekly (bearer token), GET /summary/weekly (the page, signed in),
   GET /summary/weekly.csv and GET /api/v1/summary/term (the last 120 days).
   Target for the weekly summary: median <= 300 ms on SQLite.

Prints figures only; nothing passes or fails.
"""
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, time as dtime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import _school  # noqa: E402

TARGET_MS = 300.0
CATEGORIES = ["lighting_electrical", "water", "doors_windows", "furniture", "sports", "other"]
PARTS = [("灯管", "根"), ("水龙头", "个"), ("门锁", "把"), ("插座", "个"), ("合页", "个")]


def parse_args(argv=None):
    p = _school.parser(__doc__)
    p.add_argument("--repairs-per-day", type=int, default=12)
    p.add_argument("--requests", type=int, default=15, help="timed requests per route")
    p.add_argument("--rebuild", action="store_true", help="build the school again")
    p.add_argument("--quick", action="store_true", help="200 checkpoints, 20,000 checks")
    args = p.parse_args(argv)
    if args.quick:
        args.checkpoints, args.checks, args.requests = 200, 20_000, 5
    return args


def add_history(app, rng, per_day):
    """A year of repairs (with events and parts) and of evening round runs; returns counts."""
    from sqlalchemy import insert

    from inspect_app.extensions import db
    from inspect_app.models import (Checkpoint, Repair, RepairEvent, RepairPart, Round, RoundRun,
                                    User)

    with app.app_context():
        cps = db.session.scalars(db.select(Checkpoint.id)).all()
        staff = db.session.scalars(db.select(User.id).where(User.role == "staff")).all()
        guards = db.session.scalars(db.select(User.id).where(User.role == "guard")).all()
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        repairs, events, parts = [], [], []
        next_id = (db.session.scalar(db.select(db.func.max(Repair.id))) or 0) + 1
        next_event = (db.session.scalar(db.select(db.func.max(RepairEvent.id))) or 0) + 1
        for day in range(365, 0, -1):
            for _ in range(rng.randint(per_day // 2, per_day * 3 // 2)):
                reported = end - timedelta(days=day, seconds=rng.randint(0, 86400))
                severity = rng.choices(["hazard", "major", "minor"], [1, 4, 10])[0]
                hours = rng.expovariate(1 / 30)
                closed = reported + timedelta(hours=hours + 2)
                open_now = closed > end or rng.random() < 0.03
                repairs.append({
                    "id": next_id, "uid": uuid.uuid4(), "checkpoint_id": rng.choice(cps),
                    "category": rng.choice(CATEGORIES), "severity": severity,
                    "description": "坏了", "status": "assigned" if open_now else "closed",
                    "source": "bench", "reporter_id": rng.choice(staff), "reported_at": reported,
                    "accepted_at": reported + timedelta(hours=1),
                    "due_at": reported + timedelta(days=0 if severity != "minor" else 3, hours=12),
                    "done_at": None if open_now else reported + timedelta(hours=hours),
                    "closed_at": None if open_now else closed,
                    "verified": None if open_now else True,
                    "rating": None if open_now or rng.random() < 0.3 else rng.choices(
                        [5, 4, 3, 2, 1], [50, 35, 8, 4, 3])[0],
                    "content_hash": "bench"})
                if not open_now:
                    events.append({"id": next_event, "repair_id": next_id, "action": "done",
                                   "at": reported + timedelta(hours=hours), "data": {},
                                   "from_status": "in_progress", "to_status": "done"})
                    if rng.random() < 0.6:
                        name, unit = rng.choice(PARTS)
                        parts.append({"repair_id": next_id, "event_id": next_event, "name": name,
                                      "unit": unit, "quantity": rng.randint(1, 4)})
                    next_event += 1
                next_id += 1
        db.session.execute(insert(Repair.__table__), repairs)
        db.session.execute(insert(RepairEvent.__table__), events)
        if parts:
            db.session.execute(insert(RepairPart.__table__), parts)
        rnd = Round(name="晚间巡查", window_start=dtime(17, 30), window_end=dtime(19, 30))
        db.session.add(rnd)
        db.session.flush()
        runs = []
        for day in range(365, 0, -1):
            start = end - timedelta(days=day, hours=rng.randint(0, 2))
            runs.append({"round_id": rnd.id, "user_id": rng.choice(guards),
                         "run_date": start.date(), "started_at": start,
                         "finished_at": start + timedelta(minutes=rng.randint(30, 90)),
                         "stop_count": 40, "visited_count": 40, "missed_count": rng.choice([0, 0, 1])})
        db.session.execute(insert(RoundRun.__table__), runs)
        db.session.commit()
        return len(repairs), len(parts), len(runs)


def timed(client, path, n, headers=None):
    """(median wall ms, slowest wall ms, median CPU ms, cold wall ms, bytes) of n GETs."""
    t = time.perf_counter()
    client.get(path, headers=headers)  # cold: templates, the planner's caches, ended weeks
    cold = (time.perf_counter() - t) * 1e3
    times, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200, (path, response.status_code)
    return (statistics.median(times) * 1e3, max(times) * 1e3, statistics.median(cpu) * 1e3,
            cold, len(response.data))


def main(argv=None):
    args = parse_args(argv)
    rng = random.Random(47)
    print(f"building or reusing the school ({args.checkpoints} checkpoints, {args.checks} checks)"
          " ...", flush=True)
    pristine, seconds = _school.ensure_school(args.folder, args.checkpoints, args.checks,
                                              rebuild=args.rebuild)
    print(f"  {pristine}" + (f" built in {seconds:.0f} s" if seconds else " (reused)"))
    db_path = _school.working_copy(pristine, Path(args.folder) / "run-summary")
    app = _school.make_app(db_path)
    repairs, parts, runs = add_history(app, rng, args.repairs_per_day)
    print(f"  added {repairs} repairs ({parts} with parts) and {runs} round runs")

    from inspect_app.extensions import db
    from inspect_app.models import User
    from inspect_app.operations import add_token

    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        token, admin_id = add_token(admin, "bench"), admin.id
        db.session.commit()
    api = app.test_client()
    page = app.test_client()
    with page.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(admin_id), True
    auth = {"Authorization": f"Bearer {token}"}
    cases = [("GET /api/v1/summary/weekly", api, "/api/v1/summary/weekly", auth),
             ("GET /summary/weekly (page)", page, "/summary/weekly", None),
             ("GET /summary/weekly.csv", page, "/summary/weekly.csv", None),
             ("GET /api/v1/summary/term (120 days)", api, "/api/v1/summary/term", auth)]
    print(f"\nserver time, in-process, {args.requests} requests each after one cold request "
          f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}):")
    print(f"  {'':<38} {'median':>9} {'slowest':>9} {'CPU':>9} {'cold':>9}")
    for name, client, path, headers in cases:
        median, worst, cpu, cold, size = timed(client, path, args.requests, headers)
        mark = ""
        if "weekly" in path and ".csv" not in path:
            mark = "  ok" if median <= TARGET_MS else f"  over the {TARGET_MS:.0f} ms target"
        print(f"  {name:<38} {median:6.0f} ms {worst:6.0f} ms {cpu:6.0f} ms {cold:6.0f} ms"
              f"  {size / 1024:4.0f} KiB{mark}")


if __name__ == "__main__":
    main()
