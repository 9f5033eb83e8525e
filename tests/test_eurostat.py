"""Eurostat readers: SDMX-CSV 2.0 / 1.0, the plain layout, the wide panel, and the real mirror."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from rok.errors import InputError
from rok.sources.batch import sha256_file
from rok.sources.eurostat import dataset_code, panel_column, read_eurostat, read_regional_panel
from rok.warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "eurostat"
COLUMNS = ["region", "nuts_version", "indicator", "year", "value", "unit", "flag", "source"]


def _mirror() -> Path:
    base = Path(os.environ["ROK_MIRROR"]) if os.environ.get("ROK_MIRROR") else Path("/work/main/../shared/data")
    folder = base / "eurostat"
    if not folder.is_dir():
        pytest.skip(f"real data mirror not found at {folder} (set ROK_MIRROR to the mirror's data directory)")
    return folder


def _row(frame: pd.DataFrame, region: str, year: int, indicator: str | None = None) -> pd.Series:
    match = frame[(frame.region == region) & (frame.year == year)]
    if indicator is not None:
        match = match[match.indicator == indicator]
    assert len(match) == 1, match
    return match.iloc[0]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SDMX1_HEADER = "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
SDMX1_ROW = "ESTAT:TGS00010(1.0),25/04/25 23:00:00,{freq},PC,{geo},{time},{value},\n"


def _sdmx1(tmp_path: Path, *rows: tuple[str, str, str, str]) -> Path:
    body = "".join(SDMX1_ROW.format(freq=f, geo=g, time=t, value=v) for f, g, t, v in rows)
    return _write(tmp_path, "tgs00010.csv", SDMX1_HEADER + body)


# -- pure helpers ------------------------------------------------------------------------
def test_dataset_code() -> None:
    assert dataset_code("ESTAT:TGS00042(1.0)") == "tgs00042"
    assert dataset_code("ESTAT:NAMA_10R_2GDP$DEFAULTVIEW(1.0)") == "nama_10r_2gdp"
    assert dataset_code("nama_10r_2gdp") == "nama_10r_2gdp"


def test_panel_column() -> None:
    assert panel_column("demo_r_d2jan_UNIT_NR_SEX_T_AGE_TOTAL") == ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR")
    assert panel_column("rd_e_gerdreg_SECTPERF_BES_UNIT_PC_GDP") == ("rd_e_gerdreg_SECTPERF_BES", "PC_GDP")
    assert panel_column("htec_emp_reg2_NACE_R2_C_HTC_MH_UNIT_PC_EMP_SEX_T") == ("htec_emp_reg2_NACE_R2_C_HTC_MH_SEX_T", "PC_EMP")
    assert panel_column("rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_BES_UNIT_PC_EMP_FTE")[1] == "PC_EMP_FTE"
    assert panel_column("Graduates_at_ISCED_6-Natural_sciences_mathematics_and_statistics")[1] == "NR"


# -- the three layouts -------------------------------------------------------------------
def test_sdmx2_with_labels() -> None:
    path = FIXTURES / "tgs00042_sdmx2_labels.csv"
    batch = read_eurostat(path)
    frame = batch.tables["indicators"]
    assert list(frame.columns) == COLUMNS
    assert batch.source == "eurostat:tgs00042" and batch.file == str(path)
    assert batch.sha256 == sha256_file(path) and batch.rows_read == 6
    assert len(frame) == 5 and not batch.rejects
    at11 = _row(frame, "AT11", 2013)
    assert at11.indicator == "tgs00042.sectperf=TOTAL" and at11.unit == "PC_GDP"
    assert at11.value == pytest.approx(0.89) and at11.flag == "b" and at11.source == "eurostat:tgs00042"
    assert pd.isna(at11.nuts_version)
    confidential = _row(frame, "BE10", 2020)
    assert pd.isna(confidential.value) and confidential.flag == "c"
    assert _row(frame, "AT11", 2015).flag is None
    assert _row(frame, "UKJ2", 2019).value == pytest.approx(1.53)  # quoted label with a comma
    assert "EU27_2020" not in set(frame.region)
    assert any("1 rows of aggregates" in n and "EU27_2020" in n for n in batch.notes)


def test_sdmx2_without_labels_and_units() -> None:
    batch = read_eurostat(FIXTURES / "nama_10r_2gdp_sdmx2.csv")
    frame = batch.tables["indicators"]
    assert batch.source == "eurostat:nama_10r_2gdp"
    assert set(frame.indicator) == {"nama_10r_2gdp"}
    assert set(frame.unit) == {"MIO_EUR", "PPS_EU27_2020_HAB"}
    assert len(frame) == 3  # EA20 skipped
    assert _row(frame[frame.unit == "MIO_EUR"], "DE21", 2022).flag == "p"


def test_sdmx1_from_api_21() -> None:
    batch = read_eurostat(FIXTURES / "tgs00007_sdmx1.csv")
    frame = batch.tables["indicators"]
    assert batch.source == "eurostat:tgs00007"
    assert set(frame.indicator) == {"tgs00007.sex=T.age=Y15-64", "tgs00007.sex=F.age=Y15-64"}
    assert _row(frame, "AT11", 2014, "tgs00007.sex=T.age=Y15-64").flag == "b"
    assert _row(frame, "EL30", 2014).value == pytest.approx(52.4)  # upper-cased
    colon = _row(frame, "FR10", 2014)
    assert pd.isna(colon.value) and colon.flag == "c"


def test_simple_layout_dataset_from_name_or_argument(tmp_path: Path) -> None:
    batch = read_eurostat(FIXTURES / "eurostat_gdp_pc_pps_nuts2.csv")
    frame = batch.tables["indicators"]
    assert batch.source == "eurostat:gdp_pc_pps_nuts2"
    assert set(frame.indicator) == {"gdp_pc_pps_nuts2"} and set(frame.unit) == {"PPS_EU27_2020_HAB"}
    assert sorted(frame.region) == ["AL", "AL01", "DE21"]
    assert _row(frame, "DE21", 2009).value == 41200
    named = read_eurostat(FIXTURES / "eurostat_gdp_pc_pps_nuts2.csv", dataset="NAMA_10R_2GDPPC")
    assert named.source == "eurostat:nama_10r_2gdppc"
    gz = tmp_path / "eurostat_demo.csv.gz"
    gz.write_bytes(gzip.compress(b"geo,time,obs_value\nDE21,2020,1.5\n"))
    plain = read_eurostat(gz)
    assert plain.source == "eurostat:demo" and plain.tables["indicators"].unit.tolist() == ["NR"]
    reordered = _write(tmp_path, "eurostat_x.csv", "geo,time,obs_value,flag,unit,sex\nDE21,2020,1.5,e,PC,F\n")
    row = read_eurostat(reordered).tables["indicators"].iloc[0]
    assert (row.indicator, row.unit, row.flag) == ("x.sex=F", "PC", "e")


def test_write_and_read_back() -> None:
    with Warehouse(":memory:") as wh:
        for name in ("tgs00042_sdmx2_labels.csv", "tgs00007_sdmx1.csv", "eurostat_gdp_pc_pps_nuts2.csv"):
            wh.write(read_eurostat(FIXTURES / name))
        wh.write(read_regional_panel(FIXTURES / "regional_panel_small.csv"))
        back = wh.query("SELECT * FROM indicators WHERE region = 'AT11' AND year = 2013 AND source = 'eurostat:tgs00042'")
        assert back.value.iloc[0] == pytest.approx(0.89) and back.flag.iloc[0] == "b"
        assert wh.scalar("SELECT count(*) FROM indicators WHERE value IS NULL AND flag = 'c'") == 2
        assert wh.scalar("SELECT count(*) FROM loads") == 4
        assert wh.scalar("SELECT count(*) FROM indicators WHERE source = 'eurostat-panel:edashop'") == 10


# -- bad input ---------------------------------------------------------------------------
def test_not_a_number(tmp_path: Path) -> None:
    path = _sdmx1(tmp_path, ("A", "DE21", "2020", "1.5"), ("A", "DE22", "2020", "abc"))
    with pytest.raises(InputError) as err:
        read_eurostat(path)
    assert (err.value.file, err.value.line, err.value.column, err.value.value) == (str(path), 3, "OBS_VALUE", "abc")
    assert "expected a number" in str(err.value)


@pytest.mark.parametrize("geo", ["XX12", "ZZZ"])
def test_unknown_region(tmp_path: Path, geo: str) -> None:
    path = _sdmx1(tmp_path, ("A", "DE21", "2020", "1.5"), ("A", geo, "2020", "2.5"))
    with pytest.raises(InputError) as err:
        read_eurostat(path)
    assert (err.value.line, err.value.column, err.value.value) == (3, "geo", geo)
    assert "unknown NUTS code" in str(err.value) and str(path) in str(err.value)
    batch = read_eurostat(path, skip_bad_rows=True)
    assert batch.tables["indicators"].region.tolist() == ["DE21"]
    assert [(r.line, r.column, r.value) for r in batch.rejects] == [(3, "geo", geo)]
    assert batch.rows_kept == 1


def test_non_annual(tmp_path: Path) -> None:
    path = _sdmx1(tmp_path, ("A", "DE21", "2020-Q1", "1.5"))
    with pytest.raises(InputError, match="annual") as err:
        read_eurostat(path)
    assert (err.value.line, err.value.column, err.value.value) == (2, "TIME_PERIOD", "2020-Q1")
    path = _sdmx1(tmp_path, ("A", "DE21", "2020", "1.5"), ("Q", "DE21", "2021", "1.5"))
    with pytest.raises(InputError, match="freq A") as err:
        read_eurostat(path)
    assert (err.value.line, err.value.column, err.value.value) == (3, "freq", "Q")


def test_first_bad_value_by_line_and_skip(tmp_path: Path) -> None:
    path = _sdmx1(tmp_path, ("A", "DE21", "2020", "1"), ("A", "DE22", "2020", "x"), ("A", "QQ1", "2020", "1"))
    with pytest.raises(InputError, match="2 rows have bad values") as err:
        read_eurostat(path)
    assert err.value.line == 3
    batch = read_eurostat(path, skip_bad_rows=True)
    assert len(batch.tables["indicators"]) == 1 and {r.line for r in batch.rejects} == {3, 4}


def test_duplicate_key(tmp_path: Path) -> None:
    path = _sdmx1(tmp_path, ("A", "DE21", "2020", "1"), ("A", "DE21", "2020", "2"))
    with pytest.raises(InputError, match="duplicate primary key") as err:
        read_eurostat(path)
    assert err.value.line == 3 and err.value.file == str(path)
    assert len(read_eurostat(path, skip_bad_rows=True).tables["indicators"]) == 1


def test_layout_and_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Eurostat layout") as err:
        read_eurostat(_write(tmp_path, "x.csv", "region,year,value\nDE21,2020,1\n"))
    assert err.value.line == 1
    with pytest.raises(InputError, match="empty"):
        read_eurostat(_write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError, match="not valid utf-8"):
        bad = tmp_path / "latin1.csv"
        bad.write_bytes(SDMX1_HEADER.encode() + "ESTAT:T(1.0),x,A,PC,DE21,2020,1,é\n".encode("latin-1"))
        read_eurostat(bad)
    with pytest.raises(InputError, match="not 'tgs00042'"):
        read_eurostat(_sdmx1(tmp_path, ("A", "DE21", "2020", "1")), dataset="tgs00042")
    two = SDMX1_HEADER + SDMX1_ROW.format(freq="A", geo="DE21", time="2020", value="1") + SDMX1_ROW.replace(
        "TGS00010", "TGS00042").format(freq="A", geo="DE21", time="2020", value="1")
    with pytest.raises(InputError, match="one dataset per file") as err:
        read_eurostat(_write(tmp_path, "two.csv", two))
    assert err.value.line == 3
    with pytest.raises(InputError, match="not found"):
        read_eurostat(tmp_path / "missing.csv")


def test_panel_small() -> None:
    batch = read_regional_panel(FIXTURES / "regional_panel_small.csv")
    frame = batch.tables["indicators"]
    assert list(frame.columns) == COLUMNS and batch.source == "eurostat-panel:edashop"
    assert batch.rows_read == 5 and len(frame) == 10  # filled cells, EU28 left out
    assert "EU28" not in set(frame.region) and any("EU28" in n for n in batch.notes)
    pop = _row(frame, "AT11", 2008, "demo_r_d2jan_SEX_T_AGE_TOTAL")
    assert pop.unit == "NR" and pop.value == 281190 and pop.source == "eurostat-panel:edashop"
    assert _row(frame, "AT11", 2009, "rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_BES").unit == "PC_EMP_FTE"
    assert _row(frame, "DE21", 2010, "htec_emp_reg2_NACE_R2_C_HTC_MH_SEX_T").unit == "PC_EMP"
    assert frame.year.dtype == "Int64" and set(frame.year) == {2008, 2009, 2010}


def test_panel_bad_values(tmp_path: Path) -> None:
    text = (FIXTURES / "regional_panel_small.csv").read_text().replace("0.35", "n/a?").replace("DE21,", "QQ21,")
    path = _write(tmp_path, "panel.csv", text)
    with pytest.raises(InputError) as err:
        read_regional_panel(path)
    assert (err.value.line, err.value.column, err.value.value) == (3, "rd_e_gerdreg_SECTPERF_BES_UNIT_PC_GDP", "n/a?")
    batch = read_regional_panel(path, skip_bad_rows=True)
    assert {(r.line, r.column) for r in batch.rejects} == {(3, "rd_e_gerdreg_SECTPERF_BES_UNIT_PC_GDP"), (6, "NUTS_ID")}
    assert len(batch.tables["indicators"]) == 10 - 1 - 3  # the bad cell, and the QQ21 row


# -- the real mirror ---------------------------------------------------------------------
@pytest.mark.mirror
def test_mirror_sdmx_files() -> None:
    folder = _mirror()
    files = sorted(folder.glob("eurostat_*.csv"))
    assert files, f"no eurostat_*.csv in {folder}"
    for path in files:
        started = time.perf_counter()
        batch = read_eurostat(path)
        assert time.perf_counter() - started < 10
        frame = batch.tables["indicators"]
        assert len(frame) > 0 and not batch.rejects, path
        assert frame.region.str.fullmatch(r"[A-Z]{2}[0-9A-Z]{0,3}").all()
    gerd = read_eurostat(folder / "eurostat_tgs00042_gerd_rd_expenditure.csv").tables["indicators"]
    at11 = _row(gerd, "AT11", 2013, "tgs00042.sectperf=TOTAL")
    assert at11.unit == "PC_GDP" and at11.value == pytest.approx(0.89) and at11.flag == "b"
    assert (gerd.flag == "c").sum() > 0 and gerd[gerd.flag == "c"].value.isna().all()
    emp = read_eurostat(folder / "eurostat_tgs00007_employment_rate.csv").tables["indicators"]
    assert set(emp.indicator) == {"tgs00007.sex=T.age=Y15-64"}


@pytest.mark.mirror
def test_mirror_panel() -> None:
    path = _mirror() / "regional_rd_panel_2008_2019.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} not in the mirror")
    started = time.perf_counter()
    batch = read_regional_panel(path)
    assert time.perf_counter() - started < 10
    frame = batch.tables["indicators"]
    assert batch.rows_read == 4454 and len(frame) > 100_000 and not batch.rejects
    assert set(frame.year) == set(range(2008, 2019))  # the 2019 rows are all empty
    units = set(frame.unit)
    assert {"NR", "PC", "PC_GDP", "THS", "PC_POP", "PC_EMP", "FTE", "HC", "PC_EMP_FTE"} <= units
    assert not any("UNIT" in i for i in frame.indicator.unique())
    assert not frame.region.isin(["EU28", "EU27", "EU15", "EA19", "EFTA"]).any()
    gerd = frame[frame.indicator == "rd_e_gerdreg_SECTPERF_TOTAL"]
    assert gerd.unit.eq("PC_GDP").all() and len(gerd) > 1000
    regional = gerd[~gerd.region.str.endswith("ZZ")]  # extra-regio FRZZ has GERD > 100% of its tiny GDP
    assert regional.value.between(0, 15).all()
    population = _row(frame, "AT11", 2008, "demo_r_d2jan_SEX_T_AGE_TOTAL")
    assert population.unit == "NR" and population.value == 280977
    with Warehouse(":memory:") as wh:
        wh.write(batch)
        assert wh.scalar("SELECT count(*) FROM indicators") == len(frame)
