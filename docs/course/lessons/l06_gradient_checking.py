"""Lesson 6: gradient checking, and the classic bugs of a hand-written backprop (seed 004, 5.7.3)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=6,
    name="gradient-checking",
    title=Text(en="Gradient checking and classic bugs", ja="勾配確認とよくあるバグ"),
    seed="004",
    expect=("2.2", "110", "200"),
    cells=(
        Text(
            en="""
There are two ways to get a gradient (seed 004, 5.7.3):

1. **numerical differentiation**: nudge each input and watch the output, $(f(x + h) - f(x - h)) / 2h$;
2. **analytic**: work out the derivative, which backpropagation does efficiently however many parameters
   there are.

The second is the one we train with. The first is slow (two evaluations of $f$ per input) but simple,
and hard to get wrong, so it is what we check the second against. Comparing the two, and confirming they
(almost) agree, is called **gradient checking**. `scalargrad.engine.numerical_grad(fn, point)` computes
central differences for a function of Values; on the apple shopping of lesson 1 it gives the seed's
numbers back:
""",
            ja="""
勾配を求める方法は2つあります（シード 004、5.7.3）。

1. **数値微分**で求める方法：入力を少しだけずらして出力の変化を見ます。$(f(x + h) - f(x - h)) / 2h$ です。
2. **解析的に**数式を解いて求める方法：誤差逆伝播法を使えば、パラメータがいくら多くても効率よく計算できます。

学習に使うのは2つめの方法です。1つめの方法は遅い（入力ひとつにつき $f$ を2回計算します）のですが、実装が簡単でミスが起きにくいので、2つめの方法の正しさを確認するのに使います。2つの結果を比べて、ほぼ一致することを確かめる作業を**勾配確認**といいます。`scalargrad.engine.numerical_grad(fn, point)` は、`Value` の関数について中心差分を計算します。第1回のりんごの買い物で試すと、シードの値がそのまま出てきます。
""",
        ),
        Code(
            """
from scalargrad.engine import numerical_grad


def price(apple, apple_num, tax):
    return apple * apple_num * tax


point = [100.0, 2.0, 1.1]
numerical = numerical_grad(price, point)
inputs = [Value(v) for v in point]
price(*inputs).backward()
for name, n, v in zip(("apple", "apple_num", "tax"), numerical, inputs):
    print(f"d price / d {name}: numerical {n:.4g}, backprop {v.grad:.4g}, difference {abs(n - v.grad):.1e}")
"""
        ),
        Text(
            en="""
**The seed's check.** The seed checks a two-layer network on three handwritten digits and prints, for each
parameter, the average absolute difference between the two gradients: `W1:4.6131484514530405e-10`,
`b1:2.555988176198426e-09`, and so on (different on every run: the weights are random). We do the same on
a small two-layer network built from scalars as in lesson 5, Affine, ReLU, Affine and Softmax-with-Loss,
with random weights from a fixed seed and the step $h = 10^{-4}$ the book's numerical gradient uses:
""",
            ja="""
**シードの勾配確認**　シードでは、手書き数字3枚について2層のニューラルネットワークの勾配確認を行い、パラメータごとに2つの勾配の差の絶対値の平均を表示しています。`W1:4.6131484514530405e-10`、`b1:2.555988176198426e-09` などです（重みがランダムなので、実行するたびに変わります）。ここでも同じことを、第5回のようにスカラーで組み立てた小さな2層ネットワーク（Affine、ReLU、Affine、Softmax-with-Loss）で行います。重みは乱数の種を固定して作り、ずらし幅は本の数値微分と同じ $h = 10^{-4}$ にします。
""",
        ),
        Code(
            """
import random

rng = random.Random(0)
shapes = {"W1": (4, 5), "b1": (1, 5), "W2": (5, 3), "b2": (1, 3)}
params = {key: [0.5 * rng.gauss(0, 1) for _ in range(rows * cols)] for key, (rows, cols) in shapes.items()}
x_batch = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(3)]  # 3 samples, 4 features
t_batch = [0, 2, 1]  # their classes


