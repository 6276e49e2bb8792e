"""Demo step "adoption": the province's usage from the 2014 report to last month, and the July 2025
reorganisation in the unit history.

* **2014** (December): the report's own figures: 30 of the 35 units use the document software, 9 of
  the 24 component portals are stale, 30% of the officials use official e-mail. The three demo
  communes (outside the 35) report from 2018.
* **Then**: a figure a year up to 2023 (December), monthly from January 2024 to last month. Use rises
  slowly everywhere, more where training happened: an e-mail class in October 2024, on-site support
  for the document software in Xã Tam Đảo in September 2025, a portal class in May 2026 for the
  communes whose portals were stale (past sessions with attendance, written as records).
* **1 July 2025** (``lms.org.services`` unit history, as IT staff would record it on
  /org/units/changes): the district level ends, each district with its communes becomes one commune-level
  unit directly under the province (now Phú Thọ, after the merger of Vĩnh Phúc, Phú Thọ and Hòa
  Bình), and the Department of Information and Communications merges into the Department of Science
  and Technology. Staff and unit-head roles move to the new units; the 2014 units keep their history
  (their months of usage stay theirs), today's units carry the figures on.

Demo choices, not facts: the new communes' names and boundaries ([U]: the real 2025 arrangement split
districts among several communes), and the date of the department merger (most provinces merged
their departments on 1 March 2025; the demo records every change on 1 July 2025). Sources are written
as they would be (files and rows, already matched; a few agency mailboxes; two new rows left
unmatched last month for the matching page), then each month is rebuilt by ``services.rebuild_month``.
Deterministic for the seed; no e-mail is queued.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from adoption import cache, links
from adoption.models import MatchMethod, System, UsageImport, UsageMatch, UsageRow
from adoption.months import add_months, local_today, month_end, month_start, months_between
from adoption.services import rebuild_month
from lms.demo import DemoContext
from lms.demo_data import REORGANISATION_DAY
from lms.org.models import Official, Position, Unit, UnitKind
from lms.org.services import NewUnitSpec, SuccessionRequest, apply_succession, plan_succession
from lms.text import fold

REORG_DAY = REORGANISATION_DAY
FIRST_MONTH = date(2014, 12, 1)
#: (code, name, the 2014 units it continues)
NEW_COMMUNES = (
    ("P-VINHYEN", "Phường Vĩnh Yên", ("H-VINHYEN", "X-LIENBAO")),
    ("P-PHUCYEN", "Phường Phúc Yên", ("H-PHUCYEN",)),
    ("X-BINHXUYEN", "Xã Bình Xuyên", ("H-BINHXUYEN",)),
    ("X-YENLAC", "Xã Yên Lạc", ("H-YENLAC",)),
    ("X-VINHTUONG", "Xã Vĩnh Tường", ("H-VINHTUONG",)),
    ("X-TAMDUONG", "Xã Tam Dương", ("H-TAMDUONG",)),
    ("X-TAMDAO", "Xã Tam Đảo", ("H-TAMDAO", "X-HOPCHAU", "X-DAIDINH")),
    ("X-LAPTHACH", "Xã Lập Thạch", ("H-LAPTHACH",)),
    ("X-SONGLO", "Xã Sông Lô", ("H-SONGLO",)),
)
DEPARTMENT_MERGERS = (("SKHCN", ("STTTT",)),)
#: the communes of the 2014 tree (outside the report's 35 units) report from this month
COMMUNES_FROM = date(2018, 12, 1)

#: the 2014 report: units not using the document software, portals and stale portals
DMS_LATE = {"SCT": 2016, "BQLKCN": 2017, "SNGV": 2015, "BDT": 2016, "H-TAMDUONG": 2015}
PORTALS_2014 = (
    "SNV",
    "STP",
    "SKHDT",
    "STC",
    "SCT",
    "SNNPTNT",
    "SGTVT",
    "SXD",
    "STNMT",
    "STTTT",
    "SLDTBXH",
    "SVHTTDL",
    "SKHCN",
    "SGDDT",
    "SYT",
    "H-VINHYEN",
    "H-PHUCYEN",
    "H-BINHXUYEN",
    "H-YENLAC",
    "H-VINHTUONG",
    "H-TAMDUONG",
    "H-TAMDAO",
    "H-LAPTHACH",
    "H-SONGLO",
)
#: stale portals and the year they start being kept up to date
STALE = {
    "SCT": 2017,
    "SNNPTNT": 2016,
    "SLDTBXH": 2019,
    "STP": 2016,
    "SGTVT": 2018,
    "H-TAMDUONG": 2020,
    "H-PHUCYEN": 2021,
    "H-SONGLO": 2017,
    "H-YENLAC": 2019,
}
#: after the reorganisation, the communes whose portals lag until the portal class
STALE_AFTER_REORG = ("X-TAMDUONG", "X-SONGLO")
#: units whose heads do not push (lower use), and the keen ones
LOW_PUSH = {"SCT": -0.35, "BQLKCN": -0.3, "H-TAMDUONG": -0.3, "X-TAMDUONG": -0.3, "SNNPTNT": -0.2, "TTRA": -0.2}
KEEN = {"STTTT": 0.45, "SKHCN": 0.3, "VPUBND": 0.35, "H-LAPTHACH": 0.3, "X-LAPTHACH": 0.3, "TTPVHCC": 0.3}

#: province-wide targets by year: officials using e-mail, officials with a mailbox, officials using the
#: document software, share of incoming processed electronically, of outgoing signed digitally
TARGETS = {
    2014: (0.30, 0.62, 0.25, 0.45, 0.05),
    2015: (0.34, 0.68, 0.30, 0.52, 0.10),
    2016: (0.38, 0.74, 0.36, 0.60, 0.20),
    2017: (0.42, 0.80, 0.42, 0.70, 0.40),
    2018: (0.47, 0.86, 0.48, 0.78, 0.65),
    2019: (0.52, 0.90, 0.55, 0.85, 0.88),
    2020: (0.56, 0.93, 0.60, 0.88, 0.90),
    2021: (0.59, 0.95, 0.64, 0.90, 0.91),
    2022: (0.62, 0.97, 0.67, 0.92, 0.92),
    2023: (0.64, 0.98, 0.70, 0.93, 0.93),
    2024: (0.66, 0.98, 0.72, 0.94, 0.94),
    2025: (0.68, 0.99, 0.74, 0.95, 0.95),
    2026: (0.70, 0.99, 0.76, 0.96, 0.96),
    2027: (0.72, 0.99, 0.78, 0.96, 0.96),
}


def _target(month: date, index: int) -> float:
    """The year's target in December, reached month by month from the previous year's."""
    this, before = TARGETS[min(month.year, 2027)][index], TARGETS[max(min(month.year - 1, 2027), 2014)][index]
    return before + (this - before) * month.month / 12


def demo_months(today: date) -> list[date]:
    yearly = [date(year, 12, 1) for year in range(FIRST_MONTH.year, 2024)]
    last = add_months(month_start(today), -1)
    return yearly + months_between(date(2024, 1, 1), last)


def build_adoption(ctx: DemoContext) -> None:
    session = ctx.session
    today = local_today()
    units = {u.code: u for u in session.scalars(select(Unit))}
    if "H-TAMDAO" not in units or "STTTT" not in units:
        ctx.echo("    not the demo province: adoption history skipped")
        return
    people = session.execute(
        select(Official.id, Official.unit_id, Official.category, Official.email, Official.position, Official.sort_key)
        .where(Official.active.is_(True))
        .order_by(Official.id)
    ).all()
    before = {p.id: (p.unit_id, p.category) for p in people}
    reorganise(ctx, units)
    after = dict(session.execute(select(Official.id, Official.unit_id).where(Official.id.in_(list(before)))).all())
    units = {u.code: u for u in session.scalars(select(Unit))}
    code_of = {u.id: u.code for u in units.values()}
    trainer = ctx.accounts.get("cntt")
    rng = random.Random(ctx.seed + 500)
    propensity = {p.id: rng.gauss(0, 1) for p in people}
    dms_propensity = {p.id: rng.gauss(0, 1) for p in people}
    sessions = _past_sessions(session, units, people, after, code_of, propensity, trainer)
    months = demo_months(today)
    world = _World(ctx.seed, people, before, after, code_of, propensity, dms_propensity, sessions)
    agency = _agency_mailboxes(session, units)
    rows_total = 0
    for month in months:
        roster = world.roster(month)
        rows_total += world.write_month(session, month, roster, agency, last=month == months[-1])
        rebuild_month(session, month, today, roster=roster)
    cache.bump(session)
    ctx.echo(
        f"    {len(months)} months of usage ({months[0]:%m/%Y}–{months[-1]:%m/%Y}), {rows_total} imported rows, "
        f"{len(sessions)} past training sessions; reorganisation of 01/07/2025 recorded"
    )


# -- the July 2025 reorganisation ------------------------------------------------------------------------
def reorganise(ctx: DemoContext, units: dict[str, Unit]) -> None:
    session = ctx.session
    actor = ctx.accounts.get("admin")
    for successor, olds in DEPARTMENT_MERGERS:
        request = SuccessionRequest(
            kind="merge",
            old_ids=[units[c].id for c in olds],
            effective_on=REORG_DAY,
            successor_id=units[successor].id,
            note="Hợp nhất Sở Thông tin và Truyền thông vào Sở Khoa học và Công nghệ",
            move_heads=True,
        )
        apply_succession(session, plan_succession(session, request), actor)
    for code, name, olds in NEW_COMMUNES:
        request = SuccessionRequest(
            kind="merge",
            old_ids=[units[c].id for c in olds if c in units],
            effective_on=REORG_DAY,
            new_unit=NewUnitSpec(code=code, name=name, kind=UnitKind.XA.value, parent_id=None),
            note="Chính quyền địa phương hai cấp: kết thúc cấp huyện (NQ 203/2025/QH15), xã trực thuộc tỉnh",
            move_heads=True,
        )
        apply_succession(session, plan_succession(session, request), actor)
    session.flush()


# -- past training sessions -------------------------------------------------------------------------------
def _past_sessions(session, units, people, after, code_of, propensity, trainer) -> list[dict]:
    """Three past sessions with attendance; returns what the usage generator needs of them."""
    by_unit: dict[str, list] = {}
    for p in people:
        by_unit.setdefault(code_of[after[p.id]], []).append(p)
    low_mail_units = ["SCT", "SNNPTNT", "TTRA", "SGTVT", "SLDTBXH", "BQLKCN"]
    email_attendees = []
    for code in low_mail_units:
        members = sorted(by_unit.get(code, []), key=lambda p: propensity[p.id])
        email_attendees += [p.id for p in members[: max(3, len(members) // 3)]]
    tamdao = [p.id for p in by_unit.get("X-TAMDAO", [])][:14]
    editors = []
    for code in STALE_AFTER_REORG:
        members = by_unit.get(code, [])
        chosen = [p for p in members if p.position == Position.PORTAL_EDITOR] or members[:1]
        editors += [p.id for p in chosen[:2]]
    specs = [
        (
            "Sử dụng thư điện tử công vụ hiệu quả, an toàn",
            "email",
            "classroom",
            date(2024, 10, 15),
            "Hội trường Sở Thông tin và Truyền thông",
            [units[c].id for c in low_mail_units],
            email_attendees,
        ),
        (
            "Hỗ trợ sử dụng phần mềm quản lý văn bản tại Xã Tam Đảo",
            "qlvb",
            "onsite",
            date(2025, 9, 18),
            "Trụ sở Ủy ban nhân dân xã Tam Đảo",
            [units["X-TAMDAO"].id],
            tamdao,
        ),
        (
            "Cập nhật cổng thông tin điện tử thành phần cấp xã",
            "portal",
            "online",
            date(2026, 5, 20),
            "Trực tuyến",
            [units[c].id for c in STALE_AFTER_REORG],
            editors,
        ),
    ]
    out = []
    for title, topic, kind, day, place, unit_ids, attendees in specs:
        if day >= local_today():
            continue
        links.record_past_session(
            session,
            title=title,
            topic=topic,
            kind=kind,
            day=day,
            place=place,
            unit_ids=unit_ids,
            attendee_ids=attendees,
            trainer=trainer,
        )
        out.append({"topic": topic, "month": month_start(day), "attendees": set(attendees), "units": set(unit_ids)})
    return out


def _agency_mailboxes(session, units) -> list[tuple[str, int]]:
    """Shared mailboxes of a few agencies, known not to be a person (remembered as such)."""
    boxes = [
        (f"vanthu.{code.lower().replace('-', '')}@vinhphuc.gov.vn", units[code].id) for code in ("SNV", "STC", "VPUBND")
    ]
    for address, _unit in boxes:
        session.add(UsageMatch(system=System.EMAIL, key=fold(address)))
    session.flush()
    return boxes


# -- the usage of a month ---------------------------------------------------------------------------------
class _World:
    def __init__(self, seed, people, before, after, code_of, propensity, dms_propensity, sessions):
        self.seed = seed
        self.people = {p.id: p for p in people}
        self.before, self.after, self.code_of = before, after, code_of
        self.propensity, self.dms_propensity = propensity, dms_propensity
        self.sessions = sessions
        self.ids = sorted(self.people)
        self.folded = {oid: fold(p.email) for oid, p in self.people.items() if p.email}
        self._noise_cache: dict = {}

    def roster(self, month: date) -> dict[int, tuple[int, object]]:
        if month < REORG_DAY:
            out = {}
            for oid, (uid, cat) in self.before.items():
                code = self.code_of[uid]
                if code.startswith("X-") and month < COMMUNES_FROM:
                    continue  # the communes joined the reporting later
                out[oid] = (uid, cat)
            return out
        return {oid: (self.after[oid], self.before[oid][1]) for oid in self.before}

    def _noise(self, topic: str, month: date) -> dict[int, float]:
        """Each person's noise in ``month``: their year varies more than their month (steady lists,
        a little churn). One generator per (topic, year) and (topic, month), people in id order."""
        key = (topic, month)
        if key not in self._noise_cache:
            yearly = random.Random(f"{self.seed}:{topic}:{month.year}")
            monthly = random.Random(f"{self.seed}:{topic}:{month}")
            self._noise_cache[key] = {oid: yearly.gauss(0, 0.3) + monthly.gauss(0, 0.1) for oid in self.ids}
        return self._noise_cache[key]

    def _unit_effect(self, code: str) -> float:
        return LOW_PUSH.get(code, 0.0) + KEEN.get(code, 0.0)

    def _bonus(self, oid: int, month: date, topic: str) -> float:
        return sum(0.9 for s in self.sessions if s["topic"] == topic and month > s["month"] and oid in s["attendees"])

    def _users(self, roster, month, base, topic, target, eligible=lambda code: True) -> set[int]:
        """Officials above the month's threshold: the threshold puts ``target`` of the roster above it
        without training; attendees of a session on ``topic`` get a lift from the month after it."""
        scores = {}
        noise = self._noise(topic, month)
        for oid, (uid, _cat) in roster.items():
            code = self.code_of[uid]
            if not eligible(code):
                continue
            scores[oid] = base[oid] + self._unit_effect(code) + noise[oid]
        if not scores:
            return set()
        k = round(target * len(roster))
        ordered = sorted(scores.values(), reverse=True)
        threshold = ordered[min(k, len(ordered)) - 1] if k > 0 else float("inf")
        return {oid for oid, s in scores.items() if s + self._bonus(oid, month, topic) >= threshold}

    def write_month(self, session, month: date, roster, agency, last: bool) -> int:
        rng = random.Random(f"{self.seed}:month:{month}")
        end = month_end(month)
        mail_target, box_target, dms_target, incoming, signed = (_target(month, i) for i in range(5))
        mail_users = self._users(roster, month, self.propensity, "email", mail_target)
        boxes = self._users(roster, month, self.propensity, "mailbox", box_target) | mail_users
        dms_ok = lambda code: month.year >= DMS_LATE.get(code, 0)  # noqa: E731
        dms_users = self._users(roster, month, self.dms_propensity, "qlvb", dms_target, dms_ok)
        written = 0
        # e-mail: one row per mailbox
        rows = []
        for oid in sorted(boxes):
            email = self.people[oid].email
            if not email:
                continue
            used = oid in mail_users
            login = end - timedelta(days=rng.randint(0, 20)) if used else month - timedelta(days=rng.randint(5, 400))
            sent = rng.randint(1, 40) if used and rng.random() < 0.8 else 0
            rows.append(
                _row(
                    len(rows) + 2,
                    fold(email),
                    email,
                    official_id=oid,
                    match=MatchMethod.EMAIL,
                    last_login_on=login,
                    messages_sent=sent,
                )
            )
        for address, _unit in agency:
            rows.append(
                _row(
                    len(rows) + 2,
                    fold(address),
                    address,
                    match=MatchMethod.NOT_PERSON,
                    last_login_on=end - timedelta(days=1),
                    messages_sent=rng.randint(20, 90),
                )
            )
        if last:  # two mailboxes written differently from the list: left for the matching page
            for oid in sorted(mail_users)[3:5]:
                person = self.people[oid]
                address = f"{fold(person.sort_key.split()[-1] if person.sort_key else 'cb')[:10]}.{oid}@gmail.com"
                rows.append(
                    _row(len(rows) + 2, fold(address), address, last_login_on=end - timedelta(days=2), messages_sent=3)
                )
        written += _write_import(session, System.EMAIL, month, "thu-cong-vu", rows)
        # the document software: one row per account; users handle most of the flow, and the unit's
        # electronic shares follow the province's targets (the 2014 report: mostly incoming documents)
        rows = []
        by_unit: dict[int, list[int]] = {}
        for oid, (uid, _cat) in sorted(roster.items()):
            if dms_ok(self.code_of[uid]):
                by_unit.setdefault(uid, []).append(oid)
        for members in by_unit.values():
            counts = {}
            for oid in members:
                using = oid in dms_users
                counts[oid] = [
                    rng.randint(10, 40) if using else rng.randint(2, 10),
                    0,
                    rng.randint(2, 12) if using else rng.randint(0, 3),
                    0,
                ]
            users = [oid for oid in members if oid in dms_users]
            for total_i, part_i, share in ((0, 1, incoming), (2, 3, signed)):
                left = round(sum(c[total_i] for c in counts.values()) * min(1.0, share + rng.uniform(-0.05, 0.05)))
                for oid in users:
                    take = min(counts[oid][total_i], left)
                    counts[oid][part_i], left = take, left - take
            for oid in members:
                received, processed, sent, sign = counts[oid]
                email = self.people[oid].email or f"cb{oid}"
                rows.append(
                    _row(
                        len(rows) + 2,
                        self.folded.get(oid, email),
                        email.split("@")[0],
                        official_id=oid,
                        match=MatchMethod.ACCOUNT,
                        received=received,
                        processed=processed,
                        sent=sent,
                        signed=sign,
                    )
                )
        written += _write_import(session, System.DMS, month, "qlvb", rows)
        # portals: one row per portal
        rows = []
        for code, uid in self._portals(roster, month):
            fresh = self._portal_fresh(code, month)
            last_update = (
                end - timedelta(days=rng.randint(0, 20)) if fresh else end - timedelta(days=rng.randint(45, 240))
            )
            articles = rng.randint(4, 30) if fresh else 0
            rows.append(
                _row(
                    len(rows) + 2,
                    fold(code.lower()),
                    f"{code.lower()}.vinhphuc.gov.vn",
                    unit_id=uid,
                    match=MatchMethod.UNIT,
                    articles=articles,
                    last_update_on=last_update,
                )
            )
        written += _write_import(session, System.PORTAL, month, "cong-thanh-phan", rows)
        return written

    def _portals(self, roster, month):
        units_now = {uid for uid, _cat in roster.values()}
        if month < REORG_DAY:
            codes = list(PORTALS_2014)
        else:
            codes = [c for c in PORTALS_2014 if not c.startswith("H-") and c != "STTTT"] + [
                c for c, _n, _o in NEW_COMMUNES
            ]
        by_code = {self.code_of[uid]: uid for uid in units_now}
        return [(c, by_code[c]) for c in codes if c in by_code]

    def _portal_fresh(self, code: str, month: date) -> bool:
        if month >= REORG_DAY:
            if code in STALE_AFTER_REORG:
                return any(s["topic"] == "portal" and month > s["month"] for s in self.sessions)
            return True
        return month.year >= STALE.get(code, 0)


def _row(number: int, key: str, label: str, **values) -> dict:
    row = {
        "row_number": number,
        "key": key[:300],
        "label": label[:300],
        "name": "",
        "unit_text": "",
        "official_id": None,
        "unit_id": None,
        "match": None,
    }
    for name in (
        "received",
        "processed",
        "sent",
        "signed",
        "articles",
        "last_update_on",
        "last_login_on",
        "messages_sent",
    ):
        row[name] = None
    row.update(values)
    return row


def _write_import(session, system: System, month: date, stem: str, rows: list[dict]) -> int:
    not_person = sum(1 for r in rows if r["match"] == MatchMethod.NOT_PERSON)
    unmatched = sum(1 for r in rows if r["match"] is None)
    batch = UsageImport(
        system=system,
        month=month,
        filename=f"{stem}-{month:%Y-%m}.xlsx",
        rows=len(rows),
        matched=len(rows) - unmatched - not_person,
        unmatched=unmatched,
    )
    session.add(batch)
    session.flush()
    if rows:
        session.execute(UsageRow.__table__.insert(), [{**r, "import_id": batch.id} for r in rows])
    return len(rows)
