"""The weekly patrol summary and term statistics, computed from plain rows.

Pure: no Flask, no database. summary_data.py loads the rows (the check outcomes come from
due.outcomes, the same source as the work list) and the page, the CSV and the JSON API all
call the functions here, so they always show the same figures.

What counts where (documented once, here)
-----------------------------------------
Week        an ISO week, Monday-Sunday in the school's time zone, key '2026-W47'.
In the week a daily period whose date lies in the week, and the weekly period of that ISO
            week. Planned = done + late + missed + open (open: not over yet, not done).
            done = on time; late = done, but not on time. Checks are judged as of now.
Completion  (done + late) / (planned - open): of the periods that are over or done, the
            share that was done at all; None when nothing counts yet.
Months      monthly periods are not counted in the week: every month that overlaps the
            week is shown as its own progress (done / planned, days left), 'final' once
            the month is over.
By person   planned, missed and open count for the checkpoint's responsible person;
            done and late for the person whose check satisfied the period.
Faults      findings of checks observed in the week (a check later corrected is left out
            in favour of its correction), and repairs reported in the week as hazards.
Repairs     opened: reported in the week. closed / declined / merged: reached that state
            in the week. Time to close: reported -> closed, for the week's closed ones.
            Open at week end: reported before the end and not closed before it (the end
            is now for the running week); overdue: open, past due_at, and not done by then.
Satisfaction ratings of the repairs closed in the week: average and share of 4-5
            (target 90%).
Rounds      runs whose date lies in the week. Completed in the window: finished, no point
            missed, started and finished inside the round's window of the run date.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import re
import statistics

OUTCOME_KEYS = ("planned", "done", "late", "missed", "open")
SATISFACTION_TARGET = 0.9
TREND_WEEKS = 8
WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


class BadWeek(ValueError):
    """A week value that is not an ISO week like 2026-W47."""


# -- weeks and periods ------------------------------------------------------------------

def week_key(monday):
    """'2026-W47' for the ISO week containing `monday`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text):
    """The Monday of an ISO week written '2026-W47' (or '2026W47'); raises BadWeek."""
    match = WEEK_RE.match(str(text or ""))
    if not match:
        raise BadWeek(text)
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise BadWeek(text) from None


def monday_of(day):
    return day - timedelta(days=day.weekday())


def last_complete_week(today):
    """The Monday of the last ISO week that has ended by `today`."""
    return monday_of(today) - timedelta(days=7)


def local_start(day, tz):
    """Local midnight of a date, as a UTC instant."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def frequency_of(period):
    """daily | weekly | monthly, read from a period's key (2026-11-20, 2026-W47, 2026-11)."""
    key = period.key
    return "weekly" if "W" in key else ("daily" if len(key) == 10 else "monthly")


def in_week(period, monday):
    """True if a daily or weekly period counts in the week starting `monday`."""
    freq = frequency_of(period)
    if freq == "daily":
        return monday <= period.first_date <= monday + timedelta(days=6)
    return freq == "weekly" and period.first_date == monday


def counts(results):
    """{planned, done, late, missed, open, completion_rate, on_time_rate} of PeriodResults."""
    out = dict.fromkeys(OUTCOME_KEYS, 0)
    for r in results:
        out["planned"] += 1
        out[r.outcome] += 1
    return _rates(out)


def _rates(out):
    decided = out["planned"] - out["open"]
    did = out["done"] + out["late"]
    out["completion_rate"] = round(did / decided, 4) if decided else None
    out["on_time_rate"] = round(out["done"] / decided, 4) if decided else None
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _hours(delta):
    return round(delta.total_seconds() / 3600, 2)


def _iso(value):
    return value.isoformat() if value else None


# -- input rows -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckpointRow:
    id: int
    code: str
    name: str
    kind: str
    kind_names: dict
    location: str
    responsible_id: int | None

    @property
    def campus(self):
        return self.location.split("/")[0]

    @property
    def building(self):
        parts = self.location.split("/")
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class RepairRow:
    id: int
    checkpoint_id: int
    category: str
    severity: str
    status: str
    description: str
    reported_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    closed_at: datetime | None
    rating: int | None


@dataclass(frozen=True)
class RunRow:
    id: int
    round_name: str
    run_date: date
    started_at: datetime
    finished_at: datetime | None
    missed_count: int | None
    window: tuple  # (start, end) UTC of the round's window on run_date


