"""Training pages: sessions, calendar, targeting, attendance, unit heads' nominations, feeds (the e-mail
outbox page is the kernel's, lms/mail/views.py; /training/outbox redirects there).

Every handler: load (404) -> check access (403) -> act through ``services`` -> commit once.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from courses import api as courses_api
from lms.auth.access import MANAGERS, STAFF, login_required, public, roles_required, safe_next_url
from lms.auth.models import Role, RoleAssignment, User
from lms.auth.permissions import load_or_404, require
from lms.auth.rules import PROVINCE_WIDE
from lms.extensions import db
from lms.inputs import db_int, db_ints
from lms.mail.compose import external_url
from lms.org.models import Official, Unit
from lms.pagination import Page
from lms.time import local_to_utc, local_today, to_local, utcnow
from lms.topics import Topic
from lms.views import perform
from lms.workdays import next_working_day
from training import calendar as cal
from training import services
from training.forms import ActionForm, CancelForm, SessionForm
from training.models import (
    ACTIVE_STATES,
    SEAT_STATES,
    Participant,
    ParticipantState,
    SessionKind,
    TrainingSession,
)
from training.permissions import (
    can_manage_sessions,
    can_mark_attendance,
    can_nominate,
    can_see_participants,
    can_view_session,
)
from training.targeting import FlagRule, reason_label

bp = Blueprint(
    "training",
    __name__,
    url_prefix="/training",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def panel_data(user) -> dict:
    """The dashboard panel (``training/_panel.html``): invitations, places, waiting list, quiz links."""
    if user.official_id is None:
        return {"invitations": [], "upcoming": [], "waiting": [], "quizzes": []}
    return services.dashboard_data(db.session, user.official_id)


def staff_section(official: Official) -> dict:
    """The unit head's page of one staff member (``training/_staff_section.html``): their sessions, and
    the coming sessions the viewer may still send them to."""
    now = utcnow()
    candidates = services.sessions_to_nominate(db.session, official, now)
    return {
        "places": services.official_sessions(db.session, official.id),
        "to_nominate": [s for s in candidates if can_nominate(current_user, s, official)],
    }


def _per_page() -> int:
    return current_app.config.get("PER_PAGE", 25)


def _training_session_or_404(session_id: int) -> TrainingSession:
    training_session = load_or_404(TrainingSession, session_id, check=can_view_session)
    return training_session


def _my_official() -> Official | None:
    return db.session.get(Official, current_user.official_id) if current_user.official_id else None


def _show_warnings(warnings) -> None:
    for w in warnings:
        flash(str(w), "warning")


# -- lists and calendar --------------------------------------------------------------------------------
@bp.get("/")
@login_required
def index():
    now = utcnow()
    mine = db.paginate(services.visible_sessions_query(current_user, start=now), per_page=_per_page(), error_out=False)
    open_sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.open_registration.is_(True), TrainingSession.starts_at > now)
        .where(TrainingSession.status == "scheduled")
        .order_by(TrainingSession.starts_at)
        .limit(20)
    ).all()
    return render_template("training/index.html", page=mine, open_sessions=open_sessions)


@bp.get("/calendar")
@login_required
def calendar():
    view = request.args.get("view", "month")
    if view not in ("month", "week"):
        view = "month"
    today = local_today()
    try:
        anchor = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else today
    except ValueError:
        anchor = today
    if view == "month":
        first, last = cal.month_range(anchor)
        prev_date, next_date = cal.shift_month(anchor, -1), cal.shift_month(anchor, 1)
        month = anchor.month
    else:
        first, last = cal.week_range(anchor)
        prev_date, next_date = first - timedelta(days=7), first + timedelta(days=7)
        month = None
    start, end = cal.local_bounds(first, last)
    sessions = db.session.scalars(services.visible_sessions_query(current_user, start, end)).all()
    days = cal.build_days(first, last, sessions, today, month)
    return render_template(
        "training/calendar.html",
        view=view,
        anchor=anchor,
        days=days,
        weeks=cal.weeks(days),
        first=first,
        last=last,
        prev_date=prev_date,
        next_date=next_date,
        today=today,
    )


# -- creating and editing --------------------------------------------------------------------------------
def _training_session_form(obj_data=None):
    courses = courses_api.list_courses(db.session)
    staff_ids = select(RoleAssignment.user_id).where(
        RoleAssignment.role.in_((Role.IT_STAFF, Role.ADMIN, Role.UNIT_HEAD))
    )
    trainers = db.session.scalars(
        select(User).where(User.id.in_(staff_ids), User.active.is_(True)).order_by(User.display_name, User.username)
    ).all()
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    return SessionForm(courses, trainers, units, data=obj_data)


def _form_data(training_session: TrainingSession, shift: timedelta = timedelta(0)) -> dict:
    return {
        "title": training_session.title,
        "topic": training_session.topic.value,
        "kind": training_session.kind.value,
        "course_id": str(training_session.course_id or ""),
        "starts_at": (to_local(training_session.starts_at) + shift).replace(tzinfo=None),
        "ends_at": (to_local(training_session.ends_at) + shift).replace(tzinfo=None),
        "place": training_session.place,
        "link": training_session.link,
        "capacity": training_session.capacity,
        "notes": training_session.notes,
        "open_registration": training_session.open_registration,
        "trainer_ids": [str(i) for i in sorted(training_session.trainer_ids)],
        "target_unit_ids": [str(i) for i in sorted(training_session.target_unit_ids)],
    }


def _input(form: SessionForm) -> services.TrainingSessionInput:
    return services.TrainingSessionInput(
        title=form.title.data or "",
        topic=Topic(form.topic.data),
        kind=SessionKind(form.kind.data),
        starts_at=local_to_utc(form.starts_at.data),
        ends_at=local_to_utc(form.ends_at.data),
        course_id=int(form.course_id.data) if form.course_id.data else None,
        place=form.place.data or "",
        link=form.link.data or "",
        capacity=form.capacity.data,
        notes=form.notes.data or "",
        open_registration=bool(form.open_registration.data),
        trainer_ids=[int(i) for i in form.trainer_ids.data or []],
        target_unit_ids=[int(i) for i in form.target_unit_ids.data or []],
    )


def _default_data() -> dict:
    """A new session: the next working day (not a weekend nor a public holiday), 08:00-11:30."""
    from datetime import datetime, time

    day = next_working_day(local_today())
    data = {
        "starts_at": datetime.combine(day, time(8, 0)),
        "ends_at": datetime.combine(day, time(11, 30)),
        "kind": SessionKind.CLASSROOM.value,
        "capacity": 30,
        "trainer_ids": [str(current_user.id)],
    }
    # opened from a unit's page ("support this unit", ``support_session_url``): an on-site session there
    unit_id = request.args.get("unit", type=db_int)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is not None:
        data |= {
            "kind": SessionKind.ONSITE.value,
            "target_unit_ids": [str(unit.id)],
            "place": unit.name,
            "title": _("Hỗ trợ tại đơn vị: %(u)s", u=unit.name),
        }
    if request.args.get("topic") in {t.value for t in Topic}:
        data["topic"] = request.args["topic"]
    return data


def support_session_url(unit_id: int, topic: str | None = None) -> str:
    """The new-session form for an on-site support session at a unit (linked from the unit's pages)."""
    return url_for("training.new_session", unit=unit_id, topic=topic)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_session():
    form = _training_session_form(obj_data=None if request.method == "POST" else _default_data())
    create = lambda data: services.create_training_session(db.session, data, current_user)  # noqa: E731
    return _training_session_form_page(form, create, _("Đã tạo buổi tập huấn."), training_session=None, mode="new")


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_session(session_id: int):
    training_session = load_or_404(TrainingSession, session_id)
    form = _training_session_form(obj_data=None if request.method == "POST" else _form_data(training_session))
    update = lambda data: services.update_training_session(db.session, training_session, data, current_user)  # noqa: E731
    return _training_session_form_page(
        form, update, _("Đã lưu thay đổi."), training_session=training_session, mode="edit"
    )


@bp.route("/<int:session_id>/copy", methods=["GET", "POST"])
@roles_required(*STAFF)
def copy_session(session_id: int):
    source = load_or_404(TrainingSession, session_id)
    form = _training_session_form(obj_data=None if request.method == "POST" else _form_data(source, timedelta(days=7)))
    create = lambda data: services.create_training_session(db.session, data, current_user)  # noqa: E731
    return _training_session_form_page(
        form, create, _("Đã sao chép thành buổi tập huấn mới."), training_session=source, mode="copy"
    )


def _training_session_form_page(form, save, done_message: str, training_session, mode: str):
    """The create/edit/copy page: on a valid POST, ``save(data)`` then commit once and go to the session."""
    error = None
    if form.validate_on_submit():
        outcome = perform(lambda: save(_input(form)), flash_error=False)
        if outcome.ok:
            saved, warnings = outcome.value
            flash(done_message, "success")
            _show_warnings([*services.day_off_warnings(saved), *warnings])
            return redirect(url_for("training.session_detail", session_id=saved.id))
        error = outcome.message
    return render_template("training/form.html", form=form, error=error, training_session=training_session, mode=mode)


@bp.post("/<int:session_id>/cancel")
@roles_required(*STAFF)
def cancel_session(session_id: int):
    training_session = load_or_404(TrainingSession, session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = perform(
        lambda: services.cancel_training_session(db.session, training_session, current_user, form.reason.data or "")
    )
    if outcome.ok:
        flash(_("Đã hủy buổi tập huấn và báo cho %(n)d người.", n=outcome.value), "success")
    return redirect(url_for("training.session_detail", session_id=session_id))


# -- one session --------------------------------------------------------------------------------------------
@bp.get("/<int:session_id>")
@login_required
def session_detail(session_id: int):
    training_session = _training_session_or_404(session_id)
    me = services.get_participant(db.session, training_session.id, current_user.official_id)
    participants = []
    if can_see_participants(current_user, training_session):
        participants = list(training_session.participants)
        if not can_mark_attendance(current_user, training_session):  # a unit head sees their own staff only
            participants = [p for p in participants if p.official.unit_id in current_user.headed_unit_ids]
    waiting = services.waiting_list(db.session, training_session.id)
    return render_template(
        "training/detail.html",
        training_session=training_session,
        me=me,
        my_position=services.waitlist_position(db.session, me) if me else None,
        participants=participants,
        waiting_ids={p.id: i + 1 for i, p in enumerate(waiting)},
        taken=services.seats_taken(db.session, training_session.id),
        warnings=services.detect_conflicts(db.session, training_session) if can_manage_sessions(current_user) else [],
        now=utcnow(),
        form=ActionForm(),
        cancel_form=CancelForm(),
        seat_states=SEAT_STATES,
        active_states=ACTIVE_STATES,
    )


@bp.post("/<int:session_id>/respond")
@roles_required(Role.OFFICIAL)
def respond(session_id: int):
    training_session = _training_session_or_404(session_id)
    p = services.get_participant(db.session, training_session.id, current_user.official_id)
    answer = request.form.get("answer")
    if p is None or answer not in ("accept", "decline"):
        flash(_("Không có lời mời nào để trả lời."), "error")
        return redirect(url_for("training.session_detail", session_id=training_session.id))
    outcome = perform(lambda: services.respond(db.session, p, answer == "accept"))
    if outcome.ok:
        flash(_state_message(outcome.value), "success")
    if request.form.get("next") == "dashboard":
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("training.session_detail", session_id=training_session.id))


def _state_message(p: Participant) -> str:
    if p.state == ParticipantState.WAITLISTED:
        return _(
            "Buổi tập huấn đã đủ chỗ: đồng chí ở vị trí %(n)d trong danh sách chờ.",
            n=services.waitlist_position(db.session, p) or 0,
        )
    if p.state == ParticipantState.DECLINED:
        return _("Đã ghi nhận: đồng chí từ chối tham dự.")
    if p.state == ParticipantState.CANCELLED:
        return _("Đã hủy đăng ký.")
    return _("Đã xác nhận chỗ tham dự của đồng chí.")


@bp.post("/<int:session_id>/register")
@roles_required(Role.OFFICIAL)
def register(session_id: int):
    training_session = _training_session_or_404(session_id)
    outcome = perform(lambda: services.register_self(db.session, training_session, _my_official()))
    if outcome.ok:
        flash(_state_message(outcome.value), "success")
    return redirect(url_for("training.session_detail", session_id=training_session.id))


@bp.post("/<int:session_id>/withdraw")
@roles_required(Role.OFFICIAL)
def withdraw(session_id: int):
    training_session = _training_session_or_404(session_id)
    p = services.get_participant(db.session, training_session.id, current_user.official_id)
    if p is None:
        flash(_("Đồng chí chưa đăng ký buổi này."), "error")
        return redirect(url_for("training.session_detail", session_id=training_session.id))
    outcome = perform(lambda: services.withdraw(db.session, p))
    if outcome.ok:
        flash(_state_message(outcome.value), "success")
    return redirect(url_for("training.session_detail", session_id=training_session.id))


@bp.get("/<int:session_id>.ics")
@login_required
def session_ics(session_id: int):
    training_session = _training_session_or_404(session_id)
    body = cal.session_ics(
        training_session, url=external_url("training.session_detail", session_id=training_session.id)
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="tap-huan-{training_session.id}.ics"'},
    )


# -- targeting (IT staff) -------------------------------------------------------------------------------------
UNITS_PER_PAGE = 20
OFFICIALS_PER_PAGE = 50


def _chosen(form, name: str) -> set[int]:
    """The ids chosen in a list paged on the form: those ticked on the page shown, and those chosen on
    other pages (carried as ``kept_<name>``; ``shown_<name>`` are the ids the page showed, so one
    unticked there is dropped)."""
    shown = set(db_ints(form.getlist(f"shown_{name}")))
    kept = set(db_ints(form.getlist(f"kept_{name}"))) - shown
    return kept | set(db_ints(form.getlist(name)))


def _page_number(form, prefix: str) -> int:
    """The page of a list to show: the pager button pressed (``goto=u:2``), else the one shown."""
    goto = form.get("goto", "")
    raw = goto[2:] if goto.startswith(f"{prefix}:") else form.get(f"{prefix}page", "1")
    try:
        return max(1, db_int(raw))
    except ValueError:
        return 1


@bp.route("/<int:session_id>/targeting", methods=["GET", "POST"])
@roles_required(*STAFF)
def targeting(session_id: int):
    training_session = load_or_404(TrainingSession, session_id)
    form = ActionForm()
    posted = request.method == "POST" and form.validate_on_submit()
    data = request.form if posted else request.args
    rule = FlagRule.from_args(data)
    proposal = services.propose_targets(db.session, training_session, rule=rule)
    existing = {p.official_id for p in training_session.participants}
    invitable = [o.official_id for o in proposal.officials if o.official_id not in existing]
    if posted:
        unit_ids = sorted(_chosen(request.form, "unit_id"))
        official_ids = _chosen(request.form, "official_id")
        everyone = request.form.get("all_officials") == "1"
    else:
        unit_ids, official_ids, everyone = sorted(training_session.target_unit_ids), set(), False
    action = request.form.get("action")
    if posted and not request.form.get("goto") and action not in ("apply",):
        chosen = sorted(official_ids | set(invitable)) if everyone else sorted(official_ids)
        direct_ids = db_ints(request.form.getlist("direct_unit_id"))
        if action != "confirm":  # first say whom it reaches (units without a head...)
            plan = services.plan_invite(
                db.session, training_session, official_ids=chosen, unit_ids=unit_ids, direct_unit_ids=direct_ids
            )
            return render_template(
                "training/targeting_confirm.html",
                training_session=training_session,
                plan=plan,
                form=form,
                official_ids=chosen,
                rule_args=rule.as_args(),
            )
        outcome = perform(
            lambda: services.invite(
                db.session,
                training_session,
                official_ids=chosen,
                unit_ids=unit_ids,
                direct_unit_ids=direct_ids,
                actor=current_user,
            )
        )
        if outcome.ok:
            result = outcome.value
            flash(
                _(
                    "Đã mời %(n)d cán bộ và %(u)d đơn vị (%(h)d thủ trưởng được báo; %(a)d người đã có trong danh "
                    "sách); %(e)d thư điện tử đã xếp hàng gửi.",
                    n=len(result.invited),
                    u=len(result.units),
                    h=result.heads,
                    a=result.already,
                    e=result.emails,
                ),
                "success",
            )
            _show_warnings(result.warnings)
            return redirect(url_for("training.session_detail", session_id=training_session.id))
    reset = action == "apply"  # a new rule reorders nothing but the flags: back to the first pages
    unit_page = Page.of(proposal.units, 1 if reset else _page_number(request.form, "u"), UNITS_PER_PAGE)
    official_page = Page.of(proposal.officials, 1 if reset else _page_number(request.form, "o"), OFFICIALS_PER_PAGE)
    return render_template(
        "training/targeting.html",
        training_session=training_session,
        proposal=proposal,
        unit_page=unit_page,
        official_page=official_page,
        chosen_units=set(unit_ids),
        chosen_officials=official_ids,
        everyone=everyone,
        invitable=len(invitable),
        existing=existing,
        form=form,
        reason_label=lambda reasons: reason_label(reasons, proposal.sources),
        warnings=services.detect_conflicts(db.session, training_session),
    )


# -- attendance (trainer or IT staff) ---------------------------------------------------------------------------
@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id: int):
    training_session = load_or_404(TrainingSession, session_id, check=can_mark_attendance)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        present = db_ints(request.form.getlist("present"))
        outcome = perform(lambda: services.mark_attendance(db.session, training_session, present, current_user))
        if outcome.ok:
            counts = outcome.value
            flash(_("Đã lưu điểm danh: %(a)d có mặt, %(b)d vắng.", a=counts["attended"], b=counts["absent"]), "success")
            return redirect(url_for("training.attendance", session_id=training_session.id))
    people = [p for p in training_session.participants if p.state in SEAT_STATES]
    people.sort(key=lambda p: p.official.sort_key)
    return render_template(
        "training/attendance.html", training_session=training_session, people=people, form=form, now=utcnow()
    )


