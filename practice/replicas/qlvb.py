"""Replica of the document management and administration software (phần mềm QLVB&ĐH).

What it does, as lessons 3-5 and 7 of the course teach it (NĐ 30/2020/NĐ-CP): incoming documents
are received and registered in the book (số đến, ngày đến, cơ quan ban hành, số/ký hiệu, trích yếu,
độ mật, độ khẩn) or returned to the sender; the clerk submits them to a leader, who assigns one lead
handler, coordinators and people to inform with a deadline and an opinion; handlers accept, report
progress and complete; a reply is drafted, sent for approval, approved and signed by someone with the
right to approve, and issued by the clerk (số đi, ngày, nơi nhận). Anyone may search by trích yếu and
follow a document's route; the settings hold who may do what: delegation while on leave, the right
to approve outgoing documents, and what each colleague can see (with sharing and unsharing).

The learner plays one or more personas of a fictional agency (``play``); the first is "me" and
carries the official's own name.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from lms.text import fold
from practice.replicas.base import (
    Action,
    ActionError,
    CheckKind,
    Failure,
    Form,
    Outcome,
    Replica,
    Spec,
    add_working_days,
    contains_words,
    keyed,
    same_text,
    vn_date,
)

URGENCY = {"thuong": _l("Thường"), "khan": _l("Khẩn"), "thuong_khan": _l("Thượng khẩn"), "hoa_toc": _l("Hỏa tốc")}
SECRECY = {"thuong": _l("Thường"), "mat": _l("Mật"), "toi_mat": _l("Tối mật"), "tuyet_mat": _l("Tuyệt mật")}
ROLES = {
    "clerk": _l("Văn thư"),
    "leader": _l("Lãnh đạo cơ quan"),
    "deputy": _l("Cấp phó"),
    "head": _l("Trưởng phòng"),
    "specialist": _l("Chuyên viên"),
}
IN_STATUS = {
    "cho_tiep_nhan": _l("Chờ tiếp nhận"),
    "tra_lai": _l("Đã trả lại nơi gửi"),
    "da_vao_so": _l("Đã vào sổ, chờ trình"),
    "cho_chi_dao": _l("Chờ chỉ đạo"),
    "da_giao": _l("Đã giao xử lý"),
    "dang_xu_ly": _l("Đang xử lý"),
    "hoan_thanh": _l("Hoàn thành"),
}
OUT_STATUS = {
    "du_thao": _l("Dự thảo"),
    "cho_duyet": _l("Chờ duyệt"),
    "tra_lai_sua": _l("Trả lại để sửa"),
    "da_ky": _l("Đã ký, chờ phát hành"),
    "da_phat_hanh": _l("Đã phát hành"),
}
IN_ORDER = list(IN_STATUS)
OUT_ORDER = list(OUT_STATUS)
#: the register of incoming documents: book field -> (label, the document's own value it copies)
BOOK_FIELDS = {
    "co_quan": (_l("Cơ quan ban hành"), "sender"),
    "so_ky_hieu": (_l("Số, ký hiệu"), "number"),
    "ngay_van_ban": (_l("Ngày văn bản"), "date"),
    "trich_yeu": (_l("Trích yếu"), "abstract"),
    "do_mat": (_l("Độ mật"), "secrecy"),
    "do_khan": (_l("Độ khẩn"), "urgency"),
}
SCOPES = {"xu_ly": _l("Chỉ đạo, xử lý văn bản đến"), "duyet": _l("Duyệt và ký văn bản đi")}
DOC_KINDS = ["Công văn", "Báo cáo", "Tờ trình", "Kế hoạch", "Quyết định", "Thông báo", "Giấy mời"]


# -- reading the scenario's setup --------------------------------------------------------------------


def _read_person(node: Spec) -> dict:
    node.only("key", "name", "title", "role", "unit", "admin")
    return {
        "name": node.text("name"),
        "title": node.text("title", required=False),
        "role": node.choice("role", list(ROLES)),
        "unit": node.text("unit", required=False),
        "admin": node.flag("admin"),  # manages the agency's access rights on the system
    }


DOCUMENT_KEYS = (
    "key direction kind sender number date abstract urgency secrecy recipients signer body "
    "signature_valid prefill status book_number received_on submitted_to lead coordinators informed "
    "deadline opinion assigned_by viewers restricted author approver reply_to out_number issued_on "
    "signed_by"
).split()


def _read_document(key: str, node: Spec, people: dict, today: str) -> dict:
    node.only(*DOCUMENT_KEYS)
    direction = node.choice("direction", ("den", "di"), required=False, default="den")
    meta = {
        "kind": node.text("kind"),
        "abstract": node.text("abstract"),
        "urgency": node.choice("urgency", list(URGENCY), required=False, default="thuong"),
        "secrecy": node.choice("secrecy", list(SECRECY), required=False, default="thuong"),
        "body": node.text("body", required=False, multiline=True),
        "recipients": node.texts("recipients", required=direction == "den"),
    }
    doc = {
        "key": key,
        "direction": direction,
        "meta": meta,
        "restricted": node.flag("restricted"),
        "viewers": node.refs("viewers", people, "person"),
        "route": [],
        "reminders": [],
        "case_file": None,
    }
    if direction == "den":
        meta.update(
            sender=node.text("sender"),
            number=node.text("number"),
            date=node.day("date"),
            signer=node.text("signer", required=False),
            signature_valid=node.flag("signature_valid", True),
        )
        statuses = IN_ORDER
        default_status = "cho_tiep_nhan"
        doc["prefill"] = _read_prefill(node, meta)
    else:
        statuses = OUT_ORDER
        default_status = "du_thao"
    status = node.choice("status", statuses, required=False, default=default_status)
    doc["status"] = status
    clerk = next((k for k, p in people.items() if p["role"] == "clerk"), None)
    day = node.day("received_on", required=False) or meta.get("date") or today
    if direction == "den":
        doc.update(book=None, returned=None, submitted_to=None, assignment=None)
        doc["handling"] = {"accepted": [], "progress": [], "done": [], "result": None}
        doc["replies"] = []
        if status == "tra_lai":
            doc["returned"] = {"reason": node.text("opinion", required=False) or "Gửi nhầm nơi nhận", "by": clerk}
        if IN_ORDER.index(status) >= IN_ORDER.index("da_vao_so") and status != "tra_lai":
            doc["book"] = {
                "so_den": node.integer("book_number", minimum=1),
                "ngay_den": day,
                **{f: meta[src] for f, (_label, src) in BOOK_FIELDS.items()},
            }
            _route(doc, f"{day}T08:05", clerk, "register", "")
        if IN_ORDER.index(status) >= IN_ORDER.index("cho_chi_dao") and status != "tra_lai":
            doc["submitted_to"] = node.ref("submitted_to", people, "person")
            _route(doc, f"{day}T08:20", clerk, "submit", people[doc["submitted_to"]]["name"])
        if IN_ORDER.index(status) >= IN_ORDER.index("da_giao") and status != "tra_lai":
            lead = node.ref("lead", people, "person")
            coordinators = node.refs("coordinators", people, "person")
            if lead in coordinators:
                raise node.error("the lead handler cannot also be a coordinator", "coordinators")
            doc["assignment"] = {
                "lead": lead,
                "coordinators": coordinators,
                "informed": node.refs("informed", people, "person"),
                "deadline": node.day("deadline"),
                "opinion": node.text("opinion", required=False),
                "by": node.ref("assigned_by", people, "person", required=False) or doc["submitted_to"],
            }
            _route(doc, f"{day}T09:10", doc["assignment"]["by"], "assign", people[lead]["name"])
        if status in ("dang_xu_ly", "hoan_thanh"):
            doc["handling"]["accepted"].append(doc["assignment"]["lead"])
            _route(doc, f"{day}T10:00", doc["assignment"]["lead"], "accept", "")
        if status == "hoan_thanh":
            doc["handling"]["done"].append(doc["assignment"]["lead"])
            doc["handling"]["result"] = ""
    else:
        doc.update(
            author=node.ref("author", people, "person"),
            approver=node.ref("approver", people, "person", required=OUT_ORDER.index(status) >= 1),
            reply_to=node.text("reply_to", required=False) or None,
            signed_by=None,
            issued=None,
            return_note=None,
        )
        _route(doc, f"{day}T08:30", doc["author"], "draft", "")
        if OUT_ORDER.index(status) >= OUT_ORDER.index("cho_duyet"):
            _route(doc, f"{day}T08:40", doc["author"], "send_for_approval", people[doc["approver"]]["name"])
        if OUT_ORDER.index(status) >= OUT_ORDER.index("da_ky"):
            doc["signed_by"] = node.ref("signed_by", people, "person", required=False) or doc["approver"]
            _route(doc, f"{day}T09:30", doc["signed_by"], "approve", "")
        if status == "da_phat_hanh":
            doc["issued"] = {"number": node.integer("out_number", minimum=1), "on": node.day("issued_on", False) or day}
            doc["issued"]["symbol"] = _symbol(doc["issued"]["number"], meta["kind"])
            _route(doc, f"{day}T10:30", clerk, "issue", doc["issued"]["symbol"])
    return doc


def _read_prefill(node: Spec, meta: dict) -> dict:
    """What the system filled in the book by itself at receipt: a list of book fields copied from the
    document, or a mapping {field: value} (a value may be wrong or empty: the clerk checks them)."""
    copy_of = {f: meta[src] for f, (_label, src) in BOOK_FIELDS.items()}
    if not node.has("prefill"):
        return {f: copy_of[f] for f in ("co_quan", "so_ky_hieu", "ngay_van_ban", "trich_yeu")}
    child = node.child("prefill")
    out = {}
    if isinstance(child.value, dict):
        for name in child.mapping():
            if name not in BOOK_FIELDS:
                raise child.error(f"'{name}' is not a field of the book (one of: {', '.join(BOOK_FIELDS)})")
            if name in ("do_mat", "do_khan"):
                out[name] = child.choice(name, list(SECRECY if name == "do_mat" else URGENCY))
            elif name == "ngay_van_ban":
                out[name] = child.day(name)
            else:
                out[name] = child.text(name, required=False)
        return out
    for item in node.items("prefill", required=False):
        name = str(item.value).strip()
        if name not in BOOK_FIELDS:
            raise item.error(f"'{name}' is not a field of the book (one of: {', '.join(BOOK_FIELDS)})")
        out[name] = copy_of[name]
    return out


def _symbol(number: int, kind: str) -> str:
    abbreviations = {
        "Công văn": "",
        "Báo cáo": "BC",
        "Tờ trình": "TTr",
        "Kế hoạch": "KH",
        "Quyết định": "QĐ",
        "Thông báo": "TB",
        "Giấy mời": "GM",
    }
    abbr = abbreviations.get(kind, "")
    return f"{number}/{abbr + '-' if abbr else ''}CQ"


def _route(doc: dict, at: str, actor: str | None, action: str, detail: str) -> None:
    doc["route"].append({"at": at, "actor": actor, "action": action, "detail": detail})


ROUTE_LABELS = {
    "register": _l("Tiếp nhận và vào sổ"),
    "return": _l("Trả lại nơi gửi"),
    "submit": _l("Trình"),
    "assign": _l("Chuyển xử lý"),
    "accept": _l("Nhận xử lý"),
    "progress": _l("Cập nhật tiến độ"),
    "complete": _l("Hoàn thành"),
    "remind": _l("Nhắc việc"),
    "draft": _l("Tạo dự thảo"),
    "send_for_approval": _l("Trình duyệt"),
    "approve": _l("Duyệt và ký số"),
    "return_draft": _l("Trả lại để sửa"),
    "issue": _l("Cấp số và phát hành"),
    "share": _l("Chia sẻ quyền xem"),
    "unshare": _l("Thu hồi quyền xem"),
}


# -- who may do and see what -------------------------------------------------------------------------


def role_of(state: dict, person: str | None) -> str | None:
    return state["people"].get(person, {}).get("role") if person else None


def active_delegations(state: dict, scope: str | None = None) -> list[dict]:
    today = state["today"]
    return [
        d for d in state["delegations"] if d["start"] <= today <= d["end"] and (scope is None or scope in d["scope"])
    ]


def acts_for(state: dict, person: str, scope: str) -> set[str]:
    """``person`` and whoever delegated ``scope`` to them, today."""
    return {person} | {d["from"] for d in active_delegations(state, scope) if d["to"] == person}


def manages_access(state: dict, person: str | None) -> bool:
    """The leader and the agency's system administrator share and unshare documents."""
    info = state["people"].get(person or "", {})
    return info.get("role") == "leader" or bool(info.get("admin"))


