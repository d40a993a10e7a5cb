"""Following nextToken: a token handed out again is followed (a server-side cursor keeps one for a
whole listing) until it leads nowhere new; then, and past the bound, the listing is a problem."""

from __future__ import annotations

import json

from amplify_conformance._paging import follow
from amplify_conformance._target import Exchange, Reply, SentRequest


def _answer(status: int, body: dict) -> Exchange:
    request = SentRequest("POST", "http://h/prod/backend/a/job/dev", {}, b"{}")
    return Exchange(request, (Reply(status, {"content-type": "application/json"}, json.dumps(body).encode()),))


def _pages(*pages: tuple[list[str], str | None]):
    """A target answering the given pages in turn, whatever token it is sent; what it was sent."""
    sent: list[str | None] = []

    def send(token: str | None) -> Exchange:
        jobs, next_token = pages[len(sent)]
        sent.append(token)
        return _answer(200, {"jobs": [{"jobId": j} for j in jobs], **({"nextToken": next_token} if next_token else {})})

    return send, sent


def test_one_token_for_the_whole_listing_is_followed_to_its_end():
    send, sent = _pages((["j1", "j2"], "cursor"), (["j3", "j4"], "cursor"), (["j5"], None))
    listing = follow(send, 10, max_results=2)
    assert [j["jobId"] for j in listing.jobs] == ["j1", "j2", "j3", "j4", "j5"]
    assert listing.problem is None and sent == [None, "cursor", "cursor"]


def test_a_token_that_leads_back_to_jobs_already_listed_goes_round():
    send, sent = _pages((["j1"], "t1"), (["j2"], "t1"), (["j2"], "t1"))
    listing = follow(send, 10)
    assert [j["jobId"] for j in listing.jobs] == ["j1", "j2"]
    assert "handed out nextToken 't1' again" in listing.problem and "paging goes round" in listing.problem
    assert len(sent) == 3


def test_new_tokens_each_page_and_the_bound():
    send, _ = _pages(*[([f"j{i}"], f"t{i}") for i in range(5)])
    listing = follow(send, 3)
    assert len(listing.jobs) == 3 and listing.problem == "nextToken paging did not end after 3 pages"


def test_what_ends_a_listing_early_is_said():
    listing = follow(lambda token: _answer(404, {"message": "no jobs"}), 5)
    assert listing.problem == "ListBackendJobs answered 404" and listing.jobs == []
    send, _ = _pages((["j1", "j2", "j3"], "t"))
    assert follow(send, 5, max_results=2).problem == "a page of 3 jobs for maxResults 2"
    send, _ = _pages((["j1"], None))
    assert follow(send, 5).problem is None
    bad = follow(lambda token: _answer(200, {"jobs": [], "nextToken": 7}), 5)
    assert bad.problem == "ListBackendJobs gave nextToken 7, not a string"
