"""Bare Flask app: the reference points for the throughput benchmark.

    POST /a   returns a small JSON (what Flask + gunicorn cost with no work at all)
    POST /b   parses the same check JSON and does one durable SQLite INSERT + COMMIT
              (WAL, synchronous=FULL, busy_timeout: the same pragmas as the app), i.e.
              the floor that any durably logged request pays on this machine

Served by bench_foundation.py as ``gunicorn -c python:inspect_app.gunicorn_config
--pythonpath bench bare_app:app``; the database file is taken from $BENCH_BARE_DB.
"""
import json
import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request

app = Flask(__name__)
DB = os.environ.get("BENCH_BARE_DB", "/tmp/inspect-bench/run/bare.sqlite3")
SCHEMA = ("CREATE TABLE IF NOT EXISTS log (id TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, "
          "observed_at TEXT NOT NULL, items TEXT NOT NULL, received_at TEXT NOT NULL)")
_local = threading.local()


def connect(path=DB):
    """One connection per thread, with the app's pragmas."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(path, timeout=5)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(SCHEMA)
        conn.commit()
        _local.conn = conn
    return conn


@app.route("/a", methods=["GET", "POST"])
def bare():
    """(a) Nothing but a small JSON answer."""
    return jsonify(ok=True)


@app.post("/b")
def durable_insert():
    """(b) Parse the check JSON, insert one row, commit (fsync), answer 201."""
    body = request.get_json()
    conn = connect()
    conn.execute("INSERT INTO log (id, checkpoint, observed_at, items, received_at) "
                 "VALUES (?, ?, ?, ?, ?)",
                 (body["id"], body["checkpoint"], body["observed_at"],
                  json.dumps(body["items"]), datetime.now(UTC).isoformat()))
    conn.commit()
    return jsonify(id=body["id"]), 201
