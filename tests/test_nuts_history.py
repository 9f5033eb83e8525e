"""NUTS code history: re-allocation by population share (hand-computed) and the real mirror."""

from __future__ import annotations

import pandas as pd
import pytest

from rok.warehouse import Warehouse
from rok.warehouse.correspondence import map_old_code
from rok.warehouse.reallocation import reallocate

# Old region A (population 100) is split: 60 people into X (all of X), 40 into Y; old B (40
# people) lies wholly in Y. So Y = 40 from A + 40 from B.
PARTS = pd.DataFrame(
    [("A", 2016, "X", 0.6, 1.0, 100.0, "split"), ("A", 2016, "Y", 0.4, 0.5, 100.0, "split"),
     ("B", 2016, "Y", 1.0, 0.5, 40.0, "merge")],
    columns=["old_code", "old_version", "new_code", "share_old", "share_new", "pop_old", "kind"])


def _tiny() -> Warehouse:
    wh = Warehouse()
    wh.con.execute("INSERT INTO regions (code, nuts_version, level) VALUES ('X', 2021, 2), ('Y', 2021, 2)")
    rows = [("A", "count", "NR", 1000.0), ("B", "count", "NR", 300.0),
            ("A", "hrst", "THS", 50.0), ("B", "hrst", "THS", 10.0),
            ("A", "hrst", "PC_POP", 25.0), ("B", "hrst", "PC_POP", 50.0),
            ("A", "rate", "PC", 10.0), ("B", "rate", "PC", 20.0)]
    frame = pd.DataFrame(rows, columns=["region", "indicator", "unit", "value"]).assign(year=2020, source="t")
    wh.con.register("_rows", frame)
    wh.con.execute("INSERT INTO indicators (region, indicator, unit, value, year, source) "
                   "SELECT region, indicator, unit, value, year, source FROM _rows")
    return wh


def test_reallocation_by_population_share_hand_computed():
    out = reallocate(_tiny(), PARTS).set_index(["region", "indicator", "unit"])
    # counts: X = 0.6 * 1000; Y = 0.4 * 1000 + 300
    assert out.loc[("X", "count", "NR"), "value"] == pytest.approx(600)
    assert out.loc[("Y", "count", "NR"), "value"] == pytest.approx(700)
    assert out.loc[("X", "count", "NR"), "method"] == "split (population share)"
    assert out.loc[("Y", "count", "NR"), "method"] == "split and merge (population share)"
    # HRST share of population: denominators 50/25% = 200 and 10/50% = 20 thousand;
    # Y = (0.4*50 + 10) / (0.4*200 + 20) = 30 / 100 = 30%
    assert out.loc[("Y", "hrst", "PC_POP"), "value"] == pytest.approx(30.0)
    assert out.loc[("X", "hrst", "PC_POP"), "value"] == pytest.approx(25.0)
    assert out.loc[("Y", "hrst", "PC_POP"), "method"].endswith("(ratio from re-allocated numerator and denominator)")
    # a rate without numerator: population-weighted, (10*0.4*100 + 20*1*40) / (0.4*100 + 40) = 15
    assert out.loc[("Y", "rate", "PC"), "value"] == pytest.approx(15.0)
    assert out.loc[("Y", "rate", "PC"), "method"].endswith("(ratio weighted by population share)")
    assert out.loc[("Y", "rate", "PC"), "from_region"] == "A+B"


def test_incomplete_cover_is_not_mapped():
    wh = _tiny()
    wh.con.execute("DELETE FROM indicators WHERE region = 'B'")
    out = reallocate(wh, PARTS)
    assert set(out["region"]) == {"X"}  # Y would miss the half that B holds


@pytest.fixture(scope="module")
def wh(mirror_db):  # type: ignore[no-untyped-def]
    with Warehouse(mirror_db, read_only=True) as warehouse:
        yield warehouse


