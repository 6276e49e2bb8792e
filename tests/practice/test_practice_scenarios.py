"""Every bundled scenario's checks, on end states.

For each scenario file: its reference solution, replayed through the replica's own actions, passes
every check; its starting state does not. Then, for every check and every failure condition of the
check's kind that the check's parameters make possible, a wrong end state is made from the solved
one (a "spoiler": what a learner could leave behind, e.g. the wrong urgency in the book, the draft
not sent, a phishing message not reported) and the check must fail with that condition and show
its hint. A condition of a kind without a spoiler here fails ``test_every_condition_has_a_spoiler``.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from lms.text import fold
from practice.loader import read_scenario, replay
from practice.replicas import REPLICAS
from practice.replicas.base import add_working_days, evaluate_checks

CONTENT = Path(__file__).resolve().parents[2] / "courses" / "content"
FILES = sorted(CONTENT.glob("*/practice/*.md"))


def _ids(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.stem}"


@pytest.fixture(scope="module", params=FILES, ids=_ids)
def scenario(request):
    source = read_scenario(request.param)
    replica = REPLICAS[source.app]
    solved = replay(replica, source.spec["setup"], source.spec["solution"], "Nguyễn Văn Học Viên")
    return source, replica, solved


def test_there_are_enough_scenarios():
    by_folder = {}
    for path in FILES:
        by_folder.setdefault(path.parent.parent.name, []).append(path)
    apps = {}
    for path in FILES:
        apps.setdefault(read_scenario(path).app, []).append(path)
    assert len(apps["qlvb"]) >= 4 and len(apps["portal"]) >= 4 and len(apps["email"]) >= 4
    assert len(by_folder["security"]) >= 2


def test_solution_passes_every_check(scenario):
    source, replica, solved = scenario
    outcomes = evaluate_checks(solved, source.spec["checks"], replica.checks)
    assert [(o.index, o.failures) for o in outcomes if not o.passed] == []


def test_starting_state_fails(scenario):
    source, replica, _solved = scenario
    start = replica.initial_state(source.spec["setup"], "Nguyễn Văn Học Viên")
    assert not all(o.passed for o in evaluate_checks(start, source.spec["checks"], replica.checks))


def test_each_wrong_end_state_fails_with_its_hint(scenario):
    source, replica, solved = scenario
    tried = 0
    for index, check in enumerate(source.spec["checks"]):
        kind = replica.checks[check["kind"]]
        for condition in kind.conditions:
            for label, spoiled in SPOILERS[check["kind"]][condition](copy.deepcopy(solved), check["params"], source):
                tried += 1
                outcome = evaluate_checks(spoiled, source.spec["checks"], replica.checks)[index]
                found = [f for f in outcome.failures if f.condition == condition]
                assert found, (
                    f"checks[{index}] {check['kind']}: {label}: expected '{condition}', got {outcome.failures}"
                )
                template = check["hints"].get(condition) or kind.conditions[condition]
                expected = str(template) % found[0].args if found[0].args else str(template)
                assert expected in outcome.hints
                assert not outcome.passed
    assert tried > 0


def test_every_condition_has_a_spoiler():
    for replica in REPLICAS.values():
        for name, kind in replica.checks.items():
            assert set(kind.conditions) == set(SPOILERS[name]), name


# =========================================================================== spoilers
# Each: (state, params, source) -> iterable of (label, wrong end state). Empty when the check's
# parameters make the condition impossible (e.g. "missing_cc" of a message that needs no CC).


def _other(keys, *avoid):
    return next(k for k in keys if k not in avoid)


def _one(label, state):
    return [(label, state)]


# -- qlvb --------------------------------------------------------------------------------------------


def _doc(state, params, key="document"):
    return state["documents"][params[key]]


def _unregister(doc):
    doc.update(book=None, status="cho_tiep_nhan", submitted_to=None, assignment=None, returned=None)


def registered_returned(state, params, source):
    doc = _doc(state, params)
    _unregister(doc)
    doc.update(status="tra_lai", returned={"reason": "Gửi nhầm", "by": state["me"]})
    return _one("returned instead of registered", state)


def registered_not(state, params, source):
    _unregister(_doc(state, params))
    return _one("left waiting", state)


def registered_wrong_field(state, params, source):
    from practice.replicas.qlvb import SECRECY, URGENCY

    for name, rule in params["fields"].items():
        spoiled = copy.deepcopy(state)
        book = _doc(spoiled, params)["book"]
        if name == "do_khan":
            book[name] = _other(URGENCY, *rule["equals"])
        elif name == "do_mat":
            book[name] = _other(SECRECY, *rule["equals"])
        elif name == "ngay_van_ban":
            book[name] = (date.fromisoformat(rule["equals"][0]) - timedelta(days=1)).isoformat()
        elif "contains" in rule:
            book[name] = "Văn bản"
        else:
            book[name] = "Sở Khác"
        yield f"wrong {name}", spoiled


def returned_registered(state, params, source):
    doc = _doc(state, params)
    doc.update(status="da_vao_so", returned=None, book={"so_den": 1, "trich_yeu": "x"})
    return _one("registered", state)


def returned_not(state, params, source):
    doc = _doc(state, params)
    doc.update(status="cho_tiep_nhan", returned=None)
    return _one("left waiting", state)


def returned_unclear(state, params, source):
    if not params["reason_any"]:
        return []
    _doc(state, params)["returned"]["reason"] = "Trả lại."
    return _one("vague reason", state)


def submitted_not_registered(state, params, source):
    _unregister(_doc(state, params))
    return _one("not registered", state)


def submitted_not(state, params, source):
    _doc(state, params).update(status="da_vao_so", submitted_to=None)
    return _one("registered only", state)


def submitted_wrong(state, params, source):
    _doc(state, params)["submitted_to"] = _other(state["people"], params["to"])
    return _one("other leader", state)


def assigned_not(state, params, source):
    _doc(state, params).update(assignment=None, status="cho_chi_dao")
    return _one("not assigned", state)


def assigned_wrong_lead(state, params, source):
    a = _doc(state, params)["assignment"]
    a["lead"] = _other(state["people"], params["lead"], *a["coordinators"])
    return _one("other lead", state)


def assigned_coordinators(state, params, source):
    if params["coordinators"] is None:
        return []
    _doc(state, params)["assignment"]["coordinators"] = []
    return _one("no coordinators", state)


def assigned_informed(state, params, source):
    if not params["informed"]:
        return []
    _doc(state, params)["assignment"]["informed"] = []
    return _one("nobody informed", state)


def assigned_late(state, params, source):
    if not params["deadline_within"]:
        return []
    late = add_working_days(date.fromisoformat(state["today"]), params["deadline_within"] + 1)
    _doc(state, params)["assignment"]["deadline"] = late.isoformat()
    return _one("one working day late", state)


def assigned_opinion(state, params, source):
    if not params["opinion_contains"]:
        return []
    _doc(state, params)["assignment"]["opinion"] = "Xem xét."
    return _one("vague opinion", state)


def handled_not_accepted(state, params, source):
    h = _doc(state, params)["handling"]
    h["accepted"] = [p for p in h["accepted"] if p != params["person"]]
    h["done"] = [p for p in h["done"] if p != params["person"]]
    return _one("never accepted", state)


def handled_no_progress(state, params, source):
    if not params["progress"]:
        return []
    h = _doc(state, params)["handling"]
    h["progress"] = [p for p in h["progress"] if p["by"] != params["person"]]
    return _one("no progress", state)


def handled_not_completed(state, params, source):
    h = _doc(state, params)["handling"]
    h["done"] = [p for p in h["done"] if p != params["person"]]
    _doc(state, params)["status"] = "dang_xu_ly"
    return _one("not completed", state)


def handled_unclear(state, params, source):
    if not params["result_contains"]:
        return []
    _doc(state, params)["handling"]["progress"].append({"by": params["person"], "text": "Xong.", "at": "x"})
    return _one("vague result", state)


def _reply(state, params):
    incoming = _doc(state, params, "reply_to")
    return state["documents"][incoming["replies"][-1]]


def reply_no_draft(state, params, source):
    _doc(state, params, "reply_to")["replies"] = []
    return _one("no reply", state)


def _reply_status(status, **extra):
    def spoil(state, params, source):
        reply = _reply(state, params)
        reply.update(status=status, **extra)
        return _one(status, state)

    return spoil


def reply_wrong_signer(state, params, source):
    if not params["signer"]:
        return []
    _reply(state, params)["signed_by"] = _other(state["people"], params["signer"])
    return _one("signed by another", state)


def reply_recipients(state, params, source):
    if not params["recipients_contain"]:
        return []
    _reply(state, params)["meta"]["recipients"] = ["Ủy ban nhân dân tỉnh"]
    return _one("wrong recipients", state)


def reply_abstract(state, params, source):
    if not params["abstract_contains"]:
        return []
    _reply(state, params)["meta"]["abstract"] = "V/v trả lời"
    return _one("vague abstract", state)


def reminded_none(state, params, source):
    for doc in state["documents"].values():
        doc["reminders"] = []
    return _one("no reminder", state)


def reminded_wrong_person(state, params, source):
    for reminder in _doc(state, params)["reminders"]:
        reminder["to"] = _other(state["people"], params["to"])
    return _one("reminded someone else", state)


def reminded_wrong_document(state, params, source):
    doc = _doc(state, params)
    other = _other(state["documents"], params["document"])
    state["documents"][other]["reminders"] = doc["reminders"]
    doc["reminders"] = []
    return _one("reminded on a look-alike", state)


def filed_not(state, params, source):
    case_file = state["case_files"][params["case_file"]]
    case_file["documents"] = [k for k in case_file["documents"] if k != params["document"]]
    return _one("not filed", state)


def filed_wrong(state, params, source):
    case_file = state["case_files"][params["case_file"]]
    case_file["documents"].append(_other(state["documents"], params["document"], *case_file["documents"]))
    return _one("look-alike filed", state)


def _delegation(state, params):
    return next(d for d in state["delegations"] if d["from"] == params["person"] and d["to"] == params["to"])


def delegation_none(state, params, source):
    state["delegations"] = [d for d in state["delegations"] if d["from"] != params["person"]]
    return _one("none", state)


def delegation_wrong_person(state, params, source):
    _delegation(state, params)["to"] = _other(state["people"], params["to"], params["person"])
    return _one("delegated to someone else", state)


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def delegation_starts_late(state, params, source):
    _delegation(state, params)["start"] = _shift(params["start"], 1)
    return _one("starts a day late", state)


def delegation_ends_early(state, params, source):
    _delegation(state, params)["end"] = _shift(params["end"], -1)
    return _one("ends a day early", state)


def delegation_ends_late(state, params, source):
    _delegation(state, params)["end"] = _shift(params["end"], 30)
    return _one("runs on after the leave", state)


def delegation_missing_scope(state, params, source):
    d = _delegation(state, params)
    d["scope"] = [s for s in d["scope"] if s != params["scope"][0]]
    return _one("a required right left out", state)


def delegation_extra_scope(state, params, source):
    from practice.replicas.qlvb import SCOPES

    extra = [s for s in SCOPES if s not in params["scope"]]
    if not extra:
        return []
    _delegation(state, params)["scope"].append(extra[0])
    return _one("more rights than asked", state)


def approvers_missing(state, params, source):
    for person in params["must_have"]:
        spoiled = copy.deepcopy(state)
        spoiled["approvers"].remove(person)
        yield f"{person} left out", spoiled


def approvers_extra(state, params, source):
    for person in params["must_not_have"]:
        spoiled = copy.deepcopy(state)
        spoiled["approvers"].append(person)
        yield f"{person} added", spoiled


def visibility_cannot(state, params, source):
    from practice.replicas.qlvb import can_see

    for key in params["must_see"]:
        spoiled = copy.deepcopy(state)
        doc = spoiled["documents"][key]
        doc["viewers"] = [p for p in doc["viewers"] if p != params["person"]]
        if doc.get("assignment"):
            a = doc["assignment"]
            a["coordinators"] = [p for p in a["coordinators"] if p != params["person"]]
            a["informed"] = [p for p in a["informed"] if p != params["person"]]
        if not can_see(spoiled, params["person"], key):
            yield f"{key} not shared", spoiled


def visibility_can(state, params, source):
    for key in params["must_not_see"]:
        spoiled = copy.deepcopy(state)
        spoiled["documents"][key]["viewers"].append(params["person"])
        yield f"{key} still shared", spoiled


# -- portal ------------------------------------------------------------------------------------------


def _page(state, params):
    if params.get("page"):
        return state["pages"][params["page"]]
    return next(p for p in state["pages"].values() if p.get("created"))


def _page_set(**values):
    def spoil(state, params, source):
        _page(state, params).update(**values)
        return _one(str(values), state)

    return spoil


def posted_no_page(state, params, source):
    if params["page"]:
        return []
    state["pages"] = {k: p for k, p in state["pages"].items() if not p.get("created")}
    return _one("no new page", state)


def posted_wrong_category(state, params, source):
    _page(state, params)["category"] = _other(state["categories"], params["category"])
    return _one("other category", state)


def posted_title_words(state, params, source):
    if not params["title_contains"]:
        return []
    _page(state, params)["title"] = "Tin mới của cơ quan"
    return _one("vague title", state)


def posted_title_caps(state, params, source):
    page = _page(state, params)
    page["title"] = page["title"].upper()
    return _one("title in capitals", state)


def posted_title_long(state, params, source):
    page = _page(state, params)
    page["title"] = page["title"] + " về việc" * params["title_max_words"]
    return _one("title too long", state)


def _ascii(text: str) -> str:
    return fold(text)


def posted_no_diacritics(state, params, source):
    page = _page(state, params)
    page["body"] = _ascii(page["body"])
    return _one("body without diacritics", state)


def posted_no_summary(state, params, source):
    if not params["summary"]:
        return []
    _page(state, params)["summary"] = ""
    return _one("no summary", state)


def posted_body_words(state, params, source):
    if not params["body_contains"]:
        return []
    _page(state, params)["body"] = "Thông báo gửi người dân."
    return _one("body without the facts", state)


def posted_missing_attachment(state, params, source):
    if not params["attachments"]:
        return []
    _page(state, params)["attachments"] = []
    return _one("no attachment", state)


def posted_wrong_attachment(state, params, source):
    for file in params["wrong_attachments"]:
        spoiled = copy.deepcopy(state)
        _page(spoiled, params)["attachments"].append(file)
        yield f"{file} attached", spoiled


def posted_not_sent(state, params, source):
    _page(state, params)["status"] = "draft"
    return _one("left as a draft", state)


def posted_not_published(state, params, source):
    if params["status"] != "published":
        return []
    _page(state, params)["status"] = "pending"
    return _one("pending only", state)


def scheduled_wrong_time(state, params, source):
    _page(state, params)["publish_at"] = (
        datetime.fromisoformat(params["at"]).replace(hour=17).isoformat(timespec="minutes")
    )
    return _one("other time", state)


def updated_old_value(state, params, source):
    for old in params["must_not_contain"]:
        spoiled = copy.deepcopy(state)
        _page(spoiled, params)["body"] += f"\n{old}"
        yield f"{old} left", spoiled


def updated_new_missing(state, params, source):
    page = _page(state, params)
    for field in ("title", "summary", "body"):
        for new in params["must_contain"]:
            page[field] = page[field].replace(new, "…")
    return _one("new facts missing", state)


def updated_no_correction(state, params, source):
    if params["correction_contains"] is None:
        return []
    _page(state, params)["corrections"] = []
    return _one("no correction note", state)


def updated_not_published(state, params, source):
    if params["status"] != "published":
        return []
    _page(state, params)["status"] = "pending"
    return _one("pending only", state)


def hidden_keep(state, params, source):
    for key in params["keep"]:
        spoiled = copy.deepcopy(state)
        spoiled["pages"][key]["status"] = "hidden"
        yield f"{key} hidden too", spoiled


def _image(state, params):
    return next(i for i in _page(state, params)["images"] if i["file"] == params["image"])


def image_no_page(state, params, source):
    return posted_no_page(state, params, source)


def image_none(state, params, source):
    _page(state, params)["images"] = []
    return _one("no image", state)


def image_no_alt(state, params, source):
    _image(state, params)["alt"] = ""
    return _one("no alt text", state)


def image_alt_filename(state, params, source):
    _image(state, params)["alt"] = state["files"][params["image"]]["name"]
    return _one("file name as alt text", state)


def image_no_caption(state, params, source):
    _image(state, params)["caption"] = ""
    return _one("no caption", state)


# -- email -------------------------------------------------------------------------------------------


def _my_message(state, key, **values):
    """A message of the learner's own, with every key the replica writes."""
    msg = {
        "key": key,
        "from_name": state["me"]["name"],
        "from_address": state["me"]["address"],
        "links": [],
        "phishing": False,
        "reported": False,
        "mine": True,
        "sent": True,
        "folder": "sent",
        "mode": "new",
        "source": None,
        "to": [],
        "cc": [],
        "bcc": [],
        "subject": "Báo cáo",
        "body": "Gửi anh.",
        "attachments": [],
        "at": state["clock"],
    }
    msg.update(values)
    state["messages"][key] = msg
    return msg


