"""What a run is asked to do (RunOptions), and the one place that says which options make sense
together; the runner and every shell (CLI, pytest entry, parity) build one and validate it here."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import amplify_openapi as spec

from . import _checks as C

URL_SETTLE = 10.0  # default settle bound against a URL (CONTRACT 'Asynchrony')
MODEL_DOSE = 20  # the default run's model-based sequences
EMULATOR_SETTLE = 5.0  # the embedded emulator's quirks settle within 2 s
# The seed of a run given none: every example, sequence and round derives from it, so the same
# implementation gets the same verdict run after run. A campaign (fuzz) given none explores instead.
DEFAULT_SEED = 20250101
RANDOM_SEED = "random"  # RunOptions.seed asking for a fresh random seed (named in the report)
SEED_SOURCES = ("default", "given", "random")  # report.json's seed_source


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None = None  # None: start the embedded emulator
    levels: tuple[str, ...] = C.LEVELS
    operations: tuple[str, ...] | None = None
    max_examples: int = 5  # schemathesis examples per operation and generation mode
    fuzz: bool = False  # long fuzzing: more examples, hostile identifiers
    # --- fuzzing campaigns: see _campaign.py
    duration: float | None = None  # seconds: with fuzz, keep generating until then (within time_budget)
    # with fuzz: a campaign of this many rounds per search, the same on any machine (and no longer
    # than duration, if both are given)
    rounds: int | None = None
    database: str | None = None  # folder of hypothesis's example database: failing examples replayed first
    stateful: bool = True
    # model-based sequences (R8.sequences) per round: a short seeded dose by default, 0 for none
    model: int = MODEL_DOSE
    workers: int | None = None  # None: auto (see _auto_workers)
    # None: DEFAULT_SEED, or a fresh random one with fuzz; RANDOM_SEED: a fresh random one
    seed: int | str | None = None
    # where a seed given as a number came from, when a shell derived it from a default or random
    # one (the pytest entry's shards); None: it was given
    seed_source: str | None = None
    timeout: float = 10.0  # seconds for one exchange in total: connect, status line, headers, body
    retries: int = 10  # sends again of a 429 or 504, within PATIENCE seconds of backoff (R9)
    rate_limit: float | None = None  # requests a second at most, over every worker (None: as fast as answered)
    time_budget: float = 900.0  # seconds for the whole run; then it stops sending (cleanup gets cleanup_time)
    # seconds the cleanup may take after the time budget, or after an interrupt (then it names what is left)
    cleanup_time: float = 10.0
    # folder of the ledger of what the run creates, written as it goes (created-RUNID.jsonl), for
    # `amplify-conformance cleanup` after a run that died; None: no ledger
    ledger_dir: str | None = None
    app_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sigv4: bool = False
    region: str = "us-east-1"
    emulator_faults: frozenset[str] = frozenset()
    emulator_quirks: frozenset[str] = frozenset()  # conformant variations (amplify_emulator.quirks())
    emulator_stage: str = "/prod"
    # the embedded emulator's own 429s and 504s, so a default run exercises the retries (R9)
    emulator_throttle_rps: float | None = 1000.0
    emulator_error_rate: float = 0.01
    # seconds a read-back may poll before it judges (CONTRACT 'Asynchrony'); None: 10 against a
    # URL, EMULATOR_SETTLE against the embedded emulator
    settle: float | None = None


def resolve_seed(seed: int | str | None, fuzz: bool = False, source: str | None = None) -> tuple[int, str]:
    """The seed a run uses and where it came from ("default", "given" or "random"): none given is
    DEFAULT_SEED (a campaign's, with fuzz, is random: it explores), RANDOM_SEED a fresh one; a
    number is given, unless ``source`` says where it came from."""
    if seed == RANDOM_SEED or (seed is None and fuzz):
        return random.randrange(2**32), "random"
    if seed is None:
        return DEFAULT_SEED, "default"
    return int(seed), source or "given"


def parse_seed(text: str) -> int | str:
    """A seed as typed (--seed, the settings file, the pytest entry's --seed): a whole number from 0,
    or 'random'; ValueError saying what is wrong otherwise."""
    if text.strip().lower() == RANDOM_SEED:
        return RANDOM_SEED
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number or {RANDOM_SEED!r}") from None
    if number < 0:
        raise ValueError(f"{text!r} must be 0 or more (or {RANDOM_SEED!r})")
    return number


def check_seed(seed: object) -> None:
    """Raise ValueError unless ``seed`` is None, a whole number from 0 or RANDOM_SEED."""
    if seed is not None and seed != RANDOM_SEED and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ValueError(f"seed must be a whole number from 0, or {RANDOM_SEED!r}; not {seed!r}")


def validate(options: RunOptions) -> None:
    """Raise ValueError naming what is wrong with options that cannot make a run."""
    check_seed(options.seed)
    if options.seed_source not in (None, *SEED_SOURCES):
        raise ValueError(f"seed_source must be one of {', '.join(SEED_SOURCES)}; not {options.seed_source!r}")
    unknown = set(options.operations or ()) - {op.operation_id for op in spec.operations()}
    if unknown:
        raise ValueError(f"unknown operation(s): {', '.join(sorted(unknown))}")
    if options.base_url is not None:
        parts = urlsplit(options.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL {options.base_url!r} is not an http(s) URL such as https://host/prod")
    if options.duration is not None and (options.duration <= 0 or not options.fuzz):
        raise ValueError("a campaign's duration must be positive, and needs fuzz (--fuzz --duration 30m)")
    if options.model < 0:
        raise ValueError(f"model-based sequences must be 0 or more, not {options.model}")
    if options.rounds is not None and (options.rounds < 1 or not options.fuzz):
        raise ValueError("a campaign's rounds must be at least 1, and need fuzz (--fuzz --rounds 20)")
    if options.sigv4 and importlib.util.find_spec("botocore") is None:
        raise ValueError(
            "--sigv4 signs requests with botocore, which is not installed: "
            "pip install 'amplify-conformance[aws]' (or pip install botocore)"
        )
    if options.cleanup_time < 0:
        raise ValueError(f"the cleanup time must be 0 s or more, not {options.cleanup_time:g}")
    bad_levels = set(options.levels) - set(C.LEVELS)
    if bad_levels:
        raise ValueError(f"unknown level(s): {', '.join(sorted(bad_levels))}; known: {', '.join(C.LEVELS)}")
