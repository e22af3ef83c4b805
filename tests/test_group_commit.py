"""Checks without faults share commits (group_commit.py): same answers, same stored rows,
nothing lost or counted twice when many arrive at once."""
import threading
import uuid
from datetime import UTC, datetime

import pytest

from inspect_app.extensions import db
from inspect_app.group_commit import GroupWriter, writer_for
from inspect_app.models import Check, Checkpoint, Repair, User

from .conftest import ALL_OK, check_body


def writer(app):
    with app.app_context():
        return writer_for(Check.__table__, "received_at")


def stored(app, check_id):
    with app.app_context():
        check = db.session.get(Check, uuid.UUID(check_id))
        return {c.name: getattr(check, c.name) for c in Check.__table__.columns}


def test_all_ok_check_goes_through_the_writer_and_answers_like_the_session(
        app, client, school, token):
    headers = token("guard")
    data = check_body(school["灭火器 01"], note="  all fine  ")
    first = client.post("/api/v1/checks", json=data, headers=headers)
    assert first.status_code == 201, first.json
    assert writer(app).rows == 1
    assert first.json["note"] == "all fine" and first.json["result"] == "ok"
    assert first.json["received_at"].endswith("+00:00")
    fetched = client.get(f"/api/v1/checks/{data['id']}", headers=headers)
    assert fetched.json == first.json  # read back from the database: nothing lost on the way
    again = client.post("/api/v1/checks", json=data, headers=headers)
    assert again.status_code == 200 and again.json == first.json
    changed = client.post("/api/v1/checks", json=dict(data, note="other"), headers=headers)
    assert changed.status_code == 409
    # The replay and the conflict were each tried by the fast check path, which leaves a
    # stored id to the app, and then by the app: tried twice, stored never.
    assert writer(app).rows == 5 and app.extensions["fast_checks"].served == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Check)) == 1

    row = stored(app, data["id"])
    assert row["observed_at"] == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert row["items"] == ALL_OK and row["fault_count"] == 0 and row["source"] == "api"


def raw_row(app, check_id):
    """The row as SQLite holds it: text, not Python values (formats must agree)."""
    with app.app_context():
        row = db.session.execute(db.text("SELECT * FROM checks WHERE id = :id"),
                                 {"id": uuid.UUID(check_id).hex}).mappings().one()
        return dict(row)


def test_rows_match_what_the_session_path_stores(app, client, school, token):
    headers = token("guard")
    code = school["灭火器 01"]
    grouped = check_body(code, observed_at="2026-11-20T08:30:00.000000+08:00")
    assert client.post("/api/v1/checks", json=grouped, headers=headers).status_code == 201
    app.config["GROUP_COMMIT"] = False
    alone = check_body(code, observed_at="2026-11-20T08:30:00.000000+08:00")
    assert client.post("/api/v1/checks", json=alone, headers=headers).status_code == 201
    assert writer(app) is None
    a, b = raw_row(app, grouped["id"]), raw_row(app, alone["id"])
    assert a["observed_at"] == b["observed_at"] == "2026-11-20 00:30:00.000000"
    assert len(a["received_at"]) == len(b["received_at"]) == 26
    assert a["id"] == uuid.UUID(grouped["id"]).hex
    for row in (a, b):
        del row["id"], row["received_at"], row["content_hash"]
    assert a == b


def test_a_fault_commits_with_its_repair_not_through_the_writer(app, client, school, token):
    data = check_body(school["灭火器 01"], items=dict(ALL_OK, gauge="fault"))
    response = client.post("/api/v1/checks", json=data, headers=token("guard"))
    assert response.status_code == 201 and response.json["result"] == "fault"
    assert writer(app).rows == 0
    with app.app_context():
        repairs = db.session.scalars(db.select(Repair)).all()
        assert [(r.item_key, r.first_check_id) for r in repairs] == [
            ("gauge", uuid.UUID(data["id"]))]


