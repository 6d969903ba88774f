"""Saving and loading models: round trips, the file format, atomic writes, and refusing bad files."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

import scalargrad.checkpoint
from scalargrad import Value
from scalargrad.nn import MLP, Layer, Module, Neuron


def model(seed: int = 0) -> MLP:
    return MLP(2, [4, 3, 1], seed=seed)


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def saved_document(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "source.json"
    model(seed=1).save(path)
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_round_trip_restores_every_weight_exactly(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    trained = model(seed=1)
    trained.save(path)
    fresh = model(seed=2)
    assert fresh.state_dict() != trained.state_dict()
    fresh.load(path)
    assert fresh.state_dict() == trained.state_dict()
    assert fresh([0.3, -0.2]).data == trained([0.3, -0.2]).data  # type: ignore[union-attr]


def test_file_is_plain_json_with_format_version_architecture_and_named_parameters(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    m = model(seed=1)
    m.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "scalargrad-checkpoint"
    assert document["version"] == 1
    assert document["architecture"] == {"class": "MLP", "config": {"nin": 2, "nouts": [4, 3, 1], "activation": "relu"}}
    assert list(document["parameters"]) == [name for name, _ in m.named_parameters()]
    assert document["parameters"]["layer2.neuron1.w3"] == m.layers[1].neurons[1].w[3].data
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


def test_neurons_and_layers_save_too(tmp_path: Path) -> None:
    for make in (lambda s: Neuron(3, activation="tanh", seed=s), lambda s: Layer(3, 2, activation="sigmoid", seed=s)):
        path = tmp_path / "piece.json"
        make(1).save(path)
        other = make(2)
        other.load(path)
        assert other.state_dict() == make(1).state_dict()


def test_saving_over_an_old_file_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model(seed=1).save(path)
    model(seed=2).save(path)
    loaded = model(seed=3)
    loaded.load(path)
    assert loaded.state_dict() == model(seed=2).state_dict()


# ---------------------------------------------------------------------------
# An interrupted save leaves the old file and nothing else.
# ---------------------------------------------------------------------------


def crash_mid_write(document: Any, f: Any, **kwargs: Any) -> None:
    f.write('{"format": "scalargrad-checkpoint", "parame')  # half a file, then the process "dies"
    f.flush()
    raise OSError("disk full")


def crash_on_rename(src: Any, dst: Any) -> None:
    raise OSError("rename failed")


def interrupt(document: Any, f: Any, **kwargs: Any) -> None:
    f.write("{")
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("target", "replacement", "error"),
    [
        ("json.dump", crash_mid_write, OSError),
        ("os.replace", crash_on_rename, OSError),
        ("json.dump", interrupt, KeyboardInterrupt),
    ],
)
def test_interrupted_save_keeps_the_old_checkpoint_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, replacement: Any, error: type[BaseException]
) -> None:
    path = tmp_path / "model.json"
    model(seed=1).save(path)
    before = path.read_bytes()
    module, name = target.split(".")
    monkeypatch.setattr(getattr(scalargrad.checkpoint, module), name, replacement)
    with pytest.raises(error):
        model(seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]
    loaded = model(seed=3)
    loaded.load(path)
    assert loaded.state_dict() == model(seed=1).state_dict()


def test_saving_a_non_finite_weight_fails_before_touching_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    m = model(seed=1)
    m.save(path)
    before = path.read_bytes()
    m.layers[0].neurons[2].b.data = math.nan
    with pytest.raises(ValueError, match=r"MLP.save\(\): parameter 'layer1.neuron2.b' is nan"):
        m.save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


# ---------------------------------------------------------------------------
# Bad files: ValueError naming the problem, weights untouched.
# ---------------------------------------------------------------------------


def assert_refused(path: Path, message: str, target: MLP | None = None) -> None:
    target = target or model(seed=5)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message):
        target.load(path)
    assert target.state_dict() == before


def test_malformed_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model(seed=1).save(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert_refused(path, r"model.json: not a scalargrad checkpoint \(invalid JSON")
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert_refused(path, r"not a scalargrad checkpoint \(not UTF-8")
    write_json(path, [1, 2, 3])
    assert_refused(path, r'not a scalargrad checkpoint \(no "format": "scalargrad-checkpoint" field\)')
    write_json(path, {"format": "scalargrad-checkpoint", "version": 3})
    assert_refused(path, r"checkpoint version 3 is not supported \(this code reads 1 and 2\)")
    write_json(path, {"format": "scalargrad-checkpoint", "version": True})
    assert_refused(path, r"checkpoint version True is not supported")
    write_json(path, {"format": "scalargrad-checkpoint", "version": 1, "architecture": "MLP", "parameters": {}})
    assert_refused(path, r'checkpoint has no valid "architecture"')


def test_another_architecture_is_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MLP(2, [8, 1], seed=1).save(path)
    assert_refused(
        path,
        r"the checkpoint holds MLP\(nin=2, nouts=\[8, 1\], activation='relu'\), "
        r"but this model is MLP\(nin=2, nouts=\[4, 3, 1\], activation='relu'\)",
    )
    MLP(2, [4, 3, 1], activation="tanh", seed=1).save(path)
    assert_refused(path, r"holds MLP\(nin=2, nouts=\[4, 3, 1\], activation='tanh'\)")
    Layer(2, 4, seed=1).save(path)
    assert_refused(path, r"holds Layer\(nin=2, nout=4, activation='relu'\)")


def test_wrong_or_missing_parameters_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    document = saved_document(tmp_path)
    del document["parameters"]["layer3.neuron0.w2"]
    document["parameters"]["layer3.neuron0.w7"] = 1.0
    write_json(path, document)
    assert_refused(
        path,
        r"model.json: MLP.load_state_dict\(\): parameter names do not match .*"
        r"missing 1 \(layer3.neuron0.w2\); unexpected 1 \(layer3.neuron0.w7\)",
    )
    for bad in ["0.5", True, None, [1.0]]:
        document = saved_document(tmp_path)
        document["parameters"]["layer1.neuron0.w1"] = bad
        write_json(path, document)
        assert_refused(path, r"parameter 'layer1.neuron0.w1' must be a finite number, got " + re.escape(repr(bad)))
    document = saved_document(tmp_path)
    document["parameters"]["layer2.neuron2.b"] = 12345.5
    path.write_text(json.dumps(document).replace("12345.5", "NaN"), encoding="utf-8")
    assert_refused(path, r"not a scalargrad checkpoint \(invalid JSON: NaN is not a number JSON allows")


def test_load_state_dict_checks_everything_before_changing_anything() -> None:
    m = model(seed=1)
    before = m.state_dict()
    state = {**model(seed=2).state_dict(), "layer3.neuron0.b": math.inf}
    with pytest.raises(ValueError, match=r"parameter 'layer3.neuron0.b' must be a finite number, got inf"):
        m.load_state_dict(state)
    assert m.state_dict() == before
    with pytest.raises(ValueError, match=r"missing 31 \(layer1.neuron0.w0, .* and 26 more\)"):
        m.load_state_dict({})
    with pytest.raises(ValueError, match=r"needs a mapping of parameter name -> number, got list"):
        m.load_state_dict([1.0])  # type: ignore[arg-type]
    assert m.state_dict() == before
    m.load_state_dict(model(seed=2).state_dict())
    assert m.state_dict() == model(seed=2).state_dict()


def test_deeply_nested_json_is_refused_as_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    net = model(seed=1)
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"deep\.json: not a scalargrad checkpoint"):
        net.load(path)
    assert net.state_dict() == before


def test_a_parameter_beyond_float_range_is_named(tmp_path: Path) -> None:
    net = model(seed=1)
    path = tmp_path / "model.json"
    net.save(path)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    document["parameters"]["layer1.neuron0.w0"] = 10**400
    path.write_text(json.dumps(document), encoding="utf-8")
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"parameter 'layer1\.neuron0\.w0' must be a finite number"):
        net.load(path)
    assert net.state_dict() == before


# ---------------------------------------------------------------------------
# A custom Module whose config() holds tuples (JSON has only lists).
# ---------------------------------------------------------------------------


class Scaler(Module):
    """``y = a * x + b`` per input, its shape given as a tuple (JSON turns tuples into lists)."""

    def __init__(self, shape: tuple[int, int], start: float) -> None:
        self.shape = shape
        self.a = [Value(start + i) for i in range(shape[0])]
        self.b = [Value(-start - i) for i in range(shape[1])]

    def forward(self, x: float) -> list[Value]:
        return [a * x + b for a, b in zip(self.a, self.b)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [*((f"a{i}", a) for i, a in enumerate(self.a)), *((f"b{i}", b) for i, b in enumerate(self.b))]

    def config(self) -> dict[str, Any]:
        return {"shape": self.shape, "nested": {"pairs": ((1, 2), (3, 4))}}


def test_a_custom_module_with_tuples_in_its_config_loads_its_own_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "scaler.json"
    Scaler((2, 2), start=1.5).save(path)
    fresh = Scaler((2, 2), start=0.0)
    fresh.load(path)
    assert fresh.state_dict() == Scaler((2, 2), start=1.5).state_dict()
    # The comparison still tells shapes apart, and names them as the file holds them.
    with pytest.raises(ValueError, match=r"holds Scaler\(shape=\[2, 2\], .*but this model is Scaler\(shape=\[3, 2\]"):
        Scaler((3, 2), start=0.0).load(path)
