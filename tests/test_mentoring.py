"""Mentoring assignment: optimality against brute force, the rules, clear errors, the mirror."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rok.cooperation.mentoring import (
    assign_mentors,
    check_lists,
    mentoring_programme,
    pair_scores,
    pair_terms,
    select_regions,
)
from rok.cooperation.standing import higher_group, main_group
from rok.errors import InputError


def complementarity(rca: pd.DataFrame, m: pd.DataFrame, density: pd.DataFrame, cap: float = 2.0) -> pd.DataFrame:
    """C[A->B] = mean_d M_A[d] min(RCA_A[d], cap)/cap (1 - M_B[d]) RD_B[d]/100 (local reference)."""
    give = m * rca.clip(upper=cap) / cap
    take = (1 - m) * density / 100
    return pd.DataFrame(give.to_numpy() @ take.to_numpy().T / m.shape[1], index=m.index, columns=m.index)


# -- brute force --------------------------------------------------------------------------------
MENTEES = ["AT01", "DE01", "FR01", "AT02", "DE02"]
MENTORS = ["AT09", "DE09", "IT09"]


def brute_force(scores: pd.DataFrame, cap: int, transnational: bool, exclusions: set[tuple[str, str]],
                groups: dict[str, str] | None = None, limits: dict[str, int] | None = None,
                require_all: bool = True) -> tuple[int, float] | None:
    """(placed, best total) over all assignments, or None when none is feasible."""
    best: tuple[int, float] | None = None
    options = list(scores.columns) + ([] if require_all else [None])
    for choice in itertools.product(options, repeat=len(scores.index)):
        pairs = [(a, b) for a, b in zip(scores.index, choice, strict=True) if b is not None]
        if any(sum(1 for _, b in pairs if b == m) > cap for m in scores.columns):
            continue
        if transnational and any(a[:2] == b[:2] for a, b in pairs):
            continue
        if any(p in exclusions for p in pairs):
            continue
        if limits and any(sum(1 for _, b in pairs if groups[b] == g) > lim for g, lim in limits.items()):
            continue
        value = (len(pairs), sum(scores.at[a, b] for a, b in pairs))
        if best is None or value[0] > best[0] or (value[0] == best[0] and value[1] > best[1]):
            best = value
    return best


def random_instance(seed: int) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    scores = pd.DataFrame(rng.random((len(MENTEES), len(MENTORS))), index=MENTEES, columns=MENTORS)
    n_excl = int(rng.integers(0, 4))
    pairs = [(a, b) for a in MENTEES for b in MENTORS]
    exclusions = {pairs[k] for k in rng.choice(len(pairs), size=n_excl, replace=False)}
    return scores, exclusions


def check_rules(out: pd.DataFrame, cap: int, transnational: bool, exclusions: set[tuple[str, str]],
                groups: dict[str, str] | None = None, limits: dict[str, int] | None = None) -> None:
    assert not out["mentee"].duplicated().any()
    assert out.groupby("mentor").size().max() <= cap
    if transnational:
        assert (out["mentee"].str[:2] != out["mentor"].str[:2]).all()
    assert not any((a, b) in exclusions for a, b in zip(out["mentee"], out["mentor"], strict=True))
    if limits:
        per_group = out["mentor"].map(groups).value_counts()
        for g, lim in limits.items():
            assert per_group.get(g, 0) <= lim


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("transnational", [True, False])
def test_optimal_equals_brute_force(seed: int, transnational: bool) -> None:
    scores, exclusions = random_instance(seed)
    expected = brute_force(scores, 2, transnational, exclusions)
    if expected is None:
        with pytest.raises(InputError):
            assign_mentors(scores, capacity=2, transnational=transnational, exclusions=exclusions)
        return
    out = assign_mentors(scores, capacity=2, transnational=transnational, exclusions=exclusions)
    assert sorted(out["mentee"]) == sorted(MENTEES)
    assert out["score"].sum() == pytest.approx(expected[1], abs=1e-9)
    check_rules(out, 2, transnational, exclusions)


@pytest.mark.parametrize("seed", range(20))
def test_group_limits_and_partial_assignment_equal_brute_force(seed: int) -> None:
    scores, exclusions = random_instance(100 + seed)
    groups = {"AT09": "leader", "DE09": "leader", "IT09": "strong"}
    limits = {"leader": 3}
    expected = brute_force(scores, 2, True, exclusions, groups, limits)
    if expected is None:
        with pytest.raises(InputError):
            assign_mentors(scores, capacity=2, exclusions=exclusions, groups=groups, group_limits=limits)
    else:
        out = assign_mentors(scores, capacity=2, exclusions=exclusions, groups=groups, group_limits=limits)
        assert out["score"].sum() == pytest.approx(expected[1], abs=1e-9)
        check_rules(out, 2, True, exclusions, groups, limits)
    # not every mentee required: as many as possible, then the best total
    limits = {"leader": 1}
    expected = brute_force(scores, 1, True, exclusions, groups, limits, require_all=False)
    out = assign_mentors(scores, capacity=1, exclusions=exclusions, groups=groups, group_limits=limits,
                         require_all=False)
    assert expected is not None
    assert len(out) == expected[0]
    assert out["score"].sum() == pytest.approx(expected[1], abs=1e-9)
    check_rules(out, 1, True, exclusions, groups, limits)


def test_deterministic_and_independent_of_order() -> None:
    scores = pd.DataFrame(0.5, index=MENTEES, columns=MENTORS)  # all tied
    first = assign_mentors(scores, capacity=2)
    second = assign_mentors(scores, capacity=2)
    shuffled = assign_mentors(scores.iloc[::-1, ::-1], capacity=2)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, shuffled)
    assert list(first["mentee"]) == sorted(MENTEES)


def test_capacity_mapping_and_explicit_countries() -> None:
    scores = pd.DataFrame([[1.0, 0.0], [0.9, 0.1], [0.8, 0.2]], index=["a", "b", "c"], columns=["x", "y"])
    out = assign_mentors(scores, capacity={"x": 1, "y": 2}, mentee_country={"a": "P", "b": "Q", "c": "R"},
                         mentor_country={"x": "S", "y": "T"})
    assert dict(zip(out["mentee"], out["mentor"], strict=True)) == {"a": "x", "b": "y", "c": "y"}
    # a mentee in the mentor's country may not take it
    out = assign_mentors(scores, capacity=2, mentee_country={"a": "S", "b": "Q", "c": "R"},
                         mentor_country={"x": "S", "y": "T"})
    assert out.set_index("mentee").at["a", "mentor"] == "y"


# -- infeasible settings: clear messages ----------------------------------------------------------
def test_too_few_places() -> None:
    mentees = [f"A{i}{i}" for i in range(8)]
    mentors = [f"M{i}{i}" for i in range(5)]
    scores = pd.DataFrame(1.0, index=mentees, columns=mentors)
    with pytest.raises(InputError, match=r"3 mentees cannot be placed: capacity 1 × 5 mentors = 5 places "
                                         r"for 8 mentees"):
        assign_mentors(scores, capacity=1)


def test_no_allowed_mentor() -> None:
    scores = pd.DataFrame(1.0, index=["AT01", "FR01"], columns=["AT09", "DE09"])
    with pytest.raises(InputError, match=r"no allowed mentor for mentee AT01 .*1 in its country AT; 1 excluded"):
        assign_mentors(scores, exclusions=[("AT01", "DE09")])


def test_country_without_places_outside() -> None:
    scores = pd.DataFrame(1.0, index=["AT01", "AT02", "AT03", "FR01"], columns=["AT09", "DE09"])
    with pytest.raises(InputError, match=r"1 mentees of country AT cannot be placed: 3 mentees need a mentor "
                                         r"in another country, and mentors outside AT have 2 places"):
        assign_mentors(scores, capacity=2)


def test_group_limit_too_small() -> None:
    scores = pd.DataFrame(1.0, index=["AT01", "FR01", "BE01"], columns=["DE09", "IT09"])
    with pytest.raises(InputError, match=r"1 mentees cannot be placed: the group limits leave 2 places"):
        assign_mentors(scores, capacity=2, groups={"DE09": "leader", "IT09": "leader"},
                       group_limits={"leader": 2})
    with pytest.raises(InputError, match="group_limits names a group no mentor belongs to"):
        assign_mentors(scores, capacity=2, groups={"DE09": "leader", "IT09": "leader"},
                       group_limits={"leeder": 2})


def test_infeasible_found_by_the_solver_names_the_left_out() -> None:
    scores = pd.DataFrame(1.0, index=["AA01", "BB01"], columns=["XX09", "YY09"])
    with pytest.raises(InputError, match=r"at most 1 of 2 mentees can be placed; left out e.g. (AA01|BB01)"):
        assign_mentors(scores, capacity=1, exclusions=[("AA01", "YY09"), ("BB01", "YY09")])


def test_bad_scores_and_arguments() -> None:
    scores = pd.DataFrame(1.0, index=["AT01"], columns=["DE09"])
    with pytest.raises(InputError, match="mentor list is empty"):
        assign_mentors(scores.iloc[:, :0])
    with pytest.raises(InputError, match="AT01 cannot be both mentee and mentor"):
        assign_mentors(pd.DataFrame(1.0, index=["AT01"], columns=["AT01", "DE09"]))
    with pytest.raises(InputError, match="capacity must be"):
        assign_mentors(scores, capacity=-1)
    with pytest.raises(InputError, match="exclusion"):
        assign_mentors(scores, exclusions=[("AT01", "XX99")])


# -- explicit lists -------------------------------------------------------------------------------
def test_check_lists() -> None:
    assert check_lists(["at01", "FR01", "AT01"], ["DE09"]) == (["AT01", "FR01"], ["DE09"])
    with pytest.raises(InputError, match="mentor list is empty"):
        check_lists(["AT01"], [])
    with pytest.raises(InputError, match="FR01 is in both the mentee and the mentor list"):
        check_lists(["AT01", "FR01"], ["FR01", "DE09"])
    with pytest.raises(InputError, match=r"unknown mentor region DE0X.*did you mean DE09"):
        check_lists(["AT01"], ["DE0X"], known=["AT01", "DE09"])


def test_select_regions() -> None:
    table = pd.DataFrame({"index": [0.9, 0.6, 0.3, 0.2, np.nan],
                          "group": ["leader", "strong", "moderate", "emerging", None]},
                         index=pd.Index(["DE1", "FR1", "IT1", "PL1", "RO1"], name="region"))
    assert select_regions(table) == (["IT1", "PL1"], ["DE1", "FR1"])
    assert select_regions(table.reset_index(), mentee_groups=["emerging"], mentor_groups=["leader"]) == (
        ["PL1"], ["DE1"])
    with pytest.raises(InputError, match="unknown performance group"):
        select_regions(table, mentor_groups=["leaders"])
    with pytest.raises(InputError, match="both mentees and mentors"):
        select_regions(table, mentee_groups=["strong"], mentor_groups=["strong"])


def test_main_group_and_subgroups() -> None:
    assert [main_group(g) for g in ("leader", "Strong+", "strong-", "moderate \u2212", "emerging", "insufficient data",
                                    None, float("nan"), "")] == [
        "leader", "strong", "strong", "moderate", "emerging", None, None, None, None]
    assert higher_group("leader", "strong+") and higher_group("strong-", "moderate+")
    assert not higher_group("strong+", "strong-") and not higher_group("moderate", "strong")
    assert not higher_group("insufficient data", "emerging") and not higher_group("leader", "insufficient data")


def test_select_regions_reads_main_groups() -> None:
    table = pd.DataFrame({"index": [130.0, 110.0, 104.0, 80.0, np.nan, 50.0, 90.0],
                          "group": ["leader", "strong+", "strong-", "moderate+", "insufficient data", "emerging-",
                                    "insufficient data"]},
                         index=pd.Index(["DE1", "FR1", "NL1", "IT1", "RO1", "PL1", "BG1"], name="region"))
    assert select_regions(table) == (["IT1", "PL1"], ["DE1", "FR1", "NL1"])


def _fake_profiles(groups: dict[str, tuple[str, float]]):  # noqa: ANN202
    """Six regions, three domains: just what mentoring_programme reads."""
    from types import SimpleNamespace

    regions = list(groups)
    domains = ["d1", "d2", "d3"]
    rng = np.random.default_rng(0)
    rca = pd.DataFrame(rng.uniform(0.2, 2.5, (len(regions), 3)), index=regions, columns=domains)
    m = (rca >= 1).astype(int)
    density = pd.DataFrame(rng.uniform(10, 90, (len(regions), 3)), index=regions, columns=domains)
    table = pd.DataFrame({"index": [v[1] for v in groups.values()], "group": [v[0] for v in groups.values()]},
                         index=pd.Index(regions, name="region"))
    return SimpleNamespace(activity=rca, specialised=m, density=density, rca=rca, features=None,
                           performance=SimpleNamespace(table=table), region_name=lambda c: f"Region {c}",
                           domain_name=lambda d: d.upper())


def test_programme_requires_a_higher_group_and_shows_both_sides() -> None:
    fake = _fake_profiles({"AT01": ("leader", 140.0), "DE01": ("strong+", 118.0), "FR01": ("strong-", 102.0),
                           "IT01": ("moderate", 85.0), "PL01": ("insufficient data", np.nan),
                           "RO01": ("emerging", 40.0)})
    out = mentoring_programme(fake, mentees=["FR01", "RO01"], mentors=["DE01", "AT01"], capacity=2)
    row = out.set_index("mentee").loc["FR01"]
    assert row["mentor"] == "AT01"  # DE01 (strong+) is in FR01's own main group: not above it
    assert (row["mentee_group"], row["mentee_index"], row["mentor_group"], row["mentor_index"]) == (
        "strong-", 102.0, "leader", 140.0)
    assert row["standing"] == "mentor leader (index 140) above mentee strong- (index 102)"
    assert list(out.columns[:8]) == ["mentee", "mentee_name", "mentee_group", "mentee_index", "mentor",
                                     "mentor_name", "mentor_group", "mentor_index"]
    # without the rule the same-group pair is allowed, and said to be so
    free = mentoring_programme(fake, mentees=["FR01"], mentors=["DE01"], capacity=1, require_higher_group=False)
    assert free.loc[0, "standing"] == "mentor strong+ (index 118) NOT above mentee strong- (index 102)"
    with pytest.raises(InputError, match=r"no performance group and are not eligible.*PL01 \(insufficient data\)"):
        mentoring_programme(fake, mentees=["PL01", "RO01"], mentors=["AT01"])
    with pytest.raises(InputError, match="no mentor is in a higher performance group than mentee FR01"):
        mentoring_programme(fake, mentees=["FR01", "RO01"], mentors=["DE01"], capacity=2)
    # the automatic selection: mentees moderate and emerging, mentors leader and strong (both subgroups)
    auto = mentoring_programme(fake, capacity=1)
    assert sorted(auto["mentee"]) == ["IT01", "RO01"] and set(auto["mentor"]) <= {"AT01", "DE01", "FR01"}


def test_domains_to_work_on_by_taxonomy_kind() -> None:
    """Knowledge taxonomy: the mentor's specialisations the mentee lacks, ranked by the mentee's
    density; instrument taxonomy (relatedness not advice): the same domains ranked by the
    mentor's RCA, and no density is shown."""
    fake = _fake_profiles({"AT01": ("leader", 140.0), "RO01": ("emerging", 40.0)})
    fake.specialised.loc["AT01"] = [1, 1, 1]
    fake.specialised.loc["RO01"] = [0, 0, 0]
    fake.rca.loc["AT01"] = [1.5, 3.0, 2.0]
    fake.density.loc["RO01"] = [80.0, 20.0, 50.0]
    knowledge = mentoring_programme(fake, mentees=["RO01"], mentors=["AT01"], capacity=1, n_domains=2)
    assert knowledge.loc[0, "domains_to_work_on"] == "D1 (density 80); D3 (density 50)"
    fake.kind = "instrument"
    instrument = mentoring_programme(fake, mentees=["RO01"], mentors=["AT01"], capacity=1, n_domains=2)
    assert instrument.loc[0, "domains_to_work_on"] == "D2 (the mentor's RCA 3.00); D3 (the mentor's RCA 2.00)"
    assert instrument.loc[0, "mentor_strengths"] == "D2: RCA 3.00; D3: RCA 2.00"


