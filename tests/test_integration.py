"""Integration of research actors: hand-computed indicators on 2 regions and 4 projects, the
comparison with peers, bad input, and the real mirror."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rok.analysis.integration import compare_with_peers, integration_indicators
from rok.errors import InputError

# Organisations: u1 HES AA11, f1 PRC AA11, f2 PRC AA11, r1 REC BB22, f3 PRC BB22, g1 PUB BB22,
# x1 HES without region. Projects (members): P1 u1 f1 r1 | P2 f1 f3 r1 | P3 f2 g1 x1 f3 |
# P4 f2 g1 f3. u1 is both coordinator and participant of P1 (one participation).
ORGS = {
    "u1": ("HES", "AA11"),
    "f1": ("PRC", "AA11"),
    "f2": ("PRC", "AA11"),
    "r1": ("REC", "BB22"),
    "f3": ("PRC", "BB22"),
    "g1": ("PUB", "BB22"),
    "x1": ("HES", None),
}
MEMBERS = [
    ("P1", "u1"),
    ("P1", "u1"),
    ("P1", "f1"),
    ("P1", "r1"),
    ("P2", "f1"),
    ("P2", "f3"),
    ("P2", "r1"),
    ("P3", "f2"),
    ("P3", "g1"),
    ("P3", "x1"),
    ("P3", "f3"),
    ("P4", "f2"),
    ("P4", "g1"),
    ("P4", "f3"),
]
PARTS = pd.DataFrame(
    [(j, o, *ORGS[o]) for j, o in MEMBERS], columns=["project_id", "org_id", "activity_type", "region"]
)

EDGE_SQL = """
WITH p AS (SELECT DISTINCT project_id, org_id, region FROM parts WHERE region IS NOT NULL)
SELECT least(a.region, b.region) AS source, greatest(a.region, b.region) AS target,
       count(*)::DOUBLE AS weight, count(DISTINCT a.project_id) AS projects,
       least(a.region, b.region) = greatest(a.region, b.region) AS internal
