"""Keyed pseudonyms and age bands."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat

import pandas as pd
import pytest

from swanalysis.workerdata import pseudonymise as P


def test_hmac_matches_the_standard_construction_and_is_16_hex():
    got = P.pseudonymise("AB1234567890", key="secret-one")
    want = hmac.new(b"secret-one", b"AB1234567890", hashlib.sha256).hexdigest()[:16]
    assert got == want
    assert len(got) == 16 and all(c in "0123456789abcdef" for c in got)
    # not the (reversible) unkeyed hash
    assert got != hashlib.sha256(b"AB1234567890").hexdigest()[:16]


def test_same_key_same_pseudonym_different_key_different():
    a1 = P.Pseudonymiser("k1")
    a2 = P.Pseudonymiser(b"k1")
    b = P.Pseudonymiser("k2")
    ids = [f"SW{i:010d}" for i in range(200)]
    p1 = [a1(x) for x in ids]
    assert p1 == [a2(x) for x in ids]
    assert all(x != y for x, y in zip(p1, (b(x) for x in ids)))
    assert len(set(p1)) == 200


def test_case_and_blanks_normalised_and_series_keeps_missing():
    p = P.Pseudonymiser("k")
    assert p(" ab1234567890 ") == p("AB1234567890")
    s = p.series(pd.Series(["AB1234567890", None, "AB1234567890", "CD0000000001"]))
    assert s[0] == s[2] == p("AB1234567890") and s[1] is None and s[3] != s[0]


def test_repr_hides_key():
    assert "topsecret" not in repr(P.Pseudonymiser("topsecret"))


@pytest.fixture
def clean_key_env(monkeypatch, tmp_path):
    monkeypatch.delenv(P.KEY_ENV, raising=False)
    monkeypatch.delenv(P.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def test_key_from_environment(clean_key_env, monkeypatch):
    monkeypatch.setenv(P.KEY_ENV, "from-env")
    assert P.get_key() == b"from-env"
    assert P.pseudonymise("AB1234567890") == P.pseudonymise("AB1234567890", key="from-env")


def test_key_file_generated_once_private_and_reused(clean_key_env):
    k1 = P.get_key()
    path = clean_key_env / "config" / "swanalysis" / "pseudo.key"
    assert path.exists() and len(k1) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert P.get_key() == k1  # reused, not regenerated


def test_local_key_file_wins_over_user_file(clean_key_env):
    P.get_key()  # creates the user-level file
    local = clean_key_env / "work" / ".swanalysis"
    local.mkdir()
    (local / "pseudo.key").write_text("local-key\n")
    assert P.get_key() == b"local-key"


def test_key_file_env(clean_key_env, monkeypatch):
    f = clean_key_env / "k.txt"
    f.write_text("file-key")
    monkeypatch.setenv(P.KEY_FILE_ENV, str(f))
    assert P.get_key() == b"file-key"


def test_age_bands_at_boundaries():
    ref = pd.Timestamp("2023-09-30")
    births = pd.Series(["1998-10-01", "1998-09-30", "1994-01-01", "1993-09-30", "1983-10-01",
                        "1963-09-30", "1963-10-01", None, "2015-01-01", "not a date"])
    got = P.age_band(births, pd.Series(ref, index=births.index)).tolist()
    assert got == ["under 25", "25-29", "25-29", "30-39", "30-39", "60+", "50-59", "unknown", "unknown", "unknown"]
    assert set(got) <= set(P.AGE_BANDS)
