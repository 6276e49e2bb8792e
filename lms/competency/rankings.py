"""Unit rankings (named queries over ``CompetencyRecord``)."""

from __future__ import annotations

from lms.org.models import UnitKind

BLOCKS = ("so", "huyen", "xa")
_BLOCK_OF_KIND = {
    UnitKind.SO_BAN_NGANH.value: "so",
    UnitKind.SU_NGHIEP.value: "so",
    UnitKind.HUYEN.value: "huyen",
    UnitKind.XA.value: "xa",
}


def block_of(kind) -> str:
    """The ranking block of a unit kind: sở/ban/ngành + sự nghiệp, huyện, xã."""
    return _BLOCK_OF_KIND[UnitKind(kind).value]
