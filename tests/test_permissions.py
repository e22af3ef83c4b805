"""Every route in app.url_map, for every role, against a table of expected outcomes.

A route without a row fails the test: a new route cannot land untested. Each area of the app
adds its rows in tests/permission_rows_<area>.py: a dict ROWS like EXPECTED below, and
optionally url_values(app) returning real values for its URL variables."""
import importlib
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from inspect_app.extensions import db
from inspect_app.models import Checkpoint, User, utcnow
from inspect_app.operations import log_check, save_photo
from inspect_app.photos import process_photo

from .conftest import csrf_token, login
from .permission_table import ALL, ROLES, SIGNED_IN, row

# (endpoint, method): expected status per role. Bodies are empty or minimal (see _request).
EXPECTED = {
    ("static", "GET"): ALL,
    ("scan.index", "GET"): ALL,
    ("scan.type_code", "GET"): row(422, 422, 422, 422, 422),  # no code typed
    ("scan.checkpoint", "GET"): ALL,
    ("scan.log", "POST"): row(302, 403, 303, 303, 303),
    ("scan.photo", "GET"): row(302, 403, 200, 200, 200),
    ("scan.healthz", "GET"): ALL,
    ("auth.login", "GET"): row(200, 302, 302, 302, 302),
    ("auth.login", "POST"): row(422, 422, 422, 422, 422),
    ("auth.logout", "POST"): row(303, 303, 303, 303, 303),
    ("auth.account", "GET"): SIGNED_IN,
    ("auth.account", "POST"): row(302, 303, 303, 303, 303),
    ("auth.language", "POST"): row(303, 303, 303, 303, 303),
    ("api.openapi", "GET"): ALL,
    ("api.me", "GET"): row(401, 200, 200, 200, 200),
    ("api.get_checkpoint", "GET"): row(401, 200, 200, 200, 200),
    ("api.post_check", "POST"): row(401, 403, 422, 422, 422),
    ("api.get_check", "GET"): row(401, 403, 200, 200, 200),
    ("api.post_photo", "POST"): row(401, 422, 422, 422, 422),
}


AREAS = [importlib.import_module(f"tests.{p.stem}")
         for p in sorted(Path(__file__).parent.glob("permission_rows_*.py"))]
for _area in AREAS:
    EXPECTED.update(_area.ROWS)


@pytest.fixture
def url_values(app, school):
    """A real value for every URL variable used by the routes."""
    with app.app_context():
        guard = db.session.execute(db.select(User).where(User.username == "guard")).scalar_one()
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "南门")).scalar_one()
        buf = io.BytesIO()
        Image.new("RGB", (20, 20), "blue").save(buf, "PNG")
        photo = save_photo(process_photo(buf.getvalue()), app.config["PHOTO_FOLDER"], guard)
        check, _ = log_check(guard, cp, check_id=uuid.uuid4(), observed_at=utcnow(),
                             items={"gate_intact": "fault"}, photos={"gate_intact": photo})
        db.session.commit()
        values = {"code": cp.code, "photo_id": str(photo.id), "check_id": str(check.id),
                  "filename": "app.css"}
    for area in AREAS:
        if hasattr(area, "url_values"):
            values.update(area.url_values(app))
    return values


def _client(app, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, role).status_code == 303
    return client


def _request(client, rule, method, values):
    path = rule.rule
    for name in rule.arguments:
        for converter in ("", "uuid:", "path:", "int:", "string:"):
            path = path.replace(f"<{converter}{name}>", str(values[name]))
    token = csrf_token(client)
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.post(path, json={}, headers={"X-CSRFToken": token})
    return client.post(path, data={"csrf_token": token})


def test_every_route_has_a_row(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - set(EXPECTED))
    assert not missing, f"add these routes to EXPECTED in tests/test_permissions.py: {missing}"
    stale = sorted(set(EXPECTED) - routes)
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app, url_values, role):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"  # this test signs in once per route
    failures = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            expected = EXPECTED.get((rule.endpoint, method), {}).get(role)
            client = _client(app, role)
            response = _request(client, rule, method, url_values)
            if response.status_code != expected:
                failures.append(f"{method} {rule.rule} as {role}: {response.status_code}, "
                                f"expected {expected}")
            assert response.status_code != 500
    assert not failures, "\n".join(failures)
