"""The live views in a real headless Chromium, served by the local server: typed numbers, errors, steps, training.

Each test starts a `LiveServer` in this process and drives Debian's
/usr/bin/chromium through Playwright (one browser for the module, as the
step-through pages' test does). Numbers are read from the page (the SVG
texts by id, the status line) and compared with an eager rebuild. The
page's own Content-Security-Policy stays on: the test reads the page with
Playwright's locators and `evaluate`, which a page's policy does not govern.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chromium import chromium
from test_live_graph import expected_texts
from test_live_training import hinge_for, moons

from scalargrad import Value, examples
from scalargrad.expr import evaluate as evaluate_text
from scalargrad.liveview import LiveGraph, LiveServer, TrainingSession
from scalargrad.liveview.session import App
from scalargrad.nn import MLP
from scalargrad.optim import SGD


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def open_live(browser: Any) -> Iterator[Callable[[App], Any]]:
    """Serve an app, open its page, and on the way out check the page stayed quiet and local."""
    opened: list[tuple[Any, LiveServer]] = []

    def open_(app: App) -> Any:
        server = LiveServer(app).start()
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.errors, page.console, page.requests = [], [], []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: page.console.append(message.text))
        page.on("request", lambda request: page.requests.append(request.url))
        page.server = server
        opened.append((page, server))
        page.goto(server.url)
        page.wait_for_selector("body[data-ready=true]")
        return page

    yield open_
    for page, server in opened:
        try:
            assert page.errors == [], page.errors
            assert not [m for m in page.console if "Content Security Policy" in m], page.console
            # Everything came from this server (a browser asks for /favicon.ico by itself: a 404 from it).
            assert all(url.startswith(page.server.url) for url in page.requests), page.requests
        finally:
            page.close()
            server.stop()


def slot_texts(page: Any, ids: list[str]) -> dict[str, str]:
    return dict(zip(ids, page.evaluate("(ids) => ids.map((id) => document.getElementById(id).textContent)", ids)))


def geometry(page: Any) -> dict[str, Any]:
    """Where every node and every number is drawn."""
    return page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll("g.node").forEach((g) => {
            const b = g.getBBox(); out[g.id] = [b.x, b.y, b.width, b.height];
          });
          document.querySelectorAll("text.slot").forEach((t) => {
            out[t.id] = [t.getAttribute("x"), t.getAttribute("y")];
          });
          return out;
        }"""
    )


def expect_text(page: Any, selector: str, text: str | re.Pattern[str], timeout: float = 10_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_text(text, timeout=timeout)


def test_typing_a_number_updates_every_value_and_gradient_in_place(open_live: Callable[[App], Any]) -> None:
    graph = LiveGraph(examples.two_paths(), title="(a+b)*(b+1)")
    page = open_live(graph)
    page.wait_for_selector(".sg-diagram[data-centred=true]")
    assert page.title() == "Live graph: (a+b)*(b+1)"
    slots = [slot for slot in graph.layout.slots]
    want = expected_texts(graph, evaluate_text("(a+b)*(b+1)", {"a": 2, "b": 1})[0])
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    before = geometry(page)
    assert page.locator("input[name=b]").count() == 2  # a slider and a number field, both named b
    assert page.input_value("input[type=range][name=b]") == "1"

    page.fill("input[type=number][name=b]", "3")
    expect_text(page, "#sg-n4-d", "data 20")
    want = expected_texts(graph, evaluate_text("(a+b)*(b+1)", {"a": 2, "b": 3})[0])
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}
    assert page.input_value("input[type=range][name=b]") == "3"
    assert geometry(page) == before, "the graph moved: it must be laid out once"
    assert page.evaluate("() => document.querySelectorAll('svg.sg-dummy, .sg-diagram svg').length") == 1
    # The table: every named value and its gradient.
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('.sg-table tbody tr'),"
        " (r) => Array.from(r.cells, (c) => c.textContent))"
    )
    assert rows == [["a", "2", "4"], ["b", "3", "9"], ["c", "5", "4"], ["d", "4", "5"], ["e", "20", "1"]]

    page.fill("input[type=number][name=a]", "-1.5")  # a second change, the other input
    expect_text(page, "#sg-n4-d", "data 6")
    want = expected_texts(graph, evaluate_text("(a+b)*(b+1)", {"a": -1.5, "b": 3})[0])
    assert slot_texts(page, slots) == {slot: want[slot] for slot in slots}