@dataclass
class WeekData:
    """Everything the weekly summary needs, loaded by summary_data.load_week()."""

    monday: date
    at: datetime
    tz: object
    results: dict  # checkpoint id -> [PeriodResult] of the week and its months (due.outcomes)
    checkpoints: dict  # checkpoint id -> CheckpointRow
    users: dict  # user id -> (username, display name)
    checkers: dict  # (checkpoint id, observed_at) -> user id, for the week's checks
    checks_logged: int
    findings: list  # dicts: checkpoint id, observed_at, item, note, user id
    repairs: list  # RepairRow: open at some trend week's end, or touched in the week
    runs: list  # RunRow of the week
    past_weeks: dict = field(default_factory=dict)  # the 7 earlier Mondays -> counts()
    findings_total: int = 0
    checks_with_faults: int = 0


# -- the weekly summary ---------------------------------------------------------------------

def weekly_summary(d: WeekData, *, list_limit=500):
    """The weekly summary as a JSON-ready dict (see the module docstring for each figure)."""
    tz, monday = d.tz, d.monday
    start, end = local_start(monday, tz), local_start(monday + timedelta(days=7), tz)
    cutoff = min(end, d.at)
    week = [(cp_id, r) for cp_id, found in d.results.items() for r in found if in_week(r.period, monday)]
    overall = counts(r for _, r in week)
    by_freq = {f: counts(r for _, r in week if frequency_of(r.period) == f) for f in ("daily", "weekly")}
    return {
        "week": week_key(monday), "first_date": monday.isoformat(),
        "last_date": (monday + timedelta(days=6)).isoformat(), "timezone": str(tz),
        "generated_at": _iso(d.at), "complete": d.at >= end,
        "checks": {
            "overall": overall, "by_frequency": by_freq,
            "by_kind": _grouped(d, week, lambda cp: cp.kind,
                                lambda cp: {"kind": cp.kind, "names": cp.kind_names}),
            "by_area": _grouped(d, week, lambda cp: (cp.campus, cp.building),
                                lambda cp: {"campus": cp.campus, "building": cp.building}),
            "by_person": _by_person(d, week),
            "checks_logged": d.checks_logged,
        },
        "monthly": _months(d),
        "missed": _missed(d, week)[:list_limit],
        "rounds": _rounds(d.runs),
        "faults": {
            "findings": d.findings_total, "checks_with_faults": d.checks_with_faults,
            "items": [_finding(d, f) for f in d.findings[:list_limit]],
            "hazards": [_repair(d, r, cutoff) for r in d.repairs
                        if r.severity == "hazard" and start <= r.reported_at < end][:list_limit],
        },
        "repairs": _repairs(d, start, end, cutoff, list_limit),
        "satisfaction": satisfaction(r.rating for r in d.repairs
                                     if r.closed_at and start <= r.closed_at < end),
        "trend": trend(d),
    }


def _grouped(d, week, key_of, head):
    groups, heads = defaultdict(list), {}
    for cp_id, r in week:
        cp = d.checkpoints[cp_id]
        key = key_of(cp)
        groups[key].append(r)
        heads.setdefault(key, head(cp))
    return [dict(heads[k], **counts(groups[k])) for k in sorted(groups)]


def _person(d, user_id):
    username, name = d.users.get(user_id, (None, ""))
    return {"user": username, "name": name}


def _by_person(d, week):
    rows = defaultdict(lambda: dict.fromkeys(("planned", "missed", "open", "done", "late"), 0))
    for cp_id, r in week:
        owner = d.checkpoints[cp_id].responsible_id
        rows[owner]["planned"] += 1
        if r.outcome in ("missed", "open"):
            rows[owner][r.outcome] += 1
        if r.outcome in ("done", "late"):
            rows[d.checkers.get((cp_id, r.check))][r.outcome] += 1
    out = [dict(_person(d, uid), **rows[uid]) for uid in rows]
    return sorted(out, key=lambda p: (p["user"] is None, -p["missed"], p["user"] or ""))


def _missed(d, week):
    out = []
    for cp_id, r in week:
        if r.outcome != "missed":
            continue
        cp = d.checkpoints[cp_id]
        person = _person(d, cp.responsible_id)
        out.append({"checkpoint": cp.code, "name": cp.name, "kind": cp.kind,
                    "kind_names": cp.kind_names, "location": cp.location,
                    "frequency": frequency_of(r.period), "period": r.period.key,
                    "due_date": _iso(r.due_date), "responsible": person["user"],
                    "responsible_name": person["name"]})
    return sorted(out, key=lambda m: (m["location"], m["name"], m["period"]))


