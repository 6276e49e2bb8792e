"""One staff member as their unit head sees them (``competency.staff_member``): where they stand on each
topic (status, best score, attempts, the certificate and its expiry), their courses with due days
(``courses.api.courses_of``), their certificates, and their account (for a new activation slip).

Training shows its part (sessions, "send to a session") through ``lms.features.add_staff_section``:
training depends on competency, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import api as certificates_api
from competency.models import CompetencyRecord
from courses import api as courses_api
from lms.auth.models import User
from lms.org.models import Official
from lms.topics import Topic


@dataclass(frozen=True)
class TopicStanding:
    topic: Topic
    status: str  # a RecordStatus value as of ``today`` (a certificate past its expiry reads cert_expired)
    best_percent: float | None
    attempts: int
    last_activity_at: datetime | None
    certificate_serial: str | None
    cert_issued_on: date | None
    cert_expires_on: date | None


@dataclass(frozen=True)
class StaffMember:
    official: Official
    topics: list[TopicStanding]
    courses: list[courses_api.OfficialCourse]
    account: User | None


def staff_member(session: Session, official: Official, today: date) -> StaffMember:
    records = {
        r.topic.value: r
        for r in session.scalars(select(CompetencyRecord).where(CompetencyRecord.official_id == official.id))
    }
    certificates = {c.id: c for c in certificates_api.certificates_of(session, official.id)}
    topics = []
    for topic in Topic:
        r = records.get(topic.value)
        cert = certificates.get(r.certificate_id) if r is not None and r.certificate_id else None
        topics.append(
            TopicStanding(
                topic=topic,
                status=r.status_on(today).value if r else "not_started",
                best_percent=r.best_percent if r else None,
                attempts=r.attempts_count if r else 0,
                last_activity_at=r.last_activity_at if r else None,
                certificate_serial=cert.serial if cert else None,
                cert_issued_on=cert.issued_on if cert else None,
                cert_expires_on=r.cert_expires_on if r and cert else None,
            )
        )
    account = session.scalars(select(User).where(User.official_id == official.id)).first()
    return StaffMember(
        official=official,
        topics=topics,
        courses=courses_api.courses_of(session, official.id, today),
        account=account,
    )
