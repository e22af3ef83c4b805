"""Language choice and translated data (kind names, checklist labels)."""
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

LOCALES = ("zh_Hans", "zh_Hant", "en")
LOCALE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
LANGUAGE_COOKIE = "lang"
_TRADITIONAL_REGIONS = {"TW", "HK", "MO"}


def locale_for_tag(tag):
    """Map a browser language tag to one of our locales, or None.

    zh-CN, zh-SG, zh-Hans → Simplified; zh-TW, zh-HK, zh-MO, zh-Hant → Traditional; en → English.
    """
    parts = tag.replace("_", "-").split("-")
    lang = parts[0].lower()
    if lang == "en":
        return "en"
    if lang != "zh":
        return None
    rest = {p.upper() for p in parts[1:]} | {p.title() for p in parts[1:]}
    if "Hant" in rest or rest & _TRADITIONAL_REGIONS:
        return "zh_Hant"
    return "zh_Hans"


def select_locale():
    """The user's setting, else the language cookie, else the browser, else Simplified."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LOCALES:
        return cookie
    for tag, _quality in request.accept_languages:
        locale = locale_for_tag(tag)
        if locale:
            return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    """Times are shown in the school's time zone."""
    return current_app.config["TIMEZONE"]


def current_locale():
    """Our locale name for this request (zh_Hans, zh_Hant or en)."""
    locale = get_locale()
    if locale is None:
        return "zh_Hans"
    if locale.language == "en":
        return "en"
    return "zh_Hant" if locale.script == "Hant" else "zh_Hans"


def tr(labels, locale=None):
    """Pick a data label for the locale: {zh_Hans, zh_Hant, en} with sensible fallbacks."""
    if not labels:
        return ""
    if isinstance(labels, str):
        return labels
    locale = locale or current_locale()
    for key in (locale, "zh_Hans", "en", "zh_Hant"):
        if labels.get(key):
            return labels[key]
    return next(iter(labels.values()), "")