# -- scores ---------------------------------------------------------------------------------------
def test_pair_score_terms() -> None:
    regions = ["AT01", "DE01", "FR01"]
    m = pd.DataFrame([[1, 0, 1], [1, 1, 0], [0, 0, 1]], index=regions, columns=["d1", "d2", "d3"])
    c = pd.DataFrame([[0, 0.2, 0.4], [0.1, 0, 0.3], [0.0, 0.6, 0]], index=regions, columns=regions)
    features = pd.DataFrame({"f": [0.0, 1.0, 2.0], "g": [1.0, 1.0, 1.0]}, index=regions)
    t = pair_terms(["AT01"], ["DE01", "FR01"], complementarity=c, features=features, M=m)
    assert t["complementarity"].loc["AT01"].tolist() == [0.1, 0.0]  # C[mentor -> mentee]
    assert t["complementarity_scaled"].loc["AT01"].tolist() == [1.0, 0.0]
    z = (features["f"] - 1.0) / np.sqrt(2 / 3)
    assert t["similarity"].at["AT01", "DE01"] == pytest.approx(1 / (1 + abs(z["AT01"] - z["DE01"])))
    assert t["shared_domains"].loc["AT01"].tolist() == pytest.approx([1 / 3, 1 / 2])
    s = pair_scores(["AT01"], ["DE01", "FR01"], complementarity=c, features=features, M=m)
    expected = (0.5 * t["complementarity_scaled"] + 0.3 * t["similarity"] + 0.2 * t["shared_domains"])
    pd.testing.assert_frame_equal(s, expected)
    with pytest.raises(InputError, match="weights"):
        pair_scores(["AT01"], ["DE01"], complementarity=c, features=features, M=m, weights=(1, -1, 0))
    with pytest.raises(InputError, match="complementarity matrix lacks"):
        pair_scores(["AT01"], ["XX01"], complementarity=c, features=features, M=m)


