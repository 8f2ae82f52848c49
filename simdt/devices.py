"""Device profiles for the compute-time model: simulated duration = FLOPs / effective FLOP rate.

Peak figures are vendor or well-known benchmark numbers; tiny-batch MLP training reaches only a
small fraction of peak (kernel-launch and framework overhead dominate), so each profile carries
an efficiency. The real training runs on this machine; only the *simulated* duration comes from here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    name: str
    peak_flops: float      # FLOP/s, fp32
    efficiency: float      # fraction of peak reached by small-batch training
    source: str

    @property
    def effective_flops(self) -> float:
        return self.peak_flops * self.efficiency

    def seconds(self, flops: float) -> float:
        return flops / self.effective_flops


DEVICES = {d.name: d for d in (
    Device("raspberry_pi_4", 13.5e9, 0.05,
           "Cortex-A72 4x1.5 GHz; ~13.5 GFLOP/s fp32 in HPL (community Linpack runs on the Pi 4)"),
    Device("jetson_nano", 236e9, 0.05,
           "NVIDIA Jetson Nano data sheet: 472 GFLOP/s fp16, i.e. ~236 GFLOP/s fp32 (128 Maxwell cores)"),
    Device("industrial_pc", 200e9, 0.05,
           "4-core x86 at ~3 GHz with AVX2 FMA: 4 x 3e9 x 16 FLOP/cycle ~ 200 GFLOP/s fp32"),
    Device("cloud_server", 2.0e12, 0.05,
           "32-core AVX-512 server CPU: 32 x 2 GHz x 32 FLOP/cycle ~ 2 TFLOP/s fp32"),
)}
