"""Installable and offline, through the test client: manifest, service worker, offline page,
and the list of checkpoints a phone keeps (the browser tests are in tests/browser/)."""
import gzip
import json

from inspect_app.extensions import db
from inspect_app.models import Checkpoint, User
from inspect_app.pwa import OFFLINE_SOURCES, offline_codes, offline_source

from .test_api import validate


def test_manifest_is_installable_json(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = json.loads(response.data)
    for key in ("id", "name", "short_name", "start_url", "scope", "lang", "theme_color",
                "background_color"):
        assert body[key], key
    assert body["display"] == "standalone" and body["theme_color"] == "#0b5cad"
    sizes = {(i["sizes"], i["purpose"]) for i in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()


def test_manifest_follows_the_language(client):
    client.set_cookie("lang", "en")
    assert json.loads(client.get("/manifest.webmanifest").data)["lang"] == "en"


def test_pages_link_manifest_icons_and_scripts(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'rel="apple-touch-icon"' in html and "offline.js" in html
    assert 'id="queue-badge"' in html and 'id="ios-hint"' in html


def test_service_worker_is_served_from_the_root_with_its_version(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    source = response.get_data(as_text=True)
    assert "__VERSION__" not in source and "__SHELL__" not in source
    assert 'importScripts("/static/offline.js?v=' in source
    shell = json.loads(source.split("var SHELL = ")[1].split(";\n")[0])
    assert "/offline" in shell and any("app.css?v=" in u for u in shell)
    assert any("htmx-2.0." in u for u in shell)
    for url in shell:
        got = client.get(url)
        assert got.status_code == 200, url
        got.close()


def test_offline_script_stays_small(app):
    with open(f"{app.static_folder}/offline.js", "rb") as f:
        assert len(gzip.compress(f.read(), 9)) <= 5 * 1024


def test_offline_page(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert "No signal" in response.get_data(as_text=True) or "没有信号" in response.get_data(
        as_text=True)


def test_offline_pack_needs_sign_in(client):
    response = client.get("/api/v1/offline-pack")
    assert response.status_code == 401
    validate(response, "Error")


def test_offline_pack_of_a_guard_keeps_own_and_daily_checkpoints(as_role, school):
    response = as_role("guard").get("/api/v1/offline-pack")
    assert response.status_code == 200
    validate(response, "OfflinePack")
    codes = response.json["codes"]
    assert school["南门"] in codes  # responsible, and a gate is checked daily
    assert school["灭火器 01"] not in codes  # monthly, someone else's
    assert response.json["urls"] == [f"/q/{c}" for c in codes]


def test_offline_pack_of_a_teacher_keeps_only_own(as_role, school):
    codes = as_role("teacher").get("/api/v1/offline-pack").json["codes"]
    assert codes == [school["203教室"]]


def test_offline_codes_are_capped_unique_and_extensible(app, school):
    with app.app_context():
        guard = db.session.scalar(db.select(User).where(User.username == "guard"))
        extinguisher = school["灭火器 01"]

        @offline_source
        def due_today(user):
            return [extinguisher, school["南门"]]

        try:
            codes = offline_codes(guard)
            assert codes[0] == extinguisher and codes.count(school["南门"]) == 1
            assert offline_codes(guard, limit=1) == [extinguisher]
        finally:
            OFFLINE_SOURCES.remove(due_today)


def test_retired_checkpoints_are_not_kept(app, as_role, school):
    with app.app_context():
        cp = db.session.scalar(db.select(Checkpoint).where(Checkpoint.name == "南门"))
        cp.status = "retired"
        db.session.commit()
    assert school["南门"] not in as_role("guard").get("/api/v1/offline-pack").json["codes"]
