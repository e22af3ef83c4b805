"""A round without signal, in a real Chromium on a phone-sized screen: nothing is lost and
nothing is counted twice."""
import io

import pytest
from PIL import Image

from inspect_app.extensions import db
from inspect_app.models import Check, CheckFinding, Checkpoint, Photo

from .conftest import poll, sign_in, wait_for_worker

pytestmark = pytest.mark.browser


def checks_of(app, code):
    """Every stored check of a checkpoint, oldest first, with its findings."""
    with app.app_context():
        cp = db.session.scalar(db.select(Checkpoint).where(Checkpoint.code == code))
        rows = db.session.scalars(db.select(Check).where(Check.checkpoint_id == cp.id)
                                  .order_by(Check.received_at)).all()
        return [{"id": str(c.id), "items": dict(c.items), "source": c.source,
                 "findings": [(f.item_key, f.note, f.photo_id) for f in c.findings]}
                for c in rows]


def wait_for_kept(page, path):
    """Until the service worker has kept the page (it does so in the background)."""
    poll(page, "p => caches.match(p).then(r => !!r)", f"{path} was not kept", path)


def mark_fault(page, key, note):
    page.click("#check summary")
    page.click(f"label.fault:has(input[name='item-{key}'])")
    page.fill(f"#note-{key}", note)


def badge_count(page):
    page.wait_for_selector("#queue-badge:not([hidden])")
    return int(page.text_content("#queue-badge .n"))


def wait_until_sent(page):
    """Until the queue itself is empty: the badge alone is hidden in the HTML until the
    page's script has read the queue, so waiting on it can return before anything was sent."""
    page.wait_for_function("() => window.CIQueue && CIQueue.all().then(l => l.length === 0)")
    page.wait_for_selector("#queue-badge", state="hidden")


def test_a_round_through_the_basement(live_server, phone):
    """All OK online; a fault offline is queued (badge 1); back online it is sent once."""
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    wait_for_worker(page)
    page.click("button[name=all_ok]")
    page.wait_for_selector("#check.logged")
    assert len(checks_of(app, code)) == 1

    page.reload()
    page.context.set_offline(True)
    mark_fault(page, "barrier", "bollard knocked over")
    page.click("#check button.primary")
    page.wait_for_selector("section.queued[role=status]")
    assert "Saved on this phone" in page.text_content("section.queued")
    assert badge_count(page) == 1
    assert len(checks_of(app, code)) == 1

    page.context.set_offline(False)  # the 'online' event sends it
    wait_until_sent(page)
    stored = checks_of(app, code)
    assert len(stored) == 2
    assert stored[1]["items"]["barrier"] == "fault" and stored[1]["source"] == "offline"
    assert stored[1]["findings"] == [("barrier", "bollard knocked over", None)]
    assert stored[0]["items"] == {k: "ok" for k in stored[1]["items"]}


def test_replaying_the_queue_never_counts_twice(live_server, phone):
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    page.context.set_offline(True)
    page.click("button[name=all_ok]")
    assert badge_count(page) == 1
    entry = page.evaluate("CIQueue.all().then(l => l[0])")
    page.context.set_offline(False)
    wait_until_sent(page)
    # The same entry again, sent twice at once, then on two page loads.
    page.evaluate("e => CIQueue.put(e).then(() => Promise.all([CIQueue.flush(), CIQueue.flush()]))",
                  entry)
    page.evaluate("e => CIQueue.put(e)", entry)
    page.reload()
    wait_until_sent(page)
    page.reload()
    assert page.evaluate("CIQueue.all().then(l => l.length)") == 0
    stored = checks_of(app, code)
    assert [c["id"] for c in stored] == [entry["id"]]


def test_session_ended_while_offline_keeps_the_check_and_asks_to_sign_in(live_server, phone):
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    page.context.set_offline(True)
    page.click("button[name=all_ok]")
    assert badge_count(page) == 1
    page.context.clear_cookies()  # the session ends while in the basement
    page.context.set_offline(False)
    page.wait_for_selector("[data-queue-auth]:not([hidden])")
    assert badge_count(page) == 1
    assert checks_of(app, code) == []
    page.click("[data-queue-auth] a")
    page.fill("#username", "guard")
    page.fill("#password", "correct horse 1")
    page.click("form button.primary")
    page.wait_for_url(f"{base}/q/{code}")
    wait_until_sent(page)
    assert len(checks_of(app, code)) == 1


def test_another_persons_entries_wait_for_them(live_server, phone):
    """A check saved by one guard is never sent as another who signs in on the phone."""
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    page.context.set_offline(True)
    page.click("button[name=all_ok]")
    assert badge_count(page) == 1
    page.context.clear_cookies()
    page.context.set_offline(False)
    sign_in(page, base, "staff", next_path=f"/q/{code}")
    page.evaluate("CIQueue.flush()")
    assert badge_count(page) == 1 and checks_of(app, code) == []


