"""Feature packages add their endpoints to the authorization matrix in ``matrix_<package>.py``.

Each such module defines ``EXPECTED`` (endpoint -> "public" | "any" | set of role names) and may
define ``values(session, users) -> dict`` giving real ids for the URL arguments its endpoints take
(objects belonging to ``users["official"]`` / the unit of ``users["unit_head"]``).
"""

import importlib
import pkgutil
from pathlib import Path


def _modules():
    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("matrix_") and info.name != "matrix_extra":
            yield importlib.import_module(f"tests.security.{info.name}")


def expected() -> dict:
    out: dict = {}
    for module in _modules():
        out.update(module.EXPECTED)
    return out


def values(session, users) -> dict:
    out: dict = {}
    for module in _modules():
        if hasattr(module, "values"):
            out.update(module.values(session, users))
    return out
