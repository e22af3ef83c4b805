"""Permission rows for the label pages (see test_permissions.py)."""

from .permission_table import row


ROWS = {
    ("labels.index", "GET"): row(302, 403, 403, 403, 200),
    ("labels.print_pdf", "POST"): row(302, 403, 403, 403, 422),
    ("labels.calibration", "GET"): row(302, 403, 403, 403, 404),  # no layout given
    ("labels.offset", "POST"): row(302, 403, 403, 403, 422),
    ("labels.single", "GET"): row(302, 403, 403, 200, 200),
    ("labels.replace", "POST"): row(302, 403, 403, 403, 303),
    ("labels.link", "POST"): row(302, 403, 403, 403, 404),  # the code is not a blank label
}


def url_values(app):
    return {"fmt": "png"}
