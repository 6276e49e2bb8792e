"""What every view does around its use case: one transaction, the user's errors shown, never a 500.

    outcome = perform(lambda: services.withdraw(db.session, participant))
    if outcome.ok:
        flash(_("Đã hủy đăng ký."), "success")
    return redirect(...)

``perform`` runs the service call and commits once; a ``lms.errors.UserError`` rolls back and is
flashed (or, with ``flash_error=False``, left for the page: ``outcome.message`` or, on a form,
``outcome.show_on(form)``); ``NotAllowed`` rolls back and answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash

from lms.errors import NotAllowed, UserError
from lms.extensions import db


@dataclass(frozen=True)
class Outcome:
    ok: bool
    value: Any = None
    error: UserError | None = None

    @property
    def message(self) -> str | None:
        return str(self.error) if self.error is not None else None

    def show_on(self, form, default_field: str | None = None) -> str | None:
        """Put the error under its form field (the error's ``field``, else ``default_field``); the
        message when it belongs to no field of the form (for the top of the page), else None."""
        name = (self.error.field if self.error is not None else None) or default_field
        field = getattr(form, name, None) if name else None
        if self.error is None or field is None:
            return self.message
        field.errors = [*field.errors, str(self.error)]
        return None


def perform(action: Callable[[], Any], *, errors: type[UserError] = UserError, flash_error: bool = True) -> Outcome:
    """Run ``action()`` and commit; roll back on the user's error (``errors``) and show it."""
    try:
        value = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except errors as exc:
        db.session.rollback()
        if flash_error:
            flash(str(exc), "error")
        return Outcome(ok=False, error=exc)
    db.session.commit()
    return Outcome(ok=True, value=value)
