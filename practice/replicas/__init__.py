"""The replicas, by application: ``REPLICAS["qlvb"]``, ``REPLICAS["portal"]``, ``REPLICAS["email"]``."""

from practice.replicas import email, portal, qlvb
from practice.replicas.base import ActionError, Replica, SpecError

REPLICAS: dict[str, Replica] = {r.app: r for r in (qlvb.REPLICA, portal.REPLICA, email.REPLICA)}

__all__ = ["REPLICAS", "ActionError", "Replica", "SpecError"]