def can_approve(state: dict, person: str) -> bool:
    return role_of(state, person) == "leader" or person in state["approvers"]


def involvement(doc: dict) -> dict[str, str]:
    """person -> why they are on the document (route roles)."""
    out: dict[str, str] = {}
    if doc["direction"] == "den":
        if doc.get("submitted_to"):
            out[doc["submitted_to"]] = "submitted"
        assignment = doc.get("assignment")
        if assignment:
            out[assignment["by"]] = out.get(assignment["by"], "submitted")
            for p in assignment["informed"]:
                out[p] = "informed"
            for p in assignment["coordinators"]:
                out[p] = "coordinator"
            out[assignment["lead"]] = "lead"
    else:
        if doc.get("approver"):
            out[doc["approver"]] = "approver"
        out[doc["author"]] = "author"
    return out


VISIBILITY_REASONS = {
    "leader": _l("Lãnh đạo cơ quan: xem mọi văn bản"),
    "admin": _l("Quản trị Hệ thống của cơ quan"),
    "clerk": _l("Văn thư: quản lý sổ văn bản"),
    "submitted": _l("Được trình, chỉ đạo văn bản"),
    "lead": _l("Chủ trì xử lý"),
    "coordinator": _l("Phối hợp xử lý"),
    "informed": _l("Nhận để biết"),
    "author": _l("Người soạn thảo"),
    "approver": _l("Người duyệt"),
    "shared": _l("Được chia sẻ quyền xem"),
    "delegated": _l("Được ủy quyền"),
}


def visibility(state: dict, person: str) -> dict[str, str]:
    """{doc key: reason} of the documents ``person`` can see today (the first reason that applies)."""
    role = role_of(state, person)
    delegators = acts_for(state, person, "xu_ly") | acts_for(state, person, "duyet")
    delegators.discard(person)
    out: dict[str, str] = {}
    for key in state["doc_order"]:
        doc = state["documents"][key]
        involved = involvement(doc)
        if role == "leader":
            out[key] = "leader"
        elif state["people"][person].get("admin"):
            out[key] = "admin"
        elif person in involved:
            out[key] = involved[person]
        elif person in doc["viewers"]:
            out[key] = "shared"
        elif role == "clerk" and not doc["restricted"]:
            out[key] = "clerk"
        elif any(d in involved for d in delegators):
            out[key] = "delegated"
    return out


def can_see(state: dict, person: str, key: str) -> bool:
    return key in visibility(state, person)


def available_steps(state: dict, key: str) -> list[str]:
    """The steps the acting persona may take on one document now (each step is a form)."""
    doc = state["documents"][key]
    me = state["acting"]
    role = role_of(state, me)
    status = doc["status"]
    steps = []
    if doc["direction"] == "den":
        if role == "clerk" and status == "cho_tiep_nhan":
            steps += ["register", "return"]
        if role == "clerk" and status == "da_vao_so":
            steps.append("submit")
        if status == "cho_chi_dao" and doc["submitted_to"] in acts_for(state, me, "xu_ly"):
            steps.append("assign")
        assignment = doc.get("assignment")
        if assignment and status in ("da_giao", "dang_xu_ly"):
            handlers = [assignment["lead"], *assignment["coordinators"]]
            if me in handlers and me not in doc["handling"]["accepted"]:
                steps.append("accept")
            if me in doc["handling"]["accepted"] and me not in doc["handling"]["done"]:
                steps += ["progress", "complete", "reply"]
            if role in ("leader", "clerk", "head", "deputy") or me == assignment["by"]:
                steps.append("remind")
    else:
        if status in ("du_thao", "tra_lai_sua") and doc["author"] == me:
            steps.append("send_for_approval")
        if status == "cho_duyet" and doc["approver"] in acts_for(state, me, "duyet") and can_approve(state, me):
            steps += ["approve", "return_draft"]
        if status == "da_ky" and role == "clerk":
            steps.append("issue")
    if state["case_files"]:
        steps.append("file")
    return steps


def _acting(state: dict) -> str:
    return state["acting"]


def _doc(state: dict, form: Form, step: str | None = None) -> dict:
    key = form.get("doc")
    doc = state["documents"].get(key)
    if doc is None or not can_see(state, _acting(state), key):
        raise ActionError(_l("Không tìm thấy văn bản này."), "doc")
    if step is not None and step not in available_steps(state, key):
        raise ActionError(_l("Với vai trò hiện tại, bạn không làm được việc này ở văn bản này."))
    return doc


def _person(state: dict, form: Form, name: str, message, allowed=None) -> str:
    value = form.get(name)
    if value not in state["people"] or (allowed is not None and value not in allowed):
        raise ActionError(message, name)
    return value


