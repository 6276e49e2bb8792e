"""E-mail: the outbox (``outbox.queue_message``, written in the caller's transaction), the SMTP sender
(``sender.send_pending``, run by ``flask lms mail send`` from cron), and composing a message
(``compose``). Any package that mails (training invitations, certificate reminders) queues through here.
"""

from __future__ import annotations

import os


def init_app(app) -> None:
    """The outbox table, and ``MAIL_BACKGROUND_SENDER``: the development server sends the outbox from a
    thread of its own."""
    from lms.mail import models  # noqa: F401  (the outbox table is part of the kernel's schema)

    @app.before_request
    def _maybe_start_sender():
        flag = app.config.get("MAIL_BACKGROUND_SENDER", os.environ.get("MAIL_BACKGROUND_SENDER", ""))
        if (
            str(flag).lower() in {"1", "true", "yes", "on"}
            and not app.testing
            and app.config["LMS_ENV"] != "production"
        ):
            from lms.mail.sender import start_background_sender

            start_background_sender(app)
