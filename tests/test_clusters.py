"""Cluster stars (European Cluster Observatory) and the policy quadrant (Balland et al. 2019):
hand-computed fixtures and the real mirror."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rok.analysis.clusters import cluster_stars, top_share_threshold
from rok.analysis.quadrant import QUADRANTS, policy_quadrant, quadrant_from_activity
from rok.errors import InputError

# Row totals R1 60, R2 40, R3 10, R4 35, R5 80 (225); column totals X 100, Y 100, Z 25.
ACTIVITY = pd.DataFrame(
    {"X": [50, 10, 5, 30, 5], "Y": [10, 10, 5, 0, 75], "Z": [0, 20, 0, 5, 0]},
    index=["R1", "R2", "R3", "R4", "R5"],
    dtype=float,
)


def test_top_share_threshold() -> None:
    assert top_share_threshold([3, 1, 3, 0.5], 0.25) == 3  # k = 1: both 3s are in
    assert top_share_threshold([4, 3, 2, 1, 0], 0.5) == 2  # k = ceil(2.5) = 3
    assert top_share_threshold([], 0.1) == float("inf")


def test_cluster_stars_by_hand() -> None:
    stars = cluster_stars(ACTIVITY).set_index(["region", "domain"])
    assert len(stars) == 11  # positive cells only
    # size (k = 1 per domain): X -> R1 (50), Y -> R5 (75), Z -> R2 (20 of 25)
    assert set(stars.index[stars["size_star"]]) == {("R1", "X"), ("R5", "Y"), ("R2", "Z")}
    # LQ: R2/Z = (20/40) / (25/225) = 4.5; R5/Y = (75/80) / (100/225) = 2.109; R4/X = 1.929 (no star)
    assert stars.loc[("R2", "Z"), "lq"] == pytest.approx(4.5)
    assert stars.loc[("R4", "X"), "lq"] == pytest.approx(1.928571, abs=1e-6)
    assert set(stars.index[stars["specialisation_star"]]) == {("R2", "Z"), ("R5", "Y")}
    # focus over the 11 cells, k = ceil(1.1) = 2: R5/Y 75/80 = .9375, R4/X 30/35 = .857
    assert set(stars.index[stars["focus_star"]]) == {("R5", "Y"), ("R4", "X")}
    assert stars.loc[("R5", "Y"), ["stars", "which"]].tolist() == [3, "size+specialisation+focus"]
    assert stars.loc[("R2", "Z"), ["stars", "which"]].tolist() == [2, "size+specialisation"]
    assert stars.loc[("R1", "X"), "size_share"] == pytest.approx(0.5)
    assert stars["stars"].tolist()[:2] == [3, 2]  # sorted by stars
    assert stars["stars"].sum() == 3 + 2 + 1 + 1


def test_cluster_stars_drop_empty_lines_and_check_input() -> None:
    padded = ACTIVITY.assign(W=0.0)
    padded.loc["R6"] = 0.0
    pd.testing.assert_frame_equal(cluster_stars(padded), cluster_stars(ACTIVITY))
    with pytest.raises(InputError):
        cluster_stars(ACTIVITY.assign(X=[1, 2, np.nan, 4, 5]))
    with pytest.raises(InputError):
        cluster_stars(-ACTIVITY)
    with pytest.raises(InputError, match="top"):
        cluster_stars(ACTIVITY, top=0)
    with pytest.raises(InputError, match="no positive cell"):
        cluster_stars(ACTIVITY * 0)


DENSITY = pd.DataFrame(
    [[10, 20, 30, 40], [50, 50, 10, 10], [0, 30, 60, 90]],
    index=["r1", "r2", "r3"],
    columns=["d1", "d2", "d3", "d4"],
    dtype=float,
)
PCI = pd.Series({"d1": 2.0, "d2": -1.0, "d3": 1.0, "d4": 0.0})
HH, LH = QUADRANTS[(True, True)], QUADRANTS[(False, True)]
HL, LL = QUADRANTS[(True, False)], QUADRANTS[(False, False)]


def by_cell(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r, d): q for r, d, q in frame[["region", "domain", "quadrant"]].itertuples(index=False)}


def test_policy_quadrant_by_hand() -> None:
    cells = by_cell(policy_quadrant(DENSITY, PCI))
    # r1: density cut 25 (mean), PCI cut 0.5: d1 low/high, d2 low/low, d3 high/high, d4 high/low
    assert [cells[("r1", d)] for d in ("d1", "d2", "d3", "d4")] == [LH, LL, HH, HL]
    # r2: density cut 30: d1 high/high, d2 high/low, d3 low/high, d4 low/low
    assert [cells[("r2", d)] for d in ("d1", "d2", "d3", "d4")] == [HH, HL, LH, LL]
    assert HH == "low risk, high benefit" and LL == "high risk, low benefit"


def test_policy_quadrant_excludes_specialised_and_scopes() -> None:
    m = pd.DataFrame(0, index=DENSITY.index, columns=DENSITY.columns)
    m.loc["r1", "d3"] = 1
    out = policy_quadrant(DENSITY, PCI, specialised=m)
    r1 = out[out["region"] == "r1"]
    # kept d1, d2, d4: density cut 70/3 = 23.33, PCI cut 1/3
    assert r1["density_cut"].iloc[0] == pytest.approx(70 / 3)
    assert r1["pci_cut"].iloc[0] == pytest.approx(1 / 3)
    assert by_cell(r1) == {("r1", "d1"): LH, ("r1", "d2"): LL, ("r1", "d4"): HL}
    assert list(r1["domain"]) == ["d1", "d4", "d2"]  # by complexity, descending
    everywhere = policy_quadrant(DENSITY, PCI, scope="all")
    assert everywhere["density_cut"].unique().tolist() == pytest.approx([400 / 12])
    median = by_cell(policy_quadrant(DENSITY, PCI, split="median"))
    # r3: densities 0, 30, 60, 90, median 45 -> d3, d4 high; PCI median 0.5 -> d1, d3 high
    assert median[("r3", "d3")] == HH and median[("r3", "d2")] == LL
    nan_density = DENSITY.copy()
    nan_density["d4"] = np.nan
    assert "d4" not in set(policy_quadrant(nan_density, PCI)["domain"])


def test_policy_quadrant_bad_input() -> None:
    with pytest.raises(InputError, match="pci has no value"):
        policy_quadrant(DENSITY, PCI.drop("d4"))
    with pytest.raises(InputError, match="split"):
        policy_quadrant(DENSITY, PCI, split="mode")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="scope"):
        policy_quadrant(DENSITY, PCI, scope="country")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="cover"):
        policy_quadrant(DENSITY, PCI, specialised=pd.DataFrame(0, index=["r1"], columns=DENSITY.columns))
    with pytest.raises(InputError, match="Series"):
        policy_quadrant(DENSITY, PCI.to_dict())  # type: ignore[arg-type]


# --- real mirror ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def activity(mirror_db: Path) -> pd.DataFrame:
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        cells = con.sql(
            """SELECT o.nuts2 AS region, d.code AS "domain", count(*) AS n
               FROM participations p JOIN organisations o USING (org_id) JOIN project_domains d USING (project_id)
               WHERE o.nuts2 IS NOT NULL GROUP BY ALL"""
        ).df()
    return cells.pivot(index="region", columns="domain", values="n").fillna(0.0)


@pytest.mark.mirror
def test_mirror_cluster_stars(activity: pd.DataFrame) -> None:
    stars = cluster_stars(activity)
    assert (stars["stars"] == 3).any()
    assert set(stars["stars"]) == {0, 1, 2, 3}
    per_domain = stars[stars["size_star"]].groupby("domain").size()
    active = (activity > 0).sum()
    assert (per_domain >= np.ceil(0.1 * active[per_domain.index] - 1e-9)).all()


@pytest.mark.mirror
def test_mirror_policy_quadrant(activity: pd.DataFrame) -> None:
    out = quadrant_from_activity(activity)
    assert set(out["quadrant"]) == set(QUADRANTS.values())
    assert out["density"].between(0, 100).all()
