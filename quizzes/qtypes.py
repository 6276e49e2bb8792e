"""Question types: a registry of pure classes (no Flask, no database).

Each type handles one ``config`` (a JSON-able dict stored with the question) and answers
(JSON-able values stored with the attempt):

=============  ==========================================  ==================================
type           config                                      answer
=============  ==========================================  ==================================
single         options[id, text, fraction, feedback]       "o3"
multi          options[id, text, fraction, feedback]       ["o1", "o4"]
truefalse      correct, feedback_right, feedback_wrong     True / False
shortanswer    answers[id, text, fraction, feedback],      "thư điện tử"
               case_sensitive, fold_diacritics
numerical      answers[id, value+tolerance | min+max,      "3,14" (raw text as typed)
               fraction, feedback], other_feedback
matching       pairs[id, text, answer], answers[id, text]  {"s1": "c2", "s2": "c1"}
ordering       items[id, text] in the correct order        {"i3": 1, "i1": 2}
=============  ==========================================  ==================================

Texts shown to learners (``text``, ``feedback``, pair ``text``, item ``text``) are sanitized HTML;
short answers and matching answers are plain text. Every type may also carry ``text_before`` and
``text_after`` (HTML) for the "missing word" layout, and ``shuffle`` (default true).

Option ids are assigned once, when the question is built (:func:`assign_ids`), from a permutation
seeded by the question's content: they are stable, short ("o1".."on") and say nothing about which
option is right. A new type is one class decorated with :func:`register`; :func:`grade_answer`
dispatches through the registry.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import nh3
from flask_babel import gettext, lazy_gettext

from lms.formatting import format_decimal

__all__ = [
    "QUESTION_TYPES",
    "Grade",
    "QuestionType",
    "assign_ids",
    "fold_text",
    "get_type",
    "grade_answer",
    "normalize_answer_text",
    "parse_number",
    "register",
]

EPSILON = 1e-9
WEIGHT_TOLERANCE = 0.01  # multi: the right answers' weights must sum to 100% +/- 1%
MAX_TEXT_ANSWER = 1000  # characters kept from a typed answer

STATE_CORRECT = "correct"
STATE_PARTIAL = "partial"
STATE_WRONG = "wrong"
STATE_UNANSWERED = "unanswered"


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one answer: ``fraction`` in [0, 1] and a state."""

    fraction: float
    state: str

    @classmethod
    def of(cls, fraction: float) -> Grade:
        fraction = _clamp(fraction)
        if fraction >= 1 - EPSILON:
            return cls(1.0, STATE_CORRECT)
        if fraction > EPSILON:
            return cls(fraction, STATE_PARTIAL)
        return cls(0.0, STATE_WRONG)

    @classmethod
    def unanswered(cls) -> Grade:
        return cls(0.0, STATE_UNANSWERED)