# -- unit heads -----------------------------------------------------------------------------------------------------
@bp.get("/unit")
@roles_required(*MANAGERS)
def unit_sessions():
    unit_ids = sorted(current_user.headed_unit_ids)
    chosen = request.args.get("unit_id", type=db_int)
    if PROVINCE_WIDE(current_user) and chosen is not None:
        unit_ids = [chosen]
    now = utcnow()
    page = db.paginate(services.unit_sessions_query(unit_ids, now), per_page=_per_page(), error_out=False)
    staff_counts = {}
    for training_session in page.items:
        staff_counts[training_session.id] = sum(
            1 for p in training_session.participants if p.official.unit_id in unit_ids and p.state in (*ACTIVE_STATES,)
        )
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.name)).all()
    return render_template("training/unit.html", page=page, units=units, staff_counts=staff_counts)


@bp.route("/<int:session_id>/nominate", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def nominate(session_id: int):
    training_session = _training_session_or_404(session_id)
    require(can_nominate(current_user, training_session))
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        ids = db_ints(request.form.getlist("official_id"))
        officials = db.session.scalars(select(Official).where(Official.id.in_(ids))).all()
        for official in officials:
            require(can_nominate(current_user, training_session, official))  # another unit's staff: 403, nothing saved
        outcome = perform(lambda: [services.nominate(db.session, training_session, o, current_user) for o in officials])
        if outcome.ok:
            done = outcome.value
            waiting = sum(1 for p in done if p.state == ParticipantState.WAITLISTED)
            flash(_("Đã cử %(n)d cán bộ (%(w)d người vào danh sách chờ).", n=len(done), w=waiting), "success")
            back = safe_next_url(request.form.get("next"))  # e.g. the page of the one staff member sent
            return redirect(back or url_for("training.nominate", session_id=training_session.id))
    unit_ids = sorted(current_user.headed_unit_ids)
    if PROVINCE_WIDE(current_user):
        unit_ids = sorted(training_session.target_unit_ids)
    staff = db.session.scalars(
        select(Official).where(Official.unit_id.in_(unit_ids), Official.active.is_(True)).order_by(Official.sort_key)
    ).all()
    states = {p.official_id: p for p in training_session.participants}
    return render_template(
        "training/nominate.html", training_session=training_session, staff=staff, states=states, form=form, now=utcnow()
    )


# -- calendar feed -----------------------------------------------------------------------------------------------------
@bp.route("/calendar-feed", methods=["GET", "POST"])
@login_required
def feed_settings():
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("action") == "revoke":
            services.revoke_tokens(db.session, current_user)
            flash(
                _("Đã thu hồi đường dẫn lịch. Các ứng dụng lịch đang theo dõi sẽ không nhận được cập nhật nữa."),
                "success",
            )
        else:
            services.create_token(db.session, current_user)
            flash(_("Đã tạo đường dẫn lịch mới. Đường dẫn cũ (nếu có) không còn dùng được."), "success")
        db.session.commit()
        return redirect(url_for("training.feed_settings"))
    token = services.active_token(db.session, current_user.id)
    feed_url = external_url("training.feed", token=token.token) if token else None
    return render_template("training/feed.html", token=token, feed_url=feed_url, form=form)


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    user = services.user_for_token(db.session, token)
    if user is None:
        abort(404)
    since = utcnow() - timedelta(days=90)
    sessions = db.session.scalars(services.visible_sessions_query(user, start=since)).all()
    body = cal.feed_ics(
        sessions,
        name=_("Lịch tập huấn – %(name)s", name=user.name),
        url_for_session=lambda training_session: external_url(
            "training.session_detail", session_id=training_session.id
        ),
    )
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


# -- the outbox moved to the kernel (/admin/outbox): old bookmarks land there ---------------------------
@bp.get("/outbox")
@roles_required(*STAFF)
def outbox_moved():
    kept = {name: request.args[name] for name in ("state", "page") if request.args.get(name)}  # the page's own
    return redirect(url_for("mail.outbox", **kept), code=301)
