"""Messages between FL nodes and the byte format of their tensors: the one place where payload size is computed.

Format (no pickle, so nothing received is ever executed)::

    b"SDT1" | header length (uint32 LE) | JSON header | raw little-endian tensor data, in header order

The header lists ``[name, dtype, shape]`` per tensor. Floating-point tensors are stored in the requested ``dtype``
(e.g. ``float16`` halves the bytes); integer/bool tensors (int8 codes, top-k indices) keep their own dtype.
"""
from __future__ import annotations

import json
import math
import struct
import sys
from dataclasses import dataclass, field

import torch

MAGIC = b"SDT1"
_PREFIX = len(MAGIC) + 4
DTYPES = {
    name: getattr(torch, name)
    for name in ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")
}
_NAMES = {v: k for k, v in DTYPES.items()}


def _header(tensors: dict[str, torch.Tensor], dtype: str) -> tuple[bytes, list[torch.dtype]]:
    if dtype not in DTYPES or not DTYPES[dtype].is_floating_point:
        raise ValueError(f"dtype: {dtype!r} is not a floating-point dtype in {sorted(DTYPES)}")
    stored = [DTYPES[dtype] if t.is_floating_point() else t.dtype for t in tensors.values()]
    entries = [[name, _NAMES[d], list(t.shape)] for (name, t), d in zip(tensors.items(), stored)]
    return json.dumps({"tensors": entries}, separators=(",", ":")).encode(), stored


def payload_bytes(tensors: dict[str, torch.Tensor], dtype: str = "float32") -> int:
    """``len(serialize(tensors, dtype))``, without converting or copying any tensor data."""
    header, stored = _header(tensors, dtype)
    data = sum(t.numel() * d.itemsize for t, d in zip(tensors.values(), stored))
    return _PREFIX + len(header) + data


def serialize(tensors: dict[str, torch.Tensor], dtype: str = "float32") -> bytes:
    # Raw bytes are the machine's; the format is little-endian, so a big-endian host would need a byte swap.
    assert sys.byteorder == "little", "simdt.fl.messages assumes a little-endian host"
    header, stored = _header(tensors, dtype)
    parts = [MAGIC, struct.pack("<I", len(header)), header]
    for t, d in zip(tensors.values(), stored):
        parts.append(t.detach().to("cpu", d).contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return b"".join(parts)


def deserialize(blob: bytes) -> dict[str, torch.Tensor]:
    """Tensors in their stored dtype; raises ``ValueError`` on anything that is not a well-formed message."""
    if blob[: len(MAGIC)] != MAGIC or len(blob) < _PREFIX:
        raise ValueError("not a simdt message (bad magic)")
    (n,) = struct.unpack_from("<I", blob, len(MAGIC))
    entries = json.loads(blob[_PREFIX : _PREFIX + n])["tensors"]
    out, off = {}, _PREFIX + n
    for name, dname, shape in entries:
        d = DTYPES[dname]
        size = math.prod(shape) * d.itemsize
        if off + size > len(blob):
            raise ValueError(f"simdt message truncated in tensor {name!r}")
        raw = torch.frombuffer(bytearray(blob[off : off + size]), dtype=torch.uint8) if size else torch.empty(0, dtype=torch.uint8)
        out[name] = raw.view(d).reshape(shape)
        off += size
    if off != len(blob):
        raise ValueError("simdt message has trailing bytes")
    return out


@dataclass(frozen=True)
class Message:
    """One message of a round; ``payload_bytes`` is what the network charges (before TCP/IP overhead)."""

    kind: str
    src: str
    dst: str
    tensors: dict[str, torch.Tensor] = field(repr=False)
    round: int
    payload_bytes: int

    @classmethod
    def make(cls, kind: str, src: str, dst: str, tensors: dict[str, torch.Tensor], round: int,
             dtype: str = "float32") -> "Message":
        return cls(kind, src, dst, tensors, round, payload_bytes(tensors, dtype))
