"""Where clients' data, the held-out evaluation set and the twin's D_twin come from.

A data source is chosen in the scenario (``data: {source: physics}``, the default) and gives the
world three things, all standardised with statistics every party can know (the twin's):
- ``client_dataset(site, now)``: what a site can train on at simulated time ``now``;
- ``eval_set``: held-out real data no client trains on;
- ``twin_set``: labelled synthetic data D_twin at the twin host.
A new source is a class with a pydantic ``Params`` model, listed in ``DATA_SOURCES``.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simdt.rng import Streams
from simdt.store import SiteStore
from simdt.twins import feature_scaler, load_twin, make_site_asset, make_twin_asset

Arrays = tuple[np.ndarray, np.ndarray]


class SourceParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource:
    Params: ClassVar[type[SourceParams]] = SourceParams
    feature_names: list[str]
    eval_set: Arrays
    twin_set: Arrays

    def __init__(self, params: SourceParams, scenario, sites: list[str], streams: Streams, catalog: Path):
        raise NotImplementedError

    def client_dataset(self, site: str, now: float) -> Arrays:
        raise NotImplementedError


class PhysicsParams(SourceParams):
    assets: int | None = Field(None, ge=1, description=(
        "simulate at most this many distinct assets; site i then records asset i mod assets, shifted by its "
        "own whole number of windows within a day (for fleets of thousands, physics costs `assets`, not N)"))


class PhysicsData(DataSource):
    """Each site's real asset (parameters drawn around the twin's nominal ones) recorded into a local
    store; the held-out evaluation recording comes first, so no client ever trains on it."""

    Params = PhysicsParams

    def __init__(self, params: PhysicsParams, scenario, sites: list[str], streams: Streams, catalog: Path):
        twin_def = load_twin(scenario.sites.twin, catalog / "twins")
        mean, std = feature_scaler(twin_def, streams.numpy("twin/scaler"))
        self._scale = lambda X: ((X - mean) / std).astype(np.float32)
        period = scenario.evaluation.period
        n_assets = min(params.assets or len(sites), len(sites))
        stores, eval_X, eval_y = [], [], []
        for s in sites[:n_assets]:
            asset = make_site_asset(twin_def, s, scenario.sites.mismatch, streams.numpy(f"site/{s}/asset"))
            X, y, _ = asset.generate(0.0, period)
            eval_X.append(X)
            eval_y.append(y)
            stores.append(SiteStore(asset, t_offset=period, retention_s=scenario.sites.retention))
        window = twin_def.window_s
        shifts = streams.numpy("site/shift").integers(0, int(86400 // window), len(sites)) * window
        self._reads = {s: (stores[i % n_assets], shifts[i] if i >= n_assets else 0.0) for i, s in enumerate(sites)}
        self.eval_set = (self._scale(np.concatenate(eval_X)), np.concatenate(eval_y))
        twin = make_twin_asset(twin_def, streams.numpy("twin/asset"))
        tX, ty = twin.synthetic_dataset(scenario.twin_data.windows, scenario.twin_data.anomaly_fraction,
                                        streams.numpy("twin/data"))
        self.twin_set = (self._scale(tX), ty)
        self.feature_names = list(twin.feature_names)

    def client_dataset(self, site: str, now: float) -> Arrays:
        store, shift = self._reads[site]
        X, y = store.dataset(max(now - shift, 0.0))
        return self._scale(X), y


class _Registry(dict):
    """Name -> data source class; entries given as "module:Class" are imported when first used, so a
    source with heavy dependencies costs nothing to scenarios that don't use it."""

    def __getitem__(self, name: str) -> type[DataSource]:
        entry = super().__getitem__(name)
        if isinstance(entry, str):
            module, _, cls = entry.partition(":")
            entry = getattr(import_module(module), cls)
            self[name] = entry
        return entry


DATA_SOURCES = _Registry(
    physics=PhysicsData,
    batadal="simdt.datasets.batadal:BatadalData",
    skab="simdt.datasets.skab:SkabData",
)
