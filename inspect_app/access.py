"""Who may do what. Every permission decision in the app is made here."""
from functools import wraps

from flask import abort, jsonify, redirect, request, url_for
from flask_login import current_user

from .extensions import is_htmx

# action -> roles allowed
RULES = {
    "view_checklist": {"admin", "guard", "staff"},
    "log_check": {"admin", "guard", "staff"},
    "view_check_details": {"admin", "guard", "staff"},
    "manage": {"admin"},
}


def can(user, action):
    """True if the user may perform the action."""
    if user is None or not user.is_authenticated:
        return False
    return user.role in RULES[action]


def login_redirect():
    """Send an anonymous visitor to sign in and back; htmx gets HX-Redirect, the API 401."""
    if request.blueprint == "api":
        return jsonify(error="unauthorized", message="sign in or send a bearer token"), 401
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx() or request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def require(action):
    """Decorator: the signed-in user must be allowed `action`; anonymous users sign in first."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_redirect()
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def require_login(view):
    """Decorator: any signed-in user."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        return view(*args, **kwargs)
    return wrapped
