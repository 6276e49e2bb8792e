"""Replica of the official webmail (hộp thư điện tử công vụ).

As lessons 3-7 of the e-mail course and lessons 4-5 of the security course teach it: folders, compose
with To/Cc/Bcc, attach a file from "your computer" (a list given by the scenario, some of them
marked classified), reply, reply all and forward (which keeps the original's attachments), save
drafts, move messages to folders, an auto-reply with dates, and the phishing button. Links and
attachments of the scenario's messages open practice pages only; what the learner clicks, opens or
types there is recorded in the state (never the typed password itself). No e-mail leaves the
practice area.
"""

from __future__ import annotations

import re

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
    contains_words,
    keyed,
    lacks_diacritics,
    vn_date,
)

SYSTEM_FOLDERS = {
    "inbox": _l("Hộp thư đến"),
    "sent": _l("Thư đã gửi"),
    "drafts": _l("Thư nháp"),
    "spam": _l("Thư rác"),
    "trash": _l("Thùng rác"),
}
SECRECY = {"mat": _l("Mật"), "toi_mat": _l("Tối mật"), "tuyet_mat": _l("Tuyệt mật")}
MODES = {"new": _l("Thư mới"), "reply": _l("Trả lời"), "reply_all": _l("Trả lời tất cả"), "forward": _l("Chuyển tiếp")}
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[a-z]{2,}$", re.IGNORECASE)


def _read_party(node: Spec, key: str, contacts: dict, me: dict) -> tuple[str, str]:
    """A sender: a contact key, 'me', or {name, address} (someone outside the address book)."""
    child = node.child(key)
    if isinstance(child.value, dict):
        child.only("name", "address")
        address = child.text("address").lower()
        if not ADDRESS.match(address):
            raise child.error(f"'{address}' is not an e-mail address", "address")
        return child.text("name"), address
    ref = str(child.value).strip()
    if ref == "me":
        return me["name"], me["address"]
    if ref not in contacts:
        raise child.error(f"no contact '{ref}' in the setup (known: me, {', '.join(sorted(contacts))})")
    return contacts[ref]["name"], contacts[ref]["address"]


def _read_addresses(node: Spec, key: str, contacts: dict, me: dict) -> list[str]:
    out = []
    for item in node.items(key, required=False):
        value = item.value
        if isinstance(value, dict):
            item.only("name", "address")
            out.append(item.text("address").lower())
            continue
        ref = str(value).strip()
        if ref == "me":
            out.append(me["address"])
        elif ref in contacts:
            out.append(contacts[ref]["address"])
        else:
            raise item.error(f"no contact '{ref}' in the setup (known: me, {', '.join(sorted(contacts))})")
    return out


def _read_message(key: str, node: Spec, contacts: dict, files: dict, me: dict, folders: dict) -> dict:
    node.only("key", "folder", "from", "to", "cc", "subject", "body", "at", "attachments", "links", "phishing")
    from_name, from_address = _read_party(node, "from", contacts, me)
    attachments = []
    for item in node.items("attachments", required=False):
        item.only("name", "kind", "danger", "file", "content")
        if item.has("file"):
            attachments.append(_file_attachment(files, item.ref("file", files, "file")))
        else:
            attachments.append(
                {
                    "name": item.text("name"),
                    "file": None,
                    "danger": item.flag("danger"),
                    "classified": None,
                    "content": item.text("content", required=False, multiline=True),
                }
            )
    links = []
    for item in node.items("links", required=False):
        item.only("text", "url", "danger")
        links.append({"text": item.text("text"), "url": item.text("url"), "danger": item.flag("danger")})
    to = _read_addresses(node, "to", contacts, me) if node.has("to") else [me["address"]]
    return {
        "key": key,
        "folder": node.choice("folder", list(SYSTEM_FOLDERS), required=False, default="inbox"),
        "from_name": from_name,
        "from_address": from_address,
        "to": to,
        "cc": _read_addresses(node, "cc", contacts, me),
        "bcc": [],
        "subject": node.text("subject"),
        "body": node.text("body", multiline=True),
        "at": node.moment("at"),
        "attachments": attachments,
        "links": links,
        "phishing": node.flag("phishing"),
        "reported": False,
        "mine": from_address == me["address"],
        "sent": False,
        "mode": "new",
        "source": None,
    }


def _file_attachment(files: dict, key: str) -> dict:
    """An attachment made from a file of "your computer" (it keeps the file's classification)."""
    info = files[key]
    return {
        "name": info["name"],
        "file": key,
        "danger": False,
        "classified": info["classified"],
        "content": info["description"],
    }


