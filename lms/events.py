"""Domain events, sent inside the transaction of the change that causes them.

Receivers run synchronously with the same session and must only ``flush``: the request (or CLI
command) commits once, so the change and everything that reacts to it commit together or not at
all. Connect receivers at import time of the package's ``services`` or ``events`` module.

- ``attempt_graded``: sender = session; kwargs ``attempt`` (a graded quizzes Attempt).
- ``course_completed``: sender = session; kwargs ``official_id``, ``course_id``, ``score_percent``
  (float | None), ``completed_at`` (aware UTC datetime), ``source`` (e.g. "attempt:123"; the same
  completion always has the same source, so receivers can be idempotent on it).
- ``certificate_changed``: sender = session; kwargs ``certificate`` (issued, revoked, reissued,
  expired).
- ``mail_sending``: sender = session; kwargs ``now``. Sent by ``flask lms mail send`` before it sends
  the outbox: a feature queues the e-mails that are due (certificate expiry reminders); each
  receiver returns how many it queued.
- ``officials_changed``: sender = session; kwargs ``officials`` (a list of ``Official``, already
  flushed: created, edited, moved to another unit, reactivated...). Sent once per change set: one
  call for a whole import file, not one per row.
"""

from blinker import Namespace

signals = Namespace()

attempt_graded = signals.signal("attempt-graded")
course_completed = signals.signal("course-completed")
certificate_changed = signals.signal("certificate-changed")
officials_changed = signals.signal("officials-changed")
mail_sending = signals.signal("mail-sending")
