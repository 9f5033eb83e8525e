"""Regions and domains as people type them: codes in any case, old NUTS codes, names without
accents; clear errors with suggestions, on the real mirror and on a tiny warehouse."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from rok.cli.resolve import Lookup, fold
from rok.errors import InputError


def test_fold_drops_case_accents_and_punctuation():
    assert fold("Łódzkie") == "lodzkie"
    assert fold("Île-de-France") == "ile de france"
    assert fold("Région de Bruxelles-Capitale/ Brussels") == "region de bruxelles capitale brussels"
    assert fold("Ærø  Straße") == "aero strasse"


def tiny(history: list[tuple] | None = None) -> Lookup:
    regions = pd.DataFrame(
        [("PL82", 2021, 2, "Podkarpackie", "Podkarpackie", "PL"), ("PL71", 2021, 2, "Łódzkie", "Łódzkie", "PL"),
         ("PL8", 2021, 1, "Makroregion wschodni", None, "PL"), ("PL821", 2021, 3, "Krośnieński", None, "PL"),
         ("BE22", 2021, 2, "Prov. Limburg (BE)", None, "BE"), ("NL42", 2021, 2, "Limburg (NL)", None, "NL"),
         ("HR02", 2021, 2, "Panonska Hrvatska", None, "HR"), ("HR06", 2021, 2, "Sjeverna Hrvatska", None, "HR"),
         ("NO08", 2021, 2, "Oslo og Viken", None, "NO"), ("NO01", 2016, 2, "Oslo og Akershus", None, "NO")],
        columns=["code", "nuts_version", "level", "name", "name_latn", "country"])
    domains = pd.DataFrame([("h2020-part", "SC1", "Health, demographic change and wellbeing"),
                            ("h2020-part", "SC3", "Secure, clean and efficient energy"),
                            ("h2020-part", "SC7", "Secure societies: protecting freedom")],
                           columns=["taxonomy", "code", "name"])
    rows = history or [("NO01", 2016, "NO08", 2021, "merge", 0.91), ("HR04", 2016, "HR02", 2021, "split", 0.70),
                       ("HR04", 2016, "HR06", 2021, "split", 0.26)]
    frame = pd.DataFrame(rows, columns=["old_code", "old_version", "new_code", "new_version", "kind", "share"])
    activity = pd.DataFrame([(2015, "h2020-part", "SC1", 10), (2016, "h2020-part", "SC3", 5)],
                            columns=["start_year", "taxonomy", "domain", "participations"])
    return Lookup(regions, domains, frame, activity)


@pytest.mark.parametrize(("text", "code"), [
    ("pl82", "PL82"), (" PL82 ", "PL82"), ("Podkarpackie", "PL82"), ("podkarpackie", "PL82"),
    ("lodzkie", "PL71"), ("ŁÓDZKIE", "PL71"), ("Limburg (NL)", "NL42"), ("oslo og viken", "NO08"),
])
def test_region_by_code_or_name(text, code):
    assert tiny().region(text, 2) == code


def test_old_code_is_mapped_with_a_note(capsys):
    lookup = tiny()
    assert lookup.region("no01", 2) == "NO08"
    assert capsys.readouterr().err.strip() == "note: NO01 (NUTS 2016) is NO08 Oslo og Viken in NUTS 2021"


@pytest.mark.parametrize(("text", "message"), [
    ("HR04", "HR04 (NUTS 2016) was split in NUTS 2021; give one of: HR02 Panonska Hrvatska (70%), "
             "HR06 Sjeverna Hrvatska (26%)"),
    ("Limburg", "several regions match; give one of: BE22 Prov. Limburg (BE) (NUTS 2), NL42 Limburg (NL) (NUTS 2)"),
    ("Podkarpacke", "did you mean PL82 Podkarpackie (NUTS 2)?"),
    ("Atlantis", "no region with this code or name"),
    ("PL8", "PL8 Makroregion wschodni is a NUTS 1 region; give --level 1, or give one of its NUTS 2 regions: "
            "PL82 Podkarpackie"),
    ("PL821", "PL821 Krośnieński is a NUTS 3 region, in PL82 Podkarpackie (NUTS 2); give --level 3 or PL82"),
])
def test_region_errors_are_one_clear_line(text, message):
    with pytest.raises(InputError) as caught:
        tiny().region(text, 2)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_fixed_level_suggests_no_option():
    with pytest.raises(InputError, match=r"is a NUTS 1 region; give one of its NUTS 2 regions"):
        tiny().region("PL8", 2, fixed=True)


@pytest.mark.parametrize(("text", "code"), [
    ("SC1", "SC1"), ("sc3", "SC3"), ("Health, demographic change and wellbeing", "SC1"),
    ("health, DEMOGRAPHIC change and wellbeing", "SC1"), ("energy", "SC3"),
])
def test_domain_by_code_or_name(text, code):
    assert tiny().domain(text) == code


def test_domain_ambiguous_or_unknown():
    with pytest.raises(InputError, match="several domains match; give one of: SC3 .*SC7"):
        tiny().domain("secure")
    with pytest.raises(InputError, match="no domain of taxonomy h2020-part with this code or name"):
        tiny().domain("astronomy")


def test_empty_selection_says_what_exists():
    with pytest.raises(InputError) as caught:
        tiny().check_selection((2030, 2035))
    assert ("no participations in the selection (any domain with projects starting 2030-2035); data exist for projects starting "
            "2015-2016; no domain has data in 2030-2035; domains with data: SC1, SC3") in str(caught.value)
    with pytest.raises(InputError, match="SC3 has data for start years 2016-2016; domains with data in 2015-2015: SC1"):
        tiny().check_selection((2015, 2015), domain="SC3")
    tiny().check_selection((2016, 2016), domain="SC3")  # data: no error


def test_history_table_is_preferred_to_the_correspondence(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE regions (code VARCHAR, nuts_version INT, level INT, name VARCHAR, "
                    "name_latn VARCHAR, country VARCHAR)")
        con.execute("INSERT INTO regions VALUES ('NO08', 2021, 2, 'Oslo og Viken', NULL, 'NO')")
        con.execute("CREATE TABLE domains (taxonomy VARCHAR, code VARCHAR, name VARCHAR)")
        con.execute("CREATE TABLE projects (project_id VARCHAR, start_year INT)")
        con.execute("CREATE TABLE participations (project_id VARCHAR)")
        con.execute("CREATE TABLE project_domains (project_id VARCHAR, taxonomy VARCHAR, code VARCHAR)")
        con.execute("CREATE TABLE nuts_correspondence (from_code VARCHAR, from_version INT, to_code VARCHAR, "
                    "to_version INT, level INT, share_of_from DOUBLE, share_of_to DOUBLE, method VARCHAR)")
        con.execute("INSERT INTO nuts_correspondence VALUES ('XX01', 2016, 'NO08', 2021, 2, 1, 1, 'same region')")
    assert Lookup.read(path).region("XX01") == "NO08"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE nuts_code_history (old_code VARCHAR, old_version INT, new_code VARCHAR, "
                    "new_version INT, kind VARCHAR, share DOUBLE, method VARCHAR)")
        con.execute("INSERT INTO nuts_code_history VALUES ('YY01', 2013, 'NO08', 2021, 'recode', 1, 'table')")
    lookup = Lookup.read(path)
    assert lookup.region("yy01") == "NO08"
    with pytest.raises(InputError, match="no region"):
        lookup.region("XX01")


@pytest.mark.mirror
def test_on_the_mirror(mirror_db, capsys):
    lookup = Lookup.read(mirror_db)
    assert lookup.region("Podkarpackie", 2) == "PL82"
    assert lookup.region("Lombardia", 2) == "ITC4"
    assert lookup.region("Île-de-France", 2) == lookup.region("ile de france", 2) == "FR10"
    assert lookup.region("NO01", 2) == "NO08" and "NUTS 2016" in capsys.readouterr().err
    with pytest.raises(InputError, match="HR04 \\(NUTS 2016\\) was split in NUTS 2021; give one of: HR02"):
        lookup.region("HR04", 2)
    with pytest.raises(InputError, match="several regions match.*BE22.*NL42"):
        lookup.region("Limburg", 2)
    assert lookup.domain("Secure, clean and efficient energy") == "SC3"
    assert lookup.domain("Health, demographic change and wellbeing") == "SC1"


def test_history_is_followed_through_versions(capsys):
    # FR71 (NUTS 2013) became FRK2 in NUTS 2016, which NUTS 2021 kept
    lookup = tiny([("FR71", 2013, "FRK2", 2016, "recode", 1.0), ("FRK2", 2016, "FRK2", 2021, "same", 1.0)])
    lookup.regions = pd.concat([lookup.regions, pd.DataFrame(
        [("FRK2", 2021, 2, "Rhône-Alpes", "Rhône-Alpes", "FR")], columns=lookup.regions.columns)])
    assert lookup.region("fr71", 2) == "FRK2"
    assert "FR71 (NUTS 2013) is FRK2 Rhône-Alpes in NUTS 2021" in capsys.readouterr().err
