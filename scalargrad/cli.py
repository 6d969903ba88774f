"""The ``scalargrad`` command: draw an expression's graph, step through its backward pass, run demos.

    scalargrad draw "(a+b)*(b+1)" a=2 b=1 -o graph.svg
    scalargrad animate "(a+b)*(b+1)" a=2 b=1 -o steps.html
    scalargrad demo NAME [options]
    scalargrad doctor

Exit status: 0 on success, 2 for a refused expression or bad arguments,
1 when the environment lacks something (no Graphviz renderer, no demos).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scalargrad import __version__
from scalargrad.animate import animate_backward
from scalargrad.engine import Value, backward_steps, consumers_first
from scalargrad.expr import FUNCTIONS, ExpressionError, evaluate, parse_bindings
from scalargrad.files import make_folder
from scalargrad.viz import GraphvizNotFound, format_for, renderer_status, save

_FORMATTER = argparse.RawDescriptionHelpFormatter
_EXPRESSION_HELP = (
    "expression of numbers, the variables, + - * / ** and the functions "
    + ", ".join(FUNCTIONS)
    + " (quote it; start it with -- if it begins with a minus sign)"
)

_DRAW_EXAMPLES = """\
examples:
  scalargrad draw "(a+b)*(b+1)" a=2 b=1 -o graph.svg
  scalargrad draw "(x+y)*z" x=-2 y=5 z=-4 -o circuit.png --style circuit
  scalargrad draw "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --rankdir TB -o neuron.pdf
  scalargrad draw -- "-a*b" a=3 b=4          (an expression starting with '-' needs the --)

Prints every variable's value and gradient; -o writes the diagram, its format
taken from the suffix (.svg .png .pdf .dot)."""

_ANIMATE_EXAMPLES = """\
example:
  scalargrad animate "(a+b)*(b+1)" a=2 b=1 -o steps.html

