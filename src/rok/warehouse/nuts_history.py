"""NUTS codes of 2013 and 2016 (and the lineages before them) in NUTS 2021, with population shares.

The building blocks are the NUTS 3 regions of 2016 ("atoms"). Each atom has a population:
the sum of its municipalities in the LAU 2019 table (``lau``), or, where that table has no
population (France, Cyprus) or no municipalities (Norway, Serbia, Montenegro), the sum of
the GeoNames places of 500+ inhabitants inside the atom's 2016 boundary (a proxy, named as
such in ``method``).

* Atom -> NUTS 3 of 2021, from the NUTS history table (``nuts_changes``): the 2021 code of
  the atom's lineage (recode or unchanged), the region it is "now part of", and every 2021
  region whose change note names the atom (``made of ex-ITG27, ..., parts of ex-ITG2A``).
  One candidate takes the whole atom; several share it by area overlap of the 2016 and
  2021 boundaries (``nuts_correspondence``); with no note at all, area overlap alone.
* A 2016 region of level 1-3 is the set of its atoms (codes are hierarchical).
* A 2013 (2010) region is the 2016 (2013) region of its lineage when the history notes no
  boundary change (recoded, relabelled, renamed); otherwise what its NUTS 3 regions became
  (a region formed from k NUTS 3 regions of the older version is shared equally among them).
* A code of 1999-2006 follows its lineage to its 2010 (else 2013, 2016) code.

For an old region ``o`` and a 2021 region ``n`` of the same level, ``P(o ∩ n)`` is the
population of the atoms (or atom parts) in both; ``share_old = P(o ∩ n) / P(o)`` and
``share_new = P(o ∩ n) / P(n)``. The kind: ``recode`` (one target, each the whole of the
other), ``merge`` (the whole old region inside a larger new one), ``split`` (the old region
spread over several), ``boundary change`` (a split where one part holds 90% or more).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import shapely

from rok.sources.gazetteer import Gazetteer
from rok.warehouse.store import Warehouse

__all__ = ["atom_populations", "atoms_to_2021", "old_regions", "pieces", "build_code_history", "WHOLE"]

WHOLE = 0.995  # a share at or above this is "all of it" (population proxies are not exact)
_NOTED_CODE = re.compile(r"\b([A-Z]{2}[A-Z0-9]{1,3})\b")
_PART_OF = re.compile(r"NOW PART OF ([A-Z]{2}[A-Z0-9]{1,3})")
_KEEPS_BOUNDARY = re.compile(r"BOUNDARY|DISCONTINUED|SPLIT|MERGE|LOST|NEW|PART")


def _lineages(wh: Warehouse, level: int) -> pd.DataFrame:
    """One row per lineage of ``level``: code and change note per version."""
    long = wh.query("SELECT lineage, version, code, upper(change) AS change FROM nuts_changes WHERE level = ?", [level])
    codes = long.pivot_table(index="lineage", columns="version", values="code", aggfunc="first")
    notes = long.pivot_table(index="lineage", columns="version", values="change", aggfunc="first")
    out = pd.DataFrame(index=sorted(set(long["lineage"])))
    for v in (1999, 2003, 2006, 2010, 2013, 2016, 2021):
        out[f"c{v}"] = codes[v] if v in codes else None
        out[f"n{v}"] = notes[v] if v in notes else None
    return out.astype(object).where(out.notna(), None)


def _codes(wh: Warehouse, version: int, level: int) -> set[str]:
    found = wh.query("SELECT code FROM regions WHERE nuts_version = ? AND level = ? "
                     "UNION SELECT code FROM nuts_changes WHERE version = ? AND level = ? AND code IS NOT NULL",
                     [version, level, version, level])["code"]
    return {c for c in found if not c.endswith("Z")}


def atom_populations(wh: Warehouse, gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """Population per 2016 NUTS 3 region: LAU 2019 sum, else GeoNames places inside its boundary."""
    atoms = sorted(_codes(wh, 2016, 3))
    lau = wh.query("SELECT nuts3_2016 AS atom, sum(population) AS pop FROM lau WHERE population > 0 GROUP BY 1")
    frame = pd.DataFrame({"atom": atoms}).merge(lau, on="atom", how="left")
    frame["method"] = frame["pop"].notna().map({True: "LAU 2019 population", False: None})
    missing = frame["pop"].isna()
    if missing.any():
        proxy = _geonames_population(wh, gazetteer or Gazetteer.load())
        frame.loc[missing, "pop"] = frame.loc[missing, "atom"].map(proxy)
        frame.loc[missing & frame["pop"].notna(), "method"] = "GeoNames places population"
    return frame.dropna(subset=["pop"])


def _geonames_population(wh: Warehouse, gazetteer: Gazetteer) -> dict[str, float]:
    regions = wh.query("SELECT code, geometry FROM regions WHERE nuts_version = 2016 AND level = 3 AND geometry IS NOT NULL")
    if regions.empty:
        return {}
    places = {(lat, lon, name): pop for names in gazetteer.index.values() for lat, lon, pop, name in names.values()}
    lat = np.array([k[0] for k in places])
    lon = np.array([k[1] for k in places])
    pop = np.array(list(places.values()), dtype=float)
    polygons = shapely.from_wkb(regions["geometry"].map(bytes).to_numpy())
    tree = shapely.STRtree(polygons)
    i_point, i_poly = tree.query(shapely.points(lon, lat), predicate="intersects")
    sums = pd.Series(pop[i_point]).groupby(regions["code"].to_numpy()[i_poly]).sum()
    return {k: float(v) for k, v in sums.items() if v > 0}


def _overlap_shares(wh: Warehouse, atom: str, candidates: set[str]) -> dict[str, float]:
    rows = wh.query("SELECT to_code, share_of_from FROM nuts_correspondence WHERE from_code = ? AND from_version = 2016 "
                    "AND level = 3", [atom])
    rows = rows[rows["to_code"].isin(candidates)] if candidates else rows[rows["share_of_from"] >= 0.05]
    if rows.empty:
        return {c: 1 / len(candidates) for c in sorted(candidates)} if candidates else {}
    total = rows["share_of_from"].sum()
    return {t: float(s / total) for t, s in zip(rows["to_code"], rows["share_of_from"], strict=True)}


def atoms_to_2021(wh: Warehouse) -> pd.DataFrame:
    """Each 2016 NUTS 3 region's NUTS 3 regions of 2021 with the fraction of it in each."""
    lin = _lineages(wh, 3)
    new3 = _codes(wh, 2021, 3)
    index = _mention_index(lin, 2021)
    rows = []
    for atom in sorted(_codes(wh, 2016, 3)):
        own = lin[lin["c2016"] == atom]
        candidates = {c for c in own["c2021"] if c}
        candidates |= {m for n in own["n2021"] if n for m in _PART_OF.findall(n)}
        candidates |= {c for c in lin.loc[sorted(index.get(atom, ())), "c2021"] if c}
        if not candidates and atom in new3:
            candidates = {atom}
        candidates &= new3
        if len(candidates) == 1:
            target = candidates.pop()
            rows.append((atom, target, 1.0, "same code" if target == atom else "NUTS history"))
            continue
        how = "NUTS history, parts by area overlap" if candidates else "area overlap"
        for target, share in _overlap_shares(wh, atom, candidates).items():
            rows.append((atom, target, share, how))
    return pd.DataFrame(rows, columns=["atom", "new3", "frac", "how"])