def _sent(state):
    return [m for m in state["messages"].values() if m["mine"] and m["sent"]]


def _best_sent(state, params):
    """The sent message the check is about (the one a learner would have sent for it)."""
    from practice.replicas.email import Sent

    kind = Sent()
    return min(_sent(state), key=lambda m: len(kind._one(state, m, params)))


def sent_none(state, params, source):
    for key in [m["key"] for m in _sent(state)]:
        del state["messages"][key]
    return _one("nothing sent", state)


def sent_draft_only(state, params, source):
    for msg in _sent(state):
        msg.update(folder="drafts", sent=False)
    return _one("left in drafts", state)


def sent_not_reply(state, params, source):
    if params["mode"] not in ("reply", "reply_all"):
        return []
    _best_sent(state, params).update(mode="new", source=None)
    return _one("new message instead of a reply", state)


def sent_not_forward(state, params, source):
    if params["mode"] != "forward":
        return []
    _best_sent(state, params).update(mode="new", source=None)
    return _one("new message instead of a forward", state)


def sent_missing_to(state, params, source):
    msg = _best_sent(state, params)
    msg["to"] = [a for a in msg["to"] if a not in params["to"]] or ["khac@sonv.vinhphuc.gov.vn"]
    return _one("main recipient missing", state)


def _drop_everywhere(msg, addresses):
    for field in ("to", "cc", "bcc"):
        msg[field] = [a for a in msg[field] if a not in addresses]


