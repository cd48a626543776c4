"""Pseudonymise worker identifiers at read time: keyed HMAC-SHA256, and birth dates to age bands.

A Social Work England number (SWENo, two letters and ten digits) has only ~6.8e12 possible
values: a plain (unkeyed) hash of it can be reversed by trying them all, so it is never used.
Instead the pseudonym is ``HMAC-SHA256(key, SWENo)`` truncated to 16 hex characters (64 bits;
collisions are negligible for any council or for England). Letters are upper-cased and
surrounding blanks removed before hashing, so ``ab1234567890`` and ``AB1234567890`` link.

Where the key comes from (first found wins):

1. the ``key`` argument of :func:`get_key` / :class:`Pseudonymiser`;
2. the environment variable ``SWANALYSIS_PSEUDO_KEY`` (any string; use a long random one; set
   but empty is an error, never a reason to make a new key);
3. the file named by ``SWANALYSIS_PSEUDO_KEY_FILE`` (likewise);
4. ``.swanalysis/pseudo.key`` in the current directory (``.swanalysis/`` is git-ignored);
5. ``$XDG_CONFIG_HOME/swanalysis/pseudo.key`` (default ``~/.config/swanalysis/pseudo.key``);
6. otherwise a new random 256-bit key is generated and written to the file in 5 (outside any
   repository, readable only by its owner).

Keep the key secret and keep using the same one: pseudonyms made with different keys do not
link (returns read next year must use this year's key to join up histories). Anyone holding
the key and a list of SWENos can re-identify workers, so the key never goes into the outputs,
a repository or an e-mail.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from .._lazy import lazy

np = lazy("numpy", globals(), "np")  # imported on first use: the pseudonyms themselves need neither
pd = lazy("pandas", globals(), "pd")

KEY_ENV = "SWANALYSIS_PSEUDO_KEY"
KEY_FILE_ENV = "SWANALYSIS_PSEUDO_KEY_FILE"
KEY_FILE_NAME = "pseudo.key"
PSEUDONYM_LENGTH = 16

AGE_BANDS = ("under 25", "25-29", "30-39", "40-49", "50-59", "60+", "unknown")
_AGE_EDGES = [float("-inf"), 25, 30, 40, 50, 60, float("inf")]
#: ages at the census outside this range are implausible for a social worker (age band unknown,
#: and a ``birth_date_implausible`` warning)
MIN_AGE, MAX_AGE = 16, 90


def user_key_file() -> Path:
    """Where the user's pseudonymisation key is kept ($XDG_CONFIG_HOME/swanalysis or ~/.config/swanalysis)."""
    base = os.environ.get("XDG_CONFIG_HOME") or (Path.home() / ".config")
    return Path(base) / "swanalysis" / KEY_FILE_NAME


def local_key_file() -> Path:
    """The project's own key file (./.swanalysis in the working directory)."""
    return Path.cwd() / ".swanalysis" / KEY_FILE_NAME


def _read_key_file(path: Path) -> bytes:
    data = path.read_bytes().strip()
    if not data:
        from ..errors import UserError

        raise UserError(f"pseudonymisation key file {path} is empty")
    return data


def get_key(key: str | bytes | None = None, *, create: bool = True) -> bytes:
    """Return the secret key (see the module docstring for where it comes from)."""
    if key is not None:
        return key.encode() if isinstance(key, str) else bytes(key)
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if not env.strip():
            from ..errors import UserError

            # an empty variable is a mistake (a failed `export KEY=$(cat ...)`), not a request for
            # a new key: a new key would silently break the link to every earlier run
            raise UserError(f"{KEY_ENV} is set but empty: put the pseudonymisation key in it, "
                            "or unset it to use the key file")
        return env.encode()
    env_file = os.environ.get(KEY_FILE_ENV)
    if env_file is not None:
        if not env_file.strip():
            from ..errors import UserError

            raise UserError(f"{KEY_FILE_ENV} is set but empty: name the key file, or unset it")
        path = Path(env_file).expanduser()
        if not path.exists():
            from ..errors import UserError

            raise UserError(f"{KEY_FILE_ENV} names {path}, which does not exist")
        return _read_key_file(path)
    for path in (local_key_file(), user_key_file()):
        if path.exists():
            return _read_key_file(path)
    if not create:
        from ..errors import UserError

        raise UserError(f"no pseudonymisation key: set {KEY_ENV} or create {user_key_file()}")
    path = user_key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    new = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(new + b"\n")
    return new


