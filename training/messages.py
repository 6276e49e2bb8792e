"""The e-mails of training scheduling, in Vietnamese: text + simple HTML (+ .ics), queued to the outbox.

Every message has a ``dedupe_key`` naming the fact it reports (``invite:<participant>:<sequence>``),
so re-running a service or a CLI command never queues the same e-mail twice.
"""

from __future__ import annotations

from flask_babel import gettext as _

from lms.mail.compose import compose, external_url, mail_from
from lms.mail.outbox import queue_message
from lms.time import to_local
from training.calendar import session_ics
from training.models import Participant, TrainingSession


def when_text(training_session: TrainingSession) -> str:
    start, end = to_local(training_session.starts_at), to_local(training_session.ends_at)
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M} {_('ngày')} {start:%d/%m/%Y}"
    return f"{start:%H:%M %d/%m/%Y} – {end:%H:%M %d/%m/%Y}"


def _facts(training_session: TrainingSession) -> list[tuple[str, str]]:
    facts = [
        (_("Nội dung"), training_session.title),
        (_("Hình thức"), training_session.kind.label),
        (_("Thời gian"), when_text(training_session)),
    ]
    if training_session.place:
        facts.append((_("Địa điểm"), training_session.place))
    if training_session.link:
        facts.append((_("Đường dẫn tham gia"), training_session.link))
    return facts


def _greeting(participant: Participant) -> str:
    return _("Kính gửi đồng chí %(name)s,", name=participant.official.full_name)


def _session_link(training_session: TrainingSession) -> tuple[str, str]:
    return (_("Xem chi tiết và trả lời"), external_url("training.session_detail", session_id=training_session.id))


def _queue(session, participant: Participant, *, kind, key, subject, paragraphs, ics_method=None, link=None, now=None):
    training_session = participant.session
    text, html = compose(
        _greeting(participant), paragraphs, _facts(training_session), link or _session_link(training_session)
    )
    ics = None
    if ics_method:
        ics = session_ics(
            training_session,
            method=ics_method,
            url=external_url("training.session_detail", session_id=training_session.id),
            organizer=mail_from(),
            attendee=participant.official.email,
        )
    return queue_message(
        session,
        to_email=participant.official.email,
        subject=subject,
        text_body=text,
        html_body=html,
        ics=ics,
        kind=kind,
        dedupe_key=key,
        now=now,
    )


def invitation(session, participant: Participant, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="invitation",
        key=f"invite:{participant.id}:{training_session.sequence}",
        subject=_("Thư mời tập huấn: %(title)s", title=training_session.title),
        paragraphs=[
            _("Đồng chí được mời tham dự buổi tập huấn dưới đây. Vui lòng nhận lời hoặc từ chối trên hệ thống.")
        ],
        ics_method="REQUEST",
        now=now,
    )


def registered(session, participant: Participant, now=None) -> bool:
    """A place is confirmed (self-registration, nomination, acceptance or promotion from the waiting list)."""
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="registered",
        key=f"seat:{participant.id}:{training_session.sequence}:{participant.responded_at or participant.created_at}",
        subject=_("Đã xác nhận chỗ tham dự tập huấn: %(title)s", title=training_session.title),
        paragraphs=[_("Chỗ của đồng chí trong buổi tập huấn dưới đây đã được xác nhận.")],
        ics_method="REQUEST",
        now=now,
    )


def waitlisted(session, participant: Participant, position: int, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="waitlisted",
        key=f"waitlist:{participant.id}:{participant.waitlisted_at}",
        subject=_("Đang trong danh sách chờ tập huấn: %(title)s", title=training_session.title),
        paragraphs=[
            _(
                "Buổi tập huấn đã đủ chỗ. Đồng chí đang ở vị trí số %(n)d trong danh sách chờ; "
                "khi có người hủy, hệ thống tự động xếp chỗ theo thứ tự đăng ký và báo cho đồng chí.",
                n=position,
            )
        ],
        now=now,
    )