def sent_missing_cc(state, params, source):
    if not params["cc"]:
        return []
    _drop_everywhere(_best_sent(state, params), params["cc"])
    return _one("nobody in copy", state)


def sent_missing_bcc(state, params, source):
    if not params["bcc"]:
        return []
    _drop_everywhere(_best_sent(state, params), params["bcc"])
    return _one("blind copy missing", state)


def sent_exposed(state, params, source):
    if not params["bcc"]:
        return []
    msg = _best_sent(state, params)
    msg["cc"] += [a for a in msg["bcc"] if a in params["bcc"]]
    msg["bcc"] = [a for a in msg["bcc"] if a not in params["bcc"]]
    return _one("addresses in CC instead of BCC", state)


def sent_extra(state, params, source):
    if not params["strict"]:
        return []
    _best_sent(state, params)["cc"].append("vanphong@stp.vinhphuc.gov.vn")
    return _one("someone extra in copy", state)


def sent_subject_empty(state, params, source):
    _best_sent(state, params)["subject"] = ""
    return _one("no subject", state)


def sent_subject_words(state, params, source):
    if not params["subject_contains"]:
        return []
    _best_sent(state, params)["subject"] = "Gửi anh chị"
    return _one("vague subject", state)


def sent_no_diacritics(state, params, source):
    msg = _best_sent(state, params)
    msg["body"] = _ascii(msg["body"])
    return _one("body without diacritics", state)


