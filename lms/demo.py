"""The demo province: units, officials and one account per role, then each feature's demo steps.

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
    for _order, name, step in [(0, "org", build_org), *demo_steps()]:
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
