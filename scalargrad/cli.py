"""The ``scalargrad`` command: draw an expression's graph, step through its backward pass, run demos.

    scalargrad draw "(a+b)*(b+1)" a=2 b=1 -o graph.svg
    scalargrad animate "(a+b)*(b+1)" a=2 b=1 -o steps.html
    scalargrad live "(a+b)*(b+1)" a=2 b=1
    scalargrad demo NAME [options]
    scalargrad doctor

Exit status: 0 on success, 2 for a refused expression or bad arguments,
1 when the environment lacks something (no Graphviz renderer, no demos).
Every user error is one line on stderr, and is found before anything is
printed or written. If whoever reads the output stops early (``| head -1``),
printing stops quietly and the rest of the work (writing ``-o``) still happens.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from scalargrad import __version__
from scalargrad.console import say, stop_printing
from scalargrad.engine import NodeNames, Value, backward_steps, consumers_first, forward_steps
from scalargrad.expr import FUNCTIONS, ExpressionError, evaluate, parse_bindings
from scalargrad.files import make_folder
from scalargrad.liveview import App, LiveGraph, LiveServer, serve
from scalargrad.viz import GraphvizNotFound, animate_backward, animate_forward, format_for, renderer_status, save
from scalargrad.viz.labels import check_fmt
from scalargrad.viz.text import LANGUAGES

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
examples:
  scalargrad animate "(a+b)*(b+1)" a=2 b=1 -o steps.html
  scalargrad animate "(a+b)*(b+1)" a=2 b=1 -o forward.html --forward b
  scalargrad animate "(x+y)*z" x=-2 y=5 z=-4 -o steps.html --style circuit --lang ja

Writes one self-contained HTML page (no network needed) showing the graph
after each step of the backward pass, or with --forward NAME of forward-mode
differentiation with respect to NAME; step with the buttons or the arrow
keys, Space plays and pauses."""

_LIVE_EXAMPLES = """\
examples:
  scalargrad live "(a+b)*(b+1)" a=2 b=1
  scalargrad live "(x+y)*z" x=-2 y=5 z=-4 --style circuit --port 8000 --no-open
  scalargrad live "log(x)*y" x=2 y=3 --lang ja

Serves a page on 127.0.0.1 (a free port unless --port is given) showing the
graph with every value and gradient, a slider and a number field per
variable, and buttons stepping through the backward pass and forward mode;
changing a variable recomputes everything in Python. Prints the URL and
opens it in a browser; Ctrl-C stops the server. Nothing is fetched from the
network, and the server answers its own page on this machine only."""

_DEMO_EXAMPLES = """\
examples:
  scalargrad demo                  (lists the demos)
  scalargrad demo NAME --help      (a demo's own options)"""

