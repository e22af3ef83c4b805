"""Permission rows for the installable/offline routes (inspect_app/pwa.py)."""
from .permission_table import ALL, row

ROWS = {
    ("pwa.service_worker", "GET"): ALL,
    ("pwa.manifest", "GET"): ALL,
    ("pwa.offline", "GET"): ALL,
    ("api.offline_pack", "GET"): row(401, 200, 200, 200, 200),
}