def _mention_index(lin: pd.DataFrame, *versions: int) -> dict[str, set[int]]:
    """Code -> the lineages (row labels) whose change notes of ``versions`` name it."""
    index: dict[str, set[int]] = {}
    for v in versions:
        for label, note in zip(lin.index, lin[f"n{v}"], strict=True):
            if isinstance(note, str):
                for code in _NOTED_CODE.findall(note):
                    index.setdefault(code, set()).add(label)
    return index


def _next_codes(lin: pd.DataFrame, code: str, v: int, w: int, known_w: set[str],
                index: dict[str, set[int]]) -> set[str]:
    """The NUTS codes of version ``w`` that a code of version ``v`` became (lineage and notes)."""
    own = lin[lin[f"c{v}"] == code]
    found = {c for c in own[f"c{w}"] if c}
    found |= {m for n in own[f"n{w}"] if n for m in _NOTED_CODE.findall(n)}
    found |= {c for c in lin.loc[sorted(index.get(code, ())), f"c{w}"] if c}
    return found & known_w


def old_regions(wh: Warehouse) -> pd.DataFrame:
    """Old regions (codes of 2016, 2013 and 2010, levels 1-3) as fractions of atoms."""
    atoms = sorted(_codes(wh, 2016, 3))
    rows = []
    composition: dict[tuple[str, int], dict[str, float]] = {}
    for level in (1, 2, 3):
        for code in sorted(_codes(wh, 2016, level)):
            composition[(code, 2016)] = {a: 1.0 for a in atoms if a.startswith(code)}
            rows += [(code, 2016, level, a, 1.0, "NUTS history") for a in composition[(code, 2016)]]
    lin3 = _lineages(wh, 3)
    for v, w in ((2013, 2016), (2010, 2013)):
        codes_w = {level: _codes(wh, w, level) for level in (1, 2, 3)}
        index = _mention_index(lin3, v, w)
        codes_v3 = sorted(_codes(wh, v, 3))
        to_next = {c: _next_codes(lin3, c, v, w, codes_w[3], index) for c in codes_v3}
        sharing = pd.Series([d for s in to_next.values() for d in s], dtype=object).value_counts()
        for code, targets in to_next.items():
            parts: dict[str, float] = {}
            for d in targets:
                for atom, frac in composition.get((d, w), {}).items():
                    parts[atom] = parts.get(atom, 0.0) + frac / sharing[d]
            composition.setdefault((code, v), parts)
        for level in (1, 2, 3):
            lin = _lineages(wh, level)
            for code in sorted(_codes(wh, v, level) - codes_w[level]):
                own = lin[lin[f"c{v}"] == code]
                same = [c for c, n in zip(own[f"c{w}"], own[f"n{w}"], strict=True)
                        if c and not (n and _KEEPS_BOUNDARY.search(n))]
                if same and (same[0], w) in composition:
                    parts, how = composition[(same[0], w)], f"NUTS history: {w} {same[0]}"
                else:
                    parts, how = {}, "NUTS history via NUTS 3"
                    children = [c for c in codes_v3 if c.startswith(code)]
                    if not children or any(not composition.get((c, v)) for c in children):
                        continue  # a NUTS 3 region whose successor the history does not name: not mapped
                    for child in children:
                        for atom, frac in composition[(child, v)].items():
                            parts[atom] = parts.get(atom, 0.0) + frac
                composition[(code, v)] = parts
                rows += [(code, v, level, a, f, how) for a, f in sorted(parts.items())]
    return pd.DataFrame(rows, columns=["old_code", "old_version", "level", "atom", "frac", "how"])


