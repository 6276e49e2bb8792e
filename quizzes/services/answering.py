"""The exam's hot path: one answer saved by the attempt page's script (a small JSON or form POST).

``record_answer`` writes the answer in one statement that also checks everything the write depends
on: the slot is the attempt's, showing that question version; the attempt is the official's, in
progress, and ``now`` is not past its deadline plus the grace. No ORM object is loaded: the
question version's type and options come from a per-process cache (a version never changes once
written: editing a question makes a new version), the write is a Core ``UPDATE``. Only when that
statement changes no row does ``why_not_saved`` read the attempt to tell which check failed.

On PostgreSQL the attempt row is read ``FOR SHARE`` inside the statement, as every answer write
does (``attempts._still_open``): a submit (an UPDATE of that row) waits for the writes that got in,
then grades them; a write arriving while the submit holds the row waits, then matches nothing.
SQLite has one writer at a time and the statement reads the attempt as last committed.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, cast, exists, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from lms.auth.services import LoginRef, login_params, official_login_clause
from lms.database import UTCDateTime
from quizzes import qtypes
from quizzes.errors import AttemptClosed, QuizError
from quizzes.models import SLOT_ANSWERED, SLOT_TODO, Attempt, AttemptSlot, AttemptState, Question, QuestionVersion

VERSION_CACHE_SIZE = 4096  # question versions kept per process (a province's bank has a few hundred)


@dataclass(frozen=True)
class VersionKey:
    """What the exam's writes need of a question version (all immutable): its question, type and
    options (to parse and grade an answer, lay out a drawn question) and its mark."""

    id: int
    question_id: int
    qtype: str
    config: Mapping[str, Any]
    default_mark: float


def _versions_statement():
    return (
        select(QuestionVersion.id, Question.id, Question.qtype, QuestionVersion.config, QuestionVersion.default_mark)
        .join(Question, QuestionVersion.question_id == Question.id)
        .where(QuestionVersion.id.in_(bindparam("ids", expanding=True)))
    )


_VERSIONS = _versions_statement()  # built once


class _VersionCache:
    """Question version id -> ``VersionKey``, least recently used out first; thread-safe. A version id
    names the same content for the life of the database; after ``flask lms restore`` (ids handed out
    again), restart the app, as after any restore. The configs are shared by every request: read
    them, never change them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, VersionKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session | Connection, version_id: int) -> VersionKey | None:
        return self.get_many(session, (version_id,)).get(version_id)

    def get_many(self, session: Session | Connection, version_ids: Iterable[int]) -> dict[int, VersionKey]:
        """The versions of ``version_ids`` that exist, by id; those not cached are read in one query."""
        found: dict[int, VersionKey] = {}
        missing: list[int] = []
        with self._lock:
            for version_id in version_ids:
                key = self._items.get(version_id)
                if key is not None:
                    self._items.move_to_end(version_id)
                    found[version_id] = key
                elif version_id not in found:
                    missing.append(version_id)
        if not missing:
            return found
        read = [VersionKey(*row) for row in session.execute(_VERSIONS, {"ids": sorted(set(missing))})]
        with self._lock:
            for key in read:
                found[key.id] = self._items[key.id] = key
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


version_keys = _VersionCache(VERSION_CACHE_SIZE)


def slot_version_id(session: Session, attempt_id: int, slot_no: int) -> int | None:
    """The question version slot ``slot_no`` of the attempt shows (for a client that did not send it:
    the page form, older scripts). Says nothing about whose the attempt is: the write checks that."""
    return session.scalar(
        select(AttemptSlot.question_version_id).where(
            AttemptSlot.attempt_id == attempt_id, AttemptSlot.slot_no == slot_no
        )
    )


def _write_statement(owner):
    """The answer's UPDATE with its checks, built once (building it cost more than running it);
    ``owner``: the condition on ``Attempt.official_id`` (the official's id, or a live login of theirs)."""
    open_attempt = exists(
        select(Attempt.id)
        .where(
            Attempt.id == bindparam("p_attempt"),
            owner,
            Attempt.state == AttemptState.IN_PROGRESS,
            (Attempt.deadline_at.is_(None)) | (Attempt.deadline_at >= bindparam("p_cutoff", type_=UTCDateTime)),
        )
        .with_for_update(read=True)
    )
    unchanged = cast(AttemptSlot.answer, Text).is_not_distinct_from(cast(bindparam("p_stored", type_=Text), Text))
    return (
        update(AttemptSlot)
        .where(
            AttemptSlot.attempt_id == bindparam("p_attempt"),
            AttemptSlot.slot_no == bindparam("p_slot"),
            AttemptSlot.question_version_id == bindparam("p_version"),
            open_attempt,
        )
        .values(
            answer=bindparam("p_answer", type_=AttemptSlot.answer.type),
            state=bindparam("p_state"),
            answered_at=case((unchanged, AttemptSlot.answered_at), else_=bindparam("p_now", type_=UTCDateTime)),
        )
        .execution_options(synchronize_session=False)
    )