# -- the real mirror ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def profiles(mirror_db: Path):  # noqa: ANN201
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", mirror_db) as e:
        return Profiles.compute(e, Selection())


def test_mirror_programme_for_every_mentee(profiles) -> None:  # noqa: ANN001
    table = profiles.performance.table
    mentees, mentors = select_regions(table)
    cap = math.ceil(len(mentees) / len(mentors))
    c = complementarity(profiles.rca.reindex(index=profiles.specialised.index, columns=profiles.specialised.columns),
                        profiles.specialised, profiles.density)
    c = c.reindex(index=profiles.activity.index, columns=profiles.activity.index, fill_value=0.0)
    start = time.perf_counter()
    out = mentoring_programme(profiles, capacity=cap, complementarity=c)
    seconds = time.perf_counter() - start
    print(f"\nmentoring on the mirror: {len(mentees)} mentees, {len(mentors)} mentors, capacity {cap}, "
          f"{seconds:.2f} s")
    print(out.head(3).T.to_string())
    assert seconds < 10
    placed = set(table.index[table["group"].map(main_group).isin(["emerging", "moderate"]) & table["index"].notna()])
    assert set(out["mentee"]) == placed & set(profiles.activity.index)
    assert not out["mentee"].duplicated().any()
    assert set(out["mentor"]) <= set(mentors)
    assert out.groupby("mentor").size().max() <= cap
    assert (out["mentee"].str[:2] != out["mentor"].str[:2]).all()
    assert out["domains_to_work_on"].str.len().gt(0).all()
    assert profiles.kind == "instrument" and not out["domains_to_work_on"].str.contains("density").any()
    assert all(higher_group(b, a) for a, b in zip(out["mentee_group"], out["mentor_group"], strict=True))
    assert out[["mentee_index", "mentor_index"]].notna().all().all()
    again = mentoring_programme(profiles, capacity=cap, complementarity=c)
    pd.testing.assert_frame_equal(out, again)


