"""Money: a tariff (price per GB on the wire and a fixed fee per site and month) applied to each site's projected
monthly traffic. From the scenario's ``cost`` section, or ``--tariff 'per_gb=9.5 USD,per_month=25 USD'``."""
from __future__ import annotations

from pydantic import ValidationError

from simdt import scenario as scn


def parse_tariff(text: str) -> scn.CostSpec:
    """'per_gb=9.5 USD,per_month=25 USD' -> CostSpec; one clear ScenarioError otherwise."""
    items = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise scn.ScenarioError(f"--tariff expects KEY=AMOUNT[,KEY=AMOUNT], e.g. 'per_gb=9.5 USD', got {text!r}")
        items[key.strip()] = value.strip()
    try:
        return scn.CostSpec.model_validate(items)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"]))
        raise scn.ScenarioError(err["msg"].removeprefix("Value error, "), field=f"--tariff {where}".strip()) from None


def tariff_of(scenario_cost: dict | None, override: str | scn.CostSpec | None = None) -> scn.CostSpec | None:
    """The tariff a report uses: ``override`` (``--tariff``) before the scenario's ``cost``; None when neither."""
    if isinstance(override, str):
        return parse_tariff(override)
    if override is not None:
        return override
    return scn.CostSpec.model_validate(scenario_cost) if scenario_cost else None


def monthly(tariff: scn.CostSpec, mb_per_month: float) -> float:
    """What a site pays in a month for ``mb_per_month`` wire megabytes (10^6 B)."""
    return tariff.per_month + tariff.per_gb * mb_per_month / 1e3