def pieces(old: pd.DataFrame, atom_new: pd.DataFrame, pops: pd.DataFrame) -> pd.DataFrame:
    """Population of every (old region, 2021 region of its level) intersection, with both shares."""
    joined = old.merge(pops, on="atom").merge(atom_new, on="atom", suffixes=("", "_new"))
    joined["new_code"] = [n[: lvl + 2] for n, lvl in zip(joined["new3"], joined["level"], strict=True)]
    joined["p"] = joined["pop"] * joined["frac"] * joined["frac_new"]
    keys = ["old_code", "old_version", "level", "new_code"]
    out = joined.groupby(keys, as_index=False).agg(
        p=("p", "sum"), pop_method=("method", lambda m: " and ".join(sorted(set(m)))),
        how=("how", lambda h: "; ".join(sorted(set(h)))), how_new=("how_new", lambda h: "; ".join(sorted(set(h)))))
    old_pop = (old.merge(pops, on="atom").assign(p=lambda f: f["pop"] * f["frac"])
               .groupby(["old_code", "old_version"])["p"].sum())
    new_all = atom_new.merge(pops, on="atom")
    new_pop: dict[str, float] = {}
    for level in (1, 2, 3):
        sums = (new_all["pop"] * new_all["frac"]).groupby(new_all["new3"].str[: level + 2]).sum()
        new_pop.update(sums.to_dict())
    out["pop_old"] = [old_pop[(c, v)] for c, v in zip(out["old_code"], out["old_version"], strict=True)]
    out["pop_new"] = out["new_code"].map(new_pop)
    out["share_old"] = out["p"] / out["pop_old"]
    out["share_new"] = out["p"] / out["pop_new"]
    return out[out["share_old"] >= 0.005].reset_index(drop=True)