_WRITE = _write_statement(Attempt.official_id == bindparam("p_official"))
# the same write for a request whose login is checked in the statement itself (``record_answer_as``)
_WRITE_AS_LOGIN = _write_statement(official_login_clause(Attempt.official_id))


def _write_params(
    version: VersionKey, attempt_id: int, slot_no: int, form: Any, now: datetime, grace_seconds: float
) -> dict:
    """The write's values: the answer to slot ``slot_no`` parsed from ``form`` (fields
    ``q<slot_no>...``) through its question type (an empty or invalid answer clears the slot)."""
    answer = qtypes.get_type(version.qtype).parse(form, f"q{slot_no}", version.config, None)
    return {
        "p_attempt": attempt_id,
        "p_slot": slot_no,
        "p_version": version.id,
        "p_cutoff": now - timedelta(seconds=grace_seconds),
        "p_answer": answer,
        "p_stored": None if answer is None else json.dumps(answer),  # as the JSON column stores it
        "p_state": SLOT_ANSWERED if answer is not None else SLOT_TODO,
        "p_now": now,
    }


def record_answer(
    session: Session,
    attempt_id: int,
    official_id: int,
    slot_no: int,
    version_id: int,
    form: Any,
    now: datetime,
    grace_seconds: float,
) -> bool | None:
    """Parse the answer to slot ``slot_no`` from ``form`` (fields ``q<slot_no>...``) through its
    question type and store it, in one ``UPDATE`` that checks the attempt is ``official_id``'s, in
    progress and in time, and that the slot shows ``version_id``. Returns whether the slot is now
    answered (an empty or invalid answer clears it), or None when nothing was written (see
    ``why_not_saved``). ``answered_at`` moves only when the answer changes."""
    owner = {"p_official": official_id}
    return _write(session, _WRITE, owner, attempt_id, slot_no, version_id, form, now, grace_seconds)


def record_answer_as(
    connection: Connection,
    login: LoginRef,
    demo_allowed: bool,
    attempt_id: int,
    slot_no: int,
    version_id: int,
    form: Any,
    now: datetime,
    grace_seconds: float,
) -> bool | None:
    """``record_answer`` for the official whose live login session is ``login`` (the cookie's, not
    yet checked): the same one ``UPDATE``, which also checks the login the way the user loader and
    the officials' access rule do (``auth.services.official_login_clause``), so no account is loaded.
    Run it on a connection in autocommit (one statement is its own transaction: one round trip).
    None when nothing was written: any check failed, and the usual way explains which."""
    owner = login_params(login, now, demo_allowed)
    return _write(connection, _WRITE_AS_LOGIN, owner, attempt_id, slot_no, version_id, form, now, grace_seconds)


def _write(
    executor: Session | Connection,
    statement,
    owner: dict,
    attempt_id: int,
    slot_no: int,
    version_id: int,
    form: Any,
    now: datetime,
    grace_seconds: float,
) -> bool | None:
    """Parse the answer through the version's question type and run ``statement`` with it and the
    ``owner`` values; whether the slot is now answered, or None when no row was written."""
    key = version_keys.get(executor, version_id)
    if key is None:
        return None
    params = _write_params(key, attempt_id, slot_no, form, now, grace_seconds) | owner
    if executor.execute(statement, params).rowcount != 1:
        return None
    return params["p_answer"] is not None


CLOSED_MESSAGE = "Bài làm đã được nộp, không sửa được câu trả lời nữa."
OVERDUE_MESSAGE = "Đã hết giờ làm bài. Câu trả lời sau thời hạn không được ghi nhận."


def why_not_saved(
    session: Session, attempt_id: int, official_id: int, now: datetime, grace_seconds: float
) -> Attempt | None:
    """After ``record_answer`` wrote nothing: None when the attempt does not exist; otherwise raises
    ``PermissionError`` (not the official's), :class:`AttemptClosed` (submitted, or past the deadline
    plus the grace) or :class:`QuizError` (no such slot, or another question version than sent)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        return None
    if attempt.official_id != official_id:
        raise PermissionError(attempt_id)
    if not attempt.in_progress:
        raise AttemptClosed(CLOSED_MESSAGE)
    if attempt.is_overdue(now, grace_seconds):
        raise AttemptClosed(OVERDUE_MESSAGE)
    raise QuizError("Không có câu hỏi này trong bài làm. Hãy tải lại trang.")
