"""The demo school: two campuses, buildings, rooms, ~40 extinguishers, ~15 apparatus,
one user per role and a few weeks of past checks. Loading it twice changes nothing."""
import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from .catalog import ensure_standard_kinds
from .extensions import db
from .importer import ensure_location
from .models import Check, CheckFinding, Checkpoint, Label, User
from .operations import issue_code

DEMO_PASSWORD = "demo1234"
DEMO_USERS = [  # username, role, display name
    ("admin", "admin", "王主任"),
    ("guard", "guard", "李师傅"),
    ("guard2", "guard", "赵师傅"),
    ("staff", "staff", "张师傅"),
    ("teacher", "teacher", "陈老师"),
]
NAMESPACE = uuid.UUID("6f1c2a40-5b1e-4c8e-9d7a-2f0e4b9c1a11")

CLASSROOM_BUILDINGS = [("南校区", "启慧楼", 4, 4), ("北校区", "知行楼", 3, 3)]
EXTINGUISHER_SPOTS = [  # campus/building, floors, per floor
    ("南校区/启慧楼", 4, 2), ("南校区/明德楼", 3, 2), ("南校区/食堂", 1, 4),
    ("南校区/配电间", 1, 2), ("北校区/知行楼", 3, 2), ("北校区/体育馆", 1, 4),
    ("北校区/图书馆", 2, 2), ("北校区/配电间", 1, 2), ("南校区/南门", 1, 2),
    ("北校区/北门", 1, 2),
]
APPARATUS = [("北校区/操场", "单杠", 3), ("北校区/操场", "双杠", 2), ("北校区/操场", "篮球架", 4),
             ("北校区/操场", "足球门", 2), ("南校区/操场", "乒乓球台", 2),
             ("南校区/操场", "攀爬架", 1), ("南校区/操场", "肋木", 1)]
FAULT_NOTES = {
    "fire_extinguisher": {"gauge": "压力表指针在红区", "pin_seal": "铅封脱落",
                          "in_place": "被杂物遮挡", "service_date": "已过检验期"},
    "sports_apparatus": {"firm": "底座螺栓松动", "structure": "横杠有裂纹", "surface": "立柱锈蚀"},
    "classroom": {"lights": "两根灯管不亮", "fans": "电扇异响", "desks_chairs": "课桌桌腿松动",
                  "doors_windows": "窗户玻璃裂了"},
    "patrol_point": {"lighting": "路灯不亮", "doors_windows": "后门未上锁"},
}


