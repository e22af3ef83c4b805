#!/usr/bin/env python3
"""Foundation benchmark: a big school, server time per request, and durable throughput.

    .venv/bin/python bench/bench_foundation.py            # 2,000 checkpoints, ~1,000,000 checks
    .venv/bin/python bench/bench_foundation.py --quick    # smoke run: 200 / 20,000 / 3 s

1. Builds (or reuses) a school in --folder: the catalogue through the app's own importer,
   a year of checks bulk-inserted. The pristine database is copied for every run.
2. Server time, in-process with the Flask test client: GET /q/<code> (a signed-in guard and
   an anonymous visitor) and POST /api/v1/checks with a bearer token. Target: median <= 15 ms.
3. Throughput over loopback, every server under gunicorn -c python:inspect_app.gunicorn_config:
   (a) a bare Flask route, (b) a bare Flask route doing one durable SQLite insert of the same
   JSON (bench/bare_app.py), (c) POST /api/v1/checks with a token. Target: c/b >= 0.5.
   After (c) the new rows in `checks` are counted against the 201 answers.

Prints figures only; nothing passes or fails.
"""
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import _http  # noqa: E402
import _school  # noqa: E402

TARGET_MS = 15.0
TARGET_RATIO = 0.5


def parse_args(argv=None):
    p = _school.parser(__doc__)
    p.add_argument("--seconds", type=int, default=10, help="wrk duration per target")
    p.add_argument("--requests", type=int, default=300,
                   help="timed requests per route for the server-time medians")
    p.add_argument("--connections", type=int, default=16, help="wrk -c (default %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="wrk -t (default %(default)s)")
    p.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto",
                   help="load generator; auto = wrk if installed, else Python threads")
    p.add_argument("--rebuild", action="store_true", help="build the school again")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 200 checkpoints, 20,000 checks, 3 s per target")
    p.add_argument("--skip-throughput", action="store_true", help="only build and time")
    args = p.parse_args(argv)
    if args.quick:
        args.checkpoints, args.checks, args.seconds = 200, 20_000, 3
        args.requests = min(args.requests, 100)
    return args


