"""One root for the errors a person can correct, with one subclass per package.

A service raises ``UserError`` (or its package's subclass) with a message in plain Vietnamese fit
for the page; the view rolls back and shows it (``lms.views.user_errors``). ``NotAllowed``: the
person may not do this to a known object, so the view answers 403. Anything else that escapes a
view is a programming error: logged with the request id, and the friendly 500 page.

    UserError
    ├── AuthError (lms.auth)  ── Throttled
    ├── OrgError (lms.org)  ── SuccessionInvalid, ImportFileError
    ├── CourseError (courses)  ── AssignmentForbidden (also NotAllowed)
    ├── QuizError (quizzes)  ── AttemptClosed, QuestionImportError
    ├── CertificateError (certificates)
    ├── TrainingError (training)
    ├── AdoptionError (adoption)
    ├── DateTextError (lms.forms: a date or time typed that cannot be read)
    └── NotAllowed  (views answer 403)
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the person can correct; ``str(exc)`` is the message for the page.

    ``field``: the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(UserError):
    """The person may not do this to an object they know of: the view answers 403."""
