"""Agenda drafting on the mirror: every SWOT number against an independent computation from
the warehouse (SQL and pandas, not rok's measures; the performance index as `rok performance`
prints it), priorities, actions, indicators, partners from the stored index, bad input, and
storing the draft in a workspace."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from rok.errors import InputError

pytestmark = pytest.mark.mirror

REGION = "ES61"  # Andalucía: a moderate performer, so every kind of SWOT item occurs
CONSORTIUM = ["ITC4", "PL91", "RO11"]


@pytest.fixture(scope="module")
def profiles(mirror_db: Path) -> Any:
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        return Profiles.compute(engine, Selection())


@pytest.fixture(scope="module")
def horizon(mirror: Path) -> Any:
    from rok.cooperation.landscape import load_horizon

    return load_horizon(None, mirror)


@pytest.fixture(scope="module")
def draft(mirror_db: Path, profiles: Any, horizon: Any) -> dict[str, Any]:
    from rok.cooperation.agenda import draft_agenda

    return draft_agenda(mirror_db, region=REGION, profiles=profiles, horizon=horizon)


@pytest.fixture(scope="module")
def joint(mirror_db: Path, profiles: Any, horizon: Any) -> dict[str, Any]:
    from rok.cooperation.agenda import draft_agenda

    return draft_agenda(mirror_db, consortium=CONSORTIUM, profiles=profiles, horizon=horizon)


@pytest.fixture(scope="module")
def sql(mirror_db: Path) -> Any:
    con = duckdb.connect(str(mirror_db), read_only=True)
    yield lambda q, *a: con.execute(q, list(a)).df()
    con.close()


# -- independent computations ----------------------------------------------------------------
def activity(sql: Any) -> pd.DataFrame:
    """NUTS 2 x programme part, fractional counting (each project weighs 1 over its participations)."""
    cells = sql("""WITH n AS (SELECT project_id, count(*) AS n FROM participations GROUP BY 1)
                   SELECT o.nuts2 AS region, d.code AS domain, sum(d.weight / n.n) AS value
                   FROM participations p JOIN n USING (project_id) JOIN organisations o USING (org_id)
                   JOIN project_domains d ON d.project_id = p.project_id AND d.taxonomy = 'h2020-part'
                   WHERE o.nuts2 IS NOT NULL GROUP BY 1, 2""")
    x = cells.pivot(index="region", columns="domain", values="value").fillna(0.0)
    return x.loc[x.sum(axis=1) > 0, x.sum(axis=0) > 0]


def kth(values: pd.Series, top: float = 0.10) -> float:
    ordered = np.sort(values.to_numpy())[::-1]
    return float(ordered[max(1, math.ceil(top * len(ordered) - 1e-9)) - 1])


def in_window(rows: pd.DataFrame, window: int = 4, coverage: float = 0.5) -> pd.DataFrame:
    """Per region its latest ``value`` and ``year`` within the indicator's window: from its latest
    year L (the last year with values for at least half of the best-covered year's regions)
    back to L - window + 1; every NUTS 2 region counts for L."""
    rows = rows[(rows["region"].str.len() == 4) & ~rows["region"].str.endswith("ZZ")]
    counts = rows.groupby("year")["region"].nunique()
    last = int(counts.index[counts >= coverage * counts.max()].max())
    kept = rows[rows["year"].between(last - window + 1, last)]
    return kept.sort_values("year").groupby("region").tail(1).set_index("region")[["value", "year"]]


def indicator(sql: Any, spec: Any) -> pd.DataFrame:
    """A performance indicator's latest value per region in the window, from the warehouse rows:
    series matched by their Eurostat key (a fetched table before the wide panel), the sum of the
    spec's codes where all are present, else its signed fallback sum (negative -> 0)."""
    from rok.sources.eurostat import PANEL_SOURCE, indicator_key

    rows = sql("SELECT region, year, indicator, value, unit, source FROM indicators_nuts2021 "
               "WHERE value IS NOT NULL AND unit = ?", spec.unit)
    rows["key"] = rows["indicator"].map({c: indicator_key(c) for c in rows["indicator"].unique()})
    rows = (rows.assign(panel=rows["source"] == PANEL_SOURCE).sort_values(["panel", "source"], kind="stable")
            .drop_duplicates(["region", "key", "year"]))
    wide = rows.pivot(index=["region", "year"], columns="key", values="value")

    def total(terms: list[tuple[str, float]]) -> pd.Series:
        keys = [indicator_key(c) for c, _ in terms]
        part = wide.reindex(columns=keys).dropna()
        return sum((part[k] * w for k, (_, w) in zip(keys, terms, strict=True)), start=pd.Series(0.0, index=part.index))

    value = total([(c, 1.0) for c in spec.codes])
    if spec.fallback:
        value = value.combine_first(total(list(spec.fallback)).clip(lower=0))
    return in_window(value.rename("value").reset_index())


def full_counts(sql: Any) -> dict[tuple[str, str], float]:
    """Participations per NUTS 2 region and programme part, full counting (the minimum mass)."""
    rows = sql("""SELECT o.nuts2 AS region, d.code AS domain, sum(d.weight) AS n
                  FROM participations p JOIN organisations o USING (org_id)
                  JOIN project_domains d ON d.project_id = p.project_id AND d.taxonomy = 'h2020-part'
                  WHERE o.nuts2 IS NOT NULL GROUP BY 1, 2""")
    return {(r, d): float(n) for r, d, n in zip(rows["region"], rows["domain"], rows["n"], strict=True)}


def members(sql: Any) -> pd.DataFrame:
    return sql("""SELECT DISTINCT ON (p.project_id, p.org_id) p.project_id, p.org_id,
                         coalesce(p.activity_type, 'OTH') AS type, o.nuts2 AS region
                  FROM participations p JOIN projects pr USING (project_id) JOIN organisations o USING (org_id)
                  WHERE pr.start_year IS NOT NULL AND o.nuts2 IS NOT NULL""")


def performance_json(mirror_db: Path) -> pd.DataFrame:
    """The performance table as ``rok performance --format json`` prints it."""
    import json

    from typer.testing import CliRunner

    from rok.cli.main import app

    result = CliRunner().invoke(app, ["performance", "--format", "json", "--db", str(mirror_db)])
    assert result.exit_code == 0, result.output
    return pd.DataFrame(json.loads(result.stdout)["rows"]).set_index("region")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)


