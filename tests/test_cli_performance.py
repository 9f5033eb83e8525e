"""``rok performance`` end to end on the real mirror: reference, window, minimum, one region."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rok.cli.main import app

pytestmark = pytest.mark.mirror
runner = CliRunner()


def rok(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_groups_against_the_eu27_aggregate(mirror_db):
    out = json.loads(rok("performance", "--format", "json", "--db", mirror_db).stdout)
    rows = {r["region"]: r for r in out["rows"]}
    grouped = [r for r in rows.values() if r["group"] != "insufficient data"]
    assert sum(r["group"] == "leader" for r in grouped) / len(grouped) <= 0.2
    assert out["notes"]["reference"] == "EU-27 (2020) aggregate = 100"
    assert "tertiary 2021-2024" in out["notes"]["indicator_years"]
    assert rows["FR10"]["group"] == "leader"  # French sector R&D ends in 2013: inside the 4-year window
    de21 = rows["DE21"]
    assert de21["subgroup"].startswith(de21["group"]) and 0 < de21["share_fp_funding"] < 1
    shares = [v for k, v in de21.items() if k.startswith("share_") and v is not None]
    assert sum(shares) == pytest.approx(1.0)


def test_region_contributions_add_up_to_the_index(mirror_db):
    out = json.loads(rok("performance", "--region", "de21", "--format", "json", "--db", mirror_db).stdout)
    assert len(out["rows"]) == 8 and {"score", "points", "share", "year"} <= set(out["columns"])
    assert sum(r["points"] for r in out["rows"]) == pytest.approx(float(out["notes"]["index"]), abs=0.05)


def test_options_change_reference_and_minimum(mirror_db):
    strict = json.loads(rok("performance", "--min-indicators", "8", "--reference", "DE,FR", "--window", "2",
                            "--format", "json", "--db", mirror_db).stdout)
    assert strict["notes"]["reference"] == "DE, FR aggregate = 100"
    assert strict["notes"]["min_indicators"].startswith("8")
    assert all(r["n_used"] == 8 for r in strict["rows"] if r["group"] != "insufficient data")


@pytest.mark.parametrize(("args", "expected"), [
    (["--reference", "DE,XX"], "unknown country 'XX'"),
    (["--min-indicators", "9"], "between 1 and 8"),
    (["--window", "0"], "window must be >= 1"),
])
def test_bad_options_are_one_line(mirror_db, args, expected):
    result = rok("performance", *args, "--db", mirror_db)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