def test_the_check_form_all_ok_goes_through_the_writer(app, as_role, school):
    from .conftest import csrf_token

    guard = as_role("guard")
    path = f"/q/{school['南门']}"
    response = guard.post(f"{path}/check", data={
        "csrf_token": csrf_token(guard, path), "check_id": str(uuid.uuid4()),
        "observed_at": "2026-11-20T08:30:00+08:00", "all_ok": "1"})
    assert response.status_code == 303
    assert writer(app).rows == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Check.id))) == 1


def test_many_at_once_nothing_lost_nothing_twice(app, school, token):
    """Eight phones send at once, each check twice (a replay), and one sends a conflict."""
    headers = token("guard")
    with app.app_context():  # each kind has its own checklist: answer its first item
        first_item = {cp.code: cp.kind.active_items[0].key
                      for cp in db.session.scalars(db.select(Checkpoint))}
    codes = sorted(first_item)
    bodies = [check_body(codes[i % len(codes)], items={first_item[codes[i % len(codes)]]: "ok"})
              for i in range(40)]
    results, start = [], threading.Barrier(8)

    def phone(n):
        client = app.test_client()
        start.wait()
        for data in bodies[n::8] + bodies[n::8]:
            response = client.post("/api/v1/checks", json=data, headers=headers)
            results.append((data["id"], response.status_code))


    threads = [threading.Thread(target=phone, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for _, status in results) == [200] * 40 + [201] * 40
    assert {i for i, status in results if status == 201} == {d["id"] for d in bodies}
    with app.app_context():
        ids = set(db.session.scalars(db.select(Check.id)))
    assert ids == {uuid.UUID(d["id"]) for d in bodies}
    w = writer(app)  # each replay was tried by the fast check path, then by the app
    assert w.rows == 40 + 2 * 40 and w.batches <= 120
    assert app.extensions["fast_checks"].served == 40


def _row(app, **overrides):
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "guard")).scalar_one()
        cp = db.session.scalars(db.select(Checkpoint)).first()
        row = {"id": uuid.uuid4(), "checkpoint_id": cp.id, "user_id": user.id,
               "observed_at": datetime.now(UTC), "received_at": datetime.now(UTC),
               "items": {"x": "ok"}, "fault_count": 0, "note": "", "corrects_id": None,
               "source": "api", "content_hash": "h"}
    row.update(overrides)
    return row


def test_a_batch_tells_new_rows_from_ids_already_there(app, school):
    with app.app_context():
        w = GroupWriter(db.engine, Check.__table__, "received_at")
    existing = _row(app)
    w._write([w._pending(existing)])
    batch = [w._pending(_row(app)), w._pending(dict(existing, received_at=datetime.now(UTC))),
             w._pending(_row(app))]
    w._write(batch)
    assert [p.inserted for p in batch] == [True, False, True]
    assert all(p.done and p.error is None for p in batch)


def test_one_bad_row_does_not_fail_the_others(app, school):
    with app.app_context():
        w = GroupWriter(db.engine, Check.__table__, "received_at")
    batch = [w._pending(_row(app)), w._pending(_row(app, checkpoint_id=999_999)),
             w._pending(_row(app))]
    w._write(batch)
    assert [p.inserted for p in batch] == [True, False, True]
    assert batch[1].error is not None and batch[0].error is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Check.id))) == 2


@pytest.mark.parametrize("uri", ["sqlite://", "postgresql+psycopg://u@localhost/x"])
def test_only_a_sqlite_file_groups(uri):
    from inspect_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        assert writer_for(Check.__table__, "received_at") is None


def test_the_same_id_twice_in_one_batch_is_stored_once(app, school):
    """A double tap whose two sends land in the same batch: the first is new, the second
    finds it (and the API then answers 200 with the stored check)."""
    with app.app_context():
        w = GroupWriter(db.engine, Check.__table__, "received_at")
    first = _row(app)
    again = dict(first, received_at=datetime.now(UTC))
    batch = [w._pending(first), w._pending(again)]
    w._write(batch)
    assert [p.inserted for p in batch] == [True, False]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Check.id))) == 1
