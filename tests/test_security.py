"""Headers, storage settings and the schema history."""
import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.models import Check, utcnow


def test_security_headers(client, school):
    response = client.get(f"/q/{school['南门']}")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval'" not in csp.replace("wasm-unsafe-eval'", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_every_response_carries_each_security_header_once(app, client, as_role, token):
    names = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
             "X-Frame-Options", "Permissions-Policy"]
    responses = [client.get("/login"), client.get("/api/v1/me"),
                 client.get("/api/v1/me", headers=token("guard")), as_role("guard").get("/")]
    for response in responses:
        for name in names:
            assert len(response.headers.getlist(name)) == 1, (response.request.path, name)
        assert response.headers["X-Frame-Options"] == "DENY"
        vary = [v.strip() for v in response.headers["Vary"].split(",")]
        assert vary.count("HX-Request") == 1
    assert "Cookie" in responses[-1].headers["Vary"]  # Flask's own Vary is kept
    assert "Strict-Transport-Security" not in responses[0].headers
    secure = create_app({"TESTING": True, "SECRET_KEY": "x", "COOKIE_SECURE": True,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    hsts = secure.test_client().get("/login").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000"


def test_sqlite_is_durable_and_strict(app):
    with app.app_context():
        with db.engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") >= 1000


def test_checks_cannot_be_edited_or_deleted(app, school):
    import uuid

    import pytest

    from inspect_app.models import Checkpoint, ImmutableRecordError, User
    from inspect_app.operations import log_check

    with app.app_context():
        guard = db.session.execute(db.select(User).where(User.username == "guard")).scalar_one()
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "南门")).scalar_one()
        check, _ = log_check(guard, cp, check_id=uuid.uuid4(), observed_at=utcnow(),
                             items={"gate_intact": "ok"})
        db.session.commit()
        check.note = "changed"
        with pytest.raises(ImmutableRecordError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(Check, check.id))
        with pytest.raises(ImmutableRecordError):
            db.session.commit()


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    path = tmp_path / "migrated.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
    tables = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"checks", "checkpoints", "labels", "users", "alembic_version"} <= tables
    # compare_metadata does not look at an index's WHERE clause: compare the SQL itself.
    fresh = tmp_path / "created.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{fresh}"})
    with app.app_context():
        db.create_all()
    indexes = "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
    migrated = dict(sqlite3.connect(path).execute(indexes).fetchall())
    assert migrated == dict(sqlite3.connect(fresh).execute(indexes).fetchall())
    assert migrated["ix_checks_corrects_id"].endswith("WHERE corrects_id IS NOT NULL")