def ms(values):
    """(median, p95) in milliseconds of a list of seconds."""
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return statistics.median(values) * 1e3, p95 * 1e3


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def observed_now():
    """Now in the school's time zone, ISO 8601 with its offset (as a phone sends it)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")


def prepare(db_path, rng, sample=500):
    """A bearer token for a guard, and (code, items JSON) for a sample of checkpoints."""
    from inspect_app.extensions import db
    from inspect_app.models import Checkpoint, User
    from inspect_app.operations import add_token

    app = _school.make_app(db_path)
    with app.app_context():
        guard = db.session.execute(db.select(User).where(User.username == "guard01")).scalar_one()
        token = add_token(guard, "bench")
        db.session.commit()
        cps = db.session.scalars(db.select(Checkpoint)
                                 .where(Checkpoint.status == "in_service")).all()
        bodies = [(cp.code, json.dumps({i.key: "ok" for i in cp.kind.active_items}))
                  for cp in rng.sample(cps, min(sample, len(cps)))]
        guard_id = guard.id
    return app, token, bodies, guard_id


def server_times(app, token, bodies, guard_id, n, rng):
    """Time GET /q/<code> and POST /api/v1/checks in-process.

    Returns {name: (median ms, p95 ms, median CPU ms, responses with an unexpected status)}."""
    signed_in, anonymous = app.test_client(), app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(guard_id), True
    auth = {"Authorization": f"Bearer {token}"}

    def get_page(client):
        return client.get(f"/q/{rng.choice(bodies)[0]}")

    def post_check(client):
        code, items = rng.choice(bodies)
        return client.post("/api/v1/checks", headers=auth, json={
            "id": str(uuid.uuid4()), "checkpoint": code, "observed_at": observed_now(),
            "items": json.loads(items)})

    cases = [("GET /q/<code> (guard signed in)", get_page, signed_in, 200),
             ("GET /q/<code> (anonymous)", get_page, anonymous, 200),
             ("POST /api/v1/checks (token)", post_check, anonymous, 201)]
    results = {}
    for name, call, client, expected in cases:
        for _ in range(max(20, n // 10)):  # warm up: templates, caches, pages
            call(client)
        times, cpu, odd = [], [], 0
        for _ in range(n):
            t, c = time.perf_counter(), time.process_time()
            response = call(client)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            odd += response.status_code != expected
        results[name] = (*ms(times), statistics.median(cpu) * 1e3, odd)
    return results


def count_rows(db_path, table):
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def settle(db_path, table, quiet=0.5, limit=15):
    """Row count once the requests cut off by the last load run have landed."""
    count, deadline = count_rows(db_path, table), time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(quiet)
        again = count_rows(db_path, table)
        if again == count:
            break
        count = again
    return count


def throughput(args, run_dir, db_path, token, bodies):
    """rps of (a), (b), (c) under the same gunicorn settings; plus the row count check."""
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and _http.have_wrk())
    if not use_wrk and args.loader == "auto":
        print("  ! wrk not found (apt-get install wrk): using the Python load generator; "
              "its figures are lower bounds, since Python threads share one core")
    observed = observed_now()
    lua = _http.write_lua(run_dir / "post.lua", bodies, observed, token)

    def load(url, seconds):
        if use_wrk:
            return _http.run_wrk(url, lua, seconds, args.threads, args.connections)
        return _http.run_python(url, bodies, observed, token, seconds, args.threads,
                                args.connections)

    warm = max(1, min(2, args.seconds // 3))
    bare_db = run_dir / "bare.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "INSPECT_SECRET_KEY": _school.SECRET_KEY,
           "BENCH_BARE_DB": str(bare_db)}
    log = run_dir / "gunicorn.log"
    results = {}

    def measured(server, url, seconds):
        cpu = server.cpu_seconds()
        result = load(url, seconds)
        result["cpu_ms"] = (server.cpu_seconds() - cpu) / max(1, result["requests"]) * 1e3
        return result

    bare = _http.Gunicorn("bare_app:app", env, log, pythonpath=BENCH, ready_path="/a")
    with bare as url:
        load(url + "/a", warm)
        results["a"] = measured(bare, url + "/a", args.seconds)
        load(url + "/b", warm)
        bare_before = settle(bare_db, "log")
        results["b"] = measured(bare, url + "/b", args.seconds)
    # gunicorn has stopped gracefully: requests cut off by the end of the run are finished too.
    results["b"]["new_rows"] = count_rows(bare_db, "log") - bare_before
    app_server = _http.Gunicorn("inspect_app.wsgi:app", env, log)
    log_from = log.stat().st_size if log.exists() else 0
    with app_server as url:
        load(url + "/api/v1/checks", warm)
        before = settle(db_path, "checks")
        results["c"] = measured(app_server, url + "/api/v1/checks", args.seconds)
    results["c"]["new_rows"] = count_rows(db_path, "checks") - before
    results["c"]["grouped"] = group_commits(log, log_from)
    return results, use_wrk


def group_commits(log, offset):
    """(rows, commits) the app's group writer logged as its workers exited (warm-up included)."""
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    found = re.findall(r"group commit: (\d+) rows in (\d+) commits", text)
    return sum(int(r) for r, _ in found), sum(int(c) for _, c in found)


