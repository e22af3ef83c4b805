"""Build (or reuse) a big synthetic school for the benchmarks.

The catalogue goes in through the app's own code (``db.create_all``, the standard kinds,
``create_user`` and the CSV importer); a year of checks is then bulk-inserted with Core
``executemany`` in big batches, because a million checks through ``log_check`` would take
an hour. The built database is kept in the bench folder, named by its size, and reused.
"""
import argparse
import fcntl
import json
import os
import random
import secrets
import shutil
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Share of checkpoints per kind (roughly a big K-12 school). Daily kinds get patrol rounds.
KIND_MIX = [("classroom", 30), ("fire_extinguisher", 22), ("patrol_point", 26), ("office", 6),
            ("stairwell", 5), ("lab", 3), ("sports_apparatus", 4), ("electrical_room", 1.5),
            ("gate", 1), ("canteen", 0.7), ("food_sample", 0.8)]
PER_YEAR = {"daily": 365, "weekly": 52, "monthly": 12}
CAMPUSES = ["南校区", "北校区", "东校区"]
BUILDINGS = ["启慧楼", "知行楼", "明德楼", "博雅楼", "致远楼", "图书馆", "体育馆", "食堂"]
GUARDS = [f"guard{i:02d}" for i in range(1, 13)]
STAFF = [f"staff{i:02d}" for i in range(1, 7)]
TEACHERS = [f"teacher{i:02d}" for i in range(1, 9)]
FAULT_RATE = 0.04
BATCH = 50_000
PASSWORD = "bench-password"
# The environment's, else a fresh one per run (handed to gunicorn by bench_foundation.py).
SECRET_KEY = os.environ.get("INSPECT_SECRET_KEY") or secrets.token_hex(32)


def parser(doc):
    """An argument parser with the options every bench shares: where the big school is built,
    and its size."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=doc.split("\n\n", 1)[-1])
    p.add_argument("--folder", default="/tmp/inspect-bench",
                   help="where the school is built and reused (default %(default)s)")
    p.add_argument("--checkpoints", type=int, default=2000, help="default %(default)s")
    p.add_argument("--checks", type=int, default=1_000_000, help="default %(default)s")
    return p


def school_db(folder, checkpoints, checks):
    """The path of the pristine built database for these sizes."""
    return Path(folder) / f"school-{checkpoints}-{checks}.sqlite3"


def make_app(db_path):
    """The real app (``create_app``) pointed at a database file."""
    from inspect_app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
                       "SECRET_KEY": SECRET_KEY})


def ensure_school(folder, checkpoints, checks, rebuild=False, seed=2026):
    """Return (path, seconds spent building or None if reused). Benches started at the same
    time wait for each other (a lock file in the folder) instead of building twice."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_school(folder, checkpoints, checks, rebuild, seed)