def _months(d):
    monday, sunday = d.monday, d.monday + timedelta(days=6)
    today = d.at.astimezone(d.tz).date()
    groups = defaultdict(list)
    for found in d.results.values():
        for r in found:
            p = r.period
            if frequency_of(p) == "monthly" and p.first_date <= sunday and p.last_date >= monday:
                groups[(p.key, p.first_date, p.last_date)].append(r)
    out = []
    for (key, first, last), results in sorted(groups.items()):
        final = d.at >= local_start(last + timedelta(days=1), d.tz)
        days_left = 0 if final else (last - max(today, first)).days + 1
        out.append(dict(month=key, first_date=first.isoformat(), last_date=last.isoformat(),
                        final=final, days_left=days_left, **counts(results)))
    return out


def _rounds(runs):
    finished = [r for r in runs if r.finished_at]
    in_window = [r for r in finished if not r.missed_count and r.window[0] <= r.started_at
                 and r.finished_at <= r.window[1]]
    minutes = median((r.finished_at - r.started_at).total_seconds() / 60 for r in finished)
    return {"runs": len(runs), "finished": len(finished), "completed_in_window": len(in_window),
            "points_missed": sum(r.missed_count or 0 for r in finished),
            "median_minutes": round(minutes, 1) if minutes is not None else None}


def _finding(d, f):
    cp = d.checkpoints.get(f["checkpoint_id"])
    return {"checkpoint": cp.code if cp else f.get("code"), "name": cp.name if cp else f.get("name"),
            "location": cp.location if cp else f.get("location"), "item": f["item"],
            "item_names": f.get("item_names") or {},
            "note": f["note"], "observed_at": _iso(f["observed_at"]),
            "by": _person(d, f["user_id"])["user"]}


def _repair(d, r, cutoff):
    cp = d.checkpoints.get(r.checkpoint_id)
    return {"id": r.id, "checkpoint": cp.code if cp else None, "name": cp.name if cp else "",
            "location": cp.location if cp else "", "category": r.category,
            "severity": r.severity, "status": r.status, "description": r.description,
            "reported_at": _iso(r.reported_at), "due_at": _iso(r.due_at),
            "age_days": round((cutoff - r.reported_at).total_seconds() / 86400, 1),
            "overdue": is_overdue(r, cutoff)}


def is_open(r, instant):
    """Whether a repair was open at an instant (reported before it, not closed before it)."""
    return r.reported_at < instant and (r.closed_at is None or r.closed_at >= instant)


def is_overdue(r, instant):
    """Open at `instant`, past its deadline, and not done by then."""
    return (is_open(r, instant) and r.due_at is not None and r.due_at < instant
            and not (r.done_at is not None and r.done_at < instant))


def _repairs(d, start, end, cutoff, limit):
    closed = [r for r in d.repairs if r.status == "closed" and r.closed_at and start <= r.closed_at < end]
    still = [r for r in d.repairs if is_open(r, cutoff)]
    order = {"hazard": 0, "major": 1, "minor": 2}
    still.sort(key=lambda r: (order.get(r.severity, 3), not is_overdue(r, cutoff), r.reported_at))
    hours = median(_hours(r.closed_at - r.reported_at) for r in closed)

    def ended(status):
        return sum(1 for r in d.repairs if r.status == status and r.closed_at
                   and start <= r.closed_at < end)
    return {
        "opened": sum(1 for r in d.repairs if start <= r.reported_at < end),
        "closed": len(closed), "declined": ended("declined"), "merged": ended("merged"),
        "median_hours_to_close": hours,
        "open_at_end": len(still),
        "overdue_at_end": sum(1 for r in still if is_overdue(r, cutoff)),
        "hazards_open_at_end": sum(1 for r in still if r.severity == "hazard"),
        "as_of": _iso(cutoff),
        "open": [_repair(d, r, cutoff) for r in still[:limit]],
    }


def satisfaction(ratings):
    """{ratings, average, good (4-5), good_share, target, met} of 1-5 ratings."""
    values = [int(v) for v in ratings if v is not None]
    good = sum(1 for v in values if v >= 4)
    share = round(good / len(values), 4) if values else None
    return {"ratings": len(values),
            "average": round(sum(values) / len(values), 2) if values else None,
            "good": good, "good_share": share, "target": SATISFACTION_TARGET,
            "met": share is not None and share >= SATISFACTION_TARGET}


