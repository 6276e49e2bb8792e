"""Courses: content loaded from Markdown, enrolment, progress, assignment and completion.

Other features use ``courses.api`` only.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

REQUIRES = ()


def init_app(app) -> None:
    from courses import cli, demo, permissions, services, views
    from lms import events
    from lms.features import (
        add_audit_fields,
        add_audit_objects,
        add_commands,
        add_demo_step,
        add_nav,
        add_panel,
        add_template_globals,
    )

    app.register_blueprint(views.bp)
    add_nav(app, lazy_pgettext("menu", "Khóa học"), "courses.catalog", lambda u: u.is_authenticated, order=10)
    add_nav(app, _l("Giao khóa học"), "courses.assignments", permissions.can_assign_courses, order=11)
    add_nav(app, _l("Soạn khóa học"), "courses.manage", permissions.can_author_courses, order=12)
    add_panel(app, "courses/_panel.html", permissions.can_learn, order=10)
    add_template_globals(app, **permissions.TEMPLATE_PREDICATES, courses_panel=views.panel_data)
    add_audit_fields(app, views.AUDIT_FIELDS)
    add_audit_objects(app, views.AUDIT_OBJECTS)
    add_commands(app, cli.import_course_command)
    add_demo_step(app, "courses", demo.build_courses, order=10)
    events.officials_changed.connect(services.on_officials_changed)
    events.course_requirement_met.connect(services.on_course_requirement_met)
    events.units_changing.connect(services.on_units_changing)