_DOCTOR_EXAMPLES = """\
example:
  scalargrad doctor

Says whether Graphviz's dot program or pygraphviz can render diagrams here,
and how to install one if neither can."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (then exit status 2), naming the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser, commands = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Reported by the command's own parser: its usage is the one that helps.
        (commands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 2
    status: int = args.run(args)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        stop_printing()
    return status


def refuse(args: argparse.Namespace, message: str) -> int:
    """A user error: one line on stderr, exit status 2."""
    print(f"scalargrad {args.command}: {message}", file=sys.stderr)
    return 2


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = Parser(
        prog="scalargrad",
        description="Draw computation graphs with their values and gradients, step through backpropagation, "
        "and run the training demos.",
        epilog='example:\n  scalargrad draw "(a+b)*(b+1)" a=2 b=1 -o graph.svg\n\n'
        "`scalargrad COMMAND --help` shows each command's options and examples.",
        formatter_class=_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=f"scalargrad {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=Parser)

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
    _style_argument(draw)
    draw.add_argument("--dpi", type=_number("dpi", 10, 2400), help="PNG resolution in pixels per inch (default 96)")
    _fontsize_argument(draw, 11)
    draw.set_defaults(run=_draw)

    animate = commands.add_parser(
        "animate",
        help="write an HTML page stepping through the backward pass (or forward mode)",
        description="Write one self-contained HTML page that steps through the backward pass, "
        "or with --forward through forward-mode differentiation.",
        epilog=_ANIMATE_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    _expression_arguments(animate)
    animate.add_argument(
        "-o", "--output", type=Path, required=True, help="HTML file to write (missing folders are made)"
    )
    _style_argument(animate)
    animate.add_argument(
        "--forward", metavar="NAME", help="step through forward mode, differentiating with respect to variable NAME"
    )
    animate.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the page (default en)")
    _fontsize_argument(animate, 14)
    animate.set_defaults(run=_animate)

    live = commands.add_parser(
        "live",
        help="serve a live graph on 127.0.0.1: change a variable and watch every value and gradient change",
        description="Serve a page on 127.0.0.1 showing the expression's graph live: a slider and a number field "
        "per variable, every value and gradient recomputed in Python when one changes.",
        epilog=_LIVE_EXAMPLES,
        formatter_class=_FORMATTER,
    )
    _expression_arguments(live)
    _style_argument(live)
    live.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the page (default en)")
    _fontsize_argument(live, 14)
    port_argument(live)
    live.set_defaults(run=_live)

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
    return parser, dict(commands.choices)


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", help=_EXPRESSION_HELP)
    parser.add_argument("bindings", nargs="*", metavar="NAME=VALUE", help="a value for each variable, e.g. a=2")
    parser.add_argument("--fmt", default=".4g", type=_fmt, help="number format in the diagram (default .4g)")
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")


def _style_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--style",
        choices=["nodes", "circuit"],
        default="nodes",
        help="nodes: a box per value (default); circuit: gates, value above and gradient below each wire",
    )


def _fontsize_argument(parser: argparse.ArgumentParser, default: float) -> None:
    parser.add_argument(
        "--fontsize", type=_number("fontsize", 4, 72), default=default, help=f"text size in points (default {default})"
    )


def port_argument(parser: argparse.ArgumentParser) -> None:
    """``--port N`` and ``--no-open``, for a command that serves a live page (``live``, ``demo moons --live``)."""
    parser.add_argument(
        "--port", type=_port, default=0, help="port on 127.0.0.1 to serve on (default: a free one)"
    )
    parser.add_argument("--no-open", action="store_true", help="print the URL without opening a browser")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, got {port}")
    return port


def serve_live(args: argparse.Namespace, make: Callable[[], App], who: str) -> int:
    """Build a live view's Python side with ``make``, bind its server, then serve it until Ctrl-C.

    Exit status 2 with one line on stderr if the view cannot be made or the
    port is taken, 1 without Graphviz; both before anything is printed.
    """
    try:
        app = make()
    except GraphvizNotFound as error:
        print(f"{who}: cannot draw the graph.\n{error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"{who}: {error}", file=sys.stderr)
        return 2
    try:
        server = LiveServer(app, port=args.port)
    except OSError as error:
        app.close()
        print(f"{who}: cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    serve(server, open_browser=not args.no_open, say=say)
    return 0


def _fmt(text: str) -> str:
    try:
        return check_fmt(text, "--fmt")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number format such as .4g, .2f or .3e (no fill or alignment)"
        ) from None


def _number(what: str, low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"--{what} must be between {low:g} and {high:g}, got {text}")
        return value

    parse.__name__ = what  # argparse names the type in its message
    return parse


def _build(args: argparse.Namespace) -> tuple[Value, dict[str, Value]] | str:
    """Evaluate and backpropagate the expression, or say why not."""
    try:
        variables = parse_bindings(args.bindings)
        out, leaves = evaluate(args.expression, variables)
    except ExpressionError as error:
        return str(error)
    out.backward()
    return out, leaves


def _table(out: Value, leaves: dict[str, Value], expression: str) -> str:
    used = {id(v) for v in consumers_first(out)}
    width = max([8, *map(len, leaves)])
    # The output's name by the rule every diagram and step uses: its label, else "out".
    name = NodeNames(out)(out)
    written = expression.strip()
    first = f"{name} = {out.data:.6g}" if written == name else f"{name} = {written} = {out.data:.6g}"
    lines = [first, "", f"{'variable':<{width}}  {'value':>12}  {'gradient':>12}"]
    for variable, leaf in leaves.items():
        note = "" if id(leaf) in used else "  (not in the expression)"
        lines.append(f"{variable:<{width}}  {leaf.data:>12.6g}  {leaf.grad:>12.6g}{note}")
    return "\n".join(lines)


def _check_output(args: argparse.Namespace, suffixes: Sequence[str] | None = None) -> str | None:
    """Why the output path cannot be used, or None: checked before anything is printed or written."""
    path: Path = args.output
    if path.is_dir():
        return f"cannot write {str(path)!r}: it is a folder; name a file inside it"
    try:
        if suffixes is None:
            format_for(path)
        elif path.suffix.lower() not in suffixes:
            raise ValueError(f"{str(path)!r} should end in {' or '.join(suffixes)}")
    except ValueError as error:
        return str(error)
    # A missing folder is made at write time, as the demos' --out makes theirs (scalargrad.files.make_folder),
    # but not before the expression is accepted: a refused command leaves nothing behind. What can be
    # seen now, a file where a folder should be, or a folder nothing can be written in, is refused now.
    existing = next((folder for folder in (path.parent, *path.parent.parents) if folder.exists()), path.parent)
    if not existing.is_dir():
        return _folder_message(args, f"{str(existing)!r} is not a folder")
    try:
        # Root may write where permissions say no, and /proc refuses anyone: so try it, leaving nothing.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return f"cannot write {str(path)!r}: {error.strerror or error}"
    return None


def _folder_message(args: argparse.Namespace, reason: str) -> str:
    return f"cannot use {str(args.output.parent)!r} as the output folder: {reason}"


def _draw(args: argparse.Namespace) -> int:
    if args.output is not None and (problem := _check_output(args)):
        return refuse(args, problem)
    built = _build(args)
    if isinstance(built, str):
        return refuse(args, built)
    out, leaves = built
    options: dict[str, Any] = {"style": args.style, "rankdir": args.rankdir, "fmt": args.fmt}
    options["fontsize"] = args.fontsize
    say(_table(out, leaves, args.expression))
    if args.output is None:
        say("\n(add -o graph.svg to draw the graph)")
        return 0
    return _write(args, lambda: save(out, args.output, dpi=args.dpi, **options))


def _animate(args: argparse.Namespace) -> int:
    if problem := _check_output(args, (".html", ".htm")):
        return refuse(args, problem)
    built = _build(args)
    if isinstance(built, str):
        return refuse(args, built)
    out, leaves = built
    seed = None
    if args.forward is not None:
        seed = leaves.get(args.forward)
        if seed is None or id(seed) not in {id(v) for v in consumers_first(out)}:
            return refuse(args, f"--forward {args.forward}: not a variable of the expression")
    say(_table(out, leaves, args.expression))
    say()
    steps = backward_steps(out) if seed is None else forward_steps(out, {seed: 1.0})
    for step in steps:
        say(step.describe(fmt=args.fmt))
    options: dict[str, Any] = {"rankdir": args.rankdir, "fmt": args.fmt, "style": args.style}
    options.update(lang=args.lang, fontsize=args.fontsize, title=args.expression.strip())
    if seed is None:
        return _write(args, lambda: animate_backward(out, args.output, **options))
    return _write(args, lambda: animate_forward(out, args.output, {seed: 1.0}, **options))


def _live(args: argparse.Namespace) -> int:
    built = _build(args)
    if isinstance(built, str):
        return refuse(args, built)
    out, _ = built
    options: dict[str, Any] = {"rankdir": args.rankdir, "fmt": args.fmt, "style": args.style, "lang": args.lang}
    options.update(fontsize=args.fontsize, title=args.expression.strip())
    return serve_live(args, lambda: LiveGraph(out, **options), "scalargrad live")


def _write(args: argparse.Namespace, write: Callable[[], object]) -> int:
    """Make the output's folder, run ``write``, and turn failures into a message and an exit status.

    1: no renderer; 2: bad input, or an output path that cannot be written.
    """
    try:
        make_folder(args.output.parent)
    except OSError as error:
        return refuse(args, _folder_message(args, error.strerror or str(error)))
    try:
        write()
    except GraphvizNotFound as error:
        print(f"\nscalargrad {args.command}: cannot render {str(args.output)!r}.\n{error}", file=sys.stderr)
        return 1
    except ValueError as error:
        return refuse(args, str(error))
    except OSError as error:
        return refuse(args, f"cannot write {str(args.output)!r}: {error.strerror or error}")
    hint = " (open it in a browser; arrow keys step, Space plays)" if args.command == "animate" else ""
    say(f"\nwrote {args.output}{hint}")
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
        say("demos: " + (", ".join(names) if names else "(none)"))
        say("run one with: scalargrad demo NAME   (scalargrad demo NAME --help for its options)")
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
