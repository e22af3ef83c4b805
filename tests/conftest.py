"""Fixtures: a fresh app and database per test, clients signed in as each role."""
import re
import uuid

import jsonschema
import pytest
from werkzeug.security import generate_password_hash

from inspect_app import create_app
from inspect_app.catalog import ensure_standard_kinds
from inspect_app.extensions import db, limiter
from inspect_app.group_commit import close_writers
from inspect_app.importer import import_checkpoints
from inspect_app.models import Checkpoint, User
from inspect_app.openapi import document
from inspect_app.operations import add_token

PASSWORD = "correct horse 1"
ROLES = ("admin", "guard", "staff", "teacher")
PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashed once: scrypt is slow on purpose
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(tmp_path):
    """A new app with its own SQLite file, CSRF on, as in production."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "PHOTO_FOLDER": str(tmp_path / "photos"),
        "WTF_CSRF_ENABLED": True,
        "BASE_URL": "https://school.example",
        "RATELIMIT_ENABLED": True,
    })
    with app.app_context():
        db.create_all()
        ensure_standard_kinds()
        for role in ROLES:
            user = User(username=role, role=role, display_name=f"{role} person",
                        password_hash=PASSWORD_HASH)
            db.session.add(user)
        db.session.commit()
    limiter.reset()
    yield app
    close_writers(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def school(app):
    """A few checkpoints of different kinds; returns {name: code}."""
    rows = [
        {"name": "灭火器 01", "kind": "fire_extinguisher", "location": "南校区/启慧楼/1F",
         "responsible": "staff"},
        {"name": "203教室", "kind": "classroom", "location": "北校区/启慧楼/2F/203",
         "responsible": "teacher"},
        {"name": "单杠", "kind": "sports_apparatus", "location": "北校区/操场"},
        {"name": "南门", "kind": "gate", "location": "南校区/南门", "responsible": "guard"},
    ]
    with app.app_context():
        report = import_checkpoints(rows)
        assert report.ok, report.errors
        db.session.commit()
        return {cp.name: cp.code for cp in db.session.scalars(db.select(Checkpoint))}


def matches_schema(data, name):
    """Validate JSON against a schema of the OpenAPI document; returns the data."""
    spec = {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}
    jsonschema.validate(data, spec, cls=jsonschema.Draft202012Validator)
    return data


# An extinguisher's checklist (the school fixture's "灭火器 01") answered all OK.
ALL_OK = {"in_place": "ok", "gauge": "ok", "pin_seal": "ok"}


def check_body(code, **overrides):
    """The JSON body of POST /api/v1/checks: a new id, all OK, observed in the morning."""
    data = {"id": str(uuid.uuid4()), "checkpoint": code,
            "observed_at": "2026-11-20T08:30:00+08:00", "items": dict(ALL_OK)}
    data.update(overrides)
    return data


def csrf_token(client, path="/"):
    """The CSRF token a page hands out (as a browser would read it)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=PASSWORD, remember=False):
    """Sign in through the login form; returns the response."""
    data = {"username": username, "password": password,
            "csrf_token": csrf_token(client, "/login")}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


@pytest.fixture
def token(app):
    """token('guard') -> headers carrying a new API token of that user."""
    def make(username):
        with app.app_context():
            user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
            value = add_token(user, "test")
            db.session.commit()
            return {"Authorization": f"Bearer {value}"}
    return make


@pytest.fixture
def as_role(app):
    """as_role('guard') -> a test client signed in as that role."""
    def make(role):
        c = app.test_client()
        response = login(c, role)
        assert response.status_code == 303, response.get_data(as_text=True)
        return c
    return make