def sent_body_words(state, params, source):
    if not params["body_contains"]:
        return []
    _best_sent(state, params)["body"] = "Trân trọng cảm ơn."
    return _one("body without the needed words", state)


def sent_missing_attachment(state, params, source):
    if not params["attachments"]:
        return []
    msg = _best_sent(state, params)
    msg["attachments"] = [a for a in msg["attachments"] if a.get("file") not in params["attachments"]]
    return _one("attachment forgotten", state)


def sent_wrong_attachment(state, params, source):
    for file in params["wrong_attachments"]:
        spoiled = copy.deepcopy(state)
        info = spoiled["files"][file]
        _best_sent(spoiled, params)["attachments"].append(
            {"name": info["name"], "file": file, "danger": False, "classified": info["classified"], "content": ""}
        )
        yield f"{file} attached", spoiled


def sent_lost_attachment(state, params, source):
    if not params["keep_attachments"] or not state["messages"][params["source"]]["attachments"]:
        return []
    msg = _best_sent(state, params)
    original = {a["name"] for a in state["messages"][params["source"]]["attachments"]}
    msg["attachments"] = [a for a in msg["attachments"] if a["name"] not in original]
    return _one("original attachment dropped", state)


def classified_sent(state, params, source):
    key, info = next((k, f) for k, f in state["files"].items() if f["classified"])
    attachment = {"name": info["name"], "file": key, "danger": False, "classified": info["classified"], "content": ""}
    if _sent(state):
        _sent(state)[0]["attachments"].append(attachment)
    else:
        _my_message(state, "x", to=["ai.do@vinhphuc.gov.vn"], attachments=[attachment])
    return _one("classified file sent", state)


