"""Competency: where each official stands on the four topics (records kept by the ``attempt_graded``
and ``certificate_changed`` receivers), unit rankings, breakdowns, monthly snapshots and reports.

Other features use ``competency.api`` only.
"""

from flask_babel import lazy_gettext as _l

REQUIRES = ("courses", "quizzes", "certificates", "practice")


def init_app(app) -> None:
    from sqlalchemy.orm import Session

    from competency import cache, cli, demo, permissions, records, views
    from competency.rankings import block_label
    from lms import events
    from lms.database import listen_once
    from lms.features import add_commands, add_demo_step, add_nav, add_panel, add_template_globals

    app.register_blueprint(views.bp)
    add_nav(app, _l("Kết quả của tôi"), "competency.mine", permissions.has_own_results, order=45)
    add_nav(app, _l("Năng lực đơn vị"), "competency.my_unit", permissions.heads_a_unit, order=55)
    add_nav(app, _l("Xếp hạng đơn vị"), "competency.ranking", permissions.can_view_rankings, order=65)
    add_panel(app, "competency/_panel_mine.html", permissions.has_own_results, order=25)
    add_panel(app, "competency/_panel_unit.html", permissions.heads_a_unit, order=35)
    add_panel(app, "competency/_panel_ranking.html", permissions.can_view_rankings, order=45)
    add_template_globals(
        app,
        **permissions.TEMPLATE_PREDICATES,
        competency_panel=views.panel_data,
        competency_status_label=views.status_label,
        competency_status_class=views.STATUS_CLASSES.get,
        competency_block_label=block_label,
    )
    add_commands(app, cli.competency_cli)
    add_demo_step(app, "history", demo.build_history, order=60)
    events.attempt_graded.connect(records.on_attempt_graded)
    events.certificate_changed.connect(records.on_certificate_changed)
    events.practice_passed.connect(records.on_practice_passed)
    # the rankings cache is invalidated when a write commits; records and summaries flush together
    for identifier, listener in cache.SESSION_LISTENERS:
        listen_once(Session, identifier, listener)
    listen_once(Session, "after_flush", records.summaries_after_flush)