def _message(state: dict, form: Form, name: str = "message") -> dict:
    msg = state["messages"].get(form.get(name))
    if msg is None:
        raise ActionError(_l("Không tìm thấy thư này."), name)
    return msg


def _addresses(form: Form, name: str) -> list[str]:
    raw = form.get(name)
    out = []
    for part in re.split(r"[,;]", raw):
        part = part.strip()
        if not part:
            continue
        m = re.search(r"<([^>]+)>", part)  # "Tên <dia.chi@...>" as the address book fills it
        address = (m.group(1) if m else part).strip().lower()
        if not ADDRESS.match(address):
            raise ActionError(_l("«%(a)s» không phải là địa chỉ thư hợp lệ.", a=part), name)
        if address not in out:
            out.append(address)
    return out


def _compose(state: dict, form: Form) -> dict:
    mode = form.get("mode") or "new"
    if mode not in MODES:
        raise ActionError(_l("Cách gửi không hợp lệ."))
    source = form.get("source") or None
    if mode != "new" and (source not in state["messages"]):
        raise ActionError(_l("Không tìm thấy thư gốc."))
    files = form.getlist("files")
    if any(f not in state["files"] for f in files):
        raise ActionError(_l("Hãy chọn tệp trong danh sách."), "files")
    attachments = []
    if mode == "forward" and form.get("keep_attachments", "") != "0":
        attachments = [dict(a) for a in state["messages"][source]["attachments"]]
    attachments += [_file_attachment(state["files"], f) for f in files]
    return {
        "mode": mode,
        "source": source,
        "to": _addresses(form, "to"),
        "cc": _addresses(form, "cc"),
        "bcc": _addresses(form, "bcc"),
        "subject": form.get("subject"),
        "body": form.get("body", multiline=True),
        "attachments": attachments,
    }


def _store(state: dict, values: dict, folder: str, draft_key: str | None) -> dict:
    me = state["me"]
    if draft_key and draft_key in state["messages"] and state["messages"][draft_key]["folder"] == "drafts":
        msg = state["messages"][draft_key]
    else:
        key = f"thu-{state['next_msg']}"
        state["next_msg"] += 1
        msg = {
            "key": key,
            "from_name": me["name"],
            "from_address": me["address"],
            "links": [],
            "phishing": False,
            "reported": False,
            "mine": True,
            "sent": False,
        }
        state["messages"][key] = msg
        state["msg_order"].insert(0, key)
    msg.update(values)
    msg["folder"] = folder
    msg["at"] = state["clock"]
    msg["sent"] = folder == "sent"
    return msg


def send(state: dict, form: Form, ctx) -> Outcome:
    values = _compose(state, form)
    if not values["to"]:
        raise ActionError(_l("Hãy ghi ít nhất một địa chỉ ở ô «Đến»."), "to")
    _store(state, values, "sent", form.get("draft") or None)
    return Outcome(_l("Đã gửi thư (trong bản thực hành, thư không đi ra ngoài)."), "home")


def save_draft(state: dict, form: Form, ctx) -> Outcome:
    values = _compose(state, form)
    msg = _store(state, values, "drafts", form.get("draft") or None)
    return Outcome(_l("Đã lưu thư nháp."), "compose", msg["key"])