def _people(state: dict, form: Form, name: str) -> list[str]:
    values = form.getlist(name)
    unknown = [v for v in values if v not in state["people"]]
    if unknown:
        raise ActionError(_l("Có người không có trong danh sách."), name)
    return values


def person_label(state: dict, key: str) -> str:
    """'Name — title (unit)', as the replica's lists show a person."""
    person = state["people"][key]
    label = f"{person['name']} — {person['title'] or ROLES[person['role']]}"
    return f"{label} ({person['unit']})" if person["unit"] and person["unit"] not in label else label


def doc_title(state: dict, key: str) -> str:
    doc = state["documents"][key]
    meta = doc["meta"]
    if doc["direction"] == "den":
        return f"{meta['kind']} {meta['number']}"
    if doc.get("issued"):
        return f"{meta['kind']} {doc['issued']['symbol']}"
    return f"{meta['kind']} (dự thảo): {meta['abstract'][:60]}"


# -- actions -----------------------------------------------------------------------------------------


def switch_role(state: dict, form: Form, ctx) -> Outcome:
    person = _person(state, form, "as", _l("Hãy chọn một vai trò trong danh sách."), state["play"])
    state["acting"] = person
    return Outcome(_l("Bạn đang làm việc với vai trò: %(name)s.", name=state["people"][person]["name"]))


def register(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "register")
    book = {
        "co_quan": form.required("co_quan", _l("Hãy ghi cơ quan ban hành văn bản.")),
        "so_ky_hieu": form.required("so_ky_hieu", _l("Hãy ghi số và ký hiệu của văn bản.")),
        "ngay_van_ban": form.day("ngay_van_ban", _l("Hãy ghi ngày của văn bản (ngày/tháng/năm).")),
        "trich_yeu": form.required("trich_yeu", _l("Hãy ghi trích yếu nội dung văn bản.")),
        "do_mat": form.get("do_mat") or "thuong",
        "do_khan": form.get("do_khan") or "thuong",
        "ngay_den": form.day("ngay_den", _l("Hãy ghi ngày đến (ngày/tháng/năm).")),
    }
    if book["do_mat"] not in SECRECY:
        raise ActionError(_l("Hãy chọn độ mật trong danh sách."), "do_mat")
    if book["do_khan"] not in URGENCY:
        raise ActionError(_l("Hãy chọn độ khẩn trong danh sách."), "do_khan")
    if book["ngay_den"] > state["today"]:
        raise ActionError(_l("Ngày đến không thể sau hôm nay."), "ngay_den")
    book["so_den"] = state["next_in"]
    state["next_in"] += 1
    doc["book"] = book
    doc["status"] = "da_vao_so"
    _route(doc, state["clock"], _acting(state), "register", f"{book['so_den']}")
    return Outcome(_l("Đã vào sổ văn bản đến, số đến %(n)s.", n=book["so_den"]), "doc", doc["key"])


def return_doc(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "return")
    reason = form.required("reason", _l("Hãy ghi lý do trả lại để nơi gửi biết."), multiline=True)
    doc["returned"] = {"reason": reason, "by": _acting(state)}
    doc["status"] = "tra_lai"
    _route(doc, state["clock"], _acting(state), "return", reason)
    return Outcome(_l("Đã trả lại văn bản cho nơi gửi."), "home")


def submit(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "submit")
    leaders = [k for k, p in state["people"].items() if p["role"] in ("leader", "deputy")]
    person = _person(state, form, "to", _l("Hãy chọn lãnh đạo nhận văn bản."), leaders)
    doc["submitted_to"] = person
    doc["status"] = "cho_chi_dao"
    note = form.get("note", multiline=True)
    _route(
        doc, state["clock"], _acting(state), "submit", state["people"][person]["name"] + (f": {note}" if note else "")
    )
    return Outcome(_l("Đã trình văn bản cho %(name)s.", name=state["people"][person]["name"]), "doc", doc["key"])


def assign(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "assign")
    lead = _person(state, form, "lead", _l("Hãy chọn một người chủ trì xử lý."))
    coordinators = _people(state, form, "coordinators")
    informed = _people(state, form, "informed")
    if lead in coordinators:
        raise ActionError(_l("Người chủ trì không đồng thời là người phối hợp."), "coordinators")
    deadline = form.day("deadline", _l("Hãy đặt hạn xử lý (ngày/tháng/năm)."))
    if deadline < state["today"]:
        raise ActionError(_l("Hạn xử lý không thể trước hôm nay."), "deadline")
    opinion = form.required("opinion", _l("Hãy ghi ý kiến chỉ đạo: việc cần làm và hạn."), multiline=True)
    doc["assignment"] = {
        "lead": lead,
        "coordinators": coordinators,
        "informed": [p for p in informed if p != lead and p not in coordinators],
        "deadline": deadline,
        "opinion": opinion,
        "by": _acting(state),
    }
    doc["status"] = "da_giao"
    _route(doc, state["clock"], _acting(state), "assign", state["people"][lead]["name"])
    return Outcome(_l("Đã chuyển xử lý văn bản."), "doc", doc["key"])


def accept(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "accept")
    doc["handling"]["accepted"].append(_acting(state))
    doc["status"] = "dang_xu_ly"
    _route(doc, state["clock"], _acting(state), "accept", "")
    return Outcome(_l("Bạn đã nhận xử lý văn bản."), "doc", doc["key"])


def progress(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "progress")
    text = form.required("text", _l("Hãy ghi ngắn việc đã làm."), multiline=True)
    doc["handling"]["progress"].append({"by": _acting(state), "text": text, "at": state["clock"]})
    _route(doc, state["clock"], _acting(state), "progress", text)
    return Outcome(_l("Đã cập nhật tiến độ."), "doc", doc["key"])


def complete(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "complete")
    result = form.required("result", _l("Hãy ghi kết quả xử lý."), multiline=True)
    me = _acting(state)
    doc["handling"]["done"].append(me)
    if me == doc["assignment"]["lead"]:
        doc["status"] = "hoan_thanh"
        doc["handling"]["result"] = result
    doc["handling"]["progress"].append({"by": me, "text": result, "at": state["clock"]})
    _route(doc, state["clock"], me, "complete", result)
    return Outcome(_l("Đã báo hoàn thành phần việc của bạn."), "doc", doc["key"])


def remind(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "remind")
    person = _person(state, form, "to", _l("Hãy chọn người nhận lời nhắc."))
    text = form.required("text", _l("Hãy ghi nội dung nhắc việc."), multiline=True)
    doc["reminders"].append({"to": person, "text": text, "by": _acting(state), "at": state["clock"]})
    _route(doc, state["clock"], _acting(state), "remind", state["people"][person]["name"])
    return Outcome(_l("Đã gửi lời nhắc cho %(name)s.", name=state["people"][person]["name"]), "doc", doc["key"])


def draft(state: dict, form: Form, ctx) -> Outcome:
    """A new outgoing draft (a reply when ``reply_to`` names an incoming document being handled)."""
    me = _acting(state)
    if role_of(state, me) == "clerk":
        raise ActionError(_l("Văn thư không soạn dự thảo; hãy đổi sang vai người được giao việc."))
    reply_to = form.get("reply_to") or None
    if reply_to is not None:
        if reply_to not in state["documents"] or "reply" not in available_steps(state, reply_to):
            raise ActionError(_l("Chỉ trả lời được văn bản bạn đang xử lý."), "reply_to")
    kind = form.required("kind", _l("Hãy chọn loại văn bản."))
    if kind not in DOC_KINDS:
        raise ActionError(_l("Hãy chọn loại văn bản trong danh sách."), "kind")
    abstract = form.required("abstract", _l("Hãy ghi trích yếu."))
    urgency = form.get("urgency") or "thuong"
    if urgency not in URGENCY:
        raise ActionError(_l("Hãy chọn độ khẩn trong danh sách."), "urgency")
    recipients = [r.strip() for r in form.get("recipients", multiline=True).replace(";", "\n").split("\n")]
    recipients = [r for r in recipients if r]
    if not recipients:
        raise ActionError(_l("Hãy ghi nơi nhận, mỗi nơi một dòng."), "recipients")
    key = f"du-thao-{state['next_draft']}"
    state["next_draft"] += 1
    doc = {
        "key": key,
        "direction": "di",
        "status": "du_thao",
        "meta": {
            "kind": kind,
            "abstract": abstract,
            "urgency": urgency,
            "secrecy": "thuong",
            "body": form.get("body", multiline=True),
            "recipients": recipients,
        },
        "restricted": False,
        "viewers": [],
        "route": [],
        "reminders": [],
        "case_file": None,
        "author": me,
        "approver": None,
        "reply_to": reply_to,
        "signed_by": None,
        "issued": None,
        "return_note": None,
    }
    state["documents"][key] = doc
    state["doc_order"].insert(0, key)
    if reply_to:
        state["documents"][reply_to]["replies"].append(key)
    _route(doc, state["clock"], me, "draft", "")
    if form.flag("submit_now"):
        _send(state, doc, form)
        return Outcome(_l("Đã lưu dự thảo và trình duyệt."), "doc", key)
    return Outcome(_l("Đã lưu dự thảo."), "doc", key)


