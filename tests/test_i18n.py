"""Every user-visible string is in the catalogs, translated for each language."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans", "zh_Hant", "en")


def catalog(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def extracted(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "-o", str(pot), "inspect_app", "templates"],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        return {(m.context, m.id) for m in read_po(f) if m.id}


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    ids = extracted(tmp_path)
    assert len(ids) > 50
    for locale in LOCALES:
        known = {(m.context, m.id) for m in catalog(locale) if m.id}
        missing = sorted(f"{c}: {i}" if c else str(i) for c, i in ids - known)
        assert not missing, f"{locale} lacks {missing[:10]}: run the catalog update (README)"


def test_chinese_catalogs_are_fully_translated():
    for locale in ("zh_Hans", "zh_Hant"):
        empty = [m.id for m in catalog(locale) if m.id and not m.string]
        assert not empty, f"{locale}: untranslated {empty[:10]}"
        for message in catalog(locale):
            if message.id and "%(" in str(message.id):
                for name in ("%(n)d", "%(code)s", "%(keys)s", "%(mb)d", "%(roles)s", "%(result)s"):
                    assert (name in str(message.id)) == (name in message.string), message.id


def test_traditional_differs_from_simplified():
    hans = {m.id: m.string for m in catalog("zh_Hans") if m.id}
    hant = {m.id: m.string for m in catalog("zh_Hant") if m.id}
    assert hant["Scan a label"] == "掃描標籤" and hans["Scan a label"] == "扫描标签"
    assert sum(hans[k] != hant[k] for k in hans) > len(hans) / 2


def test_checklist_labels_exist_in_every_language():
    from inspect_app.catalog import STANDARD_KINDS

    for key, (names, _category, _spelling, _closure, items) in STANDARD_KINDS.items():
        assert all(names.get(loc) for loc in LOCALES), key
        for item_key, labels in items:
            assert all(labels.get(loc) for loc in LOCALES), (key, item_key)


def test_a_colon_after_a_label_is_full_width_in_chinese(app, client, school, as_role):
    """上次巡查：… not 上次巡查: … (the colon follows the language, like the words)."""
    anonymous = app.test_client()
    code = school["203教室"]
    for lang, colon in (("zh_Hans", "报修："), ("zh_Hant", "報修："), ("en", "Report a problem: ")):
        anonymous.set_cookie("lang", lang)
        page = anonymous.get(f"/report/{code}").get_data(as_text=True)
        assert colon in page, lang
