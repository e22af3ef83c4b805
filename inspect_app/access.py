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
    "print_label": {"admin", "staff"},
    "view_work": {"admin", "guard", "staff"},  # my work, rounds and their runs
    "walk_round": {"admin", "guard", "staff"},  # start and finish a run (see can_finish_run)
    # Repairs (see repairs_ops): anyone signed in reports; the manager triages; staff fix.
    "report_repair": {"admin", "guard", "staff", "teacher"},
    "triage_repairs": {"admin"},
    "work_repairs": {"admin", "staff"},
    "my_repairs_tab": {"staff"},
    "view_all_repairs": {"admin", "guard", "staff"},
    # Weekly summary, term statistics, share links (summary.py); share links need no sign-in.
    "view_summary": {"admin"},
    # A checkpoint's history; teachers see dates and results, not notes or photos
    # (those need view_check_details).
    "view_history": {"admin", "guard", "staff", "teacher"},
}

# A repair step -> who may take it (record-level; see may_step_repair).
REPAIR_STEPS = {
    "accept": "manager", "assign": "manager", "decline": "manager", "merge": "manager",
    "start": "worker", "done": "worker",
    "sign_off": "reporter", "reject": "reporter", "rate": "reporter",
    "me_too": "signed_in", "comment": "viewer",
}


def can(user, action):
    """True if the user may perform the action."""
    if user is None or not user.is_authenticated:
        return False
    return role_may(user.role, action)


def role_may(role, action):
    """True if people of this role may perform the action (for callers that know only the
    role, such as the fast check path)."""
    return role in RULES[action]


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


def is_repair_reporter(user, repair, tracking=False):
    """The reporter: the signed-in person who reported it, or whoever holds its tracking link."""
    if tracking:
        return True
    return bool(user is not None and user.is_authenticated and repair.reporter_id == user.id)


def can_view_repair(user, repair, tracking=False):
    """Guards, staff and the manager see every repair; others the ones they reported or follow."""
    if tracking or can(user, "view_all_repairs"):
        return True
    if user is None or not user.is_authenticated:
        return False
    return repair.reporter_id == user.id or any(f.user_id == user.id for f in repair.followers)


def may_step_repair(user, repair, action, tracking=False):
    """True if this person may take this step on this repair (whether the step fits the
    repair's state is the domain's business, not this)."""
    who = REPAIR_STEPS.get(action)
    if who == "manager":
        return can(user, "triage_repairs")
    if who == "worker":
        return can(user, "triage_repairs") or (
            can(user, "work_repairs") and repair.assignee_id == user.id)
    if who == "reporter":
        return is_repair_reporter(user, repair, tracking)
    if who == "signed_in":
        return can(user, "report_repair")
    if who == "viewer":
        return can_view_repair(user, repair, tracking)
    return False


def is_check_photo(photo_id):
    """True for a photo on a check's finding: /photos/<id> serves only those (to the roles that
    see checks); a repair's photos are served by the repair's own routes, to its viewers."""
    from .extensions import db
    from .models import CheckFinding

    return db.session.scalar(db.select(CheckFinding.id).where(CheckFinding.photo_id == photo_id)
                             .limit(1)) is not None


def can_finish_run(user, run):
    """The person walking a run finishes it; an admin may finish any."""
    return can(user, "walk_round") and (run.user_id == user.id or user.role == "admin")