def test_mirror_new_regions_of_norway_and_croatia_have_values(wh):
    for region in ("NO08", "NO09", "NO0A", "HR02", "HR05", "HR06"):
        methods = set(wh.query("SELECT DISTINCT method FROM indicators_nuts2021 WHERE region = ? "
                               "AND indicator = 'demo_r_d2jan_SEX_T_AGE_TOTAL'", [region])["method"])
        assert methods and all("population share" in m for m in methods), region
    # Oslo og Viken 2017 = Oslo og Akershus + the part of Sør-Østlandet in it (population shares)
    parts = wh.query("SELECT old_code, share FROM nuts_code_history WHERE new_code = 'NO08' AND old_version = 2016 "
                     "ORDER BY old_code").values.tolist()
    assert [p[0] for p in parts] == ["NO01", "NO03"]
    pop = dict(wh.query("SELECT region, value FROM indicators WHERE indicator = 'demo_r_d2jan_SEX_T_AGE_TOTAL' "
                        "AND year = 2017 AND region IN ('NO01', 'NO03')").values.tolist())
    share_no03 = wh.scalar("SELECT share FROM nuts_code_history WHERE old_code = 'NO03' AND new_code = 'NO08'")
    no08 = wh.scalar("SELECT value FROM indicators_nuts2021 WHERE region = 'NO08' AND year = 2017 "
                     "AND indicator = 'demo_r_d2jan_SEX_T_AGE_TOTAL'")
    assert no08 == pytest.approx(pop["NO01"] + share_no03 * pop["NO03"])


def test_mirror_old_codes_map(wh):
    fr71 = map_old_code(wh, "fr71")
    assert [(r["new_code"], r["kind"], r["share"]) for r in fr71] == [("FRK2", "recode", 1.0)]
    assert {r["new_code"] for r in map_old_code(wh, "GR30")} == {"EL30"}
    hr04 = map_old_code(wh, "HR04")
    assert {r["new_code"] for r in hr04} == {"HR02", "HR05", "HR06"} and {r["kind"] for r in hr04} == {"split"}
    assert sum(r["share"] for r in hr04) == pytest.approx(1.0, abs=1e-5)
    assert map_old_code(wh, "DE21") == []  # a current code
    kinds = set(wh.query("SELECT DISTINCT kind FROM nuts_code_history")["kind"])
    assert kinds <= {"recode", "split", "merge", "boundary change"} and {"recode", "split", "merge"} <= kinds


def test_readers_name_file_line_column_and_value(tmp_path):
    from rok.errors import InputError
    from rok.sources.lau import read_lau
    from rok.sources.nuts_changes import read_nuts_changes

    codes = ",".join(f"code_{v}" for v in (1999, 2003, 2006, 2010, 2013, 2016, 2021))
    history = tmp_path / "changes.csv"
    history.write_text(f"typology,{codes},change_2021\n"
                       "nuts_level_2,,,,,,NO01,,discontinued\n"
                       "nuts_level_2,,,,,,NO03 (part),NO08,new\n"
                       "nuts_level_2,,,,,,N-03,NO09,new\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"changes\.csv, line 4, column 'code_2016', value 'N-03': not a NUTS code"):
        read_nuts_changes(history)
    history.write_text(f"typology,{codes},change_2021\nnuts_level_2,,,,,,NO01,,discontinued\n"
                       "nuts_level_2,,,,,,NO03 (part),NO08,new\n", encoding="utf-8")
    rows = read_nuts_changes(history).tables["nuts_changes"]
    part = rows[(rows["lineage"] == 3) & (rows["version"] == 2016)].iloc[0]
    assert part["code"] is None and part["change"] == "part of NO03"  # "NO03 (part)" is a part, not the region
    lau = tmp_path / "lau.csv"
    lau.write_text("country,nuts3_2016,lau_code,lau_name_national,lau_name_latin,population,total_area_m2\n"
                   "DE,DE21H,09184139,Oberschleißheim,Oberschleißheim,11890,31000000\n"
                   "DE,DE2,09184140,X,X,1,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lau\.csv, line 3, column 'nuts3_2016', value 'DE2'"):
        read_lau(lau)
