"""One page of a long list, with the page links a template draws (``macros.html``'s pager).

The same shape as Flask-SQLAlchemy's ``Pagination`` (``items``, ``pages``, ``has_prev``/``has_next``,
``iter_pages``) for lists the features page themselves (a table built in Python, a count + slice query).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)

    def iter_pages(self, left_edge=1, right_edge=1, left_current=2, right_current=2):
        """Page numbers to link, ``None`` where a gap is shown (as Flask-SQLAlchemy's)."""
        last = 0
        for num in range(1, self.pages + 1):
            if (
                num <= left_edge
                or num > self.pages - right_edge
                or self.page - left_current <= num <= self.page + right_current
            ):
                if last + 1 != num:
                    yield None
                yield num
                last = num

    @classmethod
    def of(cls, items: list, page: int, per_page: int) -> Page:
        """The ``page``-th page of a whole list (clamped to the pages it has)."""
        total = len(items)
        page = min(max(1, page), max(1, math.ceil(total / per_page)))
        return cls(items[(page - 1) * per_page : page * per_page], page, per_page, total)
