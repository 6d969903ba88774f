"""How fast a live graph of just over 2,000 Values answers, from a changed input to new numbers, in Python and Chromium.

    python benchmarks/bench_live.py            # prints a table (docs/live.md quotes it)
    python benchmarks/bench_live.py --nodes 500   # about 500 Values

Measured:

* the layout, once: Graphviz on the whole graph (`LiveGraph` construction);
* in Python, a message to a new state: ``LiveGraph.set`` (tape replay,
  ``sync``, ``backward_steps``, every slot's text) and the state's JSON;
* in the browser (the local server and Debian's /usr/bin/chromium): from an
  input event on a number field to the last changed text on the page,
  timed inside the page; and a burst of slider steps, to see how many
  messages the latest-wins rule sends and when the page shows the last one.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from scalargrad import Value
from scalargrad.engine import reading_order
from scalargrad.liveview import LiveGraph, LiveServer

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def wide(nodes: int = 2000, inputs: int = 20, chains: int = 100, seed: int = 0) -> Value:
    """``inputs`` named leaves; ``chains`` chains of tanh, *1.5 and +0.25, each starting from two leaves; summed.

    Every edge joins neighbouring ranks (a leaf read far away would make
    Graphviz slow, whatever the live view does; see ``viz.layout.spans``).
    """
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(inputs)]
    length = (nodes - inputs - 2 * chains + 1) // chains
    steps = [lambda u: u.tanh(), lambda u: u * 1.5, lambda u: u + 0.25]
    ends = []
    for j in range(chains):
        v = xs[j % inputs] * xs[(j * 7 + 1) % inputs]
        for k in range(length):
            v = steps[k % 3](v)
        ends.append(v)
    while len(ends) > 1:
        ends = [a + b for a, b in zip(ends[0::2], ends[1::2])] + (ends[-1:] if len(ends) % 2 else [])
    return ends[0]


# The page's side of one change: set the number field, fire its input event, and wait (a MutationObserver on
# the whole view) until the changed input's own value text changes; the time between is what a user waits.
# Python's new state is written into the page in one task, so the observer sees it all written. (The output
# would be a poor witness: a long chain of tanh forgets its input, and its shown value may not change.)
_ONE_CHANGE = """
async ([name, value, watched]) => {
  const field = document.querySelector(`input[type=number][name="${name}"]`);
  const target = document.getElementById(watched);
  const before = target.textContent;
  const start = performance.now();
  const done = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error(`${watched} still reads ${before} after 60 s`)), 60000);
    const observer = new MutationObserver(() => {
      if (target.textContent !== before) { observer.disconnect(); resolve(performance.now() - start); }
    });
    observer.observe(document.querySelector(".sg-live"), { subtree: true, characterData: true, childList: true });
  });
  field.value = String(value);
  field.dispatchEvent(new Event("input", { bubbles: true }));
  return await done;
}
"""


def measure(nodes: int, browser_runs: int = 10) -> dict[str, float]:
    root = wide(nodes)
    count = len(reading_order(root))
    started = time.perf_counter()
    graph = LiveGraph(root, title=f"{count} nodes")
    layout = time.perf_counter() - started
    rng = random.Random(1)
    python = []
    for _ in range(20):
        started = time.perf_counter()
        state = graph.set({"x3": rng.uniform(-1, 1)})
        payload = json.dumps({"key": "state", "value": state})
        python.append(time.perf_counter() - started)
    result = {
        "values": count,
        "layout_s": layout,
        "python_ms": 1000 * statistics.median(python),
        "state_kb": len(payload) / 1024,
    }
    result.update(_in_browser(graph, browser_runs))
    return result


def _in_browser(graph: LiveGraph, runs: int) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    server = LiveServer(graph).start()
    watched = graph.layout.nodes[graph.inputs["x3"]] + "-d"
    root = graph.layout.nodes[graph.root] + "-d"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            started = time.perf_counter()
            page.goto(server.url)
            page.wait_for_selector(".sg-diagram[data-centred=true]", timeout=120_000)
            opened = time.perf_counter() - started
            rng = random.Random(2)
            values = [round(-0.9 + 0.17 * k + rng.uniform(0, 0.01), 6) for k in range(runs)]  # each shows anew
            times = [page.evaluate(_ONE_CHANGE, ["x3", value, watched]) for value in values]
            # A burst: 60 slider steps as fast as the keyboard sends them.
            posts: list[str] = []
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            page.locator("input[type=range][name=x5]").focus()
            started = time.perf_counter()
            for _ in range(60):
                page.keyboard.press("ArrowRight")
            graph_state = graph.set  # the last number the slider holds is what the page must end on
            final = float(page.input_value("input[type=range][name=x5]"))
            x5 = graph.layout.nodes[graph.inputs["x5"]] + "-d"
            want = graph_state({"x5": final})["texts"]
            expect(page.locator(f"#{x5}")).to_have_text(want[x5], timeout=30_000)
            expect(page.locator(f"#{root}")).to_have_text(want[root], timeout=30_000)
            burst = time.perf_counter() - started
            browser.close()
    finally:
        server.stop()
    return {
        "page_open_s": opened,
        "browser_ms": statistics.median(times),
        "browser_max_ms": max(times),
        "burst_inputs": 60,
        "burst_messages": len(posts),
        "burst_s": burst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2100, help="about how many Values (default: 2,019 of them)")
    args = parser.parse_args()
    result = measure(args.nodes)
    print(f"live graph of {result['values']} Values")
    print(f"  layout (Graphviz, once):                 {result['layout_s']:.1f} s")
    python_ms, state_kb = result["python_ms"], result["state_kb"]
    print(f"  Python, message -> new state:            {python_ms:.0f} ms (state {state_kb:.0f} KB)")
    print(f"  page opened and laid out in Chromium:    {result['page_open_s']:.1f} s")
    browser_ms, browser_max = result["browser_ms"], result["browser_max_ms"]
    print(f"  browser, input -> new text (median):     {browser_ms:.0f} ms (max {browser_max:.0f})")
    print(
        f"  burst of {result['burst_inputs']} slider steps: {result['burst_messages']} messages sent, "
        f"latest numbers shown {result['burst_s']:.1f} s after the first step"
    )


if __name__ == "__main__":
    main()
