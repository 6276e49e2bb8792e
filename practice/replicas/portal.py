"""Replica of a component e-portal's editor (trang quản trị cổng thông tin điện tử thành phần).

As lessons 2, 3 and 5 of the portal course teach it (NĐ 42/2022/NĐ-CP; NĐ 30/2020/NĐ-CP, Phụ lục II
for capitalisation): write a page (title, summary, body, category), attach files from "your
computer" (a list given by the scenario: a text PDF, a scanned one, a Word file...), add images with
alt text and caption, save a draft, send it for approval; an approver publishes now, schedules a
time, or returns it; outdated pages are found by their last update, corrected (with a correction
note when facts change), hidden rather than deleted. Nothing is published anywhere.
"""

from __future__ import annotations

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
    is_all_caps,
    keyed,
    lacks_diacritics,
    vn_moment,
)

FILE_KINDS = {
    "pdf": _l("PDF có chữ (tìm kiếm được)"),
    "pdf_scan": _l("PDF ảnh chụp (không tìm kiếm được)"),
    "docx": _l("Word (DOCX)"),
    "odt": _l("OpenDocument (ODT)"),
    "xlsx": _l("Bảng tính (XLSX)"),
    "jpg": _l("Ảnh JPG"),
    "png": _l("Ảnh PNG"),
    "zip": _l("Tệp nén (ZIP)"),
}
IMAGE_KINDS = ("jpg", "png")
STATUS = {
    "draft": _l("Bản nháp"),
    "pending": _l("Chờ duyệt"),
    "returned": _l("Bị trả lại để sửa"),
    "scheduled": _l("Hẹn giờ đăng"),
    "published": _l("Đã đăng"),
    "hidden": _l("Đã gỡ bỏ (ẩn)"),
    "deleted": _l("Đã xóa"),
}
SENT = ("pending", "scheduled", "published")
DEFAULT_CATEGORIES = [
    ("tin-hoat-dong", "Tin hoạt động", False),
    ("thong-bao", "Thông báo", False),
    ("gioi-thieu", "Giới thiệu cơ quan", True),
    ("van-ban", "Văn bản quy phạm pháp luật và văn bản chỉ đạo điều hành", True),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính", True),
    ("ke-hoach", "Chiến lược, kế hoạch, quy hoạch", True),
    ("tai-chinh", "Báo cáo tài chính, ngân sách", True),
    ("tiep-can-thong-tin", "Tiếp cận thông tin", True),
    ("lay-y-kien", "Lấy ý kiến dự thảo văn bản", True),
]


def file_label(info: dict) -> str:
    """'name (kind: description)', as the "files on your computer" list shows a file."""
    described = f": {info['description']}" if info["description"] else ""
    return f"{info['name']} ({FILE_KINDS[info['kind']]}{described})"


def _read_page(key: str, node: Spec, categories: dict, files: dict, people: dict) -> dict:
    node.only(
        "key", "title", "summary", "body", "category", "status", "attachments", "updated_on", "author", "publish_at"
    )
    status = node.choice("status", [s for s in STATUS if s != "deleted"], required=False, default="published")
    page = {
        "key": key,
        "title": node.text("title"),
        "summary": node.text("summary", required=False),
        "body": node.text("body", multiline=True),
        "category": node.ref("category", categories, "category"),
        "status": status,
        "attachments": node.refs("attachments", files, "file"),
        "images": [],
        "updated_on": node.day("updated_on"),
        "author": node.text("author", required=False),
        "publish_at": node.moment("publish_at", required=status == "scheduled"),
        "corrections": [],
        "return_note": None,
        "history": [],
        "initial_body": None,
    }
    page["initial_body"] = page["body"]
    return page


def _history(state: dict, page: dict, action: str, detail: str = "") -> None:
    page["history"].append({"at": state["clock"], "action": action, "detail": detail})


def _page(state: dict, form: Form) -> dict:
    page = state["pages"].get(form.get("page"))
    if page is None or page["status"] == "deleted":
        raise ActionError(_l("Không tìm thấy tin bài này."), "page")
    return page


def _need_approver(state: dict) -> None:
    if not state["can_approve"]:
        raise ActionError(_l("Tài khoản của bạn là biên tập viên: việc này do người duyệt làm."))


