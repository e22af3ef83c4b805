"""The demo school: two campuses, buildings, rooms, ~40 extinguishers, ~15 apparatus,
one user per role and a few weeks of past checks. Loading it twice changes nothing."""
import random
import uuid
from datetime import datetime, time, timedelta
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


def _ensure_checkpoint(kinds, users, path, name, kind_key, responsible, facts):
    location = ensure_location(path)
    cp = db.session.execute(db.select(Checkpoint).where(
        Checkpoint.location_id == location.id, Checkpoint.name == name)).scalar_one_or_none()
    if cp is not None:
        return cp, False
    code = issue_code()
    cp = Checkpoint(code=code, name=name, kind_id=kinds[kind_key].id, location_id=location.id,
                    responsible_id=users[responsible].id, facts=facts)
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
        cp, new = _ensure_checkpoint(kinds, users, path, name, kind_key, responsible, facts)
        created += new
        checks += _past_checks(cp, users, today, days, tz, rng)
    db.session.flush()
    return (f"demo school: {created} checkpoints added, {checks} past checks added; "
            f"sign in as {', '.join(u for u, *_ in DEMO_USERS)} with password {DEMO_PASSWORD}")

