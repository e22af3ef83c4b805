"""The command line: demo, user, token, checkpoints import / export."""
import csv
import io

from inspect_app.extensions import db
from inspect_app.models import Check, Checkpoint, Kind, Label, Schedule, User

HEADER = "code,name,kind,location,schedule,responsible\n"


def write(tmp_path, text, bom=False, name="cps.csv"):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def count(app, model):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_import_creates_then_changes_nothing(app, runner, tmp_path):
    text = HEADER + (",203教室,classroom,北校区/启慧楼/2F/203,,teacher\n"
                     ",灭火器 07,fire_extinguisher,北校区/启慧楼/2F,monthly:15,staff\n"
                     ",单杠,sports_apparatus,北校区/操场,weekly:mon,\n")
    path = write(tmp_path, text, bom=True)
    result = runner.invoke(args=["checkpoints", "import", path])
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0" in result.output
    again = runner.invoke(args=["checkpoints", "import", path])
    assert "created 0, updated 0, unchanged 3" in again.output
    assert count(app, Checkpoint) == 3 and count(app, Label) == 3
    with app.app_context():
        cp = db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "灭火器 07")).scalar_one()
        assert cp.location.path == "北校区/启慧楼/2F" and cp.responsible.username == "staff"
        assert cp.schedule.spelling == "monthly:15"
        assert db.session.execute(db.select(Checkpoint).where(Checkpoint.name == "单杠")
                                  ).scalar_one().responsible is None


def test_export_round_trips_and_keeps_codes(app, runner, tmp_path, school):
    exported = runner.invoke(args=["checkpoints", "export"]).output
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert {r["code"] for r in rows} == set(school.values())
    rows[0]["name"] = rows[0]["name"] + "（改）"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    result = runner.invoke(args=["checkpoints", "import", write(tmp_path, out.getvalue())])
    assert "created 0, updated 1, unchanged 3" in result.output, result.output
    assert count(app, Checkpoint) == 4


def test_bad_file_names_each_bad_row_and_writes_nothing(app, runner, tmp_path):
    text = HEADER + (",好的,classroom,南校区/启慧楼/1F/101,,\n"
                     ",,classroom,南校区/启慧楼/1F/102,,\n"
                     ",灯,lamp,南校区/启慧楼/1F/103,,\n"
                     ",窗,classroom,,fortnightly,nobody\n"
                     ",好的,classroom,南校区/启慧楼/1F/101,,\n")
    result = runner.invoke(args=["checkpoints", "import", write(tmp_path, text)])
    assert result.exit_code != 0
    out = result.output
    assert "row 3: name is empty" in out
    assert "row 4: unknown kind 'lamp'" in out
    assert "row 5: location is empty" in out and "row 5: schedule 'fortnightly'" in out
    assert "row 5: responsible 'nobody' is not a user" in out
    assert "row 6: '好的' at 南校区/启慧楼/1F/101 appears twice (rows 2 and 6)" in out
    assert "nothing was imported" in out
    assert count(app, Checkpoint) == 0


def test_dry_run_changes_nothing(app, runner, tmp_path):
    path = write(tmp_path, HEADER + ",203教室,classroom,北校区/启慧楼/2F/203,,\n")
    result = runner.invoke(args=["checkpoints", "import", "--dry-run", path])
    assert result.exit_code == 0 and "dry run" in result.output and "created 1" in result.output
    assert count(app, Checkpoint) == 0


def test_not_utf8_or_missing_columns(runner, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + ",教室,classroom,南校区,,\n").encode("gbk"))
    assert "CSV UTF-8" in runner.invoke(args=["checkpoints", "import", str(gbk)]).output
    result = runner.invoke(args=["checkpoints", "import", write(tmp_path, "name,kind\nx,room\n")])
    assert "missing column(s): location" in result.output


def test_retired_code_is_never_reused(app, runner, tmp_path, school):
    with app.app_context():
        db.session.add(Label(code="ZZZ2222", state="retired"))
        db.session.commit()
    path = write(tmp_path, HEADER + "ZZZ2222,新点,classroom,南校区,,\n")
    result = runner.invoke(args=["checkpoints", "import", path])
    assert "never reused" in result.output and result.exit_code != 0


def test_user_add_reads_password_from_stdin_and_token_add(app, runner):
    result = runner.invoke(args=["user", "add", "Li.Wei", "--role", "guard", "--name", "李伟"],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "li.wei")).scalar_one()
        assert user.check_password("a long password") and user.role == "guard"
        assert "a long password" not in user.password_hash
    short = runner.invoke(args=["user", "add", "x2", "--role", "guard"], input="short\n")
    assert short.exit_code != 0 and "password" in short.output
    token = runner.invoke(args=["token", "add", "li.wei"]).output.strip()
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "li.wei"
    assert runner.invoke(args=["token", "add", "nobody"]).exit_code != 0


def test_demo_is_realistic_and_safe_to_run_twice(app, runner):
    first = runner.invoke(args=["demo", "--days", "14"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        checkpoints = count(app, Checkpoint)
        checks = count(app, Check)
        kinds = {k.key: k for k in db.session.scalars(db.select(Kind))}
        by_kind = dict(db.session.execute(
            db.select(Kind.key, db.func.count(Checkpoint.id)).join(Checkpoint.kind)
            .group_by(Kind.key)).all())
        campuses = {cp.location.campus_name for cp in db.session.scalars(db.select(Checkpoint))}
        roles = set(db.session.scalars(db.select(User.role)))
        assert kinds["sports_apparatus"].schedule.spelling == "weekly:mon"
        assert kinds["fire_extinguisher"].schedule.spelling == "monthly"
        assert db.session.scalar(db.select(db.func.count()).select_from(Schedule).where(
            Schedule.frequency == "daily")) >= 2
    assert 35 <= by_kind["fire_extinguisher"] <= 45
    assert 12 <= by_kind["sports_apparatus"] <= 18
    assert campuses == {"南校区", "北校区"}
    assert roles == {"admin", "guard", "staff", "teacher"}
    assert checks > 100
    second = runner.invoke(args=["demo", "--days", "14"])
    assert "0 checkpoints added, 0 past checks added" in second.output
    assert count(app, Checkpoint) == checkpoints and count(app, Check) == checks
