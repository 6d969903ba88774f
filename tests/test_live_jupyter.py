"""The live widget in a real JupyterLab: a notebook cell shows it, and typed numbers and a dragged slider update it.

A `jupyter lab` server is started for the module (this interpreter's, on
127.0.0.1, a free port, a random token) with its configuration, data,
runtime, settings, workspaces and IPython directories in a temporary folder,
so it never reads or writes the user's. Its kernel imports the scalargrad
under test: PYTHONPATH starts with the repository (and the first cell prints
``scalargrad.__file__`` to prove it). anywidget's JupyterLab extension is
found where this interpreter's Jupyter finds it (the venv's
share/jupyter/labextensions, always on Jupyter's data path; any other
directory holding it goes on JUPYTER_PATH).

Each test writes a notebook, opens it in Debian's headless Chromium through
Playwright, runs every cell with JupyterLab's own command (the server
exposes the app as ``window.jupyterapp``) and drives the widget's inputs the
way a user does: a number typed into a field, a slider dragged with the
mouse. Every number is read from the page and compared with an eager
rebuild at the same inputs (`expected_texts`), after one round trip through
the kernel each.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from chromium import chromium
from chromium import unavailable as browser_unavailable
from test_live_browser import slot_texts
from test_live_graph import expected_texts, num

from scalargrad import Value
from scalargrad.expr import evaluate as evaluate_text
from scalargrad.liveview import LiveGraph

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parent.parent
EXPRESSION = "(a+b)*(b+1)"
#: The notebook: the first cell proves which scalargrad the kernel imports, the second shows the widget.
CELLS = [
    "import scalargrad\nprint(scalargrad.__file__)",
    "from scalargrad import Value\n"
    "\n"
    'a = Value(2.0, label="a")\n'
    'b = Value(1.0, label="b")\n'
    "e = (a + b) * (b + 1)\n"
    "w = scalargrad.live(e, names=locals())\n"
    "w",
]
#: Starting the server, opening JupyterLab, starting a kernel: each well under this on a slow machine.
STARTUP_MS = 60_000
#: One change: the page's message to the kernel, a recompute, the new state back.
ROUND_TRIP_MS = 30_000
WIDGET = ".jp-OutputArea-output .sg-live"


def _anywidget_data_dirs() -> list[Path]:
    """The Jupyter data directories whose labextensions/ hold anywidget's, as this interpreter's Jupyter sees them."""
    from jupyter_core.paths import jupyter_path

    return [Path(d).parent for d in jupyter_path("labextensions") if (Path(d) / "anywidget" / "package.json").is_file()]


def _unavailable() -> str | None:
    reason = browser_unavailable()
    if reason:
        return reason
    for module in ("jupyterlab", "anywidget", "ipykernel", "nbformat"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} Python package is not installed"
    if not _anywidget_data_dirs():
        return "anywidget's JupyterLab extension is not installed (no labextensions/anywidget on Jupyter's data path)"
    return None


# -- the server --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it serves, its token, the folder its notebooks live in."""

    url: str
    token: str
    root: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(home: Path, token: str) -> dict[str, str]:
    """The server's (and so its kernels') environment: nothing of the user's Jupyter setup, the repo's scalargrad."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "IPYTHON"))}
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "config" / "lab" / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "config" / "lab" / "workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    # No "would you like news?" prompt over the notebook.
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # Read-only data directories searched before the isolated one: where anywidget's extension is.
    env["JUPYTER_PATH"] = os.pathsep.join(map(str, _anywidget_data_dirs()))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["JUPYTER_TOKEN"] = token
    return env


def _api(url: str, token: str, path: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=20) as answer:
        body: bytes = answer.read()
        return body


def _stop_kernels(url: str, token: str) -> None:
    """Shut every kernel down through the API: each runs in a session of its own, out of reach of our signals."""
    try:
        for kernel in json.loads(_api(url, token, "/api/kernels")):
            _api(url, token, f"/api/kernels/{kernel['id']}", method="DELETE")
    except (OSError, ValueError):
        pass  # a server that cannot answer still gets SIGTERM, which shuts its kernels down too


def _log_tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-40:])


@contextmanager
def jupyter_lab(home: Path) -> Iterator[Lab]:
    """Run `jupyter lab` from this interpreter with everything of its own under ``home``; stop it on the way out."""
    token = secrets.token_hex(16)
    port = _free_port()
    root = home / "notebooks"
    root.mkdir(parents=True)
    log = home / "jupyter.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run cells, read the notebook's model
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # never asks PyPI
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=root,
            env=_environment(home, token),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for pytest does not reach it: the finaliser stops it
        )
        try:
            deadline = time.monotonic() + STARTUP_MS / 1000
            while True:
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited with {server.returncode}:\n{_log_tail(log)}")
                if time.monotonic() > deadline:
                    waited = f"{STARTUP_MS / 1000:.0f} s"
                    pytest.fail(f"jupyter lab did not answer at {url} within {waited}:\n{_log_tail(log)}")
                try:
                    _api(url, token, "/api/status")
                    break
                except OSError:  # not listening yet (URLError, ConnectionError and TimeoutError are OSErrors)
                    time.sleep(0.2)
            yield Lab(url, token, root)
        finally:
            _stop_kernels(url, token)
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=10)


# -- the notebook in a browser ------------------------------------------------------------------------


def write_notebook(lab: Lab, name: str, cells: list[str]) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, lab.root / name)


def run_notebook(page: Page, lab: Lab, name: str) -> None:
    """Open the notebook, wait for its kernel, run every cell, and wait for the widget to be drawn and centred."""
    page.goto(lab.notebook_url(name))
    page.wait_for_function(
        """(name) => {
          const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
          const kernel = panel && panel.context && panel.context.path === name
            && panel.sessionContext.session && panel.sessionContext.session.kernel;
          return Boolean(kernel) && kernel.status === "idle";
        }""",
        arg=name,
        timeout=STARTUP_MS,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(f"{WIDGET} .sg-diagram[data-centred=true]", timeout=STARTUP_MS)


def notebook_cells(page: Page) -> list[tuple[str, str]]:
    """The notebook's cells as JupyterLab holds them: (type, source)."""
    cells: list[list[str]] = page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
          .map((cell) => [cell.cell_type, cell.source])"""
    )
    return [(kind, source) for kind, source in cells]


def table_rows(page: Page) -> list[list[str]]:
    rows: list[list[str]] = page.evaluate(
        f"""() => Array.from(document.querySelectorAll("{WIDGET} .sg-table tbody tr"),
          (row) => Array.from(row.cells, (cell) => cell.textContent))"""
    )
    return rows


def type_number(page: Page, name: str, text: str) -> None:
    """Type into an input's number field as a user does: click, select what is there, type, Enter."""
    field = page.locator(f"{WIDGET} input[type=number][name={name}]")
    field.click()
    field.press("Control+a")
    field.press_sequentially(text)
    field.press("Enter")


