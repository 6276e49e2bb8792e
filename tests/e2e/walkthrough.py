"""Screenshots of a walk-through, one per step, for a person to look at the walk afterwards:
``tests/e2e/walkthrough-shots/<test>/NN-step.png`` (git ignores the folder)."""

from __future__ import annotations

import re
from pathlib import Path

SHOTS = Path(__file__).resolve().parent / "walkthrough-shots"


class Walk:
    def __init__(self, page, test_name: str):
        self.page = page
        self.folder = SHOTS / re.sub(r"[^\w-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.number = 0

    def shot(self, step: str) -> Path:
        """Save the page as it is now (call it after an ``expect`` saw the step's result)."""
        self.number += 1
        path = self.folder / f"{self.number:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
