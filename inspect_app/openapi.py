"""The OpenAPI 3.1 document of /api/v1. tests/test_api.py keeps it true: every route is
described, and responses are validated against these schemas."""
from .summary_openapi import SUMMARY_SCHEMAS, summary_paths

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

CHECK = {
    "type": "object",
    "required": ["id", "checkpoint", "user", "observed_at", "received_at", "items", "result",
                 "note", "faults", "corrects", "source"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "checkpoint": {"type": "string", "description": "the checkpoint's code"},
        "user": {"type": "string"},
        "observed_at": {"type": "string", "format": "date-time",
                        "description": "the phone's time of the check"},
        "received_at": {"type": "string", "format": "date-time",
                        "description": "the server's time of receipt"},
        "items": {"type": "object",
                  "additionalProperties": {"type": "string", "enum": ["ok", "fault"]}},
        "result": {"type": "string", "enum": ["ok", "fault"]},
        "note": {"type": "string"},
        "faults": {"type": "array", "items": {
            "type": "object", "required": ["item", "note", "photo"],
            "properties": {"item": {"type": "string"}, "note": {"type": "string"},
                           "photo": {"type": ["string", "null"]}}}},
        "corrects": {"type": ["string", "null"], "format": "uuid"},
        "source": {"type": "string"},
    },
}

NEW_CHECK = {
    "type": "object",
    "required": ["id", "checkpoint", "observed_at", "items"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "made by the client; "
               "sending the same id and content again returns the stored check"},
        "checkpoint": {"type": "string", "description": "code, any typed form"},
        "observed_at": {"type": "string", "format": "date-time",
                        "description": "ISO 8601 with a UTC offset"},
        "items": {"type": "object", "minProperties": 1,
                  "additionalProperties": {"type": "string", "enum": ["ok", "fault"]}},
        "note": {"type": "string", "maxLength": 2000},
        "item_notes": {"type": "object", "additionalProperties": {"type": "string"}},
        "photos": {"type": "object", "description": "item key to an uploaded photo's id",
                   "additionalProperties": {"type": "string", "format": "uuid"}},
        "corrects": {"type": "string", "format": "uuid",
                     "description": "the earlier check this one corrects"},
        "source": {"type": "string", "maxLength": 16,
                   "description": "where the check comes from; api unless given"},
    },
}

CHECKPOINT = {
    "type": "object",
    "required": ["code", "display_code", "name", "kind", "location", "responsible", "status",
                 "schedule", "checklist", "last_check"],
    "properties": {
        "code": {"type": "string"},
        "display_code": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "object", "required": ["key", "name"],
                 "properties": {"key": {"type": "string"}, "name": {"type": "string"}}},
        "location": {"type": "string", "description": "path, e.g. 北校区/启慧楼/2F/203"},
        "responsible": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["in_service", "out_of_service", "retired"]},
        "schedule": {"type": ["string", "null"]},
        "checklist": {"type": "array", "items": {
            "type": "object", "required": ["key", "label"],
            "properties": {"key": {"type": "string"}, "label": {"type": "string"}}}},
        "last_check": {"anyOf": [{"$ref": "#/components/schemas/Check"}, {"type": "null"}]},
    },
}

PHOTO = {
    "type": "object", "required": ["id", "width", "height"],
    "properties": {"id": {"type": "string", "format": "uuid"},
                   "width": {"type": "integer"}, "height": {"type": "integer"}},
}

ME = {
    "type": "object", "required": ["username", "name", "role", "csrf_token"],
    "properties": {"username": {"type": "string"}, "name": {"type": "string"},
                   "role": {"type": "string", "enum": ["admin", "guard", "staff", "teacher"]},
                   "csrf_token": {"type": "string"}},
}

OFFLINE_PACK = {
    "type": "object", "required": ["codes", "urls", "limit"],
    "properties": {"codes": {"type": "array", "items": {"type": "string"},
                             "description": "checkpoint codes, most important first"},
                   "urls": {"type": "array", "items": {"type": "string"},
                            "description": "the /q/<code> page of each, to keep"},
                   "limit": {"type": "integer", "description": "at most this many"}},
}