# -- the SWOT --------------------------------------------------------------------------------
@pytest.mark.parametrize("r", [REGION, "RO11"])
def test_every_swot_number_matches_an_independent_computation(r: str, draft: dict[str, Any], profiles: Any,
                                                               horizon: Any, sql: Any, mirror_db: Path) -> None:
    from rok.analysis.peers import peers as find_peers
    from rok.analysis.performance import DEFAULT_SPEC
    from rok.cooperation.agenda import draft_agenda

    if r != REGION:
        draft = draft_agenda(mirror_db, region=r, profiles=profiles, horizon=horizon)
    x = activity(sql)
    peers = list(find_peers(profiles.features, r, k=10, missing="mean")["peer"])
    checked: set[tuple[int, str]] = set()
    items = draft["swot"]
    assert {i["category"] for i in items} == {"strength", "weakness", "opportunity", "threat"}  # both regions

    def check(i: int, key: str, expected: float) -> None:
        got = items[i]["evidence"][key]
        assert close(got, expected), (items[i]["text"], key, got, expected)
        checked.add((i, key))

    def medians(values: pd.Series) -> tuple[float, float]:
        values = values.dropna()
        return float(values.median()), float(values.reindex(peers).dropna().median())

    # strengths: starred specialisations with the minimum mass (5 participations, full count)
    total = x.to_numpy().sum()
    rca = x.div(x.sum(axis=1), axis=0) / (x.sum(axis=0) / total)
    size = x / x.sum(axis=0)
    focus = x.div(x.sum(axis=1), axis=0)
    focus_cut = kth(focus.stack()[focus.stack() > 0])
    mass = full_counts(sql)
    stars = {}
    for d in x.columns:
        if x.at[r, d] <= 0:
            continue
        s = int(size.at[r, d] >= kth(size[d][x[d] > 0])) + int(rca.at[r, d] >= 2 * (1 - 1e-12)) \
            + int(focus.at[r, d] >= focus_cut)
        if rca.at[r, d] >= 1 and s >= 1 and mass.get((r, d), 0) >= 5:
            stars[d] = s
    expected_order = sorted(stars, key=lambda d: (-stars[d], -rca.at[r, d], d))[:5]
    starred = [i for i, item in enumerate(items) if item["category"] == "strength" and "rca" in item["evidence"]]
    assert starred
    for i, d in zip(starred, expected_order, strict=True):
        assert f"({d})" in items[i]["text"] or items[i]["text"].startswith(f"{d}:")
        check(i, "rca", rca.at[r, d])
        check(i, "share_of_region", focus.at[r, d])
        check(i, "share_of_europe", size.at[r, d])
        check(i, "stars", stars[d])
        check(i, "activity", x.at[r, d])

    # participations per million inhabitants: full counting / the latest population, within the window
    counts = sql("SELECT o.nuts2 AS region, count(*) AS n FROM participations p JOIN organisations o USING (org_id) "
                 "WHERE o.nuts2 IS NOT NULL GROUP BY 1").set_index("region")["n"]
    pop = sql("SELECT region, year, value FROM indicators_nuts2021 WHERE indicator = 'demo_r_d2jan_SEX_T_AGE_TOTAL' "
              "AND unit = 'NR' AND value > 0")
    pop = pop.sort_values("year").groupby("region").tail(1)
    pop = pop[pop["region"].isin(counts.index)].set_index("region")
    per_inh = (counts.reindex(pop.index) / pop["value"]).rename("value").to_frame().join(pop["year"]).reset_index()
    per_million = in_window(per_inh.dropna())["value"].reindex(x.index).dropna() * 1e6
    europe, peer = medians(per_million)
    for i, item in enumerate(items):
        if "participations_per_million" in item["evidence"]:
            check(i, "participations_per_million", per_million[r])
            check(i, "europe_median", europe)
            check(i, "peers_median", peer)
            check(i, "peers", len(peers))

    # weaknesses: performance indicators (raw values recomputed here), the index as `rok performance` prints it
    labels = {spec.label: spec for spec in DEFAULT_SPEC}
    for i, item in enumerate(items):
        label = item["text"].split(":")[0]
        if item["category"] == "weakness" and label in labels:
            found = indicator(sql, labels[label]).reindex(x.index).dropna()
            europe, peer = medians(found["value"])
            check(i, "value", found.at[r, "value"])
            check(i, "year", found.at[r, "year"])
            check(i, "europe_median", europe)
            check(i, "peers_median", peer)
            assert found.at[r, "value"] < europe and found.at[r, "value"] < peer
        if "performance_index" in item["evidence"]:
            table = performance_json(mirror_db)
            check(i, "performance_index", table.at[r, "index"])
            check(i, "indicators", table.at[r, "n_used"])
            assert table.at[r, "index"] < 100 and table.at[r, "group"] in ("moderate", "emerging")
            assert f"{table.at[r, 'subgroup']} performer" in item["text"]

    # thin integration of firms
    m = members(sql)
    research = m[m["type"].isin(["HES", "REC"])][["project_id", "region"]].drop_duplicates().assign(local=True)
    firms = m[m["type"] == "PRC"].merge(research, on=["project_id", "region"], how="left")
    firms["local"] = firms["local"].eq(True)
    share = firms.groupby("region")["local"].mean()
    for i, item in enumerate(items):
        if "firm_local_research_share" in item["evidence"]:
            europe, peer = medians(share)
            check(i, "firm_local_research_share", share[r])
            check(i, "firm_participations", int((firms["region"] == r).sum()))
            check(i, "europe_median", europe)
            check(i, "peers_median", peer)

    # complementary partners: C[A->r] = sum_d S[A,d] (1 - M[r,d]) RD[r,d] / 100 / n, M with the minimum mass
    enough = pd.DataFrame([[mass.get((a, d), 0) >= 5 for d in x.columns] for a in x.index], index=x.index,
                          columns=x.columns)
    mm = ((rca >= 1.0) & enough).astype(float)
    mm = mm.loc[mm.sum(axis=1) > 0, mm.sum(axis=0) > 0]
    co = mm.T @ mm
    u = np.diag(co.to_numpy())
    phi = co.to_numpy() / np.maximum.outer(u, u)
    np.fill_diagonal(phi, 0.0)
    rd = 100 * (mm.to_numpy() @ phi) / phi.sum(axis=0)
    rd = pd.DataFrame(rd, index=mm.index, columns=mm.columns)
    strength = mm * rca.loc[mm.index, mm.columns].clip(upper=2.0) / 2.0
    gap = (1 - mm.loc[r]) * rd.loc[r] / 100
    comp = (strength * gap).sum(axis=1) / mm.shape[1]
    comp = comp.drop(r).sort_values(ascending=False)
    partners = [i for i, item in enumerate(items) if "complementarity" in item["evidence"]]
    assert len(partners) == 3
    for rank, (i, (code, value)) in enumerate(zip(partners, comp.head(3).items(), strict=True), start=1):
        assert f"partner {code} " in items[i]["text"]
        check(i, "complementarity", value)
        check(i, "rank", rank)

    # threats
    shares = x.div(x.sum(axis=1), axis=0)
    hhi = (shares**2).sum(axis=1)
    per_org = m.groupby(["region", "org_id"]).size()
    top3 = per_org.groupby(level="region").apply(lambda s: s.nlargest(3).sum() / s.sum())
    rows = sql("""SELECT pr.start_year AS year, count(*) AS total, count(*) FILTER (WHERE o.nuts2 = ?) AS own
                  FROM participations p JOIN projects pr USING (project_id) LEFT JOIN organisations o USING (org_id)
                  WHERE pr.start_year IS NOT NULL GROUP BY 1 ORDER BY 1""", r).set_index("year")
    rows = rows[rows["total"] >= rows["total"].max() / 2]
    trend = rows["own"] / rows["total"]
    slope = np.polyfit(trend.index.to_numpy(dtype=float), trend.to_numpy(), 1)[0]
    for i, item in enumerate(items):
        ev = item["evidence"]
        if "hhi" in ev:
            check(i, "hhi", hhi[r])
            check(i, "europe_median", hhi.median())
            check(i, "domains_active", int((x.loc[r] > 0).sum()))
        if "top3_share" in ev:
            check(i, "top3_share", top3[r])
            check(i, "europe_median", top3.median())
            check(i, "participations", per_org[r].sum())
        if "slope_per_year" in ev:
            check(i, "slope_per_year", slope)
            check(i, "share_first", trend.iloc[0])
            check(i, "share_last", trend.iloc[-1])
            check(i, "first_year", trend.index[0])
            check(i, "last_year", trend.index[-1])
    every = {(i, k) for i, item in enumerate(items) for k in item["evidence"]}
    assert every - checked == set(), f"numbers not checked: {sorted(every - checked)}"