def test_mirror_ties_and_bad_input(profiles, mirror_db: Path) -> None:  # noqa: ANN001
    from rok.measures import Selection, open_engine
    from rok.measures.networks import region_edges

    with open_engine("duckdb", mirror_db) as e:
        ties = region_edges(e, Selection())
    out = mentoring_programme(profiles, mentees=["EL41", "PL72"], mentors=["DE21", "NL33"], capacity=1, ties=ties)
    assert len(out) == 2 and out["ties_weight"].notna().all()
    joint = {tuple(sorted((s, t))): n for s, t, n in zip(ties["source"], ties["target"], ties["projects"],
                                                         strict=True)}
    for mentee, mentor, weight, text in zip(out["mentee"], out["mentor"], out["ties_weight"], out["existing_ties"],
                                            strict=True):
        n = joint.get(tuple(sorted((mentee, mentor))), 0)
        assert text == ("no joint projects yet" if weight == 0 else
                        f"{n:,} joint project{'' if n == 1 else 's'} (co-participation weight {weight:.2f})")
    with pytest.raises(InputError, match="mentor list is empty"):
        mentoring_programme(profiles, mentees=["EL41"], mentors=[])
    with pytest.raises(InputError, match="DE21 is in both"):
        mentoring_programme(profiles, mentees=["EL41", "DE21"], mentors=["DE21"])
    with pytest.raises(InputError, match="unknown mentee region XX99"):
        mentoring_programme(profiles, mentees=["XX99"], mentors=["DE21"])
