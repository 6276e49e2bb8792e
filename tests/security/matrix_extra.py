"""Feature packages add their endpoints to the authorization matrix here.

``EXPECTED`` maps endpoint -> "public" | "any" | set of role names; ``values(users)`` gives real
ids for the URL arguments those endpoints take.
"""

EXPECTED: dict[str, object] = {}


def values(users) -> dict:
    return {}