def save_page(state: dict, form: Form, ctx) -> Outcome:
    key = form.get("page")
    if key:
        page = _page(state, form)
        if page["status"] in ("pending", "scheduled") and not state["can_approve"]:
            raise ActionError(_l("Tin đang chờ duyệt: không sửa được cho đến khi người duyệt trả lại."))
    title = form.required("title", _l("Hãy nhập tiêu đề."))
    body = form.required("body", _l("Hãy nhập nội dung."), multiline=True)
    category = form.get("category")
    if category not in state["categories"]:
        raise ActionError(_l("Hãy chọn chuyên mục."), "category")
    if not key:
        key = f"tin-moi-{state['next_page']}"
        state["next_page"] += 1
        page = {
            "key": key,
            "title": "",
            "summary": "",
            "body": "",
            "category": category,
            "status": "draft",
            "attachments": [],
            "images": [],
            "updated_on": state["today"],
            "author": state["people"][state["me"]]["name"],
            "publish_at": None,
            "corrections": [],
            "return_note": None,
            "history": [],
            "initial_body": None,
            "created": True,
        }
        state["pages"][key] = page
        state["page_order"].insert(0, key)
        _history(state, page, "create")
    else:
        _history(state, page, "edit")
    was_public = page["status"] == "published"
    page.update(title=title, summary=form.get("summary", multiline=True), body=body, category=category)
    page["updated_on"] = state["today"]
    if page["status"] in ("published", "hidden", "returned", "pending", "scheduled"):
        page["status"] = "draft"
    if form.flag("submit_now"):
        page["status"] = "pending"
        _history(state, page, "submit")
        return Outcome(_l("Đã lưu và gửi duyệt."), "edit", key)
    if was_public:
        return Outcome(_l("Đã lưu. Trang chuyển về bản nháp: hãy gửi duyệt để đăng lại."), "edit", key)
    return Outcome(_l("Đã lưu bản nháp."), "edit", key)