def test_instrument_taxonomy_omits_relatedness_with_a_note(draft: dict[str, Any]) -> None:
    assert any("instrument" in n and "omitted" in n for n in draft["notes"])
    assert not any("density" in i["evidence"] for i in draft["swot"])
    assert not any("related diversification" in p["title"] for p in draft["priorities"])


# -- priorities, actions, indicators, landscape -------------------------------------------------
def test_priorities_carry_measured_evidence_and_the_load(draft: dict[str, Any], sql: Any) -> None:
    x = activity(sql)
    rca = x.div(x.sum(axis=1), axis=0) / (x.sum(axis=0) / x.to_numpy().sum())
    load = int(sql("SELECT max(load_id) AS m FROM loads WHERE status LIKE 'ok%'")["m"].iloc[0])
    assert draft["evidence"]["load_id"] == load
    assert 1 <= len(draft["priorities"]) <= 3
    strengths = [i for i in draft["swot"] if i["category"] == "strength" and "rca" in i["evidence"]]
    for p, s in zip(draft["priorities"], strengths, strict=False):
        d = p["domains"][0]
        assert f"({d})" in s["text"]
        assert close(p["evidence"]["rca"], rca.at[REGION, d]) and p["evidence"]["rca"] >= 1
        assert close(p["evidence"]["activity"], x.at[REGION, d])
        assert p["evidence"]["load_id"] == load


