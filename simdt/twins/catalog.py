"""Twin definitions: ``twins/<name>.yaml`` -> validated :class:`TwinDef`; registry of asset classes by ``class:``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..units import UnitError, duration_s
from .faults import SENSOR_FAULTS, FaultSpec
from .motor import InductionMotor
from .pump import CentrifugalPump
from .water import WaterNetwork
from .sensors import SensorSpec

ASSET_CLASSES: dict[str, type] = {"centrifugal_pump": CentrifugalPump, "induction_motor": InductionMotor,
                                   "water_network": WaterNetwork}


@dataclass(frozen=True)
class TwinDef:
    name: str
    asset_class: str
    parameters: dict[str, float]          # nominal values
    sensors: tuple[SensorSpec, ...]
    sample_period_s: float
    window_s: float                       # feature window
    faults: tuple[FaultSpec, ...]         # fault library
    mismatch: dict[str, float] = field(default_factory=dict)  # relative spread per unit of mismatch
    source: str = ""
    settings: dict = field(default_factory=dict)  # non-numeric class options (e.g. which water network)

    @property
    def physics(self) -> type:
        return ASSET_CLASSES[self.asset_class]


def load_twin(name_or_path: str, catalog_dir: Path) -> TwinDef:
    """Load a twin by catalog name (``catalog_dir/<name>.yaml``) or by path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = Path(catalog_dir) / f"{name_or_path}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(catalog_dir).glob("*.yaml")) if Path(catalog_dir).is_dir() else []
        raise ValueError(f"twin {name_or_path!r}: no file {path} (known twins: {', '.join(known) or 'none'})")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    try:
        return parse_twin(doc, path.stem, str(path))
    except (KeyError, TypeError, UnitError) as e:
        raise ValueError(f"{path}: {e}") from None


def parse_twin(doc: dict, default_name: str, where: str = "<twin>") -> TwinDef:
    def fail(field_name: str, message: str):
        raise ValueError(f"{where}: field {field_name!r}: {message}")

    if not isinstance(doc, dict):
        fail("<root>", "expected a mapping")
    unknown = set(doc) - {"name", "class", "description", "sample_period", "window", "parameters", "mismatch",
                          "sensors", "faults", "settings"}
    if unknown:
        fail(sorted(unknown)[0], "unknown field")
    cls_name = doc.get("class")
    if cls_name not in ASSET_CLASSES:
        fail("class", f"unknown asset class {cls_name!r} (known: {', '.join(ASSET_CLASSES)})")
    cls = ASSET_CLASSES[cls_name]

    params = doc.get("parameters") or {}
    missing = [k for k in cls.parameters if k not in params]
    if missing:
        fail("parameters", f"missing {', '.join(missing)}")
    for k, v in params.items():
        if k not in cls.parameters:
            fail(f"parameters.{k}", f"not a parameter of {cls_name}")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            fail(f"parameters.{k}", f"expected a number, got {v!r}")
    mismatch = doc.get("mismatch") or {}
    for k, v in mismatch.items():
        if k not in cls.parameters:
            fail(f"mismatch.{k}", f"not a parameter of {cls_name}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            fail(f"mismatch.{k}", f"expected a non-negative number, got {v!r}")

    sensors = []
    for name, s in (doc.get("sensors") or {}).items():
        if cls.sensors is not None and name not in cls.sensors:  # None: names depend on settings, checked there
            fail(f"sensors.{name}", f"not a sensor of {cls_name} (known: {', '.join(cls.sensors)})")
        s = s or {}
        extra = set(s) - {"unit", "noise", "calibration", "drift_per_day", "span"}
        if extra:
            fail(f"sensors.{name}.{sorted(extra)[0]}", "unknown field")
        sensors.append(SensorSpec(name, str(s.get("unit", "")), float(s.get("noise", 0.0)),
                                  float(s.get("calibration", 0.0)), float(s.get("drift_per_day", 0.0)),
                                  float(s.get("span", 1.0))))
    if not sensors:
        fail("sensors", "at least one sensor is required")
    names = [s.name for s in sensors]

    faults = []
    for kind, f in (doc.get("faults") or {}).items():
        if kind not in cls.fault_effects and kind not in SENSOR_FAULTS:
            fail(f"faults.{kind}", f"unknown fault (known: {', '.join([*cls.fault_effects, *SENSOR_FAULTS])})")
        f = f or {}
        extra = set(f) - {"rate_per_day", "duration", "severity", "sensors", "ramp"}
        if extra:
            fail(f"faults.{kind}.{sorted(extra)[0]}", "unknown field")
        duration = tuple(duration_s(x) for x in f.get("duration", ["1h", "1h"]))
        severity = tuple(float(x) for x in f.get("severity", [1.0, 1.0]))
        if len(duration) != 2 or not 0 < duration[0] <= duration[1]:
            fail(f"faults.{kind}.duration", f"expected [shortest, longest], got {f.get('duration')!r}")
        if len(severity) != 2 or severity[0] > severity[1]:
            fail(f"faults.{kind}.severity", f"expected [low, high], got {f.get('severity')!r}")
        candidates = tuple(f.get("sensors") or ())
        for c in candidates:
            if c not in names:
                fail(f"faults.{kind}.sensors", f"{c!r} is not one of this twin's sensors ({', '.join(names)})")
        rate = float(f.get("rate_per_day", 0.0))
        if rate < 0:
            fail(f"faults.{kind}.rate_per_day", "must be >= 0")
        ramp = f.get("ramp", 1.0)
        if isinstance(ramp, bool) or not isinstance(ramp, (int, float)) or not 0 <= ramp <= 1:
            fail(f"faults.{kind}.ramp", f"expected a fraction in [0, 1], got {ramp!r}")
        faults.append(FaultSpec(kind, rate, duration, severity, candidates, float(ramp)))

    settings = doc.get("settings") or {}
    for k in settings:
        if k not in getattr(cls, "settings", ()):
            known = ", ".join(getattr(cls, "settings", ())) or "none"
            fail(f"settings.{k}", f"not a setting of {cls_name} (known: {known})")
    dt, window = duration_s(doc.get("sample_period", "1s")), duration_s(doc.get("window", "1min"))
    if dt <= 0 or window < 2 * dt or abs(window / dt - round(window / dt)) > 1e-9:
        fail("window", f"must be a multiple (>= 2) of sample_period ({dt} s), got {window} s")
    return TwinDef(str(doc.get("name", default_name)), cls_name, {k: float(v) for k, v in params.items()},
                   tuple(sensors), dt, window, tuple(faults), {k: float(v) for k, v in mismatch.items()}, where,
                   dict(settings))
