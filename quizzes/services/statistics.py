"""Item analysis of a quiz over its graded attempts (``quizzes.stats``), and its CSV export."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quizzes import stats
from quizzes.models import (
    Attempt,
    AttemptSlot,
    AttemptState,
    Question,
    Quiz,
)


@dataclass
class QuestionRow:
    question: Question
    stats: stats.QuestionStats


@dataclass
class QuizStatistics:
    quiz: stats.QuizStats
    questions: list[QuestionRow]


def quiz_statistics(session: Session, quiz: Quiz) -> QuizStatistics:
    """Item analysis over the graded attempts (``quizzes.stats.analyse``).

    Questions are drawn at random, so each question is analysed over the attempts that saw it:
    its mark against the rest of that attempt's score. The quiz-level figures use the slot marks.
    """
    attempts = session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.SUBMITTED)
        .options(selectinload(Attempt.slots).selectinload(AttemptSlot.question_version))
        .order_by(Attempt.id)
    ).all()
    by_slot = [{s.slot_no: s.mark or 0.0 for s in a.slots} for a in attempts]
    max_by_slot: dict[int, float] = {}
    for a in attempts:
        for s in a.slots:
            max_by_slot[s.slot_no] = max(max_by_slot.get(s.slot_no, 0.0), s.max_mark)
    max_total = sum(max_by_slot.values())
    overall = stats.analyse(by_slot, max_by_slot, pass_mark=max_total * quiz.pass_percent / 100 if max_total else None)
    seen: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)  # qid -> (mark, max, total, max_total)
    for a in attempts:
        total = sum(s.mark or 0.0 for s in a.slots)
        total_max = sum(s.max_mark for s in a.slots)
        for s in a.slots:
            seen[s.question_version.question_id].append((s.mark or 0.0, s.max_mark, total, total_max))
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(list(seen))))}
    rows = []
    for qid, marks in seen.items():
        max_mark = max(m[1] for m in marks)
        rest_max = max(m[3] - m[1] for m in marks)
        result = stats.analyse([{"q": m[0], "rest": m[2] - m[0]} for m in marks], {"q": max_mark, "rest": rest_max})
        rows.append(QuestionRow(questions[qid], result.questions[0]))
    rows.sort(key=lambda r: (r.question.category.path, r.question.title))
    return QuizStatistics(overall, rows)


STATS_COLUMNS = [
    "question_id",
    "category",
    "title",
    "type",
    "attempts",
    "mean_mark",
    "max_mark",
    "facility",
    "sd",
    "discrimination",
    "flags",
]


def statistics_csv(result: QuizStatistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATS_COLUMNS)

    def num(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    for row in result.questions:
        s = row.stats
        writer.writerow(
            [
                row.question.id,
                row.question.category.path,
                row.question.title,
                row.question.qtype,
                s.count,
                num(s.mean),
                num(s.max_mark),
                num(s.facility),
                num(s.sd),
                num(s.discrimination),
                " ".join(s.flags),
            ]
        )
    return out.getvalue()
