"""Group commit: checks that arrive together are written by one SQLite statement.

SQLite has one writer at a time, and with synchronous=FULL every commit waits for its fsync.
When many checks arrive at once (the morning round, phones replaying their offline queues),
threads that each commit on their own queue up in SQLite's busy handler, which polls with
sleeps of 1 to 100 ms, and pay one fsync each. Here the first thread to arrive becomes the
leader: it writes every row queued so far, while threads that arrive meanwhile wait on a
condition and are written by the next leader. Every thread returns only after the
transaction holding its row has committed, so an acknowledged check is exactly as durable
as before. No background thread: a leader is always a request.

The batch is one multi-row INSERT run in autocommit mode, so taking SQLite's write lock,
inserting, committing and the fsync all happen inside a single call into SQLite, which
runs without Python's GIL: the write lock is never held while this thread waits for the
GIL behind the server's other threads. The leaders of the server's worker processes take
turns on a file lock next to the database, so one starts the moment the other is done.

Only single-row inserts go this way (a check without faults). Anything that must share a
transaction with other writes (faults opening repairs, photos) commits with the session.
"""
import contextlib
import os
import threading

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None

from flask import current_app

from .extensions import db

MAX_BATCH = 200  # rows per statement, well inside SQLite's limit on bound variables


class _Pending:
    """One row waiting for a leader: its values as the database takes them."""

    __slots__ = ("row", "done", "inserted", "error")

    def __init__(self, row):
        self.row, self.done, self.inserted, self.error = row, False, False, None


class GroupWriter:
    """Inserts rows into one table, ignoring rows whose primary key is already there.

    `stamp` names a column whose value is unique to each attempt (the server's receive
    time): when some rows of a batch were not inserted, it tells which ones were. Values
    are converted by the columns' own SQLAlchemy types, exactly as the ORM stores them."""

    def __init__(self, engine, table, stamp, lock_path=None):
        self.engine, self.lock_path, self._lock, self._conn = engine, lock_path, None, None
        dialect = engine.dialect
        quote = dialect.identifier_preparer.quote
        self.columns = [c.name for c in table.columns]
        self.convert = [c.type.dialect_impl(dialect).bind_processor(dialect)
                        for c in table.columns]
        key = table.primary_key.columns.values()[0].name
        self.key_index, self.stamp_index = self.columns.index(key), self.columns.index(stamp)
        self.insert_head = (f"INSERT INTO {quote(table.name)} "
                            f"({', '.join(quote(c) for c in self.columns)}) VALUES ")
        self.insert_tail = f" ON CONFLICT ({quote(key)}) DO NOTHING"
        self.one_row = "(" + ", ".join("?" * len(self.columns)) + ")"
        self.stamps_sql = (f"SELECT {quote(key)}, {quote(stamp)} FROM {quote(table.name)} "
                           f"WHERE {quote(key)} IN ")
        self._cond = threading.Condition()
        self._queue = []
        self._leading = False
        self.batches = self.rows = 0  # figures for the benchmark and the tests

    def insert(self, row):
        """Insert one row (a dict of column values) durably. Returns True when it was new,
        False when a row with its primary key already existed. Raises what the write raised."""
        item = self._pending(row)  # converted by the request's own thread, not by the leader
        with self._cond:
            self._queue.append(item)
            while not item.done:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                self._cond.release()
                try:
                    self._write(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if item.error is not None:
            raise item.error
        return item.inserted

    def _pending(self, row):
        return _Pending([f(row[c]) if f else row[c] for c, f in zip(self.columns, self.convert)])

    def _write(self, batch):
        try:
            self._write_together(batch)
        except Exception:  # noqa: BLE001 - sorted out row by row below
            # One bad row must not fail the others: write each alone, keep each one's error.
            for item in batch:
                try:
                    self._write_together([item])
                except Exception as exc:  # noqa: BLE001 - handed to the request that sent it
                    item.error = exc
        finally:
            for item in batch:
                item.done = True

    def _write_together(self, batch):
        rows = [item.row for item in batch]
        sql = self.insert_head + ", ".join([self.one_row] * len(rows)) + self.insert_tail
        sqlite = self._connection()
        try:
            with self._turn():
                inserted = sqlite.execute(sql, [v for row in rows for v in row]).rowcount
            stored = {}
            if inserted != len(rows):  # some ids were there already: which ones?
                keys = [row[self.key_index] for row in rows]
                stored = dict(sqlite.execute(
                    self.stamps_sql + "(" + ", ".join("?" * len(keys)) + ")", keys))
        except Exception:
            self._close()  # whatever went wrong, the next leader starts on a new connection
            raise
        for item, row in zip(batch, rows):
            item.inserted = (inserted == len(rows)
                             or stored.get(row[self.key_index]) == row[self.stamp_index])
        self.batches += 1
        self.rows += len(batch)

    def _connection(self):
        """The writer's own connection, used only by the leader of the moment. It is taken
        out of the engine's pool (so it has the app's pragmas) and kept in autocommit mode:
        each statement is its own transaction (lock, insert, commit, fsync)."""
        if self._conn is None:
            fairy = self.engine.raw_connection()
            conn = fairy.driver_connection
            fairy.detach()
            conn.isolation_level = None
            self._conn = conn
        return self._conn

    def _close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self):
        """Close the writer's connection and lock file, when no request is running any more
        (a worker that exits, the end of a test)."""
        with self._cond:
            self._close()
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    @contextlib.contextmanager
    def _turn(self):
        """Each worker process has its own leader; they take turns on a file lock, so a
        waiting leader starts the moment the other one is done instead of polling SQLite's
        lock with sleeps of 1 to 100 ms. Without the lock file SQLite's busy handler does it."""
        lock = self._lock_file()
        if lock is None:
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def _lock_file(self):
        if self._lock is None and fcntl is not None and self.lock_path:
            try:
                self._lock = open(self.lock_path, "ab")  # noqa: SIM115 - kept for the process
            except OSError:  # a read-only folder
                self.lock_path = None
        return self._lock


_writers_lock = threading.Lock()


def writer_for(table, stamp):
    """This process's GroupWriter for a table of the current app's database, or None when
    the database is not a SQLite file (PostgreSQL groups commits itself) or grouping is off."""
    engine = db.engine
    if (not current_app.config["GROUP_COMMIT"] or engine.dialect.name != "sqlite"
            or engine.url.database in (None, "", ":memory:")):
        return None
    writers = current_app.extensions.setdefault("group_writers", {})
    key = (os.getpid(), table.name)  # a forked worker starts its own
    writer = writers.get(key)
    if writer is None:
        with _writers_lock:
            writer = writers.setdefault(key, GroupWriter(
                engine, table, stamp, lock_path=f"{engine.url.database}-writers.lock"))
    return writer


def close_writers(app):
    """Close every GroupWriter this process made for the app."""
    writers = app.extensions.get("group_writers", {})
    for key in [k for k in writers if k[0] == os.getpid()]:
        writers.pop(key).close()


def session_is_writing():
    """True when the request's session holds uncommitted writes: a row written through the
    group writer then would wait on our own write lock, so such callers commit as usual."""
    session = db.session()  # the request's Session behind the scoped proxy
    if session.new or session.dirty or session.deleted:
        return True
    if session.get_transaction() is None:
        return False
    dbapi = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))  # sqlite3: a write is open
