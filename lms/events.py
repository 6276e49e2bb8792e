"""Domain events, sent inside the transaction of the change that causes them.

Receivers run synchronously with the same session and must only ``flush``: the request (or CLI
command) commits once, so the change and everything that reacts to it commit together or not at
all. A feature connects its receivers in its ``init_app`` (``lms/features.py``).

- ``attempt_graded``: sender = session; kwargs ``attempt`` (a graded quizzes Attempt).
- ``course_requirement_met``: sender = session; kwargs ``official_id``, ``course_id``, ``source``
  (e.g. "attempt:123"), ``now``. Something a course requires was just met (its final quiz passed):
  the courses package checks whether the course is now complete (and sends ``course_completed``).
- ``course_completed``: sender = session; kwargs ``official_id``, ``course_id``, ``score_percent``
  (float | None), ``completed_at`` (aware UTC datetime), ``source`` (e.g. "attempt:123"; the same
  completion always has the same source, so receivers can be idempotent on it).
- ``certificate_changed``: sender = session; kwargs ``certificate`` (issued, revoked, reissued,
  expired).
- ``mail_sending``: sender = session; kwargs ``now``. Sent by ``flask lms mail send`` before it sends
  the outbox: a feature queues the e-mails that are due (certificate expiry reminders); each
  receiver returns how many it queued.
- ``units_changing``: sender = session; kwargs ``unit_ids`` (the old units of a merger, split or
  rename being planned), ``today``. Each receiver returns a ``lms.org.services.SuccessionImpact``
  (what the change touches of its data, shown in the preview) or None. Nothing is written.
- ``officials_changed``: sender = session; kwargs ``officials`` (a list of ``Official``, already
  flushed: created, edited, moved to another unit, reactivated...). Sent once per change set: one
  call for a whole import file, not one per row.
"""

from blinker import Namespace

signals = Namespace()

attempt_graded = signals.signal("attempt-graded")
course_requirement_met = signals.signal("course-requirement-met")
course_completed = signals.signal("course-completed")
certificate_changed = signals.signal("certificate-changed")
officials_changed = signals.signal("officials-changed")
mail_sending = signals.signal("mail-sending")
units_changing = signals.signal("units-changing")
