"""The JSON API, driven as a script would, and kept true to its OpenAPI document."""
import uuid

import jsonschema
import pytest

from inspect_app.extensions import db
from inspect_app.models import Check

from .conftest import matches_schema


def validate(response, schema_name):
    matches_schema(response.json, schema_name)


def body(code, **overrides):
    data = {"id": str(uuid.uuid4()), "checkpoint": code,
            "observed_at": "2026-11-20T08:30:00+08:00",
            "items": {"in_place": "ok", "gauge": "fault", "pin_seal": "ok"},
            "note": "gauge low"}
    data.update(overrides)
    return data


def count_checks(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Check.id)))


def test_post_check_then_replay_then_conflict(app, client, school, token):
    headers = token("guard")
    data = body(school["灭火器 01"])
    first = client.post("/api/v1/checks", json=data, headers=headers)
    assert first.status_code == 201, first.json
    validate(first, "Check")
    assert first.json["observed_at"] == "2026-11-20T00:30:00+00:00"
    assert first.json["result"] == "fault" and first.json["user"] == "guard"
    assert first.json["faults"] == [{"item": "gauge", "note": "", "photo": None}]
    again = client.post("/api/v1/checks", json=data, headers=headers)
    assert again.status_code == 200 and again.json == first.json
    same_instant = dict(data, observed_at="2026-11-20T00:30:00Z")
    assert client.post("/api/v1/checks", json=same_instant, headers=headers).status_code == 200
    changed = dict(data, note="something else")
    conflict = client.post("/api/v1/checks", json=changed, headers=headers)
    assert conflict.status_code == 409
    validate(conflict, "Error")
    assert count_checks(app) == 1
    fetched = client.get(f"/api/v1/checks/{data['id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.json == first.json


def test_all_ok_with_a_typed_code_and_a_replay_by_someone_else(app, client, school, token):
    """A code as a person types it (lower case, a dash, O for 0) finds the checkpoint; a
    replay of the same check by another account returns the stored check, its author kept."""
    code = school["灭火器 01"]
    typed = (code[:3] + "-" + code[3:]).lower().replace("0", "o").replace("1", "l")
    data = body(typed, items={"in_place": "ok", "gauge": "ok", "pin_seal": "ok"}, note="")
    first = client.post("/api/v1/checks", json=data, headers=token("guard"))
    assert first.status_code == 201, first.json
    assert first.json["checkpoint"] == code and first.json["result"] == "ok"
    again = client.post("/api/v1/checks", json=data, headers=token("staff"))
    assert again.status_code == 200 and again.json == first.json
    assert again.json["user"] == "guard"
    assert count_checks(app) == 1


@pytest.mark.parametrize("change, field", [
    ({"id": "not-a-uuid"}, "id"),
    ({"observed_at": "2026-11-20T08:30:00"}, "observed_at"),
    ({"observed_at": "yesterday"}, "observed_at"),
    ({"items": {}}, "items"),
    ({"items": {"gauge": "maybe"}}, "items"),
    ({"items": {"no_such_item": "ok"}}, "items"),
    ({"note": 5}, "note"),
    ({"checkpoint": ""}, "checkpoint"),
    ({"observed_at": "2099-01-01T00:00:00+00:00"}, "observed_at"),  # over a year ahead
])
def test_malformed_checks_get_422_naming_the_field(app, client, school, token, change, field):
    response = client.post("/api/v1/checks", json=body(school["灭火器 01"], **change),
                           headers=token("guard"))
    assert response.status_code == 422
    validate(response, "Error")
    assert field in response.json["fields"]
    assert count_checks(app) == 0


def test_not_json_is_422(client, school, token):
    response = client.post("/api/v1/checks", data="hello", headers=token("guard"))
    assert response.status_code == 422 and "body" in response.json["fields"]


def test_unknown_checkpoint_404(client, token):
    response = client.post("/api/v1/checks", json=body("ZZZZZZZ"), headers=token("staff"))
    assert response.status_code == 404
    assert client.get("/api/v1/checkpoints/ZZZZZZZ", headers=token("staff")).status_code == 404


def test_401_without_auth_and_403_for_teacher(app, client, school, token):
    data = body(school["灭火器 01"])
    assert client.post("/api/v1/checks", json=data).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.post("/api/v1/checks", json=data, headers=bad).status_code == 401
    response = client.post("/api/v1/checks", json=data, headers=token("teacher"))
    assert response.status_code == 403
    validate(response, "Error")
    assert count_checks(app) == 0


def test_a_bearer_token_alone_signs_an_api_request_in(as_role, token):
    """A browser session does not stand in for a token that is wrong or revoked."""
    browser = as_role("admin")
    assert browser.get("/api/v1/me").json["username"] == "admin"
    wrong = browser.get("/api/v1/me", headers={"Authorization": "Bearer ci_not-a-token"})
    assert wrong.status_code == 401
    assert "Set-Cookie" not in wrong.headers
    assert browser.get("/api/v1/me", headers=token("guard")).json["username"] == "guard"
    assert browser.get("/api/v1/me").json["username"] == "admin"  # the session is intact


def test_token_requests_get_no_session_cookie(client, school, token):
    response = client.get(f"/api/v1/checkpoints/{school['南门']}", headers=token("guard"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_checkpoint_lists_checklist_in_the_callers_language(client, school, token):
    headers = token("guard") | {"Accept-Language": "en"}
    response = client.get(f"/api/v1/checkpoints/{school['灭火器 01'].lower()}", headers=headers)
    assert response.status_code == 200
    validate(response, "Checkpoint")
    checklist = {i["key"]: i["label"] for i in response.json["checklist"]}
    assert checklist["gauge"] == "Pressure gauge in the green"
    assert response.json["kind"] == {"key": "fire_extinguisher", "name": "Fire extinguisher"}
    assert response.json["location"] == "南校区/启慧楼/1F"


def test_session_auth_needs_the_csrf_header(app, as_role, school):
    guard = as_role("guard")
    data = body(school["南门"], items={"gate_intact": "ok"})
    refused = guard.post("/api/v1/checks", json=data)
    assert refused.status_code == 400 and refused.json["error"] == "csrf_failed"
    me = guard.get("/api/v1/me")
    validate(me, "Me")
    accepted = guard.post("/api/v1/checks", json=data,
                          headers={"X-CSRFToken": me.json["csrf_token"]})
    assert accepted.status_code == 201
    assert count_checks(app) == 1


def test_correction_points_to_the_corrected_check(app, client, school, token):
    headers = token("staff")
    first = client.post("/api/v1/checks", json=body(school["灭火器 01"]), headers=headers).json
    fix = body(school["灭火器 01"], items={"gauge": "ok"}, corrects=first["id"], note="")
    response = client.post("/api/v1/checks", json=fix, headers=headers)
    assert response.status_code == 201 and response.json["corrects"] == first["id"]
    assert client.get(f"/api/v1/checks/{first['id']}", headers=headers).json == first
    elsewhere = body(school["南门"], items={"gate_intact": "ok"}, corrects=first["id"])
    assert client.post("/api/v1/checks", json=elsewhere, headers=headers).status_code == 422


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule[len("/api/v1"):].replace("<", "{").replace(">", "}")
            path = path.replace("{check_id}", "{id}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((path, method.lower()))
    assert served == documented
    jsonschema.Draft202012Validator.check_schema(spec["components"]["schemas"]["NewCheck"])


def test_photo_upload_is_idempotent(client, token):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    photo_id = str(uuid.uuid4())
    headers = token("guard")
    first = client.post("/api/v1/photos", headers=headers,
                        data={"id": photo_id, "file": (io.BytesIO(buf.getvalue()), "a.png")})
    assert first.status_code == 201 and first.json["id"] == photo_id
    again = client.post("/api/v1/photos", headers=headers,
                        data={"id": photo_id, "file": (io.BytesIO(buf.getvalue()), "a.png")})
    assert again.status_code == 200
    bad = client.post("/api/v1/photos", headers=headers,
                      data={"file": (io.BytesIO(b"%PDF-1.4"), "a.png")})
    assert bad.status_code == 422 and "file" in bad.json["fields"]