def _send(state: dict, doc: dict, form: Form) -> None:
    person = _person(state, form, "approver", _l("Hãy chọn người duyệt văn bản."), approver_choices(state))
    doc["approver"] = person
    doc["status"] = "cho_duyet"
    _route(doc, state["clock"], _acting(state), "send_for_approval", state["people"][person]["name"])


def approver_choices(state: dict) -> list[str]:
    """Who a draft may be sent to for approval: the leader and those given the right to approve."""
    return [k for k in state["order"] if can_approve(state, k)]


def send_for_approval(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "send_for_approval")
    _send(state, doc, form)
    return Outcome(_l("Đã trình duyệt dự thảo."), "doc", doc["key"])


def approve(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "approve")
    doc["signed_by"] = _acting(state)
    doc["status"] = "da_ky"
    _route(doc, state["clock"], _acting(state), "approve", "")
    return Outcome(_l("Đã duyệt và ký số văn bản; văn bản chuyển sang văn thư để phát hành."), "doc", doc["key"])


def return_draft(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "return_draft")
    note = form.required("note", _l("Hãy ghi ý kiến: cần sửa gì."), multiline=True)
    doc["return_note"] = note
    doc["status"] = "tra_lai_sua"
    _route(doc, state["clock"], _acting(state), "return_draft", note)
    return Outcome(_l("Đã trả lại dự thảo để sửa."), "doc", doc["key"])


def issue(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "issue")
    number = state["next_out"]
    state["next_out"] += 1
    doc["issued"] = {"number": number, "on": state["today"], "symbol": _symbol(number, doc["meta"]["kind"])}
    doc["status"] = "da_phat_hanh"
    _route(doc, state["clock"], _acting(state), "issue", doc["issued"]["symbol"])
    return Outcome(_l("Đã cấp số %(s)s và phát hành văn bản.", s=doc["issued"]["symbol"]), "doc", doc["key"])


def file_doc(state: dict, form: Form, ctx) -> Outcome:
    doc = _doc(state, form, "file")
    case_file = form.get("case_file")
    if case_file and case_file not in state["case_files"]:
        raise ActionError(_l("Hãy chọn hồ sơ trong danh sách."), "case_file")
    old = doc["case_file"]
    if old and doc["key"] in state["case_files"][old]["documents"]:
        state["case_files"][old]["documents"].remove(doc["key"])
    doc["case_file"] = case_file or None
    if case_file:
        state["case_files"][case_file]["documents"].append(doc["key"])
        return Outcome(
            _l("Đã đưa văn bản vào hồ sơ «%(t)s».", t=state["case_files"][case_file]["title"]), "doc", doc["key"]
        )
    return Outcome(_l("Đã bỏ văn bản ra khỏi hồ sơ."), "doc", doc["key"])


def delegate(state: dict, form: Form, ctx) -> Outcome:
    me = _acting(state)
    if role_of(state, me) not in ("leader", "deputy", "head"):
        raise ActionError(_l("Chỉ lãnh đạo và trưởng phòng ủy quyền xử lý khi vắng mặt."))
    others = [k for k in state["order"] if k != me]
    to = _person(state, form, "to", _l("Hãy chọn người nhận ủy quyền."), others)
    start = form.day("start", _l("Hãy ghi ngày bắt đầu (ngày/tháng/năm)."))
    end = form.day("end", _l("Hãy ghi ngày kết thúc (ngày/tháng/năm). Ủy quyền phải có thời hạn."))
    if start < state["today"]:
        raise ActionError(_l("Ngày bắt đầu không thể trước hôm nay."), "start")
    if end < start:
        raise ActionError(_l("Ngày kết thúc phải từ ngày bắt đầu trở đi."), "end")
    scope = form.getlist("scope")
    if not scope or any(s not in SCOPES for s in scope):
        raise ActionError(_l("Hãy chọn ít nhất một việc được ủy quyền."), "scope")
    if any(d["to"] == me for d in active_delegations(state)):
        raise ActionError(_l("Bạn đang là người được ủy quyền: không được ủy quyền lại cho người khác."))
    state["delegations"].append({"from": me, "to": to, "start": start, "end": end, "scope": sorted(scope)})
    return Outcome(_l("Đã lưu ủy quyền cho %(name)s.", name=state["people"][to]["name"]), "settings")


def cancel_delegation(state: dict, form: Form, ctx) -> Outcome:
    me = _acting(state)
    try:
        index = int(form.get("index"))
        delegation = state["delegations"][index]
    except (ValueError, IndexError):
        raise ActionError(_l("Không tìm thấy ủy quyền này.")) from None
    if delegation["from"] != me:
        raise ActionError(_l("Bạn chỉ hủy được ủy quyền của chính mình."))
    del state["delegations"][index]
    return Outcome(_l("Đã hủy ủy quyền."), "settings")


def set_approvers(state: dict, form: Form, ctx) -> Outcome:
    if role_of(state, _acting(state)) != "leader":
        raise ActionError(_l("Chỉ lãnh đạo cơ quan giao quyền duyệt văn bản đi."))
    chosen = _people(state, form, "approvers")
    state["approvers"] = [k for k in state["order"] if k in chosen and role_of(state, k) != "leader"]
    return Outcome(_l("Đã lưu danh sách người có quyền duyệt văn bản đi."), "settings")


def share(state: dict, form: Form, ctx) -> Outcome:
    if not manages_access(state, _acting(state)):
        raise ActionError(_l("Chỉ lãnh đạo và người quản trị Hệ thống chia sẻ quyền xem văn bản."))
    key = form.get("doc")
    if key not in state["documents"]:
        raise ActionError(_l("Hãy chọn văn bản trong danh sách."), "doc")
    person = _person(state, form, "who", _l("Hãy chọn người được xem."))
    doc = state["documents"][key]
    if person not in doc["viewers"]:
        doc["viewers"].append(person)
    _route(doc, state["clock"], _acting(state), "share", state["people"][person]["name"])
    return Outcome(
        _l("%(name)s đã xem được văn bản %(doc)s.", name=state["people"][person]["name"], doc=doc_title(state, key)),
        "access",
        person,
    )


def unshare(state: dict, form: Form, ctx) -> Outcome:
    if not manages_access(state, _acting(state)):
        raise ActionError(_l("Chỉ lãnh đạo và người quản trị Hệ thống thu hồi quyền xem văn bản."))
    key = form.get("doc")
    person = _person(state, form, "who", _l("Hãy chọn người cần thu hồi quyền xem."))
    doc = state["documents"].get(key)
    if doc is None or person not in doc["viewers"]:
        raise ActionError(_l("Người này không được chia sẻ văn bản đó."), "doc")
    doc["viewers"].remove(person)
    _route(doc, state["clock"], _acting(state), "unshare", state["people"][person]["name"])
    return Outcome(
        _l(
            "Đã thu hồi quyền xem văn bản %(doc)s của %(name)s.",
            doc=doc_title(state, key),
            name=state["people"][person]["name"],
        ),
        "access",
        person,
    )


# -- checks ------------------------------------------------------------------------------------------


def _doc_ref(spec: Spec, setup: dict, key: str = "document", direction: str | None = None) -> str:
    ref = spec.ref(key, setup["documents"], "document")
    if direction and setup["documents"][ref]["direction"] != direction:
        raise spec.error(f"'{ref}' is not an {'incoming' if direction == 'den' else 'outgoing'} document", key)
    return ref