QUESTION_TYPES: dict[str, type[QuestionType]] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator adding a question type to :data:`QUESTION_TYPES` under ``cls.name``."""
    if not getattr(cls, "name", None):
        raise ValueError("A question type needs a name")
    QUESTION_TYPES[cls.name] = cls
    return cls


def get_type(qtype: str) -> type[QuestionType]:
    try:
        return QUESTION_TYPES[qtype]
    except KeyError:
        raise ValueError(f"Loại câu hỏi không được hỗ trợ: {qtype!r}") from None


def grade_answer(qtype: str, config: Mapping[str, Any], answer: Any) -> Grade:
    """Grade ``answer`` for a question of type ``qtype``; pure, never raises on a bad answer."""
    return get_type(qtype).grade(config, answer)


def assign_ids(qtype: str, config: dict[str, Any], seed: str) -> dict[str, Any]:
    """Give every option of ``config`` that has no id a stable, opaque id; returns ``config``."""
    return get_type(qtype).assign_ids(config, seed)


# --------------------------------------------------------------------------- text helpers


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


_WS = re.compile(r"\s+")


def fold_text(value: str) -> str:
    """Fold for lenient matching: NFC, lower case, no diacritics, đ -> d, whitespace collapsed.

    ``fold_text("Thư  Điện tử") == "thu dien tu"``.
    """
    value = unicodedata.normalize("NFD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    value = value.replace("đ", "d").replace("Đ", "D").lower()
    return _nfc(_WS.sub(" ", value).strip())


def normalize_answer_text(value: str, *, case_sensitive: bool = False, fold: bool = False) -> str:
    """Whitespace collapsed, NFC; lower case unless ``case_sensitive``; ``fold`` -> :func:`fold_text`
    (folding always ignores case)."""
    if fold:
        return fold_text(value)
    value = _nfc(_WS.sub(" ", value).strip())
    return value if case_sensitive else value.lower()


def plain_text(fragment: str) -> str:
    """Sanitized HTML -> plain text (for the review page and statistics)."""
    return _plain_text(str(fragment or ""))


@functools.lru_cache(maxsize=4096)
def _plain_text(fragment: str) -> str:
    # a pure function of the text: a new question version has new text, so a new entry; nothing to invalidate
    text = nh3.clean(fragment, tags=set())
    return _WS.sub(" ", html.unescape(text)).strip()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(value: Any) -> float | None:
    """Parse a number typed by a learner: "3.14", "3,14" (Vietnamese decimal comma), "1.234,5",
    "-2", "1e3". Returns None for anything else (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if not text or len(text) > 100:
        return None
    if "," in text:
        if text.count(",") > 1:
            return None
        text = text.replace(".", "").replace(",", ".")  # 1.234,5 -> 1234.5
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return low
    if math.isnan(value):
        return low
    return max(low, min(high, value))


def _form_values(form: Any, key: str) -> list[str]:
    """All string values submitted under ``key`` in a MultiDict, a dict of lists or a dict of str."""
    try:
        if hasattr(form, "getlist"):
            raw = form.getlist(key)
        elif isinstance(form, Mapping):
            raw = form.get(key)
        else:
            return []
    except Exception:  # noqa: BLE001 - a strange mapping must not break grading
        return []
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, (list, tuple)):
        return [item for item in raw if isinstance(item, str)]
    return []


def _form_value(form: Any, key: str) -> str | None:
    values = _form_values(form, key)
    return values[0] if values else None


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _items(config: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = config.get(key) if isinstance(config, Mapping) else None
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("id")) for item in items if item.get("id") is not None]


def _layout_order(ids: list[str], layout: Any, key: str = "order") -> list[str]:
    """The ids in the order saved in ``layout``; unknown ids dropped, new ones appended."""
    saved = layout.get(key) if isinstance(layout, Mapping) else None
    known = set(ids)
    order = [i for i in saved if isinstance(i, str) and i in known] if isinstance(saved, list) else []
    seen = set(order)
    return order + [i for i in ids if i not in seen]


def _seeded_numbers(count: int, seed: str, taken: set[int]) -> list[int]:
    free = [n for n in range(1, count + len(taken) + 1) if n not in taken][:count]
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big"))
    rng.shuffle(free)
    return free


def _fill_ids(items: list[dict[str, Any]], prefix: str, seed: str) -> None:
    taken = set()
    for item in items:
        match = re.fullmatch(re.escape(prefix) + r"(\d+)", str(item.get("id", "")))
        if match:
            taken.add(int(match.group(1)))
    missing = [item for item in items if not item.get("id")]
    if not missing:
        return
    content = seed + "\x1f" + "\x1f".join(str(item.get("text", "")) for item in items)
    for item, number in zip(missing, _seeded_numbers(len(missing), content, taken), strict=True):
        item["id"] = f"{prefix}{number}"


def _check_ids(items: list[dict[str, Any]], errors: list[str]) -> None:
    ids = [item.get("id") for item in items]
    if any(not isinstance(i, str) or not i or not re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids):
        errors.append(gettext("Mỗi lựa chọn phải có mã (id) gồm chữ và số."))
    elif len(set(ids)) != len(ids):
        errors.append(gettext("Mã (id) của các lựa chọn bị trùng."))