def drag_slider(page: Page, name: str, to: float) -> str:
    """Drag an input's slider with the mouse from its thumb to ``to`` (0 its left end, 1 its right); its final value."""
    slider = page.locator(f"{WIDGET} input[type=range][name={name}]")
    box = slider.bounding_box()
    assert box is not None
    low, high = (float(slider.get_attribute(key) or "nan") for key in ("min", "max"))
    at = (float(slider.input_value()) - low) / (high - low)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * at, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * to, y, steps=12)  # many input events: the latest number must win
    page.mouse.up()
    return slider.input_value()


def mirror() -> LiveGraph:
    """The notebook's graph, built here the same way: its slot ids and words are the page's."""
    a = Value(2.0, label="a")
    b = Value(1.0, label="b")
    e = (a + b) * (b + 1)
    return LiveGraph(e, names={"a": a, "b": b, "e": e})


def eager(a: float, b: float) -> Value:
    return evaluate_text(EXPRESSION, {"a": a, "b": b})[0]


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = _unavailable()
    if reason:
        pytest.skip(reason)  # in CI, tests/conftest.py turns this into a failure
    with jupyter_lab(tmp_path_factory.mktemp("jupyter")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def notebook(browser: Browser, lab: Lab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """This test's own notebook (so its own kernel), run, with the widget drawn; no page errors on the way out."""
    name = f"{request.node.name}.ipynb"
    write_notebook(lab, name, CELLS)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        run_notebook(page, lab, name)
        yield page
        assert errors == [], errors
    finally:
        page.close()


# -- the tests -----------------------------------------------------------------------------------------


def test_the_widget_runs_in_jupyterlab_and_every_number_follows_a_typed_number_and_a_dragged_slider(
    notebook: Page,
) -> None:
    from playwright.sync_api import expect

    page = notebook
    printed = page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".jp-OutputArea-output")
    expect(printed).to_have_text(str(REPO / "scalargrad" / "__init__.py"))  # the kernel runs the code under test
    assert page.locator(WIDGET).count() == 1
    graph = mirror()
    slots = list(graph.layout.slots)
    on_page = page.evaluate(f"""() => Array.from(document.querySelectorAll("{WIDGET} text.slot"), (t) => t.id)""")
    assert sorted(on_page) == sorted(slots), "the notebook's graph is not the one built here"
    box = graph.layout.nodes
    a, b = graph.inputs["a"], graph.inputs["b"]

    # a = 2, b = 1: e = (2 + 1) * (1 + 1) = 6, de/da = b + 1 = 2, de/db = (b + 1) + (a + b) = 5.
    want = expected_texts(graph, eager(2, 1))
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    assert page.text_content(f"#{box[graph.root]}-d") == "data 6"
    assert page.text_content(f"#{box[a]}-g") == "grad 2"
    assert page.text_content(f"#{box[b]}-g") == "grad 5"
    assert table_rows(page) == [["a", "2", "2"], ["b", "1", "5"], ["e", "6", "1"]]

    # Typed: a = 3. e = 4 * 2 = 8, de/da = 2, de/db = 2 + 4 = 6.
    type_number(page, "a", "3")
    expect(page.locator(f"#{box[graph.root]}-d")).to_have_text("data 8", timeout=ROUND_TRIP_MS)
    want = expected_texts(graph, eager(3, 1))
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    assert page.text_content(f"#{box[b]}-g") == "grad 6"
    assert page.input_value(f"{WIDGET} input[type=range][name=a]") == "3"  # the slider follows the field
    assert table_rows(page) == [["a", "3", "2"], ["b", "1", "6"], ["e", "8", "1"]]

    # Dragged: b from 1 (the middle of its slider) most of the way to its right end.
    dragged = drag_slider(page, "b", 0.85)
    b_value = float(dragged)
    assert 1.5 < b_value < 3, dragged
    expect(page.locator(f"{WIDGET} input[type=number][name=b]")).to_have_value(dragged)  # the field follows
    expect(page.locator(f"#{box[graph.root]}-d")).to_have_text(
        f"data {num((3 + b_value) * (b_value + 1))}", timeout=ROUND_TRIP_MS
    )
    expect(page.locator(f"#{box[b]}-g")).to_have_text(f"grad {num((b_value + 1) + (3 + b_value))}")
    want = expected_texts(graph, eager(3, b_value))
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    time.sleep(0.5)  # nothing stale arrives afterwards
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    assert table_rows(page)[1] == ["b", num(b_value), num(2 * b_value + 4)]

    # The keys typed into the widget were the widget's: no notebook shortcut ("3" makes a heading) ran.
    assert notebook_cells(page) == [("code", source) for source in CELLS]


def test_keys_pressed_on_the_widget_s_slider_and_select_stay_in_the_widget(notebook: Page) -> None:
    """JupyterLab takes keys on an element that is not :read-write (a slider, a select) as notebook shortcuts."""
    from playwright.sync_api import expect

    page = notebook
    graph = mirror()
    slider = page.locator(f"{WIDGET} input[type=range][name=b]")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # b from 1 up by three steps of 0.02
    expect(slider).to_have_value("1.06", timeout=3_000)
    expect(page.locator(f"#{graph.layout.nodes[graph.root]}-d")).to_have_text(
        f"data {num((2 + 1.06) * (1.06 + 1))}", timeout=ROUND_TRIP_MS
    )
    select = page.locator(f"{WIDGET} select[name=seed]")
    select.focus()
    page.keyboard.press("b")  # a select picks the option starting with the letter typed
    expect(select).to_have_value("b", timeout=3_000)
    assert notebook_cells(page) == [("code", source) for source in CELLS]


def test_two_views_of_one_widget_each_get_their_answers(browser: Browser, lab: Lab) -> None:
    """The widget shown twice: the second view's messages are acknowledged and its hovers answered, every time.

    Each view counts its own messages; acknowledging "the largest id handled" left a view whose count was
    behind the other's waiting 10 s per message, and a hover answered as before was never sent again.
    """
    from playwright.sync_api import expect

    write_notebook(lab, "two-views.ipynb", [*CELLS, "w"])
    page = browser.new_page(viewport={"width": 1300, "height": 1800})
    try:
        run_notebook(page, lab, "two-views.ipynb")
        views = page.locator(WIDGET)
        expect(views).to_have_count(2, timeout=STARTUP_MS)
        first, second = views.nth(0), views.nth(1)
        graph = mirror()
        out = f"#{graph.layout.nodes[graph.root]}-d"
        expect(second.locator(".sg-diagram[data-centred=true]")).to_have_count(1, timeout=STARTUP_MS)

        def type_into(view: Any, text: str) -> None:
            field = view.locator("input[type=number][name=a]")
            field.click()
            field.press("Control+a")
            field.press_sequentially(text)

        type_into(first, "3")  # the first view's messages: e = (3 + 1)(1 + 1) = 8, in both views
        expect(second.locator(out)).to_have_text("data 8", timeout=ROUND_TRIP_MS)
        for a in (4, 5, 6):  # the second view's: each answered in well under the old 10 s wait
            type_into(second, str(a))
            expect(second.locator(out)).to_have_text(f"data {(a + 1) * 2}", timeout=5_000)
            expect(first.locator(out)).to_have_text(f"data {(a + 1) * 2}", timeout=5_000)

        op = f"#{graph.layout.nodes[graph.root]}op"
        for _ in range(2):  # the same op twice, the numbers unchanged: the same answer, shown again
            second.locator(op).hover()
            expect(second.locator(".sg-tooltip")).to_be_visible(timeout=5_000)
            expect(second.locator(".sg-tooltip")).to_contain_text("∂(t1 * t2)/∂t1 = t2 = 2")
            page.mouse.move(5, 5)
            expect(second.locator(".sg-tooltip")).to_be_hidden()
        expect(first.locator(".sg-tooltip")).to_be_hidden()  # the other view's pointer is elsewhere
    finally:
        page.close()
