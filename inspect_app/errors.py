"""Error pages in the user's language; JSON for the API."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("Your role does not allow this."),
        404: _("This page does not exist."),
        405: _("This action is not possible here."),
        410: _("This is no longer available."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Wait a minute and try again."),
        500: _("Something went wrong on the server. Nothing you saved before was lost."),
    }


def init_app(app):
    """Register the handlers."""
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if request.path.startswith("/api/"):
            return jsonify(error="csrf_failed",
                           message=_("The form expired. Reload the page and try again.")), 400
        if request.endpoint == "scan.log":
            from .scan import resend_expired_check

            return resend_expired_check(request.view_args["code"])
        return render_template("error.html", status=400, message=_(
            "The form expired. Go back, reload the page and send it again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(exc):
        status = exc.code or 500
        message = _messages().get(status, exc.name)
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=message), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(500)
    def server_error(exc):
        message = _messages()[500]
        if request.path.startswith("/api/"):
            return jsonify(error="server_error", message=message), 500
        return render_template("error.html", status=500, message=message), 500
