"""The fast check path: the everyday `POST /api/v1/checks` with an API token, answered
without Flask's request machinery.

Scripts and integrations send checks this way, in bulk: a guard-tour gateway forwarding its
readers' taps, another system's records being loaded, a phone app of the school's own. Through
Flask, two thirds of the work of such a request is the framework's (the request context,
Flask-Login, the ORM session and the objects it builds); the check itself is a few lookups
and one row. This WSGI middleware answers the common case on its own: an API token of an
active user whose role may log checks, a well-formed new check without faults, photos or a
correction, on SQLite with group commit. It calls the domain functions the API view calls
(parse_check_body, the CheckTarget query, check_values, insert_check_row) and answers with
the same JSON and the same headers.

Everything else goes to the app unchanged, with the body handed on: errors of every kind
(answered in the user's language), replays of a stored check, faults, photos, corrections,
browser sessions (the pages and their offline queue), PostgreSQL. So one place decides each
answer, and the fast path only ever says 201.
"""
import io
import json

from werkzeug.wsgi import get_content_length

from . import codes
from .access import role_may
from .api import check_arguments, check_document, parse_check_body
from .extensions import db
from .group_commit import writer_for
from .models import Check
from .operations import (CHECK_TARGET_BY_CODE, CheckTarget, ValidationFailed,
                         check_values, insert_check_row)
from .security import TOKEN_USER, add_headers, hash_token, response_headers

PATH = "/api/v1/checks"
MAX_BODY = 64 * 1024  # a check is about 300 bytes; anything bigger is the app's business


class FastCheckPath:
    """WSGI middleware in front of the app (see the module's docstring). `served` counts
    the requests it answered itself, for the tests and the benchmark."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.served = 0
        self._headers = None
        self._sql = {}  # compiled statements, by engine

    def __call__(self, environ, start_response):
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
                or not self.app.config["FAST_CHECK_PATH"]):
            return self.wsgi_app(environ, start_response)
        body = _read_json_body(environ, self.app.config["MAX_CONTENT_LENGTH"])
        response = None
        if body is not None:
            try:
                response = self._answer(environ, body)
            except Exception:  # noqa: BLE001 - the app answers instead, and logs its own errors
                # Even after the row is stored this is safe: the app finds the check stored
                # and answers 200 with it.
                self.app.logger.exception("fast check path failed; the app answers instead")
        if response is None:
            return self.wsgi_app(environ, start_response)
        self.served += 1
        return response(environ, start_response)

    def _answer(self, environ, raw):
        """The 201 response for a new check, or None to let the app answer."""
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        parsed, bad = parse_check_body(body)
        if bad or body.get("photos") or parsed["corrects"] is not None:
            return None
        token = environ["HTTP_AUTHORIZATION"][7:].strip()
        with self.app.app_context():
            if writer_for(Check.__table__, stamp="received_at") is None:
                return None  # no group writer: the check goes through the session
            user, target = self._lookup(token, body["checkpoint"])
            if user is None or target is None:
                return None
            user_id, username, role, active = user
            if not active or not role_may(role, "log_check"):
                return None
            try:
                values = check_values(user_id, target, **check_arguments(body, parsed))
            except ValidationFailed:
                return None
            if values["fault_count"] or not insert_check_row(values):
                return None  # faults open repairs; a stored id is a replay or a conflict
            response = self.app.json.response(check_document(values, target.code, username))
        response.status_code = 201
        if self._headers is None:
            self._headers = response_headers(self.app.config)
        return add_headers(response, self._headers)

    def _lookup(self, token, code):
        """(user id, username, role, active) of the token, and the CheckTarget of the code:
        two reads on a pooled connection, without the ORM session."""
        code = codes.normalize(code)
        engine = db.engine
        sql = self._sql.get(engine)
        if sql is None:
            sql = self._sql[engine] = tuple(
                statement.compile(dialect=engine.dialect).string
                for statement in (TOKEN_USER, CHECK_TARGET_BY_CODE))
        conn = engine.raw_connection()
        try:
            user = conn.driver_connection.execute(sql[0], (hash_token(token),)).fetchone()
            rows = (conn.driver_connection.execute(sql[1], (code,)).fetchall()
                    if user is not None and code else [])
        finally:
            conn.close()
        return user, CheckTarget.of_rows(rows)


def _read_json_body(environ, max_length=None):
    """The body of a JSON request of known, modest length, read once and put back for the
    app; None for anything else (then nothing is read, or the body was cut short and the app
    sees it as it came). The length is read as werkzeug reads it."""
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    length = get_content_length(environ)
    limit = min(MAX_BODY, max_length or MAX_BODY)
    if content_type != "application/json" or not length or length > limit:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body if len(body) == length else None


def install(app):
    """Put the fast check path in front of the app (FAST_CHECK_PATH switches it off)."""
    app.wsgi_app = FastCheckPath(app, app.wsgi_app)
    app.extensions["fast_checks"] = app.wsgi_app
    return app.wsgi_app

