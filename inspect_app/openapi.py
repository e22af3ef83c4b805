"""The OpenAPI 3.1 document of /api/v1. tests/test_api.py keeps it true: every route is
described, and responses are validated against these schemas."""

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
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "flask --app inspect_app token add USERNAME"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "writes also need the X-CSRFToken header"},
            },
            "schemas": {"Error": ERROR, "Check": CHECK, "NewCheck": NEW_CHECK,
                        "Checkpoint": CHECKPOINT, "Photo": PHOTO, "Me": ME},
        },
    }
