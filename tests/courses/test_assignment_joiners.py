"""Course assignments: officials who come to match later, and assignments that include sub-units."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from courses import services
from courses.models import CourseAssignment, Enrolment, EnrolmentSource
from lms import events
from lms.auth.models import Role
from lms.org import imports
from lms.org.models import Category, Level, Official, Unit
from lms.org.services import record_succession, save_official
from lms.time import local_today
from tests.courses.factories import make_course
from tests.factories import login_as, make_official, make_unit, make_user

# the receiver decides "open" with the local date: time is frozen on TODAY (10:00 in Hà Nội)
TODAY = date(2026, 6, 1)
DUE = TODAY + timedelta(days=30)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2026-06-01 10:00+07:00", tick=False):
        assert local_today() == TODAY
        yield


def enrolment_of(session, official, course):
    return services.get_enrolment(session, official.id, course.id)


def count(session, course) -> int:
    return session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id))


@pytest.fixture
def setup(session):
    course = make_course(session)
    unit = make_unit(session)
    first = make_official(session, unit)
    staff = make_user(session, Role.IT_STAFF)
    return course, unit, first, staff


# -- officials who join later ----------------------------------------------------------------------------
def test_new_official_in_the_unit_is_enrolled_with_the_due_date(session, setup):
    course, unit, first, staff = setup
    a = services.assign_course(session, staff, course, DUE, unit_id=unit.id)
    assert a.enrolled_count == 1
    newcomer = make_official(session, unit)  # save_official sends officials_changed
    enrolment = enrolment_of(session, newcomer, course)
    assert enrolment is not None
    assert (enrolment.source, enrolment.due_on) == (EnrolmentSource.ASSIGNED, DUE)
    assert session.get(CourseAssignment, a.id).enrolled_count == 2
    save_official(session, newcomer)  # saved again: nothing new, not counted twice
    session.expire_all()
    assert count(session, course) == 2 and session.get(CourseAssignment, a.id).enrolled_count == 2


def test_official_moved_into_the_unit_is_enrolled(session, setup):
    course, unit, _first, staff = setup
    elsewhere = make_official(session, make_unit(session))
    services.assign_course(session, staff, course, DUE, unit_id=unit.id)
    assert enrolment_of(session, elsewhere, course) is None
    elsewhere.unit_id = unit.id
    save_official(session, elsewhere)
    assert enrolment_of(session, elsewhere, course).due_on == DUE


def test_merger_moves_staff_into_an_assigned_unit(session, setup):
    course, unit, _first, staff = setup
    old = make_unit(session)
    moved = make_official(session, old)
    services.assign_course(session, staff, course, DUE, unit_id=unit.id)
    record_succession(session, [old], unit, TODAY)
    assert enrolment_of(session, moved, course).due_on == DUE


def test_category_change_makes_an_official_match(session, setup):
    course, unit, first, staff = setup
    vien_chuc = make_official(session, unit, category=Category.VIEN_CHUC)
    services.assign_course(session, staff, course, DUE, unit_id=unit.id, category=Category.CONG_CHUC)
    assert enrolment_of(session, first, course) is not None and enrolment_of(session, vien_chuc, course) is None
    vien_chuc.level = Level.HUYEN  # a change that does not make them match
    save_official(session, vien_chuc)
    assert enrolment_of(session, vien_chuc, course) is None
    vien_chuc.category = Category.CONG_CHUC
    save_official(session, vien_chuc)
    assert enrolment_of(session, vien_chuc, course).source == EnrolmentSource.ASSIGNED


def test_inactive_official_is_not_enrolled_until_reactivated(session, setup):
    course, unit, _first, staff = setup
    a = services.assign_course(session, staff, course, DUE, unit_id=unit.id)
    retired = make_official(session, unit, active=False)
    assert enrolment_of(session, retired, course) is None
    retired.active = True
    save_official(session, retired)
    assert enrolment_of(session, retired, course).due_on == DUE
    assert session.get(CourseAssignment, a.id).enrolled_count == 2


def test_closed_assignment_is_not_applied_but_one_due_today_is(session, setup):
    course, unit, _first, staff = setup
    earlier = TODAY - timedelta(days=10)
    services.assign_course(session, staff, course, TODAY - timedelta(days=1), unit_id=unit.id, today=earlier)
    late = make_official(session, unit)
    assert enrolment_of(session, late, course) is None
    other_course = make_course(session)
    services.assign_course(session, staff, other_course, TODAY, unit_id=unit.id)
    last_day = make_official(session, unit)
    assert enrolment_of(session, last_day, other_course).due_on == TODAY
    assert enrolment_of(session, last_day, course) is None


def test_explicit_list_assignment_is_not_applied(session):
    course = make_course(session)
    unit = make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    chosen = make_official(session, unit)
    a = services.assign_course(session, head, course, DUE, unit_id=unit.id, official_ids=[chosen.id])
    newcomer = make_official(session, unit)
    assert enrolment_of(session, newcomer, course) is None
    assert enrolment_of(session, session.get(Official, head.official_id), course) is None
    assert session.get(CourseAssignment, a.id).enrolled_count == 1


def test_self_enrolment_is_merged_and_the_earliest_due_date_wins(session, setup):
    course, unit, _first, staff = setup
    soon, later = TODAY + timedelta(days=5), TODAY + timedelta(days=40)
    make_official(session, make_unit(session), category=Category.VIEN_CHUC)
    province = services.assign_course(session, staff, course, later, category=Category.VIEN_CHUC)
    in_unit = services.assign_course(session, staff, course, soon, unit_id=unit.id)
    mover = make_official(session, make_unit(session), category=Category.CONG_CHUC)
    services.enrol(session, mover.id, course.id)  # self-enrolled, no due date
    mover.unit_id, mover.category = unit.id, Category.VIEN_CHUC  # now matches both assignments
    save_official(session, mover)
    enrolment = enrolment_of(session, mover, course)
    assert (enrolment.source, enrolment.due_on) == (EnrolmentSource.ASSIGNED, soon)
    assert count(session, course) == 3  # one enrolment per official and course, merged
    session.expire_all()
    assert session.get(CourseAssignment, in_unit.id).enrolled_count == 2
    assert session.get(CourseAssignment, province.id).enrolled_count == 2


OFFICIALS_CSV = "Mã cán bộ,Họ và tên,Mã đơn vị,Phân loại,Đang công tác\n"


def test_import_enrols_all_new_officials_in_one_go(session, setup):
    course, unit, _first, staff = setup
    a = services.assign_course(session, staff, course, DUE, unit_id=unit.id)
    other = make_unit(session)
    rows = [
        f"NEW-1,Lê Văn An,{unit.code},Công chức,có",
        f"NEW-2,Trần Thị Bình,{unit.code},Viên chức,có",
        f"NEW-3,Phạm Văn Cường,{unit.code},Công chức,không",  # inactive
        f"NEW-4,Hoàng Thị Dung,{other.code},Công chức,có",  # another unit
        f"NEW-5,Vũ Văn Em,{unit.code},Công chức,có",
    ]
    calls = []

    def spy(sender, officials=(), **_kw):
        calls.append(sorted(o.code for o in officials))

    events.officials_changed.connect(spy)
    try:
        data = (OFFICIALS_CSV + "\n".join(rows) + "\n").encode("utf-8")
        result = imports.import_officials(session, imports.read_table("can-bo.csv", data))
    finally:
        events.officials_changed.disconnect(spy)
    assert result.ok and result.created == 5
    assert calls == [["NEW-1", "NEW-2", "NEW-3", "NEW-4", "NEW-5"]]  # one signal for the whole file
    enrolled = {
        code
        for code, due in session.execute(
            select(Official.code, Enrolment.due_on)
            .join(Enrolment, Enrolment.official_id == Official.id)
            .where(Enrolment.course_id == course.id, Official.code.like("NEW-%"))
        )
        if due == DUE
    }
    assert enrolled == {"NEW-1", "NEW-2", "NEW-5"}
    session.expire_all()
    assert session.get(CourseAssignment, a.id).enrolled_count == 4


def test_enrol_in_open_assignments_with_no_officials_or_assignments(session, setup):
    course, unit, first, _staff = setup
    assert services.enrol_in_open_assignments(session, []) == 0
    assert services.enrol_in_open_assignments(session, [first]) == 0  # no assignment at all
    assert count(session, course) == 0


# -- include sub-units -------------------------------------------------------------------------------------
@pytest.fixture
def tree(session):
    """district -> commune -> hamlet office, plus an expired commune and an unrelated unit."""
    district = make_unit(session)
    commune = make_unit(session, parent_id=district.id)
    hamlet = make_unit(session, parent_id=commune.id)
    expired = make_unit(session, parent_id=district.id, valid_until=TODAY - timedelta(days=1))
    other = make_unit(session)
    yield district, commune, hamlet, expired, other
    detach_units(session)


def detach_units(session):
    # unit.parent_id is ON DELETE RESTRICT: detach the units so the table cleanup can run
    session.rollback()
    session.execute(update(Unit).values(parent_id=None))
    session.commit()


def test_include_subunits_at_creation(session, tree):
    district, commune, hamlet, expired, other = tree
    course = make_course(session)
    staff = make_user(session, Role.IT_STAFF)
    people = {u: make_official(session, u) for u in (district, commune, hamlet, expired, other)}
    a = services.assign_course(session, staff, course, DUE, unit_id=district.id, include_subunits=True)
    assert a.include_subunits and a.enrolled_count == 3
    enrolled = set(session.scalars(select(Enrolment.official_id).where(Enrolment.course_id == course.id)))
    assert enrolled == {people[district].id, people[commune].id, people[hamlet].id}
    plain_course = make_course(session)
    plain = services.assign_course(session, staff, plain_course, DUE, unit_id=district.id)
    assert not plain.include_subunits and plain.enrolled_count == 1


def test_include_subunits_for_later_joiners_down_to_a_grandchild(session, tree):
    district, commune, hamlet, expired, other = tree
    course = make_course(session)
    staff = make_user(session, Role.IT_STAFF)
    make_official(session, district)
    a = services.assign_course(session, staff, course, DUE, unit_id=district.id, include_subunits=True)
    plain_course = make_course(session)
    services.assign_course(session, staff, plain_course, DUE, unit_id=district.id)
    grandchild = make_official(session, hamlet)
    child = make_official(session, commune)
    in_expired = make_official(session, expired)
    outsider = make_official(session, other)
    assert enrolment_of(session, grandchild, course).due_on == DUE
    assert enrolment_of(session, child, course).due_on == DUE
    assert enrolment_of(session, in_expired, course) is None
    assert enrolment_of(session, outsider, course) is None
    assert enrolment_of(session, grandchild, plain_course) is None  # without sub-units: the unit only
    outsider.unit_id = hamlet.id
    save_official(session, outsider)
    assert enrolment_of(session, outsider, course) is not None
    session.expire_all()
    assert session.get(CourseAssignment, a.id).enrolled_count == 4


def test_unit_subtree_survives_a_parent_cycle(session):
    a, b = make_unit(session), make_unit(session)
    a.parent_id, b.parent_id = b.id, a.id  # bad data from an import: must not loop forever
    session.flush()
    try:
        assert services.unit_subtree_ids(session, a.id, TODAY) == {a.id, b.id}
    finally:
        detach_units(session)


def test_unit_head_cannot_include_subunits(session, tree):
    district, commune, *_ = tree
    course = make_course(session)
    head = make_user(session, Role.UNIT_HEAD, unit=district)
    make_official(session, commune)
    with pytest.raises(services.AssignmentForbidden):
        services.assign_course(session, head, course, DUE, unit_id=district.id, include_subunits=True)
    assert session.scalar(select(func.count()).select_from(CourseAssignment)) == 0
    a = services.assign_course(session, head, course, DUE, unit_id=district.id)
    assert a.enrolled_count == 1 and not a.include_subunits


def test_unit_head_posting_include_subunits_gets_403(client, session, tree):
    district, commune, *_ = tree
    course = make_course(session)
    head = make_user(session, Role.UNIT_HEAD, unit=district)
    session.commit()
    login_as(client, head)
    page = client.get("/courses/assignments").get_data(as_text=True)
    assert 'name="include_subunits"' not in page
    data = {"course_id": course.id, "unit_id": district.id, "due_on": DUE.isoformat(), "include_subunits": "y"}
    assert client.post("/courses/assignments", data=data).status_code == 403
    assert session.scalar(select(func.count()).select_from(CourseAssignment)) == 0


def test_it_staff_tick_include_subunits_and_the_list_says_so(client, session, tree):
    district, commune, hamlet, *_ = tree
    course = make_course(session)
    grandchild = make_official(session, hamlet)
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    assert 'name="include_subunits"' in client.get("/courses/assignments").get_data(as_text=True)
    data = {"course_id": course.id, "unit_id": district.id, "due_on": DUE.isoformat(), "include_subunits": "y"}
    r = client.post("/courses/assignments", data=data)
    assert r.status_code == 302
    assert enrolment_of(session, grandchild, course) is not None
    page = client.get("/courses/assignments").get_data(as_text=True)
    assert f"{district.name} và các đơn vị trực thuộc" in page


def test_unit_import_placing_a_commune_under_the_district_enrols_its_staff(session, tree):
    district, commune, hamlet, expired, other = tree
    course = make_course(session)
    staff = make_user(session, Role.IT_STAFF)
    make_official(session, district)
    services.assign_course(session, staff, course, DUE, unit_id=district.id, include_subunits=True)
    below_other = make_unit(session, parent_id=other.id)
    people = [make_official(session, other), make_official(session, below_other)]
    assert all(enrolment_of(session, p, course) is None for p in people)
    data = f"Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cha\n{other.code},{other.name},xã,{district.code}\n"
    result = imports.import_units(session, imports.read_table("don-vi.csv", data.encode("utf-8")))
    assert result.ok and result.updated == 1
    assert all(enrolment_of(session, p, course).due_on == DUE for p in people)


def test_enrolling_many_officials_takes_the_same_few_statements_as_a_few(session, tree):
    """Set-based: the number of SQL statements does not grow with the number of officials."""
    from sqlalchemy import event

    district, commune, hamlet, *_ = tree
    course = make_course(session)
    staff = make_user(session, Role.IT_STAFF)
    make_official(session, district)
    services.assign_course(session, staff, course, DUE, unit_id=district.id, include_subunits=True)
    services.assign_course(session, staff, make_course(session), DUE, category=Category.CONG_CHUC)
    statements = []

    def count_statements(*_args, **_kw):
        statements.append(1)

    def run(n: int) -> int:
        events.officials_changed.disconnect(services.on_officials_changed)
        try:
            people = [make_official(session, (commune, hamlet)[i % 2]) for i in range(n)]
        finally:
            events.officials_changed.connect(services.on_officials_changed)
        statements.clear()
        event.listen(session.get_bind(), "before_cursor_execute", count_statements)
        try:
            assert services.enrol_in_open_assignments(session, people) == 2 * n
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", count_statements)
        return len(statements)

    few, many = run(3), run(120)
    assert few == many and many <= 8, (few, many)