_STR_OR_NULL = {"type": ["string", "null"]}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_SEVERITY = {"type": "string", "enum": ["hazard", "major", "minor"]}
_CATEGORY = {"type": "string", "enum": ["lighting_electrical", "water", "doors_windows",
                                        "furniture", "sports", "fire_safety", "network_it",
                                        "cleaning", "other"]}
_STATUS = {"type": "string", "enum": ["reported", "accepted", "assigned", "in_progress", "done",
                                      "closed", "declined", "merged"]}

REPAIR = {
    "type": "object",
    "required": ["id", "number", "url", "checkpoint", "checkpoint_name", "location", "item", "title",
                 "category", "severity", "description", "status", "verified", "source",
                 "reporter", "reporter_name", "reporter_phone", "assignee", "followers",
                 "me_too_count", "reopen_count", "reported_at", "accepted_at", "due_at",
                 "done_at", "closed_at", "overdue", "rating", "rating_comment", "cost",
                 "merged_into", "parts", "photos", "events"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "the client's id"},
        "number": {"type": "integer", "description": "the repair's number (#12)"},
        "url": {"type": "string"},
        "checkpoint": {"type": "string"}, "checkpoint_name": {"type": "string"},
        "location": {"type": "string"},
        "item": {**_STR_OR_NULL, "description": "checklist item, for faults found on checks"},
        "title": {"type": "string"}, "category": _CATEGORY, "severity": _SEVERITY,
        "description": {"type": "string"}, "status": _STATUS,
        "verified": {"type": ["boolean", "null"],
                     "description": "true: signed off by the reporter; false: closed without"},
        "source": {"type": "string", "enum": ["web", "api", "anonymous", "check"]},
        "reporter": _STR_OR_NULL, "reporter_name": {"type": "string"},
        "reporter_phone": {**_STR_OR_NULL, "description": "only for staff and the manager"},
        "assignee": _STR_OR_NULL,
        "followers": {"type": "array", "items": {"type": "string"}},
        "me_too_count": {"type": "integer"}, "reopen_count": {"type": "integer"},
        "reported_at": {"type": "string", "format": "date-time"},
        "accepted_at": _TIME_OR_NULL, "due_at": _TIME_OR_NULL, "done_at": _TIME_OR_NULL,
        "closed_at": _TIME_OR_NULL, "overdue": {"type": "boolean"},
        "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "rating_comment": {"type": "string"},
        "cost": {**_STR_OR_NULL, "description": "yuan, e.g. 12.50"},
        "merged_into": {"type": ["integer", "null"]},
        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/RepairPart"}},
        "photos": {"type": "array", "items": {
            "type": "object", "required": ["id", "stage", "url"],
            "properties": {"id": {"type": "string", "format": "uuid"},
                           "stage": {"type": "string", "enum": ["report", "after"]},
                           "url": {"type": "string"}}}},
        "events": {"type": "array", "items": {
            "type": "object", "required": ["action", "at", "actor", "from_status", "to_status",
                                           "note", "data"],
            "properties": {"action": {"type": "string"},
                           "at": {"type": "string", "format": "date-time"},
                           "actor": _STR_OR_NULL, "from_status": _STR_OR_NULL,
                           "to_status": _STR_OR_NULL, "note": {"type": "string"},
                           "data": {"type": "object"}}}},
    },
}

REPAIR_PART = {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string", "maxLength": 100},
                   "quantity": {"type": "number", "exclusiveMinimum": 0, "default": 1},
                   "unit": {"type": "string", "maxLength": 20}},
}

NEW_REPAIR = {
    "type": "object",
    "required": ["id", "checkpoint", "severity", "description"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "made by the client; the same "
               "id and content again returns the stored repair (200), other content 409"},
        "checkpoint": {"type": "string", "description": "code, any typed form"},
        "category": {**_CATEGORY, "description": "default: the checkpoint kind's category"},
        "severity": _SEVERITY,
        "description": {"type": "string", "maxLength": 500},
        "photos": {"type": "array", "maxItems": 4, "description": "ids from POST /photos, "
                   "uploaded by the same user", "items": {"type": "string", "format": "uuid"}},
    },
}