def test_a_failing_number_shows_the_error_and_keeps_the_last_good_numbers(open_live: Callable[[App], Any]) -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    graph = LiveGraph((x * y).log() + y, style="circuit")
    page = open_live(graph)
    slots = list(graph.layout.slots)
    good = slot_texts(page, slots)
    assert page.is_hidden(".sg-error")

    page.fill("input[type=number][name=x]", "-1")
    page.wait_for_selector(".sg-error:not([hidden])")
    error = page.inner_text(".sg-error")
    assert "Cannot compute with x = -1" in error and "'log'" in error and "math domain error" in error
    assert slot_texts(page, slots) == good  # the last good numbers, every one
    assert page.input_value("input[type=number][name=x]") == "2"  # and the input went back to its number
    assert page.input_value("input[type=range][name=x]") == "2"

    page.fill("input[type=number][name=x]", "0.5")  # the page is still usable
    page.wait_for_selector(".sg-error", state="hidden")
    want = expected_texts(graph, evaluate_text("log(x*y)+y", {"x": 0.5, "y": 3})[0])
    texts = slot_texts(page, slots)
    for slot, text in want.items():
        if slot in texts:
            shown = texts[slot].rpartition(" ")[2] if graph.layout.slots[slot][1] == "wire-data" else texts[slot]
            assert shown == text, slot


def test_dragging_the_slider_ends_on_the_latest_numbers(open_live: Callable[[App], Any]) -> None:
    graph = LiveGraph(examples.two_paths())
    page = open_live(graph)
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.post_data or "") if request.method == "POST" else None)
    slider = page.locator("input[type=range][name=b]")
    slider.focus()
    for _ in range(40):  # 40 input events as fast as the keyboard goes: b from 1 up by 40 steps of 0.02
        page.keyboard.press("ArrowRight")
    final = float(page.input_value("input[type=range][name=b]"))
    assert final == pytest.approx(1.8)
    c, d = 2 + final, final + 1
    expect_text(page, "#sg-n4-d", f"data {c * d:.4g}")
    time.sleep(0.3)  # nothing stale arrives afterwards
    assert page.text_content("#sg-n4-d") == f"data {c * d:.4g}"
    assert page.input_value("input[type=number][name=b]") == page.input_value("input[type=range][name=b]")
    assert 1 <= len(posted) <= 40


def test_the_step_buttons_step_through_both_sweeps_on_the_current_numbers(open_live: Callable[[App], Any]) -> None:
    graph = LiveGraph(examples.two_paths())
    page = open_live(graph)
    page.fill("input[type=number][name=b]", "3")
    expect_text(page, "#sg-n4-d", "data 20")

    page.click(".sg-steps-backward")
    page.wait_for_selector(".sg-live[data-stepping=true]")
    expect_text(page, ".sg-counter", "step 0 of 3")
    assert page.text_content("#sg-n0-g") == "grad 0" and page.text_content("#sg-n4-g") == "grad 1"
    page.click(".sg-next")
    expect_text(page, ".sg-counter", "step 1 of 3")
    caption = page.inner_text(".sg-caption")
    assert "∂(c * d)/∂c = d = 4" in caption and "c += 1 × 4 = 4 → 4" in caption
    assert page.evaluate("() => Array.from(document.querySelectorAll('g.node.active'), (g) => g.id)") == ["sg-n4"]
    page.click(".sg-next")
    page.click(".sg-next")
    expect_text(page, ".sg-counter", "step 3 of 3")
    assert page.text_content("#sg-n1-g") == "grad 9" and page.is_disabled(".sg-next")
    page.click(".sg-leave")
    page.wait_for_selector(".sg-live[data-stepping=false]")
    assert page.inner_text(".sg-caption") == "" and page.text_content("#sg-n0-g") == "grad 4"

    page.select_option("select[name=seed]", "b")
    page.click(".sg-steps-forward")
    expect_text(page, ".sg-counter", "step 0 of 3")
    assert page.text_content("#sg-n4-g") == "∂/∂b ?"
    for _ in range(3):
        page.click(".sg-next")
    assert page.text_content("#sg-n4-g") == "∂/∂b 9"  # de/db = (b + 1) + (a + b) = 4 + 5
    assert "∂e/∂b = 9" in page.inner_text(".sg-caption")
    page.fill("input[type=number][name=a]", "1")  # changing a number leaves the steps for the live numbers
    expect_text(page, "#sg-n4-d", "data 16")
    assert page.evaluate("() => document.querySelector('.sg-live').dataset.stepping") == "false"


