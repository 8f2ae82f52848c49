"""Scenarios: YAML files validated with pydantic, quantities with units, catalog entries by name.

A scenario names catalog entries (``twin: centrifugal_pump``, ``uplink: rural_lte``); they are
resolved against the catalog folders ``twins/`` and ``networks/`` found beside the scenario
(its folder or the folder above it), in the current directory, or in the project checkout.
Every problem becomes one :class:`ScenarioError` naming the file, the field and, where YAML
knows it, the line.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from simdt import units

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = "default"


class ScenarioError(Exception):
    """Bad scenario input. ``str()`` is the one line shown to the user."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, field: str | None = None):
        self.message, self.file, self.line, self.field = message, file, line, field
        where = file or "<scenario>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")


def _unit(parse):
    def convert(value: Any) -> float:
        try:
            return parse(value)
        except units.UnitError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(convert)


Bandwidth = Annotated[float, _unit(units.bandwidth_bps), Field(gt=0, description="bit/s, e.g. '10Mbps'")]
Duration = Annotated[float, _unit(units.duration_s), Field(ge=0, description="seconds, e.g. '300ms', '2d'")]
PositiveDuration = Annotated[float, _unit(units.duration_s), Field(gt=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BurstyLoss(Model):
    """Gilbert-Elliott loss; LTE fits: p 0.007-0.046, r 0.12-0.53 per 100 ms slot (DESIGN.md 5)."""

    p: float = Field(gt=0, le=1, description="P(good -> bad) per slot")
    r: float = Field(gt=0, le=1, description="P(bad -> good) per slot")
    slot: PositiveDuration = 0.1
    loss_bad: Probability = 1.0
    loss_good: Probability = 0.0


QueueDiscipline = Literal["droptail", "fq_codel"]  # simdt.network.link.QUEUE_DISCIPLINES


class LinkProfile(Model):
    """One link with the same numbers in both directions' delay; ``up`` is toward the server."""

    description: str = ""
    source: str = ""
    up: Bandwidth
    down: Bandwidth
    delay: Duration = Field(description="one-way propagation delay")
    loss: Probability = 0.0
    mtbf: PositiveDuration | None = Field(None, description="mean time between outages (exponential)")
    mttr: PositiveDuration | None = Field(None, description="mean outage duration (exponential)")
    queue_packets: int | None = Field(None, ge=1, description="the device's buffer, packets (a drop-tail FIFO)")
    queue_discipline: QueueDiscipline = Field(
        "droptail", description="fq_codel: Linux's default queue disc in front of that FIFO (a CoDel queue per flow)")
    window_period: PositiveDuration | None = Field(None, description="up only for window_open of every period")
    window_open: PositiveDuration | None = None
    window_offset: Duration = 0.0
    trace_up: str | None = Field(None, description="capacity trace (Mahimahi .up/.down or per-second CSV), "
                                 "a path relative to the current directory or the project root")
    trace_down: str | None = None
    bursty_loss: BurstyLoss | None = Field(None, description="Gilbert-Elliott loss on top of ``loss``")
    jitter: Duration = Field(0.0, description="mean extra one-way delay per transfer (exponential)")

    @model_validator(mode="after")
    def _outage_pair(self):
        if (self.mtbf is None) != (self.mttr is None):
            raise ValueError("outages need both mtbf and mttr (or neither)")
        if (self.window_period is None) != (self.window_open is None):
            raise ValueError("availability windows need both window_period and window_open (or neither)")
        if self.window_period is not None and self.window_open > self.window_period:
            raise ValueError("window_open must not exceed window_period")
        from simdt.network.availability import find_trace  # raises on a missing file
        for trace in (self.trace_up, self.trace_down):
            if trace is not None:
                find_trace(trace)
        return self


class LinkRef(Model):
    """A link given inline, or a catalog profile with some fields overridden."""

    profile: str | None = None
    description: str | None = None
    source: str | None = None
    up: Bandwidth | None = None
    down: Bandwidth | None = None
    delay: Duration | None = None
    loss: Probability | None = None
    mtbf: PositiveDuration | None = None
    mttr: PositiveDuration | None = None
    queue_packets: int | None = None
    queue_discipline: QueueDiscipline | None = None
    window_period: PositiveDuration | None = None
    window_open: PositiveDuration | None = None
    window_offset: Duration | None = None
    trace_up: str | None = None
    trace_down: str | None = None
    bursty_loss: BurstyLoss | None = None
    jitter: Duration | None = None


def _link_ref(value: Any) -> Any:
    return {"profile": value} if isinstance(value, str) else value


LinkField = Annotated[LinkRef, BeforeValidator(_link_ref)]


# --- mixed fleets, update compression, twin-gated participation, server modes, faults ----------

DRAW_UNITS = {"up": units.bandwidth_bps, "down": units.bandwidth_bps, "delay": units.duration_s,
              "jitter": units.duration_s, "mtbf": units.duration_s, "mttr": units.duration_s, "loss": float}


class Draw(Model):
    """A value drawn per site from the seed: ``{uniform: [lo, hi]}``, ``{lognormal: [median, sigma]}`` or
    ``{choice: [a, b, ...], p: [...]}``, in the units of the field it sets."""

    uniform: tuple[Any, Any] | None = None
    lognormal: tuple[Any, float] | None = None
    choice: list[Any] | None = Field(None, min_length=1)
    p: list[Probability] | None = None

    @model_validator(mode="after")
    def _one_distribution(self):
        if sum(getattr(self, k) is not None for k in ("uniform", "lognormal", "choice")) != 1:
            raise ValueError("give exactly one of uniform: [lo, hi], lognormal: [median, sigma], choice: [...]")
        if self.p is not None and (self.choice is None or len(self.p) != len(self.choice) or abs(sum(self.p) - 1) > 1e-6):
            raise ValueError("p needs one probability per choice, summing to 1")
        if self.lognormal is not None and self.lognormal[1] < 0:
            raise ValueError("lognormal sigma must be >= 0")
        return self

    def numbers(self, field: str) -> list[float]:
        """The distribution's values read in ``field``'s unit (bit/s, seconds, or a bare loss probability)."""
        values = self.uniform or self.choice or self.lognormal[:1]
        try:
            out = [DRAW_UNITS[field](v) for v in values]
        except (units.UnitError, TypeError, ValueError) as exc:
            raise ValueError(f"{field}: {exc}") from None
        if self.uniform is not None and out[0] > out[1]:
            raise ValueError(f"{field}: uniform needs lo <= hi")
        return out


class SiteLink(Model):
    """A device and uplink for some sites; unset fields keep the scenario's ``sites.device`` / ``sites.uplink``."""

    device: str | None = None
    uplink: LinkField | None = None


class FleetGroup(SiteLink):
    """Consecutive sites of a mixed fleet: a ``share`` of them (or a ``count``), with per-site ``draw``s of
    the device (``choice``) or of uplink fields (up, down, delay, jitter, loss, mtbf, mttr)."""

    share: float | None = Field(None, gt=0, le=1)
    count: int | None = Field(None, ge=1)
    draw: dict[Literal["device", "up", "down", "delay", "jitter", "loss", "mtbf", "mttr"], Draw] = {}

    @model_validator(mode="after")
    def _size_and_draws(self):
        if (self.share is None) == (self.count is None):
            raise ValueError("give a fleet group either a share or a count")
        for field, draw in self.draw.items():
            if field == "device":
                if draw.choice is None or not all(isinstance(d, str) for d in draw.choice):
                    raise ValueError("device: draw a device with choice: [name, ...]")
            elif field == "loss" and draw.lognormal is not None:
                raise ValueError("loss: draw a probability with uniform or choice")
            else:
                draw.numbers(field)
        return self


Codec = Literal["none", "fp16", "int8", "topk", "qsgd"]  # simdt.fl.compression.CODECS


class CodecSpec(Model):
    """A codec for one direction: fp16, int8 (per-tensor or per-row scale), topk (with optional error
    feedback) or qsgd; the compressed tensors are what the link carries (byte formulas: simdt/fl/compression.py)."""

    codec: Codec = "none"
    per: Literal["tensor", "row"] = Field("tensor", description="int8: one float32 scale per tensor or per matrix row")
    fraction: float = Field(0.01, gt=0, le=1, description="topk: share of each tensor's elements sent")
    levels: int = Field(16, ge=1, le=127, description="qsgd: quantization levels s per sign")
    error_feedback: bool = Field(False, description="the client keeps what compression dropped and adds it to its "
                                 "next update (the residual's memory is counted; nothing is dropped under none)")


def _codec_spec(value: Any) -> Any:
    return {"codec": value} if isinstance(value, str) else value


CodecField = Annotated[CodecSpec, BeforeValidator(_codec_spec)]


class CompressionSpec(Model):
    """Per direction: ``up`` encodes each client's update (its model minus the one it started from), ``down``
    the models the server sends (fp16 or int8: a client may hold no earlier model to add a delta to)."""

    up: CodecField = CodecSpec()
    down: CodecField = CodecSpec()

    @model_validator(mode="after")
    def _directions(self):
        if self.down.codec not in ("none", "fp16", "int8"):
            raise ValueError(f"down: {self.down.codec} compresses updates, not models (use fp16 or int8)")
        if self.down.error_feedback:
            raise ValueError("down: error feedback is kept by a client for its uploads (set it under up)")
        return self


class GatingSpec(Model):
    """Twin-gated participation: each site's edge twin compares its latest windows with the twin's normal
    operation (per-feature mean and spread of D_twin's normal rows); the site takes part only when the RMS
    z-score exceeds ``threshold`` or it has not contributed for ``max_skip`` rounds."""

    at: Literal["join", "upload"] = Field("join", description="join: a gated site is not selected; upload: it "
                                          "trains but sends only a skip notice")
    threshold: float = Field(1.5, gt=0, description="RMS z-score above which a site takes part (1: as the twin predicts)")
    recent: int = Field(60, ge=1, le=1_000_000, description="latest recorded windows the edge twin compares")
    max_skip: int = Field(5, ge=0, le=100_000, description="rounds without a contribution after which a site takes part")
    edge_flops_per_window: float = Field(3e3, ge=0, le=1e15, description="FLOPs for the edge twin to predict one window, "
                                         "charged to the site's device per window compared")
    telemetry_every: PositiveDuration = Field(600.0, ge=1.0, description="period of the state sync from each site to "
                                              "the twin host (at least 1 s)")
    telemetry_values: int | None = Field(None, ge=1, le=10_000_000,
                                         description="float32 values per sync (default: one per feature)")


class AggregationSpec(Model):
    """How the server turns arrivals into a new global model: synchronous rounds with a deadline (optionally
    over-selecting), FedBuff (every ``buffer`` arrivals, staleness-weighted) or FedAsync (every arrival)."""

    mode: Literal["sync", "fedbuff", "fedasync"] = "sync"
    over_selection: float = Field(0.0, ge=0, le=10, description="sync: invite ceil(k (1 + x)) clients, keep the first k updates")
    buffer: int = Field(3, ge=1, description="fedbuff: aggregate every B arrivals")
    concurrency: int | None = Field(None, ge=1, description="fedbuff/fedasync: clients training at once (default: k)")
    staleness_exponent: float = Field(0.5, ge=0, le=10, description="an update tau versions old weighs (1 + tau)^-a")
    alpha: float = Field(0.6, gt=0, le=1, description="fedasync: weight of a fresh update in the mix")

    @model_validator(mode="after")
    def _modes(self):
        if self.over_selection and self.mode != "sync":
            raise ValueError("over_selection is for sync rounds (asynchronous modes keep `concurrency` clients busy)")
        return self


class Outage(Model):
    """Scheduled (``at`` after FL starts, for ``duration``) or random (exponential ``mtbf``/``mttr`` from t = 0)."""

    at: Duration | None = Field(None, description="start, counted from FL start (fl.start_after), e.g. '6h'")
    duration: PositiveDuration | None = Field(None, description="how long it lasts, e.g. '90min'")
    mtbf: PositiveDuration | None = Field(None, description="mean time between episodes (exponential), e.g. '3d'")
    mttr: PositiveDuration | None = Field(None, description="mean length of an episode (exponential), e.g. '1h'")

    @model_validator(mode="after")
    def _one_form(self):
        scheduled, random = (self.at, self.duration), (self.mtbf, self.mttr)
        if not (all(v is not None for v in scheduled) and all(v is None for v in random)
                or all(v is not None for v in random) and all(v is None for v in scheduled)):
            raise ValueError("give either at and duration, or mtbf and mttr")
        return self


class Partition(Outage):
    """A group of sites cut off: a named network link down, or the first link of each listed site."""

    link: str | None = None
    sites: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _what(self):
        if (self.link is None) == (self.sites is None):
            raise ValueError("a partition takes down either a link or the links of some sites")
        return self


class Blackout(Outage):
    """A power cut: the sites' devices stop (as in a crash) and their first links go down; default every site."""

    sites: list[str] | None = Field(None, min_length=1)


class Crash(Model):
    """Client processes of these devices (default: every device not listed in another entry) crash after
    exponential up times and restart after exponential repairs; a crash loses the client's round."""

    devices: list[str] | None = Field(None, min_length=1, description="device names (simdt list devices)")
    mtbf: PositiveDuration = Field(ge=1.0, description="mean up time between crashes (exponential, at least 1 s), e.g. '5d'")
    mttr: PositiveDuration = Field(description="mean time to restart (exponential), e.g. '20min'")


class FaultsSpec(Model):
    """Faults beyond link outages (simdt/faults.py says what each does)."""

    crash: list[Crash] = []
    server: list[Outage] = Field([], description="the FL server is down: no round starts or aggregates")
    twin_host: list[Outage] = Field([], description="the twin host is down: DT methods fall back (their docstrings)")
    partition: list[Partition] = []
    blackout: list[Blackout] = []

    @field_validator("crash")
    @classmethod
    def _crash_devices(cls, crash):
        listed = [d for c in crash for d in c.devices or ()]
        if len(set(listed)) != len(listed) or sum(c.devices is None for c in crash) > 1:
            raise ValueError("each device in at most one entry, and at most one entry without devices")
        return crash


# where each mechanism sits in a scenario, for `simdt list mechanisms`
MECHANISMS = {"sites.fleet": FleetGroup, "sites.overrides.<site>": SiteLink, "fl.compression.up|down": CodecSpec,
              "fl.gating": GatingSpec, "fl.aggregation": AggregationSpec, "faults.crash": Crash,
              "faults.server|twin_host": Outage, "faults.partition": Partition, "faults.blackout": Blackout}


class SitesSpec(Model):
    count: int = Field(8, ge=1, le=1_000_000)
    prefix: str = "site"
    twin: str = "centrifugal_pump"
    mismatch: float = Field(0.1, ge=0, le=1, description="relative spread of site parameters around the twin's nominal ones")
    device: str = "raspberry_pi_4"
    uplink: LinkField = LinkRef(profile="rural_lte")
    retention: PositiveDuration = 7 * 86400.0
    fleet: list[FleetGroup] = Field([], description="a mixed fleet: groups of consecutive sites with their own "
                                    "device, uplink and per-site draws")
    overrides: dict[str, SiteLink] = Field({}, description="device or uplink of named sites (after the fleet)")

    @model_validator(mode="after")
    def _fleet_sizes(self):
        shares, counts = [g.share for g in self.fleet if g.share], [g.count for g in self.fleet if g.count]
        if shares and counts:
            raise ValueError("fleet: give every group a share, or every group a count")
        if shares and abs(sum(shares) - 1) > 1e-6:
            raise ValueError(f"fleet: shares must add up to 1 (got {sum(shares):g})")
        if counts and sum(counts) != self.count:
            raise ValueError(f"fleet: counts must add up to sites.count ({self.count}), got {sum(counts)}")
        return self

    def names(self) -> list[str]:
        width = max(2, len(str(self.count - 1)))
        return [f"{self.prefix}{i:0{width}d}" for i in range(self.count)]


class ServerSpec(Model):
    device: str = "cloud_server"


class TwinHostSpec(Model):
    placement: Literal["server", "remote"] = "server"
    device: str = "cloud_server"
    link: LinkField | None = Field(None, description="link from a remote twin host to the backbone")

    @model_validator(mode="after")
    def _remote_needs_link(self):
        if self.placement == "remote" and self.link is None:
            raise ValueError("a remote twin host needs a link")
        return self


class NetworkSpec(Model):
    backhaul: LinkField = LinkRef(profile="fiber_backhaul")
    transfer_timeout: PositiveDuration = 300.0
    mss: int = Field(1448, ge=64, le=65_000)
    header_bytes: int = Field(40, ge=0, le=1_000)
    init_cwnd: int = Field(10, ge=1, le=1_000)
    tls: Literal["none", "tls12", "tls13"] = "none"
    on_outage: Literal["resume", "restart", "fail"] = Field(
        "resume", description="when a path breaks: pause and continue, start over from byte 0, or fail at once")
    rto_backoff: bool = Field(False, description="a paused flow notices the path is back only when its "
                              "retransmission timer (doubling from 1 s, at most 60 s) fires")
    retries: int = Field(0, ge=0, le=100, description="times a failed transfer (on_outage: fail, or past "
                         "transfer_timeout) is sent again from the start, after a back-off doubling from 1 s")
    topology: str | None = Field(None, description="a file in networks/topologies/ replacing the default star "
                                 "(its links replace sites.uplink and network.backhaul)")


class TargetSpec(Model):
    metric: Literal["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"] = "balanced_accuracy"
    value: float = Field(0.8, gt=0, le=1)
    hold: int = Field(3, ge=1, le=1_000, description="evaluations in a row the metric must stay at or above the "
                      "target for it to count as reached (all of a shorter run)")


class MethodRef(Model):
    name: str
    params: dict[str, Any] = {}


def _method_ref(value: Any) -> Any:
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict) and "name" in value:
        rest = {k: v for k, v in value.items() if k != "name"}
        return {"name": value["name"], "params": rest}
    return value


class FLSpec(Model):
    methods: list[Annotated[MethodRef, BeforeValidator(_method_ref)]] = Field(
        default_factory=lambda: [MethodRef(name="fedavg"), MethodRef(name="fedprox")], min_length=1
    )
    rounds: int = Field(30, ge=1, le=100_000)
    client_fraction: float = Field(0.5, gt=0, le=1)
    min_clients: int = Field(1, ge=1)
    local_epochs: int = Field(2, ge=1, le=1_000)
    batch_size: int = Field(10, ge=1)
    lr: float = Field(1e-3, gt=0)
    hidden: list[Annotated[int, Field(ge=1, le=65_536)]] = Field(
        [16, 8], max_length=16, description="hidden layer widths of the detector MLP: they set the update size")
    round_deadline: PositiveDuration = 600.0
    round_every: Duration = 3600.0
    start_after: Duration = 86400.0
    target: TargetSpec = TargetSpec()
    compression: CompressionSpec = CompressionSpec()
    gating: GatingSpec | None = None
    aggregation: AggregationSpec = AggregationSpec()


class TwinDataSpec(Model):
    windows: int = Field(2000, ge=10)
    anomaly_fraction: float = Field(0.2, ge=0, lt=1)


class EvaluationSpec(Model):
    period: PositiveDuration = Field(2 * 86400.0, description="held-out recording per site, never trained on")
    final_rounds: int = Field(5, ge=1, le=100_000, description="'final' metrics are the mean of this many last rounds")


class DataSpec(Model):
    """Where clients' data comes from: ``source`` names an entry of ``simdt.data.DATA_SOURCES``;
    the other keys are that source's parameters."""

    source: str = "physics"
    params: dict[str, Any] = {}


def _data_spec(value: Any) -> Any:
    if isinstance(value, dict) and "params" not in value:
        return {"source": value.get("source", "physics"), "params": {k: v for k, v in value.items() if k != "source"}}
    return value


class CostSpec(Model):
    """A traffic tariff: what a site pays per GB on the wire (10^9 B, up + down) and per month regardless.
    Written with a currency code, ``{per_gb: 9.5 USD, per_month: 25 USD}``; all amounts in one currency."""

    per_gb: float = Field(0.0, ge=0)
    per_month: float = Field(0.0, ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @model_validator(mode="before")
    @classmethod
    def _amounts(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data, found = dict(data), {data["currency"]} if "currency" in data else set()
        for key in ("per_gb", "per_month"):
            if key in data:
                try:
                    data[key], code = units.money(data[key])
                except units.UnitError as exc:
                    raise ValueError(f"{key}: {exc}") from None
                found |= {code} - {None}
        if len(found) != 1:
            raise ValueError("name one currency, e.g. per_gb: 9.5 USD" if not found else
                             f"amounts in more than one currency: {', '.join(sorted(found))}")
        return {**data, "currency": found.pop()}


class Scenario(Model):
    name: str
    description: str = ""
    seed: int = Field(0, ge=0)
    sites: SitesSpec = SitesSpec()
    server: ServerSpec = ServerSpec()
    twin_host: TwinHostSpec = TwinHostSpec()
    network: NetworkSpec = NetworkSpec()
    fl: FLSpec = FLSpec()
    twin_data: TwinDataSpec = TwinDataSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    data: Annotated[DataSpec, BeforeValidator(_data_spec)] = DataSpec()
    faults: FaultsSpec = FaultsSpec()
    cost: CostSpec | None = Field(None, description="traffic tariff, turns wire bytes into money per site per month")

    @model_validator(mode="after")
    def _enough_clients(self):
        if self.fl.min_clients > self.sites.count:
            raise ValueError(f"fl.min_clients ({self.fl.min_clients}) exceeds sites.count ({self.sites.count})")
        return self


class Resolved(BaseModel):
    """A scenario with every catalog reference looked up: what the world is built from."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    scenario: Scenario
    source: str
    catalog: Path
    uplink: LinkProfile
    backhaul: LinkProfile
    twin_link: LinkProfile | None
    methods: list[tuple[str, BaseModel]]
    data: tuple[str, BaseModel]
    fleet_uplinks: tuple[LinkProfile | None, ...] = ()   # per sites.fleet group (None: sites.uplink)
    override_uplinks: dict[str, LinkProfile] = {}         # per site named in sites.overrides with an uplink


# --- loading -----------------------------------------------------------------------------------


def catalog_dirs(scenario_path: Path | None) -> list[Path]:
    """Where catalogs are looked for, first match wins."""
    candidates = []
    if scenario_path is not None:
        here = scenario_path.resolve().parent
        candidates += [here, here.parent]
    candidates += [Path.cwd(), PROJECT_ROOT]
    seen, out = set(), []
    for c in candidates:
        if c not in seen and (c / "networks").is_dir():
            seen.add(c)
            out.append(c)
    return out


def find_scenario(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError("no such scenario file", file=str(name_or_path))
        return path
    for root in catalog_dirs(None):
        candidate = root / "scenarios" / f"{name_or_path}.yaml"
        if candidate.is_file():
            return candidate
    raise ScenarioError(f"no scenario named {str(name_or_path)!r} (give a .yaml path or a name in scenarios/)")


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the YAML node at pydantic location ``loc``, or of its closest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                match_key = next((k for k, _ in node.value if k.value == key), None)
                return match_key.start_mark.line + 1 if match_key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


MAX_YAML_BYTES = 1 << 20  # a scenario is a page of settings; a megabyte is already a mistake


def _read_yaml(path: Path, label: str) -> tuple[Any, yaml.Node | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=label) from None
    if len(raw) > MAX_YAML_BYTES:
        raise ScenarioError(f"file of {len(raw):,} bytes; a scenario is at most {MAX_YAML_BYTES:,}", file=label)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError("not UTF-8", file=label, line=raw[:exc.start].count(b"\n") + 1) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _reject_duplicate_keys(node, label)
        return yaml.safe_load(text), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"malformed YAML: {problem}", file=label, line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ScenarioError("malformed YAML: nested too deeply", file=label) from None


def _reject_duplicate_keys(root: yaml.Node | None, label: str) -> None:
    """PyYAML keeps the last of two equal keys; a scenario with both is ambiguous, so it is an error."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise ScenarioError(f"duplicate key (first at line {seen[key.value]})", file=label,
                                            line=key.start_mark.line + 1, field=key.value)
                    seen[key.value] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _pydantic_error(exc: ValidationError, label: str, node: yaml.Node | None, prefix: tuple = ()) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    loc = prefix + loc
    field = ".".join(str(k) for k in loc) or None
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown field"
    elif "input" in err and err["type"] != "missing" and not isinstance(err["input"], (dict, list)) and repr(err["input"]) not in message:
        message += f" (got {err['input']!r})"
    extra = len(exc.errors()) - 1
    if extra:
        message += f" [and {extra} more problem{'s' if extra > 1 else ''}]"
    return ScenarioError(message, file=label, line=_line_of(node, loc), field=field)


def _resolve_link(ref: LinkRef, field: str, label: str, node, roots: list[Path]) -> LinkProfile:
    base: dict[str, Any] = {}
    if ref.profile is not None:
        path = next((r / "networks" / f"{ref.profile}.yaml" for r in roots if (r / "networks" / f"{ref.profile}.yaml").is_file()), None)
        if path is None:
            known = sorted({p.stem for r in roots for p in (r / "networks").glob("*.yaml")})
            raise ScenarioError(
                f"no network profile {ref.profile!r} in networks/ (known: {', '.join(known) or 'none'})",
                file=label, line=_line_of(node, tuple(field.split("."))), field=field,
            )
        data, pnode = _read_yaml(path, str(path))
        try:
            base = LinkProfile.model_validate(data).model_dump()
        except ValidationError as exc:
            raise _pydantic_error(exc, str(path), pnode) from None
    base.update({k: v for k, v in ref.model_dump(exclude={"profile"}).items() if v is not None})
    try:
        return LinkProfile.model_validate(base)
    except ValidationError as exc:
        err = _pydantic_error(exc, label, None)
        raise ScenarioError(err.message, file=label, line=_line_of(node, tuple(field.split("."))), field=field) from None


def _check_twin(name: str, label: str, node, roots: list[Path]) -> None:
    if not any((r / "twins" / f"{name}.yaml").is_file() for r in roots):
        known = sorted({p.stem for r in roots for p in (r / "twins").glob("*.yaml")})
        raise ScenarioError(
            f"no twin {name!r} in twins/ (known: {', '.join(known) or 'none'})",
            file=label, line=_line_of(node, ("sites", "twin")), field="sites.twin",
        )


def _check_topology(name: str, label: str, node, roots: list[Path]) -> None:
    from simdt.network.topology_file import find_topology

    errors = []
    for root in roots:
        try:
            find_topology(root / "networks" / "topologies", name)
            return
        except ValueError as exc:
            errors.append(str(exc))
    raise ScenarioError(errors[-1], file=label, line=_line_of(node, ("network", "topology")), field="network.topology")


def _check_device(name: str, field: str, label: str, node) -> None:
    from simdt.devices import DEVICES

    if name not in DEVICES:
        raise ScenarioError(
            f"unknown device {name!r} (known: {', '.join(sorted(DEVICES))})",
            file=label, line=_line_of(node, tuple(field.split("."))), field=field,
        )


def _resolve_methods(spec: FLSpec, label: str, node) -> list[tuple[str, BaseModel]]:
    from simdt.fl.methods import METHODS

    out = []
    for i, ref in enumerate(spec.methods):
        if ref.name not in METHODS:
            raise ScenarioError(
                f"unknown method {ref.name!r} (known: {', '.join(METHODS)})",
                file=label, line=_line_of(node, ("fl", "methods", i)), field=f"fl.methods.{i}",
            )
        try:
            out.append((ref.name, METHODS[ref.name].Params.model_validate(ref.params)))
        except ValidationError as exc:
            raise _pydantic_error(exc, label, node, prefix=("fl", "methods", i)) from None
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ScenarioError("a method is listed twice", file=label, line=_line_of(node, ("fl", "methods")), field="fl.methods")
    return out


def _resolve_data(spec: DataSpec, label: str, node, path: Path | None) -> tuple[str, BaseModel]:
    from simdt.data import DATA_SOURCES

    if spec.source not in DATA_SOURCES:
        raise ScenarioError(f"unknown data source {spec.source!r} (known: {', '.join(DATA_SOURCES)})",
                            file=label, line=_line_of(node, ("data", "source")), field="data.source")
    try:
        params = DATA_SOURCES[spec.source].Params.model_validate(spec.params, context={"base": path.parent if path else None})
    except ValidationError as exc:
        raise _pydantic_error(exc, label, node, prefix=("data",)) from None
    return spec.source, params


def resolve(data: dict, label: str = "<scenario>", node: yaml.Node | None = None, path: Path | None = None) -> Resolved:
    """Validate a scenario mapping and look up its catalog entries."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a YAML mapping of fields", file=label, line=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, label, node) from None
    roots = catalog_dirs(path)
    if not roots:
        raise ScenarioError("no catalog folders (networks/, twins/) found beside the scenario or in the project", file=label)
    _check_twin(scenario.sites.twin, label, node, roots)
    if scenario.network.topology:
        _check_topology(scenario.network.topology, label, node, roots)
    for field, device in (("sites.device", scenario.sites.device), ("server.device", scenario.server.device),
                          ("twin_host.device", scenario.twin_host.device)):
        _check_device(device, field, label, node)
    from simdt.faults import check_faults
    from simdt.fleet import resolve_fleet
    from simdt.fl.server_modes import check_aggregation

    uplink = _resolve_link(scenario.sites.uplink, "sites.uplink", label, node, roots)
    fleet_uplinks, override_uplinks = resolve_fleet(scenario, uplink, label, node, roots)
    check_faults(scenario, label, node, roots)
    methods = _resolve_methods(scenario.fl, label, node)
    check_aggregation(scenario, methods, label, node)
    return Resolved(
        scenario=scenario,
        source=label,
        catalog=next(r for r in roots if (r / "twins" / f"{scenario.sites.twin}.yaml").is_file()),
        uplink=uplink,
        backhaul=_resolve_link(scenario.network.backhaul, "network.backhaul", label, node, roots),
        twin_link=_resolve_link(scenario.twin_host.link, "twin_host.link", label, node, roots) if scenario.twin_host.link else None,
        methods=methods,
        data=_resolve_data(scenario.data, label, node, path),
        fleet_uplinks=fleet_uplinks,
        override_uplinks=override_uplinks,
    )


def load(name_or_path: str | Path = DEFAULT_SCENARIO, overrides: dict[str, Any] | None = None) -> Resolved:
    """Load, validate and resolve a scenario file (or a name in ``scenarios/``)."""
    path = find_scenario(name_or_path)
    label = _display(path)
    data, node = _read_yaml(path, label)
    if overrides:
        data = apply_overrides(data, overrides)
    return resolve(data, label, node, path)


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """Set dotted fields (``sites.uplink.up``) in a copy of a scenario mapping."""
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    for dotted, value in overrides.items():
        target = data
        keys = dotted.split(".")
        for key in keys[:-1]:
            if isinstance(target.get(key), str):  # a catalog name becomes a profile with overrides
                target[key] = {"profile": target[key]}
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return data


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