REPAIR_STEP = {
    "type": "object",
    "required": ["action"],
    "description": "accept (severity, assignee, due), assign (assignee, due): manager; "
                   "start, done (note = what was done, parts, cost, photos): the assignee or "
                   "manager; sign_off (rating, note = comment), reject (note = what is still "
                   "wrong), rate: the reporter; decline, merge (into, note = reason): manager; "
                   "me_too: anyone signed in; comment (note): anyone who sees the repair. "
                   "403 not allowed for this person; 409 not possible in the current state.",
    "properties": {
        "action": {"type": "string", "enum": ["accept", "assign", "start", "done", "sign_off",
                                              "reject", "decline", "merge", "me_too", "comment",
                                              "rate"]},
        "id": {"type": "string", "format": "uuid",
               "description": "optional client id; a replayed step is stored once"},
        "note": {"type": "string", "maxLength": 2000},
        "assignee": {"type": "string", "description": "username of a staff member"},
        "due": {"type": "string", "format": "date", "description": "local date; default from "
                "severity (hazard, major: the same day; minor: 3 days)"},
        "severity": _SEVERITY,
        "parts": {"type": "array", "maxItems": 20,
                  "items": {"$ref": "#/components/schemas/RepairPart"}},
        "cost": {"type": ["number", "string"], "description": "yuan"},
        "photos": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "into": {"type": ["integer", "string"], "description": "merge: the other repair's "
                 "number or id"},
    },
}


def _json(schema_name, description):
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


def _errors(*statuses):
    text = {400: "CSRF token missing or expired (session auth)", 401: "not signed in",
            403: "role not allowed", 404: "not found", 409: "same id, other content",
            422: "malformed; `fields` names each bad field"}
    return {str(s): _json("Error", text[s]) for s in statuses}


