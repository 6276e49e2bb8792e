"""What other features may use of competency: everything else in the package is private.

``lagging_units`` and ``lagging_officials``: who most needs training on a topic (training proposes
them as the targets of a session).
"""

from competency.lagging import LaggingOfficial, LaggingUnit, lagging_officials, lagging_units

__all__ = ["LaggingOfficial", "LaggingUnit", "lagging_officials", "lagging_units"]
