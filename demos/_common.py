"""What the demos share, so that each demo file can be about its lesson.

Four small pieces, in the order a demo uses them:

* **The command line**: `demo_parser` gives the options every demo takes
  (``--seed``, ``--steps`` or ``--epochs``, ``--out``, ``-q``, ``--no-plot``,
  ``--engine``), and a few argparse types reject a bad number before any work.
* **The engine**: `choose_engine` picks how a demo trains (and
  `scalargrad.train.ModelOutputs` runs a trained model on many inputs at once:
  test sets, decision grids).
* **Progress**: `Progress`, a bar that names the epoch, and `Stopwatch`.
* **Results**: `pyplot` (asked for before training, so a missing matplotlib
  is reported at once), and `save_json`, `save_model`, `save_figure`,
  `save_diagram`, each writing one file atomically and returning its path.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Literal

from scalargrad import Value
from scalargrad.cli import Parser
from scalargrad.files import atomic_write, make_folder
from scalargrad.nn import MLP

#: The extra that installs what the demos draw and load with.
INSTALL_HINT = "pip install 'scalargrad[demos]'"
#: The extra that installs NumPy, which batched replay runs on.
FAST_HINT = "pip install 'scalargrad[fast]'"

#: How a demo trains: one example's graph replayed over the batch (NumPy), or a graph per example.
Engine = Literal["batched", "eager"]
ENGINES: tuple[Engine, ...] = ("batched", "eager")


class MissingExtraError(RuntimeError):
    """An optional package a demo needs is not installed; the message says how to get it."""


def run_main(name: str, body: Callable[[], int]) -> int:
    """Run a demo's ``body``, turning a missing optional package into a one-line message and exit code 1."""
    try:
        return body()
    except MissingExtraError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------


