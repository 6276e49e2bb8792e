"""Course pages: catalog, enrol, lessons, image route, assignment and authoring permissions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from courses import services
from courses.loader import content_root, load_course_dir
from courses.models import Course, Enrolment, Lesson
from lms.auth.models import Role
from lms.time import local_today
from tests.courses.factories import make_course
from tests.factories import login_as, make_official, make_unit, make_user


def test_catalog_shows_status_and_search(client, session):
    make_course(session, title="Thư điện tử công vụ", slug="email-thu")
    make_course(session, title="Bản nháp", slug="nhap", published=False)
    user = make_user(session)
    login_as(client, user)
    page = client.get("/courses/?q=thu+dien+tu").get_data(as_text=True)
    assert "Thư điện tử công vụ" in page and "Chưa đăng ký" in page and "Bản nháp" not in page
    assert client.get("/courses/nhap").status_code == 404  # drafts are private to authors


def test_enrol_read_mark_done_and_continue(client, session):
    course = make_course(session, lessons=3, slug="hoc")
    session.commit()
    user = make_user(session)
    login_as(client, user)
    r = client.post("/courses/hoc/enrol")
    assert r.status_code == 302 and r.headers["Location"].endswith("/courses/hoc/lessons/bai-1")
    page = client.get("/courses/hoc/lessons/bai-1").get_data(as_text=True)
    assert "Đánh dấu đã học xong" in page and "Bài sau:" in page and 'rel="next"' in page
    r = client.post("/courses/hoc/lessons/bai-1/done")
    assert r.headers["Location"].endswith("/courses/hoc/lessons/bai-2")
    client.post("/courses/hoc/lessons/bai-2/done")
    r = client.get("/courses/hoc/continue")
    assert r.headers["Location"].endswith("/courses/hoc/lessons/bai-3")
    page = client.get("/courses/hoc").get_data(as_text=True)
    assert "2/3 bài" in page and 'value="67"' in page and "continue-link" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Khóa học của tôi" in dashboard and course.title in dashboard and "Học tiếp" in dashboard
    r = client.post("/courses/hoc/lessons/bai-3/done", follow_redirects=True)
    assert "Chúc mừng" in r.get_data(as_text=True)


def test_lesson_page_has_no_inline_script_or_style(client, session):
    load_course_dir(session, content_root() / "security")
    session.commit()
    login_as(client, make_user(session))
    course = session.scalar(select(Course).where(Course.slug == "security"))
    for lesson in course.lessons:
        html = client.get(f"/courses/security/lessons/{lesson.slug}").get_data(as_text=True)
        assert "style=" not in html and "<script>" not in html and "onerror" not in html


def test_course_images_are_served_as_svg_with_a_strict_csp(client, session):
    load_course_dir(session, content_root() / "email")
    session.commit()
    login_as(client, make_user(session))
    r = client.get("/courses/email/img/thu-lua-dao.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert client.get("/courses/email/img/khong-co.svg").status_code == 404
    assert client.get("/courses/email/img/..%2Fcourse.md").status_code == 404
    assert client.get("/courses/email/img/x.png").status_code == 404


def test_anonymous_users_are_sent_to_login(client, session):
    make_course(session, slug="kin")
    session.commit()
    r = client.get("/courses/kin")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_unit_head_assignment_page_refuses_another_unit(client, session):
    course = make_course(session)
    mine, other = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=mine)
    colleague = make_official(session, mine)
    make_official(session, other)
    session.commit()
    login_as(client, head)
    due = (local_today() + timedelta(days=20)).isoformat()
    r = client.post("/courses/assignments", data={"course_id": course.id, "unit_id": other.id, "due_on": due})
    assert r.status_code == 403
    r = client.post("/courses/assignments", data={"course_id": course.id, "due_on": due})  # whole province
    assert r.status_code == 403
    r = client.post("/courses/assignments", data={"course_id": course.id, "unit_id": mine.id, "due_on": due})
    assert r.status_code == 302
    ids = {e.official_id for e in session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))}
    assert colleague.id in ids and head.official_id in ids
    assert all(session.get(type(colleague), i).unit_id == mine.id for i in ids)


def test_unit_head_chooses_whole_unit_or_ticked_officials_and_ticking_nobody_is_an_error(client, session):
    course = make_course(session)
    mine = make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=mine)
    chosen, other = make_official(session, mine), make_official(session, mine)
    session.commit()
    login_as(client, head)
    page = client.get("/courses/assignments").get_data(as_text=True)
    assert "<select multiple" not in page and "Ctrl" not in page
    assert f'type="checkbox" name="official_ids" value="{chosen.id}"' in page and 'name="target"' in page
    due = (services.local_today() + timedelta(days=20)).strftime("%d/%m/%Y")  # typed the Vietnamese way
    base = {"course_id": course.id, "unit_id": mine.id, "due_on": due}

    def enrolled():
        return {e.official_id for e in session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))}

    r = client.post("/courses/assignments", data={**base, "target": "chosen"})  # nobody ticked
    assert r.status_code == 400
    assert "Hãy đánh dấu ít nhất một cán bộ, hoặc chọn “Cả đơn vị”." in r.get_data(as_text=True)
    assert enrolled() == set()
    r = client.post("/courses/assignments", data={**base, "target": "chosen", "official_ids": [chosen.id]})
    assert r.status_code == 302 and enrolled() == {chosen.id}
    r = client.post("/courses/assignments", data={**base, "target": "unit", "official_ids": [chosen.id]})
    assert r.status_code == 302 and enrolled() == {chosen.id, other.id, head.official_id}  # ticks ignored


def test_assignment_form_explains_mistakes(client, session):
    course = make_course(session)
    make_official(session, make_unit(session))
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post("/courses/assignments", data={"course_id": course.id, "unit_id": 0, "due_on": ""})
    assert r.status_code == 400 and "Vui lòng chọn hạn hoàn thành" in r.get_data(as_text=True)
    past = (local_today() - timedelta(days=1)).isoformat()
    r = client.post("/courses/assignments", data={"course_id": course.id, "unit_id": 0, "due_on": past})
    assert r.status_code == 400 and "Hạn hoàn thành phải từ hôm nay trở đi" in r.get_data(as_text=True)
    r = client.post("/courses/assignments", data={"course_id": course.id, "unit_id": 0, "due_on": "12/31/2026"})
    assert r.status_code == 400 and "Tháng phải từ 1 đến 12" in r.get_data(as_text=True)  # never month first


def test_officials_and_unit_heads_cannot_author(client, session):
    course = make_course(session)
    session.commit()
    for role in (Role.OFFICIAL, Role.UNIT_HEAD):
        login_as(client, make_user(session, role))
        assert client.get("/courses/manage").status_code == 403
        assert client.post(f"/courses/manage/{course.id}/edit", data={"title": "x"}).status_code == 403
        assert client.post(f"/courses/manage/{course.id}/preview", data={"body_md": "x"}).status_code == 403


def test_it_staff_create_course_and_lesson_with_preview(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post("/courses/manage/new", data={"title": "", "slug": "Có Dấu", "topic": "email"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Vui lòng nhập tên khóa học." in page and "Chỉ dùng chữ thường" in page
    r = client.post("/courses/manage/new", data={"title": "Khóa mới", "slug": "manage", "topic": "email"})
    assert r.status_code == 400 and "dành cho hệ thống" in r.get_data(as_text=True)
    r = client.post(
        "/courses/manage/new",
        data={"title": "Khóa mới", "slug": "khoa-moi", "topic": "email", "competency": "iu06", "published": "y"},
    )
    assert r.status_code == 302
    course = session.scalar(select(Course).where(Course.slug == "khoa-moi"))
    assert course.competency == ["IU06"] and course.published
    body = "## Mục\n\nXem ![hình](img/a.svg) [x](javascript:alert(1)) <script>alert(1)</script>"
    r = client.post(f"/courses/manage/{course.id}/preview", data={"body_md": body})
    assert r.mimetype == "text/html" and "<h2>Mục</h2>" in r.get_data(as_text=True)
    assert "<script" not in r.get_data(as_text=True) and 'src="/courses/khoa-moi/img/a.svg"' in r.get_data(as_text=True)
    data = {"title": "Bài một", "slug": "bai-mot", "minutes": "15", "body_md": body, "published": "y"}
    r = client.post(f"/courses/manage/{course.id}/lessons/new", data={**data, "action": "preview"})
    assert r.status_code == 200 and "<h2>Mục</h2>" in r.get_data(as_text=True)  # no-JS preview, not saved
    assert session.scalar(select(Lesson).where(Lesson.course_id == course.id)) is None
    r = client.post(f"/courses/manage/{course.id}/lessons/new", data={**data, "minutes": "mười"})
    assert r.status_code == 400 and "Vui lòng nhập thời lượng" in r.get_data(as_text=True)
    r = client.post(f"/courses/manage/{course.id}/lessons/new", data=data)
    assert r.status_code == 302
    lesson = session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    assert lesson.position == 1 and "<script" not in lesson.body_html
    page = client.get(f"/courses/manage/{course.id}/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "preview.js" in page and "data-preview-url" in page
    r = client.post(f"/courses/manage/{course.id}/lessons/{lesson.id}/publish", data={"published": "0"})
    assert r.status_code == 302 and not session.get(Lesson, lesson.id).published
    assert client.post(f"/courses/manage/{course.id}/lessons/{lesson.id}/publish").status_code == 400


def test_editing_a_published_lesson_via_the_form_keeps_progress(client, session):
    course = make_course(session, lessons=2)
    learner = make_official(session)
    services.mark_lesson_done(session, learner.id, course.lessons[0])
    session.commit()
    lesson_id = course.lessons[0].id
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post(
        f"/courses/manage/{course.id}/lessons/{lesson_id}/edit",
        data={
            "title": "Bài 1 mới",
            "slug": "bai-1",
            "minutes": 12,
            "body_md": "## Mới",
            "version_note": "Sửa",
            "published": "y",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    assert services.course_progress(session, learner.id, course).done == 1
    assert session.get(Lesson, lesson_id).version_note == "Sửa"
