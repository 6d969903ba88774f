"""What every demo shares: its command line, a progress bar, matplotlib, and saving files safely."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from scalargrad import Value
from scalargrad.cli import Parser
from scalargrad.files import atomic_write, make_folder
from scalargrad.nn import MLP

#: The extra that installs what the demos draw and load with.
INSTALL_HINT = "pip install 'scalargrad[demos]'"


class MissingExtraError(RuntimeError):
    """An optional package a demo needs is not installed; the message says how to get it."""


# ---------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1, so a typo fails before training starts."""
    return at_least(1)(text)


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low`` (two moons need two points)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a number of at least {low}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0 (a learning rate, a price)."""
    value = non_negative_float(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number of at least 0 (a noise level)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {text}")
    return value


def demo_parser(
    name: str,
    description: str,
    *,
    prog: str | None = None,
    steps: int | None = None,
    epochs: int | None = None,
    seed: int | None = 0,
    plots: bool = True,
) -> argparse.ArgumentParser:
    """The options every demo takes: ``--seed``, ``--steps`` or ``--epochs``, ``--out DIR``, ``--no-plot``.

    ``prog`` names the command in ``--help`` (``scalargrad demo NAME`` when run
    by the demo runner); ``seed`` is the default seed (None: no ``--seed``);
    a training demo also gets ``--quiet``. A demo adds its own options to what
    this returns.
    """
    # scalargrad's own parser: a bad option is one line on stderr and exit status 2, as for every command.
    parser = Parser(prog=prog or f"python -m demos.{name}", description=description)
    if seed is not None:
        parser.add_argument(
            "--seed", type=int, default=seed, help=f"seed for the data and the initial weights (default: {seed})"
        )
    if steps is not None:
        parser.add_argument("--steps", type=positive_int, default=steps, help=f"training steps (default: {steps})")
    if epochs is not None:
        parser.add_argument(
            "--epochs", type=positive_int, default=epochs, help=f"passes over the training set (default: {epochs})"
        )
    parser.add_argument(
        "--out",
        type=output_folder,
        default=Path("out") / name,
        help=f"directory for the results (default: ./out/{name})",
    )
    if plots:
        parser.add_argument("--no-plot", action="store_true", help="skip the picture (then matplotlib is not needed)")
    if steps is not None or epochs is not None:
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def add_compile_option(parser: argparse.ArgumentParser) -> None:
    """``--compile/--no-compile``: replay a recorded graph each step (`scalargrad.train.TrainingStep`) or rebuild it.

    Both compute the same floats; replay is the faster, so it is the default.
    """
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="record the graph once and replay it every step; --no-compile rebuilds it every step, "
        "slower, same numbers (default: --compile)",
    )


def output_folder(text: str) -> Path:
    """``--out DIR``, made now, so that a bad folder fails before training rather than after it."""
    try:
        path = make_folder(text)  # the same helper as the command line's -o, so both make missing folders
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot use {text!r} as the output folder: {error.strerror}") from None
    return path


def run_main(name: str, body: Callable[[], int]) -> int:
    """Run a demo's ``body``, turning a missing optional package into a message and exit code 1."""
    try:
        return body()
    except MissingExtraError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------
# Progress.
# ---------------------------------------------------------------------------


def _format_metric(name: str, value: float) -> str:
    return f"{value:.1%}" if name.endswith("acc") else f"{value:.4g}"


