"""Signing in and out, sessions, throttling, languages."""
from inspect_app.extensions import db
from inspect_app.models import User

from .conftest import PASSWORD, csrf_token, login


def test_sign_in_goes_back_to_a_local_next(client, school):
    code = school["南门"]
    token = csrf_token(client, f"/login?next=/q/{code}")
    response = client.post("/login", data={"username": "Guard", "password": PASSWORD,
                                           "csrf_token": token, "next": f"/q/{code}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/q/{code}"
    assert 'name="all_ok"' in client.get(f"/q/{code}").get_data(as_text=True)


def test_next_must_be_a_local_path(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"username": "guard", "password": PASSWORD,
                                               "csrf_token": token, "next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_wrong_password_is_refused_in_the_users_language(client):
    response = login(client, "guard", "wrong password")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)
    english = client.post("/login", headers={"Accept-Language": "en-GB,en;q=0.8"},
                          data={"username": "guard", "password": "nope",
                                "csrf_token": csrf_token(client, "/login")})
    assert "Wrong username or password." in english.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client):
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "guard").values(active=False))
        db.session.commit()
    assert login(client, "guard").status_code == 422


def test_login_is_throttled(client):
    statuses = [login(client, "guard", "bad").status_code for _ in range(12)]
    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429
    assert "尝试次数过多" in login(client, "guard").get_data(as_text=True)


def test_session_cookie_flags_and_remember_me(client):
    response = login(client, "guard", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain-HTTP school LAN by default
    assert "Expires=" in session  # lasts a shift, not just the browser session


def test_secure_cookies_when_served_over_https(tmp_path):
    from inspect_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "COOKIE_SECURE": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_logout_needs_post_with_csrf(client):
    login(client, "guard")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    assert client.get("/account").status_code == 302


def test_browser_language_picks_the_script(client):
    cases = {"zh-CN": "扫描标签", "zh-SG": "扫描标签", "zh-TW": "掃描標籤", "zh-HK": "掃描標籤",
             "zh-MO": "掃描標籤", "zh-Hant": "掃描標籤", "en-US": "Scan a label", "fr-FR": "扫描标签",
             "fr-FR,en;q=0.5": "Scan a label"}
    for header, text in cases.items():
        html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
        assert text in html, header


def test_language_switch_for_visitors_and_users(app, client, as_role):
    token = csrf_token(client)
    response = client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/"})
    assert response.status_code == 303
    assert "Scan a label" in client.get("/").get_data(as_text=True)
    guard = as_role("guard")
    guard.post("/language", data={"csrf_token": csrf_token(guard), "locale": "zh_Hant"})
    with app.app_context():
        assert db.session.execute(db.select(User.locale).where(User.username == "guard")).scalar() == "zh_Hant"
    assert "掃描標籤" in guard.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_account_changes_password_only_with_the_current_one(app, as_role):
    guard = as_role("guard")
    token = csrf_token(guard, "/account")
    bad = guard.post("/account", data={"csrf_token": token, "display_name": "李师傅", "locale": "",
                                       "current_password": "wrong", "new_password": "new password 2",
                                       "confirm": "new password 2"})
    assert bad.status_code == 422 and "当前密码不正确" in bad.get_data(as_text=True)
    good = guard.post("/account", data={"csrf_token": token, "display_name": "李师傅", "locale": "",
                                        "current_password": PASSWORD,
                                        "new_password": "new password 2",
                                        "confirm": "new password 2"})
    assert good.status_code == 303
    fresh = app.test_client()
    assert login(fresh, "guard", "new password 2").status_code == 303
    assert "李师傅" in fresh.get("/").get_data(as_text=True)


def test_htmx_request_after_session_end_gets_hx_redirect(client, school):
    response = client.post(f"/q/{school['南门']}/check", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