def network_loss(*flat):
    \"\"\"The network's mean loss on the batch, as a function of all its parameters, one Value each.\"\"\"
    it = iter(flat)
    W1 = [[next(it) for j in range(5)] for i in range(4)]
    b1 = [next(it) for j in range(5)]
    W2 = [[next(it) for j in range(3)] for i in range(5)]
    b2 = [next(it) for j in range(3)]
    losses = []
    for x, t in zip(x_batch, t_batch):
        hidden = [scalargrad.dot([W1[i][j] for i in range(4)], x, b1[j]).relu() for j in range(5)]  # Affine, ReLU
        scores = [scalargrad.dot([W2[i][j] for i in range(5)], hidden, b2[j]) for j in range(3)]  # Affine
        losses.append(scalargrad.losses.cross_entropy(scores, t))  # Softmax-with-Loss
    return scalargrad.sum(losses) / len(losses)


point = [v for key in shapes for v in params[key]]
leaves = [Value(v) for v in point]
network_loss(*leaves).backward()
grad_backprop = [v.grad for v in leaves]
grad_numerical = numerical_grad(network_loss, point, eps=1e-4)

start = 0
for key in shapes:
    n = len(params[key])
    diff = sum(abs(b - m) for b, m in zip(grad_backprop[start : start + n], grad_numerical[start : start + n])) / n
    print(key + ":" + str(diff))
    start += n
check(grad_backprop, grad_numerical, tolerance=1e-7)  # the set-up cell's check: every pair within 1e-7
"""
        ),
        Text(
            en="""
The same order of magnitude as the seed's: the gradients agree to about ten decimal places, so
backpropagation is right. (The last line uses this course's own `check`, made by the notebook's first
cell, `check = scalargrad.examples.checker(LANG)`, which the site does not show; it compares two lists of
numbers within a tolerance: a gradient check in miniature.) `scalargrad.gradcheck(fn, inputs)` does this check in one call, with a
tolerance; it returns True, or raises `GradcheckError` with a row per input when they disagree.

**A bug gradient checking catches.** A classic mistake is to let a plain number stand where a variable
belongs. Here is $x \\cdot \\sigma(x)$ with the sigmoid written by hand on `x.data`: the second use of $x$ is
cut out of the graph, so backpropagation sees only the first, and nothing else complains:
""",
            ja="""
シードと同じくらいの大きさです。2つの勾配は小数点以下10桁ほどまで一致しているので、誤差逆伝播法で求めた勾配は正しいといえます。（最後の行では、この講座の最初のセルにある `check` を使っています。2つの数値のリストが許容誤差の範囲で一致するかを調べる関数なので、これも小さな勾配確認です。）`scalargrad.gradcheck(fn, inputs)` を使うと、この確認を許容誤差つきで1回の呼び出しで行えます。一致すれば True を返し、一致しなければ入力ごとの行からなる表をつけて `GradcheckError` を送出します。

**勾配確認で見つかるバグ**　よくある間違いのひとつは、変数であるべきところにただの数値を使ってしまうことです。次の $x \\cdot \\sigma(x)$ では、シグモイドを `x.data` を使って手で書いています。2つめの $x$ は計算グラフから切り離されてしまうので、逆伝播には1つめしか見えません。しかも、ほかには何のエラーも出ません。
""",
        ),
        Code(
            """
print(scalargrad.gradcheck(network_loss, point))


def swish(x):
    return x * (1 / (1 + math.exp(-x.data)))  # bug: math.exp on a plain number leaves the graph


try:
    scalargrad.gradcheck(swish, [1.5])
except scalargrad.GradcheckError as error:
    print(error)
"""
        ),
        Text(
            en="""
The fix is to stay in the graph: `x * x.sigmoid()`. The rest of this lesson is three bugs that every
hand-written backpropagation meets sooner or later.

**Bug 1: `=` instead of `+=` at a branch.** When a node is used more than once, the gradients coming back
along its uses must be **added** (lessons 3 and 4). Replay scalargrad's backward steps, but *assign*
each contribution instead of adding it, and the last one wins:
""",
            ja="""
