"""Every random stream in a run is derived from the scenario seed by component name.

Names are hashed with SHA-256 (not Python's salted ``hash``) so the same name gives the
same stream in every process, which is what makes runs and sweeps reproducible.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch


def _name_key(name: str) -> list[int]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """Factory of independent random generators keyed by component name."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(entropy=self.seed, spawn_key=tuple(_name_key(name)))

    def numpy(self, name: str) -> np.random.Generator:
        return np.random.default_rng(self.seed_sequence(name))

    def int_seed(self, name: str) -> int:
        return int(self.seed_sequence(name).generate_state(1, dtype=np.uint64)[0] >> 1)

    def torch(self, name: str) -> torch.Generator:
        return torch.Generator().manual_seed(self.int_seed(name))