def trend_mondays(monday, weeks=TREND_WEEKS):
    """The Mondays of the `weeks` weeks ending with the week of `monday`, oldest first."""
    return [monday - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def week_counts(results, monday):
    """counts() of the periods of `results` ({checkpoint id: [PeriodResult]}) that count in
    the week starting `monday`."""
    return counts(r for found in results.values() for r in found if in_week(r.period, monday))


def trend(d):
    """[{week, planned, done, late, missed, open, completion_rate, open_repairs}], oldest first:
    the earlier weeks from d.past_weeks (monday -> counts), the week itself from d.results."""
    out = []
    for m in trend_mondays(d.monday):
        figures = week_counts(d.results, m) if m == d.monday else d.past_weeks[m]
        cutoff = min(local_start(m + timedelta(days=7), d.tz), d.at)
        out.append(dict(week=week_key(m), **figures,
                        open_repairs=sum(1 for r in d.repairs if is_open(r, cutoff))))
    return out


def weekly_rows(d: WeekData):
    """The rows behind the figures: one per planned period of the week (and of the months
    overlapping it, section 'month'), for the CSV download."""
    rows = []
    monday, sunday = d.monday, d.monday + timedelta(days=6)
    for cp_id, found in d.results.items():
        cp = d.checkpoints[cp_id]
        for r in found:
            p, freq = r.period, frequency_of(r.period)
            if freq == "monthly":
                if not (p.first_date <= sunday and p.last_date >= monday):
                    continue
                section = "month"
            elif in_week(p, monday):
                section = "week"
            else:
                continue
            checker = d.checkers.get((cp_id, r.check)) if r.check else None
            rows.append({
                "code": cp.code, "name": cp.name, "kind": cp.kind, "location": cp.location,
                "frequency": freq, "period": p.key, "outcome": r.outcome,
                "checked_at": r.check.astimezone(d.tz).isoformat(timespec="minutes") if r.check else "",
                "checked_by": _person(d, checker)["user"] or "" if checker else "",
                "responsible": _person(d, cp.responsible_id)["user"] or "", "section": section})
    rows.sort(key=lambda x: (x["section"] != "week", x["location"], x["name"], x["period"]))
    return rows


# -- term statistics ------------------------------------------------------------------------

@dataclass
class TermData:
    """What term statistics need, loaded by summary_data.load_term()."""

    first: date
    last: date
    at: datetime
    tz: object
    repairs: list  # RepairRow reported in the range, or closed in it
    parts: list  # (name, unit, quantity) of parts used in the range
    checks_by_kind: list  # (kind key, kind names, checks, checks with faults)
    term_name: str | None = None


def term_summary(d: TermData):
    """Term statistics as a JSON-ready dict."""
    start = local_start(d.first, d.tz)
    end = local_start(d.last + timedelta(days=1), d.tz)
    reported = [r for r in d.repairs if start <= r.reported_at < end]
    closed = [r for r in d.repairs if r.status == "closed" and r.closed_at and start <= r.closed_at < end]
    by_cat, by_sev = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for r in reported:
        by_cat[r.category][0] += 1
        by_sev[r.severity][0] += 1
    for r in closed:
        by_cat[r.category][1] += 1
        by_sev[r.severity][1] += 1
    parts = defaultdict(float)
    for name, unit, qty in d.parts:
        parts[(name.strip(), unit or "")] += qty
    hours = median(_hours(r.closed_at - r.reported_at) for r in closed)
    kinds = [{"kind": k, "names": names, "checks": n, "with_faults": f}
             for k, names, n, f in sorted(d.checks_by_kind, key=lambda row: -row[2])]
    sev_order = {"hazard": 0, "major": 1, "minor": 2}
    return {
        "from": d.first.isoformat(), "to": d.last.isoformat(), "term": d.term_name,
        "timezone": str(d.tz), "generated_at": _iso(d.at),
        "repairs": {
            "reported": len(reported), "closed": len(closed), "median_hours_to_close": hours,
            "by_category": [{"category": c, "reported": v[0], "closed": v[1]}
                            for c, v in sorted(by_cat.items(), key=lambda kv: (-kv[1][0], kv[0]))],
            "by_severity": [{"severity": s, "reported": v[0], "closed": v[1]}
                            for s, v in sorted(by_sev.items(), key=lambda kv: sev_order.get(kv[0], 3))],
        },
        "parts": [{"name": n, "unit": u, "quantity": _number(q)}
                  for (n, u), q in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))],
        "checks": {"total": sum(k["checks"] for k in kinds),
                   "with_faults": sum(k["with_faults"] for k in kinds), "by_kind": kinds},
        "satisfaction": satisfaction(r.rating for r in closed),
    }


def _number(q):
    return int(q) if float(q).is_integer() else round(q, 2)