直し方は、計算グラフの中にとどまることです。`x * x.sigmoid()` と書きます。ここからは、誤差逆伝播法を手で実装すると遅かれ早かれ出会う3つのバグを見ていきます。

**バグ1：分岐で `+=` ではなく `=` を使う**　ノードが2回以上使われているときは、それぞれの使われ方から戻ってくる勾配を**足し合わせ**なければなりません（第3回、第4回）。scalargrad の逆伝播のステップをたどり直し、勾配を足すかわりに**代入**してみます。すると、最後に届いたものだけが残ります。
""",
        ),
        Code(
            """
def backward_with_assignment(root):
    \"\"\"scalargrad's backward steps replayed with = where the engine does +=.\"\"\"
    grads = {root: 1.0}
    for step in scalargrad.backward_steps(root):
        upstream = grads.get(step.node, 0.0)
        for update in step.updates:
            grads[update.parent] = upstream * update.local  # bug: should be +=
    return grads


a, b = Value(2.0, "a"), Value(1.0, "b")
e = (a + b) * (b + 1)
e.backward()
print(f"e = (a + b)(b + 1): with = de/db = {backward_with_assignment(e)[b]:g}, with += {b.grad:g}")
print(f"numerical: de/db = {numerical_grad(lambda a, b: (a + b) * (b + 1), [2.0, 1.0])[1]:.6g}")
x = Value(3.0, "x")
y = x + x
y.backward()
print(f"y = x + x:         with = dy/dx = {backward_with_assignment(y)[x]:g}, with += {x.grad:g}")
"""
        ),
        Text(
            en="""
**Bug 2: a recursive topological sort.** Backpropagation must visit each node after every node that uses
it: reverse topological order. The textbook way to find that order is a recursive depth-first search, one
Python call per level of the graph. Python allows about 1000 nested calls (`sys.getrecursionlimit()`), so
a graph deeper than that, a long chain of operations or a recurrent network unrolled over a long sequence,
crashes it with `RecursionError`. Here is a chain 100,000 multiplications deep:
""",
            ja="""
**バグ2：再帰によるトポロジカルソート**　逆伝播では、各ノードを、そのノードを使うすべてのノードのあとにたどらなければなりません。つまりトポロジカル順序の逆順です。この順序を求める教科書どおりの方法は、再帰を使った深さ優先探索で、グラフの深さ1段につき Python の関数呼び出しが1段深くなります。Python で入れ子にできる呼び出しは1000段ほど（`sys.getrecursionlimit()`）なので、それより深いグラフ、たとえば長く連なった演算や、長い系列に展開したリカレントネットワークでは `RecursionError` で止まってしまいます。10万回の掛け算が連なった計算グラフで試してみましょう。
""",
        ),
        Code(
            """
import sys

x = Value(1.0, "x")
y = x
for _ in range(100_000):
    y = y * 1.0001


def build_topo(v, topo, visited):
    \"\"\"The textbook recursive depth-first search: inputs before the nodes that use them.\"\"\"
    if v not in visited:
        visited.add(v)
        for parent in v.parents:
            build_topo(parent, topo, visited)
        topo.append(v)


try:
    build_topo(y, [], set())
except RecursionError as error:
    print(f"recursive: RecursionError ({error}); the limit is {sys.getrecursionlimit()}")
"""
        ),
        Text(
            en="""
The cure is to keep the search's to-do list in a list of our own instead of in Python's call stack.
scalargrad's search is written so (`scalargrad.engine.graph`), which is why its `backward()` has no depth
limit. A version of the same search without recursion:
""",
            ja="""
解決策は、探索の「やることリスト」を Python の呼び出しスタックではなく、自分で用意したリストに持つことです。scalargrad の探索はこのように書かれているので（`scalargrad.engine.graph`）、`backward()` にはグラフの深さの制限がありません。同じ探索を再帰なしで書くと次のようになります。
""",
        ),
        Code(
            """
def build_topo_iterative(root):
    \"\"\"The same order, with an explicit stack: (node, whether its inputs are done).\"\"\"
    topo, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            topo.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return topo