def test_actions_are_proposals_with_real_partners(draft: dict[str, Any], sql: Any) -> None:
    actions = draft["actions"]
    titles = [a["title"] for a in actions]
    assert any(t.startswith("Mentoring of ES61") for t in titles)  # a moderate performer
    assert "Shared research facilities" in titles and "Training and mobility of researchers" in titles
    priorities = {p["title"] for p in draft["priorities"]}
    for a in actions:
        assert a["budget"] is None and a["status"] == "proposed"
        assert a["priority"] in priorities
        assert a["funding_sources"] and all("(suggested)" in f for f in a["funding_sources"])
        assert a["start"] <= a["end"] and all(a["start"] <= m["due"] <= a["end"] for m in a["milestones"])
    first = actions[0]
    d = draft["priorities"][0]["domains"][0]
    top = sql("""WITH n AS (SELECT project_id, count(*) AS n FROM participations GROUP BY 1)
                 SELECT p.org_id, sum(w.weight / n.n) AS v FROM participations p JOIN n USING (project_id)
                 JOIN organisations o USING (org_id)
                 JOIN project_domains w ON w.project_id = p.project_id AND w.taxonomy = 'h2020-part' AND w.code = ?
                 WHERE o.nuts2 = ? GROUP BY 1 ORDER BY v DESC LIMIT 1""", d, REGION)
    assert f"({top['org_id'].iloc[0]}, {REGION})" in first["owner"]
    hits = [p for p in first["partners"] if p["org_id"]]
    assert hits and all(p["region"] != REGION for p in hits)
    known = set(sql("SELECT DISTINCT org_id FROM participations")["org_id"].astype(str))
    assert {p["org_id"] for p in hits} <= known


