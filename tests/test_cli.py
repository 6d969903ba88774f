"""The `scalargrad` command line, run in-process through `main` (and once as `python -m scalargrad`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scalargrad import demo_runner
from scalargrad.cli import main

ROOT = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz `dot` is not installed"
)


def table(output: str) -> dict[str, tuple[float, float]]:
    """variable -> (value, gradient) from the printed table."""
    rows = re.findall(r"^(\w+)\s+(\S+)\s+(\S+)(?:\s+\(not in the expression\))?$", output, flags=re.M)
    return {name: (float(value), float(grad)) for name, value, grad in rows if name != "variable"}


def test_draw_prints_the_seed_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "(a+b)*(b+1)", "a=2", "b=1"]) == 0
    out = capsys.readouterr().out
    assert "out = (a+b)*(b+1) = 6" in out  # an unlabelled output is "out", in the diagrams and steps too
    assert table(out) == {"a": (2.0, 2.0), "b": (1.0, 5.0)}  # seed 003: de/da = 2, de/db = 5
    assert "-o graph.svg" in out


@needs_dot
@pytest.mark.parametrize("style", ["nodes", "circuit"])
def test_draw_writes_the_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str], style: str) -> None:
    path = tmp_path / "graph.svg"
    argv = ["draw", "(x+y)*z", "x=-2", "y=5", "z=-4", "-o", str(path), "--style", style, "--rankdir", "TB"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert table(out) == {"x": (-2.0, -4.0), "y": (5.0, -4.0), "z": (-4.0, 3.0)}  # seed 000
    texts = [t.text for t in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "out" in texts and "-12" in " ".join(t or "" for t in texts)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_draw_dot_output_and_an_expression_starting_with_minus(tmp_path: Path) -> None:
    path = tmp_path / "g.dot"
    assert main(["draw", "-o", str(path), "--", "-a*b", "a=3", "b=4"]) == 0
    assert path.read_text().startswith("digraph scalargrad {")


def test_variables_not_in_the_expression_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "a*2", "a=1.5", "b=7"]) == 0
    out = capsys.readouterr().out
    assert "(not in the expression)" in out and table(out)["b"] == (7.0, 0.0)


def test_fullwidth_and_other_compatibility_names_bind_as_python_reads_them(capsys: pytest.CaptureFixture[str]) -> None:
    # Python reads the identifier ａ (fullwidth) in the expression as a (NFKC); the binding must match it.
    assert main(["draw", "ａ*b", "ａ=3", "b=2"]) == 0
    assert table(capsys.readouterr().out) == {"a": (3.0, 2.0), "b": (2.0, 3.0)}
    assert main(["draw", "a*b", "ａ=3", "ｂ=2"]) == 0
    assert table(capsys.readouterr().out) == {"a": (3.0, 2.0), "b": (2.0, 3.0)}
    assert main(["draw", "a*2", "a=1", "ａ=2"]) == 2
    assert "Python reads them as one name" in capsys.readouterr().err


def test_output_named_by_the_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "f*g", "f=2", "g=3"]) == 0
    assert "out = f*g = 6" in capsys.readouterr().out
    assert main(["draw", "out*g", "out=2", "g=3"]) == 0  # a variable called out: the output is out1
    assert "out1 = out*g = 6" in capsys.readouterr().out
    # The expression is a variable: it is the output, named once (it used to print "x = x = 3").
    assert main(["draw", "x", "x=3"]) == 0
    assert capsys.readouterr().out.startswith("x = 3\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["draw", "__import__('os').system('touch pwned')", "a=1"], "refused: call of"),
        (["draw", "a.real", "a=1"], "attribute access"),
        (["draw", "(lambda: a)()", "a=1"], "call of"),
        (["draw", "a+b", "a=1"], "unknown name 'b'"),
        (["draw", "a+1", "a=x"], "'x' is not a number"),
        (["draw", "a+1", "a"], "NAME=NUMBER"),
        (["draw", "log(a)", "a=0"], "cannot evaluate"),
        (["draw", "a", "a=1", "-o", "graph.jpg"], ".svg, .png, .pdf or .dot"),
        (["draw", "a+b", "a=1", "-o", "no/such/folder/g.svg"], "unknown name 'b'"),  # no folder made
        (["animate", "a*a", "a=1", "-o", "steps.svg"], ".html"),
        (["animate", "open('x')", "a=1", "-o", "steps.html"], "call of 'open'"),
    ],
)
def test_refusals_exit_2_with_a_message_and_write_nothing(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert list(tmp_path.iterdir()) == []


def test_draw_creates_a_missing_output_folder_as_demo_out_does(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "g.dot"
    assert main(["draw", "(a+b)*(b+1)", "a=2", "b=1", "-o", str(path)]) == 0
    assert path.read_text().startswith("digraph scalargrad {")
    # The demos' --out goes through the same helper, so the two cannot drift apart.
    common = demo_common()
    assert common.output_folder(str(tmp_path / "demo" / "out")) == tmp_path / "demo" / "out"
    assert (tmp_path / "demo" / "out").is_dir()


@needs_dot
def test_animate_creates_a_missing_output_folder(tmp_path: Path) -> None:
    path = tmp_path / "pages" / "steps.html"
    assert main(["animate", "a*b", "a=2", "b=3", "-o", str(path)]) == 0
    assert path.is_file()


@pytest.mark.parametrize("command", [["draw", "a*b", "a=1", "b=2"], ["animate", "a*b", "a=1", "b=2"]])
def test_a_file_in_the_way_of_the_output_folder_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    suffix = ".html" if command[0] == "animate" else ".dot"
    assert main([*command, "-o", str(blocker / "sub" / f"g{suffix}")]) == 2
    captured = capsys.readouterr()
    assert "cannot use" in captured.err and "as the output folder" in captured.err and "a-file" in captured.err
    assert captured.out == ""  # refused before evaluating anything
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_a_folder_that_cannot_be_created_is_reported_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tests run as root, where a read-only parent does not stop mkdir; so mkdir fails as it would there.
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(tmp_path / "new" / "g.dot")]) == 2
    assert "as the output folder: Permission denied" in capsys.readouterr().err
    monkeypatch.undo()
    (tmp_path / "taken.dot").mkdir()  # a folder where the file should go
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(tmp_path / "taken.dot")]) == 2
    assert "cannot write" in capsys.readouterr().err


def demo_common() -> types.ModuleType:
    demo_runner.demos_package()
    import importlib

    return importlib.import_module(f"{demo_runner.PACKAGE}._common")


@pytest.mark.parametrize("command", [[], ["draw"], ["animate"], ["demo"], ["doctor"]])
def test_every_command_has_help_with_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and "scalargrad" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["draw", "a", "a=1", "--style", "fancy"])
    assert done.value.code == 2
    assert main([]) == 2


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scalargrad", "draw", "(a+b)*(b+1)", "a=2", "b=1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert table(done.stdout) == {"a": (2.0, 2.0), "b": (1.0, 5.0)}


@needs_dot
def test_animate_writes_the_page_and_prints_the_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "steps.html"
    assert main(["animate", "(a+b)*(b+1)", "a=2", "b=1", "-o", str(path)]) == 0
    out = capsys.readouterr().out
    assert "step 3:" in out and "step 4:" not in out
    assert re.search(r"b \+= [23] × 1 = [23] → 5", out)  # b's second share brings it to 5
    page = path.read_text()
    assert page.count("<svg") == 1 and '"caption"' in page and "(a+b)*(b+1)" in page


def hide_renderers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "pygraphviz", None)


@needs_dot
def test_doctor_reports_the_working_renderer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"dot program:\s+yes, Graphviz \d+\.\d+", out)
    assert "Diagrams render with dot" in out


def test_doctor_without_renderers_says_how_to_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hide_renderers(monkeypatch, tmp_path)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "dot program:  not found" in out and "pygraphviz:   no" in out
    for hint in ("sudo apt install graphviz", "brew install graphviz", "winget", "conda", "scalargrad[render]"):
        assert hint in out


def test_draw_without_renderers_exits_1_with_hints_but_dot_text_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hide_renderers(monkeypatch, tmp_path)
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(tmp_path / "g.png")]) == 1
    assert "brew install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(tmp_path / "g.dot")]) == 0


def test_demo_delegates_to_the_demo_runner(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[tuple[str, list[str]]] = []
    fake = types.ModuleType("scalargrad.demo_runner")
    fake.available = lambda: ["moons", "shopping"]  # type: ignore[attr-defined]
    fake.run = lambda name, argv: calls.append((name, list(argv))) or 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scalargrad.demo_runner", fake)
    assert main(["demo", "moons", "--epochs", "3", "-q"]) == 7
    assert calls == [("moons", ["--epochs", "3", "-q"])]
    assert main(["demo"]) == 0
    assert "moons, shopping" in capsys.readouterr().out


def test_demo_without_the_runner_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "scalargrad.demo_runner", None)
    assert main(["demo", "moons"]) == 1
    assert "scalargrad.demo_runner is missing" in capsys.readouterr().err


def test_demo_lists_the_real_demos(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    listed = capsys.readouterr().out
    for name in demo_runner.available():
        assert name in listed


# ---------------------------------------------------------------------------
# Every user error: one line on stderr, exit status 2, before anything is printed or written.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["draw", "a*b", "a=1", "b=2", "-o", "FOLDER"], "it is a folder"),
        (["draw", "a*b", "a=1", "b=2", "-o", "/proc/graph.svg"], "cannot write '/proc/graph.svg'"),
        (["draw", "a*b", "a=1", "b=2", "-o", "g.svg", "--fmt", "<^9"], "'<^9' is not a number format"),
        (["animate", "a*b", "a=1", "b=2", "-o", "s.html", "--fmt", "x"], "'x' is not a number format"),
        (["draw", "a*b", "a=1", "b=2", "--bogus"], "scalargrad draw: unrecognized arguments: --bogus"),
        (["animate", "a*b", "a=1", "b=2", "-o", "s.html", "--dpi", "300"], "scalargrad animate: unrecognized"),
        (["draw", "a*b", "a=1e400", "b=2"], "1e400 is not a finite number"),
        (["draw", "a*b", "a=nan", "b=2"], "nan is not a finite number"),
        (["draw", "a*b", "a=1", "b=2", "-o", "g.png", "--dpi", "0"], "--dpi must be between 10 and 2400"),
        (["draw", "a*b", "a=1", "b=2", "--fontsize", "huge"], "expected a number"),
        (["animate", "a*b", "a=1", "b=2", "-o", "s.html", "--forward", "c"], "--forward c: not a variable"),
        (["animate", "a*b", "a=1", "b=2", "-o", "s.html", "--lang", "fr"], "invalid choice: 'fr'"),
    ],
)
def test_every_user_error_is_one_line_and_exit_2_before_any_output(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FOLDER").mkdir()
    try:
        status = main(argv)
    except SystemExit as done:  # argparse's own refusals exit from inside main
        status = int(done.code or 0)
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before anything was printed
    assert message in captured.err
    assert captured.err.count("\n") == 1, captured.err  # one line, no usage block, no traceback
    assert [p.name for p in tmp_path.iterdir()] == ["FOLDER"]  # nothing written


def test_demo_moons_with_one_point_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("scalargrad.demo_runner")
    assert main(["demo", "moons", "--points", "1"]) == 2
    err = capsys.readouterr().err
    assert "--points: expected a number of at least 2, got 1" in err and err.count("\n") == 1


def test_a_closed_pipe_ends_printing_quietly_and_the_file_is_still_written(tmp_path: Path) -> None:
    """`scalargrad draw ... | head -1`: no BrokenPipeError, and -o is written all the same."""
    path = tmp_path / "g.dot"
    run = [sys.executable, "-m", "scalargrad"]
    expression = ["(a+b)*(b+1)", "a=2", "b=1"]
    page = tmp_path / "s.html"
    for argv in ([*run, "animate", *expression, "-o", str(page)], [*run, "draw", *expression, "-o", str(path)]):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            f"{' '.join(map(_quote, argv))} | head -1", shell=True, capture_output=True, text=True, cwd=ROOT, env=env
        )
        assert done.stdout.startswith("out = (a+b)*(b+1) = 6") and done.stdout.count("\n") == 1
        assert done.stderr == "", done.stderr
    assert path.read_text().startswith("digraph")


def test_a_demo_read_by_head_still_trains_and_saves(tmp_path: Path) -> None:
    """`scalargrad demo moons | head -1`: the first line, no traceback, exit 0, the model saved."""
    argv = [sys.executable, "-m", "scalargrad", "demo", "moons", "--steps", "3", "--no-plot", "--out", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Many lines, so that the pipe closes while the demo still prints: its help is printed after training.
    done = subprocess.run(
        f"{' '.join(map(_quote, argv))} -q; echo status=$? >&2",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert "status=0" in done.stderr
    piped = subprocess.run(
        f"({' '.join(map(_quote, argv))} -q; echo status=$? >&2) | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert "Traceback" not in piped.stderr and "status=0" in piped.stderr, piped.stderr
    assert (tmp_path / "model.json").exists()


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


@needs_dot
def test_draw_dpi_and_fontsize_and_animate_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small, big = tmp_path / "s.png", tmp_path / "b.png"
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(small)]) == 0
    assert main(["draw", "a*b", "a=1", "b=2", "-o", str(big), "--dpi", "192", "--fontsize", "11"]) == 0
    width = int.from_bytes(small.read_bytes()[16:20], "big")
    assert abs(int.from_bytes(big.read_bytes()[16:20], "big") - 2 * width) <= 2
    page = tmp_path / "f.html"
    argv = ["animate", "(a+b)*(b+1)", "a=2", "b=1", "-o", str(page), "--forward", "a", "--style", "circuit"]
    assert main([*argv, "--lang", "ja"]) == 0
    out = capsys.readouterr().out
    assert "step 3: out = t1 * t2, tangent 2 × 1 + 3 × 0 = 2" in out  # ∂e/∂a = 2 (seed 003)
    text = page.read_text(encoding="utf-8")
    assert '<html lang="ja">' in text and "フォワードモード微分" in text