FROM p a JOIN p b ON a.project_id = b.project_id AND a.org_id < b.org_id
GROUP BY 1, 2 ORDER BY 1, 2
"""


def region_edges(parts: pd.DataFrame) -> pd.DataFrame:
    return duckdb.query_df(parts, "parts", EDGE_SQL).df()


def test_edges_by_hand() -> None:
    # pairs of placed organisations: P1 u1-f1 (AA-AA), u1-r1, f1-r1 | P2 f1-f3, f1-r1, f3-r1 (BB-BB)
    # | P3 f2-g1, f2-f3, g1-f3 (BB-BB) | P4 the same as P3
    edges = region_edges(PARTS)
    assert edges[["source", "target", "weight"]].values.tolist() == [
        ["AA11", "AA11", 1.0],
        ["AA11", "BB22", 8.0],
        ["BB22", "BB22", 3.0],
    ]


def test_integration_full_counting_by_hand() -> None:
    gatekeepers = pd.DataFrame({"region": ["AA11"], "organisations": [3], "gatekeepers": [2]})
    out = integration_indicators(PARTS, region_edges(PARTS), gatekeepers=gatekeepers)
    assert list(out.index) == ["AA11", "BB22"]
    aa, bb = out.loc["AA11"], out.loc["BB22"]
    # AA11: u1P1, f1P1, f1P2, f2P3, f2P4; BB22: r1P1, r1P2, f3P2, g1P3, f3P3, g1P4, f3P4
    assert (aa["participations"], aa["organisations"]) == (5, 3)
    assert (bb["participations"], bb["organisations"]) == (7, 3)
    mix = ["share_HES", "share_REC", "share_PRC", "share_PUB", "share_OTH"]
    assert aa[mix].tolist() == pytest.approx([1 / 5, 0, 4 / 5, 0, 0])
    assert bb[mix].tolist() == pytest.approx([0, 2 / 7, 3 / 7, 2 / 7, 0])
    # firms of AA11: f1P1 (u1 local), f1P2 (r1 of BB22 only), f2P3 (x1, unplaced), f2P4 (none)
    assert aa["firm_participations"] == 4 and aa["firm_with_local_research"] == 1
    assert aa["firm_local_research_share"] == pytest.approx(0.25)
    assert aa["firm_with_research"] == 3 and aa["firm_research_share"] == pytest.approx(0.75)
    # firms of BB22: f3P2 (r1 local), f3P3 (x1, unplaced), f3P4 (none)
    assert bb["firm_participations"] == 3 and bb["firm_with_local_research"] == 1
    assert bb["firm_local_research_share"] == pytest.approx(1 / 3)
    assert bb["firm_research_share"] == pytest.approx(2 / 3)
    # ties: AA11 1 inside, 8 outside; BB22 3 inside, 8 outside
    assert aa[["local_ties", "external_ties", "local_tie_share"]].tolist() == pytest.approx([1, 8, 1 / 9])
    assert bb[["local_ties", "external_ties", "local_tie_share"]].tolist() == pytest.approx([3, 8, 3 / 11])
    assert aa["gatekeeper_share"] == pytest.approx(2 / 3) and math.isnan(bb["gatekeeper_share"])
    assert out.attrs == {"counting": "full", "unplaced_participations": 1}


def test_integration_fractional_by_hand() -> None:
    # n_j: P1 3, P2 3, P3 4 (x1 counts), P4 3
    out = integration_indicators(PARTS, region_edges(PARTS), counting="fractional")
    aa, bb = out.loc["AA11"], out.loc["BB22"]
    assert aa["participations"] == pytest.approx(4 / 3 + 1 / 4)  # u1P1 f1P1 f1P2 f2P4 + f2P3
    assert bb["participations"] == pytest.approx(5 / 3 + 2 / 4)
    assert aa["share_HES"] == pytest.approx((1 / 3) / (19 / 12))
    assert aa["firm_participations"] == pytest.approx(5 / 4)
    assert aa["firm_local_research_share"] == pytest.approx((1 / 3) / (5 / 4))
    assert aa["firm_research_share"] == pytest.approx((11 / 12) / (5 / 4))
    assert bb["firm_local_research_share"] == pytest.approx((1 / 3) / (1 / 3 + 1 / 4 + 1 / 3))
    assert out["gatekeeper_share"].isna().all() and out.attrs["counting"] == "fractional"


def test_integration_edge_cases() -> None:
    # a region without firms has NaN firm shares; a region without edges has NaN tie share
    parts = pd.concat(
        [PARTS, pd.DataFrame([("P5", "u9", "HES", "CC33")], columns=PARTS.columns)], ignore_index=True
    )
    out = integration_indicators(parts, region_edges(parts))
    cc = out.loc["CC33"]
    assert cc["firm_participations"] == 0 and math.isnan(cc["firm_local_research_share"])
    assert cc["local_ties"] == 0 and cc["external_ties"] == 0 and math.isnan(cc["local_tie_share"])
    assert cc["share_HES"] == 1.0
    # a missing activity type counts as OTH
    untyped = PARTS.assign(activity_type=PARTS["activity_type"].where(PARTS["org_id"] != "g1"))
    assert integration_indicators(untyped, region_edges(PARTS)).loc["BB22", "share_OTH"] == pytest.approx(
        2 / 7
    )


def test_integration_bad_input() -> None:
    edges = region_edges(PARTS)
    with pytest.raises(InputError, match=r"lacks columns \['region'\]"):
        integration_indicators(PARTS.drop(columns="region"), edges)
    with pytest.raises(InputError, match="unknown activity types.*'XYZ'"):
        integration_indicators(PARTS.assign(activity_type="XYZ"), edges)
    clash = pd.concat([PARTS, pd.DataFrame([("P1", "f1", "REC", "AA11")], columns=PARTS.columns)])
    with pytest.raises(InputError, match="'f1' has two activity types or regions in project 'P1'"):
        integration_indicators(clash, edges)
    with pytest.raises(InputError, match="same NUTS level"):
        integration_indicators(
            PARTS, edges.assign(source=edges["source"].str[:3], target=edges["target"].str[:3])
        )
    with pytest.raises(InputError, match="negative weight"):
        integration_indicators(PARTS, edges.assign(weight=-1.0))
    with pytest.raises(InputError, match="internal disagrees"):
        integration_indicators(PARTS, edges.assign(internal=True))
    with pytest.raises(InputError, match="counting"):
        integration_indicators(PARTS, edges, counting="half")  # type: ignore[arg-type]
    bad_gk = pd.DataFrame({"region": ["AA11"], "organisations": [3], "gatekeepers": [4]})
    with pytest.raises(InputError, match="not between 0"):
        integration_indicators(PARTS, edges, gatekeepers=bad_gk)


INDICATORS = pd.DataFrame(
    {"x": [1.0, 4.0, 2.0, 4.0, 9.0], "y": [0.5, np.nan, 0.1, 0.3, 0.2], "label": list("abcde")},
    index=["AA1", "AA2", "BB1", "BB2", "CC1"],
)


def test_compare_with_peers_by_hand() -> None:
    long = pd.DataFrame(
        {
            "region": ["BB1", "BB1", "BB1", "AA1"],
            "peer": ["AA2", "BB2", "ZZ9", "CC1"],
            "distance": [1.0, 2.0, 3.0, 1.0],
            "rank": [1, 2, 3, 1],
        }
    )
    out = compare_with_peers(INDICATORS, long, "BB1")
    assert list(out.index) == ["x", "y"]  # numeric columns only
    # x: BB1 2, peers AA2 4, BB2 4 (ZZ9 unknown, left out): rank 3 of 3
    assert out.loc["x"].tolist() == [2.0, 4.0, 4.0, 2, 3.0, 3]
    # y: BB1 0.1, peers BB2 0.3 (AA2 NaN): rank 2 of 2
    assert out.loc["y", ["value", "peer_mean", "peer_median", "n_peers", "rank", "out_of"]].tolist() == (
        pytest.approx([0.1, 0.3, 0.3, 1, 2.0, 2])
    )
    # the table of peers() for one region (no region column); ties share the best rank
    one = pd.DataFrame({"peer": ["AA2", "BB2", "CC1"]})
    tied = compare_with_peers(INDICATORS, one, "AA2", columns=["x"])
    assert (
        tied.loc["x", "rank"] == 2.0 and tied.loc["x", "peer_median"] == 6.5
    )  # AA2 4 ties BB2 4, below CC1 9


def test_compare_with_peers_bad_input() -> None:
    with pytest.raises(InputError, match="'QQ1' is not in"):
        compare_with_peers(INDICATORS, pd.DataFrame({"peer": ["AA1"]}), "QQ1")
    with pytest.raises(InputError, match="no peer of region 'CC1'"):
        compare_with_peers(INDICATORS, pd.DataFrame({"region": ["AA1"], "peer": ["BB1"]}), "CC1")
    with pytest.raises(InputError, match="lacks columns"):
        compare_with_peers(INDICATORS, pd.DataFrame({"peer": ["AA1"]}), "BB1", columns=["z"])


# --- real mirror ----------------------------------------------------------------------------

MIRROR_PARTS = """
SELECT DISTINCT p.project_id, p.org_id, p.activity_type, o.nuts2 AS region
FROM participations p LEFT JOIN organisations o USING (org_id)
"""


@pytest.mark.mirror
def test_mirror_integration(mirror_db: Path) -> None:
    from rok.analysis.peers import all_peers

    with duckdb.connect(str(mirror_db), read_only=True) as con:
        parts = con.sql(MIRROR_PARTS).df()
    out = integration_indicators(parts, region_edges(parts))
    assert len(out) > 250 and out.index.is_unique
    mix = out[[f"share_{a}" for a in ("HES", "REC", "PRC", "PUB", "OTH")]].sum(axis=1)
    assert np.allclose(mix, 1.0)
    share = out["firm_local_research_share"].dropna()
    assert ((share >= 0) & (share <= out.loc[share.index, "firm_research_share"] + 1e-12)).all()
    no_ties = (out["local_ties"] + out["external_ties"]) == 0  # e.g. one firm in a single-partner project
    assert out.loc[~no_ties, "local_tie_share"].between(0, 1).all() and out.loc[no_ties, "local_tie_share"].isna().all()
    # totals: every placed participation counted once; the self-loops and cross-region weights
    # add up to the placed organisation pairs
    placed = parts.dropna(subset=["region"])
    assert out["participations"].sum() == len(placed)
    edges = region_edges(parts)
    assert out["local_ties"].sum() + out["external_ties"].sum() / 2 == edges["weight"].sum()
    # peer comparison on a structural stand-in (size and mix): the region and 5 peers
    features = np.log(out[["participations"]]).join(out[["share_HES", "share_PRC"]])
    table = compare_with_peers(out, all_peers(features, k=5), "DE21")
    assert (table["out_of"] <= 6).all() and table.loc["participations", "value"] > 0
