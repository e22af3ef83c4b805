#!/usr/bin/env python3
"""Instructions per request: a figure that does not move with the machine's load.

    .venv/bin/python bench/bench_instructions.py              # POST /api/v1/checks, 300 requests
    .venv/bin/python bench/bench_instructions.py --route scan --requests 100

On a shared virtual machine, req/s and even CPU ms per request move by a third from one run
to the next, which hides a change worth 5 %. Counting instructions does not: the same code
gives the same count within about 1 %. The app runs in-process under valgrind's callgrind
with counting switched off; after the warm-up the script switches it on, sends the timed
requests through the WSGI app (no test client, no HTTP), and divides. Compare two commits
by running the script on each. Needs valgrind (apt-get install valgrind); counts only the
app's own process, so gunicorn's share and the cost of threads are not in it.

Works on a copy of the quick school (200 checkpoints, 20,000 checks) in --folder, built
once by the same code as bench_foundation.py. Prints figures only.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import _school  # noqa: E402
import bench_foundation  # noqa: E402


def parse_args(argv=None):
    p = _school.parser(__doc__)
    p.set_defaults(checkpoints=200, checks=20_000)
    p.add_argument("--requests", type=int, default=300, help="counted requests")
    p.add_argument("--route", choices=("check", "scan"), default="check",
                   help="check = POST /api/v1/checks with a token; scan = GET /q/<code> "
                        "as a signed-in guard")
    p.add_argument("--child", help=argparse.SUPPRESS)  # the run under valgrind
    return p.parse_args(argv)


def requests_for(route, db_path, n, rng):
    """The app, n WSGI environs for the route, and the status each should get."""
    from werkzeug.test import EnvironBuilder

    app, token, sample, guard_id = bench_foundation.prepare(db_path, rng, sample=200)
    if route == "scan":
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = str(guard_id), True
        cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
        headers = {"Cookie": f"{cookie.key}={cookie.value}"}
        return app, [EnvironBuilder(path=f"/q/{rng.choice(sample)[0]}", headers=headers)
                     .get_environ() for _ in range(n)], "200"
    environs = []
    for _ in range(n):
        code, items = rng.choice(sample)
        body = {"id": str(uuid.uuid4()), "checkpoint": code,
                "observed_at": "2026-11-22T10:00:00+08:00", "items": json.loads(items)}
        environs.append(EnvironBuilder(
            path="/api/v1/checks", method="POST", data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"}).get_environ())
    return app, environs, "201"


def child(args):
    """Runs under callgrind: warm up, say ready, wait until counting is on, send requests."""
    signals = Path(args.child)
    rng = random.Random(11)
    app, environs, expected = requests_for(args.route, signals / "school.sqlite3",
                                           args.requests + 50, rng)

    def send(environ):
        status = []
        body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        if not status[0].startswith(expected):
            raise SystemExit(f"unexpected status {status[0]}")
        return body

    if args.route == "scan" and b'name="all_ok"' not in send(environs[0]):
        raise SystemExit("the scan page has no check form: the guard is not signed in")
    for environ in environs[:50]:
        send(environ)
    (signals / "ready").touch()
    wait_for(signals / "go")
    for environ in environs[50:]:
        send(environ)
    (signals / "done").touch()
    wait_for(signals / "stop")  # counting is off again: the interpreter's exit is not counted


def wait_for(path):
    while not path.exists():
        time.sleep(0.05)


def instrument(proc, state):
    """Switch callgrind's counting in the process under valgrind on or off."""
    subprocess.run(["callgrind_control", f"--instr={state}", str(proc.pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install valgrind")
    pristine, _seconds = _school.ensure_school(args.folder, args.checkpoints, args.checks)
    with tempfile.TemporaryDirectory(prefix="inspect-instructions-") as tmp:
        signals = Path(tmp)
        shutil.copy(pristine, signals / "school.sqlite3")
        out = signals / "callgrind.out"
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
               f"--callgrind-out-file={out}", sys.executable, __file__,
               "--child", str(signals), "--route", args.route, "--requests", str(args.requests)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "INSPECT_SECRET_KEY": _school.SECRET_KEY})
        while not (signals / "ready").exists():
            if proc.poll() is not None:
                sys.exit(f"the app under valgrind stopped:\n{proc.stdout.read()[-2000:]}")
            time.sleep(0.2)
        instrument(proc, "on")
        (signals / "go").touch()
        while not (signals / "done").exists() and proc.poll() is None:
            time.sleep(0.05)
        instrument(proc, "off")
        (signals / "stop").touch()
        log, _ = proc.communicate()
    match = re.search(r"Collected\s*:\s*(\d+)", log)
    if proc.returncode or not match:
        sys.exit(f"valgrind failed:\n{log[-2000:]}")
    route = {"check": "POST /api/v1/checks (token)", "scan": "GET /q/<code> (guard)"}[args.route]
    per = int(match.group(1)) / args.requests
    print(f"{route}: {per / 1e6:.2f} M instructions per request "
          f"({args.requests} requests, in-process, {args.checkpoints} checkpoints)")


if __name__ == "__main__":
    main()