class Registered(CheckKind):
    name = "registered"
    label = _l("Văn bản %(doc)s được tiếp nhận và vào sổ đúng")
    keys = ("document", "fields")
    conditions = {
        "returned": _l(
            "Văn bản %(doc)s đã bị trả lại, nhưng văn bản này gửi đúng cơ quan mình. Xem lại dòng «Nơi nhận» "
            "trên văn bản."
        ),
        "not_registered": _l("Văn bản %(doc)s chưa được vào sổ: xem mục «Chờ tiếp nhận»."),
        "wrong_field": _l("Xem lại ô «%(field)s» trong sổ văn bản đến của văn bản %(doc)s: đối chiếu với văn bản gốc."),
    }

    def params(self, spec: Spec, setup: dict) -> dict:
        doc = _doc_ref(spec, setup, direction="den")
        meta = setup["documents"][doc]["meta"]
        fields: dict[str, dict] = {}
        node = spec.child("fields", required=False, default={})
        for name, value in node.mapping().items():
            if name not in BOOK_FIELDS:
                raise node.error(f"'{name}' is not a field of the book (one of: {', '.join(BOOK_FIELDS)})")
            field_node = node.child(name)
            if isinstance(value, dict):
                field_node.only("contains")
                fields[name] = {"contains": field_node.texts("contains", required=True)}
            elif name in ("do_mat", "do_khan"):
                fields[name] = {"equals": [node.choice(name, list(SECRECY if name == "do_mat" else URGENCY))]}
            elif name == "ngay_van_ban":
                fields[name] = {"equals": [node.day(name)]}
            else:
                fields[name] = {"equals": node.texts(name, required=True)}
        if not fields:  # the document's own values, all of them
            fields = {f: {"equals": [meta[src]]} for f, (_l2, src) in BOOK_FIELDS.items() if f != "trich_yeu"}
        return {"document": doc, "fields": fields}

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["document"])}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        args = {"doc": doc_title(state, params["document"])}
        if doc["status"] == "tra_lai":
            return [Failure("returned", args)]
        if doc["book"] is None:
            return [Failure("not_registered", args)]
        failures = []
        for name, rule in params["fields"].items():
            value = doc["book"].get(name)
            ok = (
                not contains_words(value, rule["contains"])
                if "contains" in rule
                else same_text(value, [str(v) for v in rule["equals"]])
            )
            if not ok:
                failures.append(Failure("wrong_field", {**args, "field": str(BOOK_FIELDS[name][0])}))
        return failures


class Returned(CheckKind):
    name = "returned"
    label = _l("Văn bản %(doc)s được trả lại nơi gửi, có ghi lý do")
    keys = ("document", "reason_any")
    conditions = {
        "registered_instead": _l(
            "Văn bản %(doc)s đã được vào sổ. Xem lại dòng «Nơi nhận» trên văn bản: văn bản có gửi cho cơ quan "
            "mình không?"
        ),
        "not_returned": _l("Văn bản %(doc)s vẫn nằm ở mục «Chờ tiếp nhận». Đọc kỹ dòng «Nơi nhận» trên văn bản."),
        "reason_unclear": _l(
            "Lý do trả lại văn bản %(doc)s chưa nói rõ vì sao. Nơi gửi cần biết lý do để gửi lại đúng."
        ),
    }

    def params(self, spec, setup):
        return {"document": _doc_ref(spec, setup, direction="den"), "reason_any": spec.texts("reason_any")}

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["document"])}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        args = {"doc": doc_title(state, params["document"])}
        if doc["book"] is not None:
            return [Failure("registered_instead", args)]
        if doc["status"] != "tra_lai":
            return [Failure("not_returned", args)]
        words = params["reason_any"]  # any one of them is enough
        if words and len(contains_words(doc["returned"]["reason"], words)) == len(words):
            return [Failure("reason_unclear", args)]
        return []


class Submitted(CheckKind):
    name = "submitted"
    label = _l("Văn bản %(doc)s được trình đúng người")
    keys = ("document", "to")
    conditions = {
        "not_registered": _l("Văn bản %(doc)s chưa được vào sổ nên chưa trình được."),
        "not_submitted": _l("Văn bản %(doc)s đã vào sổ nhưng chưa được trình lãnh đạo."),
        "wrong_person": _l(
            "Văn bản %(doc)s được trình cho %(who)s. Xem lại trong nhiệm vụ: ai là người có thẩm quyền chỉ đạo "
            "văn bản này?"
        ),
    }

    def params(self, spec, setup):
        return {"document": _doc_ref(spec, setup, direction="den"), "to": spec.ref("to", setup["people"], "person")}

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["document"])}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        args = {"doc": doc_title(state, params["document"])}
        if doc["book"] is None:
            return [Failure("not_registered", args)]
        if not doc["submitted_to"]:
            return [Failure("not_submitted", args)]
        if doc["submitted_to"] != params["to"]:
            return [Failure("wrong_person", {**args, "who": state["people"][doc["submitted_to"]]["name"]})]
        return []


class Assigned(CheckKind):
    name = "assigned"
    label = _l("Văn bản %(doc)s được giao xử lý rõ người, rõ hạn")
    keys = ("document", "lead", "coordinators", "informed", "deadline_within", "opinion_contains")
    conditions = {
        "not_assigned": _l("Văn bản %(doc)s chưa được chuyển xử lý: xem mục «Chờ xử lý»."),
        "wrong_lead": _l("Xem lại ô «Chủ trì» của văn bản %(doc)s: việc này thuộc nhiệm vụ của đơn vị nào?"),
        "coordinators": _l("Xem lại ô «Phối hợp» của văn bản %(doc)s: đọc lại nhiệm vụ, ai cần giúp người chủ trì?"),
        "informed": _l("Xem lại ô «Nhận để biết» của văn bản %(doc)s."),
        "deadline_late": _l(
            "Hạn xử lý văn bản %(doc)s (%(deadline)s) muộn hơn nhiệm vụ yêu cầu. Đếm lại theo ngày làm việc, "
            "không tính thứ Bảy, Chủ nhật."
        ),
        "opinion_unclear": _l("Ý kiến chỉ đạo ở văn bản %(doc)s chưa nói rõ việc cần làm. Xem lại ô «Ý kiến chỉ đạo»."),
    }

    def params(self, spec, setup):
        people = setup["people"]
        return {
            "document": _doc_ref(spec, setup, direction="den"),
            "lead": spec.ref("lead", people, "person"),
            "coordinators": spec.refs("coordinators", people, "person") if spec.has("coordinators") else None,
            "informed": spec.refs("informed", people, "person") if spec.has("informed") else None,
            "deadline_within": spec.integer("deadline_within", 0, minimum=0) or None,
            "opinion_contains": spec.texts("opinion_contains"),
        }

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["document"])}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        args = {"doc": doc_title(state, params["document"])}
        a = doc.get("assignment")
        if not a:
            return [Failure("not_assigned", args)]
        failures = []
        if a["lead"] != params["lead"]:
            failures.append(Failure("wrong_lead", args))
        if params["coordinators"] is not None and set(a["coordinators"]) != set(params["coordinators"]):
            failures.append(Failure("coordinators", args))
        if params["informed"] is not None and not set(params["informed"]) <= set(a["informed"]):
            failures.append(Failure("informed", args))
        if params["deadline_within"]:
            latest = add_working_days(date.fromisoformat(state["today"]), params["deadline_within"])
            if date.fromisoformat(a["deadline"]) > latest:
                failures.append(Failure("deadline_late", {**args, "deadline": vn_date(a["deadline"])}))
        if contains_words(a["opinion"], params["opinion_contains"]):
            failures.append(Failure("opinion_unclear", args))
        return failures


class Handled(CheckKind):
    name = "handled"
    label = _l("Phần việc của %(who)s ở văn bản %(doc)s được nhận, cập nhật và báo hoàn thành")
    keys = ("document", "person", "progress", "result_contains")
    conditions = {
        "not_accepted": _l("%(who)s chưa bấm «Nhận xử lý» văn bản %(doc)s."),
        "no_progress": _l("Văn bản %(doc)s chưa có dòng «Cập nhật tiến độ» nào của %(who)s."),
        "not_completed": _l("Phần việc của %(who)s ở văn bản %(doc)s chưa được báo «Hoàn thành» trên Hệ thống."),
        "result_unclear": _l("Kết quả báo hoàn thành ở văn bản %(doc)s chưa nói rõ đã làm gì."),
    }

    def params(self, spec, setup):
        return {
            "document": _doc_ref(spec, setup, direction="den"),
            "person": spec.ref("person", setup["people"], "person", required=False) or setup["me"],
            "progress": spec.flag("progress"),
            "result_contains": spec.texts("result_contains"),
        }

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["document"]), "who": state["people"][params["person"]]["name"]}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        person = params["person"]
        args = self.label_args(state, params)
        handling = doc["handling"]
        if person not in handling["accepted"]:
            return [Failure("not_accepted", args)]
        failures = []
        mine = [p for p in handling["progress"] if p["by"] == person]
        if params["progress"] and len(mine) < (2 if person in handling["done"] else 1):
            failures.append(Failure("no_progress", args))
        if person not in handling["done"]:
            failures.append(Failure("not_completed", args))
        elif params["result_contains"] and contains_words(mine[-1]["text"] if mine else "", params["result_contains"]):
            failures.append(Failure("result_unclear", args))
        return failures


