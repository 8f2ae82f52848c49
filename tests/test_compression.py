"""Update compression: wire bytes against each codec's formula, round-trip error bounds, error feedback, and a
run whose update uploads shrink by the codec's factor."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import simdt
from simdt.fl.compression import Compression, encode_all, index_dtype, make_codec, pack_bits, unpack_bits
from simdt.fl.messages import _PREFIX, payload_bytes
from simdt.fl.methods import ClientTask
from simdt.fl.model import init_params
from simdt.rng import Streams
from simdt.scenario import CodecSpec, CompressionSpec
from simdt.twins import load_twin, make_twin_asset

MODEL = init_params((43, 16, 8, 1), torch.Generator().manual_seed(0))  # 841 parameters in 6 tensors


def _header_bytes(message: dict, dtype: str) -> int:
    stored = {n: dtype if t.is_floating_point() else str(t.dtype).removeprefix("torch.") for n, t in message.items()}
    entries = [[n, stored[n], list(t.shape)] for n, t in message.items()]
    return _PREFIX + len(json.dumps({"tensors": entries}, separators=(",", ":")).encode())


def _data_bytes(spec: CodecSpec, tensors: dict) -> int:
    """Each codec's formula (simdt.fl.compression's docstring), per tensor of n elements."""
    total = 0
    for t in tensors.values():
        n = t.numel()
        if spec.codec == "none":
            total += 4 * n
        elif spec.codec == "fp16":
            total += 2 * n
        elif spec.codec == "int8":
            total += n + 4 * (t.shape[0] if spec.per == "row" and t.ndim == 2 else 1)
        elif spec.codec == "topk":
            k = math.ceil(spec.fraction * n)
            total += k * (4 + (1 if n <= 256 else 2 if n <= 32768 else 4))
        else:
            total += math.ceil(n * math.ceil(math.log2(2 * spec.levels + 1)) / 8) + 4
    return total


SPECS = [CodecSpec(), CodecSpec(codec="fp16"), CodecSpec(codec="int8"), CodecSpec(codec="int8", per="row"),
         CodecSpec(codec="topk", fraction=0.1), CodecSpec(codec="topk", fraction=0.01),
         CodecSpec(codec="qsgd", levels=1), CodecSpec(codec="qsgd", levels=16), CodecSpec(codec="qsgd", levels=127)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.codec}-{s.per}-{s.fraction}-{s.levels}")
def test_payload_bytes_follow_each_codec_formula(spec):
    message, _ = encode_all(make_codec(spec), MODEL, torch.Generator().manual_seed(1))
    data = payload_bytes(message.tensors, message.dtype) - _header_bytes(message.tensors, message.dtype)
    assert data == _data_bytes(spec, MODEL)


def test_index_type_is_the_smallest_that_holds_every_index():
    assert [index_dtype(n) for n in (1, 256, 257, 32768, 32769)] == [torch.uint8, torch.uint8, torch.int16,
                                                                     torch.int16, torch.int32]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=6, max_size=60), st.sampled_from(["tensor", "row"]))
def test_int8_round_trip_error_is_at_most_half_a_scale(values, per):
    x = torch.tensor(values[: len(values) // 3 * 3], dtype=torch.float32).reshape(3, -1)
    codec = make_codec(CodecSpec(codec="int8", per=per))
    parts = codec.encode("w", x, None)
    scale = parts["w#scale"].reshape(-1, 1) if per == "row" else parts["w#scale"]
    err = (codec.decode("w", parts, x) - x).abs()
    assert (err <= scale / 2 * (1 + 1e-6) + 1e-30).all()
    assert parts["w"].dtype == torch.int8 and parts["w"].abs().max() <= 127


def test_fp16_topk_and_qsgd_round_trips():
    x = torch.randn(40, 7, generator=torch.Generator().manual_seed(2))
    fp16 = make_codec(CodecSpec(codec="fp16"))
    assert ((fp16.decode("w", fp16.encode("w", x, None), x) - x).abs() <= x.abs() * 2**-11).all()
    topk = make_codec(CodecSpec(codec="topk", fraction=0.1))
    y = topk.decode("w", topk.encode("w", x, None), x)
    kept = y != 0
    assert kept.sum() == 28 and torch.equal(y[kept], x[kept])
    assert x[kept].abs().min() >= x[~kept].abs().max()  # the 28 largest in magnitude
    qsgd = make_codec(CodecSpec(codec="qsgd", levels=4))
    gen = torch.Generator().manual_seed(3)
    draws = torch.stack([qsgd.decode("w", qsgd.encode("w", x, gen), x) for _ in range(2000)])
    grid = draws / x.norm() * 4
    assert torch.allclose(grid, grid.round(), atol=1e-4) and grid.abs().max() <= 4 + 1e-4  # on the level grid
    # unbiased: each element is one of two neighbouring levels, the upper with probability p = r - floor(r)
    r = x.abs() / x.norm() * 4
    p = r - r.floor()
    assert ((draws.mean(0) - x).abs() <= 5 * x.norm() / 4 * torch.sqrt(p * (1 - p) / 2000) + 1e-5).all()


@given(st.integers(1, 8), st.lists(st.integers(0, 255), min_size=1, max_size=50))
def test_bit_packing_round_trips(bits, values):
    v = np.array(values, dtype=np.int64) % (1 << bits)
    packed = pack_bits(v, bits)
    assert len(packed) == math.ceil(len(v) * bits / 8)
    assert (unpack_bits(packed, bits, len(v)) == v).all()


def _rounds_of_topk(feedback: bool, rounds: int = 600) -> torch.Tensor:
    """A client pulls θ toward θ* = 1 with step 0.02, plus a noise of ±0.05 on coordinate 0 that flips sign every
    round (it averages out); top-1 sends one coordinate of the update per round, and the server adds it to θ."""
    comp = Compression(CompressionSpec(up=CodecSpec(codec="topk", fraction=0.1, error_feedback=feedback)), Streams(0))
    theta, target = torch.zeros(10), torch.ones(10)
    for r in range(rounds):
        noise = torch.zeros(10)
        noise[0] = 0.05 * (-1) ** r
        trained = theta + 0.02 * (target - theta) + noise
        _, got = comp.uplink("c", {"w": trained}, {"w": theta}, r)
        theta = got["w"]
    return (theta - target)[1:].abs()


def test_topk_with_error_feedback_converges_where_without_it_stalls():
    assert (_rounds_of_topk(feedback=False) == 1).all()  # the noise is always the largest change: stuck
    assert (_rounds_of_topk(feedback=True) < 0.05).all()


def test_down_compression_hands_the_client_the_decoded_models():
    comp = Compression(CompressionSpec(down=CodecSpec(codec="int8")), Streams(0))
    teacher = {f"teacher/{n}": t for n, t in MODEL.items()}
    task = ClientTask(send={**MODEL, **teacher}, start=MODEL, anchor=MODEL,
                      teacher={n: teacher[f"teacher/{n}"] for n in MODEL})
    message, seen = comp.downlink(task)
    assert message.codec == "int8" and set(message.tensors) >= {"fc1.weight", "fc1.weight#scale", "teacher/fc1.weight"}
    for params in (seen.start, seen.anchor, seen.teacher):
        assert set(params) == set(MODEL)
        assert not torch.equal(params["fc1.weight"], MODEL["fc1.weight"])
        assert torch.allclose(params["fc1.weight"], MODEL["fc1.weight"], atol=float(MODEL["fc1.weight"].abs().max()) / 254 + 1e-7)


SMALL = {"fl.rounds": 3, "sites.count": 3, "evaluation.period": "1d", "fl.methods": ["fedavg", "lpe"],
         "fl.hidden": [32, 16]}


@pytest.mark.parametrize("spec", [{"codec": "int8", "per": "row"}, {"codec": "topk", "fraction": 0.05, "error_feedback": True}],
                         ids=["int8", "topk"])
def test_a_run_charges_the_compressed_uploads(spec):
    r = simdt.run("default", overrides={**SMALL, "fl.compression": {"up": spec}})
    plain = simdt.run("default", overrides=SMALL)
    t, p = r.transfers, plain.transfers
    features = len(make_twin_asset(load_twin("centrifugal_pump", Path("twins")), np.random.default_rng(0)).feature_names)
    model = init_params((features, 32, 16, 1), torch.Generator())  # the shapes alone set every codec's size
    for method, uploaded in (("fedavg", model), ("lpe", {n: model[n] for n in ("fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias")})):
        up = t[(t["method"] == method) & (t["kind"] == "update_up")]
        message, _ = encode_all(make_codec(CodecSpec(**spec)), uploaded, torch.Generator())
        assert (up["payload_bytes"] == payload_bytes(message.tensors, message.dtype)).all() and (up["codec"] != "none").all()
        assert (p.loc[(p["method"] == method) & (p["kind"] == "update_up"), "payload_bytes"] == payload_bytes(uploaded)).all()
    down = t[t["kind"] == "model_down"]
    assert (down["codec"] == "none").all() and (down["payload_bytes"].to_numpy() == p.loc[p["kind"] == "model_down", "payload_bytes"].to_numpy()).all()
    arrived = r.participation[r.participation["event"] == "arrived"]
    # the error-feedback residual: one float32 per uploaded element, held by the client
    expected = {"fedavg": sum(v.numel() for v in model.values()) * 4, "lpe": (32 * 16 + 16 + 16 + 1) * 4} if spec.get("error_feedback") else {"fedavg": 0, "lpe": 0}
    assert (arrived["state_bytes"] == arrived["method"].map(expected)).all()
