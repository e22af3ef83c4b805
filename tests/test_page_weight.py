"""The first load of /q/<code> on a cheap phone: HTML, CSS and JS, gzipped, at most 30 KB."""
import gzip
import re

BUDGET = 30 * 1024


def test_first_load_of_a_checkpoint_page_fits_the_budget(as_role, school):
    guard = as_role("guard")  # the heaviest version: with the checklist form
    page = guard.get(f"/q/{school['灭火器 01']}")
    html = page.data
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:css|js)[^"]*)"', html)
    assert any(b".css" in a for a in assets) and any(b"htmx-2.0." in a for a in assets)
    total = len(gzip.compress(html, 9))
    for url in assets:
        response = guard.get(url.decode().replace("&amp;", "&"))
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        total += len(gzip.compress(response.data, 9))
        response.close()
    assert total <= BUDGET, f"{total} bytes gzipped"
