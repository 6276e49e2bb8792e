"""The outbox sender: claims pending messages one by one and sends them through SMTP.

* Claim: ``UPDATE ... SET state='sending' WHERE id=? AND state='pending'`` (committed) -- with two
  senders running, exactly one wins each message, so nothing is sent twice.
* A refused send (4xx, a dropped connection while sending) goes back to ``pending`` with an
  exponential backoff (``next_attempt_at``); after ``max_attempts`` tries, or at once on a permanent
  5xx refusal, it is ``failed`` (IT staff see it on the outbox page and can retry it).
* SMTP unreachable: nothing is claimed, messages stay pending and go out once when it is back.
* A message left in ``sending`` longer than ``sending_timeout`` (the process died mid-way) returns to
  ``pending``.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.mail.models import OutboxMessage, OutboxState
from lms.time import utcnow

log = logging.getLogger("lms.mail")

MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(minutes=1)
SENDING_TIMEOUT = timedelta(minutes=10)


def _flag(value, default=False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    user: str = ""
    password: str = field(default="", repr=False)
    mail_from: str = "taphuan@localhost"
    timeout: float = 20.0

    @classmethod
    def from_mapping(cls, env) -> SmtpConfig:
        """From ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_STARTTLS``, ``SMTP_SSL``, ``SMTP_USER``, ``SMTP_PASSWORD``,
        ``MAIL_FROM`` (and ``SMTP_TIMEOUT``)."""
        use_ssl = _flag(env.get("SMTP_SSL"))
        return cls(
            host=env.get("SMTP_HOST") or "localhost",
            port=int(env.get("SMTP_PORT") or (465 if use_ssl else 25)),
            starttls=_flag(env.get("SMTP_STARTTLS")),
            ssl=use_ssl,
            user=env.get("SMTP_USER") or "",
            password=env.get("SMTP_PASSWORD") or "",
            mail_from=env.get("MAIL_FROM") or "taphuan@localhost",
            timeout=float(env.get("SMTP_TIMEOUT") or 20),
        )

    @classmethod
    def from_app(cls, app) -> SmtpConfig:
        """The app config wins over the environment (tests set it there)."""
        keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_SSL", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM")
        merged = {k: os.environ.get(k) for k in (*keys, "SMTP_TIMEOUT")}
        merged.update({k: app.config[k] for k in (*keys, "SMTP_TIMEOUT") if app.config.get(k) not in (None, "")})
        return cls.from_mapping(merged)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    smtp_error: str = ""

    def __str__(self) -> str:
        text = f"sent={self.sent} retry={self.retried} failed={self.failed} unstuck={self.released}"
        return text + (f" smtp_error={self.smtp_error}" if self.smtp_error else "")


# Python's default header folding drops the space between two encoded words ("thư điện" -> "thưđiện"
# once decoded): keep each header on one line (RFC 5322 allows 998 characters; subjects are <= 255).
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def build_email(msg: OutboxMessage, mail_from: str) -> EmailMessage:
    email = EmailMessage(policy=MAIL_POLICY)
    email["Subject"] = msg.subject
    email["From"] = mail_from
    email["To"] = msg.to_email
    email["Date"] = formatdate(localtime=False)
    domain = mail_from.rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox{msg.id}", domain=domain)
    email.set_content(msg.text_body)
    if msg.html_body:
        email.add_alternative(msg.html_body, subtype="html")
    if msg.ics:
        method = "CANCEL" if "METHOD:CANCEL" in msg.ics else "REQUEST" if "METHOD:REQUEST" in msg.ics else "PUBLISH"
        email.add_attachment(
            msg.ics.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="cancel.ics" if method == "CANCEL" else "invite.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return email


def backoff(attempts: int, base: timedelta = BASE_DELAY) -> timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd ... failed try (capped at 6 hours)."""
    return min(base * (2 ** max(attempts - 1, 0)), timedelta(hours=6))


