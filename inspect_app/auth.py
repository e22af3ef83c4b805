"""Sign in and out, the account page, and the language choice."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from .access import require_login
from .extensions import db, limiter
from .i18n import LANGUAGE_COOKIE, LOCALES
from .models import User

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this phone"), default=True)
    next = HiddenField()


class AccountForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[Length(max=100)])
    locale = StringField(_l("Language"), validators=[AnyOf(("",) + LOCALES)])
    current_password = PasswordField(_l("Current password"), validators=[Optional()])
    new_password = PasswordField(_l("New password"),
                                 validators=[Optional(), Length(min=8, max=200)])
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("new_password", _l("The two passwords differ."))])


class LanguageForm(FlaskForm):
    locale = HiddenField()
    next = HiddenField()


def safe_next(target):
    """Only a local path is accepted as a place to go back to (no other host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing(user, refused_next=""):
    """Where a sign-in without a usable ?next= goes: guards and staff to what is due now
    (their work list), everyone else home. A refused foreign ?next= always goes home."""
    if user.role in ("guard", "staff") and not refused_next:
        return url_for("rounds.work")
    return url_for("scan.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in; goes back to ?next= when it is a local path."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or landing(current_user, form.next.data))
    status = 200
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).where(User.username == form.username.data.strip().lower())
        ).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            from flask import session

            session.permanent = True
            return redirect(safe_next(form.next.data) or landing(user, form.next.data), code=303)
        form.password.errors.append(_("Wrong username or password."))
    if request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out (a POST, so a link in a chat cannot sign anyone out)."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@require_login
def account():
    """Name, language and password of the signed-in person."""
    form = AccountForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    form.locale.data = form.locale.data or ""
    if form.validate_on_submit():
        if form.new_password.data:
            if not current_user.check_password(form.current_password.data or ""):
                form.current_password.errors.append(_("This is not your current password."))
                return render_template("auth/account.html", form=form), 422
            current_user.set_password(form.new_password.data)
        current_user.display_name = (form.display_name.data or "").strip()
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", form=form), 422 if form.errors else 200


@bp.post("/language")
def language():
    """Switch language: a signed-in person's setting, or a cookie for visitors."""
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("scan.index")
    response = redirect(target, code=303)
    if form.validate_on_submit() and form.locale.data in LOCALES:
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        response.set_cookie(LANGUAGE_COOKIE, form.locale.data, max_age=365 * 86400,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["COOKIE_SECURE"])
    return response