Writes one self-contained HTML page (no network needed) showing the graph
after each step of the backward pass; step with the buttons or the arrow
keys, Space plays and pauses."""

_DEMO_EXAMPLES = """\
examples:
  scalargrad demo                  (lists the demos)
  scalargrad demo NAME --help      (a demo's own options)"""

_DOCTOR_EXAMPLES = """\
example:
  scalargrad doctor

Says whether Graphviz's dot program or pygraphviz can render diagrams here,
and how to install one if neither can."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    status: int = args.run(args)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scalargrad",
        description="Draw computation graphs with their values and gradients, step through backpropagation, "
        "and run the training demos.",
        epilog='example:\n  scalargrad draw "(a+b)*(b+1)" a=2 b=1 -o graph.svg\n\n'
        "`scalargrad COMMAND --help` shows each command's options and examples.",
        formatter_class=_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=f"scalargrad {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    draw = commands.add_parser(
        "draw",
        help="evaluate an expression, backpropagate, print the gradients and draw the graph",
        description="Evaluate an expression, backpropagate from it, print each variable's value and "
        "gradient, and draw the graph.",
        epilog=_DRAW_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    _expression_arguments(draw)
    draw.add_argument(
        "-o", "--output", type=Path, help="diagram file to write: .svg, .png, .pdf or .dot (missing folders are made)"
    )
    draw.add_argument(
        "--style",
        choices=["nodes", "circuit"],
        default="nodes",
        help="nodes: a box per value (default); circuit: gates, value above and gradient below each wire",
    )
    draw.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")
    draw.set_defaults(run=_draw)

    animate = commands.add_parser(
        "animate",
        help="write an HTML page stepping through the backward pass",
        description="Write one self-contained HTML page that steps through the backward pass.",
        epilog=_ANIMATE_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    _expression_arguments(animate)
    animate.add_argument(
        "-o", "--output", type=Path, required=True, help="HTML file to write (missing folders are made)"
    )
    animate.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")
    animate.set_defaults(run=_animate)

    demo = commands.add_parser(
        "demo",
        help="run a training demo (no NAME: list them)",
        description="Run one of the demos; options after NAME go to the demo.",
        epilog=_DEMO_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    demo.add_argument("name", nargs="?", help="the demo to run")
    demo.add_argument("args", nargs=argparse.REMAINDER, help="options for the demo")
    demo.set_defaults(run=_demo)

    doctor = commands.add_parser(
        "doctor",
        help="say which diagram renderer works here and how to fix it",
        description="Check the diagram renderers: Graphviz's dot program and pygraphviz.",
        epilog=_DOCTOR_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    doctor.set_defaults(run=_doctor)
    return parser


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", help=_EXPRESSION_HELP)
    parser.add_argument("bindings", nargs="*", metavar="NAME=VALUE", help="a value for each variable, e.g. a=2")
    parser.add_argument("--fmt", default=".4g", help="number format in the diagram (default .4g)")


def _build(args: argparse.Namespace) -> tuple[Value, dict[str, Value]] | None:
    """Evaluate and backpropagate the expression, or print why not (None)."""
    try:
        variables = parse_bindings(args.bindings)
        out, leaves = evaluate(args.expression, variables)
    except ExpressionError as error:
        print(f"scalargrad {args.command}: {error}", file=sys.stderr)
        return None
    # The output's name: f as in CS231n, unless a variable is called f.
    out.label = out.label or ("out" if "f" in leaves else "f")
    out.backward()
    return out, leaves


def _table(out: Value, leaves: dict[str, Value], expression: str) -> str:
    used = {id(v) for v in consumers_first(out)}
    width = max([8, *map(len, leaves)])
    lines = [
        f"{out.label} = {expression.strip()} = {out.data:.6g}",
        "",
        f"{'variable':<{width}}  {'value':>12}  {'gradient':>12}",
    ]
    for name, leaf in leaves.items():
        note = "" if id(leaf) in used else "  (not in the expression)"
        lines.append(f"{name:<{width}}  {leaf.data:>12.6g}  {leaf.grad:>12.6g}{note}")
    return "\n".join(lines)


def _check_output(args: argparse.Namespace, suffixes: Sequence[str] | None = None) -> bool:
    """Whether the output path is usable; prints why not."""
    path: Path = args.output
    try:
        if suffixes is None:
            format_for(path)
        elif path.suffix.lower() not in suffixes:
            raise ValueError(f"{str(path)!r} should end in {' or '.join(suffixes)}")
    except ValueError as error:
        print(f"scalargrad {args.command}: {error}", file=sys.stderr)
        return False
    # A missing folder is made at write time, as the demos' --out makes theirs (scalargrad.files.make_folder),
    # but not before the expression is accepted: a refused command leaves nothing behind. What can be
    # seen now, a file where a folder should be, is refused now.
    existing = next((folder for folder in (path.parent, *path.parent.parents) if folder.exists()), path.parent)
    if not existing.is_dir():
        _folder_error(args, f"{str(existing)!r} is not a folder")
        return False
    return True


def _folder_error(args: argparse.Namespace, reason: str) -> None:
    print(
        f"scalargrad {args.command}: cannot use {str(args.output.parent)!r} as the output folder: {reason}",
        file=sys.stderr,
    )


def _draw(args: argparse.Namespace) -> int:
    if args.output is not None and not _check_output(args):
        return 2
    built = _build(args)
    if built is None:
        return 2
    out, leaves = built
    print(_table(out, leaves, args.expression))
    if args.output is None:
        print("\n(add -o graph.svg to draw the graph)")
        return 0
    return _write(args, lambda: save(out, args.output, style=args.style, rankdir=args.rankdir, fmt=args.fmt))


def _animate(args: argparse.Namespace) -> int:
    if not _check_output(args, (".html", ".htm")):
        return 2
    built = _build(args)
    if built is None:
        return 2
    out, leaves = built
    print(_table(out, leaves, args.expression))
    print()
    for step in backward_steps(out):
        print(step.describe(fmt=args.fmt))
    title = args.expression.strip()
    return _write(args, lambda: animate_backward(out, args.output, rankdir=args.rankdir, fmt=args.fmt, title=title))


def _write(args: argparse.Namespace, write: Callable[[], object]) -> int:
    """Make the output's folder, run ``write``, and turn failures into a message and an exit status.

    1: no renderer; 2: bad input, or an output path that cannot be written.
    """
    try:
        make_folder(args.output.parent)
    except OSError as error:
        _folder_error(args, error.strerror or str(error))
        return 2
    try:
        write()
    except GraphvizNotFound as error:
        print(f"\nscalargrad {args.command}: cannot render {str(args.output)!r}.\n{error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"scalargrad {args.command}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"scalargrad {args.command}: cannot write {str(args.output)!r}: {error.strerror or error}", file=sys.stderr
        )
        return 2
    hint = " (open it in a browser; arrow keys step, Space plays)" if args.command == "animate" else ""
    print(f"\nwrote {args.output}{hint}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    try:
        runner = importlib.import_module("scalargrad.demo_runner")
    except ModuleNotFoundError as error:
        if error.name == "scalargrad.demo_runner":
            print(
                "scalargrad demo: this installation has no demos (scalargrad.demo_runner is missing)", file=sys.stderr
            )
        else:
            print(f"scalargrad demo: the demos need {error.name!r}: pip install 'scalargrad[demos]'", file=sys.stderr)
        return 1
    if args.name is None:
        names = runner.available()
        print("demos: " + (", ".join(names) if names else "(none)"))
        print("run one with: scalargrad demo NAME   (scalargrad demo NAME --help for its options)")
        return 0
    status: int = runner.run(args.name, list(args.args))
    return status


def _doctor(args: argparse.Namespace) -> int:
    status = renderer_status()
    print(f"scalargrad {__version__} on Python {platform.python_version()} ({sys.platform})")
    where = shutil.which("dot")
    if status.dot:
        print(f"  dot program:  yes, Graphviz {status.dot} at {where}")
    else:
        print("  dot program:  not found on PATH")
    if status.pygraphviz:
        print(f"  pygraphviz:   yes, version {status.pygraphviz} (renders in-process)")
    else:
        print(f"  pygraphviz:   no ({status.pygraphviz_error})")
    if status.renderer is None:
        print("\nNo renderer: diagrams can only be saved as .dot text.\n")
        print(GraphvizNotFound())
        return 1
    print(f"\nDiagrams render with {status.renderer}. All good.")
    return 0