def _phishing_keys(state, params):
    return params["messages"] or [k for k, m in state["messages"].items() if m["phishing"]]


def reported_missed(state, params, source):
    for key in _phishing_keys(state, params):
        spoiled = copy.deepcopy(state)
        spoiled["messages"][key].update(reported=False, folder="inbox")
        yield f"{key} not reported", spoiled


def reported_false(state, params, source):
    phishing = _phishing_keys(state, params)
    legit = [k for k, m in state["messages"].items() if k not in phishing and not m["mine"]]
    for key in legit[:3]:
        spoiled = copy.deepcopy(state)
        spoiled["messages"][key].update(reported=True, folder="spam")
        yield f"{key} reported", spoiled


def fooled_clicked(state, params, source):
    for key in _phishing_keys(state, params):
        if state["messages"][key]["links"]:
            spoiled = copy.deepcopy(state)
            spoiled["events"]["clicked"].append([key, 0])
            yield f"clicked in {key}", spoiled


def fooled_password(state, params, source):
    for key in _phishing_keys(state, params):
        if state["messages"][key]["links"]:
            spoiled = copy.deepcopy(state)
            spoiled["events"]["password"].append(key)
            yield f"password typed from {key}", spoiled


def fooled_opened(state, params, source):
    for key in _phishing_keys(state, params):
        if state["messages"][key]["attachments"]:
            spoiled = copy.deepcopy(state)
            spoiled["events"]["opened"].append([key, 0])
            yield f"attachment of {key} opened", spoiled


