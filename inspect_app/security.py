"""Sessions, API tokens and security headers."""
import hashlib

from flask import g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam

from .extensions import db, login_manager
from .models import ApiToken, User

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
       "worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def hash_token(token):
    """Tokens are stored as their SHA-256; a leaked database leaks no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(req):
    """The token of an API request that sends `Authorization: Bearer <token>`, else None."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    return header[7:].strip()


@login_manager.user_loader
def load_user(user_id):
    if bearer_token(request) is not None:
        # Flask-Login reads a remember-me cookie before it asks the request loader; a
        # request that sends a token is still signed in by the token alone.
        return load_user_from_token(request)
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.active else None


def _by_live_token(*columns):
    return (db.select(*columns).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("hash"), ApiToken.revoked_at.is_(None)))


_USER_BY_TOKEN = _by_live_token(User)
# The same user as plain values (for the fast check path).
TOKEN_USER = _by_live_token(User.id, User.username, User.role, User.active)


@login_manager.request_loader
def load_user_from_token(req):
    """Authorization: Bearer <token> signs the request in for the API only."""
    token = bearer_token(req)
    if token is None:
        return None
    user = db.session.execute(_USER_BY_TOKEN, {"hash": hash_token(token)}).scalar_one_or_none()
    if user is None or not user.active:
        return None
    g.token_auth = True
    return user


def response_headers(config):
    """The security headers every response carries, as (name, value) pairs."""
    headers = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
               ("Permissions-Policy", "camera=(self), geolocation=()")]
    if config["COOKIE_SECURE"]:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def add_headers(response, always):
    """Add the headers of response_headers() that a view has not set, and Vary: HX-Request
    (a page and its htmx fragment share a URL)."""
    # Plain list work: werkzeug's setdefault and response.vary cost a twentieth of an API
    # request (measured), and every response passes here.
    present = {name.lower() for name, _value in response.headers}
    response.headers.extend([(k, v) for k, v in always if k.lower() not in present])
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "HX-Request"
    elif "hx-request" not in vary.lower():
        response.headers["Vary"] = f"{vary}, HX-Request"
    return response


def init_app(app):
    """Security headers on every response; no session cookie for token requests."""
    always = response_headers(app.config)

    @app.after_request
    def headers(response):
        return add_headers(response, always)

    app.session_interface = TokenAwareSessionInterface()


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """A request that brings a bearer token is signed in by the token alone: its session
    starts empty (any cookie it also sends is not read) and is never saved."""

    def open_session(self, app, request):
        if bearer_token(request) is not None:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if bearer_token(request) is not None:
            return None
        return super().save_session(app, session, response)