def _kinds(frame: pd.DataFrame) -> pd.DataFrame:
    n_targets = frame.groupby(["old_code", "old_version"])["new_code"].transform("size")
    largest = frame.groupby(["old_code", "old_version"])["share_old"].transform("max")
    kind = np.where(n_targets > 1, np.where(largest >= 0.9, "boundary change", "split"),
                    np.where(frame["share_new"] >= WHOLE,
                             np.where(frame["old_code"] == frame["new_code"], "same", "recode"), "merge"))
    share = np.where(kind == "merge", frame["share_new"], np.where(kind == "split", frame["share_old"],
                     np.where(kind == "boundary change", frame["share_old"], 1.0)))
    method = ("population share (" + frame["pop_method"] + "); " + frame["how"] + "; to 2021: " + frame["how_new"])
    return frame.assign(kind=kind, share=np.round(share.astype(float), 6), method=method)


def build_code_history(wh: Warehouse, gazetteer: Gazetteer | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild ``nuts_code_history``; returns it and the pieces (for re-allocating values)."""
    if not wh.scalar("SELECT count(*) FROM nuts_changes"):
        return pd.DataFrame(), pd.DataFrame()
    parts = _kinds(pieces(old_regions(wh), atoms_to_2021(wh), atom_populations(wh, gazetteer)))
    history = parts[parts["kind"] != "same"].assign(new_version=2021)
    history = pd.concat([history, _older_codes(wh, parts)], ignore_index=True)
    table = history[["old_code", "old_version", "new_code", "new_version", "kind", "share", "method"]]
    wh.replace_table("nuts_code_history", table.drop_duplicates(["old_code", "old_version", "new_code"]))
    return table, parts


def _older_codes(wh: Warehouse, parts: pd.DataFrame) -> pd.DataFrame:
    """Codes of 1999-2010 whose lineage reaches a different 2013 code: that code's mapping."""
    known = {(c, v): g for (c, v), g in parts.groupby(["old_code", "old_version"])}
    codes2021 = {lvl: _codes(wh, 2021, lvl) for lvl in (1, 2, 3)}
    frames = []
    for level in (1, 2, 3):
        lin = _lineages(wh, level)
        for version in (2006, 2003, 1999):
            for old, c10, c13, c16 in zip(lin[f"c{version}"], lin["c2010"], lin["c2013"], lin["c2016"], strict=True):
                if not old or not c13 or old == c13 or old in codes2021[level]:
                    continue
                target = next((known[k] for k in ((c10, 2010), (c13, 2013), (c16 or c13, 2016)) if k in known), None)
                if target is not None:
                    frames.append(target.assign(old_code=old, old_version=version, new_version=2021,
                                                kind=np.where(target["kind"] == "same", "recode", target["kind"]),
                                                method=target["method"] + f"; via {c13} (2013)"))
                elif c13 in codes2021[level]:
                    frames.append(pd.DataFrame([{"old_code": old, "old_version": version, "new_code": c13,
                                                 "new_version": 2021, "kind": "recode", "share": 1.0,
                                                 "method": f"NUTS history: lineage {old} -> {c13}"}]))
    return pd.concat(frames, ignore_index=True).drop_duplicates(["old_code", "old_version", "new_code"]) if frames \
        else pd.DataFrame(columns=["old_code", "old_version", "new_code", "new_version", "kind", "share", "method"])