def fooled_replied(state, params, source):
    for key in _phishing_keys(state, params):
        spoiled = copy.deepcopy(state)
        original = spoiled["messages"][key]
        _my_message(
            spoiled,
            "reply",
            mode="reply",
            source=key,
            to=[original["from_address"]],
            subject="Re: " + original["subject"],
            body="Tôi gửi lại thông tin.",
        )
        yield f"replied to {key}", spoiled


def _auto(**values):
    def spoil(state, params, source):
        state["auto_reply"].update(**values)
        return _one(str(values), state)

    return spoil


def auto_wrong_start(state, params, source):
    state["auto_reply"]["start"] = _shift(params["start"], 1)
    return _one("starts late", state)


def auto_wrong_end(state, params, source):
    state["auto_reply"]["end"] = _shift(params["end"], 7)
    return _one("ends late", state)


def auto_body_words(state, params, source):
    if not params["body_contains"]:
        return []
    state["auto_reply"]["body"] = "Tôi đang vắng mặt, sẽ trả lời sau."
    return _one("nobody to contact", state)


def auto_no_diacritics(state, params, source):
    state["auto_reply"]["body"] = _ascii(state["auto_reply"]["body"])
    return _one("body without diacritics", state)


def _folder_key(state, params):
    return next(k for k, n in state["folders"].items() if fold(n) == fold(params["folder"]))


def folder_none(state, params, source):
    key = _folder_key(state, params)
    for msg in state["messages"].values():
        if msg["folder"] == key:
            msg["folder"] = "inbox"
    del state["folders"][key]
    return _one("folder never made", state)


def folder_not_moved(state, params, source):
    state["messages"][params["messages"][0]]["folder"] = "inbox"
    return _one("one left in the inbox", state)


def folder_wrong_moved(state, params, source):
    for key in params["not_messages"]:
        spoiled = copy.deepcopy(state)
        spoiled["messages"][key]["folder"] = _folder_key(spoiled, params)
        yield f"{key} moved too", spoiled


def folder_deleted(state, params, source):
    state["messages"][params["messages"][-1]]["folder"] = "trash"
    return _one("one deleted", state)


