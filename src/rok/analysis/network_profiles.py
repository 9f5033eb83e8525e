"""Collaboration networks of a selection, analysed once for every interface.

:meth:`Networks.compute` builds the organisation and region co-participation networks on
an engine (:mod:`rok.measures.networks`) and runs, on them: centralities and Leiden
communities (:mod:`rok.analysis.networks`), brokerage roles with regions as groups
(:mod:`rok.analysis.brokerage`), the integration of research actors per region
(:mod:`rok.analysis.integration`) and the gravity model of region-pair collaboration
(:mod:`rok.analysis.gravity`). The CLI, the HTML pages and the exports only read the
result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rok.analysis import brokerage as brk
from rok.analysis import networks as net
from rok.analysis.gravity import GravityResult, gravity_data, ppml
from rok.analysis.integration import integration_indicators
from rok.errors import InputError
from rok.measures import Engine, Selection
from rok.measures.networks import network_coverage, org_edges, org_nodes, region_edges, region_nodes
from rok.measures.selection import participation_rows

__all__ = ["Networks"]


@dataclass
class Networks:
    """The networks of one selection and everything computed on them."""

    selection: Selection
    engine: str
    domain: str | None
    region_edges: pd.DataFrame  # source, target, weight, projects, internal
    region_nodes: pd.DataFrame  # region, participations, organisations
    org_edges: pd.DataFrame | None
    org_nodes: pd.DataFrame | None
    region_centrality: pd.DataFrame
    region_communities: Any
    org_centrality: pd.DataFrame | None
    org_communities: Any
    brokerage: pd.DataFrame | None  # per organisation
    brokerage_regions: pd.DataFrame | None  # per region
    integration: pd.DataFrame
    gravity: GravityResult | None
    positions: pd.DataFrame  # region, lon, lat, name
    coverage: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def compute(cls, engine: Engine, sel: Selection | None = None, *, domain: str | None = None,
                organisations: bool = True, betweenness: bool = True) -> Networks:
        """Build and analyse the networks of ``sel`` (optionally one ``domain``).

        ``organisations=False`` skips the organisation network (and brokerage), which is
        the costly part. Betweenness is exact on the region network and estimated from 200
        sampled sources on the organisation network (exact would take about half an hour);
        ``betweenness=False`` skips it there.
        """
        sel = sel or Selection()
        seconds: dict[str, float] = {}
        clock = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            seconds[name] = seconds.get(name, 0.0) + now - clock[0]
            clock[0] = now

        redges = region_edges(engine, sel, domain=domain)
        rnodes = region_nodes(engine, sel, domain=domain)
        if redges.empty:
            raise InputError("no collaboration between placed organisations in the selection", value=sel.describe())
        cov = dict(network_coverage(engine, sel, domain))
        rows = engine.execute(participation_rows(engine, sel, placed_only=False)
                              .select("project_id", "org_id", "activity_type", "region"))
        regions = engine.table("regions")
        centres = engine.execute(regions.filter((regions.nuts_version == 2021) & (regions.level == sel.level))
                                 .select(region=regions.code, lon=regions.lon, lat=regions.lat,
                                         name=regions.name_latn))
        oedges = onodes = None
        if organisations:
            oedges = org_edges(engine, sel, domain=domain)
            onodes = org_nodes(engine, sel, domain=domain)
        lap("measures")
        rgraph = net.build_graph(redges, rnodes)
        rcent = net.centrality(rgraph)
        rcomm = net.communities(rgraph)
        lap("region network")
        ocent = ocomm = roles = by_region = None
        if oedges is not None and onodes is not None:
            ograph = net.build_graph(oedges, onodes.rename(columns={"name": "label"}))
            # exact betweenness on 32,000 organisations takes half an hour: sampled (Brandes & Pich 2007)
            ocent = net.centrality(ograph, betweenness="sample" if betweenness else False, samples=200)
            lap("organisation centrality")
            ocomm = net.communities(ograph)
            lap("organisation communities")
            groups = onodes.set_index("org_id")["region"]
            roles = brk.brokerage_roles(ograph, groups)
            by_region = brk.brokerage_by_region(roles, groups)
            lap("brokerage")
        gatekeepers = None
        if by_region is not None and "brokers" in by_region.columns:
            gatekeepers = by_region.reset_index()[["region", "brokers"]].rename(columns={"brokers": "gatekeepers"})
            gatekeepers = gatekeepers.merge(rnodes[["region", "organisations"]], on="region")
        integration = integration_indicators(rows, redges, gatekeepers=gatekeepers)
        lap("integration")
        gravity = None
        masses = rnodes.set_index("region")["participations"].astype(float)
        try:
            data = gravity_data(redges, masses[masses > 0], centres[["region", "lon", "lat"]])
            gravity = ppml(data)
        except InputError as exc:
            cov["gravity"] = f"not estimated: {exc}"
        lap("gravity")
        return cls(sel, engine.name, domain, redges, rnodes, oedges, onodes, rcent, rcomm, ocent, ocomm, roles,
                   by_region, integration, gravity, centres, cov, seconds)

    def check_region(self, code: str) -> str:
        value = code.strip().upper()
        if value not in set(self.region_nodes["region"]):
            raise InputError(f"unknown region for this selection (no placed organisation at NUTS "
                             f"{self.selection.level})", value=code)
        return value
