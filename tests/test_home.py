"""The home page tells each person what waits for them in the repair loop: the manager new
reports, the repair worker what is assigned, the teacher a fixed repair to sign off."""
import re

from .test_repairs import act, as_role, post_report, repair_row  # noqa: F401 (fixture)

WAITING = "Waiting for you"


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_repair_loop_shows_on_each_persons_home(app, as_role, school):  # noqa: F811
    admin, staff, teacher, guard = (as_role(r) for r in ("admin", "staff", "teacher", "guard"))
    for person in (admin, staff, teacher, guard):
        assert WAITING not in home(person)
    teacher_home = home(teacher)
    assert "My latest reports" in teacher_home and "My latest checks" not in teacher_home
    assert "You have not reported anything yet." in teacher_home
    assert "My latest checks" in home(guard) and "My latest reports" not in home(guard)

    assert post_report(teacher, school["203教室"], description="灯管不亮").status_code == 303
    number = repair_row(app)["id"]
    url = f"/repairs/{number}"
    page = home(admin)
    assert WAITING in page and "New reports to triage: 1" in page
    assert "/repairs?status=reported" in page
    teacher_home = home(teacher)
    assert WAITING not in teacher_home and f"#{number} 灯管不亮" in teacher_home

    assert act(admin, url, "accept", severity="minor").status_code == 303
    assert act(admin, url, "assign", assignee="staff").status_code == 303
    assert "New reports to triage" not in home(admin)
    page = home(staff)
    assert "Repairs assigned to you, to do: 1" in page and "/repairs/mine" in page
    assert act(staff, url, "start").status_code == 303
    assert "Repairs assigned to you, to do: 1" in home(staff)
    assert act(staff, url, "done", note="换了灯管").status_code == 303
    assert WAITING not in home(staff)

    page = home(teacher)
    assert WAITING in page and "Fixed, waiting for your sign-off: 1." in page
    assert re.search(rf'href="/repairs/{number}"', page)
    assert WAITING not in home(guard)  # someone else's report
    assert act(teacher, url, "sign_off", rating="5").status_code == 303
    assert repair_row(app)["status"] == "closed"
    assert WAITING not in home(teacher)


def test_home_in_chinese_for_a_teacher(app, as_role, school):  # noqa: F811
    teacher = as_role("teacher")
    teacher.set_cookie("lang", "zh_Hans")
    assert post_report(teacher, school["203教室"], description="窗户关不上").status_code == 303
    page = home(teacher)
    assert "我最近的报修" in page and "窗户关不上" in page and "我最近的检查" not in page
