"""Find and run the training demos, from a checkout or from an installed wheel.

The demos live in the repository's top-level ``demos/`` folder. A built wheel
carries that folder inside this package, as ``scalargrad._demos`` (the
``force-include`` table in ``pyproject.toml``), so installing scalargrad never
puts a generic top-level ``demos`` package into site-packages. A checkout
(an editable install, or the repository on ``PYTHONPATH``) has no
``scalargrad/_demos``; there the ``demos/`` folder beside the package is loaded
under that same name. Either way the demos reach each other by relative imports
and behave identically, whatever the working directory.

``scalargrad demo NAME [options]`` calls ``run(NAME, options)``; so does
``python -m scalargrad.demo_runner NAME [options]``.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from scalargrad.console import reader_may_leave

#: The name the demos are imported under, in a wheel and in a checkout alike.
PACKAGE = "scalargrad._demos"


class DemosNotFoundError(ImportError):
    """Neither a bundled ``scalargrad._demos`` nor a checkout's ``demos/`` folder was found."""


def _checkout_folder() -> Path:
    """The ``demos/`` folder of the checkout this scalargrad package sits in."""
    return Path(__file__).resolve().parent.parent / "demos"


def demos_package() -> ModuleType:
    """The demos as a package named ``scalargrad._demos``, bundled or loaded from the checkout."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    try:
        return importlib.import_module(PACKAGE)
    except ModuleNotFoundError as error:
        if error.name != PACKAGE:
            raise
    folder = _checkout_folder()
    init = folder / "__init__.py"
    spec = importlib.util.spec_from_file_location(PACKAGE, init, submodule_search_locations=[str(folder)])
    if not init.is_file() or spec is None or spec.loader is None:
        raise DemosNotFoundError(
            f"no demos found: this scalargrad has no {PACKAGE} package and there is no {init} "
            "(install scalargrad from a wheel, or run it from a checkout of the repository)"
        )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[PACKAGE]
        raise
    return package


def available() -> list[str]:
    """The names of the demos, sorted (modules of the demos package not starting with ``_``)."""
    package = demos_package()
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_"))


def summary(name: str) -> str:
    """The first line of a demo's docstring: what it shows."""
    doc = importlib.import_module(f"{PACKAGE}.{name}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def run(name: str, argv: Sequence[str] = ()) -> int:
    """Run demo ``name`` with command-line options ``argv``; return its exit code.

    An unknown name prints the available demos and returns 2; ``--help`` and
    bad options return argparse's code (0 and 2) instead of exiting Python.
    """
    names = available()
    if name not in names:
        print(f"scalargrad demo: unknown demo {name!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{PACKAGE}.{name}")
    try:
        with reader_may_leave():  # `scalargrad demo moons | head -1` still trains and saves
            return int(module.main(list(argv), prog=f"scalargrad demo {name}"))
    except SystemExit as stop:
        return _exit_code(stop.code)


def _exit_code(code: object) -> int:
    """What ``sys.exit(code)`` would make the process return."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scalargrad.demo_runner NAME [options]``; with no name, list the demos."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "--list"):
        print("usage: scalargrad demo NAME [options]   (NAME --help for a demo's options)\n\ndemos:")
        for name in available():
            print(f"  {name:<12} {summary(name)}")
        return 0
    return run(args[0], args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
