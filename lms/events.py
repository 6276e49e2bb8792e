"""Domain events, sent inside the transaction of the change that causes them.

Receivers run synchronously with the same session and must only ``flush``: the request (or CLI
command) commits once, so the change and everything that reacts to it commit together or not at
all. A feature connects its receivers in its ``init_app`` (``lms/features.py``).

- ``attempt_graded``: sender = session; kwargs ``attempt`` (a graded quizzes Attempt).
- ``course_requirement_met``: sender = session; kwargs ``official_id``, ``course_id``, ``source``
  (e.g. "attempt:123"), ``now``, optional ``passed_score`` (the percent of this very attempt when it
  passed on its own). Something a course requires was just met (its final quiz passed): the courses
  package checks whether the course is now complete (and sends ``course_completed``).
- ``course_completed``: sender = session; kwargs ``official_id``, ``course_id``, ``score_percent``
  (float | None), ``completed_at`` (aware UTC datetime), ``source`` (e.g. "attempt:123"; the same
  completion always has the same source, so receivers can be idempotent on it), optional ``again``
  (True: a course completed before whose final quiz was passed again, certificates may renew).
- ``certificate_changed``: sender = session; kwargs ``certificate`` (issued, revoked, reissued,
  expired).
- ``mail_sending``: sender = session; kwargs ``now``. Sent by ``flask lms mail send`` before it sends
  the outbox: a feature queues the e-mails that are due (certificate expiry reminders); each
  receiver returns how many it queued.
- ``units_changing``: sender = session; kwargs ``unit_ids`` (the old units of a merger, split or
  rename being planned), ``today``. Each receiver returns a ``lms.org.services.SuccessionImpact``
  (what the change touches of its data, shown in the preview) or None. Nothing is written.
- ``course_loaded``: sender = session; kwargs ``course`` (the courses ``Course`` just created or
  updated from its folder, flushed), ``folder`` (the course folder, a ``Path``). Features load what
  belongs to the course from its folder (practice scenarios from ``practice/``); a receiver that
  refuses a file raises ``ContentRefused`` naming the file and the field, and the import is rolled
  back (``flask lms import-course`` prints the message).
- ``practice_passed``: sender = session; kwargs ``official_id``, ``scenario_id``, ``course_id``,
  ``topic`` (a ``Topic`` value), ``passed_at`` (aware UTC datetime), ``tries`` (checks it took). Sent
  once per official and scenario: on the first complete success of a practice exercise.
- ``officials_changed``: sender = session; kwargs ``officials`` (a list of ``Official``, already
  flushed: created, edited, moved to another unit, reactivated...). Sent once per change set: one
  call for a whole import file, not one per row.
"""

from blinker import Namespace


class ContentRefused(ValueError):
    """A ``course_loaded`` receiver refuses a file of the course folder (for the content authors, at
    the command line); the message names the file and the field."""


signals = Namespace()

attempt_graded = signals.signal("attempt-graded")
course_requirement_met = signals.signal("course-requirement-met")
course_completed = signals.signal("course-completed")
certificate_changed = signals.signal("certificate-changed")
officials_changed = signals.signal("officials-changed")
course_loaded = signals.signal("course-loaded")
practice_passed = signals.signal("practice-passed")
mail_sending = signals.signal("mail-sending")
units_changing = signals.signal("units-changing")
