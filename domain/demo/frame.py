"""Shared state and small vectorised helpers for the demo data generators."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from faker import Faker

EPOCH = np.datetime64("1970-01-01T00:00:00", "s")


@dataclass
class Frame:
    """The generator's world: one seeded RNG, the history window and name pools."""

    seed: int
    customers: int
    years: int
    today: date
    rng: np.random.Generator = field(init=False)
    faker: Faker = field(init=False)
    start: date = field(init=False)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    pools: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.faker = Faker(["en_GB", "de_DE", "fr_FR", "nl_NL", "en_US"])
        self.faker.seed_instance(self.seed)
        self.start = self.today - timedelta(days=365 * self.years)
        self.first_names = np.array([self.faker.first_name() for _ in range(600)])
        self.last_names = np.array([self.faker.last_name() for _ in range(900)])
        self.companies = np.array([self.faker.company() for _ in range(1500)])

    @property
    def days(self) -> int:
        return (self.today - self.start).days

    def day_offsets_to_instants(
        self, days: np.ndarray, seconds: np.ndarray, *, planned: bool = False
    ) -> pd.Series:
        """UTC instants from day offsets after `start` plus seconds within the day.

        Things that happened are capped at midnight starting `today`: the seeder runs at
        any hour, and an event generated for today at 18:00 would otherwise lie in the
        future of every query made before then. The cap is monotone, so an instant that
        precedes another still does. `planned` instants (expected arrivals) may lie ahead.
        """
        base = np.datetime64(self.start.isoformat(), "s")
        values = base + days.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
        if not planned:
            values = np.minimum(values, np.datetime64(self.today.isoformat(), "s"))
        return pd.Series(pd.to_datetime(values).tz_localize(UTC))

    def day_offsets_to_dates(self, days: np.ndarray) -> pd.Series:
        base = np.datetime64(self.start.isoformat(), "D")
        return pd.Series(base + days.astype("timedelta64[D]")).dt.date

    def business_seconds(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Times of day between 07:00 and 19:00, when people place orders and call (drawn
        from `rng` when a generator keeps its own stream)."""
        return (rng or self.rng).integers(7 * 3600, 19 * 3600, size=n)

    def pick(self, pool: np.ndarray, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        return pool[(rng or self.rng).integers(0, len(pool), size=n)]

    def person_names(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.pick(self.first_names, n), self.pick(self.last_names, n)


# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"})


def email_address(*parts: object, domain: str) -> str:
    """`part.part…@domain` in plain ASCII (é → e, ß → ss; spaces and apostrophes dropped):
    what browsers' email fields and the API's tokens accept, as real mailboxes are."""
    local = ".".join(str(part).lower() for part in parts).translate(_UNDECOMPOSED)
    local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    return f"{re.sub(r'[^a-z0-9.-]', '', local)}@{domain}"


def cents_to_text(cents: np.ndarray) -> pd.Series:
    """Exact decimal text for integer cents (no floats anywhere near money)."""
    signed = pd.Series(np.asarray(cents, dtype=np.int64))
    series = signed.abs()
    sign = pd.Series(np.where(signed < 0, "-", ""))
    return sign + series.floordiv(100).astype(str) + "." + series.mod(100).astype(str).str.zfill(2)


def round_half_up_div(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounding half away from zero, for non-negative numerators."""
    return (np.asarray(numerator, dtype=np.int64) * 2 + denominator) // (2 * denominator)


def round_robin(
    values: tuple[str, ...], n: int, rng: np.random.Generator, p: list[float]
) -> np.ndarray:
    """Random values with probabilities `p`, but the first len(values) rows cover every value.

    Small demo databases (tests) still contain every status this way.
    """
    drawn = rng.choice(np.array(values, dtype=object), size=n, p=p)
    head = min(n, len(values))
    drawn[:head] = np.array(values, dtype=object)[:head]
    return drawn


def now_utc() -> datetime:
    return datetime.now(UTC)


def ints_where(values: np.ndarray | pd.Series, mask: np.ndarray | pd.Series) -> pd.Series:
    """Integer column that is NULL where `mask` is false (written as empty in CSV, never 5.0)."""
    series = pd.Series(np.asarray(values)).astype("Int64")
    return series.where(np.asarray(mask, dtype=bool), pd.NA)