class ReplyIssued(CheckKind):
    name = "reply_issued"
    label = _l("Văn bản trả lời %(doc)s được soạn, duyệt, ký và phát hành")
    keys = ("reply_to", "signer", "recipients_contain", "abstract_contains")
    conditions = {
        "no_draft": _l("Chưa có văn bản trả lời nào gắn với %(doc)s. Mở văn bản đến và soạn văn bản trả lời từ đó."),
        "not_sent": _l("Văn bản trả lời %(doc)s vẫn là dự thảo, chưa được trình duyệt."),
        "not_signed": _l("Văn bản trả lời %(doc)s chưa được người có thẩm quyền duyệt và ký số."),
        "wrong_signer": _l("Văn bản trả lời %(doc)s do %(who)s ký. Xem lại ai được giao duyệt văn bản này."),
        "not_issued": _l("Văn bản trả lời %(doc)s đã ký nhưng chưa được văn thư cấp số và phát hành."),
        "recipients": _l("Xem lại ô «Nơi nhận» của văn bản trả lời %(doc)s: đã có nơi cần nhận chưa?"),
        "abstract": _l("Xem lại ô «Trích yếu» của văn bản trả lời %(doc)s: đã nói rõ nội dung chưa?"),
    }

    def params(self, spec, setup):
        return {
            "reply_to": _doc_ref(spec, setup, "reply_to", direction="den"),
            "signer": spec.ref("signer", setup["people"], "person", required=False),
            "recipients_contain": spec.texts("recipients_contain"),
            "abstract_contains": spec.texts("abstract_contains"),
        }

    def label_args(self, state, params):
        return {"doc": doc_title(state, params["reply_to"])}

    def evaluate(self, state, params):
        incoming = state["documents"][params["reply_to"]]
        args = self.label_args(state, params)
        replies = [state["documents"][k] for k in incoming.get("replies", [])]
        if not replies:
            return [Failure("no_draft", args)]
        reply = max(replies, key=lambda d: OUT_ORDER.index(d["status"]) if d["status"] != "tra_lai_sua" else 0)
        failures = []
        if contains_words(reply["meta"]["abstract"], params["abstract_contains"]):
            failures.append(Failure("abstract", args))
        if contains_words(" | ".join(reply["meta"]["recipients"]), params["recipients_contain"]):
            failures.append(Failure("recipients", args))
        if reply["status"] in ("du_thao", "tra_lai_sua"):
            return [Failure("not_sent", args), *failures]
        if reply["status"] == "cho_duyet":
            return [Failure("not_signed", args), *failures]
        if params["signer"] and reply["signed_by"] != params["signer"]:
            failures.append(Failure("wrong_signer", {**args, "who": state["people"][reply["signed_by"]]["name"]}))
        if reply["status"] != "da_phat_hanh":
            failures.append(Failure("not_issued", args))
        return failures


class Reminded(CheckKind):
    name = "reminded"
    label = _l("Lời nhắc việc được gửi đúng văn bản, đúng người")
    keys = ("document", "to")
    conditions = {
        "no_reminder": _l("Chưa có lời nhắc việc nào. Tìm văn bản theo trích yếu, mở văn bản rồi dùng «Nhắc việc»."),
        "wrong_document": _l(
            "Lời nhắc đã gửi ở văn bản %(other)s, không phải văn bản cần đôn đốc. Xem lại trích yếu của văn bản."
        ),
        "wrong_person": _l(
            "Lời nhắc ở văn bản %(doc)s đã gửi cho %(who)s. Xem «Đường đi của văn bản»: ai đang chủ trì xử lý?"
        ),
    }

    def params(self, spec, setup):
        return {"document": _doc_ref(spec, setup, direction="den"), "to": spec.ref("to", setup["people"], "person")}

    def evaluate(self, state, params):
        doc = state["documents"][params["document"]]
        args = {"doc": doc_title(state, params["document"])}
        if any(r["to"] == params["to"] for r in doc["reminders"]):
            return []
        if doc["reminders"]:
            return [Failure("wrong_person", {**args, "who": state["people"][doc["reminders"][-1]["to"]]["name"]})]
        others = [k for k in state["doc_order"] if k != params["document"] and state["documents"][k]["reminders"]]
        if others:
            return [Failure("wrong_document", {**args, "other": doc_title(state, others[0])})]
        return [Failure("no_reminder", args)]


class Filed(CheckKind):
    name = "filed"
    label = _l("Hồ sơ «%(file)s» có đúng văn bản cần lưu")
    keys = ("document", "case_file")
    conditions = {
        "not_filed": _l("Văn bản cần tìm chưa có trong hồ sơ «%(file)s». Tìm theo trích yếu ở ô «Tìm văn bản»."),
        "wrong_document": _l(
            "Hồ sơ «%(file)s» có văn bản %(other)s không thuộc việc này. Đọc lại trích yếu của văn bản đó."
        ),
    }

    def params(self, spec, setup):
        return {
            "document": _doc_ref(spec, setup),
            "case_file": spec.ref("case_file", setup["case_files"], "case file"),
        }

    def label_args(self, state, params):
        return {"file": state["case_files"][params["case_file"]]["title"]}

    def evaluate(self, state, params):
        case_file = state["case_files"][params["case_file"]]
        args = self.label_args(state, params)
        initial = set(case_file.get("initial", []))
        failures = []
        if params["document"] not in case_file["documents"]:
            failures.append(Failure("not_filed", args))
        for key in case_file["documents"]:
            if key != params["document"] and key not in initial:
                failures.append(Failure("wrong_document", {**args, "other": doc_title(state, key)}))
        return failures


class Delegation(CheckKind):
    name = "delegation"
    label = _l("Ủy quyền khi vắng mặt đúng người, đúng thời gian, đúng việc")
    keys = ("person", "to", "start", "end", "scope")
    conditions = {
        "none": _l("Chưa có ủy quyền nào. Xem phần «Ủy quyền khi vắng mặt» trong «Cài đặt»."),
        "wrong_person": _l("Việc được ủy quyền cho %(who)s. Đọc lại nhiệm vụ: ai sẽ làm thay khi bạn vắng mặt?"),
        "starts_late": _l("Ủy quyền bắt đầu từ %(start)s, sau ngày bạn bắt đầu vắng mặt. Xem lại ô «Từ ngày»."),
        "ends_early": _l("Ủy quyền kết thúc %(end)s, trước khi bạn đi làm lại. Xem lại ô «Đến ngày»."),
        "ends_late": _l(
            "Ủy quyền kéo dài đến %(end)s, quá thời gian vắng mặt. Ủy quyền phải có thời hạn đúng: "
            "xem lại ô «Đến ngày»."
        ),
        "missing_scope": _l("Ủy quyền chưa gồm việc «%(scope)s» mà nhiệm vụ yêu cầu."),
        "extra_scope": _l(
            "Ủy quyền gồm cả việc «%(scope)s», nhiều hơn nhiệm vụ yêu cầu. Chỉ ủy quyền đúng việc cần làm thay."
        ),
    }

    def params(self, spec, setup):
        scope = spec.texts("scope", required=True)
        for item in scope:
            if item not in SCOPES:
                raise spec.error(f"'{item}' is not one of: {', '.join(SCOPES)}", "scope")
        start, end = spec.day("start"), spec.day("end")
        if end < start:
            raise spec.error("must not be before start", "end")
        return {
            "person": spec.ref("person", setup["people"], "person", required=False) or setup["me"],
            "to": spec.ref("to", setup["people"], "person"),
            "start": start,
            "end": end,
            "scope": scope,
        }

    def evaluate(self, state, params):
        mine = [d for d in state["delegations"] if d["from"] == params["person"]]
        if not mine:
            return [Failure("none")]
        matching = [d for d in mine if d["to"] == params["to"]]
        if not matching:
            return [Failure("wrong_person", {"who": state["people"][mine[-1]["to"]]["name"]})]
        d = matching[-1]
        failures = []
        if d["start"] > params["start"]:
            failures.append(Failure("starts_late", {"start": vn_date(d["start"])}))
        if d["end"] < params["end"]:
            failures.append(Failure("ends_early", {"end": vn_date(d["end"])}))
        elif d["end"] > params["end"]:
            failures.append(Failure("ends_late", {"end": vn_date(d["end"])}))
        for scope in params["scope"]:
            if scope not in d["scope"]:
                failures.append(Failure("missing_scope", {"scope": str(SCOPES[scope])}))
        for scope in d["scope"]:
            if scope not in params["scope"]:
                failures.append(Failure("extra_scope", {"scope": str(SCOPES[scope])}))
        return failures


