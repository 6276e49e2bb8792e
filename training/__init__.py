"""Training scheduling: sessions, invitations and registrations with a waiting list, attendance, the
calendar and its private feeds, and the e-mails about them (through the kernel's outbox).

Training reads competency (who lags behind, to target a session), courses and quizzes (the course's
final quiz, sent to those who attended) through their ``api``; no feature uses training.
"""

from flask_babel import lazy_gettext as _l

REQUIRES = ("courses", "quizzes", "competency")


def init_app(app) -> None:
    from lms.features import add_commands, add_demo_step, add_nav, add_panel, add_staff_section, add_template_globals
    from training import cli, demo, permissions, views
    from training.models import ParticipantState

    app.register_blueprint(views.bp)
    add_nav(app, _l("Tập huấn"), "training.index", lambda u: u.is_authenticated, order=40)
    add_nav(app, _l("Tập huấn của đơn vị"), "training.unit_sessions", lambda u: bool(u.headed_unit_ids), order=41)
    add_panel(app, "training/_panel.html", lambda u: u.official_id is not None, order=20)
    add_staff_section(app, "training/_staff_section.html", order=30)
    add_template_globals(
        app,
        **permissions.TEMPLATE_PREDICATES,
        training_panel=views.panel_data,
        training_staff_section=views.staff_section,
        training_states=ParticipantState,
    )
    add_commands(app, cli.training_cli)
    add_demo_step(app, "training", demo.build_training, order=70)
