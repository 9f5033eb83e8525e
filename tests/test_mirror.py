"""The whole offline mirror, loaded once: coverage, accuracy of placement, idempotency."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rok.cli.main import app
from rok.warehouse import Warehouse
from rok.warehouse.correspondence import unmapped_codes
from rok.warehouse.ingest import ingest_mirror
from rok.warehouse.status import status

pytestmark = pytest.mark.mirror

# Well-known research organisations and the NUTS 2021 region of their main seat, checked by
# hand against the NUTS 2021 classification (name patterns as spelled in the CORDIS tables).
KNOWN = {
    "UNIVERSITY OF PLYMOUTH": "UKK4",
    "KATHOLIEKE UNIVERSITEIT LEUVEN": "BE24",
    "TECHNISCHE UNIVERSITAET MUENCHEN": "DE21",
    "THE CHANCELLOR, MASTERS AND SCHOLARS OF THE UNIVERSITY OF CAMBRIDGE": "UKH1",
    "THE CHANCELLOR, MASTERS AND SCHOLARS OF THE UNIVERSITY OF OXFORD": "UKJ1",
    "UNIVERSITEIT VAN AMSTERDAM": "NL32",
    "TECHNISCHE UNIVERSITEIT DELFT": "NL33",
    "DANMARKS TEKNISKE UNIVERSITET": "DK01",
    "KOBENHAVNS UNIVERSITET": "DK01",
    "AARHUS UNIVERSITET": "DK04",
    "KUNGLIGA TEKNISKA HOEGSKOLAN": "SE11",
    "LUNDS UNIVERSITET": "SE22",
    "CHALMERS TEKNISKA HOEGSKOLA AB": "SE23",
    "UPPSALA UNIVERSITET": "SE12",
    "UNIVERSITETET I OSLO": "NO08",
    "NORGES TEKNISK-NATURVITENSKAPELIGE UNIVERSITET NTNU": "NO06",
    "UNIVERSIDAD POLITECNICA DE MADRID": "ES30",
    "UNIVERSITAT POLITECNICA DE CATALUNYA": "ES51",
    "UNIVERSIDAD DE GRANADA": "ES61",
    "UNIVERSITA DEGLI STUDI DI PADOVA": "ITH3",
    "POLITECNICO DI MILANO": "ITC4",
    "ALMA MATER STUDIORUM - UNIVERSITA DI BOLOGNA": "ITH5",
    "UNIVERSITA DEGLI STUDI DI TORINO": "ITC1",
    "CONSIGLIO NAZIONALE DELLE RICERCHE": "ITI4",
    "EIDGENOESSISCHE TECHNISCHE HOCHSCHULE ZUERICH": "CH04",
    "ECOLE POLYTECHNIQUE FEDERALE DE LAUSANNE": "CH01",
    "UNIVERSITAT WIEN": "AT13",
    "TECHNISCHE UNIVERSITAET GRAZ": "AT22",
    "UNIVERZA V LJUBLJANI": "SI04",
    "UNIWERSYTET JAGIELLONSKI": "PL21",
    "POLITECHNIKA WARSZAWSKA": "PL91",
    "UNIVERZITA KARLOVA": "CZ01",
    "NATIONAL TECHNICAL UNIVERSITY OF ATHENS - NTUA": "EL30",
    "ARISTOTELIO PANEPISTIMIO THESSALONIKIS": "EL52",
    "UNIVERSIDADE DO PORTO": "PT11",
    "UNIVERSITEIT GENT": "BE23",
    "UNIVERSITE LIBRE DE BRUXELLES": "BE10",
    "UNIVERSITE DE LIEGE": "BE33",
    "CENTRE NATIONAL DE LA RECHERCHE SCIENTIFIQUE CNRS": "FR10",
    "UNIVERSITE GRENOBLE ALPES": "FRK2",
    "UNIVERSITE DE BORDEAUX": "FRI1",
    "RHEINISCH-WESTFAELISCHE TECHNISCHE HOCHSCHULE AACHEN": "DEA2",
    "UNIVERSITY COLLEGE LONDON": "UKI3",
    "THE UNIVERSITY OF EDINBURGH": "UKM7",
    "THE UNIVERSITY OF MANCHESTER": "UKD3",
    "UNIVERSITY OF GLASGOW": "UKM8",
    "CARDIFF UNIVERSITY": "UKL2",
    "THE QUEEN'S UNIVERSITY OF BELFAST": "UKN0",
    "TARTU ULIKOOL": "EE00",
    "UNIVERSITY OF CYPRUS": "CY00",
    "BUDAPESTI MUSZAKI ES GAZDASAGTUDOMANYI EGYETEM": "HU11",
    "UNIVERSITATEA POLITEHNICA DIN BUCURESTI": "RO32",
    "SOFIISKI UNIVERSITET SVETI KLIMENT OHRIDSKI": "BG41",
    "UNIVERSITEIT UTRECHT": "NL31",
    "WAGENINGEN UNIVERSITY": "NL22",
}


@pytest.fixture(scope="module")
def loaded(mirror_db):
    return mirror_db


@pytest.fixture()
def wh(loaded):
    with Warehouse(loaded) as warehouse:
        yield warehouse


def test_counts_match_the_mirror_readme(wh):
    counts = wh.counts()
    assert counts["participations"] == 144_726
    assert wh.scalar("SELECT count(*) FROM project_domains WHERE taxonomy = 'h2020-part'") == 37_441
    assert wh.scalar("SELECT count(*) FROM organisation_sources WHERE source = 'cordis-h2020-orgs-2017'") == 16_591
    assert wh.scalar("SELECT count(*) FROM organisation_sources WHERE source = 'cordis-fp7-addresses'") == 30_399
    assert wh.scalar("SELECT count(*) FROM regions WHERE nuts_version = 2021 AND level = 2") == 334
    assert wh.scalar("SELECT count(*) FROM regions WHERE nuts_version = 2016 AND level = 2") == 332
    assert wh.scalar("SELECT count(*) FROM regions WHERE nuts_version = 2024") == 1_798
    # the one organisation row without an id is recorded, not silently dropped
    rejects = wh.query('SELECT line, "column", reason FROM rejects WHERE "column" <> \'nuts3_2016\'').values.tolist()
    assert rejects == [[575, "orgId", "expected a value"]]
    # the LAU table gives 61 Albanian municipalities a NUTS 2 code instead of a NUTS 3 code
    lau = wh.query("""SELECT count(*) AS n, min(substr(value, 1, 2)) AS country FROM rejects
                      WHERE "column" = 'nuts3_2016' AND length(value) = 4""").values.tolist()
    assert lau == [[61, "AL"]]


def test_projects_and_domains(wh):
    assert wh.scalar("SELECT count(*) FROM projects WHERE framework = 'H2020'") == 31_451
    assert wh.scalar("SELECT count(*) FROM projects WHERE framework = 'HORIZON'") == 15_341
    sums = wh.query("SELECT project_id, taxonomy, sum(weight) AS w FROM project_domains GROUP BY 1, 2")
    assert sums["w"].between(0.999999, 1.000001).all()


def test_placement_coverage_meets_the_targets(wh):
    cov = status(wh)["placement"]
    assert cov["participations"]["share"] >= 0.80
    assert cov["ec_contribution"]["share"] >= 0.85
    assert cov["placed_inside_own_country"]["share"] >= 0.99


def test_known_organisations_are_placed_right(wh):
    names = list(KNOWN)
    found = wh.query(
        "SELECT name, nuts2 FROM organisations WHERE name IN (SELECT unnest(?)) AND org_id IN (SELECT org_id FROM participations)",
        [names],
    )
    got = dict(zip(found["name"], found["nuts2"], strict=True))
    assert len(got) >= 0.95 * len(KNOWN), sorted(set(KNOWN) - set(got))
    wrong = {name: (got[name], KNOWN[name]) for name in got if got[name] != KNOWN[name]}
    assert not wrong


def test_every_placed_code_is_a_nuts_2021_region(wh):
    assert wh.scalar(
        """SELECT count(*) FROM organisations o WHERE nuts2 IS NOT NULL AND (
               nuts2 NOT IN (SELECT code FROM regions WHERE nuts_version = 2021 AND level = 2)
            OR (nuts3 IS NOT NULL AND nuts3 NOT IN (SELECT code FROM regions WHERE nuts_version = 2021 AND level = 3)))"""
    ) == 0


def test_indicators_keep_units_flags_and_map_to_2021(wh):
    row = wh.query(
        """SELECT value, unit, flag, nuts_version FROM indicators
           WHERE region = 'AT11' AND indicator = 'tgs00042.sectperf=TOTAL' AND year = 2013"""
    ).iloc[0]
    assert (row["value"], row["unit"], row["flag"], row["nuts_version"]) == (0.89, "PC_GDP", "b", 2021)
    assert wh.scalar(
        "SELECT value FROM indicators_nuts2021 WHERE region = 'AT11' AND indicator = 'tgs00042.sectperf=TOTAL' AND year = 2013"
    ) == 0.89
    methods = set(wh.query("SELECT DISTINCT method FROM indicators_nuts2021")["method"])
    kinds = ("split", "split and merge", "boundary change", "merge")
    hows = ("population share", "ratio from re-allocated numerator and denominator", "ratio weighted by population share")
    allowed = {"same code", "recode (area overlap)", "recode (NUTS history)"} | {f"{k} ({h})" for k in kinds for h in hows}
    assert {"same code", "recode (NUTS history)", "split (population share)"} <= methods <= allowed
    unmapped = unmapped_codes(wh)
    # NUTS 2010 codes whose NUTS 3 successors the history does not name are reported, with a reason
    assert "SI01" in set(unmapped["region"]) and "UKI1" not in set(unmapped["region"])
    assert unmapped["reason"].notna().all()


def test_rerun_is_idempotent(loaded, mirror):
    def snapshot(wh: Warehouse) -> dict[str, list]:
        return {t: sorted(map(str, wh.con.execute(f"SELECT * EXCLUDE (geometry) FROM {t}" if t == "regions"
                                                   else f"SELECT * FROM {t}").fetchall()))
                for t in wh.counts()}

    with Warehouse(loaded) as wh:
        before = snapshot(wh)
        report = ingest_mirror(wh, mirror)
        after = snapshot(wh)
    assert all(load.skipped for load in report.loads)
    assert before == after


def test_status_json_through_the_cli(loaded):
    result = CliRunner().invoke(app, ["status", "--format", "json", "--db", str(loaded)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["placement"]["participations"]["share"] >= 0.80
    assert {row["method"] for row in report["placement"]["by_method"]} >= {"gazetteer", "single-region", "unplaced"}
    assert report["tables"]["participations"] == 144_726


def test_two_address_sources_agree(wh):
    from rok.warehouse.placement import cross_source_agreement

    check = cross_source_agreement(wh)
    assert check["placed_from_both"] > 5_000
    assert check["agreement"] >= 0.97
