"""scalargrad built as a wheel and installed into a fresh venv: the demos travel inside it.

The wheel carries the repository's ``demos/`` folder as ``scalargrad._demos``
(pyproject's force-include), so ``scalargrad demo NAME`` works from an install
and site-packages gets no top-level ``demos`` package. The venv holds the wheel
and its one dependency, graphviz, and nothing of the ``demos`` extra: no
matplotlib, no tqdm, no scikit-learn, which also checks that the demos say
clearly what is missing and fall back to a plain progress printout.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILES = {
    "__init__.py",
    "_common.py",
    "_data.py",
    "digits.py",
    "moons.py",
    "regression.py",
    "shopping.py",
    "vanishing.py",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(ROOT)]
    if importlib.util.find_spec("hatchling"):
        # Offline: build with the hatchling installed here, instead of fetching one into an isolated env.
        command.append("--no-isolation")
    subprocess.run(command, check=True, capture_output=True, text=True)
    (built,) = outdir.glob("scalargrad-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare venv (no pip of its own, no system packages) with only the wheel installed, without dependencies."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    python = home / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    # The dependency, offline: graphviz is pure Python with no dependencies of its own, so a copy of
    # the package this environment has is an install of it.
    source = importlib.util.find_spec("graphviz")
    assert source is not None and source.submodule_search_locations, "the graphviz package is a dependency"
    shutil.copytree(source.submodule_search_locations[0], site_packages(python) / "graphviz")
    return python


def run_in(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def site_packages(python: Path) -> Path:
    done = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def test_wheel_carries_the_demos_inside_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    bundled = {n.removeprefix("scalargrad/_demos/") for n in names if n.startswith("scalargrad/_demos/")}
    assert bundled == DEMO_FILES
    assert not [n for n in names if n.startswith("demos/") or "__pycache__" in n]
    # The pages' and the live views' scripts and styles travel with the package.
    assert {"scalargrad/viz/stepper.js", "scalargrad/liveview/static/live.js", "scalargrad/py.typed"} <= set(names)


@pytest.mark.parametrize("command", [["scalargrad.demo_runner"], ["scalargrad", "demo"]])
def test_installed_wheel_runs_shopping_from_anywhere(venv: Path, tmp_path: Path, command: list[str]) -> None:
    done = run_in(venv, tmp_path, "-m", *command, "shopping", "--out", "shop")
    assert done.returncode == 0, done.stderr
    for line in [
        "price: 220",
        "dApple_num: 110",
        "dTax: 200",
        "price: 715",
        "dOrange: 3.3",
        "dOrange_num: 165",
        "dTax: 650",
    ]:
        assert f"  {line}\n" in done.stdout
    assert (tmp_path / "shop" / "results.json").is_file()
    assert "wrote" in done.stdout


def test_installed_wheel_has_no_top_level_demos_package(venv: Path, tmp_path: Path) -> None:
    site = site_packages(venv)
    assert sorted(p.name for p in site.iterdir() if not p.name.endswith(".dist-info")) == ["graphviz", "scalargrad"]
    assert (site / "scalargrad" / "_demos" / "moons.py").is_file()
    done = run_in(venv, tmp_path, "-c", "import demos")
    assert "No module named 'demos'" in done.stderr
    listing = run_in(
        venv,
        tmp_path,
        "-c",
        "from scalargrad import demo_runner as r; print(r.available(), r.demos_package().__file__)",
    )
    assert listing.returncode == 0, listing.stderr
    names, where = listing.stdout.rsplit(" ", 1)
    assert names == "['digits', 'moons', 'regression', 'shopping', 'vanishing']"
    assert Path(where.strip()).parent == site / "scalargrad" / "_demos"


def test_installed_wheel_trains_without_extras_and_names_what_is_missing(venv: Path, tmp_path: Path) -> None:
    # No tqdm in the bare venv: the plain progress lines show instead of a bar. No NumPy either: it trains eagerly.
    done = run_in(venv, tmp_path, "-m", "scalargrad.demo_runner", "moons", "--steps", "2", "--no-plot")
    assert done.returncode == 0, done.stderr
    assert "moons: 1/2  loss" in done.stdout and "moons: 2/2  loss" in done.stdout
    assert "s of training (eager)" in done.stdout
    assert (tmp_path / "out" / "moons" / "model.json").is_file()
    if run_in(venv, tmp_path, "-c", "import matplotlib").returncode == 0:
        pytest.skip("this venv sees a matplotlib")
    done = run_in(venv, tmp_path, "-m", "scalargrad.demo_runner", "regression", "--steps", "2")
    assert done.returncode == 1
    assert "matplotlib, which is not installed: pip install 'scalargrad[demos]'" in done.stderr
    done = run_in(venv, tmp_path, "-m", "scalargrad.demo_runner", "digits", "--no-plot")
    assert done.returncode == 1
    assert "scikit-learn is not installed" in done.stderr


def test_installed_wheel_without_torch_says_how_to_get_it(venv: Path, tmp_path: Path) -> None:
    # The bare venv has no torch: scalargrad imports and trains without it, and the bridge names the extra.
    done = run_in(venv, tmp_path, "-c", "from scalargrad.nn import MLP; MLP(2, [3, 1], seed=0).to_torch()")
    assert done.returncode == 1
    assert "ImportError: MLP.to_torch() needs PyTorch, which is not installed" in done.stderr
    assert "pip install 'scalargrad[torch]'" in done.stderr