class Approvers(CheckKind):
    name = "approvers"
    label = _l("Quyền duyệt văn bản đi được giao đúng người")
    keys = ("must_have", "must_not_have")
    conditions = {
        "missing": _l("%(who)s chưa có quyền duyệt văn bản đi. Xem phần «Quyền duyệt văn bản đi» trong «Cài đặt»."),
        "extra": _l("%(who)s đang có quyền duyệt văn bản đi dù không được giao. Xem lại danh sách trong «Cài đặt»."),
    }

    def params(self, spec, setup):
        people = setup["people"]
        params = {
            "must_have": spec.refs("must_have", people, "person"),
            "must_not_have": spec.refs("must_not_have", people, "person"),
        }
        if not params["must_have"] and not params["must_not_have"]:
            raise spec.error("needs must_have or must_not_have")
        return params

    def evaluate(self, state, params):
        failures = [
            Failure("missing", {"who": state["people"][p]["name"]})
            for p in params["must_have"]
            if p not in state["approvers"]
        ]
        failures += [
            Failure("extra", {"who": state["people"][p]["name"]})
            for p in params["must_not_have"]
            if p in state["approvers"]
        ]
        return failures


class Visibility(CheckKind):
    name = "visibility"
    label = _l("%(who)s xem được đúng những văn bản cần cho công việc")
    keys = ("person", "must_see", "must_not_see")
    conditions = {
        "cannot_see": _l(
            "%(who)s chưa xem được văn bản %(doc)s mà người đó cần để làm việc. Xem trang «Quyền xem văn bản»."
        ),
        "can_see": _l(
            "%(who)s vẫn xem được văn bản %(doc)s dù không liên quan đến công việc của người đó. Xem lý do trên "
            "trang «Quyền xem văn bản»."
        ),
    }

    def params(self, spec, setup):
        docs = setup["documents"]
        return {
            "person": spec.ref("person", setup["people"], "person"),
            "must_see": spec.refs("must_see", docs, "document"),
            "must_not_see": spec.refs("must_not_see", docs, "document"),
        }

    def label_args(self, state, params):
        return {"who": state["people"][params["person"]]["name"]}

    def evaluate(self, state, params):
        seen = visibility(state, params["person"])
        who = state["people"][params["person"]]["name"]
        failures = [
            Failure("cannot_see", {"who": who, "doc": doc_title(state, k)}) for k in params["must_see"] if k not in seen
        ]
        failures += [
            Failure("can_see", {"who": who, "doc": doc_title(state, k)}) for k in params["must_not_see"] if k in seen
        ]
        return failures


# -- the replica -------------------------------------------------------------------------------------


class QlvbReplica(Replica):
    app = "qlvb"
    actions = {
        a.name: a
        for a in (
            Action("switch_role", switch_role),
            Action("register", register, "doc"),
            Action("return", return_doc, "doc"),
            Action("submit", submit, "doc"),
            Action("assign", assign, "doc"),
            Action("accept", accept, "doc"),
            Action("progress", progress, "doc"),
            Action("complete", complete, "doc"),
            Action("remind", remind, "doc"),
            Action("draft", draft, "new"),
            Action("send_for_approval", send_for_approval, "doc"),
            Action("approve", approve, "doc"),
            Action("return_draft", return_draft, "doc"),
            Action("issue", issue, "doc"),
            Action("file", file_doc, "doc"),
            Action("delegate", delegate, "settings"),
            Action("cancel_delegation", cancel_delegation, "settings"),
            Action("set_approvers", set_approvers, "settings"),
            Action("share", share, "access"),
            Action("unshare", unshare, "access"),
        )
    }
    checks = {
        k.name: k
        for k in (
            Registered(),
            Returned(),
            Submitted(),
            Assigned(),
            Handled(),
            ReplyIssued(),
            Reminded(),
            Filed(),
            Delegation(),
            Approvers(),
            Visibility(),
        )
    }

    def read_setup(self, spec: Spec) -> dict:
        spec.only(
            *"today organisation people me play documents case_files delegations approvers next_in next_out".split()
        )
        today = spec.day("today")
        people_nodes = keyed(spec.items("people"), "person")
        people = {key: _read_person(node) for key, node in people_nodes.items()}
        me = spec.ref("me", people, "person")
        play = spec.refs("play", people, "person") or [me]
        if me not in play:
            raise spec.error("must include the 'me' persona", "play")
        documents = {}
        doc_nodes = keyed(spec.items("documents"), "document")
        for key, node in doc_nodes.items():
            documents[key] = _read_document(key, node, people, today)
        for key, doc in documents.items():
            if doc["direction"] == "di" and doc["reply_to"]:
                if doc["reply_to"] not in documents or documents[doc["reply_to"]]["direction"] != "den":
                    raise doc_nodes[key].error(f"no incoming document '{doc['reply_to']}'", "reply_to")
                documents[doc["reply_to"]]["replies"].append(key)
        case_files = {}
        for key, node in keyed(spec.items("case_files", required=False), "case file").items():
            node.only("key", "title", "documents")
            filed = node.refs("documents", documents, "document")
            case_files[key] = {"title": node.text("title"), "documents": filed, "initial": list(filed)}
            for doc_key in filed:
                documents[doc_key]["case_file"] = key
        delegations = []
        for node in spec.items("delegations", required=False):
            node.only("from", "to", "start", "end", "scope")
            delegations.append(
                {
                    "from": node.ref("from", people, "person"),
                    "to": node.ref("to", people, "person"),
                    "start": node.day("start"),
                    "end": node.day("end"),
                    "scope": sorted(node.texts("scope", required=True)),
                }
            )
        return {
            "app": "qlvb",
            "today": today,
            "organisation": spec.text("organisation"),
            "people": people,
            "order": list(people),
            "me": me,
            "play": play,
            "acting": play[0],
            "documents": documents,
            "doc_order": list(documents),
            "case_files": case_files,
            "delegations": delegations,
            "approvers": spec.refs("approvers", people, "person"),
            "next_in": spec.integer("next_in", 1, minimum=1),
            "next_out": spec.integer("next_out", 1, minimum=1),
            "next_draft": 1,
        }

    def personalise(self, state, name, email):
        if name:
            state["people"][state["me"]]["name"] = name

    # -- pages
    def page(self, state, name, key, args=None, values=None, errors=None):
        args = args or {}
        base = {
            "state": state,
            "people": state["people"],
            "errors": errors or {},
            "values": values or {},
            "L": LABELS,
            "acting": state["acting"],
            "manages_access": manages_access(state, state["acting"]),
            "opt": lambda keys: [(k, person_label(state, k)) for k in keys],
            "file_options": [(k, f["title"]) for k, f in state["case_files"].items()],
        }
        me = state["acting"]
        if name == "home":
            return "practice/qlvb/home.html", {**base, **self._lists(state, args)}
        if name == "doc":
            if key not in state["documents"] or not can_see(state, me, key):
                raise LookupError(key)
            steps = available_steps(state, key)
            step = args.get("step") if args.get("step") in steps else None
            doc = state["documents"][key]
            return "practice/qlvb/doc.html", {
                **base,
                "doc": doc,
                "key": key,
                "title": doc_title(state, key),
                "steps": steps,
                "step": step,
                "leaders": [k for k in state["order"] if role_of(state, k) in ("leader", "deputy")],
                "approvers": approver_choices(state),
                "handlers": [k for k in state["order"] if role_of(state, k) not in ("clerk",)],
            }
        if name == "new":
            reply_to = args.get("reply_to") if args.get("reply_to") in state["documents"] else None
            if reply_to and "reply" not in available_steps(state, reply_to):
                reply_to = None
            return "practice/qlvb/new.html", {
                **base,
                "reply_to": reply_to,
                "incoming": state["documents"].get(reply_to),
                "approvers": approver_choices(state),
                "kind_options": [(k, k) for k in DOC_KINDS],
            }
        if name == "settings":
            return "practice/qlvb/settings.html", {
                **base,
                "mine": [(i, d) for i, d in enumerate(state["delegations"]) if d["from"] == me],
                "to_me": [d for d in state["delegations"] if d["to"] == me],
                "colleagues": [k for k in state["order"] if k != me],
                "can_set_approvers": role_of(state, me) == "leader",
                "approver_candidates": [k for k in state["order"] if role_of(state, k) != "leader"],
            }
        if name == "access":
            if not manages_access(state, me):
                raise LookupError(name)
            who = key if key in state["people"] else (args.get("who") if args.get("who") in state["people"] else None)
            seen = visibility(state, who) if who else {}
            return "practice/qlvb/access.html", {
                **base,
                "who": who,
                "seen": seen,
                "unseen": [k for k in state["doc_order"] if k not in seen],
                "unseen_options": [
                    (k, f"{doc_title(state, k)}: {state['documents'][k]['meta']['abstract']}")
                    for k in state["doc_order"]
                    if k not in seen
                ],
                "colleagues": [k for k in state["order"] if k != me],
            }
        if name == "files":
            return "practice/qlvb/files.html", base
        raise LookupError(name)

    def _lists(self, state, args) -> dict:
        me = state["acting"]
        role = role_of(state, me)
        seen = visibility(state, me)
        docs = [state["documents"][k] for k in state["doc_order"] if k in seen]
        tabs = [("den", _l("Văn bản đến")), ("cho_xu_ly", _l("Chờ xử lý")), ("di", _l("Văn bản đi"))]
        if role == "clerk":
            tabs.insert(0, ("cho_tiep_nhan", _l("Chờ tiếp nhận")))
        query = (args.get("q") or "").strip()
        tab = args.get("tab") if args.get("tab") in dict(tabs) else tabs[0][0]
        if query:
            needle = " ".join(fold(query).split())
            rows = [d for d in docs if needle in fold(_search_text(d))]
            tab = None
        elif tab == "cho_tiep_nhan":
            rows = [d for d in docs if d["direction"] == "den" and d["status"] == "cho_tiep_nhan"]
            rows.sort(key=lambda d: list(URGENCY).index(d["meta"]["urgency"]), reverse=True)
        elif tab == "den":
            rows = [d for d in docs if d["direction"] == "den" and d["status"] != "cho_tiep_nhan"]
        elif tab == "cho_xu_ly":
            rows = [d for d in docs if _awaits(state, d["key"])]
        else:
            rows = [d for d in docs if d["direction"] == "di"]
        return {"tabs": tabs, "tab": tab, "rows": rows, "query": query}

    def guide(self, page, step=None):
        return GUIDES.get((page, step), GUIDES.get((page, None), []))


