"""Twin-gated participation (``fl.gating``): each site runs an edge copy of the twin, which predicts what normal
operation looks like, and the site takes part only when its latest data deviate from that prediction.

The twin's prediction of normal operation is the per-feature mean μ and spread σ of D_twin's normal windows
(every party can know them: they come from the twin). A site's deviation is the RMS z-score of its ``recent``
latest windows, sqrt(mean(((x − μ) / σ)²)): 1 is exactly as the twin predicts, and a site's own offsets from
the nominal twin (the sim-to-real gap) raise it even when nothing is wrong. A site takes part when the deviation
exceeds ``threshold`` or when it has not contributed (an update merged) for ``max_skip`` rounds. With ``at:
join`` the site's decision reaches the server with its telemetry and a gated site is not selected; with
``at: upload`` it is selected, trains, and sends a skip notice (a header-only control message) instead of its
update. The edge twin's work (``edge_flops_per_window`` per window compared) is charged to the site's device as
compute of its own kind (it runs beside training, so it delays nothing); the telemetry that keeps the twin host's
copy in step (a state vector of ``telemetry_values`` float32 every ``telemetry_every``) is traffic of its own kind.
"""
from __future__ import annotations

import numpy as np
import torch

TELEMETRY = "telemetry"


class EdgeTwins:
    def __init__(self, spec, data, sites: list[str]):
        self.spec, self.data = spec, data
        X, y = data.twin_set
        normal = X[y == 0] if (y == 0).any() else X
        self.mean = normal.mean(axis=0)
        self.std = np.maximum(normal.std(axis=0), 1e-6)
        self.last = dict.fromkeys(sites, 0)  # last round each site contributed in (0: never)
        self.state = torch.zeros(spec.telemetry_values or len(data.feature_names))

    def deviation(self, site: str, now: float) -> tuple[float, int]:
        """RMS z-score of the site's latest windows against the twin's normal operation, and how many it compared."""
        X = self.data.client_dataset(site, now)[0][-self.spec.recent:]
        if len(X) == 0:
            return 0.0, 0
        return float(np.sqrt(np.mean(((X - self.mean) / self.std) ** 2))), len(X)

    def decide(self, rnd: int, site: str, now: float) -> tuple[bool, float]:
        """Whether the site takes part in round ``rnd``, and the FLOPs its edge twin spent deciding."""
        dev, windows = self.deviation(site, now)
        return dev > self.spec.threshold or rnd - self.last[site] > self.spec.max_skip, windows * self.spec.edge_flops_per_window

    def contributed(self, site: str, rnd: int) -> None:
        self.last[site] = rnd


def telemetry(env, site: str, start: float, every: float, up, send):
    """The site's state sync to the twin host every ``every`` seconds from ``start``, while its device is up
    (``up()``); a sync still in flight when the next is due (a slow or broken link) means that one is skipped."""
    yield env.timeout(max(0.0, start - env.now))
    transfer = None
    while True:
        if up() and (transfer is None or not transfer.is_alive):
            transfer = send()
        yield env.timeout(every)
