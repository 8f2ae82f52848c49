import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from simdt.fl.messages import Message, deserialize, payload_bytes, serialize
from simdt.fl.model import init_params, mlp_sizes


def tensors():
    g = torch.Generator().manual_seed(0)
    out = dict(init_params(mlp_sizes(43), g))
    out["codes"] = torch.randint(-128, 127, (5, 3), dtype=torch.int8, generator=g)
    out["idx"] = torch.tensor([3, 1, 4], dtype=torch.int64)
    out["scale"] = torch.tensor(0.25)  # 0-d
    out["empty"] = torch.zeros(0, 4)
    out["mask"] = torch.tensor([True, False])
    return out


def test_round_trip_exact():
    src = tensors()
    blob = serialize(src)
    back = deserialize(blob)
    assert list(back) == list(src)
    for n, t in src.items():
        assert back[n].dtype == t.dtype and back[n].shape == t.shape and torch.equal(back[n], t)
    assert payload_bytes(src) == len(blob)


def test_float16_storage():
    src = tensors()
    back = deserialize(serialize(src, "float16"))
    assert back["fc1.weight"].dtype == torch.float16 and back["codes"].dtype == torch.int8
    assert torch.equal(back["fc1.weight"], src["fc1.weight"].half())
    assert payload_bytes(src, "float16") == len(serialize(src, "float16"))
    n_float = sum(t.numel() for t in src.values() if t.is_floating_point())
    assert payload_bytes(src) - payload_bytes(src, "float16") == 2 * n_float + len('"float32"') - len('"float16"')


@settings(max_examples=30, deadline=None)
@given(shapes=st.lists(st.lists(st.integers(0, 5), max_size=3), max_size=4),
       dtype=st.sampled_from(["float32", "float16", "bfloat16", "float64"]))
def test_payload_bytes_equals_len(shapes, dtype):
    src = {f"t{i}.é": torch.randn(s) for i, s in enumerate(shapes)}  # non-ASCII names too
    blob = serialize(src, dtype)
    assert payload_bytes(src, dtype) == len(blob)
    assert all(torch.equal(a, src[n].to(a.dtype)) for n, a in deserialize(blob).items())


def test_rejects_malformed():
    blob = serialize(tensors())
    for bad, msg in [(b"PKL" + blob[3:], "magic"), (blob[:-3], "truncated"), (blob + b"\0", "trailing")]:
        with pytest.raises(ValueError, match=msg):
            deserialize(bad)
    with pytest.raises(ValueError, match="dtype"):
        serialize(tensors(), "int8")


def test_message_make():
    src = tensors()
    m = Message.make("update", "client3", "server", src, round=7)
    assert m.payload_bytes == len(serialize(src)) and m.round == 7 and m.dst == "server"
    assert Message.make("update", "a", "b", src, 0, dtype="float16").payload_bytes == len(serialize(src, "float16"))