def _places():
    """(location path, name, kind key, responsible username, facts) for every checkpoint."""
    places = []
    for campus, building, floors, rooms in CLASSROOM_BUILDINGS:
        for floor in range(1, floors + 1):
            for room in range(1, rooms + 1):
                number = f"{floor}{room:02d}"
                places.append((f"{campus}/{building}/{floor}F/{number}", f"{number}教室",
                               "classroom", "teacher", {}))
            places.append((f"{campus}/{building}/{floor}F", f"{floor}楼东侧楼梯间",
                           "stairwell", "staff", {}))
    places += [
        ("南校区/明德楼/1F/101", "总务处办公室", "office", "admin", {}),
        ("南校区/明德楼/1F/102", "教务处办公室", "office", "teacher", {}),
        ("南校区/明德楼/2F/201", "物理实验室", "lab", "teacher", {}),
        ("南校区/明德楼/2F/202", "化学实验室", "lab", "teacher", {}),
        ("南校区/明德楼/3F/301", "生物实验室", "lab", "teacher", {}),
        ("南校区/食堂/1F/操作间", "食堂操作间", "canteen", "staff", {}),
        ("南校区/食堂/1F/留样间", "食品留样柜", "food_sample", "staff", {}),
        ("南校区/配电间", "南校区配电间", "electrical_room", "staff", {}),
        ("北校区/配电间", "北校区配电间", "electrical_room", "staff", {}),
        ("南校区/南门", "南门", "gate", "guard", {}),
        ("北校区/北门", "北门", "gate", "guard2", {}),
        ("北校区/后门", "北校区后门", "gate", "guard2", {}),
        ("南校区/围墙", "东侧围墙", "patrol_point", "guard", {}),
        ("南校区/围墙", "西侧围墙", "patrol_point", "guard", {}),
        ("南校区/自行车棚", "自行车棚", "patrol_point", "guard", {}),
        ("南校区/启慧楼/1F", "启慧楼一楼大厅", "patrol_point", "guard", {}),
        ("北校区/操场", "操场看台", "patrol_point", "guard2", {}),
        ("北校区/体育馆", "体育馆入口", "patrol_point", "guard2", {}),
    ]
    number = 0
    for building, floors, per_floor in EXTINGUISHER_SPOTS:
        for floor in range(1, floors + 1):
            for i in range(per_floor):
                number += 1
                side = "东" if i % 2 == 0 else "西"
                path = f"{building}/{floor}F" if floors > 1 else building
                dry = number % 5 != 0
                facts = {"type": "ABC干粉 4kg" if dry else "二氧化碳 3kg",
                         "service_date": f"{2026 + number % 2}-{number % 12 + 1:02d}-01"}
                places.append((path, f"灭火器 {number:02d}（{floor}楼{side}侧）",
                               "fire_extinguisher", "staff", facts))
    for path, name, count in APPARATUS:
        for i in range(1, count + 1):
            places.append((path, f"{name} {i}号" if count > 1 else name, "sports_apparatus",
                           "staff", {}))
    return places


def _ensure_users():
    users = {}
    for username, role, name in DEMO_USERS:
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(username=username, role=role, display_name=name)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def _ensure_checkpoint(kinds, users, path, name, kind_key, responsible, facts, since=None):
    location = ensure_location(path)
    cp = db.session.execute(db.select(Checkpoint).where(
        Checkpoint.location_id == location.id, Checkpoint.name == name)).scalar_one_or_none()
    if cp is not None:
        return cp, False
    code = issue_code()
    # Labelled before the demo's history starts, so past weeks show what was really missed.
    cp = Checkpoint(code=code, name=name, kind_id=kinds[kind_key].id, location_id=location.id,
                    responsible_id=users[responsible].id, facts=facts,
                    **({"created_at": since} if since else {}))
    db.session.add(cp)
    db.session.add(Label(code=code, checkpoint=cp, state="active"))
    db.session.flush()
    return cp, True


def _visit_days(spelling, first, last):
    """The local dates in [first, last] on which the demo school visited."""
    day = first
    while day <= last:
        if spelling == "daily":
            yield day
        elif spelling.startswith("weekly") and day.weekday() == 0:
            yield day
        elif spelling.startswith("monthly") and day.day == 2:
            yield day
        day += timedelta(days=1)


def _past_checks(cp, users, today, days, tz, rng):
    kind = cp.kind
    spelling = kind.schedule.spelling if kind.schedule else "daily"
    daily = spelling == "daily"
    made = 0
    for day in _visit_days(spelling, today - timedelta(days=days), today - timedelta(days=1)):
        if rng.random() > (0.9 if daily else 0.93):
            continue  # a missed check, so the statistics have something to show
        # Every random draw comes before the "already there" test, so a second run
        # draws the same sequence and adds nothing.
        user = users[rng.choice(["guard", "guard2"])] if daily else users["staff"]
        at = time(17 + rng.randint(0, 1), rng.randint(0, 59)) if daily else time(
            8 + rng.randint(0, 7), rng.randint(0, 59))
        notes = FAULT_NOTES.get(kind.key, {})
        fault_key = rng.choice(sorted(notes)) if notes and rng.random() < 0.06 else None
        received_delay = timedelta(seconds=rng.randint(1, 40))
        check_id = uuid.uuid5(NAMESPACE, f"{cp.location.path}/{cp.name}/{day.isoformat()}")
        if db.session.get(Check, check_id) is not None:
            continue
        observed = datetime.combine(day, at, tz)
        items = {item.key: "ok" for item in kind.active_items}
        if fault_key:
            items[fault_key] = "fault"
        received = observed + received_delay
        db.session.add(Check(id=check_id, checkpoint_id=cp.id, user_id=user.id,
                             observed_at=observed, received_at=received, items=items,
                             fault_count=1 if fault_key else 0, source="demo",
                             content_hash=check_id.hex))
        if fault_key:
            db.session.add(CheckFinding(check_id=check_id, item_key=fault_key,
                                        note=notes[fault_key]))
        made += 1
    return made