def test_indicator_baselines_from_the_measure_catalog(draft: dict[str, Any], sql: Any) -> None:
    result = [i for i in draft["indicators"] if i["type"] == "result"]
    output = [i for i in draft["indicators"] if i["type"] == "output"]
    assert len(output) == len(draft["actions"])
    assert all(i["baseline"]["value"] == 0 and i["source"] == {"manual": True} for i in output)
    assert all(i["target"] is None for i in draft["indicators"])
    domain = next(i for i in result if i["source"]["measure"] == "domain_participations")
    d, year = domain["source"]["params"]["domain"], domain["baseline"]["year"]
    value = sql("""SELECT sum(w.weight) AS v FROM participations p JOIN projects pr USING (project_id)
                   JOIN organisations o USING (org_id)
                   JOIN project_domains w ON w.project_id = p.project_id AND w.taxonomy = 'h2020-part' AND w.code = ?
                   WHERE o.nuts2 = ? AND pr.start_year = ?""", d, REGION, year)["v"].iloc[0]
    assert close(domain["baseline"]["value"], value)
    assert {"year": year, "value": domain["baseline"]["value"]} in domain["history"]
    totals = sql("SELECT start_year AS y, count(*) AS n FROM participations JOIN projects USING (project_id) "
                 "WHERE start_year IS NOT NULL GROUP BY 1").set_index("y")["n"]
    assert year == max(totals.index[totals >= totals.max() / 2])  # the last full programme year
    gerd = next(i for i in result if i["source"]["measure"] == "gerd_pct_gdp")
    row = sql("SELECT year, value FROM indicators_nuts2021 WHERE region = ? AND indicator = 'tgs00042.sectperf=TOTAL' "
              "AND unit = 'PC_GDP' AND value IS NOT NULL ORDER BY year DESC LIMIT 1", REGION)
    assert gerd["baseline"] == {"year": int(row["year"].iloc[0]), "value": pytest.approx(float(row["value"].iloc[0]))}