def attach(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    file = form.get("file")
    if file not in state["files"] or state["files"][file]["kind"] in IMAGE_KINDS:
        raise ActionError(_l("Hãy chọn một tệp tài liệu trong danh sách."), "file")
    if file not in page["attachments"]:
        page["attachments"].append(file)
    _history(state, page, "attach", state["files"][file]["name"])
    return Outcome(_l("Đã đính kèm tệp %(name)s.", name=state["files"][file]["name"]), "edit", page["key"])


def detach(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    file = form.get("file")
    if file not in page["attachments"]:
        raise ActionError(_l("Tệp này không có trong tin."), "file")
    page["attachments"].remove(file)
    _history(state, page, "detach", state["files"][file]["name"])
    return Outcome(_l("Đã bỏ tệp %(name)s.", name=state["files"][file]["name"]), "edit", page["key"])


def add_image(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    file = form.get("image")
    if file not in state["files"] or state["files"][file]["kind"] not in IMAGE_KINDS:
        raise ActionError(_l("Hãy chọn một ảnh trong danh sách."), "image")
    page["images"].append({"file": file, "alt": form.get("alt"), "caption": form.get("caption")})
    _history(state, page, "image", state["files"][file]["name"])
    return Outcome(_l("Đã chèn ảnh."), "edit", page["key"])


def remove_image(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    try:
        del page["images"][int(form.get("index"))]
    except (ValueError, IndexError):
        raise ActionError(_l("Không tìm thấy ảnh này.")) from None
    return Outcome(_l("Đã bỏ ảnh."), "edit", page["key"])


def submit(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    if page["status"] not in ("draft", "returned"):
        raise ActionError(_l("Chỉ gửi duyệt được bản nháp."))
    page["status"] = "pending"
    _history(state, page, "submit")
    return Outcome(_l("Đã gửi duyệt."), "edit", page["key"])


def publish(state: dict, form: Form, ctx) -> Outcome:
    _need_approver(state)
    page = _page(state, form)
    if page["status"] not in ("pending", "scheduled", "draft", "hidden"):
        raise ActionError(_l("Tin này không ở trạng thái đăng được."))
    page["status"] = "published"
    page["publish_at"] = state["clock"]
    page["updated_on"] = state["today"]
    _history(state, page, "publish")
    return Outcome(_l("Đã duyệt và đăng tin."), "edit", page["key"])


def schedule(state: dict, form: Form, ctx) -> Outcome:
    _need_approver(state)
    page = _page(state, form)
    if page["status"] not in ("pending", "draft", "scheduled"):
        raise ActionError(_l("Tin này không ở trạng thái hẹn giờ được."))
    at = form.moment("at", _l("Hãy chọn ngày và giờ đăng (ngày/tháng/năm giờ:phút)."))
    if at <= state["clock"]:
        raise ActionError(_l("Giờ hẹn phải sau lúc này."), "at")
    page["status"] = "scheduled"
    page["publish_at"] = at
    _history(state, page, "schedule", vn_moment(at))
    return Outcome(_l("Đã hẹn giờ đăng lúc %(at)s.", at=vn_moment(at)), "edit", page["key"])


def return_page(state: dict, form: Form, ctx) -> Outcome:
    _need_approver(state)
    page = _page(state, form)
    note = form.required("note", _l("Hãy ghi lý do trả lại."), multiline=True)
    page["status"] = "returned"
    page["return_note"] = note
    _history(state, page, "return", note)
    return Outcome(_l("Đã trả lại tin để sửa."), "edit", page["key"])


def hide(state: dict, form: Form, ctx) -> Outcome:
    _need_approver(state)
    page = _page(state, form)
    page["status"] = "hidden"
    _history(state, page, "hide")
    return Outcome(_l("Đã gỡ bỏ trang khỏi cổng; trang vẫn được lưu lại."), "edit", page["key"])


def delete(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    page["status"] = "deleted"
    state["page_order"].remove(page["key"])
    _history(state, page, "delete")
    return Outcome(_l("Đã xóa hẳn trang."), "home")


def correction(state: dict, form: Form, ctx) -> Outcome:
    page = _page(state, form)
    text = form.required("text", _l("Hãy ghi nội dung đính chính."), multiline=True)
    page["corrections"].append({"on": state["today"], "text": text})
    if page["status"] in ("published", "hidden"):
        page["status"] = "draft"
    _history(state, page, "correction", text)
    return Outcome(_l("Đã thêm dòng đính chính. Gửi duyệt để đăng lại."), "edit", page["key"])


# -- checks ------------------------------------------------------------------------------------------


def _title(page: dict) -> str:
    return page["title"] or "…"


def _candidates(state: dict, params: dict) -> list[dict]:
    if params.get("page"):
        return [state["pages"][params["page"]]]
    return [p for p in state["pages"].values() if p.get("created")]


class PagePosted(CheckKind):
    name = "page_posted"
    label = _l("Tin bài được viết đúng, đúng chuyên mục, có tệp cần thiết và được gửi đi")
    keys = (
        "page",
        "category",
        "title_contains",
        "title_max_words",
        "summary",
        "body_contains",
        "attachments",
        "wrong_attachments",
        "status",
    )
    conditions = {
        "no_page": _l("Chưa có tin bài mới nào. Dùng «Viết tin mới» ở trang danh sách tin bài."),
        "deleted": _l("Tin «%(title)s» đã bị xóa."),
        "wrong_category": _l("Xem lại ô «Chuyên mục» của tin «%(title)s»: thông tin này phải đăng ở chuyên mục nào?"),
        "title_words": _l("Tiêu đề «%(title)s» chưa nói rõ việc gì, ở đâu. Xem lại ô «Tiêu đề» và nhiệm vụ."),
        "title_caps": _l("Tiêu đề «%(title)s» viết toàn chữ in hoa. Chỉ viết hoa chữ đầu câu và tên riêng."),
        "title_long": _l("Tiêu đề «%(title)s» quá dài. Tiêu đề nên ngắn, khoảng 10 đến 20 chữ."),
        "no_diacritics": _l("Tin «%(title)s» viết thiếu dấu tiếng Việt. Luôn viết tiếng Việt có dấu."),
        "no_summary": _l("Tin «%(title)s» chưa có đoạn tóm tắt (sapo). Xem lại ô «Tóm tắt»."),
        "body_words": _l("Nội dung tin «%(title)s» còn thiếu thông tin người đọc cần. Đọc lại nhiệm vụ."),
        "missing_attachment": _l("Tin «%(title)s» chưa đính kèm tệp cần có. Xem lại phần «Tệp đính kèm»."),
        "wrong_attachment": _l(
            "Tin «%(title)s» đính kèm tệp %(file)s không phù hợp. Xem lại loại tệp: người đọc có tìm kiếm, sao "
            "chép được không?"
        ),
        "not_sent": _l("Tin «%(title)s» vẫn là bản nháp: chưa gửi duyệt."),
        "not_published": _l("Tin «%(title)s» chưa được đăng."),
    }

    def params(self, spec, setup):
        status = spec.choice("status", ("sent", "published", "pending"), required=False, default="sent")
        return {
            "page": spec.ref("page", setup["pages"], "page", required=False),
            "category": spec.ref("category", setup["categories"], "category"),
            "title_contains": spec.texts("title_contains"),
            "title_max_words": spec.integer("title_max_words", 25, minimum=3),
            "summary": spec.flag("summary", True),
            "body_contains": spec.texts("body_contains"),
            "attachments": spec.refs("attachments", setup["files"], "file"),
            "wrong_attachments": spec.refs("wrong_attachments", setup["files"], "file"),
            "status": status,
        }

    def evaluate(self, state, params):
        candidates = _candidates(state, params)
        if not candidates:
            return [Failure("no_page")]
        best = None
        for page in candidates:
            failures = self._one(state, page, params)
            if best is None or len(failures) < len(best):
                best = failures
        return best

    def _one(self, state, page, params):
        args = {"title": _title(page)}
        if page["status"] == "deleted":
            return [Failure("deleted", args)]
        failures = []
        if page["category"] != params["category"]:
            failures.append(Failure("wrong_category", args))
        if contains_words(page["title"], params["title_contains"]):
            failures.append(Failure("title_words", args))
        if is_all_caps(page["title"]):
            failures.append(Failure("title_caps", args))
        if len(page["title"].split()) > params["title_max_words"]:
            failures.append(Failure("title_long", args))
        if lacks_diacritics(page["title"]) or lacks_diacritics(page["body"]):
            failures.append(Failure("no_diacritics", args))
        if params["summary"] and not page["summary"].strip():
            failures.append(Failure("no_summary", args))
        if contains_words(page["body"], params["body_contains"]):
            failures.append(Failure("body_words", args))
        if any(f not in page["attachments"] for f in params["attachments"]):
            failures.append(Failure("missing_attachment", args))
        for file in page["attachments"]:
            if file in params["wrong_attachments"]:
                failures.append(Failure("wrong_attachment", {**args, "file": state["files"][file]["name"]}))
        wanted = {"sent": SENT, "published": ("published",), "pending": ("pending",)}[params["status"]]
        if page["status"] not in wanted:
            if page["status"] in ("draft", "returned") or params["status"] != "published":
                failures.append(Failure("not_sent", args))
            else:
                failures.append(Failure("not_published", args))
        return failures


class Scheduled(CheckKind):
    name = "scheduled"
    label = _l("Tin «%(title)s» được duyệt và hẹn giờ đăng đúng lúc")
    keys = ("page", "at")
    conditions = {
        "published_now": _l("Tin «%(title)s» đã đăng ngay, không theo giờ hẹn. Xem nút «Hẹn giờ đăng»."),
        "not_scheduled": _l("Tin «%(title)s» chưa được hẹn giờ đăng: xem mục «Chờ duyệt»."),
        "wrong_time": _l("Giờ hẹn đăng tin «%(title)s» là %(at)s. Đọc lại ngày giờ trong nhiệm vụ."),
    }

    def params(self, spec, setup):
        return {"page": spec.ref("page", setup["pages"], "page"), "at": spec.moment("at")}

    def label_args(self, state, params):
        return {"title": _title(state["pages"][params["page"]])}

    def evaluate(self, state, params):
        page = state["pages"][params["page"]]
        args = {"title": _title(page)}
        if page["status"] == "published":
            return [Failure("published_now", args)]
        if page["status"] != "scheduled":
            return [Failure("not_scheduled", args)]
        if page["publish_at"] != params["at"]:
            return [Failure("wrong_time", {**args, "at": vn_moment(page["publish_at"])})]
        return []


class PageUpdated(CheckKind):
    name = "page_updated"
    label = _l("Trang «%(title)s» được sửa cho đúng và gửi đi")
    keys = ("page", "must_contain", "must_not_contain", "correction_contains", "status")
    conditions = {
        "deleted": _l("Trang «%(title)s» đã bị xóa. Trang này cần được sửa, không xóa."),
        "hidden": _l("Trang «%(title)s» đã bị gỡ bỏ. Trang này cần được sửa để người dân vẫn đọc được."),
        "old_value": _l("Trang «%(title)s» vẫn còn thông tin cũ «%(value)s». Tìm hết chỗ cần sửa trong nội dung."),
        "new_missing": _l("Trang «%(title)s» chưa có thông tin mới. Đọc lại nhiệm vụ để biết thông tin đúng."),
        "no_correction": _l(
            "Trang «%(title)s» sửa một thông tin sai nhưng chưa có dòng «Đính chính» cho người đọc biết."
        ),
        "not_sent": _l("Trang «%(title)s» đã sửa nhưng vẫn là bản nháp: chưa gửi duyệt."),
        "not_published": _l("Trang «%(title)s» chưa được đăng lại."),
    }

    def params(self, spec, setup):
        return {
            "page": spec.ref("page", setup["pages"], "page"),
            "must_contain": spec.texts("must_contain", required=True),
            "must_not_contain": spec.texts("must_not_contain"),
            "correction_contains": spec.texts("correction_contains") if spec.has("correction_contains") else None,
            "status": spec.choice("status", ("sent", "published"), required=False, default="sent"),
        }

    def label_args(self, state, params):
        return {"title": _title(state["pages"][params["page"]])}

    def evaluate(self, state, params):
        page = state["pages"][params["page"]]
        args = {"title": _title(page)}
        if page["status"] == "deleted":
            return [Failure("deleted", args)]
        if page["status"] == "hidden":
            return [Failure("hidden", args)]
        failures = []
        text = f"{page['title']}\n{page['summary']}\n{page['body']}"
        folded = fold(text)
        for old in params["must_not_contain"]:
            if fold(old) in folded:
                failures.append(Failure("old_value", {**args, "value": old}))
        if contains_words(text, params["must_contain"]):
            failures.append(Failure("new_missing", args))
        if params["correction_contains"] is not None:
            notes = " ".join(c["text"] for c in page["corrections"])
            if not page["corrections"] or contains_words(notes, params["correction_contains"]):
                failures.append(Failure("no_correction", args))
        wanted = SENT if params["status"] == "sent" else ("published",)
        if page["status"] not in wanted:
            failures.append(Failure("not_sent" if page["status"] in ("draft", "returned") else "not_published", args))
        return failures


class PageHidden(CheckKind):
    name = "page_hidden"
    label = _l("Trang đã cũ được gỡ bỏ, trang còn hiệu lực vẫn được đăng")
    keys = ("page", "keep")
    conditions = {
        "deleted": _l(
            "Trang «%(title)s» đã bị xóa hẳn. Khi chưa có ý kiến lãnh đạo, chỉ gỡ bỏ (ẩn) trang để còn lưu vết."
        ),
        "still_public": _l("Trang «%(title)s» vẫn đang hiện trên cổng. Xem ngày cập nhật và nội dung của trang này."),
        "keep_hidden": _l(
            "Trang «%(title)s» cần được giữ trên cổng nhưng không còn hiện. Xem lại trạng thái của trang."
        ),
    }

    def params(self, spec, setup):
        return {
            "page": spec.ref("page", setup["pages"], "page"),
            "keep": spec.refs("keep", setup["pages"], "page"),
        }

    def evaluate(self, state, params):
        page = state["pages"][params["page"]]
        failures = []
        if page["status"] == "deleted":
            failures.append(Failure("deleted", {"title": _title(page)}))
        elif page["status"] != "hidden":
            failures.append(Failure("still_public", {"title": _title(page)}))
        for key in params["keep"]:
            kept = state["pages"][key]
            if kept["status"] != "published":
                failures.append(Failure("keep_hidden", {"title": _title(kept)}))
        return failures


class ImageDescribed(CheckKind):
    name = "image_described"
    label = _l("Ảnh trong tin có mô tả thay thế và chú thích")
    keys = ("page", "image", "caption_contains")
    conditions = {
        "no_page": _l("Chưa có tin bài mới nào. Dùng «Viết tin mới»."),
        "no_image": _l("Tin «%(title)s» chưa có ảnh. Xem phần «Chèn ảnh»."),
        "no_alt": _l("Ảnh trong tin «%(title)s» chưa có mô tả thay thế. Người khiếm thị cần dòng mô tả này."),
        "alt_filename": _l(
            "Mô tả thay thế của ảnh trong tin «%(title)s» chỉ là tên tệp hoặc «ảnh». Hãy tả nội dung ảnh."
        ),
        "no_caption": _l("Ảnh trong tin «%(title)s» chưa có chú thích: ai, làm gì, ở đâu, ngày nào."),
    }

    def params(self, spec, setup):
        image = spec.ref("image", setup["files"], "file")
        if setup["files"][image]["kind"] not in IMAGE_KINDS:
            raise spec.error(f"'{image}' is not an image file", "image")
        return {
            "page": spec.ref("page", setup["pages"], "page", required=False),
            "image": image,
            "caption_contains": spec.texts("caption_contains"),
        }

    def evaluate(self, state, params):
        candidates = [p for p in _candidates(state, params) if p["status"] != "deleted"]
        if not candidates:
            return [Failure("no_page")]
        best = None
        for page in candidates:
            failures = self._one(state, page, params)
            if best is None or len(failures) < len(best):
                best = failures
        return best

    def _one(self, state, page, params):
        args = {"title": _title(page)}
        images = [i for i in page["images"] if i["file"] == params["image"]]
        if not images:
            return [Failure("no_image", args)]
        image = images[-1]
        failures = []
        alt = fold(image["alt"])
        name = fold(state["files"][params["image"]]["name"])
        if not alt.strip():
            failures.append(Failure("no_alt", args))
        elif alt.strip() in (name, name.rsplit(".", 1)[0]) or len(alt.split()) < 3:
            failures.append(Failure("alt_filename", args))
        if not image["caption"].strip() or contains_words(image["caption"], params["caption_contains"]):
            failures.append(Failure("no_caption", args))
        return failures


class PortalReplica(Replica):
    app = "portal"
    actions = {
        a.name: a
        for a in (
            Action("save_page", save_page, "edit"),
            Action("attach", attach, "edit"),
            Action("detach", detach, "edit"),
            Action("add_image", add_image, "edit"),
            Action("remove_image", remove_image, "edit"),
            Action("submit", submit, "edit"),
            Action("publish", publish, "edit"),
            Action("schedule", schedule, "edit"),
            Action("return", return_page, "edit"),
            Action("hide", hide, "edit"),
            Action("delete", delete, "edit"),
            Action("correction", correction, "edit"),
        )
    }
    checks = {k.name: k for k in (PagePosted(), Scheduled(), PageUpdated(), PageHidden(), ImageDescribed())}

    def read_setup(self, spec: Spec) -> dict:
        spec.only("today", "site", "people", "me", "can_approve", "approver", "categories", "files", "pages")
        people = {}
        for key, node in keyed(spec.items("people"), "person").items():
            node.only("key", "name", "title")
            people[key] = {"name": node.text("name"), "title": node.text("title", required=False)}
        categories = {}
        if spec.has("categories"):
            for key, node in keyed(spec.items("categories"), "category").items():
                node.only("key", "name", "required")
                categories[key] = {"name": node.text("name"), "required": node.flag("required")}
        else:
            categories = {k: {"name": n, "required": r} for k, n, r in DEFAULT_CATEGORIES}
        files = {}
        for key, node in keyed(spec.items("files", required=False), "file").items():
            node.only("key", "name", "kind", "size_kb", "description")
            files[key] = {
                "name": node.text("name"),
                "kind": node.choice("kind", list(FILE_KINDS)),
                "size_kb": node.integer("size_kb", 200, minimum=1),
                "description": node.text("description", required=False),
            }
        pages = {
            key: _read_page(key, node, categories, files, people)
            for key, node in keyed(spec.items("pages", required=False), "page").items()
        }
        return {
            "app": "portal",
            "today": spec.day("today"),
            "site": spec.text("site"),
            "people": people,
            "me": spec.ref("me", people, "person"),
            "can_approve": spec.flag("can_approve"),
            "approver": spec.text("approver", required=False),
            "categories": categories,
            "cat_order": list(categories),
            "files": files,
            "file_order": list(files),
            "pages": pages,
            "page_order": list(pages),
            "next_page": 1,
        }

    def personalise(self, state, name, email):
        if name:
            state["people"][state["me"]]["name"] = name

    def page(self, state, name, key, args=None, values=None, errors=None):
        args = args or {}
        base = {
            "state": state,
            "errors": errors or {},
            "values": values or {},
            "files": state["files"],
            "L": LABELS,
            "category_options": [(k, state["categories"][k]["name"]) for k in state["cat_order"]],
            "file_options": lambda keys: [(k, file_label(state["files"][k])) for k in keys],
        }
        if name == "home":
            query = (args.get("q") or "").strip()
            category = args.get("category") if args.get("category") in state["categories"] else None
            pages = [state["pages"][k] for k in state["page_order"]]
            if category:
                pages = [p for p in pages if p["category"] == category]
            if query:
                needle = " ".join(fold(query).split())
                pages = [p for p in pages if needle in fold(f"{p['title']} {p['summary']} {p['body']}")]
            return "practice/portal/home.html", {**base, "pages": pages, "query": query, "category": category}
        if name in ("edit", "new"):
            page = None
            if name == "edit":
                page = state["pages"].get(key)
                if page is None or page["status"] == "deleted":
                    raise LookupError(key)
            return "practice/portal/edit.html", {
                **base,
                "page": page,
                "documents": [k for k in state["file_order"] if state["files"][k]["kind"] not in IMAGE_KINDS],
                "images": [k for k in state["file_order"] if state["files"][k]["kind"] in IMAGE_KINDS],
            }
        if name == "preview":
            page = state["pages"].get(key)
            if page is None or page["status"] == "deleted":
                raise LookupError(key)
            return "practice/portal/preview.html", {**base, "page": page}
        raise LookupError(name)

    def guide(self, page, step=None):
        return GUIDES.get(page, [])


GUIDES = {
    "home": [
        ("portal-new", _l("«Viết tin mới»: soạn một tin bài.")),
        ("portal-search", _l("Tìm tin bài theo vài chữ trong tiêu đề hoặc nội dung; lọc theo chuyên mục.")),
        ("portal-list", _l("Danh sách tin bài: trạng thái và ngày cập nhật. Trang lâu không cập nhật có thể đã cũ.")),
    ],
    "new": [
        ("f-category", _l("Chuyên mục: chọn đúng nơi đăng thông tin.")),
        ("f-title", _l("Tiêu đề: ngắn, rõ việc gì, ở đâu; không viết toàn chữ in hoa.")),
        ("f-summary", _l("Tóm tắt (sapo): 2-3 câu: ai, làm gì, khi nào, ở đâu.")),
        ("f-body", _l("Nội dung: câu ngắn, mỗi đoạn một ý.")),
        ("f-save", _l("Bấm «Lưu», rồi đính kèm tệp và gửi duyệt.")),
    ],
    "edit": [
        ("f-category", _l("Chuyên mục: chọn đúng nơi đăng thông tin.")),
        ("f-title", _l("Tiêu đề: ngắn, rõ việc gì, ở đâu; không viết toàn chữ in hoa.")),
        ("f-body", _l("Nội dung: sửa đúng chỗ thông tin đã cũ.")),
        ("f-save", _l("Bấm «Lưu», hoặc «Lưu và gửi duyệt».")),
        ("portal-attach", _l("Tệp đính kèm: chọn tệp trên máy rồi bấm «Đính kèm».")),
        ("portal-image", _l("Chèn ảnh: chọn ảnh, ghi mô tả thay thế và chú thích.")),
        ("portal-workflow", _l("Gửi duyệt, duyệt và đăng, hẹn giờ đăng, gỡ bỏ, đính chính.")),
    ],
}

LABELS = {"status": STATUS, "kinds": FILE_KINDS}

REPLICA = PortalReplica()