def _search_text(doc: dict) -> str:
    meta = doc["meta"]
    book = doc.get("book") or {}
    return " ".join(
        str(x)
        for x in (
            meta["abstract"],
            meta.get("number", ""),
            meta.get("sender", ""),
            book.get("trich_yeu", ""),
            (doc.get("issued") or {}).get("symbol", ""),
        )
    )


def _awaits(state: dict, key: str) -> bool:
    steps = set(available_steps(state, key)) - {"file", "remind"}
    return bool(steps)


GUIDES = {
    ("home", None): [
        ("qlvb-tabs", _l("Các mục văn bản: văn bản đến, văn bản chờ bạn xử lý, văn bản đi. Văn bản khẩn có nhãn màu.")),
        ("qlvb-search", _l("Ô tìm văn bản: gõ vài chữ của trích yếu hoặc số, ký hiệu rồi bấm «Tìm».")),
        ("qlvb-list", _l("Danh sách văn bản. Bấm vào trích yếu để mở văn bản.")),
        ("qlvb-menu", _l("Các trang khác: soạn văn bản đi, hồ sơ, cài đặt ủy quyền và quyền duyệt.")),
    ],
    ("doc", None): [
        ("doc-original", _l("Văn bản gốc: đọc số, ký hiệu, ngày, nơi gửi, nơi nhận, độ khẩn ghi trên văn bản.")),
        ("doc-info", _l("Thông tin trên Hệ thống: sổ văn bản đến, người được giao, hạn xử lý.")),
        ("doc-steps", _l("Các việc bạn làm được với văn bản này, theo vai trò hiện tại.")),
        ("doc-route", _l("Đường đi của văn bản: ai đã làm gì, lúc nào.")),
    ],
    ("doc", "register"): [
        ("doc-original", _l("Đọc văn bản gốc trước: các ô trong sổ phải khớp với văn bản.")),
        ("f-co_quan", _l("Cơ quan ban hành: tên cơ quan ở góc trên bên trái văn bản.")),
        ("f-so_ky_hieu", _l("Số, ký hiệu: dòng «Số:» dưới tên cơ quan.")),
        ("f-ngay_van_ban", _l("Ngày văn bản: dòng địa danh, ngày tháng năm ở góc trên bên phải.")),
        ("f-trich_yeu", _l("Trích yếu: tóm tắt nội dung, thường ngay dưới số, ký hiệu.")),
        ("f-do_mat", _l("Độ mật: chọn đúng dấu độ mật trên văn bản; không có dấu thì chọn «Thường».")),
        ("f-do_khan", _l("Độ khẩn: chọn đúng dấu Khẩn, Thượng khẩn hoặc Hỏa tốc trên văn bản.")),
        ("f-submit", _l("Bấm «Vào sổ»: Hệ thống cấp số đến.")),
    ],
    ("doc", "return"): [
        ("doc-original", _l("Đọc dòng «Nơi nhận» ở cuối văn bản.")),
        ("f-reason", _l("Ghi rõ lý do trả lại, ví dụ văn bản gửi nhầm nơi nhận.")),
        ("f-submit", _l("Bấm «Trả lại» để gửi văn bản về nơi gửi.")),
    ],
    ("doc", "submit"): [
        ("f-to", _l("Chọn lãnh đạo có thẩm quyền chỉ đạo văn bản.")),
        ("f-submit", _l("Bấm «Trình».")),
    ],
    ("doc", "assign"): [
        ("f-lead", _l("Chủ trì: chọn một người chịu trách nhiệm chính.")),
        ("f-coordinators", _l("Phối hợp: chọn những người giúp người chủ trì, nếu cần.")),
        ("f-informed", _l("Nhận để biết: người chỉ cần đọc.")),
        ("f-deadline", _l("Hạn xử lý: chọn ngày phải xong việc.")),
        ("f-opinion", _l("Ý kiến chỉ đạo: ghi ngắn việc cần làm và hạn.")),
        ("f-submit", _l("Bấm «Chuyển xử lý».")),
    ],
    ("doc", "remind"): [
        ("doc-route", _l("Xem đường đi của văn bản để biết ai đang chủ trì xử lý.")),
        ("f-to", _l("Chọn người nhận lời nhắc.")),
        ("f-text", _l("Ghi nội dung nhắc việc và hạn.")),
        ("f-submit", _l("Bấm «Gửi lời nhắc».")),
    ],
    ("new", None): [
        ("f-kind", _l("Chọn loại văn bản.")),
        ("f-abstract", _l("Trích yếu: tóm tắt nội dung văn bản đi.")),
        ("f-recipients", _l("Nơi nhận: mỗi nơi một dòng.")),
        ("f-approver", _l("Người duyệt: chọn người có quyền duyệt, ký văn bản.")),
        ("f-submit", _l("Bấm «Lưu và trình duyệt», hoặc «Lưu dự thảo» để làm tiếp sau.")),
    ],
    ("settings", None): [
        ("set-delegation", _l("Ủy quyền khi vắng mặt: chọn người làm thay, từ ngày, đến ngày và việc được làm thay.")),
        ("set-approvers", _l("Quyền duyệt văn bản đi: đánh dấu những người được duyệt, ký văn bản đi.")),
    ],
    ("access", None): [
        ("acc-who", _l("Chọn đồng nghiệp cần kiểm tra, rồi bấm «Xem».")),
        ("acc-seen", _l("Các văn bản người đó xem được, và vì sao.")),
        ("acc-share", _l("Chia sẻ thêm văn bản, hoặc thu hồi quyền xem đã chia sẻ.")),
    ],
}

LABELS = {
    "urgency": URGENCY,
    "secrecy": SECRECY,
    "roles": ROLES,
    "in_status": IN_STATUS,
    "out_status": OUT_STATUS,
    "book": {k: v[0] for k, v in BOOK_FIELDS.items()},
    "scopes": SCOPES,
    "route": ROUTE_LABELS,
    "reasons": VISIBILITY_REASONS,
    "steps": {
        "register": _l("Tiếp nhận và vào sổ"),
        "return": _l("Trả lại nơi gửi"),
        "submit": _l("Trình lãnh đạo"),
        "assign": _l("Chuyển xử lý"),
        "accept": _l("Nhận xử lý"),
        "progress": _l("Cập nhật tiến độ"),
        "complete": _l("Hoàn thành"),
        "reply": _l("Soạn văn bản trả lời"),
        "remind": _l("Nhắc việc"),
        "send_for_approval": _l("Trình duyệt"),
        "approve": _l("Duyệt và ký số"),
        "return_draft": _l("Trả lại để sửa"),
        "issue": _l("Cấp số và phát hành"),
        "file": _l("Đưa vào hồ sơ"),
    },
    "doc_title": doc_title,
}

REPLICA = QlvbReplica()
