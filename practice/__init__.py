"""Practice in the three applications: hands-on exercises in safe replicas, checked on the end state.

Scenarios come with the courses (``courses/content/<course>/practice/``, loaded when the course is:
``course_loaded``); each official's run keeps the replica's state; results count in competency
(``practice.api``, read by competency) and, where a course asks for it, in its completion.
Other features use ``practice.api`` only.
"""

from flask_babel import lazy_gettext as _l

REQUIRES = ("courses",)


def init_app(app) -> None:
    from courses import api as courses_api
    from lms import events
    from lms.features import add_demo_step, add_nav, add_panel, add_template_globals
    from practice import demo, permissions, receivers, views

    app.register_blueprint(views.bp)
    add_nav(app, _l("Thực hành"), "practice.index", permissions.can_practise, order=35)
    add_nav(app, _l("Quản lý thực hành"), "practice.manage", permissions.can_manage_practice, order=62)
    add_panel(app, "practice/_panel.html", permissions.can_practise, order=28)
    add_panel(app, "practice/_panel_unit.html", permissions.heads_a_unit, order=36)
    add_template_globals(app, **permissions.TEMPLATE_PREDICATES, practice_panel=receivers.panel_data)
    add_demo_step(app, "practice", demo.build_practice, order=55)
    events.course_loaded.connect(receivers.on_course_loaded)
    courses_api.register_completion_requirement(receivers.practice_requirement)
