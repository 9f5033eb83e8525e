"""Tests of the CORDIS bulk download reader (made-up fixtures in tests/fixtures/cordis_bulk)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from rok.errors import InputError, SourceError
from rok.sources.batch import Batch, sha256_bytes, sha256_file
from rok.sources.cordis_bulk import read_cordis_bulk
from rok.warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "cordis_bulk"
H2020 = FIXTURES / "cordis-h2020projects-csv"
FP7 = FIXTURES / "cordis-fp7projects-csv"
TABLES = ("projects", "participations", "organisation_sources", "domains", "project_domains", "loads", "rejects")

Edit = Callable[[bytes], bytes]


def make_zip(src: Path, dest: Path, *, prefix: str = "", method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(dest, "w", method) as archive:
        for member in sorted(src.iterdir()):
            archive.write(member, prefix + member.name)
    return dest


def variant(tmp_path: Path, src: Path, member: str, edit: Edit, *, name: str | None = None) -> Path:
    """A copy of a fixture directory with one member changed."""
    dest = tmp_path / (name or src.name)
    shutil.copytree(src, dest)
    target = dest / member
    target.write_bytes(edit(target.read_bytes()))
    return dest


def sub(old: str | bytes, new: str | bytes, count: int = 1) -> Edit:
    old_b = old.encode() if isinstance(old, str) else old
    new_b = new.encode() if isinstance(new, str) else new

    def edit(data: bytes) -> bytes:
        assert old_b in data, old_b
        return data.replace(old_b, new_b, count)

    return edit


def append_line(line_no: int) -> Edit:
    """Append a copy of physical line ``line_no`` (1-based) at the end of the file."""
    return lambda data: data + data.split(b"\n")[line_no - 1] + b"\n"


def to_commas(data: bytes, delimiter: str = ",") -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n", delimiter=delimiter).writerows(rows)
    return out.getvalue().encode()


def to_tabs(data: bytes) -> bytes:
    return to_commas(data, "\t")


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def snapshot(wh: Warehouse) -> dict[str, pd.DataFrame]:
    return {t: wh.query(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


# -- good input ----------------------------------------------------------------------------


def test_current_layout_directory() -> None:
    batch = read_cordis_bulk(H2020)
    assert batch.source == "cordis-h2020-bulk"
    assert batch.file == str(H2020)
    assert batch.rows_read == 3 + 9 + 6 + 3 and batch.rows_kept == batch.rows_read and not batch.rejects
    projects = batch.tables["projects"]
    assert list(projects["project_id"]) == ["H2020:700101", "H2020:700102", "H2020:700103"]
    p = row(projects, grant_id="700101")
    assert p["framework"] == "H2020" and p["rcn"] == 201234 and p["acronym"] == "AQUAMAP"
    assert p["total_cost"] == pytest.approx(2499968.75) and p["ec_max_contribution"] == pytest.approx(2499968.75)
    assert p["start_date"] == dt.date(2016, 3, 1) and p["end_date"] == dt.date(2019, 2, 28)
    assert (p["start_year"], p["end_year"]) == (2016, 2019)
    assert p["funding_scheme"] == "RIA" and p["topic"] == "SC5-17-2015" and p["n_participants"] == 3
    soil = row(projects, grant_id="700103")
    assert soil["total_cost"] == pytest.approx(7015432.1) and soil["n_participants"] == 4
    assert soil["topic"] == "RUR-08-2020"  # empty in project.csv, taken from topics.csv

    parts = batch.tables["participations"]
    assert len(parts) == 9 and set(parts["source"]) == {"cordis-h2020-bulk"}
    coord = row(parts, project_id="H2020:700101", org_id="999901")
    assert coord["role"] == "coordinator" and coord["ord"] == 1 and coord["activity_type"] == "HES"
    assert coord["ec_contribution"] == pytest.approx(1200000.5) and coord["end_of_participation"] is False
    assert row(parts, project_id="H2020:700101", org_id="999903")["country"] == "EL"
    ended = row(parts, project_id="H2020:700103", org_id="999901")
    assert ended["end_of_participation"] is True and ended["total_cost"] == pytest.approx(1914831.5)
    assoc = row(parts, org_id="999906")
    assert assoc["role"] == "associatedpartner" and pd.isna(assoc["ec_contribution"])
    assert any("1 participations of 1 projects" in note for note in batch.notes)  # 700199 not in project.csv


def test_organisations_deduplicated_with_latest_update() -> None:
    orgs = read_cordis_bulk(H2020).tables["organisation_sources"]
    assert sorted(orgs["org_id"]) == ["999901", "999902", "999903", "999904", "999905", "999906"]
    ucl = row(orgs, org_id="999904")  # two rows: 2020-01-10 (upper case) and 2023-05-02
    assert ucl["name"] == "University College London" and ucl["url"] == "https://www.ucl.ac.uk"
    assert ucl["updated"] == dt.date(2023, 5, 2) and ucl["source"] == "cordis-h2020-bulk"
    assert ucl["nuts_code"] == "UKI31" and ucl["country"] == "UK" and ucl["postcode"] == "WC1E 6BT"
    assert (ucl["lat"], ucl["lon"]) == pytest.approx((51.5246, -0.134))
    auth = row(orgs, org_id="999903")
    assert auth["nuts_code"] == "EL522" and auth["short_name"] == "AUTH" and auth["vat"] == "EL090049446"
    agro = row(orgs, org_id="999905")
    assert pd.isna(agro["lat"]) and pd.isna(agro["lon"]) and agro["activity_type"] == "PRC"
    stanford = row(orgs, org_id="999906")
    assert stanford["nuts_code"] is None and stanford["lon"] == pytest.approx(-122.1697)


def test_nuts_code_upper_cased(tmp_path: Path) -> None:
    path = variant(tmp_path, H2020, "organization.csv", sub('"EL522"', '"el522"'))
    assert row(read_cordis_bulk(path).tables["organisation_sources"], org_id="999903")["nuts_code"] == "EL522"


def test_euroscivoc_domains_and_weights() -> None:
    batch = read_cordis_bulk(H2020)
    every = batch.tables["project_domains"]
    assert set(every["taxonomy"]) == {"euroscivoc", "euroscivoc-1", "euroscivoc-2"}
    links = every[every["taxonomy"] == "euroscivoc"]
    assert len(links) == 6
    assert links.groupby("project_id")["weight"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert row(links, project_id="H2020:700103", code="/27/85/401")["weight"] == pytest.approx(1 / 3)
    # /21/59/269/1521 (dementia, level 4) counts for its level-3 ancestor, neurology
    assert row(links, project_id="H2020:700102")["code"] == "/21/59/269"
    assert row(links, project_id="H2020:700102")["weight"] == 1.0
    top = every[every["taxonomy"] == "euroscivoc-1"]
    assert row(top, project_id="H2020:700103", code="/23")["weight"] == pytest.approx(1 / 3)
    domains = batch.tables["domains"]
    domains = domains[domains["taxonomy"] == "euroscivoc"]
    assert row(domains, code="/21/59/269")["name"] == "neurology" and "/21/59/269/1521" not in set(domains["code"])
    assert not domains.duplicated(["taxonomy", "code"]).any()
    hydrology = row(domains, code="/23/39/153")
    assert hydrology["name"] == "hydrology" and hydrology["parent"] == "/23/39"
    field = row(domains, code="/23/39")
    assert field["name"] == "earth and related environmental sciences" and field["parent"] == "/23"
    assert row(domains, code="/23")["parent"] is None
    assert set(domains["parent"].dropna()) <= set(domains["code"])
    assert batch.replace["project_domains"] == "taxonomy LIKE 'euroscivoc%' AND project_id LIKE 'H2020:%'"


def test_older_layout_directory() -> None:
    batch = read_cordis_bulk(FP7)
    assert batch.source == "cordis-fp7-bulk" and batch.rows_read == 2 + 5
    assert set(batch.tables) == {"projects", "participations", "organisation_sources"}
    p = row(batch.tables["projects"], project_id="FP7:310001")
    assert p["total_cost"] == pytest.approx(3456789.12) and p["n_participants"] == 3 and p["rcn"] == 98765
    parts = batch.tables["participations"]
    nerc = row(parts, project_id="FP7:310001", org_id="999813")
    assert nerc["ec_contribution"] == pytest.approx(699999.5) and nerc["end_of_participation"] is True
    assert nerc["country"] == "UK" and pd.isna(nerc["ord"]) and pd.isna(nerc["net_ec_contribution"])
    orgs = batch.tables["organisation_sources"]
    assert len(orgs) == 3
    su = row(orgs, org_id="999811")
    assert su["url"] == "http://www.su.se" and su["nuts_code"] is None and pd.isna(su["lat"])


@pytest.mark.parametrize("src", [H2020, FP7], ids=["current", "older"])
@pytest.mark.parametrize("prefix", ["", "csv/"], ids=["flat", "subfolder"])
def test_zip_reads_like_directory(tmp_path: Path, src: Path, prefix: str) -> None:
    archive = make_zip(src, tmp_path / f"{src.name}.zip", prefix=prefix)
    from_zip, from_dir = read_cordis_bulk(archive), read_cordis_bulk(src)
    assert from_zip.source == from_dir.source and from_zip.file == str(archive)
    assert from_zip.sha256 == sha256_file(archive) and from_zip.rows_read == from_dir.rows_read
    assert from_zip.tables.keys() == from_dir.tables.keys()
    for name, frame in from_dir.tables.items():
        pd.testing.assert_frame_equal(from_zip.tables[name], frame)


def test_directory_sha256_covers_member_files() -> None:
    members = ["project.csv", "organization.csv", "euroSciVoc.csv", "topics.csv"]
    expected = sha256_bytes(b"".join((H2020 / m).read_bytes() for m in members))
    assert read_cordis_bulk(H2020).sha256 == expected


@pytest.mark.parametrize(
    ("name", "framework", "expected"),
    [
        ("download", None, "FP7"),  # frameworkProgramme column
        ("cordis-HORIZONprojects-csv", None, "HORIZON"),
        ("horizon2020-export", None, "H2020"),
        ("download", "Horizon", "HORIZON"),
    ],
)
def test_framework_detection(tmp_path: Path, name: str, framework: str | None, expected: str) -> None:
    edit = sub(";FP7;", ";;", -1) if name != "download" or framework else (lambda b: b)
    path = variant(tmp_path, FP7, "project.csv", edit, name=name)
    batch = read_cordis_bulk(path, framework=framework)
    assert batch.source == f"cordis-{expected.lower()}-bulk"
    assert set(batch.tables["projects"]["framework"]) == {expected}
    assert batch.tables["participations"]["project_id"].str.startswith(f"{expected}:").all()


def test_framework_unknown(tmp_path: Path) -> None:
    path = variant(tmp_path, FP7, "project.csv", sub(";FP7;", ";;", -1), name="download")
    with pytest.raises(InputError, match="framework"):
        read_cordis_bulk(path)
    with pytest.raises(InputError, match="unknown framework 'fp6'"):
        read_cordis_bulk(FP7, framework="fp6")


def test_comma_layout_is_read(tmp_path: Path) -> None:
    batch = read_cordis_bulk(variant(tmp_path, H2020, ORG, to_commas))
    assert batch.tables["participations"].equals(read_cordis_bulk(H2020).tables["participations"])


def test_write_to_warehouse() -> None:
    wh = Warehouse(":memory:")
    batch = read_cordis_bulk(H2020)
    result = wh.write(batch)
    assert result.rows_read == 21 and result.rows_rejected == 0
    counts = wh.counts()
    assert counts["projects"] == 3 and counts["participations"] == 9 and counts["organisation_sources"] == 6
    # euroscivoc: 12 codes at levels 1-3 (4 fields x 3 levels), plus 4 codes in each roll-up;
    # 6 links per taxonomy, weights summing to 1 per project (3 projects) in each of the three
    assert counts["domains"] == 20 and counts["project_domains"] == 18 and counts["loads"] == 1
    assert wh.scalar("SELECT sum(weight) FROM project_domains") == pytest.approx(9.0)
    assert wh.scalar("SELECT count(*) FROM participations WHERE end_of_participation") == 1
    assert wh.scalar("SELECT nuts_code FROM organisation_sources WHERE org_id = '999903'") == "EL522"
    assert wh.scalar("SELECT notes FROM loads").startswith("1 participations")
    assert wh.write(batch).skipped
    before = snapshot(wh)
    wh.write(read_cordis_bulk(H2020), force=True)
    after = snapshot(wh)
    for table in ("projects", "participations", "organisation_sources", "domains", "project_domains"):
        pd.testing.assert_frame_equal(after[table].drop(columns="load_id"), before[table].drop(columns="load_id"))
    wh.write(read_cordis_bulk(FP7))
    assert wh.counts()["projects"] == 5 and wh.counts()["participations"] == 14


# -- bad input ------------------------------------------------------------------------------

ORG, PRJ = "organization.csv", "project.csv"
# id: (fixture, member, edit, fragments the message must contain, row-level?)
BAD: dict[str, tuple[Path, str, Edit, list[str], bool]] = {
    "missing-role": (H2020, ORG, sub(";role;", ";rol;"), [ORG, "line 1", "column 'role'", "missing required"], False),
    "missing-org-id": (FP7, ORG, sub(";id;", ";ident;"), [ORG, "line 1", "column 'organisationID'"], False),
    "missing-startDate": (H2020, PRJ, sub("startDate", "start"), [PRJ, "line 1", "column 'startDate'"], False),
    # commas are read (the Horizon Europe layout since 2024: test_comma_layout_is_read); tabs are not
    "tab-delimited": (H2020, ORG, to_tabs, [ORG, "line 1", "wrong delimiter"], False),
    "latin-1": (H2020, ORG, sub("Thessaloniki", "Thessaloníki".encode("latin-1")), [ORG, "line 3", "'ed'", "utf-8"], False),
    "empty": (H2020, ORG, lambda b: b"", [ORG, "line 1", "empty"], False),
    "bom-only": (FP7, PRJ, lambda b: b"\xef\xbb\xbf", [PRJ, "line 1", "empty"], False),
    "ec-not-numeric": (H2020, ORG, sub('"650000";"650000"', '"650k";"650000"'),
                       [ORG, "line 3", "column 'ecContribution'", "value '650k'", "number"], True),
    "unknown-nuts": (H2020, ORG, sub('"EL522"', '"XX12"'), [ORG, "line 3", "column 'nutsCode'", "value 'XX12'", "NUTS"], True),
    "bad-geolocation": (H2020, ORG, sub('"40.6301,22.9563"', '"40.6301 22.9563"'),
                        [ORG, "line 3", "column 'geolocation'", "value '40.6301 22.9563'"], True),
    "geolocation-range": (H2020, ORG, sub('"40.6301,22.9563"', '"140.6301,22.9563"'), [ORG, "line 3", "out of range"], True),
    "bad-end-flag": (H2020, ORG, sub('"false";"true"\n"700101";"AQUAMAP";"999904"', '"maybe";"true"\n"700101";"AQUAMAP";"999904"'),
                     [ORG, "line 3", "column 'endOfParticipation'", "value 'maybe'"], True),
    "short-row": (H2020, ORG, sub('"false";"true"\n"700101";"AQUAMAP";"999904"', '"true"\n"700101";"AQUAMAP";"999904"'),
                  [ORG, "line 3", "24 fields"], True),
    "duplicate-participation": (H2020, ORG, append_line(2), [ORG, "line 11", "duplicate primary key", "first seen on line 2"], True),
    "duplicate-project": (H2020, PRJ, append_line(4), [PRJ, "line 6", "column 'id'", "duplicate primary key"], True),
    "bad-start-date": (H2020, PRJ, sub('"2017-01-01"', '"2017-13-01"'), [PRJ, "line 4", "column 'startDate'", "2017-13-01"], True),
    "bad-rcn": (FP7, PRJ, sub("\n99001;", "\n99OO1;"), [PRJ, "line 3", "column 'rcn'", "whole number"], True),
}
ROW_LEVEL = [key for key, case in BAD.items() if case[4]]


@pytest.mark.parametrize("as_zip", [False, True], ids=["dir", "zip"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_located(tmp_path: Path, case: str, as_zip: bool) -> None:
    src, member, edit, fragments, _ = BAD[case]
    path = variant(tmp_path, src, member, edit)
    if as_zip:
        path = make_zip(path, tmp_path / f"{src.name}.zip")
    with pytest.raises(InputError) as info:
        read_cordis_bulk(path)
    message = str(info.value)
    assert (f"{path}:{member}" if as_zip else str(path / member)) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("case", [k for k in BAD if not BAD[k][4]])
def test_file_level_errors_stop_even_when_skipping(tmp_path: Path, case: str) -> None:
    src, member, edit, _, _ = BAD[case]
    with pytest.raises(InputError, match=member.replace(".", r"\.")):
        read_cordis_bulk(variant(tmp_path, src, member, edit), skip_bad_rows=True)


@pytest.mark.parametrize("case", ROW_LEVEL)
def test_skip_bad_rows_keeps_the_others(tmp_path: Path, case: str) -> None:
    src, member, edit, fragments, _ = BAD[case]
    good = read_cordis_bulk(src)
    batch = read_cordis_bulk(variant(tmp_path, src, member, edit), skip_bad_rows=True)
    assert len(batch.rejects) == 1
    reject = batch.rejects[0]
    assert reject.file.endswith(member) and f"line {reject.line}" in fragments
    added = 1 if "duplicate" in case else 0
    assert batch.rows_read == good.rows_read + added and batch.rows_kept == good.rows_read - 1 + added
    table = "projects" if member == PRJ else "participations"
    assert len(batch.tables[table]) == len(good.tables[table]) - 1 + added
    result = Warehouse(":memory:").write(batch)
    assert result.rows_rejected == 1


def test_skip_bad_rows_rejects_reach_the_warehouse(tmp_path: Path) -> None:
    path = variant(tmp_path, H2020, ORG, sub('"EL522"', '"XX12"'))
    wh = Warehouse(":memory:")
    wh.write(read_cordis_bulk(path, skip_bad_rows=True))
    rejects = wh.query("SELECT * FROM rejects")
    assert rejects[["line", "column", "value"]].values.tolist() == [[3, "nutsCode", "XX12"]]
    assert wh.scalar("SELECT status FROM loads") == "ok-with-rejects"
    # the rejected row was AUTH's only participation: no organisation row either
    assert wh.scalar("SELECT count(*) FROM organisation_sources WHERE org_id = '999903'") == 0


def test_truncated_zip(tmp_path: Path) -> None:
    archive = make_zip(H2020, tmp_path / "cordis-h2020projects-csv.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"cordis-h2020projects-csv\.zip.*(damaged|truncated)"):
        read_cordis_bulk(archive)


def test_corrupt_zip_member(tmp_path: Path) -> None:
    archive = make_zip(H2020, tmp_path / "cordis-h2020projects-csv.zip", method=zipfile.ZIP_STORED)
    data = archive.read_bytes()
    archive.write_bytes(data.replace(b"Groundwater feeds", b"Groundwater feedz", 1))
    with pytest.raises(SourceError, match=r"cordis-h2020projects-csv\.zip.*CRC"):
        read_cordis_bulk(archive)


def test_missing_member_and_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "cordis-h2020projects-csv"
    shutil.copytree(H2020, path)
    (path / ORG).unlink()
    with pytest.raises(InputError, match="no organization.csv"):
        read_cordis_bulk(make_zip(path, tmp_path / "cordis-h2020projects-csv.zip"))
    with pytest.raises(InputError, match="file not found"):
        read_cordis_bulk(tmp_path / "nothing.zip")


@pytest.mark.parametrize("case", ["unknown-nuts", "duplicate-participation", "latin-1", "missing-role"])
def test_failed_read_leaves_warehouse_unchanged(tmp_path: Path, case: str) -> None:
    wh = Warehouse(":memory:")
    wh.write(read_cordis_bulk(FP7))
    before = snapshot(wh)
    src, member, edit, _, _ = BAD[case]
    with pytest.raises(InputError):
        batch: Batch = read_cordis_bulk(variant(tmp_path, src, member, edit))
        wh.write(batch)
    after = snapshot(wh)
    for table in TABLES:
        pd.testing.assert_frame_equal(after[table], before[table])


def test_plain_csv_is_not_a_download() -> None:
    with pytest.raises(InputError, match="expected a CORDIS bulk download"):
        read_cordis_bulk(H2020 / PRJ)
