"""The limits docs/engine.md and docs/compile.md write down: threads, and numbers set by hand.

Oracles: the same backward pass run alone (its gradients, times the number of
calls), and Python's own error for a wrong type.
"""

from __future__ import annotations

import sys
import threading

import pytest

import scalargrad as sg
from scalargrad import Value


def wide_graph(n: int = 3000) -> tuple[Value, list[Value]]:
    """A graph big enough for threads to interleave inside backward(), with an interior node ``h``
    that collects n contributions: where a second call resets or overwrites it midway, ``w`` suffers."""
    xs = [Value(0.001 * i, f"x{i}") for i in range(n)]
    w = Value(0.5, "w")
    h = (w * 1.5).tanh()
    return sg.sum([(x * h).tanh() for x in xs]) * 0.001, [w, *xs]


def test_backward_from_several_threads_on_one_graph_adds_up() -> None:
    """Issue 13: concurrent backward() gave a.grad of 4.5e26 instead of 60; now each call adds its share."""
    y, leaves = wide_graph()
    y.backward()
    once = [leaf.grad for leaf in leaves]
    assert once[0] != 0.0  # w's gradient: what interleaved calls used to corrupt
    for leaf in leaves:
        leaf.grad = 0.0
    threads, calls = 6, 5
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        for _ in range(calls):
            y.backward()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that the calls really interleave
    try:
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    # Every call adds the same number, so the order of the additions cannot change the sum.
    expected = []
    for g in once:
        total = 0.0
        for _ in range(threads * calls):
            total += g
        expected.append(total)
    assert [leaf.grad for leaf in leaves] == expected


def test_a_tape_refuses_a_backward_for_another_threads_forward() -> None:
    y, (w, *_) = wide_graph(50)
    tape = sg.compile(y)
    tape.forward()
    failures: list[BaseException] = []

    def other() -> None:
        try:
            tape.backward()
        except RuntimeError as error:
            failures.append(error)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert len(failures) == 1 and "another thread" in str(failures[0])
    assert w.grad == 0.0  # nothing was written
    tape.backward()  # the thread that ran forward() may
    assert w.grad != 0.0


def test_data_that_is_not_a_number_is_named_by_the_op_that_meets_it() -> None:
    x = Value(2.0, "x")
    x.data = "3"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"op 'exp': input 'x' holds str '3' in \.data"):
        x.exp()
    with pytest.raises(TypeError, match=r"op '\*2': input 'x' holds str '3'"):
        x * 2


def test_a_tape_names_the_leaf_whose_data_is_not_a_number() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    tape = sg.compile((x * w).tanh())
    x.data = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"leaf \d 'x' holds NoneType None in \.data"):
        tape.forward()


def test_a_replay_failure_names_the_op_as_eager_execution_does() -> None:
    x = Value(5.0, "x")
    y = (x - 2.0).log() + (x - 3.0).sqrt()
    x.data = 0.0
    for tape in (sg.compile(y), sg.compile(y, codegen=False)):
        with pytest.raises(ValueError, match=r"Tape\.forward\(\): op \d+: '(log|sqrt)'.*math domain error"):
            tape.forward()


def test_a_label_set_to_something_else_than_a_str_is_named_where_names_are_read() -> None:
    x = Value(2.0, "x")
    y = x * 3
    y.label = 5  # type: ignore[assignment]
    for use in (lambda: sg.draw_dot(y), lambda: list(sg.backward_steps(y))):
        with pytest.raises(TypeError, match=r"label must be a str: the node with data 6.0 \(op '\*3'\) has int 5"):
            use()
