"""The demo province: units, officials and one account per role, then each feature's demo steps,
then an account for every official (last: the features' steps give data to officials without one).

Feature packages add their own steps in ``init_app`` with ``lms.features.add_demo_step`` (courses,
quizzes, history...).
Everything is deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms import demo_data
from lms.auth.models import Role, User
from lms.auth.services import assign_role, create_user
from lms.features import demo_steps
from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
from lms.org.services import save_official, save_unit

DEMO_PASSWORD = "Demo@2026"


@dataclass
class DemoContext:
    session: Session
    seed: int
    echo: Callable[[str], None] = print
    accounts: dict[str, User] = field(default_factory=dict)


def database_is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Unit)) or 0) == 0


def build_demo(session: Session, seed: int = 2014, echo: Callable[[str], None] = print) -> DemoContext:
    ctx = DemoContext(session=session, seed=seed, echo=echo)
    for _order, name, step in [(0, "org", build_org), *demo_steps(), (99, "accounts", build_accounts)]:
        echo(f"  - {name}")
        step(ctx)
        session.flush()
    return ctx


def build_org(ctx: DemoContext) -> None:
    session = ctx.session
    units: dict[str, Unit] = {}
    for spec in demo_data.UNITS:
        unit = Unit(code=spec["code"], name=spec["name"], kind=UnitKind(spec["kind"]))
        units[spec["code"]] = save_unit(session, unit)
    for spec in demo_data.UNITS:
        if spec.get("parent_code"):
            units[spec["code"]].parent_id = units[spec["parent_code"]].id
    people = list(demo_data.generate_officials(ctx.seed))
    for person in people:
        save_official(session, _official(person, units))
    ctx.echo(f"    {len(units)} units, {len(people)} officials")
    for spec in demo_data.DEMO_ACCOUNTS:
        official = save_official(session, _official(spec, units))
        user = create_user(
            session,
            spec["username"],
            DEMO_PASSWORD,
            email=spec["email"],
            official=official,
            must_change_password=False,
            is_demo=True,
        )
        role = Role(spec["role"])
        if role != Role.OFFICIAL:
            unit = units[spec["unit_code"]] if role == Role.UNIT_HEAD else None
            assign_role(session, user, user, role, unit)
        ctx.accounts[spec["username"]] = user


def build_accounts(ctx: DemoContext) -> None:
    """Every demo official gets an account (login = the official code, password ``DEMO_PASSWORD``,
    demo accounts: off when ``LMS_DEMO`` is off), so the accounts page shows a province in the
    middle of its roll-out (last, after the features' steps, which give their data to officials without an
    account, the demo logins' officials excepted): most activated (and most of those used lately), some waiting for
    activation or invited, a few disabled. One password hash for all (hashing 900 would take minutes)."""
    import random
    from datetime import timedelta

    from sqlalchemy import update

    from lms.auth.accounts import provide_accounts
    from lms.auth.models import hash_password
    from lms.time import utcnow

    session, rng, now = ctx.session, random.Random(ctx.seed + 14), utcnow()
    people = list(session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.id)))
    report = provide_accounts(session, people, now, invite=False, is_demo=True)
    shared_hash = hash_password(DEMO_PASSWORD)
    activated = invited = disabled = 0
    for user_id in report.user_ids:
        draw = rng.random()
        values: dict = {}
        if draw < 0.72:
            created = now - timedelta(days=rng.randint(40, 400))
            values = {"password_hash": shared_hash, "activated_at": created, "created_at": created}
            if rng.random() < 0.75:
                values["last_login_at"] = now - timedelta(days=rng.randint(0, 29), minutes=rng.randint(0, 600))
            elif rng.random() < 0.7:
                values["last_login_at"] = now - timedelta(days=rng.randint(31, 200))
            activated += 1
        elif draw < 0.88:
            values = {"invited_at": now - timedelta(days=rng.randint(1, 20))}
            invited += 1
        elif draw > 0.97:
            values = {
                "active": False,
                "disabled_at": now - timedelta(days=rng.randint(1, 60)),
                "disabled_reason": "manual",
            }
            disabled += 1
        if values:
            session.execute(update(User).where(User.id == user_id).values(**values))
    ctx.echo(
        f"    {report.created} official accounts: {activated} activated, {invited} invited, {disabled} disabled, "
        f"{report.created - activated - invited - disabled} waiting"
    )


def _official(person: dict, units: dict[str, Unit]) -> Official:
    return Official(
        code=person["code"],
        family_name=person["family"],
        middle_name=person["middle"],
        given_name=person["given"],
        email=person["email"],
        phone=person.get("phone", ""),
        unit_id=units[person["unit_code"]].id,
        position=Position(person["position"]),
        category=Category(person["category"]),
        level=Level(person["level"]),
        birth_year=person.get("birth_year"),
        active=person.get("active", True),
    )


def demo_logins() -> list[tuple[str, str, str]]:
    labels = {r.value: r.label for r in Role}
    return [(a["username"], DEMO_PASSWORD, str(labels[a["role"]])) for a in demo_data.DEMO_ACCOUNTS]