def normalise_sweno(value: str) -> str:
    """A SWENo as pseudonymised: surrounding spaces removed, upper case."""
    return value.strip().upper()


class Pseudonymiser:
    """Keyed HMAC-SHA256 pseudonyms, 16 hex characters. Caches values already seen."""

    def __init__(self, key: str | bytes | None = None):
        self._key = get_key(key)
        self._cache: dict[str, str] = {}

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymiser(<key hidden>)"

    def pseudonym(self, sweno: str) -> str:
        """The worker's pseudonym: keyed HMAC-SHA256 of the normalised SWENo, 16 hex characters."""
        norm = normalise_sweno(sweno)
        out = self._cache.get(norm)
        if out is None:
            out = hmac.digest(self._key, norm.encode("utf-8"), "sha256").hex()[:PSEUDONYM_LENGTH]
            self._cache[norm] = out
        return out

    __call__ = pseudonym

    def series(self, values: pd.Series) -> pd.Series:
        """Pseudonymise a Series of identifiers (missing stays missing); hashes each unique once."""
        arr = values.to_numpy(dtype=object)
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        key, cache = self._key, self._cache
        out_u = np.empty(len(uniques), dtype=object)
        for i, u in enumerate(uniques):
            norm = normalise_sweno(str(u))
            p = cache.get(norm)
            if p is None:
                p = cache[norm] = hmac.digest(key, norm.encode("utf-8"), "sha256").hex()[:PSEUDONYM_LENGTH]
            out_u[i] = p
        out = np.where(codes >= 0, out_u[np.maximum(codes, 0)] if len(uniques) else None, None)
        return pd.Series(out, index=values.index, dtype=object)


def pseudonymise(values, key: str | bytes | None = None):
    """Pseudonymise one identifier (str) or a Series of them."""
    p = Pseudonymiser(key)
    if isinstance(values, pd.Series):
        return p.series(values)
    return p.pseudonym(values)


def completed_years(born, at):
    """Completed years from ``born`` to ``at``: two dates, or two Series' ``.dt`` accessors
    (elementwise; anything with ``year``, ``month`` and ``day``)."""
    before_birthday = (at.month < born.month) | ((at.month == born.month) & (at.day < born.day))
    return at.year - born.year - before_birthday


def implausible_age(age):
    """An age at the census under MIN_AGE or over MAX_AGE (a birth date after the census gives a
    negative age); elementwise, as :func:`completed_years`."""
    return (age < MIN_AGE) | (age > MAX_AGE)


def age_in_years(birth_dates, at_dates) -> pd.Series:
    """Completed years of age at ``at_dates`` (vectorised; NaN where unknown)."""
    b = pd.to_datetime(pd.Series(birth_dates), errors="coerce")
    a = pd.to_datetime(pd.Series(at_dates, index=b.index) if not isinstance(at_dates, pd.Series)
                       else at_dates, errors="coerce")
    return completed_years(b.dt, a.dt).astype(float)


def age_band(birth_dates, at_dates) -> pd.Series:
    """Age band (`under 25`, `25-29`, `30-39`, `40-49`, `50-59`, `60+`, `unknown`) at a date.

    Ages below 16 or above 90 are implausible for a social worker and become `unknown`.
    """
    age = age_in_years(birth_dates, at_dates)
    age = age.where((age >= MIN_AGE) & (age <= MAX_AGE))
    bands = pd.cut(age, _AGE_EDGES, right=False, labels=list(AGE_BANDS[:-1]))
    return bands.astype(object).where(bands.notna(), "unknown")
