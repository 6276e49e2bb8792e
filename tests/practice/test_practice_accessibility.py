"""Every page of every replica, in every scenario, before and after its reference solution, passes the
basic accessibility audit (one h1, no skipped heading levels, every control labelled, lang set)."""

from __future__ import annotations

import pytest

from lms.auth.models import Role
from practice import services
from practice.loader import replay
from practice.replicas.qlvb import available_steps, can_see, manages_access
from tests.factories import login_as, make_user
from tests.practice.helpers import load_all_practice
from tests.test_accessibility import audit


def _pages(state: dict) -> list[str]:
    app = state["app"]
    if app == "qlvb":
        me = state["acting"]
        pages = ["app/", "app/home?tab=den", "app/home?tab=cho_xu_ly", "app/home?tab=di", "app/home?q=c", "app/new"]
        pages += ["app/settings"] + (["app/files"] if state["case_files"] else [])
        if manages_access(state, me):
            pages += ["app/access"] + [f"app/access/{k}" for k in state["order"]]
        for key in state["doc_order"]:
            if can_see(state, me, key):
                pages.append(f"app/doc/{key}")
                pages += [f"app/doc/{key}?step={step}" for step in available_steps(state, key)]
        return pages
    if app == "portal":
        return ["app/", "app/home?q=a", "app/new"] + [
            f"app/{view}/{key}" for key in state["page_order"] for view in ("edit", "preview")
        ]
    pages = ["app/", "app/compose", "app/settings"] + [f"app/home?folder={f}" for f in state["folders"]]
    for key, msg in state["messages"].items():
        pages.append(f"app/compose/{key}" if msg["folder"] == "drafts" else f"app/message/{key}")
        if not msg["mine"]:
            pages += [f"app/compose?mode={mode}&source={key}" for mode in ("reply", "reply_all", "forward")]
        pages += [f"app/attachment/{key}.{i}" for i in range(len(msg["attachments"]))]
        pages += [f"app/link/{key}.{i}" for i in range(len(msg["links"]))]
    return pages


@pytest.mark.parametrize("solved", [False, True], ids=["start", "solved"])
def test_every_replica_page_passes_the_audit(client, session, solved):
    scenarios = load_all_practice(session)
    user = make_user(session, Role.OFFICIAL)
    session.commit()
    login_as(client, user)
    problems, pages = [], 0
    for scenario in scenarios:
        run = services.start_run(session, user.official, scenario)
        if solved:
            replica = services.replica_of(scenario)
            run.state = replay(replica, scenario.spec["setup"], scenario.spec["solution"], user.official.full_name)
        session.commit()
        for path in [f"/practice/{scenario.id}", *(f"/practice/{scenario.id}/{p}" for p in _pages(run.state))]:
            response = client.get(path)
            assert response.status_code == 200, (scenario.slug, path, response.status_code)
            pages += 1
            problems += [f"{scenario.slug} {path}: {p}" for p in audit(response.text)]
    assert pages > 200
    assert problems == []