def release_stuck(session: Session, now: datetime, timeout: timedelta = SENDING_TIMEOUT) -> int:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_at < now - timeout)
        .values(state=OutboxState.PENDING, next_attempt_at=now, last_error="stuck in sending; released")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
        .values(state=OutboxState.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.ssl:
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
    if config.user:
        smtp.login(config.user, config.password)
    return smtp


def _finish(session: Session, message_id: int, values: dict) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def send_pending(
    session_factory: Callable[[], Session],
    now: datetime,
    smtp_config: SmtpConfig,
    *,
    limit: int = 200,
    max_attempts: int = MAX_ATTEMPTS,
    base_delay: timedelta = BASE_DELAY,
    sending_timeout: timedelta = SENDING_TIMEOUT,
) -> SendReport:
    """Send what is due at ``now``. Each claim and each result is its own short committed transaction."""
    report = SendReport()
    session = session_factory()
    smtp: smtplib.SMTP | None = None
    try:
        report.released = release_stuck(session, now, sending_timeout)
        session.commit()
        due = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
        session.commit()
        if not due:
            return report
        try:
            smtp = _connect(smtp_config)
        except OSError as exc:  # refused, timeout, TLS or login failure (SMTPException is an OSError)
            report.smtp_error = f"{type(exc).__name__}: {exc}"
            log.warning("SMTP unavailable (%s); %d messages stay pending", report.smtp_error, len(due))
            return report
        for message_id in due:
            if not _claim(session, message_id, now):
                continue  # another sender has it
            msg = session.get(OutboxMessage, message_id, populate_existing=True)
            try:
                smtp.send_message(build_email(msg, smtp_config.mail_from), to_addrs=[msg.to_email])
            except smtplib.SMTPServerDisconnected as exc:
                _release(session, message_id, exc, report)
                smtp = _close(smtp)
                break
            except smtplib.SMTPException as exc:  # a reply refusing this message
                code = _code(exc)
                permanent = code is not None and code >= 500
                if permanent or msg.attempts >= max_attempts:
                    _finish(session, message_id, {"state": OutboxState.FAILED, "last_error": _err(exc)})
                    report.failed += 1
                else:
                    _finish(
                        session,
                        message_id,
                        {
                            "state": OutboxState.PENDING,
                            "next_attempt_at": now + backoff(msg.attempts, base_delay),
                            "last_error": _err(exc),
                        },
                    )
                    report.retried += 1
                continue
            except OSError as exc:  # the network failed mid-way
                _release(session, message_id, exc, report)
                smtp = _close(smtp)
                break
            _finish(session, message_id, {"state": OutboxState.SENT, "sent_at": now, "last_error": ""})
            report.sent += 1
        return report
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except OSError:  # smtplib.SMTPException is an OSError
                _close(smtp)
        session.close()


def _release(session: Session, message_id: int, exc: BaseException, report: SendReport) -> None:
    """The connection dropped: not the message's fault. Back to pending (not counted), sent next run."""
    _finish(
        session,
        message_id,
        {"state": OutboxState.PENDING, "attempts": OutboxMessage.attempts - 1, "last_error": _err(exc)},
    )
    report.smtp_error = _err(exc)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
    return None


def _code(exc: smtplib.SMTPException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def _err(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def retry_now(session: Session, message_id: int, now: datetime) -> bool:
    """IT staff: put a failed (or waiting) message back in the queue, due now."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state.in_((OutboxState.FAILED, OutboxState.PENDING)))
        .values(state=OutboxState.PENDING, next_attempt_at=now, attempts=0)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return result.rowcount == 1


# -- background sender for the development server ------------------------------------------------------
_started = threading.Event()


def start_background_sender(app, interval: float = 30.0) -> bool:
    """A daemon thread sending the outbox every ``interval`` seconds (dev server only, once per process)."""
    if _started.is_set():
        return False
    _started.set()

    def loop() -> None:
        from sqlalchemy.orm import sessionmaker

        from lms.extensions import db

        while True:
            try:
                with app.app_context():
                    factory = sessionmaker(bind=db.engine)
                    report = send_pending(factory, utcnow(), SmtpConfig.from_app(app))
                    if report.sent or report.failed or report.retried:
                        log.info("outbox: %s", report)
            except Exception:  # pragma: no cover - keep the thread alive
                log.exception("background mail sender")
            threading.Event().wait(interval)

    threading.Thread(target=loop, name="outbox-sender", daemon=True).start()
    return True
