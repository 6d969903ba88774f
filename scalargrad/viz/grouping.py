"""Boxes: one per Value, or one per neuron or layer of a network (the module view).

Which Values make up a neuron is read from the structured marks
`scalargrad.nn` puts on its Values (`scalargrad.marks`): a neuron's output
and its parameters carry the neuron's module path, its position in its
layer and their role. Nothing is read from the text of a label. A
different module system can pass its own ``group`` function to `draw_dot`.

Folding works back from each neuron's output (each node after all its
consumers): a node joins the neuron when everything that uses it is in the
neuron, and it is one of the neuron's parameters or an op on the neuron's
own values. Inputs, other neurons' outputs, and parameters that something
outside the network also uses (a weight penalty) stay outside. Each
forward call gets boxes of its own, numbered ``sample 0, 1, ...`` in the
order the graph reads them when there are several; the parameters they
share are folded away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from scalargrad.engine import Value
from scalargrad.marks import Mark

#: How a diagram learns which module made a Value: `scalargrad.marks.mark_of`, or your own.
Group = Callable[[Value], Mark | None]


@dataclass(eq=False)
class Box:
    """One box of the diagram: a single Value, or a folded neuron or layer."""

    id: str
    heads: list[Value]  # what the box shows: the Value itself, or the module's output(s)
    title: str = ""  # a folded module's name; "" for a single Value
    members: list[Value] = field(default_factory=list)
    #: What feeds the box from outside, in drawing order.
    inputs: list[Value] = field(default_factory=list)
    #: For a folded box: how many times its members use each input (the weights an edge stands for).
    uses: Counter[Value] = field(default_factory=Counter)

    @property
    def folded(self) -> bool:
        return bool(self.title)


def boxes(
    order: list[Value], collapse: str | None, group: Group
) -> tuple[list[Box], dict[Value, Box]]:
    """The boxes in drawing order (``order``: inputs first), and the box each drawn Value is in."""
    owner, hidden = _owners(order, collapse, group)
    index = {v: i for i, v in enumerate(order)}
    made: list[Box] = []
    groups: dict[Value, Box] = {}
    folded: set[Box] = set()  # eq=False: Boxes hash by identity
    where: dict[Value, Box] = {}
    for i, value in enumerate(order):
        if value in hidden:
            continue
        key = owner.get(value)
        if key is None:
            box = Box(f"n{i}", [value], inputs=list(value.parents), members=[value])
            made.append(box)
            where[value] = box
            continue
        if key not in groups:
            groups[key] = Box("", [])
            folded.add(groups[key])
        box = groups[key]
        box.members.append(value)
        where[value] = box
        if _role(group, value) == "output" and not box.id:
            # A module's box goes where its first output is, after everything it reads.
            box.id = f"m{sum(1 for b in made if b in folded)}"
            made.append(box)
    for key, box in groups.items():
        box.heads = sorted((v for v in box.members if _role(group, v) == "output"), key=lambda v: _mark(group, v).index)
        inside = set(box.members)
        box.uses = Counter(p for m in box.members for p in m.parents if p not in inside and p not in hidden)
        box.inputs = sorted(box.uses, key=index.__getitem__)
        path = _mark(group, key).path if collapse == "neuron" else _mark(group, key).layer
        box.title = ".".join(path) or "layer"
    _number_samples([b for b in made if b.folded])
    return made, where


def _number_samples(folded: list[Box]) -> None:
    """Boxes of the same module from several forward calls get ``sample 0``, ``sample 1``, ... in drawing order."""
    count = Counter(box.title for box in folded)
    seen: Counter[str] = Counter()
    for box in folded:
        if count[box.title] > 1:
            number = seen[box.title]
            seen[box.title] += 1
            box.title = f"{box.title} · sample {number}"


def _mark(group: Group, value: Value) -> Mark:
    mark = group(value)
    assert mark is not None  # only asked of Values already known to be marked
    return mark


def _role(group: Group, value: Value) -> str | None:
    mark = group(value)
    if mark is None:
        return None
    # An output is the result of an op; a parameter is a leaf. Anything else is not what the mark says.
    if mark.role == "output" and value.parents:
        return "output"
    if mark.role == "parameter" and not value.parents:
        return "parameter"
    return None


def _owners(order: list[Value], collapse: str | None, group: Group) -> tuple[dict[Value, Value], set[Value]]:
    """For each Value folded into a module, the neuron output that stands for its module; and hidden parameters.

    Groups are keyed by the output node itself, not its name, so each forward
    call gets boxes of its own. A parameter used by several calls of its own
    neuron (every sample of a batch) belongs to all of them: it is hidden,
    returned in the second set, rather than drawn with an edge to every box.
    """
    if collapse is None:
        return {}, set()
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for parent in node.parents:
            consumers.setdefault(parent, []).append(node)
    owner: dict[Value, Value] = {}
    shared: set[Value] = set()
    for node in reversed(order):  # consumers first
        role = _role(group, node)
        if role == "output":
            owner[node] = node
            continue
        users = consumers.get(node, [])
        if not users or any(c not in owner for c in users):
            continue
        heads = {owner[c] for c in users}
        if role == "parameter":
            if all(_mark(group, h).path == _mark(group, node).path for h in heads):
                if len(heads) == 1:
                    owner[node] = heads.pop()
                else:
                    shared.add(node)
        elif node.parents and len(heads) == 1:
            owner[node] = heads.pop()
    # An op joins only if it works on the neuron's own values: an input's
    # preprocessing (x * 2 feeding one neuron) stays outside.
    for node in order:
        head = owner.get(node)
        if head is None or node is head or not node.parents:
            continue
        own = _mark(group, head).path
        if all(owner.get(p) is not head and not (p in shared and _mark(group, p).path == own) for p in node.parents):
            del owner[node]
    return (_layers(order, owner, group) if collapse == "layer" else owner), shared


def _layers(order: list[Value], owner: dict[Value, Value], group: Group) -> dict[Value, Value]:
    """Neurons merged into layer calls: same layer and reading the same inputs, or feeding the same next neuron."""
    leader = {head: head for head in owner.values()}

    def find(head: Value) -> Value:
        while leader[head] is not head:
            head = leader[head]
        return head

    def union(a: Value, b: Value) -> None:
        a, b = find(a), find(b)
        if a is not b:
            leader[b] = a

    first_reader: dict[tuple[tuple[str, ...], Value], Value] = {}
    first_feeder: dict[Value, Value] = {}
    for node in order:
        head = owner.get(node)
        if head is None:
            continue
        for parent in node.parents:
            if owner.get(parent) is head or _role(group, parent) == "parameter":
                continue
            layer = _mark(group, head).layer
            union(first_reader.setdefault((layer, parent), head), head)
            feeder = owner.get(parent)
            if feeder is not None and feeder is parent:
                # Every neuron of the previous layer call feeds this one.
                union(first_feeder.setdefault(head, feeder), feeder)
    # The box of a layer call is keyed by its first neuron's output, so its title and order are that neuron's.
    firsts: dict[Value, Value] = {}
    for head in leader:
        root = find(head)
        if root not in firsts or _mark(group, head).index < _mark(group, firsts[root]).index:
            firsts[root] = head
    return {node: firsts[find(head)] for node, head in owner.items()}