def _ensure_school(folder, checkpoints, checks, rebuild, seed):
    path = school_db(folder, checkpoints, checks)
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists() and not rebuild:
        stale = _stale_tables(json.loads(meta.read_text()).get("schema", {}))
        if not stale:
            return path, None
        print(f"  the models changed since the school was built ({', '.join(stale)}): rebuilding")
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in (path, meta, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    tmp = path.with_name(path.name + ".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    stats = _build(tmp, checkpoints, checks, random.Random(seed))
    tmp.rename(path)
    seconds = time.perf_counter() - started
    meta.write_text(json.dumps(dict(stats, seconds=round(seconds, 1), schema=schema_fingerprint(),
                                    built_at=datetime.now(UTC).isoformat())))
    return path, seconds


def working_copy(pristine, run_dir):
    """Copy the pristine database to run_dir (benchmarks write into the copy only) and
    add any table the models gained since the build (create_all skips existing ones)."""
    from inspect_app.extensions import db

    run_dir = Path(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    target = run_dir / "inspect.sqlite3"
    shutil.copyfile(pristine, target)
    # Flushed now, or the kernel writes the copy back during the timed runs and every
    # fsync there waits behind hundreds of megabytes (ext4 orders new data before commits).
    with open(target, "rb+") as f:
        os.fsync(f.fileno())
    app = make_app(target)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return target


def schema_fingerprint():
    """{table: hash of its CREATE TABLE and indexes} for the models as they are now."""
    from hashlib import sha256

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    import inspect_app.models  # noqa: F401 - every table registered
    from inspect_app.extensions import db

    dialect = sqlite.dialect()
    out = {}
    for table in db.metadata.sorted_tables:
        ddl = [str(CreateTable(table).compile(dialect=dialect))]
        ddl += sorted(str(CreateIndex(i).compile(dialect=dialect)) for i in table.indexes)
        out[table.name] = sha256("\n".join(ddl).encode()).hexdigest()[:16]
    return out


def _stale_tables(built):
    """Tables of the built school whose definition differs from the models now."""
    now = schema_fingerprint()
    if not built:
        return ["no schema recorded"]
    return sorted(name for name, digest in built.items() if now.get(name) != digest)


def _build(db_path, n_checkpoints, n_checks, rng):
    from sqlalchemy import insert

    from inspect_app.catalog import ensure_standard_kinds
    from inspect_app.extensions import db
    from inspect_app.importer import import_checkpoints
    from inspect_app.models import Check, CheckFinding, Checkpoint, Kind
    from inspect_app.operations import create_user

    t0 = time.perf_counter()
    app = make_app(db_path)
    with app.app_context():
        # create_all, not `flask db upgrade`: the models run ahead of the migrations while
        # the app is being built, and the bench must match the code it measures.
        db.create_all()
        kinds = ensure_standard_kinds()
        users = {name: create_user(name, role, PASSWORD) for role, names in
                 (("guard", GUARDS), ("staff", STAFF), ("teacher", TEACHERS)) for name in names}
        create_user("admin", "admin", PASSWORD)
        report = import_checkpoints(_checkpoint_rows(n_checkpoints, rng))
        if report.errors:
            raise RuntimeError(f"import failed: {report.errors[:5]}")
        db.session.commit()
        t_catalog = time.perf_counter()
        cps = db.session.execute(db.select(Checkpoint.id, Kind.key).join(Kind)
                                 .order_by(Checkpoint.id)).all()
        spelling = {k: kind.schedule.frequency for k, kind in kinds.items()}
        item_keys = {k: [i.key for i in kind.items] for k, kind in kinds.items()}
        guards = [users[g].id for g in GUARDS]
        staff = [users[s].id for s in STAFF]

        conn = db.session.connection()
        conn.exec_driver_sql("PRAGMA synchronous=OFF")  # building only; the app runs FULL
        conn.exec_driver_sql("PRAGMA cache_size=-400000")
        visits = _visits(cps, spelling, n_checks, rng)
        findings = 0
        for start in range(0, len(visits), BATCH):
            rows, faults = [], []
            for observed, cp_id, key in visits[start:start + BATCH]:
                check_id = uuid.uuid4()
                items = dict.fromkeys(item_keys[key], "ok")
                fault = None
                if rng.random() < FAULT_RATE:
                    fault = rng.choice(item_keys[key])
                    items[fault] = "fault"
                    faults.append({"check_id": check_id, "item_key": fault, "note": "坏了",
                                   "photo_id": None})
                rows.append({
                    "id": check_id, "checkpoint_id": cp_id,
                    "user_id": rng.choice(guards if spelling[key] == "daily" else staff),
                    "observed_at": observed,
                    "received_at": observed + timedelta(seconds=rng.randint(1, 60)),
                    "items": items, "fault_count": 1 if fault else 0, "note": "",
                    "corrects_id": None, "source": "bench", "content_hash": check_id.hex * 2})
            db.session.execute(insert(Check.__table__), rows)
            if faults:
                db.session.execute(insert(CheckFinding.__table__), faults)
            findings += len(faults)
            db.session.commit()
            conn = db.session.connection()
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    raw = sqlite3.connect(db_path)  # fold the WAL in so the file copies whole
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.execute("PRAGMA journal_mode=DELETE")  # no -wal/-shm left beside the pristine copy
    raw.close()
    return {"checkpoints": len(cps), "checks": len(visits), "findings": findings,
            "catalog_seconds": round(t_catalog - t0, 1)}


def _checkpoint_rows(n, rng):
    """CSV-like rows for import_checkpoints: name, kind, location, responsible."""
    total = sum(w for _, w in KIND_MIX)
    counts = {k: max(1, round(n * w / total)) for k, w in KIND_MIX}
    counts["classroom"] += n - sum(counts.values())
    rows, number = [], 0
    for kind, count in counts.items():
        for i in range(count):
            number += 1
            campus = CAMPUSES[number % len(CAMPUSES)]
            building = BUILDINGS[(number // 3) % len(BUILDINGS)]
            floor = 1 + (number // 24) % 6
            room = f"{floor}{(number // 144) % 40 + 1:02d}"
            place = f"{campus}/{building}/{floor}F"
            if kind in ("classroom", "office", "lab"):
                place += f"/{room}"
            who = (rng.choice(GUARDS) if kind in ("patrol_point", "gate")
                   else rng.choice(TEACHERS) if kind == "classroom" else rng.choice(STAFF))
            rows.append({"code": "", "name": f"{kind} {i + 1:04d}", "kind": kind,
                         "location": place, "schedule": "", "responsible": who})
    return rows


def _visits(cps, spelling, n_checks, rng):
    """(observed_at, checkpoint id, kind key) for a year, sorted by time.

    Weekly and monthly kinds get their natural count; daily kinds get as many patrol
    rounds a day as it takes to reach n_checks. If even that is too many, all are thinned.
    """
    natural = {cp_id: PER_YEAR[spelling[key]] for cp_id, key in cps}
    daily_total = sum(natural[cp_id] for cp_id, key in cps if spelling[key] == "daily")
    other_total = sum(natural.values()) - daily_total
    if n_checks >= other_total + daily_total and daily_total:
        rounds = (n_checks - other_total) / daily_total
        want = {cp_id: natural[cp_id] * (rounds if spelling[key] == "daily" else 1)
                for cp_id, key in cps}
    else:
        scale = n_checks / max(1, other_total + daily_total)
        want = {cp_id: natural[cp_id] * scale for cp_id, _key in cps}
    counts = {cp_id: int(w) for cp_id, w in want.items()}
    short = n_checks - sum(counts.values())  # hand out the rounding left-overs
    for cp_id in rng.sample(list(counts), k=min(len(counts), max(0, short))):
        counts[cp_id] += 1
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    span = timedelta(days=365).total_seconds()
    visits = []
    for cp_id, key in cps:
        c = counts[cp_id]
        step = span / max(1, c)
        for i in range(c):
            offset = (i + 0.5 + rng.uniform(-0.4, 0.4)) * step
            visits.append((end - timedelta(seconds=span - offset), cp_id, key))
    visits.sort(key=lambda v: v[0])
    return visits
