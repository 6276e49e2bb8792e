"""Demo step: past sessions with attendance, upcoming ones with invitations, registrations and a waiting list."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from courses import api as courses_api
from lms.demo import DemoContext
from lms.org.models import Official, Unit
from lms.time import VN_TZ, local_today
from lms.topics import Topic
from training import services
from training.models import SessionKind

DEMO_NOW_HOUR = 8


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ).astimezone(UTC)


def _course_id(session, topic: Topic) -> int | None:
    return next((c.id for c in courses_api.list_courses(session, order_by="id") if c.topic == topic), None)


def build_training(ctx: DemoContext) -> None:
    session = ctx.session
    trainer = ctx.accounts.get("cntt")
    head = ctx.accounts.get("truongdonvi")
    official_user = ctx.accounts.get("canbo")
    if trainer is None:
        return
    today = local_today()
    units = {u.code: u for u in session.scalars(select(Unit))}
    tamdao = units.get("H-TAMDAO") or next(iter(units.values()))
    people = list(
        session.scalars(
            select(Official).where(Official.active.is_(True), Official.email.is_not(None)).order_by(Official.id)
        )
    )
    tamdao_people = [o for o in people if o.unit_id == tamdao.id]
    others = [o for o in people if o.unit_id != tamdao.id]

    def make(title, topic, kind, day, start, end, capacity, *, place="", link="", open_reg=False, unit_ids=()):
        data = services.TrainingSessionInput(
            title=title,
            topic=topic,
            kind=kind,
            starts_at=_at(day, *start),
            ends_at=_at(day, *end),
            course_id=_course_id(session, topic),
            place=place,
            link=link,
            capacity=capacity,
            open_registration=open_reg,
            trainer_ids=[trainer.id],
            target_unit_ids=list(unit_ids),
        )
        training_session, _warnings = services.create_training_session(
            session, data, trainer, now=_at(day - timedelta(days=20), 8)
        )
        return training_session

    # Two past sessions, with attendance taken.
    past = [
        make(
            "Sử dụng thư điện tử công vụ an toàn",
            Topic.EMAIL,
            SessionKind.CLASSROOM,
            today - timedelta(days=14),
            (8, 0),
            (11, 30),
            20,
            place="Hội trường Sở Thông tin và Truyền thông",
        ),
        make(
            "Hỗ trợ phần mềm quản lý văn bản tại Huyện Tam Đảo",
            Topic.QLVB,
            SessionKind.ONSITE,
            today - timedelta(days=7),
            (14, 0),
            (16, 30),
            15,
            place="UBND huyện Tam Đảo",
            unit_ids=[tamdao.id],
        ),
    ]
    for i, training_session in enumerate(past):
        group = (others[i * 12 : i * 12 + 10] if i == 0 else tamdao_people[:8]) or others[:8]
        before = training_session.starts_at - timedelta(days=10)
        services.invite(session, training_session, official_ids=[o.id for o in group], actor=trainer, now=before)
        for j, p in enumerate(list(training_session.participants)):
            services.respond(session, p, accept=j % 5 != 4, now=before + timedelta(hours=j + 1))
        present = [p.official_id for j, p in enumerate(training_session.participants) if j % 4 != 3]
        services.mark_attendance(session, training_session, present, trainer, now=training_session.ends_at)

    # Upcoming: a small classroom session that is full with a waiting list, an online one open to all,
    # an on-site visit to the unit of the demo unit head.
    start_day = today + timedelta(days=3)
    full = make(
        "An toàn thông tin cơ bản cho cán bộ, công chức",
        Topic.SECURITY,
        SessionKind.CLASSROOM,
        start_day,
        (8, 0),
        (11, 0),
        6,
        place="Phòng họp tầng 3, Sở Thông tin và Truyền thông",
    )
    now = _at(today, 7)
    invited = others[40:50]
    services.invite(session, full, official_ids=[o.id for o in invited], actor=trainer, now=now)
    for p in list(full.participants)[:8]:
        services.respond(session, p, accept=True, now=now + timedelta(minutes=p.id % 50))
    online = make(
        "Đăng tin trên cổng thông tin điện tử thành phần",
        Topic.PORTAL,
        SessionKind.ONLINE,
        today + timedelta(days=5),
        (14, 0),
        (16, 0),
        50,
        link="https://meet.vinhphuc.gov.vn/cong-ttdt",
        open_reg=True,
    )
    for o in others[60:64]:
        services.register_self(session, online, o, now=now)
    onsite = make(
        "Hỗ trợ thư điện tử công vụ tại đơn vị",
        Topic.EMAIL,
        SessionKind.ONSITE,
        today + timedelta(days=10),
        (8, 30),
        (11, 30),
        12,
        place=f"Trụ sở {tamdao.name}",
        unit_ids=[tamdao.id],
    )
    if official_user is not None and official_user.official_id:
        services.invite(session, onsite, official_ids=[official_user.official_id], actor=trainer, now=now)
        services.invite(session, full, official_ids=[official_user.official_id], actor=trainer, now=now)
    if head is not None:
        for o in tamdao_people[8:11]:
            services.nominate(session, onsite, o, head, now=now)
    ctx.echo(f"    {len(past) + 3} training sessions (2 past with attendance, 1 full with a waiting list)")