class Progress:
    """A progress bar over ``total`` steps showing the latest loss and accuracy.

    It uses tqdm when installed (the ``demos`` extra) and otherwise prints a
    plain line about every tenth of the way, so a demo shows it is alive either
    way. Metrics whose name ends in ``acc`` are shown as percentages.
    """

    def __init__(self, total: int, desc: str, *, unit: str = "step", enabled: bool = True) -> None:
        self.total = total
        self.desc = desc
        self.done = 0
        self.enabled = enabled
        self._every = max(1, math.ceil(total / 10))
        self._bar: Any = None
        if not enabled:
            return
        try:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            return
        self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)

    def update(self, n: int = 1, **metrics: float) -> None:
        """Advance by ``n`` steps and show ``metrics`` (e.g. ``loss=0.3, acc=0.9``)."""
        self.done += n
        shown = {key: _format_metric(key, value) for key, value in metrics.items()}
        if self._bar is not None:
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(n)
        elif self.enabled and (self.done % self._every == 0 or self.done >= self.total):
            fields = "  ".join(f"{key} {text}" for key, text in shown.items())
            print(f"{self.desc}: {self.done}/{self.total}  {fields}".rstrip(), flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Stopwatch:
    """Wall-clock seconds since creation; demos print theirs when they finish."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


# ---------------------------------------------------------------------------
# Model outputs.
# ---------------------------------------------------------------------------


def output(model: MLP, x: Sequence[float | Value]) -> Value:
    """The one output of a network whose last layer has a single unit."""
    out = model(x)
    if not isinstance(out, Value):
        raise TypeError(f"{model!r} has {len(out)} outputs; expected one")
    return out


def outputs(model: MLP, x: Sequence[float | Value]) -> list[Value]:
    """The outputs of a network whose last layer has several units (class scores)."""
    out = model(x)
    if isinstance(out, Value):
        raise TypeError(f"{model!r} has one output; expected several")
    return out


# ---------------------------------------------------------------------------
# Pictures and files.
# ---------------------------------------------------------------------------


def pyplot(demo: str) -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend (pictures go to files; no window opens).

    Call it before training, so a missing matplotlib is reported at once
    rather than after a minute of work.
    """
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError(
            f"the {demo} demo draws its picture with matplotlib, which is not installed: "
            f"{INSTALL_HINT} (or pass --no-plot)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Have ``write(temporary)`` write a file that then replaces ``path`` in one step (making its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, write)


def save_figure(figure: Any, path: Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib figure atomically, in the format the file name's suffix names."""
    return write_atomically(
        path, lambda temp: figure.savefig(temp, format=path.suffix.lstrip("."), dpi=dpi, bbox_inches="tight")
    )


def save_json(data: object, path: Path) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=2) + "\n"
    return write_atomically(path, lambda temp: Path(temp).write_text(text, encoding="utf-8"))


def save_diagram(root: Value, path: Path, **options: Any) -> Path | None:
    """Draw the graph under ``root`` with `scalargrad.viz` into ``path``, or say why not and return None.

    ``options`` go to ``draw_dot``. Drawing needs Graphviz's ``dot`` or pygraphviz;
    without either the demo carries on, as the diagram is a bonus.
    """
    try:
        from scalargrad import viz
    except ImportError as error:
        print(f"  (no diagram: scalargrad's diagrams need the graphviz package: {error})")
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return viz.save(root, path, **options)
    except viz.GraphvizNotFound:
        print("  (no diagram: neither Graphviz's dot nor pygraphviz is installed; `scalargrad doctor` says more)")
        return None


def report_files(paths: Sequence[Path]) -> None:
    for path in paths:
        print(f"  wrote {path}")


def save_outputs(
    out: Path,
    name: str,
    *,
    metrics: dict[str, Any],
    model: Any = None,
    plt: ModuleType | None = None,
    draw: Callable[[], Any] | None = None,
    diagram: Callable[[Path], Path | None] | None = None,
) -> list[Path]:
    """Write a demo's results into ``out`` and list them: ``metrics.json``, the model, the pictures.

    The model goes to ``model.json`` through its own atomic ``save``. The
    picture, ``<name>.png``, is drawn by ``draw()`` and a graph diagram by
    ``diagram(out)``, both only when ``plt`` is given (None under ``--no-plot``).
    """
    written = [save_json(metrics, out / "metrics.json")]
    if model is not None:
        model.save(out / "model.json")
        written.append(out / "model.json")
    if plt is not None and draw is not None:
        figure = draw()
        try:
            written.append(save_figure(figure, out / f"{name}.png"))
        finally:
            plt.close(figure)
    if plt is not None and diagram is not None:
        drawn = diagram(out)
        if drawn is not None:
            written.append(drawn)
    report_files(written)
    return written