def move(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    folder = form.get("folder")
    if folder not in state["folders"] or folder in ("sent", "drafts"):
        raise ActionError(_l("Hãy chọn thư mục trong danh sách."), "folder")
    msg["folder"] = folder
    return Outcome(_l("Đã chuyển thư vào «%(f)s».", f=state["folders"][folder]), "message", msg["key"])


def new_folder(state: dict, form: Form, ctx) -> Outcome:
    name = form.required("name", _l("Hãy gõ tên thư mục."))
    taken = [*state["folders"].values(), *(str(label) for label in SYSTEM_FOLDERS.values())]
    if any(fold(name) == fold(existing) for existing in taken if existing):
        raise ActionError(_l("Đã có thư mục tên này."), "name")
    key = f"thu-muc-{state['next_folder']}"
    state["next_folder"] += 1
    state["folders"][key] = name
    return Outcome(_l("Đã tạo thư mục «%(f)s».", f=name), "home")


def report(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    if msg["mine"]:
        raise ActionError(_l("Đây là thư của chính bạn."))
    msg["reported"] = True
    msg["folder"] = "spam"
    return Outcome(_l("Đã báo cáo thư lừa đảo và chuyển thư vào «Thư rác»."), "home")


def not_spam(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    msg["reported"] = False
    msg["folder"] = "inbox"
    return Outcome(_l("Đã đánh dấu «Không phải thư rác» và đưa thư về Hộp thư đến."), "message", msg["key"])


def delete(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    msg["folder"] = "trash"
    return Outcome(_l("Đã chuyển thư vào «Thùng rác»."), "home")


def _index(form: Form, items: list) -> int:
    try:
        index = int(form.get("index"))
        items[index]  # noqa: B018 - bounds check
    except (ValueError, IndexError):
        raise ActionError(_l("Không tìm thấy mục này.")) from None
    return index


def open_attachment(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    index = _index(form, msg["attachments"])
    state["events"]["opened"].append([msg["key"], index])
    return Outcome(
        _l("Đã mở tệp %(name)s.", name=msg["attachments"][index]["name"]), "attachment", f"{msg['key']}.{index}"
    )


def open_link(state: dict, form: Form, ctx) -> Outcome:
    msg = _message(state, form)
    index = _index(form, msg["links"])
    state["events"]["clicked"].append([msg["key"], index])
    return Outcome(_l("Trình duyệt mở đường link."), "link", f"{msg['key']}.{index}")


def enter_password(state: dict, form: Form, ctx) -> Outcome:
    """The learner typed a password into a page opened from a link. Only the fact is recorded."""
    msg = _message(state, form)
    state["events"]["password"].append(msg["key"])
    return Outcome(_l("Bạn vừa nhập mật khẩu vào một trang mở từ thư."), "caught", msg["key"])


def auto_reply(state: dict, form: Form, ctx) -> Outcome:
    enabled = form.flag("enabled")
    settings = {
        "enabled": enabled,
        "start": form.day("start", _l("Hãy ghi ngày bắt đầu (ngày/tháng/năm)."), required=enabled),
        "end": form.day("end", _l("Ngày kết thúc không hợp lệ (ngày/tháng/năm)."), required=False),
        "subject": form.get("subject"),
        "body": form.get("body", multiline=True),
    }
    if enabled and not settings["body"]:
        raise ActionError(_l("Hãy ghi nội dung thư trả lời tự động."), "body")
    if settings["start"] and settings["end"] and settings["end"] < settings["start"]:
        raise ActionError(_l("Ngày kết thúc phải từ ngày bắt đầu trở đi."), "end")
    state["auto_reply"] = settings
    message = _l("Đã bật trả lời tự động.") if enabled else _l("Đã tắt trả lời tự động.")
    return Outcome(message, "settings")


# -- checks ------------------------------------------------------------------------------------------


def _contact_addresses(spec: Spec, key: str, setup: dict) -> list[str]:
    known = {**setup["contacts"], "me": {"address": setup["me"]["address"]}}
    return [known[ref]["address"] for ref in spec.refs(key, known, "contact")]


def _who(state: dict, address: str) -> str:
    for contact in state["contacts"].values():
        if contact["address"] == address:
            return f"{contact['name']} <{address}>"
    return address


class Sent(CheckKind):
    name = "sent"
    label = _l("Thư được gửi đúng người, đúng nội dung, đúng tệp")
    keys = (
        "to",
        "cc",
        "bcc",
        "strict",
        "mode",
        "source",
        "subject_contains",
        "body_contains",
        "attachments",
        "wrong_attachments",
        "keep_attachments",
    )
    conditions = {
        "not_sent": _l("Chưa có thư nào được gửi đi. Soạn thư rồi bấm «Gửi»."),
        "draft_only": _l("Thư vẫn nằm trong «Thư nháp»: chưa bấm «Gửi»."),
        "not_reply": _l("Hãy trả lời ngay trên thư gốc «%(subject)s» (nút «Trả lời») để người nhận theo dõi được."),
        "not_forward": _l(
            "Hãy dùng nút «Chuyển tiếp» trên thư gốc «%(subject)s» để gửi kèm nội dung và tệp của thư đó."
        ),
        "missing_to": _l("Ô «Đến» chưa có người phải xử lý việc này. Đọc lại nhiệm vụ."),
        "missing_cc": _l("Ô «CC» chưa có người cần biết việc này."),
        "missing_bcc": _l("Ô «BCC» chưa có người cần nhận thư."),
        "exposed": _l("Địa chỉ %(who)s đang hiện cho mọi người nhận. Khi gửi cho nhiều cơ quan, xem lại ô «BCC»."),
        "extra_recipient": _l("Thư gửi cả cho %(who)s, người không cần nhận. Xem lại các ô Đến, CC, BCC."),
        "subject_empty": _l("Thư chưa có tiêu đề. Tiêu đề ngắn, nói rõ việc."),
        "subject_words": _l("Tiêu đề «%(subject)s» chưa nói rõ việc. Xem lại ô «Tiêu đề»."),
        "no_diacritics": _l("Thư viết thiếu dấu tiếng Việt. Thư công vụ viết tiếng Việt có dấu."),
        "body_words": _l("Nội dung thư chưa có điều người nhận cần biết. Đọc lại nhiệm vụ."),
        "missing_attachment": _l("Thư chưa đính kèm tệp cần gửi. Xem lại phần «Đính kèm»."),
        "wrong_attachment": _l("Thư đính kèm tệp %(file)s. Xem lại tên tệp: đó có phải tệp cần gửi không?"),
        "lost_attachment": _l("Thư chuyển tiếp đã bỏ mất tệp đính kèm của thư gốc."),
    }

    def params(self, spec, setup):
        mode = spec.choice("mode", list(MODES), required=False, default=None)
        source = spec.ref("source", setup["messages"], "message", required=mode in ("reply", "reply_all", "forward"))
        params = {
            "to": _contact_addresses(spec, "to", setup),
            "cc": _contact_addresses(spec, "cc", setup),
            "bcc": _contact_addresses(spec, "bcc", setup),
            "strict": spec.flag("strict", True),
            "mode": mode,
            "source": source,
            "subject_contains": spec.texts("subject_contains"),
            "body_contains": spec.texts("body_contains"),
            "attachments": spec.refs("attachments", setup["files"], "file"),
            "wrong_attachments": spec.refs("wrong_attachments", setup["files"], "file"),
            "keep_attachments": spec.flag("keep_attachments", mode == "forward"),
        }
        if not (params["to"] or params["bcc"]):
            raise spec.error("needs 'to' (or 'bcc')")
        return params

    def evaluate(self, state, params):
        sent = [m for m in state["messages"].values() if m["mine"] and m["sent"]]
        if not sent:
            drafts = [m for m in state["messages"].values() if m["mine"] and m["folder"] == "drafts"]
            return [Failure("draft_only" if drafts else "not_sent")]
        best = None
        for msg in sent:
            failures = self._one(state, msg, params)
            if best is None or len(failures) < len(best):
                best = failures
        return best

    def _one(self, state, msg, params):
        failures = []
        source = state["messages"].get(params["source"]) if params["source"] else None
        if params["mode"] in ("reply", "reply_all") and (
            msg["mode"] not in ("reply", "reply_all") or msg["source"] != params["source"]
        ):
            failures.append(Failure("not_reply", {"subject": source["subject"]}))
        if params["mode"] == "forward" and (msg["mode"] != "forward" or msg["source"] != params["source"]):
            failures.append(Failure("not_forward", {"subject": source["subject"]}))
        to, cc, bcc = set(msg["to"]), set(msg["cc"]), set(msg["bcc"])
        everyone = to | cc | bcc
        if any(a not in to for a in params["to"]):
            failures.append(Failure("missing_to"))
        if any(a not in everyone for a in params["cc"]):
            failures.append(Failure("missing_cc"))
        if any(a not in everyone for a in params["bcc"]):
            failures.append(Failure("missing_bcc"))
        exposed = [a for a in params["bcc"] if a in to | cc]
        if exposed:
            failures.append(Failure("exposed", {"who": _who(state, exposed[0])}))
        if params["strict"]:
            wanted = set(params["to"]) | set(params["cc"]) | set(params["bcc"])
            extra = [a for a in msg["to"] + msg["cc"] + msg["bcc"] if a not in wanted]
            if extra:
                failures.append(Failure("extra_recipient", {"who": _who(state, extra[0])}))
        if not msg["subject"].strip():
            failures.append(Failure("subject_empty"))
        elif contains_words(msg["subject"], params["subject_contains"]):
            failures.append(Failure("subject_words", {"subject": msg["subject"]}))
        if lacks_diacritics(msg["subject"]) or lacks_diacritics(msg["body"]):
            failures.append(Failure("no_diacritics"))
        if contains_words(msg["body"], params["body_contains"]):
            failures.append(Failure("body_words"))
        names = [a.get("file") for a in msg["attachments"]]
        if any(f not in names for f in params["attachments"]):
            failures.append(Failure("missing_attachment"))
        for attachment in msg["attachments"]:
            if attachment.get("file") in params["wrong_attachments"]:
                failures.append(Failure("wrong_attachment", {"file": attachment["name"]}))
        if params["keep_attachments"] and source is not None:
            kept = [a["name"] for a in msg["attachments"]]
            if any(a["name"] not in kept for a in source["attachments"]):
                failures.append(Failure("lost_attachment"))
        return failures


class NoClassifiedSent(CheckKind):
    name = "no_classified_sent"
    label = _l("Không có tài liệu mật nào được gửi qua thư điện tử")
    keys = ()
    conditions = {
        "classified_sent": _l(
            "Một thư đã gửi kèm tệp %(file)s, tài liệu có độ mật. Tài liệu mật không được gửi qua thư điện tử: xem "
            "lại nhãn độ mật của từng tệp trước khi đính kèm."
        )
    }

    def params(self, spec, setup):
        if not any(f["classified"] for f in setup["files"].values()):
            raise spec.error("the setup has no classified file to check")
        return {}

    def evaluate(self, state, params):
        for msg in state["messages"].values():
            if msg["mine"] and msg["sent"]:
                for attachment in msg["attachments"]:
                    if attachment.get("classified"):
                        return [Failure("classified_sent", {"file": attachment["name"]})]
        return []


def _phishing(state: dict, params: dict) -> list[str]:
    return params["messages"] or [k for k, m in state["messages"].items() if m["phishing"]]


class Reported(CheckKind):
    name = "reported"
    label = _l("Thư lừa đảo được báo cáo, thư công việc thật không bị báo nhầm")
    keys = ("messages",)
    conditions = {
        "missed": _l(
            "Còn thư lừa đảo chưa được báo cáo. Xem kỹ địa chỉ thật của người gửi, lời lẽ thúc ép và đường link "
            "trong từng thư."
        ),
        "false_report": _l(
            "Thư «%(subject)s» là thư công việc thật nhưng đã bị báo là lừa đảo. Xem lại địa chỉ người gửi và nội "
            "dung thư."
        ),
    }

    def params(self, spec, setup):
        messages = spec.refs("messages", setup["messages"], "message")
        if not messages and not any(m["phishing"] for m in setup["messages"].values()):
            raise spec.error("no message of the setup is marked 'phishing: true'")
        return {"messages": messages}

    def evaluate(self, state, params):
        phishing = _phishing(state, params)
        failures = []
        if any(not state["messages"][k]["reported"] for k in phishing):
            failures.append(Failure("missed"))
        for key, msg in state["messages"].items():
            if msg["reported"] and key not in phishing:
                failures.append(Failure("false_report", {"subject": msg["subject"]}))
        return failures


class NotFooled(CheckKind):
    name = "not_fooled"
    label = _l("Không bấm link, không mở tệp, không nhập mật khẩu, không trả lời thư lừa đảo")
    keys = ("messages",)
    conditions = {
        "clicked": _l(
            "Bạn đã bấm vào đường link trong thư «%(subject)s». Với thư lạ, chỉ đặt chuột lên link để xem địa "
            "chỉ thật, không bấm."
        ),
        "password": _l(
            "Bạn đã nhập mật khẩu vào trang mở ra từ thư «%(subject)s». Ngoài đời: đổi mật khẩu ngay và báo bộ phận "
            "quản trị."
        ),
        "opened": _l(
            "Bạn đã mở tệp %(file)s của thư «%(subject)s». Tệp lạ có thể chứa mã độc: không mở, báo cán bộ CNTT."
        ),
        "replied": _l("Bạn đã trả lời thư «%(subject)s». Không trả lời thư lừa đảo: kẻ gian biết hộp thư còn dùng."),
    }

    def params(self, spec, setup):
        return Reported.params(self, spec, setup)

    def evaluate(self, state, params):
        phishing = set(_phishing(state, params))
        failures = []
        events = state["events"]
        for key, _index in events["clicked"]:
            if key in phishing:
                failures.append(Failure("clicked", {"subject": state["messages"][key]["subject"]}))
        for key in events["password"]:
            failures.append(Failure("password", {"subject": state["messages"][key]["subject"]}))
        for key, index in events["opened"]:
            if key in phishing:
                msg = state["messages"][key]
                failures.append(
                    Failure("opened", {"subject": msg["subject"], "file": msg["attachments"][index]["name"]})
                )
        attackers = {state["messages"][k]["from_address"] for k in phishing}
        for msg in state["messages"].values():
            if msg["mine"] and msg["sent"]:
                if (msg["source"] in phishing and msg["mode"] != "forward") or attackers & set(msg["to"] + msg["cc"]):
                    original = state["messages"][msg["source"]] if msg["source"] in phishing else msg
                    failures.append(Failure("replied", {"subject": original["subject"]}))
        return failures


class AutoReply(CheckKind):
    name = "auto_reply"
    label = _l("Trả lời tự động bật đúng thời gian, báo rõ liên hệ ai")
    keys = ("start", "end", "body_contains")
    conditions = {
        "off": _l("Trả lời tự động chưa được bật. Xem «Cài đặt», mục «Trả lời tự động»."),
        "wrong_start": _l("Trả lời tự động bắt đầu %(start)s. Xem lại ô «Từ ngày» theo ngày bạn bắt đầu vắng mặt."),
        "no_end": _l("Chưa đặt ngày kết thúc: thư trả lời tự động sẽ còn gửi sau khi bạn đi làm lại."),
        "wrong_end": _l("Trả lời tự động kết thúc %(end)s. Xem lại ô «Đến ngày»."),
        "body_words": _l("Nội dung trả lời tự động chưa có thông tin người gửi cần: đọc lại nhiệm vụ."),
        "no_diacritics": _l("Nội dung trả lời tự động viết thiếu dấu tiếng Việt."),
    }

    def params(self, spec, setup):
        return {"start": spec.day("start"), "end": spec.day("end"), "body_contains": spec.texts("body_contains")}

    def evaluate(self, state, params):
        settings = state["auto_reply"]
        if not settings["enabled"]:
            return [Failure("off")]
        failures = []
        if settings["start"] != params["start"]:
            failures.append(Failure("wrong_start", {"start": vn_date(settings["start"])}))
        if not settings["end"]:
            failures.append(Failure("no_end"))
        elif settings["end"] != params["end"]:
            failures.append(Failure("wrong_end", {"end": vn_date(settings["end"])}))
        if contains_words(f"{settings['subject']} {settings['body']}", params["body_contains"]):
            failures.append(Failure("body_words"))
        if lacks_diacritics(settings["body"]):
            failures.append(Failure("no_diacritics"))
        return failures


class InFolder(CheckKind):
    name = "in_folder"
    label = _l("Thư được xếp vào thư mục «%(folder)s»")
    keys = ("folder", "messages", "not_messages")
    conditions = {
        "no_folder": _l("Chưa có thư mục «%(folder)s». Tạo thư mục mới ở cột bên trái."),
        "not_moved": _l(
            "Còn thư thuộc việc này chưa được chuyển vào thư mục «%(folder)s». Tìm theo tiêu đề, người gửi."
        ),
        "wrong_moved": _l("Thư «%(subject)s» không thuộc việc này nhưng đã bị chuyển vào «%(folder)s»."),
        "deleted": _l("Thư «%(subject)s» đã bị xóa. Thư cần giữ thì chuyển vào thư mục, không xóa."),
    }

    def params(self, spec, setup):
        return {
            "folder": spec.text("folder"),
            "messages": spec.refs("messages", setup["messages"], "message", required=True),
            "not_messages": spec.refs("not_messages", setup["messages"], "message"),
        }

    def label_args(self, state, params):
        return {"folder": params["folder"]}

    def evaluate(self, state, params):
        args = {"folder": params["folder"]}
        matching = [k for k, name in state["folders"].items() if fold(name) == fold(params["folder"])]
        if not matching:
            return [Failure("no_folder", args)]
        folder = matching[0]
        failures = []
        for key in params["messages"]:
            msg = state["messages"][key]
            if msg["folder"] == "trash":
                failures.append(Failure("deleted", {**args, "subject": msg["subject"]}))
        if any(state["messages"][k]["folder"] != folder for k in params["messages"]):
            failures.append(Failure("not_moved", args))
        for key in params["not_messages"]:
            if state["messages"][key]["folder"] == folder:
                failures.append(Failure("wrong_moved", {**args, "subject": state["messages"][key]["subject"]}))
        return failures


class EmailReplica(Replica):
    app = "email"
    actions = {
        a.name: a
        for a in (
            Action("send", send, "compose"),
            Action("save_draft", save_draft, "compose"),
            Action("move", move, "message"),
            Action("new_folder", new_folder, "home"),
            Action("report", report, "message"),
            Action("not_spam", not_spam, "message"),
            Action("delete", delete, "message"),
            Action("open_attachment", open_attachment, "message"),
            Action("open_link", open_link, "message"),
            Action("enter_password", enter_password, "link"),
            Action("auto_reply", auto_reply, "settings"),
        )
    }
    checks = {k.name: k for k in (Sent(), NoClassifiedSent(), Reported(), NotFooled(), AutoReply(), InFolder())}

    def read_setup(self, spec: Spec) -> dict:
        spec.only("today", "me", "domain", "contacts", "files", "folders", "messages")
        me_node = spec.child("me")
        me_node.only("name", "address", "title")
        me = {
            "name": me_node.text("name"),
            "address": me_node.text("address").lower(),
            "title": me_node.text("title", required=False),
        }
        if not ADDRESS.match(me["address"]):
            raise me_node.error("is not an e-mail address", "address")
        contacts = {}
        for key, node in keyed(spec.items("contacts", required=False), "contact").items():
            node.only("key", "name", "address", "unit")
            address = node.text("address").lower()
            if not ADDRESS.match(address):
                raise node.error(f"'{address}' is not an e-mail address", "address")
            contacts[key] = {"name": node.text("name"), "address": address, "unit": node.text("unit", required=False)}
        files = {}
        for key, node in keyed(spec.items("files", required=False), "file").items():
            node.only("key", "name", "description", "classified")
            files[key] = {
                "name": node.text("name"),
                "description": node.text("description", required=False, multiline=True),
                "classified": node.choice("classified", list(SECRECY), required=False, default=None),
            }
        folders = dict.fromkeys(SYSTEM_FOLDERS, "")  # system folders are labelled by ``folder_label``
        for i, name in enumerate(spec.texts("folders"), start=1):
            folders[f"co-san-{i}"] = name
        messages = {
            key: _read_message(key, node, contacts, files, me, folders)
            for key, node in keyed(spec.items("messages", required=False), "message").items()
        }
        order = sorted(messages, key=lambda k: messages[k]["at"], reverse=True)
        return {
            "app": "email",
            "today": spec.day("today"),
            "domain": spec.text("domain", required=False, default="vinhphuc.gov.vn"),
            "me": me,
            "contacts": contacts,
            "contact_order": list(contacts),
            "files": files,
            "file_order": list(files),
            "folders": folders,
            "messages": messages,
            "msg_order": order,
            "events": {"clicked": [], "opened": [], "password": []},
            "auto_reply": {"enabled": False, "start": None, "end": None, "subject": "", "body": ""},
            "next_msg": 1,
            "next_folder": 1,
        }

    def personalise(self, state, name, email):
        if name:
            state["me"]["name"] = name

    def folder_label(self, state: dict, key: str) -> str:
        return str(SYSTEM_FOLDERS[key]) if key in SYSTEM_FOLDERS else state["folders"][key]

    def page(self, state, name, key, args=None, values=None, errors=None):
        args = args or {}
        base = {
            "state": state,
            "errors": errors or {},
            "values": values or {},
            "folder_label": lambda k: self.folder_label(state, k),
            "counts": {f: sum(1 for m in state["messages"].values() if m["folder"] == f) for f in state["folders"]},
            "secrecy": SECRECY,
            "move_options": [(k, self.folder_label(state, k)) for k in state["folders"] if k not in ("sent", "drafts")],
        }
        if name == "home":
            folder = args.get("folder") if args.get("folder") in state["folders"] else "inbox"
            query = (args.get("q") or "").strip()
            messages = [state["messages"][k] for k in state["msg_order"]]
            if query:
                needle = " ".join(fold(query).split())
                messages = [
                    m
                    for m in messages
                    if needle in fold(f"{m['subject']} {m['from_name']} {m['from_address']} {m['body']}")
                ]
            else:
                messages = [m for m in messages if m["folder"] == folder]
            return "practice/email/home.html", {**base, "folder": folder, "messages": messages, "query": query}
        if name == "message":
            msg = state["messages"].get(key)
            if msg is None:
                raise LookupError(key)
            return "practice/email/message.html", {**base, "msg": msg, "key": key}
        if name == "compose":
            return "practice/email/compose.html", {**base, **self._compose_values(state, key, args, values)}
        if name == "settings":
            return "practice/email/settings.html", base
        if name in ("attachment", "link", "caught"):
            msg_key, _dot, index = (key or "").partition(".")
            msg = state["messages"].get(msg_key)
            if msg is None:
                raise LookupError(key)
            items = msg["attachments"] if name == "attachment" else msg["links"]
            item = None
            if name != "caught":
                try:
                    item = items[int(index)]
                except (ValueError, IndexError):
                    raise LookupError(key) from None
            return f"practice/email/{name}.html", {**base, "msg": msg, "item": item, "index": index}
        raise LookupError(name)

    def _compose_values(self, state, key, args, values) -> dict:
        """The compose form: a draft being edited, a reply / reply all / forward of a message, or new."""
        out = {
            "mode": "new",
            "source": None,
            "draft": None,
            "to": "",
            "cc": "",
            "bcc": "",
            "subject": "",
            "body": "",
            "files": [],
            "carried": [],
        }
        if key and key in state["messages"] and state["messages"][key]["folder"] == "drafts":
            draft = state["messages"][key]
            out.update(
                mode=draft["mode"],
                source=draft["source"],
                draft=key,
                to=", ".join(draft["to"]),
                cc=", ".join(draft["cc"]),
                bcc=", ".join(draft["bcc"]),
                subject=draft["subject"],
                body=draft["body"],
                files=[a["file"] for a in draft["attachments"] if a.get("file")],
            )
        else:
            mode = args.get("mode") if args.get("mode") in MODES else "new"
            source = state["messages"].get(args.get("source") or "")
            if mode != "new" and source is not None:
                me = state["me"]["address"]
                quoted = "\n".join(f"> {line}" for line in source["body"].split("\n"))
                header = (
                    f"\n\n----- {source['from_name']} <{source['from_address']}> ({source['at'].replace('T', ' ')}):\n"
                )
                out.update(mode=mode, source=source["key"], body=header + quoted)
                prefix = "Fwd: " if mode == "forward" else "Re: "
                subject = source["subject"]
                out["subject"] = subject if subject.lower().startswith(prefix.lower()) else prefix + subject
                if mode == "reply":
                    out["to"] = source["from_address"]
                elif mode == "reply_all":
                    others = [a for a in [source["from_address"], *source["to"]] if a != me]
                    out["to"] = ", ".join(dict.fromkeys(others))
                    out["cc"] = ", ".join(a for a in source["cc"] if a != me)
                else:
                    out["carried"] = source["attachments"]
        if values:
            for field in ("to", "cc", "bcc", "subject", "body"):
                if field in values:
                    out[field] = values[field]
            if "files" in values:
                out["files"] = values["files"]
        return out

    def guide(self, page, step=None):
        return GUIDES.get(page, [])


GUIDES = {
    "home": [
        ("mail-compose", _l("«Soạn thư»: viết một thư mới.")),
        ("mail-folders", _l("Các thư mục: Hộp thư đến, Thư đã gửi, Thư nháp, Thư rác, Thùng rác và thư mục của bạn.")),
        ("mail-search", _l("Tìm thư theo tiêu đề, người gửi hoặc nội dung.")),
        ("mail-list", _l("Danh sách thư. Xem địa chỉ thật của người gửi, không chỉ tên hiển thị.")),
        ("mail-settings", _l("«Cài đặt»: trả lời tự động khi vắng mặt.")),
    ],
    "message": [
        ("msg-from", _l("Người gửi: xem địa chỉ thật sau tên hiển thị. Thư công việc đến từ tên miền .gov.vn.")),
        ("msg-body", _l("Nội dung: thư lừa đảo thường thúc ép, dọa nạt, đòi bấm link hoặc nhập mật khẩu.")),
        ("msg-attachments", _l("Tệp đính kèm: không mở tệp lạ, nhất là tệp đuôi .exe, .zip, .js.")),
        ("msg-actions", _l("Trả lời, Trả lời tất cả, Chuyển tiếp, chuyển thư mục, báo cáo lừa đảo.")),
    ],
    "compose": [
        ("f-to", _l("Đến: người phải xử lý việc. Gõ vài chữ để chọn từ danh bạ.")),
        ("f-cc", _l("CC: người cần biết. Mọi người nhận đều thấy địa chỉ này.")),
        ("f-bcc", _l("BCC: người nhận ẩn, người khác không thấy địa chỉ.")),
        ("f-subject", _l("Tiêu đề: ngắn, nói rõ việc.")),
        ("f-body", _l("Nội dung: lời chào, việc cần làm, lời cuối.")),
        ("f-files", _l("Đính kèm: chọn đúng tệp; xem nhãn độ mật của tệp.")),
        ("f-send", _l("Kiểm tra lại rồi bấm «Gửi».")),
    ],
    "settings": [
        ("f-enabled", _l("Đánh dấu để bật trả lời tự động.")),
        ("f-start", _l("Từ ngày: ngày bạn bắt đầu vắng mặt.")),
        ("f-end", _l("Đến ngày: ngày cuối cùng bạn vắng mặt.")),
        ("f-body", _l("Nội dung: bạn vắng đến khi nào, việc gấp liên hệ ai.")),
        ("f-save", _l("Bấm «Lưu».")),
    ],
}

REPLICA = EmailReplica()
