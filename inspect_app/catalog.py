"""The standard kinds a school starts with, their checklists and default schedules.

Drawn from school logistics work plans (see shared/DOMAIN.md). Labels are data, translated
here for zh_Hans, zh_Hant and en; a school may add its own kinds.
"""
from .extensions import db
from .models import ChecklistItem, Kind, Schedule
from .schedule import parse_schedule


def _t(hans, hant, en):
    return {"zh_Hans": hans, "zh_Hant": hant, "en": en}


# key: (names, repair category, schedule spelling, runs on closure days, [(item key, labels)])
STANDARD_KINDS = {
    "patrol_point": (_t("巡逻点位", "巡邏點位", "Patrol point"), "other", "daily", True, [
        ("doors_windows", _t("门窗完好、已按规定关闭", "門窗完好、已按規定關閉",
                             "Doors and windows intact and closed as required")),
        ("lighting", _t("照明正常", "照明正常", "Lighting works")),
        ("no_suspicious", _t("无可疑人员和物品", "無可疑人員和物品",
                             "No suspicious people or objects")),
        ("fire_route", _t("消防通道畅通", "消防通道暢通", "Fire route clear")),
        ("power_off", _t("电器、电源已关闭", "電器、電源已關閉", "Appliances and power switched off")),
    ]),
    "gate": (_t("校门", "校門", "School gate"), "doors_windows", "daily", True, [
        ("gate_intact", _t("大门、门锁完好", "大門、門鎖完好", "Gate and lock intact")),
        ("barrier", _t("防冲撞设施到位", "防衝撞設施到位", "Anti-ram barrier in place")),
        ("cameras", _t("监控摄像正常", "監控攝像正常", "Cameras working")),
        ("visitor_log", _t("来访登记完整", "來訪登記完整", "Visitor log complete")),
        ("lighting", _t("照明正常", "照明正常", "Lighting works")),
    ]),
    "classroom": (_t("教室", "教室", "Classroom"), "lighting_electrical", "monthly:1", False, [
        ("lights", _t("灯具、灯管完好", "燈具、燈管完好", "Lamps and tubes work")),
        ("sockets_switches", _t("插座、开关完好", "插座、開關完好", "Sockets and switches intact")),
        ("fans", _t("电扇运转正常、固定牢靠", "電扇運轉正常、固定牢靠",
                    "Fans run and are firmly fixed")),
        ("doors_windows", _t("门窗、玻璃完好", "門窗、玻璃完好", "Doors, windows and glass intact")),
        ("desks_chairs", _t("课桌椅完好", "課桌椅完好", "Desks and chairs intact")),
        ("multimedia", _t("多媒体设备正常", "多媒體設備正常", "Projector and screen work")),
    ]),
    "office": (_t("办公室", "辦公室", "Office"), "lighting_electrical", "monthly", False, [
        ("lights", _t("灯具完好", "燈具完好", "Lamps work")),
        ("sockets_switches", _t("插座、开关完好", "插座、開關完好", "Sockets and switches intact")),
        ("doors_windows", _t("门窗完好", "門窗完好", "Doors and windows intact")),
        ("power_off", _t("下班前电器、电源已关闭", "下班前電器、電源已關閉",
                         "Appliances switched off after work")),
    ]),
    "lab": (_t("实验室", "實驗室", "Laboratory"), "fire_safety", "weekly", False, [
        ("chemicals_locked", _t("危化品柜上锁、台账相符", "危化品櫃上鎖、台賬相符",
                                "Chemical cabinet locked, register matches")),
        ("ventilation", _t("通风设备正常", "通風設備正常", "Ventilation works")),
        ("water_gas", _t("水龙头、燃气阀已关闭", "水龍頭、燃氣閥已關閉", "Taps and gas valves closed")),
        ("power", _t("电源、插座安全", "電源、插座安全", "Power and sockets safe")),
        ("fire_blanket", _t("灭火毯、急救箱在位", "滅火毯、急救箱在位",
                            "Fire blanket and first-aid kit in place")),
    ]),
    "canteen": (_t("食堂", "食堂", "Canteen"), "fire_safety", "weekly", False, [
        ("gas_pipes", _t("燃气管道、阀门无泄漏", "燃氣管道、閥門無洩漏",
                         "Gas pipes and valves do not leak")),
        ("gas_appliances", _t("燃气用具完好", "燃氣用具完好", "Gas appliances intact")),
        ("gas_alarm", _t("燃气报警器正常", "燃氣報警器正常", "Gas alarm works")),
        ("hood", _t("排烟罩、烟道清洁", "排煙罩、煙道清潔", "Hood and flue clean")),
        ("hygiene", _t("操作间卫生达标", "操作間衛生達標", "Kitchen clean")),
    ]),
    "food_sample": (_t("食品留样", "食品留樣", "Food samples"), "other", "daily", False, [
        ("kept_24h", _t("每餐留样并保存24小时", "每餐留樣並保存24小時",
                        "Every meal sampled and kept 24 hours")),
        ("labelled", _t("留样标签完整", "留樣標籤完整", "Samples labelled")),
        ("fridge_temp", _t("留样冰箱温度正常", "留樣冰箱溫度正常", "Sample fridge at temperature")),
    ]),
    "electrical_room": (_t("配电间", "配電間", "Electrical room"), "lighting_electrical",
                        "weekly", True, [
        ("nothing_stored", _t("室内无杂物堆放", "室內無雜物堆放", "Nothing stored inside")),
        ("door_locked", _t("门锁完好、专人管理", "門鎖完好、專人管理",
                           "Door locked, one keeper")),
        ("panels", _t("配电柜无异响、异味、过热", "配電櫃無異響、異味、過熱",
                      "Panels: no noise, smell or heat")),
        ("signage", _t("警示标识清晰", "警示標識清晰", "Warning signs legible")),
        ("extinguisher", _t("灭火器在位", "滅火器在位", "Extinguisher in place")),
    ]),
    "stairwell": (_t("楼梯间", "樓梯間", "Stairwell"), "doors_windows", "monthly", False, [
        ("windows", _t("楼梯窗户完好", "樓梯窗戶完好", "Stairwell windows intact")),
        ("handrail", _t("扶手、栏杆牢固", "扶手、欄杆牢固", "Handrails firm")),
        ("emergency_light", _t("应急照明正常", "應急照明正常", "Emergency lighting works")),
        ("exit_clear", _t("安全出口、疏散通道畅通", "安全出口、疏散通道暢通",
                          "Exits and escape routes clear")),
        ("exit_sign", _t("疏散指示标志完好", "疏散指示標誌完好", "Exit signs intact")),
    ]),
    "fire_extinguisher": (_t("灭火器", "滅火器", "Fire extinguisher"), "fire_safety",
                          "monthly", True, [
        ("in_place", _t("在位、醒目、无遮挡", "在位、醒目、無遮擋",
                        "In its place, visible and unobstructed")),
        ("gauge", _t("压力表指针在绿区", "壓力表指針在綠區", "Pressure gauge in the green")),
        ("pin_seal", _t("保险销和铅封完好", "保險銷和鉛封完好", "Safety pin and seal intact")),
        ("body", _t("瓶体无变形、锈蚀、泄漏", "瓶體無變形、鏽蝕、洩漏",
                    "No dents, rust or leaks")),
        ("hose_nozzle", _t("喷管、喷嘴完好", "噴管、噴嘴完好", "Hose and nozzle intact")),
        ("service_date", _t("在检验有效期内", "在檢驗有效期內", "Within its service date")),
    ]),
    "sports_apparatus": (_t("体育器材", "體育器材", "Sports apparatus"), "sports",
                         "weekly:mon", False, [
        ("firm", _t("安装牢固、无松动", "安裝牢固、無鬆動", "Firmly fixed, not loose")),
        ("structure", _t("无开裂、断裂、变形", "無開裂、斷裂、變形", "No cracks, breaks or bends")),
        ("welds_bolts", _t("焊点、螺栓完好", "焊點、螺栓完好", "Welds and bolts intact")),
        ("surface", _t("无锈蚀、毛刺、尖角", "無鏽蝕、毛刺、尖角",
                       "No rust, burrs or sharp edges")),
        ("ground", _t("地面、保护垫完好", "地面、保護墊完好", "Ground and mats intact")),
    ]),
}


def ensure_kind(key):
    """The kind with this key, creating a standard kind (with checklist and schedule) if it
    is missing. Returns None for an unknown key that is not in the database."""
    kind = db.session.execute(db.select(Kind).where(Kind.key == key)).scalar_one_or_none()
    if kind is not None or key not in STANDARD_KINDS:
        return kind
    names, category, spelling, closure, items = STANDARD_KINDS[key]
    kind = Kind(key=key, names=names, repair_category=category,
                position=list(STANDARD_KINDS).index(key))
    kind.items = [ChecklistItem(key=k, labels=labels, position=i)
                  for i, (k, labels) in enumerate(items)]
    db.session.add(kind)
    db.session.flush()
    parsed = parse_schedule(spelling)
    db.session.add(Schedule(kind_id=kind.id, frequency=parsed.frequency, weekday=parsed.weekday,
                            monthday=parsed.monthday, runs_on_closure_days=closure))
    db.session.flush()
    return kind


def ensure_standard_kinds():
    """Create every standard kind that is missing; returns them all by key."""
    return {key: ensure_kind(key) for key in STANDARD_KINDS}
