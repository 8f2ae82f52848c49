"""Update compression around any method's messages: the compressed tensors are what crosses the link, so they
set the payload (``simdt.fl.messages`` sizes them) and therefore the transfer time.

Per direction (``fl.compression: {up: ..., down: ...}``). Down, the server's tensors (models) are encoded as they
are and the client trains from the decoded copy; up, the client encodes its update Δ = Θ_k − Θ_start (Θ_start:
the model it received, which the server also holds) and the server aggregates Θ_start + Δ̂. Tensors of ``n``
elements cost on the wire (plus each message's JSON header, which names every stored tensor):
- ``fp16``: 2n B (IEEE half precision);
- ``int8``: n B of codes round(x / s) in [-127, 127] with s = max|x| / 127, plus a float32 scale per tensor
  (4 B) or per matrix row (4 B x rows, ``per: row``); |x - s·code| <= s/2;
- ``topk``: the k = ceil(fraction·n) largest |x|: k float32 values and k indices in the smallest integer type
  holding n - 1 (uint8 up to 256 elements, int16 up to 32768, int32, int64): k·(4 + index bytes) B;
- ``qsgd`` (Alistarh et al., 2017): x_i ≈ ‖x‖₂ · sign(x_i) · l_i / s with l_i in {0..s} rounded up with
  probability equal to the remainder (unbiased); codes in [-s, s] packed at b = ceil(log2(2s + 1)) bits:
  ceil(n·b / 8) B plus a float32 norm (fixed-width codes; QSGD's Elias coding would shrink them further).
With ``error_feedback`` (Seide et al., 2014; Karimireddy et al., 2019) the client adds its residual e (what
compression dropped so far) to Δ before encoding and keeps e ← Δ + e − Δ̂ for its next upload: 4 B per element
of the tensors it uploads, held in the client's memory (``memory_bytes``) and lost when it crashes.
Exchanges with the twin host are not compressed (server-side links).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from simdt.fl.methods import ClientTask
from simdt.fl.model import Params

CODECS = ("none", "fp16", "int8", "topk", "qsgd")


class Codec:
    """Lossless pass-through; subclasses encode one tensor into named parts and decode them back."""

    name = "none"
    wire_dtype = "float32"  # how the serializer stores the codec's floating-point parts
    random = False          # needs a generator (stochastic rounding)

    def encode(self, name: str, x: torch.Tensor, gen: torch.Generator | None) -> dict[str, torch.Tensor]:
        return {name: x}

    def decode(self, name: str, parts: dict[str, torch.Tensor], like: torch.Tensor) -> torch.Tensor:
        return parts[name]


class FP16(Codec):
    name, wire_dtype = "fp16", "float16"

    def encode(self, name, x, gen):
        return {name: x.to(torch.float16)}

    def decode(self, name, parts, like):
        return parts[name].to(like.dtype)


class Int8(Codec):
    name = "int8"

    def __init__(self, per: str):
        self.per = per

    def _rows(self, x: torch.Tensor) -> bool:
        return self.per == "row" and x.ndim >= 2

    def encode(self, name, x, gen):
        amax = x.abs().flatten(1).amax(1) if self._rows(x) else x.abs().amax().reshape(1)
        scale = torch.where(amax > 0, amax / 127, torch.ones_like(amax)).to(torch.float32)
        codes = torch.round(x / self._broadcast(scale, x)).clamp(-127, 127).to(torch.int8)
        return {name: codes, f"{name}#scale": scale}

    def decode(self, name, parts, like):
        return parts[name].to(like.dtype) * self._broadcast(parts[f"{name}#scale"], like)

    def _broadcast(self, scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return scale.reshape(-1, *([1] * (x.ndim - 1))) if self._rows(x) else scale.reshape(())


def index_dtype(n: int) -> torch.dtype:
    """The smallest integer type that holds every index of an n-element tensor."""
    return next(d for d, top in ((torch.uint8, 255), (torch.int16, 2**15 - 1), (torch.int32, 2**31 - 1),
                                 (torch.int64, 2**63 - 1)) if n - 1 <= top)


class TopK(Codec):
    name = "topk"

    def __init__(self, fraction: float):
        self.fraction = fraction

    def encode(self, name, x, gen):
        flat = x.reshape(-1)
        k = max(1, math.ceil(self.fraction * flat.numel()))
        idx = torch.topk(flat.abs(), k).indices.sort().values
        return {f"{name}#values": flat[idx], f"{name}#indices": idx.to(index_dtype(flat.numel()))}

    def decode(self, name, parts, like):
        out = torch.zeros(like.numel(), dtype=like.dtype)
        out[parts[f"{name}#indices"].long()] = parts[f"{name}#values"].to(like.dtype)
        return out.reshape(like.shape)


def pack_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """Non-negative integers < 2**bits, ``bits`` each, little-endian within and across bytes."""
    planes = ((values[:, None] >> np.arange(bits)) & 1).astype(np.uint8)
    return np.packbits(planes.reshape(-1), bitorder="little")


def unpack_bits(packed: np.ndarray, bits: int, n: int) -> np.ndarray:
    planes = np.unpackbits(packed, count=n * bits, bitorder="little").reshape(n, bits)
    return (planes.astype(np.int64) << np.arange(bits)).sum(axis=1)


class QSGD(Codec):
    name, random = "qsgd", True

    def __init__(self, levels: int):
        self.levels = levels
        self.bits = math.ceil(math.log2(2 * levels + 1))

    def encode(self, name, x, gen):
        flat, s = x.reshape(-1).to(torch.float32), self.levels
        norm = flat.norm()
        r = flat.abs() / norm * s if norm > 0 else torch.zeros_like(flat)
        low = r.floor()
        level = low + (torch.rand(r.shape, generator=gen) < r - low)
        codes = (torch.sign(flat) * level + s).to(torch.int64).numpy()
        return {name: torch.from_numpy(pack_bits(codes, self.bits)), f"{name}#norm": norm.reshape(1)}

    def decode(self, name, parts, like):
        codes = unpack_bits(parts[name].numpy(), self.bits, like.numel()) - self.levels
        return (parts[f"{name}#norm"] * torch.from_numpy(codes).to(torch.float32) / self.levels).to(like.dtype).reshape(like.shape)


def make_codec(spec) -> Codec:
    """A codec from a ``CodecSpec``."""
    return {"none": lambda: Codec(), "fp16": FP16, "int8": lambda: Int8(spec.per), "topk": lambda: TopK(spec.fraction),
            "qsgd": lambda: QSGD(spec.levels)}[spec.codec]()


@dataclass(frozen=True)
class Encoded:
    tensors: dict[str, torch.Tensor]  # what crosses the link
    dtype: str                        # the serializer's dtype for its floating-point tensors
    codec: str


def encode_all(codec: Codec, tensors: dict[str, torch.Tensor], gen=None) -> tuple[Encoded, dict[str, torch.Tensor]]:
    """Every tensor through ``codec``: the message and the tensors its receiver decodes."""
    message, decoded = {}, {}
    for name, x in tensors.items():
        parts = codec.encode(name, x, gen)
        message.update(parts)
        decoded[name] = codec.decode(name, parts, x)
    return Encoded(message, codec.wire_dtype, codec.name), decoded


class Compression:
    """Both directions of one world, and the error-feedback residuals its clients hold."""

    def __init__(self, spec, streams):
        self.up, self.down = make_codec(spec.up), make_codec(spec.down)
        self.feedback = spec.up.error_feedback
        self.residual: dict[str, dict[str, torch.Tensor]] = {}
        self._streams = streams

    def downlink(self, task: ClientTask) -> tuple[Encoded, ClientTask]:
        """The message carrying the task's tensors, and the task as the client sees it: every model it trains
        from (start, anchor, teacher) made of the decoded tensors it received."""
        if self.down.name == "none":
            return Encoded(task.send, "float32", "none"), task
        message, decoded = encode_all(self.down, task.send)
        received = {id(task.send[n]): t for n, t in decoded.items()}

        def seen(params: Params | None) -> Params | None:
            return None if params is None else {n: received.get(id(t), t) for n, t in params.items()}

        return message, replace(task, start=seen(task.start), anchor=seen(task.anchor), teacher=seen(task.teacher))

    def uplink(self, client: str, tensors: dict[str, torch.Tensor], start: Params, rnd: int
               ) -> tuple[Encoded, dict[str, torch.Tensor]]:
        """The client's upload message and the tensors the server reconstructs (start + decoded update)."""
        if self.up.name == "none":
            return Encoded(tensors, "float32", "none"), tensors
        gen = self._streams.torch(f"compression/{client}/round/{rnd}") if self.up.random else None
        residual = self.residual.setdefault(client, {}) if self.feedback else None
        deltas = {n: t - start[n] if n in start else t for n, t in tensors.items()}
        if residual is not None:
            deltas = {n: d + residual[n] if n in residual else d for n, d in deltas.items()}
        message, decoded = encode_all(self.up, deltas, gen)
        if residual is not None:
            residual.update({n: deltas[n] - decoded[n] for n in deltas})
        return message, {n: start[n] + d if n in start else d for n, d in decoded.items()}

    def forget(self, client: str) -> None:
        self.residual.pop(client, None)

    def memory_bytes(self, client: str) -> int:
        return sum(t.numel() * t.element_size() for t in self.residual.get(client, {}).values())
