"""OpenAPI paths and schemas of the summary API (api_summary.py), merged into openapi.py."""

_INT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_STR_OR_NULL = {"type": ["string", "null"]}
_COUNT_PROPS = {"planned": _INT, "done": _INT, "late": _INT, "missed": _INT, "open": _INT,
                "completion_rate": {**_RATE, "description": "(done + late) / (planned - open)"},
                "on_time_rate": {**_RATE, "description": "done / (planned - open)"}}
_COUNT_KEYS = list(_COUNT_PROPS)


def _counts(**extra):
    return {"type": "object", "required": _COUNT_KEYS + list(extra),
            "properties": {**_COUNT_PROPS, **extra}}


def _list(**props):
    return {"type": "array", "items": {"type": "object", "required": list(props),
                                       "properties": props}}


_REPAIR_ROW = {"type": "object", "required": ["id", "checkpoint", "severity", "status",
                                              "reported_at", "age_days", "overdue"],
               "properties": {"id": {"type": "integer"}, "checkpoint": _STR_OR_NULL,
                              "name": {"type": "string"}, "location": {"type": "string"},
                              "category": {"type": "string"}, "severity": {"type": "string"},
                              "status": {"type": "string"}, "description": {"type": "string"},
                              "reported_at": {"type": "string", "format": "date-time"},
                              "due_at": {"type": ["string", "null"], "format": "date-time"},
                              "age_days": {"type": "number"}, "overdue": {"type": "boolean"}}}
_SATISFACTION = {"type": "object", "required": ["ratings", "average", "good", "good_share",
                                                "target", "met"],
                 "properties": {"ratings": _INT, "average": {"type": ["number", "null"]},
                                "good": {**_INT, "description": "ratings of 4 or 5"},
                                "good_share": _RATE, "target": {"type": "number"},
                                "met": {"type": "boolean"}}}

SUMMARY_SCHEMAS = {
    "WeeklySummary": {
        "type": "object",
        "description": "See inspect_app/stats.py for what each figure counts.",
        "required": ["week", "first_date", "last_date", "timezone", "generated_at", "complete",
                     "checks", "monthly", "missed", "rounds", "faults", "repairs",
                     "satisfaction", "trend"],
        "properties": {
            "week": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
            "first_date": {"type": "string", "format": "date"},
            "last_date": {"type": "string", "format": "date"},
            "timezone": {"type": "string"}, "generated_at": {"type": "string"},
            "complete": {"type": "boolean", "description": "the week has ended"},
            "checks": {"type": "object", "required": ["overall", "by_frequency", "by_kind",
                                                      "by_area", "by_person", "checks_logged"],
                       "properties": {
                           "overall": _counts(),
                           "by_frequency": {"type": "object",
                                            "properties": {"daily": _counts(), "weekly": _counts()}},
                           "by_kind": {"type": "array", "items": _counts(
                               kind={"type": "string"}, names={"type": "object"})},
                           "by_area": {"type": "array", "items": _counts(
                               campus={"type": "string"}, building={"type": "string"})},
                           "by_person": _list(user=_STR_OR_NULL, name={"type": "string"},
                                              planned=_INT, missed=_INT, open=_INT, done=_INT,
                                              late=_INT),
                           "checks_logged": _INT}},
            "monthly": {"type": "array", "items": _counts(
                month={"type": "string"}, first_date={"type": "string", "format": "date"},
                last_date={"type": "string", "format": "date"}, final={"type": "boolean"},
                days_left=_INT)},
            "missed": _list(checkpoint={"type": "string"}, name={"type": "string"},
                            kind={"type": "string"}, location={"type": "string"},
                            frequency={"type": "string"}, period={"type": "string"},
                            responsible=_STR_OR_NULL),
            "rounds": {"type": "object", "required": ["runs", "finished", "completed_in_window",
                                                      "points_missed", "median_minutes"],
                       "properties": {"runs": _INT, "finished": _INT,
                                      "completed_in_window": _INT, "points_missed": _INT,
                                      "median_minutes": {"type": ["number", "null"]}}},
            "faults": {"type": "object", "required": ["findings", "checks_with_faults", "items",
                                                      "hazards"],
                       "properties": {"findings": _INT, "checks_with_faults": _INT,
                                      "items": _list(checkpoint=_STR_OR_NULL, item={"type": "string"},
                                                     note={"type": "string"},
                                                     observed_at={"type": "string"}),
                                      "hazards": {"type": "array", "items": _REPAIR_ROW}}},
            "repairs": {"type": "object",
                        "required": ["opened", "closed", "declined", "merged",
                                     "median_hours_to_close", "open_at_end", "overdue_at_end",
                                     "hazards_open_at_end", "as_of", "open"],
                        "properties": {"opened": _INT, "closed": _INT, "declined": _INT,
                                       "merged": _INT,
                                       "median_hours_to_close": {"type": ["number", "null"]},
                                       "open_at_end": _INT, "overdue_at_end": _INT,
                                       "hazards_open_at_end": _INT, "as_of": {"type": "string"},
                                       "open": {"type": "array", "items": _REPAIR_ROW}}},
            "satisfaction": _SATISFACTION,
            "trend": {"type": "array", "items": _counts(week={"type": "string"},
                                                        open_repairs=_INT)},
        },
    },
    "TermSummary": {
        "type": "object",
        "required": ["from", "to", "term", "repairs", "parts", "checks", "satisfaction"],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"}, "term": _STR_OR_NULL,
            "repairs": {"type": "object", "required": ["reported", "closed",
                                                       "median_hours_to_close", "by_category",
                                                       "by_severity"],
                        "properties": {"reported": _INT, "closed": _INT,
                                       "median_hours_to_close": {"type": ["number", "null"]},
                                       "by_category": _list(category={"type": "string"},
                                                            reported=_INT, closed=_INT),
                                       "by_severity": _list(severity={"type": "string"},
                                                            reported=_INT, closed=_INT)}},
            "parts": _list(name={"type": "string"}, unit={"type": "string"},
                           quantity={"type": "number"}),
            "checks": {"type": "object", "required": ["total", "with_faults", "by_kind"],
                       "properties": {"total": _INT, "with_faults": _INT,
                                      "by_kind": _list(kind={"type": "string"}, checks=_INT,
                                                       with_faults=_INT)}},
            "satisfaction": _SATISFACTION,
        },
    },
}


def summary_paths(json, errors):
    """The paths, built with openapi.py's own helpers."""
    return {
        "/summary/weekly": {"get": {
            "summary": "The weekly patrol summary (manager, or a share link's token)",
            "security": [{"bearer": []}, {"session": []}, {"share": []}],
            "parameters": [
                {"name": "week", "in": "query", "schema": {"type": "string",
                                                           "pattern": r"^\d{4}-?W\d{1,2}$"},
                 "description": "ISO week, e.g. 2026-W47 (default: the last complete week)"},
                {"name": "share", "in": "query", "schema": {"type": "string"},
                 "description": "a share link's token (or send X-Share-Token)"}],
            "responses": {"200": json("WeeklySummary", "the figures"), **errors(401, 403, 422)}}},
        "/summary/term": {"get": {
            "summary": "Term statistics for a date range (manager)",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "default: the current term, else the last 120 days"}],
            "responses": {"200": json("TermSummary", "the figures"), **errors(401, 403, 422)}}},
    }