def _check_fraction(value: Any, errors: list[str], label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors.append(gettext("Trọng số của %(what)s không phải là số.", what=label))
        return 0.0
    if not -1 - EPSILON <= value <= 1 + EPSILON:
        errors.append(gettext("Trọng số của %(what)s phải nằm trong khoảng từ -100%% đến 100%%.", what=label))
    return float(value)


def _public_base(qtype: str, config: Mapping[str, Any], text: str) -> dict[str, Any]:
    view: dict[str, Any] = {"type": qtype, "text": text}
    if isinstance(config, Mapping) and (config.get("text_before") or config.get("text_after")):
        view["text_before"] = str(config.get("text_before") or "")
        view["text_after"] = str(config.get("text_after") or "")
    return view


def _nonempty(values: list[Any]) -> list[str]:
    return [str(v) for v in values if isinstance(v, str) and v.strip()]


# --------------------------------------------------------------------------- base class


class QuestionType:
    """Interface of a question type. All methods are pure classmethods."""

    name: ClassVar[str] = ""
    label: ClassVar[object] = ""  # the name for the UI (lazily translated)
    id_fields: ClassVar[tuple[tuple[str, str], ...]] = ()  # (config key, id prefix)

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError

    @classmethod
    def assign_ids(cls, config: dict[str, Any], seed: str) -> dict[str, Any]:
        for key, prefix in cls.id_fields:
            _fill_ids(_items(config, key), prefix, f"{cls.name}\x1f{key}\x1f{seed}")
        return config

    @classmethod
    def prepare(cls, config: Mapping[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
        return {}

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        raise NotImplementedError

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        raise NotImplementedError

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return []

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return []

    @classmethod
    def shuffles(cls, config: Mapping[str, Any], shuffle: bool) -> bool:
        return bool(shuffle) and bool(config.get("shuffle", True) if isinstance(config, Mapping) else True)


# --------------------------------------------------------------------------- choice types


class _ChoiceBase(QuestionType):
    id_fields = (("options", "o"),)

    @classmethod
    def _options(cls, config: Mapping[str, Any]) -> list[dict[str, Any]]:
        return _items(config, "options")

    @classmethod
    def _validate_common(cls, config: Mapping[str, Any]) -> tuple[list[str], list[float]]:
        errors: list[str] = []
        options = cls._options(config)
        if len(options) < 2:
            errors.append(gettext("Câu hỏi lựa chọn phải có ít nhất 2 phương án."))
        _check_ids(options, errors)
        fractions = []
        for number, option in enumerate(options, start=1):
            if not isinstance(option.get("text"), str) or not option["text"].strip():
                errors.append(gettext("Phương án %(n)d không có nội dung.", n=number))
            fractions.append(_check_fraction(option.get("fraction", 0), errors, gettext("phương án %(n)d", n=number)))
        return errors, fractions

    @classmethod
    def prepare(cls, config: Mapping[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
        order = _ids(cls._options(config))
        if cls.shuffles(config, shuffle):
            rng.shuffle(order)
        return {"order": order}

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        by_id = {str(o.get("id")): o for o in cls._options(config)}
        view = _public_base(cls.name, config, text)
        view["options"] = [
            {"id": oid, "text": str(by_id[oid].get("text", ""))} for oid in _layout_order(list(by_id), layout)
        ]
        return view

    @classmethod
    def _fraction_of(cls, config: Mapping[str, Any], option_id: Any) -> float | None:
        for option in cls._options(config):
            if option.get("id") == option_id and isinstance(option_id, str):
                return _number(option.get("fraction"))
        return None

    @classmethod
    def _right_texts(cls, config: Mapping[str, Any]) -> list[str]:
        return [plain_text(o.get("text", "")) for o in cls._options(config) if _number(o.get("fraction")) > 0]


@register
class SingleChoice(_ChoiceBase):
    """One option to choose (radio buttons); also the "missing word" layout via text_before/after.

    The grade is the chosen option's fraction, clamped to [0, 1].
    """

    name = "single"
    label = lazy_gettext("Một lựa chọn")

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors, fractions = cls._validate_common(config)
        if fractions and not any(f >= 1 - EPSILON for f in fractions):
            errors.append(gettext("Câu hỏi chưa có đáp án đúng (phương án đạt 100%)."))
        return errors

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> str | None:
        value = _form_value(form, prefix)
        return value if value is not None and cls._fraction_of(config, value) is not None else None

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        if not isinstance(answer, str) or not answer:
            return Grade.unanswered()
        fraction = cls._fraction_of(config, answer)
        return Grade.of(fraction or 0.0)

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        best = [plain_text(o.get("text", "")) for o in cls._options(config) if _number(o.get("fraction")) >= 1]
        return "; ".join(best)

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return _nonempty([o.get("feedback") for o in cls._options(config) if o.get("id") == answer])

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return [answer] if cls._fraction_of(config, answer) is not None else []


@register
class MultipleChoice(_ChoiceBase):
    """Several options may be chosen (checkboxes). Each option has a fraction in [-1, 1];
    the grade is the sum of the chosen options' fractions, clamped to [0, 1]."""

    name = "multi"
    label = lazy_gettext("Nhiều lựa chọn")

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors, fractions = cls._validate_common(config)
        positive = sum(f for f in fractions if f > 0)
        if fractions and positive <= 0:
            errors.append(gettext("Câu hỏi chưa có đáp án đúng (phương án có trọng số dương)."))
        elif fractions and abs(positive - 1) > WEIGHT_TOLERANCE:
            errors.append(
                gettext("Tổng trọng số các đáp án đúng là %(p)s%%, phải bằng 100%%.", p=f"{positive * 100:g}")
            )
        return errors

    @classmethod
    def _chosen(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        if isinstance(answer, str):
            answer = [answer]
        if not isinstance(answer, (list, tuple)):
            return []
        wanted = {a for a in answer if isinstance(a, str)}
        return [oid for oid in _ids(cls._options(config)) if oid in wanted]

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> list[str] | None:
        values = set(_form_values(form, prefix))
        for oid in _ids(cls._options(config)):
            if _form_value(form, f"{prefix}-{oid}") not in (None, "", "0", "false"):
                values.add(oid)
        chosen = cls._chosen(config, list(values))
        return chosen or None

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        chosen = cls._chosen(config, answer)
        if not chosen:
            return Grade.unanswered()
        return Grade.of(sum(cls._fraction_of(config, oid) or 0.0 for oid in chosen))

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        return "; ".join(cls._right_texts(config))

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        chosen = set(cls._chosen(config, answer))
        return _nonempty([o.get("feedback") for o in cls._options(config) if o.get("id") in chosen])

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return cls._chosen(config, answer)


@register
class TrueFalse(QuestionType):
    """True or false. ``feedback_right`` is shown for the right choice, ``feedback_wrong`` otherwise."""

    name = "truefalse"
    label = lazy_gettext("Đúng/Sai")

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        if not isinstance(config, Mapping) or not isinstance(config.get("correct"), bool):
            return [gettext("Câu hỏi Đúng/Sai phải cho biết đáp án đúng là Đúng hay Sai.")]
        return []

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        view = _public_base(cls.name, config, text)
        view["options"] = [{"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"}]
        return view

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> bool | None:
        return {"true": True, "false": False}.get(_form_value(form, prefix) or "")

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        if not isinstance(answer, bool):
            return Grade.unanswered()
        return Grade.of(1.0 if answer is config.get("correct") else 0.0)

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        return "Đúng" if config.get("correct") is True else "Sai"

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        if not isinstance(answer, bool):
            return []
        key = "feedback_right" if answer is config.get("correct") else "feedback_wrong"
        return _nonempty([config.get(key)])

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        return [("true" if answer else "false")] if isinstance(answer, bool) else []


# --------------------------------------------------------------------------- typed answers


@register
class ShortAnswer(QuestionType):
    """A typed word or phrase compared with accepted answers, in order; the first match gives its
    fraction (as in Moodle). ``*`` in an accepted answer matches any text; comparison ignores case
    unless ``case_sensitive``, and ignores diacritics (``thu dien tu`` = ``thư điện tử``) when
    ``fold_diacritics``. Whitespace is collapsed."""

    name = "shortanswer"
    label = lazy_gettext("Trả lời ngắn")
    id_fields = (("answers", "a"),)

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        answers = _items(config, "answers")
        if not answers:
            errors.append(gettext("Câu trả lời ngắn phải có ít nhất một đáp án được chấp nhận."))
        _check_ids(answers, errors)
        fractions = []
        for number, answer in enumerate(answers, start=1):
            if not isinstance(answer.get("text"), str) or not answer["text"].strip():
                errors.append(gettext("Đáp án %(n)d để trống.", n=number))
            fractions.append(_check_fraction(answer.get("fraction", 1), errors, gettext("đáp án %(n)d", n=number)))
        if answers and not any(f >= 1 - EPSILON for f in fractions):
            errors.append(gettext("Câu hỏi chưa có đáp án đúng (đáp án đạt 100%)."))
        return errors

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        return _public_base(cls.name, config, text)

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> str | None:
        value = _form_value(form, prefix)
        if value is None:
            return None
        value = _nfc(value.replace("\x00", "")).strip()[:MAX_TEXT_ANSWER]
        return value or None

    @classmethod
    def _normalize(cls, config: Mapping[str, Any], value: str) -> str:
        return normalize_answer_text(
            value,
            case_sensitive=bool(config.get("case_sensitive")),
            fold=bool(config.get("fold_diacritics")),
        )

    @classmethod
    def _matches(cls, config: Mapping[str, Any], pattern: str, response: str) -> bool:
        pattern = cls._normalize(config, pattern)
        if "*" not in pattern:
            return pattern == response
        parts = re.split(r"(?<!\\)\*", pattern)
        regex = ".*".join(re.escape(part.replace("\\*", "*")) for part in parts)
        return re.fullmatch(regex, response, flags=re.DOTALL) is not None

    @classmethod
    def matching_answer(cls, config: Mapping[str, Any], answer: Any) -> dict[str, Any] | None:
        if not isinstance(answer, str) or not answer.strip():
            return None
        response = cls._normalize(config, answer[:MAX_TEXT_ANSWER])
        for accepted in _items(config, "answers"):
            if isinstance(accepted.get("text"), str) and cls._matches(config, accepted["text"], response):
                return accepted
        return None

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        if not isinstance(answer, str) or not answer.strip():
            return Grade.unanswered()
        match = cls.matching_answer(config, answer)
        return Grade.of(_number(match.get("fraction"), 1.0) if match else 0.0)

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        return "; ".join(
            str(a.get("text")) for a in _items(config, "answers") if _number(a.get("fraction"), 1.0) >= 1 - EPSILON
        )

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        match = cls.matching_answer(config, answer)
        return _nonempty([match.get("feedback")]) if match else []

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        if not isinstance(answer, str) or not answer.strip():
            return []
        match = cls.matching_answer(config, answer)
        return [str(match.get("id"))] if match else [cls._normalize(config, answer)[:100]]


@register
class Numerical(QuestionType):
    """A number. Each accepted answer is ``value`` +/- ``tolerance`` or a range ``min``..``max``
    with its own fraction; the best fraction among the matching answers wins. "3,14" is read as
    3.14 (Vietnamese decimal comma). ``other_feedback`` is shown when nothing matches."""

    name = "numerical"
    label = lazy_gettext("Số")
    id_fields = (("answers", "n"),)

    @classmethod
    def bounds(cls, accepted: Mapping[str, Any]) -> tuple[float, float] | None:
        if "min" in accepted or "max" in accepted:
            low, high = parse_number(accepted.get("min")), parse_number(accepted.get("max"))
            if low is None or high is None or low > high:
                return None
            return low, high
        value, tolerance = parse_number(accepted.get("value")), parse_number(accepted.get("tolerance", 0))
        if value is None or tolerance is None or tolerance < 0:
            return None
        return value - tolerance, value + tolerance

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        answers = _items(config, "answers")
        if not answers:
            errors.append(gettext("Câu hỏi số phải có ít nhất một đáp án."))
        _check_ids(answers, errors)
        fractions = []
        for number, accepted in enumerate(answers, start=1):
            if cls.bounds(accepted) is None:
                errors.append(gettext("Đáp án %(n)d không phải là số hợp lệ (giá trị, sai số hoặc khoảng).", n=number))
            fractions.append(_check_fraction(accepted.get("fraction", 1), errors, gettext("đáp án %(n)d", n=number)))
        if answers and not any(f >= 1 - EPSILON for f in fractions):
            errors.append(gettext("Câu hỏi chưa có đáp án đúng (đáp án đạt 100%)."))
        return errors

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        return _public_base(cls.name, config, text)

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> str | None:
        value = _form_value(form, prefix)
        if value is None:
            return None
        value = value.strip()[:100]
        return value or None

    @classmethod
    def matching_answer(cls, config: Mapping[str, Any], answer: Any) -> dict[str, Any] | None:
        number = parse_number(answer)
        if number is None:
            return None
        best, best_fraction = None, -math.inf
        for accepted in _items(config, "answers"):
            bounds = cls.bounds(accepted)
            if bounds is None:
                continue
            slack = EPSILON * max(1.0, abs(bounds[0]), abs(bounds[1]))
            if bounds[0] - slack <= number <= bounds[1] + slack:
                fraction = _number(accepted.get("fraction"), 1.0)
                if fraction > best_fraction:
                    best, best_fraction = accepted, fraction
        return best

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
            return Grade.unanswered()
        if isinstance(answer, str) and not answer.strip():
            return Grade.unanswered()
        match = cls.matching_answer(config, answer)
        return Grade.of(_number(match.get("fraction"), 1.0) if match else 0.0)

    @classmethod
    def describe(cls, accepted: Mapping[str, Any]) -> str:
        def number(x) -> str:  # the reader's decimal mark, every digit kept, no grouping ("5,5", never "5.0")
            return format_decimal(x, 9, trim=True, group=False) if isinstance(x, (int, float)) else str(x)

        if "min" in accepted or "max" in accepted:
            return f"{number(accepted.get('min'))}..{number(accepted.get('max'))}"
        tolerance = _number(accepted.get("tolerance"))
        value = accepted.get("value")
        return f"{number(value)} ± {number(tolerance)}" if tolerance else number(value)

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        return "; ".join(
            cls.describe(a) for a in _items(config, "answers") if _number(a.get("fraction"), 1.0) >= 1 - EPSILON
        )

    @classmethod
    def feedback_for(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        if answer is None or answer == "":
            return []
        match = cls.matching_answer(config, answer)
        return _nonempty([match.get("feedback") if match else config.get("other_feedback")])

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        match = cls.matching_answer(config, answer)
        if match:
            return [str(match.get("id"))]
        number = parse_number(answer)
        return [f"{number:g}"] if number is not None else []


# --------------------------------------------------------------------------- structured answers


@register
class Matching(QuestionType):
    """Sub-questions each matched to one answer from a shared list (one <select> per sub-question).
    Answers not used by any sub-question are distractors. Grade = share of sub-questions matched
    right. The list of answers is always shown shuffled (or sorted), never in the pairs' order."""

    name = "matching"
    label = lazy_gettext("Ghép đôi")
    id_fields = (("pairs", "s"), ("answers", "c"))

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        pairs, answers = _items(config, "pairs"), _items(config, "answers")
        if len(pairs) < 2:
            errors.append(gettext("Câu hỏi ghép đôi phải có ít nhất 2 cặp."))
        _check_ids(pairs + answers, errors)
        answer_ids = set(_ids(answers))
        for number, pair in enumerate(pairs, start=1):
            if not isinstance(pair.get("text"), str) or not pair["text"].strip():
                errors.append(gettext("Vế trái của cặp %(n)d để trống.", n=number))
            if pair.get("answer") not in answer_ids:
                errors.append(gettext("Cặp %(n)d không có vế phải hợp lệ.", n=number))
        texts = [a.get("text") for a in answers]
        if any(not isinstance(t, str) or not t.strip() for t in texts):
            errors.append(gettext("Có vế phải để trống."))
        elif len(set(texts)) != len(texts):
            errors.append(gettext("Các vế phải bị trùng nhau."))
        return errors

    @classmethod
    def prepare(cls, config: Mapping[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
        subs = _ids(_items(config, "pairs"))
        answers = _items(config, "answers")
        if cls.shuffles(config, shuffle):
            rng.shuffle(subs)
            choices = _ids(answers)
            rng.shuffle(choices)
        else:
            choices = [str(a["id"]) for a in sorted(answers, key=lambda a: str(a.get("text", "")).casefold())]
        return {"order": subs, "choices": choices}

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        pairs = {str(p.get("id")): p for p in _items(config, "pairs")}
        answers = {str(a.get("id")): a for a in _items(config, "answers")}
        if isinstance(layout, Mapping) and isinstance(layout.get("choices"), list):
            choice_order = _layout_order(list(answers), layout, "choices")
        else:
            choice_order = sorted(answers, key=lambda k: str(answers[k].get("text", "")).casefold())
        view = _public_base(cls.name, config, text)
        view["subquestions"] = [
            {"id": sid, "text": str(pairs[sid].get("text", ""))} for sid in _layout_order(list(pairs), layout)
        ]
        view["choices"] = [{"id": cid, "text": str(answers[cid].get("text", ""))} for cid in choice_order]
        return view

    @classmethod
    def _clean(cls, config: Mapping[str, Any], answer: Any) -> dict[str, str]:
        if not isinstance(answer, Mapping):
            return {}
        subs = set(_ids(_items(config, "pairs")))
        choices = set(_ids(_items(config, "answers")))
        return {
            k: v for k, v in answer.items() if isinstance(k, str) and k in subs and isinstance(v, str) and v in choices
        }

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> dict[str, str] | None:
        answer = {}
        for sid in _ids(_items(config, "pairs")):
            value = _form_value(form, f"{prefix}-{sid}")
            if value:
                answer[sid] = value
        return cls._clean(config, answer) or None

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        answer = cls._clean(config, answer)
        pairs = _items(config, "pairs")
        if not answer or not pairs:
            return Grade.unanswered()
        right = sum(1 for p in pairs if answer.get(str(p.get("id"))) == p.get("answer"))
        return Grade.of(right / len(pairs))

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        answers = {a.get("id"): str(a.get("text", "")) for a in _items(config, "answers")}
        return "; ".join(
            f"{plain_text(p.get('text', ''))} → {answers.get(p.get('answer'), '')}" for p in _items(config, "pairs")
        )

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        answer = cls._clean(config, answer)
        return [f"{sid}:{answer[sid]}" for sid in _ids(_items(config, "pairs")) if sid in answer]


@register
class Ordering(QuestionType):
    """Put items in order: one numbered <select> ("position 1..n") per item.

    Grading is by absolute position (Moodle's ABSOLUTE_POSITION): grade = share of items placed
    at their correct position. Positions are read independently, so giving two items the same
    position simply means at most one of them can be right. The items are shown in a uniformly
    random order, the correct one included: the answer is the positions chosen in lists that start
    empty, so the order shown answers nothing, while a rule such as "never the correct order" tells
    the learner something (with two items, the answer: it was always the reverse)."""

    name = "ordering"
    label = lazy_gettext("Sắp xếp thứ tự")
    id_fields = (("items", "i"),)

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        items = _items(config, "items")
        if len(items) < 2:
            errors.append(gettext("Câu hỏi sắp xếp phải có ít nhất 2 mục."))
        _check_ids(items, errors)
        for number, item in enumerate(items, start=1):
            if not isinstance(item.get("text"), str) or not item["text"].strip():
                errors.append(gettext("Mục %(n)d không có nội dung.", n=number))
        return errors

    @classmethod
    def prepare(cls, config: Mapping[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
        order = list(_ids(_items(config, "items")))
        rng.shuffle(order)  # every order equally likely (see the class docstring)
        return {"order": order}

    @classmethod
    def public_view(cls, config: Mapping[str, Any], layout: Any, text: str = "") -> dict[str, Any]:
        items = {str(i.get("id")): i for i in _items(config, "items")}
        ids = sorted(items)  # without a saved layout: by id (ids do not follow the correct order)
        view = _public_base(cls.name, config, text)
        view["items"] = [{"id": iid, "text": str(items[iid].get("text", ""))} for iid in _layout_order(ids, layout)]
        view["positions"] = list(range(1, len(items) + 1))
        return view

    @classmethod
    def _clean(cls, config: Mapping[str, Any], answer: Any) -> dict[str, int]:
        if not isinstance(answer, Mapping):
            return {}
        items = set(_ids(_items(config, "items")))
        clean = {}
        for key, value in answer.items():
            valid_key = isinstance(key, str) and key in items
            if valid_key and type(value) is int and 1 <= value <= len(items):
                clean[key] = value
        return clean

    @classmethod
    def parse(cls, form: Any, prefix: str, config: Mapping[str, Any], layout: Any) -> dict[str, int] | None:
        answer = {}
        for iid in _ids(_items(config, "items")):
            value = (_form_value(form, f"{prefix}-{iid}") or "").strip()
            if value.isascii() and value.isdigit() and len(value) < 4:
                answer[iid] = int(value)
        return cls._clean(config, answer) or None

    @classmethod
    def grade(cls, config: Mapping[str, Any], answer: Any) -> Grade:
        answer = cls._clean(config, answer)
        items = _ids(_items(config, "items"))
        if not answer or not items:
            return Grade.unanswered()
        right = sum(1 for position, iid in enumerate(items, start=1) if answer.get(iid) == position)
        return Grade.of(right / len(items))

    @classmethod
    def describe_right_answer(cls, config: Mapping[str, Any]) -> str:
        return " → ".join(plain_text(i.get("text", "")) for i in _items(config, "items"))

    @classmethod
    def response_keys(cls, config: Mapping[str, Any], answer: Any) -> list[str]:
        answer = cls._clean(config, answer)
        return [f"{iid}:{answer[iid]}" for iid in _ids(_items(config, "items")) if iid in answer]
