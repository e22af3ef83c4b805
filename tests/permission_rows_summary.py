"""Permission rows for the weekly summary, term statistics, share links and a checkpoint's
history (see tests/test_permissions.py)."""
from inspect_app.extensions import db
from inspect_app.models import User
from inspect_app.summary_shares import create_share

from .permission_table import ALL, row


MANAGER = row(302, 403, 403, 403, 200)
ROWS = {
    ("summary.weekly", "GET"): MANAGER,
    ("summary.weekly_csv", "GET"): MANAGER,
    ("summary.term", "GET"): MANAGER,
    ("summary.links", "GET"): MANAGER,
    ("summary.make_link", "POST"): row(302, 403, 403, 403, 422),  # no name given
    ("summary.revoke", "POST"): row(302, 403, 403, 403, 303),
    ("summary.shared", "GET"): ALL,  # the share link is the key
    ("summary.shared_csv", "GET"): ALL,
    ("summary.history", "GET"): row(302, 200, 200, 200, 200),
    ("api.summary_weekly", "GET"): row(401, 403, 403, 403, 200),
    ("api.summary_term", "GET"): row(401, 403, 403, 403, 200),
}


def url_values(app):
    """One share link to open, another to revoke (so the order of the walk does not matter)."""
    with app.app_context():
        admin = db.session.execute(db.select(User).where(User.username == "admin")).scalar_one()
        _shown, token = create_share(admin, "校长室")
        to_revoke, _token = create_share(admin, "家委会群")
        db.session.commit()
        return {"share_token": token, "share_id": to_revoke.id}
