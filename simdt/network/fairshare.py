"""Max-min fair rates by progressive filling, with per-flow rate caps."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def max_min_rates(paths: Sequence[Sequence[str]], caps: Sequence[float],
                  capacity: Mapping[str, float]) -> list[float]:
    """Rate of each flow (same units as ``capacity``) given the resources it crosses and its own cap.

    Water level rises for all unfrozen flows together; a flow freezes when it reaches its cap or when a
    resource it crosses fills up. Each round saturates a resource or freezes a batch of capped flows,
    so the cost is O(resources^2 + sum of path lengths), not O(flows^2).
    """
    n = len(paths)
    rates = [0.0] * n
    users: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        for r in path:
            users.setdefault(r, []).append(i)
    remaining = {r: float(capacity[r]) for r in users}
    count = {r: len(u) for r, u in users.items()}
    frozen = [False] * n
    by_cap = sorted(range(n), key=caps.__getitem__)
    next_cap = 0
    left = n

    def freeze(i: int, rate: float):
        nonlocal left
        frozen[i] = True
        rates[i] = rate
        left -= 1
        for r in paths[i]:
            remaining[r] -= rate
            count[r] -= 1

    while left:
        link_level, bottleneck = math.inf, None
        for r, c in count.items():
            if c and max(remaining[r], 0.0) / c < link_level:
                link_level, bottleneck = max(remaining[r], 0.0) / c, r
        while next_cap < n and frozen[by_cap[next_cap]]:
            next_cap += 1
        if next_cap < n and caps[by_cap[next_cap]] <= link_level:
            # every flow capped below the current fill level keeps its cap; the level is re-read after
            while next_cap < n and (frozen[by_cap[next_cap]] or caps[by_cap[next_cap]] <= link_level):
                i = by_cap[next_cap]
                if not frozen[i]:
                    freeze(i, caps[i])
                next_cap += 1
        elif bottleneck is None:  # flows that cross no resource and have no cap: nothing limits them
            for i in range(n):
                if not frozen[i]:
                    freeze(i, math.inf)
        else:
            for i in users[bottleneck]:
                if not frozen[i]:
                    freeze(i, link_level)
    return rates