def promoted(session, participant: Participant, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="promoted",
        key=f"promoted:{participant.id}:{participant.waitlisted_at}",
        subject=_("Đã có chỗ cho đồng chí: %(title)s", title=training_session.title),
        paragraphs=[_("Một chỗ vừa được trả lại. Đồng chí đã được chuyển từ danh sách chờ sang danh sách tham dự.")],
        ics_method="REQUEST",
        now=now,
    )


def nominated(session, participant: Participant, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="nominated",
        key=f"nominated:{participant.id}:{training_session.sequence}",
        subject=_("Đơn vị cử đồng chí tham dự tập huấn: %(title)s", title=training_session.title),
        paragraphs=[_("Thủ trưởng đơn vị đã cử đồng chí tham dự buổi tập huấn dưới đây.")],
        ics_method="REQUEST" if participant.holds_seat else None,
        now=now,
    )


def updated(session, participant: Participant, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="updated",
        key=f"update:{participant.id}:{training_session.sequence}",
        subject=_("Thay đổi lịch tập huấn: %(title)s", title=training_session.title),
        paragraphs=[_("Thời gian hoặc địa điểm của buổi tập huấn đã thay đổi. Thông tin mới:")],
        ics_method="REQUEST",
        now=now,
    )


def cancelled(session, participant: Participant, reason: str, now=None) -> bool:
    training_session = participant.session
    paragraphs = [_("Buổi tập huấn dưới đây đã bị hủy.")]
    if reason:
        paragraphs.append(_("Lý do: %(reason)s", reason=reason))
    return _queue(
        session,
        participant,
        kind="cancelled",
        key=f"cancel:{participant.id}:{training_session.sequence}",
        subject=_("Hủy buổi tập huấn: %(title)s", title=training_session.title),
        paragraphs=paragraphs,
        ics_method="CANCEL",
        now=now,
    )


def reminder(session, participant: Participant, now=None) -> bool:
    training_session = participant.session
    return _queue(
        session,
        participant,
        kind="reminder",
        key=f"remind:{participant.id}:{training_session.starts_at.isoformat()}",
        subject=_("Nhắc lịch tập huấn ngày mai: %(title)s", title=training_session.title),
        paragraphs=[_("Xin nhắc đồng chí lịch tập huấn sắp tới:")],
        now=now,
    )


def quiz_link(session, participant: Participant, quiz, now=None) -> bool:
    return _queue(
        session,
        participant,
        kind="quiz-link",
        key=f"quiz:{participant.id}:{quiz.id}",
        subject=_("Bài kiểm tra sau tập huấn: %(title)s", title=quiz.title),
        paragraphs=[_("Cảm ơn đồng chí đã tham dự buổi tập huấn."), _("Mời đồng chí làm bài kiểm tra cuối khóa.")],
        link=(_("Làm bài kiểm tra"), external_url("quizzes.quiz_intro", quiz_id=quiz.id)),
        now=now,
    )


def unit_targeted(session, training_session: TrainingSession, unit, head, now=None) -> bool:
    """Tell a unit head their unit is targeted, so they can nominate staff."""
    text, html = compose(
        _("Kính gửi đồng chí %(name)s,", name=head.name),
        [
            _(
                "Đơn vị %(unit)s được mời tham dự buổi tập huấn dưới đây. Đồng chí có thể cử cán bộ của đơn vị "
                "tham dự trên hệ thống.",
                unit=unit.name,
            )
        ],
        _facts(training_session),
        (_("Cử cán bộ tham dự"), external_url("training.nominate", session_id=training_session.id)),
    )
    email = head.email or (head.official.email if head.official else None)
    return queue_message(
        session,
        to_email=email,
        subject=_("Mời đơn vị cử cán bộ tập huấn: %(title)s", title=training_session.title),
        text_body=text,
        html_body=html,
        kind="unit-invitation",
        dedupe_key=f"unit:{training_session.id}:{unit.id}:{head.id}:{training_session.sequence}",
        now=now,
    )