SPOILERS = {
    # qlvb
    "registered": {
        "returned": registered_returned,
        "not_registered": registered_not,
        "wrong_field": registered_wrong_field,
    },
    "returned": {
        "registered_instead": returned_registered,
        "not_returned": returned_not,
        "reason_unclear": returned_unclear,
    },
    "submitted": {
        "not_registered": submitted_not_registered,
        "not_submitted": submitted_not,
        "wrong_person": submitted_wrong,
    },
    "assigned": {
        "not_assigned": assigned_not,
        "wrong_lead": assigned_wrong_lead,
        "coordinators": assigned_coordinators,
        "informed": assigned_informed,
        "deadline_late": assigned_late,
        "opinion_unclear": assigned_opinion,
    },
    "handled": {
        "not_accepted": handled_not_accepted,
        "no_progress": handled_no_progress,
        "not_completed": handled_not_completed,
        "result_unclear": handled_unclear,
    },
    "reply_issued": {
        "no_draft": reply_no_draft,
        "not_sent": _reply_status("du_thao"),
        "not_signed": _reply_status("cho_duyet"),
        "wrong_signer": reply_wrong_signer,
        "not_issued": _reply_status("da_ky", issued=None),
        "recipients": reply_recipients,
        "abstract": reply_abstract,
    },
    "reminded": {
        "no_reminder": reminded_none,
        "wrong_person": reminded_wrong_person,
        "wrong_document": reminded_wrong_document,
    },
    "filed": {"not_filed": filed_not, "wrong_document": filed_wrong},
    "delegation": {
        "none": delegation_none,
        "wrong_person": delegation_wrong_person,
        "starts_late": delegation_starts_late,
        "ends_early": delegation_ends_early,
        "ends_late": delegation_ends_late,
        "missing_scope": delegation_missing_scope,
        "extra_scope": delegation_extra_scope,
    },
    "approvers": {"missing": approvers_missing, "extra": approvers_extra},
    "visibility": {"cannot_see": visibility_cannot, "can_see": visibility_can},
    # portal
    "page_posted": {
        "no_page": posted_no_page,
        "deleted": _page_set(status="deleted"),
        "wrong_category": posted_wrong_category,
        "title_words": posted_title_words,
        "title_caps": posted_title_caps,
        "title_long": posted_title_long,
        "no_diacritics": posted_no_diacritics,
        "no_summary": posted_no_summary,
        "body_words": posted_body_words,
        "missing_attachment": posted_missing_attachment,
        "wrong_attachment": posted_wrong_attachment,
        "not_sent": posted_not_sent,
        "not_published": posted_not_published,
    },
    "scheduled": {
        "published_now": _page_set(status="published"),
        "not_scheduled": _page_set(status="pending"),
        "wrong_time": scheduled_wrong_time,
    },
    "page_updated": {
        "deleted": _page_set(status="deleted"),
        "hidden": _page_set(status="hidden"),
        "old_value": updated_old_value,
        "new_missing": updated_new_missing,
        "no_correction": updated_no_correction,
        "not_sent": _page_set(status="draft"),
        "not_published": updated_not_published,
    },
    "page_hidden": {
        "deleted": _page_set(status="deleted"),
        "still_public": _page_set(status="published"),
        "keep_hidden": hidden_keep,
    },
    "image_described": {
        "no_page": image_no_page,
        "no_image": image_none,
        "no_alt": image_no_alt,
        "alt_filename": image_alt_filename,
        "no_caption": image_no_caption,
    },
    # email
    "sent": {
        "not_sent": sent_none,
        "draft_only": sent_draft_only,
        "not_reply": sent_not_reply,
        "not_forward": sent_not_forward,
        "missing_to": sent_missing_to,
        "missing_cc": sent_missing_cc,
        "missing_bcc": sent_missing_bcc,
        "exposed": sent_exposed,
        "extra_recipient": sent_extra,
        "subject_empty": sent_subject_empty,
        "subject_words": sent_subject_words,
        "no_diacritics": sent_no_diacritics,
        "body_words": sent_body_words,
        "missing_attachment": sent_missing_attachment,
        "wrong_attachment": sent_wrong_attachment,
        "lost_attachment": sent_lost_attachment,
    },
    "no_classified_sent": {"classified_sent": classified_sent},
    "reported": {"missed": reported_missed, "false_report": reported_false},
    "not_fooled": {
        "clicked": fooled_clicked,
        "password": fooled_password,
        "opened": fooled_opened,
        "replied": fooled_replied,
    },
    "auto_reply": {
        "off": _auto(enabled=False),
        "wrong_start": auto_wrong_start,
        "no_end": _auto(end=None),
        "wrong_end": auto_wrong_end,
        "body_words": auto_body_words,
        "no_diacritics": auto_no_diacritics,
    },
    "in_folder": {
        "no_folder": folder_none,
        "not_moved": folder_not_moved,
        "wrong_moved": folder_wrong_moved,
        "deleted": folder_deleted,
    },
}