def test_a_refused_entry_is_kept_aside_and_shown(live_server, phone):
    """A 409 (same id, other content) is not retried forever nor dropped silently."""
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    page.click("button[name=all_ok]")
    page.wait_for_selector("#check.logged")
    first = checks_of(app, code)[0]
    page.evaluate("""([id, code]) => CIQueue.add({id: id, url: '/api/v1/checks', method: 'POST',
        user: 'guard', label: 'replayed', photos: [],
        json: {id: id, checkpoint: code, observed_at: new Date().toISOString(),
               items: {gate_intact: 'fault'}}})""", [first["id"], code])
    page.wait_for_selector("#queue-panel li.queue-failed")
    assert "Not accepted" in page.text_content("#queue-panel")
    assert "bad" in page.get_attribute("#queue-badge", "class")
    page.evaluate("CIQueue.flush()")
    assert badge_count(page) == 1 and len(checks_of(app, code)) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#queue-panel li.queue-failed button")
    wait_until_sent(page)


def test_a_photo_taken_offline_is_sent_with_its_check(live_server, phone, tmp_path):
    """The check form's photo for a faulty item is kept on the phone as a Blob and sent first."""
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    picture = tmp_path / "broken-lock.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    picture.write_bytes(buffer.getvalue())
    page = phone
    sign_in(page, base, "guard", next_path=f"/q/{code}")
    page.context.set_offline(True)
    mark_fault(page, "gate_intact", "lock broken")
    page.set_input_files("#photo-gate_intact", str(picture))
    page.click("#check button.primary")
    assert badge_count(page) == 1
    page.context.set_offline(False)
    wait_until_sent(page)
    stored = checks_of(app, code)
    assert len(stored) == 1
    (key, note, photo_id), = stored[0]["findings"]
    assert (key, note) == ("gate_intact", "lock broken") and photo_id is not None
    with app.app_context():
        photo = db.session.get(Photo, photo_id)
        assert photo is not None and (photo.width, photo.height) == (64, 48)
        assert db.session.scalar(db.select(db.func.count(CheckFinding.check_id))) == 1


def test_a_kept_checkpoint_page_opens_without_signal(live_server, phone):
    """The phone keeps the pages of the guard's checkpoints; with the server out of reach the
    checklist opens from the cache, a check is saved, and it is sent when the signal is back."""
    app, base, code = live_server.app, live_server.url, live_server.school["南门"]
    page = phone
    sign_in(page, base, "guard")
    wait_for_worker(page)
    wait_for_kept(page, f"/q/{code}")
    live_server.stop()
    page.context.set_offline(True)
    page.goto(f"{base}/q/{code}")
    page.wait_for_selector("form#check button[name=all_ok]")
    assert page.locator("form#check input[type=radio][value=fault]").count() >= 4
    page.click("button[name=all_ok]")
    assert badge_count(page) == 1
    page.goto(f"{base}/account")  # never visited: the offline page
    assert "No signal" in page.text_content("h1")
    live_server.start()
    page.context.set_offline(False)
    page.goto(f"{base}/q/{code}")
    wait_until_sent(page)
    assert len(checks_of(app, code)) == 1


def test_teacher_reports_a_fault_offline_with_photo(live_server, phone, tmp_path):
    """A teacher's repair report made without signal waits on the phone with its photo and is
    sent once, through POST /api/v1/repairs, when the signal is back."""
    from inspect_app.models import Repair, RepairPhoto

    app, base, code = live_server.app, live_server.url, live_server.school["203教室"]
    picture = tmp_path / "lamp.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "yellow").save(buffer, "JPEG")
    picture.write_bytes(buffer.getvalue())
    page = phone
    sign_in(page, base, "teacher", next_path=f"/report/{code}")
    page.wait_for_selector("form[data-offline]")
    page.context.set_offline(True)
    page.check("input[name=severity][value=minor]", force=True)
    page.fill("#description", "两根灯管不亮")
    page.select_option("#category", "lighting_electrical")
    page.set_input_files("#photos", str(picture))
    page.click("form[data-offline] button.primary")
    assert badge_count(page) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Repair.id))) == 0
    page.context.set_offline(False)
    wait_until_sent(page)
    page.reload()
    wait_until_sent(page)
    with app.app_context():
        [repair] = db.session.scalars(db.select(Repair)).all()
        assert repair.description == "两根灯管不亮" and repair.severity == "minor"
        assert repair.reporter.username == "teacher"
        assert db.session.scalar(db.select(db.func.count(RepairPhoto.id))) == 1