def demo_parser(
    name: str,
    description: str,
    *,
    prog: str | None = None,
    steps: int | None = None,
    epochs: int | None = None,
    seed: int | None = 0,
    engines: bool = True,
) -> argparse.ArgumentParser:
    """The options every demo takes; the demo adds its own to what this returns.

    ``--out DIR`` always, ``--no-plot`` always; ``--seed`` unless ``seed`` is
    None; ``--steps`` or ``--epochs`` with their defaults; a training demo
    (one with steps or epochs) also gets ``-q/--quiet`` and, if ``engines``,
    ``--engine``. ``prog`` names the command in ``--help``: ``scalargrad demo
    NAME`` when the demo runner calls it.
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
        # A string default goes through `output_folder` too, so the default folder is also made before any work.
        "--out",
        type=output_folder,
        default=f"out/{name}",
        help=f"folder for the results (default: ./out/{name})",
    )
    parser.add_argument("--no-plot", action="store_true", help="no picture (then matplotlib is not needed)")
    if steps is not None or epochs is not None:
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        if engines:
            parser.add_argument(
                "--engine",
                choices=ENGINES,
                default=None,
                help="batched: record one example's graph and replay it over the whole batch with NumPy; "
                "eager: build every example's graph and call loss.backward(), as micrograd does "
                "(default: batched when NumPy is installed, else eager)",
            )
    return parser


def output_folder(text: str) -> Path:
    """``--out DIR``, made now, so that a bad folder fails before training rather than after it."""
    try:
        return make_folder(text)  # the same helper as the command line's -o, so both make missing folders
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot use {text!r} as the output folder: {error.strerror}") from None


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


#: An argparse type: a whole number of at least 1, so a typo fails before training starts.
positive_int = at_least(1)


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number of at least 0 (a noise level)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0 (a learning rate, a price)."""
    value = non_negative_float(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


# ---------------------------------------------------------------------------
# The engine.
# ---------------------------------------------------------------------------


def choose_engine(requested: Engine | None) -> Engine:
    """``--engine`` as asked, or by default batched when NumPy is installed and eager when it is not.

    Asking for ``batched`` without NumPy is reported before any work, with the install command.
    """
    try:
        import numpy  # noqa: F401  (only asked whether it is there)
    except ImportError:
        if requested == "batched":
            raise MissingExtraError(
                f"the batched engine replays with NumPy, which is not installed: {FAST_HINT} (or pass --engine eager)"
            ) from None
        return "eager"
    return requested or "batched"


def outputs(model: MLP, x: Sequence[float | Value]) -> list[Value]:
    """A network's outputs as a list, whether its last layer has one unit (a score) or several (class scores)."""
    out = model(x)
    return [out] if isinstance(out, Value) else out


def output(model: MLP, x: Sequence[float | Value]) -> Value:
    """The one output of a network whose last layer has a single unit."""
    out = model(x)
    if not isinstance(out, Value):
        raise TypeError(f"{model!r} has {len(out)} outputs; expected one")
    return out


# ---------------------------------------------------------------------------
# Progress.
# ---------------------------------------------------------------------------


class Progress:
    """A progress bar over ``total`` steps showing the latest metrics; `describe` renames it ("epoch 3/10").

    It uses tqdm when installed (the ``demos`` extra) and otherwise prints a
    plain line about every tenth of the way, so a demo shows it is alive either
    way. Metrics whose name ends in ``acc`` are shown as percentages.
    """

    def __init__(self, total: int, desc: str, *, unit: str = "step", enabled: bool = True) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled
        self.done = 0
        self.metrics: dict[str, float] = {}
        self._every = max(1, math.ceil(total / 10))
        self._bar: Any = None
        if enabled:
            try:
                from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)

    def describe(self, desc: str) -> None:
        """Say where the run is, in the bar's description (``digits epoch 3/10``)."""
        self.desc = desc
        if self._bar is not None:
            self._bar.set_description_str(desc, refresh=False)

    def update(self, n: int = 1, **metrics: float) -> None:
        """Advance by ``n`` steps and show ``metrics`` (e.g. ``loss=0.3, acc=0.9``) with the others shown so far.

        ``update(0, test_acc=0.9)`` shows a new number without taking a step.
        """
        self.done += n
        self.metrics.update(metrics)
        shown = {key: f"{value:.1%}" if key.endswith("acc") else f"{value:.4g}" for key, value in self.metrics.items()}
        if self._bar is not None:
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(n)
        elif self.enabled and n and (self.done % self._every == 0 or self.done >= self.total):
            fields = "  ".join(f"{key} {text}" for key, text in shown.items())
            print(f"{self.desc}: {self.done}/{self.total}  {fields}".rstrip(), flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Stopwatch:
    """Wall-clock seconds since creation; the demos time their training with one."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


# ---------------------------------------------------------------------------
# Results: a picture, the model, the numbers.
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

    # Sizes for a slide: a picture shown at page width still reads from the back of the room.
    plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 11})
    return plt


def save_json(data: object, path: Path) -> Path:
    """Write ``data`` as indented JSON, atomically (a temporary file renamed over ``path``)."""
    text = json.dumps(data, indent=2) + "\n"
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def save_model(model: MLP, path: Path) -> Path:
    """Save the trained weights and architecture as JSON (`Module.save`, itself atomic)."""
    model.save(path)
    return path


def save_figure(plt: ModuleType, figure: Any, path: Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib figure atomically, in the format its file name's suffix names, and close it."""
    try:
        return atomic_write(
            path, lambda temporary: figure.savefig(temporary, format=path.suffix[1:], dpi=dpi, bbox_inches="tight")
        )
    finally:
        plt.close(figure)


def save_diagram(root: Value, path: Path, **options: Any) -> Path | None:
    """Draw the graph under ``root`` with `scalargrad.viz` into ``path``, or say why not and return None.

    ``options`` go to ``draw_dot``. Drawing needs Graphviz's ``dot`` or
    pygraphviz; without either the demo carries on, as the diagram is a bonus.
    """
    try:
        from scalargrad import viz
    except ImportError as error:
        print(f"  (no diagram: scalargrad's diagrams need the graphviz package: {error})")
        return None
    try:
        return viz.save(root, path, **options)
    except viz.GraphvizNotFound:
        print("  (no diagram: neither Graphviz's dot nor pygraphviz is installed; `scalargrad doctor` says more)")
        return None


def report_files(paths: Sequence[Path | None]) -> None:
    """Say which files were written (a None is a picture that could not be drawn, already explained)."""
    for path in paths:
        if path is not None:
            print(f"  wrote {path}")
