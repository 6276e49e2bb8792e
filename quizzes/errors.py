"""The quizzes' user errors (``lms.errors.UserError``): messages in plain Vietnamese."""

from __future__ import annotations

from lms.errors import UserError
from quizzes.gift import ParseError


class QuizError(UserError):
    """A quiz, attempt or question bank mistake, with a message in plain Vietnamese."""


class AttemptClosed(QuizError):
    pass


class QuestionImportError(QuizError):
    def __init__(self, errors: list[ParseError]) -> None:
        super().__init__(f"{len(errors)} lỗi")
        self.errors = errors