def document():
    """The OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Campus Inspect API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/me": {"get": {"summary": "Who is signed in; a CSRF token for session writes",
                            "responses": {"200": _json("Me", "the user"), **_errors(401)}}},
            "/checkpoints/{code}": {"get": {
                "summary": "A checkpoint with its checklist",
                "parameters": [{"name": "code", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("Checkpoint", "the checkpoint"), **_errors(401, 404)}}},
            "/checks": {"post": {
                "summary": "Log a check (idempotent by id)",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewCheck"}}}},
                "responses": {"201": _json("Check", "stored"),
                              "200": _json("Check", "already stored with the same content"),
                              **_errors(400, 401, 403, 404, 409, 422)}}},
            "/checks/{id}": {"get": {
                "summary": "One check",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "responses": {"200": _json("Check", "the check"), **_errors(401, 403, 404)}}},
            "/photos": {"post": {
                "summary": "Upload a photo; re-encoded to JPEG, metadata stripped",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "contentMediaType": "image/*"},
                        "id": {"type": "string", "format": "uuid"}}}}}},
                "responses": {"201": _json("Photo", "stored"),
                              "200": _json("Photo", "already stored"),
                              **_errors(400, 401, 422)}}},
            "/offline-pack": {"get": {
                "summary": "Checkpoints whose pages the signed-in user's phone keeps offline",
                "responses": {"200": _json("OfflinePack", "codes and pages to keep"),
                              **_errors(401)}}},
            **_due_paths(),
            **summary_paths(_json, _errors),
            "/repairs": {"post": {
                "summary": "Report a problem at a checkpoint (idempotent by id)",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewRepair"}}}},
                "responses": {"201": _json("Repair", "stored"),
                              "200": _json("Repair", "already stored with the same content"),
                              **_errors(400, 401, 403, 404, 409, 422)}}},
            "/repairs/{repair_id}": {"get": {
                "summary": "One repair with its timeline",
                "parameters": [{"name": "repair_id", "in": "path", "required": True,
                                "description": "the number or the client's UUID",
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("Repair", "the repair"), **_errors(401, 403, 404)}}},
            "/repairs/{repair_id}/events": {"post": {
                "summary": "Take a lifecycle step",
                "parameters": [{"name": "repair_id", "in": "path", "required": True,
                                "description": "the number or the client's UUID",
                                "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RepairStep"}}}},
                "responses": {"200": _json("Repair", "the repair after the step"),
                              "403": _json("Error", "this person may not take this step"),
                              "409": _json("Error", "not possible in the repair's state "
                                           "(error: out_of_order), or the step id was used "
                                           "for another step (error: conflict)"),
                              **_errors(400, 401, 404, 422)}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "flask --app inspect_app token add USERNAME"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "writes also need the X-CSRFToken header"},
                "share": {"type": "apiKey", "in": "header", "name": "X-Share-Token",
                          "description": "a weekly summary share link's token (read-only)"},
            },
            "schemas": {**DUE_SCHEMAS, "Error": ERROR, "Check": CHECK, "NewCheck": NEW_CHECK,
                        "Checkpoint": CHECKPOINT, "Photo": PHOTO, "Me": ME,
                        "Repair": REPAIR, "RepairPart": REPAIR_PART, "NewRepair": NEW_REPAIR,
                        "RepairStep": REPAIR_STEP,
                        "OfflinePack": OFFLINE_PACK, **SUMMARY_SCHEMAS},
        },
    }


# --- what is due, rounds and runs (api_due.py) ----------------------------------------------------

_DT = {"type": ["string", "null"], "format": "date-time"}
STATES = ["overdue", "due", "upcoming", "done", "late", "missed"]
DUE_SCHEMAS = {
    "DueItem": {
        "type": "object",
        "required": ["checkpoint", "display_code", "name", "kind", "location", "schedule", "window",
                     "runs_on_closure_days", "period", "state", "due_date", "due_from", "deadline",
                     "check", "previous", "rounds", "mine"],
        "properties": {
            "checkpoint": {"type": "string"}, "display_code": {"type": "string"},
            "name": {"type": "string"}, "kind": {"type": "string"}, "location": {"type": "string"},
            "schedule": {"type": "string", "description": "daily, weekly:mon, monthly:1 ..."},
            "window": {"type": ["string", "null"], "description": "17:30-19:30"},
            "runs_on_closure_days": {"type": "boolean"},
            "period": {"type": "object", "required": ["key", "first_date", "last_date", "start", "end"],
                       "properties": {"key": {"type": "string", "description": "2026-11-21, 2026-W47, 2026-11"},
                                      "first_date": {"type": "string", "format": "date"},
                                      "last_date": {"type": "string", "format": "date"},
                                      "start": {"type": "string", "format": "date-time"},
                                      "end": {"type": "string", "format": "date-time"}}},
            "state": {"type": "string", "enum": STATES,
                      "description": "missed only for a past date's ended period"},
            "due_date": {"type": ["string", "null"], "format": "date",
                         "description": "null: any day of the period"},
            "due_from": _DT, "deadline": _DT,
            "check": {**_DT, "description": "observed_at of the check that counted"},
            "previous": {"type": "object", "required": ["key", "outcome"], "properties": {
                "key": {"type": "string"},
                "outcome": {"type": "string", "enum": ["done", "late", "missed", "open", "not_planned"]}}},
            "rounds": {"type": "array", "items": {"type": "integer"}},
            "mine": {"type": "boolean", "description": "on the caller's own work list"},
        },
    },
    "DueList": {
        "type": "object",
        "required": ["now", "date", "timezone", "user", "scope", "counts", "done", "total", "items"],
        "properties": {
            "now": {"type": "string", "format": "date-time"}, "date": {"type": "string", "format": "date"},
            "timezone": {"type": "string"}, "user": {"type": "string"},
            "scope": {"type": "string", "enum": ["mine", "all"]},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "done": {"type": "integer", "description": "done + late"},
            "total": {"type": "integer", "description": "items that are due (not upcoming)"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/DueItem"}},
        },
    },
    "Round": {
        "type": "object",
        "required": ["id", "name", "window_start", "window_end", "weekdays", "runs_on_closure_days",
                     "active", "guards", "stop_count"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "window_start": {"type": ["string", "null"]}, "window_end": {"type": ["string", "null"]},
            "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6},
                         "description": "0 = Monday"},
            "runs_on_closure_days": {"type": "boolean"}, "active": {"type": "boolean"},
            "guards": {"type": "array", "items": {"type": "string"},
                       "description": "assigned usernames; empty: any guard"},
            "stop_count": {"type": "integer"},
            "stops": {"type": "array", "items": {
                "type": "object", "required": ["position", "checkpoint", "name", "location"],
                "properties": {"position": {"type": "integer"}, "checkpoint": {"type": "string"},
                               "name": {"type": "string"}, "location": {"type": "string"}}}},
        },
    },
    "RoundList": {"type": "object", "required": ["rounds"], "properties": {
        "rounds": {"type": "array", "items": {"$ref": "#/components/schemas/Round"}}}},
    "Run": {
        "type": "object",
        "required": ["id", "round", "user", "run_date", "started_at", "finished_at", "duration_seconds",
                     "stop_count", "visited", "missed", "out_of_order"],
        "properties": {
            "id": {"type": "integer"}, "round": {"type": "integer"}, "user": {"type": "string"},
            "run_date": {"type": "string", "format": "date"},
            "started_at": {"type": "string", "format": "date-time"}, "finished_at": _DT,
            "duration_seconds": {"type": ["integer", "null"]}, "stop_count": {"type": "integer"},
            "visited": {"type": ["integer", "null"]}, "missed": {"type": ["integer", "null"]},
            "out_of_order": {"type": ["integer", "null"]},
            "stops": {"type": "array", "items": {
                "type": "object",
                "required": ["checkpoint", "name", "visited_at", "sequence", "in_order", "in_window", "state"],
                "properties": {"checkpoint": {"type": "string"}, "name": {"type": "string"},
                               "visited_at": _DT, "sequence": {"type": ["integer", "null"]},
                               "in_order": {"type": ["boolean", "null"]},
                               "in_window": {"type": ["boolean", "null"]},
                               "state": {"type": "string", "enum": ["visited", "missed", "pending"]}}}},
        },
    },
    "RunList": {"type": "object", "required": ["runs"], "properties": {
        "runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}}}},
}


def _due_paths():
    rid = [{"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    run_id = [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/due": {"get": {
            "summary": "Checkpoints due for the caller, overdue first, with period and state",
            "parameters": [
                {"name": "all", "in": "query", "schema": {"type": "string", "enum": ["1"]},
                 "description": "everything due, not only the caller's work"},
                {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "judge the periods containing this local date (default today)"}],
            "responses": {"200": _json("DueList", "the due list"), **_errors(401, 403, 422)}}},
        "/rounds": {"get": {
            "summary": "Rounds in use (all=1: also those taken out of use)",
            "parameters": [{"name": "all", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _json("RoundList", "the rounds"), **_errors(401, 403)}}},
        "/rounds/{round_id}": {"get": {
            "summary": "A round with its points in order", "parameters": rid,
            "responses": {"200": _json("Round", "the round"), **_errors(401, 403, 404)}}},
        "/rounds/{round_id}/runs": {
            "get": {"summary": "Runs of a round, newest first",
                    "parameters": rid + [{"name": "limit", "in": "query",
                                          "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                    "responses": {"200": _json("RunList", "the runs"), **_errors(401, 403, 404, 422)}},
            "post": {"summary": "Start walking the round now", "parameters": rid,
                     "responses": {"201": _json("Run", "started"),
                                   "200": _json("Run", "already going"),
                                   "409": _json("Error", "another round is going, or no points"),
                                   **_errors(400, 401, 403, 404)}}},
        "/runs/{run_id}": {"get": {
            "summary": "A run: each point visited (in order, in the window), missed or pending",
            "parameters": run_id,
            "responses": {"200": _json("Run", "the run"), **_errors(401, 403, 404)}}},
        "/runs/{run_id}/finish": {"post": {
            "summary": "Finish a run (its walker or an admin); points not visited are missed",
            "parameters": run_id,
            "responses": {"200": _json("Run", "finished"), **_errors(400, 401, 403, 404)}}},
    }
