"""Conformant variations: choices the contract leaves open or lets an implementation read two
ways, each switched on by name, so a test can prove that no check fails an implementation
that chose differently from the emulator's default. Faults break the contract; quirks never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import amplify_openapi


@dataclass(frozen=True)
class Quirk:
    """A conformant variation: what it does, and the contract sentence that allows it."""

    name: str
    description: str
    allows: str
    group: str | None = None  # quirks of one group exclude each other (one spelling per member)


_OPEN = "CONTRACT 'What the contract leaves open'"
RATE_LIMIT_PER_SECOND = 20.0  # the rate-limit quirk's bucket: its refill rate and its capacity
RATE_LIMIT_BURST = 40
LATENCY_SECONDS = (0.1, 0.2)  # the latency quirk's delay of each answer, drawn between these


def _rows() -> list[Quirk]:
    rows = []
    for group in amplify_openapi.spelling_groups():
        for spelling in group:
            others = ", ".join(s for s in group if s != spelling)
            rows.append(
                Quirk(
                    f"spelling-{spelling}",
                    f"follows only the spelling {spelling}; {others} are unknown members (ignored, not stored)",
                    "CONTRACT 'Spellings': an implementation may follow any one spelling and treat the others as"
                    " unknown members",
                    group=f"spelling:{group[0]}",
                )
            )
    rows += [
        Quirk(
            "exists-first",
            "an unknown appId is answered 404 before the body is parsed or validated (404 before 400)",
            "CONTRACT 'Precedence': where one request breaks two rules at once, any of the answers those rules"
            " allow is conformant",
        ),
        Quirk(
            "token-restart",
            "an unknown or stale nextToken restarts the listing from its start instead of a 400",
            f"{_OPEN}: what an unknown or stale nextToken gets (400, or the listing from its start)",
        ),
        Quirk(
            "short-pages",
            "a ListBackendJobs page holds about half of maxResults (at least one job)",
            "CONTRACT R8: a page holds at most maxResults jobs (it may hold fewer)",
        ),
        Quirk(
            "jobs-elsewhere",
            "CloneBackend records its job under the target environment; CreateBackendConfig under an environment"
            " of its own (amplifyconfig), which its answer names",
            f"{_OPEN}: which environment's listing holds the jobs of CloneBackend and of app-level operations",
        ),
        Quirk(
            "empty-listing-404",
            "ListBackendJobs of an environment without jobs is 404",
            f"{_OPEN}: what ListBackendJobs answers for an environment without jobs",
        ),
        Quirk(
            "picky",
            "400 for a string member over 256 characters, an empty array, or an appId or environment name in the"
            " path with a character outside A-Z a-z 0-9 - . _ ~ (jobId and sessionId are its own: any format)",
            f"{_OPEN}: whether unusual but well-typed values are accepted or answered 400 (never a 5xx)",
        ),
        Quirk("newest-first", "ListBackendJobs lists the newest job first", f"{_OPEN}: the order of jobs in a listing"),
        Quirk(
            "reorder-arrays",
            "every array in an answer comes back in reverse order",
            "CONTRACT R8: Get{...} echoes the submitted resourceConfig (array order is open)",
        ),
        Quirk(
            "gzip",
            "answers are gzip-compressed (Content-Encoding: gzip) when the request accepts gzip",
            f"{_OPEN}: content encoding (gzip when the client accepts it)",
        ),
        Quirk(
            "connection-close", "every answer carries Connection: close", f"{_OPEN}: persistent or closed connections"
        ),
        Quirk(
            "gateway-403",
            'unknown paths and undocumented methods get 403 {"message": "Missing Authentication Token"},'
            " as API Gateway answers",
            f"{_OPEN}: what unknown paths and undocumented methods get (404, 403 or 405, as API Gateway does)",
        ),
        Quirk(
            "error-type-uri",
            "x-amzn-ErrorType carries a ':' and a URI after the error name, and error bodies carry __type",
            "CONTRACT 'AWS wire conventions': AWS may append ':' and a URI, which clients strip; members the"
            " document does not list are tolerated (R2)",
        ),
        Quirk(
            "error-names-reference",
            "error answers name their model as the reference's Properties sections do"
            " (504: InternalServerErrorException)",
            "CONTRACT 'AWS wire conventions': x-amzn-ErrorType: <ErrorName>; the reference names the 504 model"
            " three ways (openapi/NOTES.md, row 2)",
            group="error-names",
        ),
        Quirk(
            "error-names-sdk",
            "error answers name their model as botocore does (429: TooManyRequestsException,"
            " 504: GatewayTimeoutException)",
            "CONTRACT 'AWS wire conventions': an implementation meant for AWS SDK clients (botocore reads the"
            " error class from x-amzn-ErrorType)",
            group="error-names",
        ),
        Quirk(
            "extra-members",
            "every object of every answer carries an undocumented extra member",
            "CONTRACT R2: members that the document does not list are tolerated",
        ),
        Quirk(
            "omit-optional",
            "200 answers leave out every optional member the rules do not ask for (createTime, error, ttl, ...)",
            f"{_OPEN}: which optional members appear in an answer",
        ),
        Quirk("lowercase-headers", "every header name is sent in lower case", f"{_OPEN}: header-name case"),
        Quirk(
            "charset",
            "Content-Type is application/json; charset=utf-8",
            "CONTRACT R2: application/json (parameters such as charset allowed)",
        ),
        Quirk(
            "chunked",
            "bodies are sent with chunked transfer encoding in several chunks, without Content-Length",
            f"{_OPEN}: chunked or sized bodies",
        ),
        Quirk(
            "pretty-json",
            "answers are indented JSON with raw (unescaped) non-ASCII text in messages",
            f"{_OPEN}: pretty or compact JSON",
        ),
        Quirk(
            "long-ids",
            "jobId, sessionId and challengeCode are 200 characters or more, with '-', '.', '_' and '~'",
            f"{_OPEN}: identifier formats and lengths",
        ),
        Quirk(
            "flaky",
            "about 4% of requests are answered 429 and 4% 504 (seeded), OPTIONS excepted",
            "CONTRACT R9: 429 and 504 are legitimate answers at any time",
        ),
        Quirk(
            "async-jobs",
            "each job starts IN_PROGRESS and completes 1-2 s later; a status set by UpdateBackendJob stays as set",
            "CONTRACT 'Asynchrony': a job's status may pass through intermediate values before its final one",
        ),
        Quirk(
            "eventual",
            "reads (Get*, List*) see the state as it was 0.3 s earlier; writes act on the latest state;"
            " what never existed is 404 at once",
            "CONTRACT 'Asynchrony': what a 200 answer announces may take a few seconds to become visible",
        ),
        Quirk("slow", "every answer is delayed 1-6 ms (seeded)", f"{_OPEN}: latency"),
        Quirk(
            "no-overwrite",
            "Create*, Import* and CreateBackend of a resource or environment that already exists are answered 400",
            f"{_OPEN}: what Create*, Import* or CreateBackend answer for a resource or environment that already"
            " exists (200, replacing it or keeping it, or 400)",
        ),
        Quirk(
            "update-resets",
            "Update{API,Auth,Storage} resets what it did not submit (kept only where the model requires a member)",
            "CONTRACT R8: Update{API,Auth,Storage} makes Get{...} show every member the update submitted"
            " (members it did not submit are open: kept or reset)",
        ),
        Quirk(
            "job-words",
            "jobs are called by the operation in kebab case (create-backend-auth) and pass from PENDING to SUCCEEDED",
            f"{_OPEN}: job status and operation values (what a job is called and which states it passes through)",
        ),
        Quirk(
            "default-page",
            "without maxResults, a ListBackendJobs page holds 2 jobs and a nextToken to the rest",
            f"{_OPEN}: how many jobs a page holds (any number when maxResults is absent, every job still listed"
            " across the pages)",
        ),
        Quirk(
            "opaque-tokens",
            "nextToken, jobId and sessionId are long and carry '+', '/', '=', ':' and '@'",
            f"{_OPEN}: identifier formats and lengths (nextToken included)",
        ),
        Quirk(
            "cursor-tokens",
            "a ListBackendJobs listing keeps one nextToken, a cursor the emulator holds, on every page; each use"
            " moves it to the next page, and it is stale once the last page is read",
            f"{_OPEN}: identifier formats (nextToken included), and what a stale nextToken gets",
        ),
        Quirk(
            "jobs-by-app",
            "GetBackendJob and UpdateBackendJob find a job through any environment of its app",
            "CONTRACT R8: whether GetBackendJob or UpdateBackendJob finds a job when the path names another"
            " environment of the same app is open (jobIds may be unique per app)",
        ),
        Quirk(
            "jobs-per-app",
            "jobIds are unique per app only: each app numbers its own jobs job-00001, job-00002, ... (the jobId"
            " RemoveAllBackends answers takes the next number), and an app made again after RemoveAllBackends"
            " starts again at job-00001, so two apps, and two lives of one app, hand out the same jobIds; a job"
            " is still known by app, environment and jobId, and no call of one app sees another's jobs. These"
            " jobIds keep their own format under long-ids and opaque-tokens (which still shape sessionIds and"
            " nextTokens)",
            f"{_OPEN}: identifier formats and lengths (jobIds may be unique per app)",
        ),
        Quirk(
            "late-deletes",
            "writes, like reads, see a delete 0.3 s late: a write (any operation but Get* and List*) that the"
            " live state answers 404 because what it names (an app, environment, API, Auth, Storage or session)"
            " was deleted less than 0.3 s ago is answered as the state of 0.3 s ago answers it (200) and changes"
            " nothing of the live state, except that the job its answer announces is recorded there while its app"
            " is there; reads (Get*, List*) see the state as it was 0.3 s earlier, as with eventual; a Create*"
            " after a delete creates again at once",
            "CONTRACT 'Asynchrony': what a 200 answer announces (a delete's too) may take a few seconds to show"
            " to later requests",
        ),
        Quirk(
            "omit-empty-arrays",
            "200 answers leave out every top-level array member of the response model that is empty"
            " (GetBackend's backendEnvironmentList, ListBackendJobs's jobs), even those omit-optional keeps;"
            " ListS3Buckets's buckets, which its model requires, stays",
            f"{_OPEN}: which optional members appear in an answer",
        ),
        Quirk(
            "resources-by-name",
            "an environment holds one API, Auth or Storage resource per category and resourceName: Create{API,"
            "Auth,Storage} store it under the body's resourceName, and Get, Update, Delete and the API's"
            " Generate/GetBackendAPIModels (all of which carry a resourceName) find it by theirs: 404 for a name"
            " no resource holds in that environment, though one of another name does; Import{Auth,Storage}"
            " carry no resourceName, so an imported resource is held unnamed and answers to any name no created"
            " resource of its category holds; CloneBackend copies them all, DeleteBackend removes them all",
            "CONTRACT 'Resource names': whether an environment holds one resource per category or one per name is open",
        ),
        Quirk(
            "rate-limit",
            f"a token bucket of {RATE_LIMIT_BURST} requests refilled at {RATE_LIMIT_PER_SECOND:g} a second, as AWS"
            " control-plane APIs throttle: a request beyond it is answered 429 LimitExceededException, about half"
            " of them with Retry-After (OPTIONS excepted)",
            "CONTRACT R9: an implementation may throttle any client that sends faster than it allows",
        ),
        Quirk(
            "latency",
            "every answer is delayed 100-200 ms (seeded), as a far-away region answers",
            f"{_OPEN}: latency",
        ),
    ]
    return rows


@cache
def quirks() -> dict[str, Quirk]:
    return {quirk.name: quirk for quirk in _rows()}


def incompatible(names: frozenset[str]) -> list[tuple[str, str]]:
    """Pairs of the given quirks that exclude each other."""
    chosen = sorted(names)
    table = quirks()
    return [
        (a, b)
        for i, a in enumerate(chosen)
        for b in chosen[i + 1 :]
        if table[a].group is not None and table[a].group == table[b].group
    ]


def compatible_set() -> frozenset[str]:
    """Every quirk at once, one per group (the last of each: the document's own spelling)."""
    picked: dict[str, str] = {}
    for quirk in quirks().values():
        picked[quirk.group or quirk.name] = quirk.name
    return frozenset(picked.values())


# quirks that only slow a run down (a far-away, throttling service): the combinations leave them out
SLOWING = frozenset({"slow", "latency", "rate-limit"})


def combinations() -> dict[str, frozenset[str]]:
    """The combinations of quirks the false-alarm tests and bench_quirks.py name: every compatible
    quirk at once, and smaller sets whose choices meet in one place of the contract (identifiers,
    deletes and names; jobs), where no other quirk stands in front of them."""
    return {
        "all compatible": compatible_set() - SLOWING,
        "ids, deletes and names": frozenset({"jobs-per-app", "late-deletes", "omit-empty-arrays", "resources-by-name"}),
        "jobs every way": frozenset({"jobs-per-app", "jobs-by-app", "jobs-elsewhere", "job-words", "async-jobs"}),
    }