def test_hovering_over_an_op_shows_its_local_derivatives(open_live: Callable[[App], Any]) -> None:
    page = open_live(LiveGraph(examples.two_paths()))
    page.hover("#sg-n4op")
    page.wait_for_selector(".sg-tooltip:not([hidden])")
    assert page.inner_text(".sg-tooltip").splitlines() == [
        "local derivatives of e = c * d",
        "∂(c * d)/∂c = d = 2",
        "∂(c * d)/∂d = c = 3",
    ]
    page.fill("input[type=number][name=b]", "3")  # the numbers follow the inputs, while the pointer stays
    page.hover("#sg-n4op")
    expect_text(page, ".sg-tooltip", re.compile("∂\\(c \\* d\\)/∂c = d = 4"))
    page.mouse.move(5, 5)
    page.wait_for_selector(".sg-tooltip", state="hidden")


def test_a_japanese_live_graph(open_live: Callable[[App], Any]) -> None:
    page = open_live(LiveGraph(examples.two_paths(), lang="ja", style="circuit"))
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    assert page.inner_text("h2") == "ライブ計算グラフ：e"
    assert page.inner_text(".sg-steps-backward") == "逆伝播を1ステップずつ見る"
    page.fill("input[type=number][name=b]", "3")
    expect_text(page, "#sg-n1-g", "勾配 9")


def test_the_training_dashboard_shows_the_step_and_loss_change_and_obeys_its_controls(
    open_live: Callable[[App], Any],
) -> None:
    xs, ys = moons(30)
    model = MLP(2, [8, 8, 1], seed=5)
    session = TrainingSession(model, xs, ys, hinge_for(model), lr=0.3, interval=0.02, refresh=0.05)
    page = open_live(session)
    step = re.compile(r"^step (\d+)$")
    first = page.inner_text(".sg-step")
    assert step.match(first)
    expect_text(page, ".sg-loss", re.compile(r"^loss \d"))  # a number once a step is done
    loss = page.inner_text(".sg-loss")
    deadline = time.monotonic() + 10
    while page.inner_text(".sg-step") == first or page.inner_text(".sg-loss") == loss:
        assert time.monotonic() < deadline, "the step and the loss should change while training runs"
        time.sleep(0.05)
    assert page.inner_text(".sg-status") == "training"
    assert page.inner_text(".sg-accuracy").startswith("accuracy ")
    assert page.locator(".sg-curve polyline").count() == 1
    assert page.locator(".sg-network line.sg-positive, .sg-network line.sg-negative").count() == 2 * 8 + 8 * 8 + 8

    page.click(".sg-toggle")  # pause
    expect_text(page, ".sg-status", "paused")
    paused = int(step.match(page.inner_text(".sg-step"))[1])  # type: ignore[index]
    assert paused == session.step_count
    time.sleep(0.4)
    assert page.inner_text(".sg-step") == f"step {paused}" and session.step_count == paused
    page.click(".sg-step-once")
    expect_text(page, ".sg-step", f"step {paused + 1}")
    time.sleep(0.3)
    assert session.step_count == paused + 1

    page.fill("input[type=number][name=lr]", "0.05")
    page.press("input[type=number][name=lr]", "Enter")
    deadline = time.monotonic() + 5
    while session.optimizer.lr != 0.05:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    page.click(".sg-toggle")  # resume
    expect_text(page, ".sg-status", "training")
    expect_text(page, ".sg-step", re.compile(rf"^step (?!{paused + 1}$)\d+$"))
    page.click(".sg-toggle")
    expect_text(page, ".sg-status", "paused")


def test_the_learning_rate_is_shown_as_a_person_would_type_it(open_live: Callable[[App], Any]) -> None:
    xs, ys = moons(10)
    model = MLP(2, [4, 1], seed=2)
    optimizer = SGD(model.parameters(), lr=1 / 3)  # a schedule's rates look like this: 0.33333333333333331
    page = open_live(TrainingSession(model, xs, ys, hinge_for(model), optimizer=optimizer, running=False))
    expect_text(page, ".sg-status", "paused")
    assert page.input_value("input[type=number][name=lr]") == "0.3333"
    assert optimizer.lr == 1 / 3  # only the page rounds it