def test_landscape_per_priority(draft: dict[str, Any]) -> None:
    from rok.cooperation.landscape import H2020_TO_HORIZON

    assert len(draft["landscape"]) == len(draft["priorities"])
    for land, p in zip(draft["landscape"], draft["priorities"], strict=True):
        assert land["priority"] == p["title"]
        assert [h["part"] for h in land["horizon_parts"]] == list(H2020_TO_HORIZON[p["domains"][0]][0])
        assert land["projects"] >= max(h["projects"] for h in land["horizon_parts"]) > 0


def test_consortium_plan(joint: dict[str, Any], sql: Any) -> None:
    assert joint["kind"] == "joint_action_plan" and joint["scope"]["regions"] == CONSORTIUM
    x = activity(sql)
    mass = full_counts(sql)
    rca = x.div(x.sum(axis=1), axis=0) / (x.sum(axis=0) / x.to_numpy().sum())
    for p in joint["priorities"]:
        d = p["domains"][0]
        for r in CONSORTIUM:
            assert close(p["evidence"][f"{r}_rca"], rca.at[r, d])
        spec = [r for r in CONSORTIUM if rca.at[r, d] >= 1 and mass.get((r, d), 0) >= 5]
        assert spec and ((len(spec) < 3) == ("complementary" in p["title"]))
    assert any(i["source"].get("measure") == "joint_projects" for i in joint["indicators"])
    first, top = joint["actions"][0], joint["priorities"][0]
    lead = max(CONSORTIUM, key=lambda r: top["evidence"][f"{r}_rca"])
    assert f", {lead})" in first["owner"]
    members = [p for p in first["partners"] if p["reasons"].startswith("member of the group")]
    assert sorted(p["region"] for p in members) == sorted(set(CONSORTIUM) - {lead})
    assert all(p["region"] not in CONSORTIUM for p in first["partners"] if p not in members)
    assert all(i["text"].split(":")[0] in CONSORTIUM for i in joint["swot"])
    mentoring = [a for a in joint["actions"] if a["title"].startswith("Mentoring of")]
    mentors = [a["partners"][0]["region"] for a in mentoring]
    assert len(mentors) == len(set(mentors))  # one assignment for the group: a mentor each
    # on programme parts (funding instruments) the mentor's strengths are stated, without relatedness
    assert all("Where the mentor is specialised and " in a["description"] and "density" not in a["description"]
               for a in mentoring)


def test_a_region_without_a_performance_group_gets_the_gap_stated(mirror_db: Path, profiles: Any,
                                                                  horizon: Any) -> None:
    from rok.analysis.performance import INSUFFICIENT
    from rok.cooperation.agenda import draft_agenda

    table = profiles.performance.table
    region = "CH01"  # Région lémanique: no R&D expenditure or personnel series for Switzerland in the mirror
    assert table.at[region, "group"] == INSUFFICIENT
    doc = draft_agenda(mirror_db, region=region, profiles=profiles, horizon=horizon)
    gap = next(n for n in doc["notes"] if "insufficient data" in n)
    assert gap.startswith(f"{region}: ") and f"scored on {int(table.at[region, 'n_used'])} indicators" in gap
    assert not any("performance_index" in i["evidence"] for i in doc["swot"])
    assert not any(a["title"].startswith("Mentoring of") for a in doc["actions"])
    assert not any(w in i["text"] for i in doc["swot"] for w in ("moderate", "emerging"))


def test_partners_come_from_the_stored_index_that_rok_partners_uses(draft: dict[str, Any], mirror_db: Path) -> None:
    import json

    from typer.testing import CliRunner

    from rok.cli.main import app

    first = draft["actions"][0]
    d = draft["priorities"][0]["domains"][0]
    result = CliRunner().invoke(app, ["partners", REGION, "--domain", d, "--k", "5", "--format", "json",
                                      "--db", str(mirror_db)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["notes"]["index"].startswith("stored")  # the file the draft built or read, not a new one
    assert [str(h["org_id"]) for h in out["rows"]] == [h["org_id"] for h in first["partners"]]
    assert all(h["type"] in ("HES", "REC", "PRC") for h in first["partners"])


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"region": "XX99"}, "unknown region"),
    ({"consortium": ["ITC4", "itc4"]}, "duplicate region ITC4"),
    ({"consortium": ["ITC4", "ZZ11"]}, "unknown region"),
    ({"consortium": ["ITC4"]}, "at least two regions"),
    ({}, "exactly one of"),
    ({"region": "ITC4", "consortium": ["ITC4", "PL91"]}, "exactly one of"),
    ({"cluster": {"name": "c", "regions": []}}, "no regions"),
    ({"cluster": {"name": "c", "regions": ["ITC4"], "domains": ["NOPE"]}}, "unknown domain"),
])
def test_bad_input(mirror_db: Path, profiles: Any, kwargs: dict[str, Any], message: str) -> None:
    from rok.cooperation.agenda import draft_agenda

    with pytest.raises(InputError, match=message) as info:
        draft_agenda(mirror_db, profiles=profiles, **kwargs)
    assert "\n" not in str(info.value)


