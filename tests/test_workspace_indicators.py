"""The measure catalog on the tiny warehouse (hand-counted) and on the real mirror."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rok.cooperation.indicators import MEASURES, WarehouseData, measure_series
from rok.errors import InputError


def series(path: Path, key: str, regions: list[str], **params: object) -> dict[int, float]:
    """The measure on the tiny warehouse with every start year kept (no full-year rule)."""
    data = WarehouseData(path, min_year_share=0.0)
    return {int(y): round(float(v), 6) for y, v in measure_series(data, key, regions, **params).items()}


def test_full_years_rule(tiny_warehouse: Path) -> None:
    # participations per start year: 2015: 5, 2016: 5, 2017: 2, 2018: 2 -> half the peak is 2.5
    assert WarehouseData(tiny_warehouse).years() == [2015, 2016]
    assert WarehouseData(tiny_warehouse, min_year_share=0.4).years() == [2015, 2016, 2017, 2018]
    assert measure_series(tiny_warehouse, "joint_projects", ["AA11", "BB11"]).to_dict() == {2015: 1.0, 2016: 1.0}
    with pytest.raises(InputError, match="min_year_share"):
        WarehouseData(tiny_warehouse, min_year_share=2)


def test_participations_per_inhabitant(tiny_warehouse: Path) -> None:
    # AA11+BB11, full: 2015 (o1,o2 in P1) + (o4 in P1, P2) = 4 over 2000 people; 2016: 3; 2017: 2
    # over 3000; 2018: 2 over 3000.
    assert series(tiny_warehouse, "fp_participations_per_inhabitant", ["AA11", "BB11"], per=1000) == {
        2015: 2.0, 2016: 1.5, 2017: round(2 / 3, 6), 2018: round(2 / 3, 6)}
    # fractional 2015: P1 has 3 participants (1/3 each: o1, o2, o4), P2 two (o4: 1/2) -> 1.5 / 2000
    frac = series(tiny_warehouse, "fp_participations_per_inhabitant", ["AA11", "BB11"], per=1000,
                  counting="fractional")
    assert frac[2015] == 0.75
    # AA12 has no population in 2017 and 2018: those years are left out, not zero
    assert series(tiny_warehouse, "fp_participations_per_inhabitant", ["AA11", "AA12"], per=1000) == {
        2015: 2.0, 2016: 2.0}
    per_million = measure_series(WarehouseData(tiny_warehouse, min_year_share=0), "fp_participations_per_inhabitant",
                                 ["AA11", "BB11"])
    assert per_million[2015] == pytest.approx(2000.0)
    assert per_million.attrs["load_id"] == 1 and per_million.attrs["regions"] == ["AA11", "BB11"]


def test_funding_per_inhabitant(tiny_warehouse: Path) -> None:
    # 2015: 100 + 50 + 30 (P1) + missing (o4 in P2, counts 0) = 180 EUR over 2000 people
    assert series(tiny_warehouse, "ec_funding_per_inhabitant", ["AA11", "BB11"])[2015] == 0.09


def test_joint_projects(tiny_warehouse: Path) -> None:
    # P1 (AA11, BB11), P2 (AA12, BB11); P3 (AA11, BB11), P4 (AA11, AA12); P5 BB11 alone; P6 (AA11, BB11)
    assert series(tiny_warehouse, "joint_projects", ["AA11", "AA12", "BB11"]) == {
        2015: 2.0, 2016: 2.0, 2017: 0.0, 2018: 1.0}
    assert series(tiny_warehouse, "joint_projects", ["AA11", "BB11"]) == {
        2015: 1.0, 2016: 1.0, 2017: 0.0, 2018: 1.0}
    with pytest.raises(InputError, match="at least 2 regions"):
        measure_series(tiny_warehouse, "joint_projects", ["AA11"])


def test_firm_local_research_share(tiny_warehouse: Path) -> None:
    # firms: 2015 o2 (P1, with o1 HES of AA11: local), o3 (P2, research only in BB11);
    # 2016 o2, o5 (P3, no research actor), o3 (P4, o1 is in AA11, not AA12); 2017 o5 with o4 REC in BB11
    regions = ["AA11", "AA12", "BB11"]
    assert series(tiny_warehouse, "firm_local_research_share", regions) == {2015: 0.5, 2016: 0.0, 2017: 1.0}
    # consortium scope: a research actor anywhere in the three regions counts
    assert series(tiny_warehouse, "firm_local_research_share", regions, scope="consortium") == {
        2015: 1.0, 2016: round(1 / 3, 6), 2017: 1.0}


def test_gerd(tiny_warehouse: Path) -> None:
    assert series(tiny_warehouse, "gerd_pct_gdp", ["AA11"]) == {2015: 2.0}
    # GDP-weighted: (2.0 * 300 + 1.0 * 100) / 400
    assert series(tiny_warehouse, "gerd_pct_gdp", ["AA11", "BB11"]) == {2015: 1.75}
    assert series(tiny_warehouse, "gerd_pct_gdp", ["AA12"]) == {}


def test_domain_participations(tiny_warehouse: Path) -> None:
    assert series(tiny_warehouse, "domain_participations", ["AA11"], domain="D1") == {
        2015: 2.0, 2016: 1.0, 2017: 0.0, 2018: 1.0}
    assert series(tiny_warehouse, "domain_participations", ["AA12"], domain="D2")[2015] == 0.5
    # a country and a NUTS 1 region sum like their NUTS 2 regions: AA (AA11 + AA12), BB1 (BB11)
    assert series(tiny_warehouse, "domain_participations", ["AA", "BB1"], domain="D2", counting="fractional") == \
        series(tiny_warehouse, "domain_participations", ["AA11", "AA12", "BB11"], domain="D2", counting="fractional")


def test_bad_input(tiny_warehouse: Path) -> None:
    with pytest.raises(InputError, match="ZZ99.*unknown region"):
        measure_series(tiny_warehouse, "gerd_pct_gdp", ["AA11", "ZZ99"])
    with pytest.raises(InputError, match="regions overlap: AA11 lies in AA1"):
        measure_series(tiny_warehouse, "gerd_pct_gdp", ["AA1", "AA11"])
    with pytest.raises(InputError, match="unknown measure"):
        measure_series(tiny_warehouse, "nonsense", ["AA11"])
    with pytest.raises(InputError, match="no parameter 'colour'"):
        measure_series(tiny_warehouse, "gerd_pct_gdp", ["AA11"], colour="red")
    with pytest.raises(InputError, match="needs a domain"):
        measure_series(tiny_warehouse, "domain_participations", ["AA11"])
    with pytest.raises(InputError, match="unknown domain"):
        measure_series(tiny_warehouse, "domain_participations", ["AA11"], domain="D9")
    with pytest.raises(InputError, match="warehouse not found"):
        measure_series(tiny_warehouse.parent / "absent.duckdb", "gerd_pct_gdp", ["AA11"])


def test_catalog_is_documented() -> None:
    for measure in MEASURES.values():
        assert "value[t]" in measure.formula or "tgs00042" in measure.formula, measure.key
        assert measure.type in ("output", "result") and measure.direction in ("increase", "decrease")


@pytest.mark.mirror
def test_firm_share_agrees_with_integration_on_the_mirror(mirror_db: Path) -> None:
    """One year of the mirror: the catalog's share equals the integration analysis' share."""
    import duckdb

    from rok.analysis.integration import integration_indicators

    data = WarehouseData(mirror_db)
    rows = data.participations[data.participations.year == 2017]
    parts = pd.DataFrame({"project_id": rows.project_id, "org_id": rows.org_id,
                          "activity_type": rows.activity_type, "region": rows.nuts2})
    edges = pd.DataFrame({"source": pd.Series(dtype=str), "target": pd.Series(dtype=str),
                          "weight": pd.Series(dtype=float)})
    peer = integration_indicators(parts, edges)
    con = duckdb.connect(str(mirror_db), read_only=True)
    top = [r[0] for r in con.execute(
        "SELECT nuts2 FROM organisations WHERE nuts2 IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
    ).fetchall()]
    con.close()
    for region in top:
        ours = measure_series(data, "firm_local_research_share", [region])[2017]
        assert ours == pytest.approx(peer.loc[region, "firm_local_research_share"], rel=1e-12)
    consortium = measure_series(data, "fp_participations_per_inhabitant", top)
    assert consortium.index.min() >= 2014 and (consortium > 0).all()