def report_throughput(results, use_wrk, args):
    workers, threads = _http.gunicorn_settings()
    loader = (f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s" if use_wrk
              else f"Python threads x{args.connections}, {args.seconds} s")
    print(f"\nThroughput over 127.0.0.1 ({loader}; gunicorn -c python:inspect_app."
          f"gunicorn_config: {workers} workers x {threads} threads, gthread):")
    names = {"a": "(a) bare Flask route", "b": "(b) bare route + 1 durable SQLite insert",
             "c": "(c) POST /api/v1/checks, bearer token"}
    for key, name in names.items():
        r = results[key]
        other = {k: v for k, v in r["statuses"].items() if k not in (200, 201)}
        print(f"  {name:42s} {r['rps']:6.0f} req/s  latency p50 {r['p50_ms']:5.1f} ms, "
              f"p99 {r['p99_ms']:6.1f} ms  server CPU {r['cpu_ms']:5.2f} ms/req  "
              f"statuses {dict(sorted(r['statuses'].items()))}"
              + (f"  socket errors {r['errors']}" if r.get("errors") else "")
              + (f"  !! unexpected {other}" if other else ""))
    ratio = results["c"]["rps"] / results["b"]["rps"] if results["b"]["rps"] else 0
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"  c/b = {ratio:.2f}   (target >= {TARGET_RATIO}: {verdict} it)   "
          f"c/a = {results['c']['rps'] / results['a']['rps']:.2f}   "
          f"b/a = {results['b']['rps'] / results['a']['rps']:.2f}")
    rows, commits = results["c"].get("grouped", (0, 0))
    if commits:
        print(f"  (c) group commit, warm-up included: {rows} checks in {commits} commits "
              f"({rows / commits:.2f} checks per commit and fsync)")
    for key in ("b", "c"):
        r = results[key]
        ok = r["statuses"].get(201, 0)
        cut = max(0, r["sent"] - r["requests"])
        print(f"  rows check ({key}): {ok} answered 201, {r['new_rows']} new rows in the "
              f"database, {cut} request(s) still in flight when the load stopped -> "
              f"{r['new_rows'] - ok} row(s) without a 201 seen by the client"
              + ("" if 0 <= r["new_rows"] - ok <= cut else "  !! MISMATCH"))


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # so `finally` stops gunicorn on TERM too
    os.environ.setdefault("INSPECT_SECRET_KEY", _school.SECRET_KEY)
    rng = random.Random(7)
    print(f"Campus Inspect foundation bench: {args.checkpoints} checkpoints, "
          f"{args.checks:,} checks, folder {args.folder}; {os.cpu_count()} CPUs, "
          f"load average {load_average()}")
    pristine, seconds = _school.ensure_school(args.folder, args.checkpoints, args.checks,
                                              rebuild=args.rebuild)
    meta = json.loads(pristine.with_suffix(".json").read_text())
    how = (f"built in {seconds:.1f} s" if seconds is not None
           else f"reused (built earlier in {meta['seconds']:.1f} s; --rebuild to redo)")
    size = pristine.stat().st_size / 2**20
    print(f"School {how}: {meta['checkpoints']} checkpoints, {meta['checks']:,} checks, "
          f"{meta['findings']:,} findings, catalogue import {meta['catalog_seconds']} s, "
          f"{size:.0f} MiB")
    run_dir = Path(args.folder) / "run"
    t = time.perf_counter()
    db_path = _school.working_copy(pristine, run_dir)
    print(f"Working copy {db_path} ({time.perf_counter() - t:.1f} s)")
    app, token, bodies, guard_id = prepare(db_path, rng)

    print(f"\nServer time in-process (Flask test client, {args.requests} timed requests each "
          f"after a warm-up, random checkpoints; target: median <= {TARGET_MS:g} ms):")
    for name, (med, p95, cpu, odd) in server_times(app, token, bodies, guard_id,
                                                    args.requests, rng).items():
        verdict = "meets" if med <= TARGET_MS else "MISSES"
        print(f"  {name:34s} median {med:6.2f} ms   p95 {p95:6.2f} ms   ({verdict} target)"
              f"   CPU median {cpu:5.2f} ms" + (f"  !! {odd} unexpected statuses" if odd else ""))
    from inspect_app.extensions import db
    with app.app_context():
        db.engine.dispose()  # the servers below get the database to themselves

    if not args.skip_throughput:
        results, use_wrk = throughput(args, run_dir, db_path, token, bodies)
        report_throughput(results, use_wrk, args)
    print(f"\nLoad average now {load_average()} (other work on the machine skews req/s; "
          f"server CPU ms/req is steadier). Logs and the working copy: {run_dir}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