def load_demo(days=28, today=None):
    """Load (or top up) the demo school; returns a one-line summary."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    today = today or datetime.now(tz).date()
    kinds = ensure_standard_kinds()
    users = _ensure_users()
    rng = random.Random(20260901)
    created = checks = 0
    for path, name, kind_key, responsible, facts in _places():
        cp, new = _ensure_checkpoint(kinds, users, path, name, kind_key, responsible, facts,
                                     since=datetime.combine(today - timedelta(days=days + 7),
                                                            time(8), tz))
        created += new
        checks += _past_checks(cp, users, today, days, tz, rng)
    db.session.flush()
    load_demo_calendar(today)
    load_demo_rounds(today, tz)
    load_demo_repairs()
    return (f"demo school: {created} checkpoints added, {checks} past checks added; "
            f"sign in as {', '.join(u for u, *_ in DEMO_USERS)} with password {DEMO_PASSWORD}")


def load_demo_calendar(today):
    """The current term and a few closure days around `today` (safe to run twice)."""
    from .models import CalendarDay, Term

    autumn = today.month >= 8 or today.month == 1
    year = today.year if today.month >= 8 else today.year - 1
    if autumn:
        name, first, last = f"{year}-{year + 1}学年第一学期", date(year, 9, 1), date(year + 1, 1, 22)
        holidays = [("国庆节", date(year, 10, 1), 7), ("元旦", date(year + 1, 1, 1), 1)]
    else:
        name, first, last = f"{year}-{year + 1}学年第二学期", date(year + 1, 2, 23), date(year + 1, 7, 3)
        holidays = [("清明节", date(year + 1, 4, 5), 1), ("劳动节", date(year + 1, 5, 1), 5)]
    first, last = min(first, today - timedelta(days=14)), max(last, today + timedelta(days=14))
    if db.session.execute(db.select(Term.id).where(Term.name == name)).first() is None:
        db.session.add(Term(name=name, first_date=first, last_date=last))
    holidays.append(("校运会", today + timedelta(days=9 - today.weekday()), 1))  # next Wednesday
    for label, start, length in holidays:
        for i in range(length):
            day = start + timedelta(days=i)
            if db.session.execute(db.select(CalendarDay.id).where(CalendarDay.day == day)).first() is None:
                db.session.add(CalendarDay(day=day, kind="closed", name=label))
    db.session.flush()


DEMO_ROUNDS = [  # name, campus, guard
    ("南校区晚间巡查", "南校区", "guard"),
    ("北校区晚间巡查", "北校区", "guard2"),
]


def load_demo_rounds(today, tz, runs=5):
    """Two evening rounds (gates and patrol points of each campus, 17:30-19:00, every day)
    and their runs on the last few evenings (safe to run twice)."""
    from .models import Kind, Location, Round, RoundGuard, RoundRun, RoundStop
    from .rounds_ops import finish_run

    for name, campus, username in DEMO_ROUNDS:
        rnd = db.session.execute(db.select(Round).where(Round.name == name)).scalar_one_or_none()
        guard = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        if rnd is None:
            stops = db.session.scalars(
                db.select(Checkpoint).join(Kind).join(Location)
                .where(Kind.key.in_(("gate", "patrol_point")), Location.path.like(f"{campus}/%"))
                .order_by(Location.path, Checkpoint.name)).all()
            rnd = Round(name=name, window_start=time(17, 30), window_end=time(19, 0),
                        weekdays=list(range(7)), runs_on_closure_days=True)
            rnd.stops = [RoundStop(checkpoint_id=cp.id, position=i) for i, cp in enumerate(stops)]
            db.session.add(rnd)
            db.session.flush()
            db.session.add(RoundGuard(round_id=rnd.id, user_id=guard.id))
        for back in range(1, runs + 1):
            day = today - timedelta(days=back)
            if db.session.execute(db.select(RoundRun.id).where(
                    RoundRun.round_id == rnd.id, RoundRun.run_date == day)).first():
                continue
            started = datetime.combine(day, time(17, 2), tz)
            run = RoundRun(round_id=rnd.id, user_id=guard.id, run_date=day, started_at=started,
                           stop_count=len(rnd.stops))
            db.session.add(run)
            db.session.flush()
            finish_run(guard, run, datetime.combine(day, time(18, 58), tz))
    db.session.flush()


DEMO_REPAIRS = [  # place path, checkpoint name, reporter (None: anonymous), severity, category,
    # description, days ago, steps as (username, action, fields)
    ("北校区/操场", "单杠 1号", "guard", "hazard", "sports", "横杠有裂纹，已拉警戒线", 0, []),
    ("南校区/自行车棚", "自行车棚", None, "minor", "lighting_electrical", "车棚的灯晚上不亮", 1, []),
    ("南校区/启慧楼/2F/203", "203教室", "teacher", "minor", "lighting_electrical",
     "讲台上方两根灯管不亮", 1, [("admin", "accept", {"assignee": "staff"}),
                                 ("staff", "start", {})]),
    ("南校区/食堂/1F/操作间", "食堂操作间", "teacher", "major", "water", "洗菜池水龙头漏水", 2,
     [("admin", "assign", {"assignee": "staff"}),
      ("staff", "done", {"note": "更换阀芯", "parts": [{"name": "阀芯", "quantity": 1, "unit": "个"}],
                         "cost": "18"})]),
    ("南校区/启慧楼/1F/101", "101教室", "teacher", "minor", "furniture", "第三排课桌桌腿松动", 6,
     [("admin", "assign", {"assignee": "staff"}),
      ("staff", "done", {"note": "紧固桌腿", "parts": [{"name": "螺丝", "quantity": 4}]}),
      ("teacher", "sign_off", {"rating": 5, "note": "很及时"})]),
    ("北校区/知行楼/1F/102", "102教室", "teacher", "minor", "doors_windows", "后门门锁卡住", 6,
     [("admin", "accept", {"assignee": "staff"})]),
]


def load_demo_repairs():
    """A few repairs in different states: new (a hazard, an anonymous report), in progress,
    done and waiting for sign-off, closed and rated, overdue. Safe to run twice."""
    from .models import Location
    from .repair_steps import step
    from .repairs_ops import report_repair

    for path, name, reporter, severity, category, text, days_ago, steps in DEMO_REPAIRS:
        cp = db.session.scalar(db.select(Checkpoint).join(Location).where(
            Location.path == path, Checkpoint.name == name))
        if cp is None:
            continue
        user = db.session.scalar(db.select(User).where(User.username == reporter)) if reporter else None
        repair, created, _token = report_repair(
            cp, severity=severity, category=category, description=text, reporter=user,
            uid=uuid.uuid5(NAMESPACE, f"repair/{path}/{name}"),
            reporter_name="" if user else "家长 刘女士")
        if not created:
            continue
        repair.reported_at -= timedelta(days=days_ago, hours=2)
        for username, action, fields in steps:
            actor = db.session.scalar(db.select(User).where(User.username == username))
            step(repair, action, user=actor, **fields)
    db.session.flush()