print(f"iterative: {len(build_topo_iterative(y)):,} nodes in order")
y.backward()
print(f"scalargrad: dy/dx = {x.grad:.6g}, and 1.0001**100000 = {1.0001**100_000:.6g}")
"""
        ),
        Text(
            en="""
**Bug 3: forgetting to zero the gradients.** `backward()` *adds* into the gradients of the leaves
(parameters and inputs); it does not overwrite them. That is what lets several losses feed the same
parameters, and what makes a parameter used in several places come out right. But it means a training
loop must reset the gradients to zero before every step (`optimizer.zero_grad()`, or `p.grad = 0.0`).
Forget it and each step uses the sum of all the gradients so far. Gradient descent on $(w - 3)^2$:
""",
            ja="""
**バグ3：勾配を0に戻し忘れる**　`backward()` は葉（パラメータや入力）の勾配に値を**足し込み**ます。上書きはしません。そのおかげで、複数の損失から同じパラメータに勾配を集めることができ、何か所かで使われるパラメータの勾配も正しくなります。しかしその分、学習のループでは毎ステップの前に勾配を0に戻さなければなりません（`optimizer.zero_grad()`、または `p.grad = 0.0`）。これを忘れると、各ステップでそれまでの勾配すべての合計を使ってしまいます。$(w - 3)^2$ を勾配降下法で最小化してみましょう。
""",
        ),
        Code(
            """
for zero_grad in (True, False):
    w = Value(0.0, "w")
    optimizer = scalargrad.optim.SGD([w], lr=0.1)
    path = []
    for step in range(20):
        if zero_grad:
            optimizer.zero_grad()
        loss = (w - 3) ** 2
        loss.backward()
        optimizer.step()
        path.append(w.data)
    print(f"zero_grad {'every step' if zero_grad else 'forgotten '}: w =", " ".join(f"{v:.2f}" for v in path[::2]))
"""
        ),
        Text(
            en="""
With the gradients zeroed, $w$ walks to 3. Without, the old gradients keep pushing long after $w$ has
passed 3, and it swings between 0 and 6 forever.

**Exercise.** No optimizer, no update: `w = Value(2.0)`, and three times in a loop
`loss = (w * 3 - 1) ** 2` followed by `loss.backward()`, never zeroing. What is `w.grad` at the end, and
what is the gradient of one loss, the number a single step should have used? Work it out by hand, then
run it. `answer = [w.grad after the loop, the gradient of one loss]`.
""",
            ja="""
勾配を0に戻していれば、$w$ は3に近づいていきます。戻し忘れると、$w$ が3を通り過ぎたあとも古い勾配が押し続け、0と6の間をいつまでも行ったり来たりします。

**練習問題**　最適化もパラメータの更新もしません。`w = Value(2.0)` として、ループの中で `loss = (w * 3 - 1) ** 2` と `loss.backward()` を3回くり返します。勾配は一度も0に戻しません。最後の `w.grad` はいくつでしょう。また、損失ひとつの勾配、つまり1ステップで使うべきだった値はいくつでしょう。まず手で計算してから、実行して確かめてください。`answer = [ループ後の w.grad, 損失ひとつの勾配]` です。
""",
        ),
        Code(
            """
answer = ...  # [w.grad after the loop, the gradient of one loss]
check(answer, [90, 30])
"""
        ),
        Text(
            en="""
**Solution.** $\\frac{d}{dw}(3w - 1)^2 = 2(3w - 1) \\cdot 3 = 2 \\cdot 5 \\cdot 3 = 30$ at $w = 2$, and three
backward passes add it three times: 90.
""",
            ja="""
**解答例**　$w = 2$ で $\\frac{d}{dw}(3w - 1)^2 = 2(3w - 1) \\cdot 3 = 2 \\cdot 5 \\cdot 3 = 30$ です。3回の逆伝播でこれが3回足されるので、90 になります。
""",
        ),
        Code(
            """
w = Value(2.0, "w")
for _ in range(3):
    loss = (w * 3 - 1) ** 2
    loss.backward()
(one,) = scalargrad.grad((w * 3 - 1) ** 2, [w])  # grad() reads and writes no .grad
answer = [w.grad, one]
check(answer, [90, 30])
"""
        ),
    ),
)
