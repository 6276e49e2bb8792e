"""Sample configs for every question type, built the way the importers build them."""

from __future__ import annotations

import copy
from typing import Any

from quizzes import qtypes

RAW: dict[str, dict[str, Any]] = {
    "single": {
        "options": [
            {"text": "Hà Nội", "fraction": 1.0, "feedback": "<b>Đúng</b> rồi"},
            {"text": "Huế", "fraction": 0.0, "feedback": "Chưa đúng"},
            {"text": "Đà Nẵng", "fraction": -0.5, "feedback": ""},
        ]
    },
    "multi": {
        "options": [
            {"text": "A", "fraction": 0.5, "feedback": "fa"},
            {"text": "B", "fraction": 0.5, "feedback": "fb"},
            {"text": "C", "fraction": -1.0, "feedback": "fc"},
            {"text": "D", "fraction": 0.0, "feedback": ""},
        ]
    },
    "truefalse": {"correct": False, "feedback_right": "Giỏi", "feedback_wrong": "Sai rồi"},
    "shortanswer": {
        "answers": [
            {"text": "thư điện tử", "fraction": 1.0, "feedback": "Đúng"},
            {"text": "email*", "fraction": 0.5, "feedback": "Gần đúng"},
        ],
        "case_sensitive": False,
        "fold_diacritics": True,
    },
    "numerical": {
        "answers": [
            {"value": 3.14, "tolerance": 0.01, "fraction": 1.0, "feedback": "Chính xác"},
            {"min": 3.0, "max": 3.3, "fraction": 0.5, "feedback": "Gần"},
        ],
        "other_feedback": "Sai",
    },
    "matching": {
        "pairs": [
            {"text": "Canada", "answer": "Ottawa"},
            {"text": "Ý", "answer": "Rome"},
            {"text": "Nhật", "answer": "Tokyo"},
        ],
        "answers": [{"text": "Ottawa"}, {"text": "Rome"}, {"text": "Tokyo"}, {"text": "Chat"}],
    },
    "ordering": {"items": [{"text": "Một"}, {"text": "Hai"}, {"text": "Ba"}, {"text": "Bốn"}]},
}


def build(qtype: str) -> dict[str, Any]:
    """A validated config with ids, as an importer would produce it."""
    config = copy.deepcopy(RAW[qtype])
    pending = [p.pop("answer") for p in config.get("pairs", [])] if qtype == "matching" else []
    qtypes.assign_ids(qtype, config, f"sample-{qtype}")
    if qtype == "matching":
        ids = {a["text"]: a["id"] for a in config["answers"]}
        for pair, text in zip(config["pairs"], pending, strict=True):
            pair["answer"] = ids[text]
    assert qtypes.get_type(qtype).validate(config) == []
    return config


def opt(config: dict[str, Any], text: str, key: str = "options") -> str:
    """The id of the option whose text is ``text``."""
    return next(o["id"] for o in config[key] if o["text"] == text)


def right_answer(qtype: str, config: dict[str, Any]) -> Any:
    """A full-marks answer for each sample."""
    if qtype == "single":
        return opt(config, "Hà Nội")
    if qtype == "multi":
        return [opt(config, "A"), opt(config, "B")]
    if qtype == "truefalse":
        return False
    if qtype == "shortanswer":
        return "Thu  Dien tu"
    if qtype == "numerical":
        return "3,14"
    if qtype == "matching":
        return {p["id"]: p["answer"] for p in config["pairs"]}
    if qtype == "ordering":
        return {item["id"]: n for n, item in enumerate(config["items"], start=1)}
    raise AssertionError(qtype)