def test_cli_errors_are_one_line(mirror_db: Path) -> None:
    from typer.testing import CliRunner

    from rok.cli.main import app

    runner = CliRunner()
    for args in (["--consortium", "ITC4,ITC4"], ["--region", "XX99"], ["--region", "ITC4", "--out", "plan.txt"],
                 []):
        result = runner.invoke(app, ["agenda", "draft", *args, "--db", str(mirror_db)])
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and "error:" in result.output


def test_cli_writes_a_plan(mirror_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rok.cli.main import app

    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["agenda", "draft", "--consortium", "ITC4,PL91", "--out", str(out),
                                      "--db", str(mirror_db)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Joint action plan: ITC4") and "## SWOT" in text and "## Indicators" in text


def test_the_draft_is_stored_in_a_workspace(draft: dict[str, Any], mirror_db: Path, tmp_path: Path) -> None:
    from rok.workspace.db import open_workspace
    from rok.workspace.plans import create_plan_from_draft, plan_document

    with open_workspace(tmp_path / "ws.sqlite") as ws, ws.session() as session:
        plan = create_plan_from_draft(session, draft, warehouse=mirror_db)
        doc = plan_document(session, plan.id)
    assert doc["title"] == draft["title"]
    assert [a["title"] for a in doc["actions"]] == [a["title"] for a in draft["actions"]]
    assert len(doc["swot"]) == len(draft["swot"])


def test_cli_cluster_from_the_workspace(mirror_db: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from rok.cli.main import app
    from rok.workspace.clusters import add_cluster
    from rok.workspace.db import open_workspace

    ws_path = tmp_path / "ws.sqlite"
    with open_workspace(ws_path) as ws, ws.session() as session:
        add_cluster(session, mirror_db, name="Lombardy transport", regions=["ITC4"], domains=["SC4", "LEIT"])
    out = tmp_path / "plan.json"
    runner = CliRunner()
    result = runner.invoke(app, ["agenda", "draft", "--cluster", "Lombardy transport", "--workspace", str(ws_path),
                                 "--db", str(mirror_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["scope"] == {"type": "cluster", "regions": ["ITC4"], "clusters": ["Lombardy transport"],
                            "names": {"ITC4": doc["scope"]["names"]["ITC4"]}}
    assert doc["title"] == "Joint action plan: Lombardy transport"
    assert doc["priorities"] and {d for p in doc["priorities"] for d in p["domains"]} <= {"SC4", "LEIT"}
    missing = runner.invoke(app, ["agenda", "draft", "--cluster", "Nowhere", "--workspace", str(ws_path),
                                  "--db", str(mirror_db)])
    assert missing.exit_code == 1 and "unknown cluster" in missing.output and missing.output.count("\n") == 1


def test_cluster_of_several_regions_keeps_to_its_domains(mirror_db: Path, profiles: Any, horizon: Any) -> None:
    from rok.cooperation.agenda import draft_agenda

    doc = draft_agenda(mirror_db, cluster={"name": "Alpine health", "regions": ["AT33", "ITH1", "AT33"],
                                           "domains": ["SC1", "ERC"]}, profiles=profiles, horizon=horizon)
    assert doc["scope"]["regions"] == ["AT33", "ITH1"]
    assert doc["priorities"] and {d for p in doc["priorities"] for d in p["domains"]} <= {"SC1", "ERC"}
