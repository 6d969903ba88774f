"""Lesson 3: the chain rule as a sum over paths, and forward mode against reverse mode (seed 003, after colah)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=3,
    name="chain-rule-and-paths",
    title=Text(en="The chain rule and paths", ja="連鎖律と経路"),
    seed="003",
    expect=("6", "2", "5", "3.1", "6.2", "2.1", "6.51"),
    cells=(
        Text(
            en="""
Seed 003 (a blog post after colah's *Calculus on Computational Graphs*) uses one small graph throughout:

$$e = c \\cdot d, \\qquad c = a + b, \\qquad d = b + 1$$

With $a = 2$ and $b = 1$ the graph computes $e = 6$.
""",
            ja="""
シード 003（colah の *Calculus on Computational Graphs* をもとにしたブログ記事）は、最初から最後までひとつの小さな計算グラフを使って説明しています。

$$e = c \\cdot d, \\qquad c = a + b, \\qquad d = b + 1$$

$a = 2$, $b = 1$ とすると、計算グラフから $e = 6$ が求まります。
""",
        ),
        Code(
            """
a, b = Value(2.0, "a"), Value(1.0, "b")
c = a + b
c.label = "c"
d = b + 1
d.label = "d"
e = c * d
e.label = "e"
print(f"c = {c.data:g}, d = {d.data:g}, e = {e.data:g}")
scalargrad.draw_dot(e, lang=LANG)
"""
        ),
        Text(
            en="""
**Nodes joined directly.** $c = a + b$, so $\\partial c / \\partial a = 1$: if $a$ grows by 0.1, so does
$c$ ($a = 2.1$ gives $c = 3.1$). Each edge of the graph has such a **local derivative**; scalargrad keeps
them in `.partials`, one per input of a node.

**Nodes not joined directly.** $a$ reaches $e$ only through $c$. The **chain rule** says: the derivative
of the goal is the product of the local derivatives along the path. When there are several paths, add
the products of all of them:

$$\\frac{\\partial z}{\\partial x} = \\sum_{i=1}^{N} \\frac{\\partial z}{\\partial y_i} \\frac{\\partial y_i}{\\partial x}$$

From $a$ there is one path, $a \\to c \\to e$. From $b$ there are two, $b \\to c \\to e$ and $b \\to d \\to e$.
""",
            ja="""
**直接つながっているノード**　$c = a + b$ なので $\\partial c / \\partial a = 1$ です。$a$ が 0.1 増えると $c$ も 0.1 増えます（$a = 2.1$ なら $c = 3.1$）。計算グラフの辺にはそれぞれ、このような**局所的な微分**があります。scalargrad では、ノードの入力ごとの局所的な微分が `.partials` に入っています。

**直接つながっていないノード**　$a$ は $c$ を通ってしか $e$ に届きません。ここで使うのが**連鎖律**です。「ゴールの微分係数」は「経路上の局所的な微分の積」になります。経路が複数あるときは、すべての経路の積を足し合わせます。

$$\\frac{\\partial z}{\\partial x} = \\sum_{i=1}^{N} \\frac{\\partial z}{\\partial y_i} \\frac{\\partial y_i}{\\partial x}$$

$a$ から $e$ への経路は $a \\to c \\to e$ のひとつだけです。$b$ からは $b \\to c \\to e$ と $b \\to d \\to e$ のふたつがあります。
""",
        ),
        Code(
            """
print("c.partials =", c.partials, "  (dc/da, dc/db)")
print("d.partials =", d.partials, "        (dd/db)")
print("e.partials =", e.partials, "  (de/dc = d, de/dd = c)")

de_dc, de_dd = e.partials
dc_da, dc_db = c.partials
(dd_db,) = d.partials
print(f"de/da = {de_dc:g} * {dc_da:g} = {de_dc * dc_da:g}")
print(f"de/db = {de_dc:g} * {dc_db:g} + {de_dd:g} * {dd_db:g} = {de_dc * dc_db + de_dd * dd_db:g}")
"""
        ),
        Text(
            en="""
So $\\partial e / \\partial a = 2 \\cdot 1 = 2$ and $\\partial e / \\partial b = 2 \\cdot 1 + 3 \\cdot 1 = 5$.
Backpropagation finds the same numbers:
""",
            ja="""
$\\partial e / \\partial a = 2 \\cdot 1 = 2$、$\\partial e / \\partial b = 2 \\cdot 1 + 3 \\cdot 1 = 5$ です。逆伝播でも同じ値になります。
""",
        ),
        Code(
            """
e.backward()
print(f"de/da = {a.grad:g}, de/db = {b.grad:g}")
"""
        ),
        Text(
            en="""
What the numbers mean: if $a$ grows by 0.1, $e$ grows by about $2 \\times 0.1 = 0.2$; if $b$ grows by
0.1, $e$ grows by about $5 \\times 0.1 = 0.5$. Let us compute the graph again at the nudged inputs:
""",
            ja="""
この値の意味を確かめましょう。$a$ が 0.1 増えると $e$ はおよそ $2 \\times 0.1 = 0.2$ 増え、$b$ が 0.1 増えると $e$ はおよそ $5 \\times 0.1 = 0.5$ 増えるはずです。入力を少しずらして、もう一度計算してみます。
""",
        ),
        Code(
            """
def forward(a, b):
    c, d = a + b, b + 1
    return c, d, c * d


print("a = 2.1: c = {:g}, d = {:g}, e = {:g}".format(*forward(2.1, 1.0)))
print("b = 1.1: c = {:g}, d = {:g}, e = {:g}".format(*forward(2.0, 1.1)))
"""
        ),
        Text(
            en="""
$e$ goes from 6 to 6.2, and from 6 to 6.51. The second is 0.51, not 0.5, because a step of 0.1 is not
infinitely small: both $c$ and $d$ grew, and their product picked up an extra $0.1 \\times 0.1$. As the
step shrinks towards 0, the change divided by the step tends to 5.

**Factoring the paths.** Counting paths does not scale. Take a graph where $X$ reaches $Y$ along three
edges (local derivatives $\\alpha, \\beta, \\gamma$) and $Y$ reaches $Z$ along three more
($\\delta, \\varepsilon, \\zeta$). Summing over paths gives nine products,

$$\\frac{\\partial Z}{\\partial X} = \\alpha\\delta + \\alpha\\varepsilon + \\alpha\\zeta + \\beta\\delta + \\beta\\varepsilon + \\beta\\zeta + \\gamma\\delta + \\gamma\\varepsilon + \\gamma\\zeta,$$

and with every further stage the number of paths multiplies again. Factored, the same sum is
$(\\alpha + \\beta + \\gamma)(\\delta + \\varepsilon + \\zeta)$: add at each node, then multiply. Here it is
with $\\alpha, \\beta, \\gamma = 1, 2, 3$ and $\\delta, \\varepsilon, \\zeta = 4, 5, 6$:
""",
            ja="""
$e$ は 6 から 6.2 に、また 6 から 6.51 になりました。2つめが 0.5 ではなく 0.51 増えているのは、0.1 というずらし幅が無限に小さくはないからです。$c$ と $d$ の両方が増えたので、その積には $0.1 \\times 0.1$ の分が余分に加わります。ずらし幅を 0 に近づけていけば、増えた量をずらし幅で割った値は 5 に近づきます。

**因数分解による計算量の削減**　経路をひとつずつ数えるやり方は、すぐに行き詰まります。$X$ から $Y$ へ3本の辺（局所的な微分 $\\alpha, \\beta, \\gamma$）があり、$Y$ から $Z$ へさらに3本の辺（$\\delta, \\varepsilon, \\zeta$）があるグラフを考えます。経路ごとに足すと、9通りの積の和になります。

$$\\frac{\\partial Z}{\\partial X} = \\alpha\\delta + \\alpha\\varepsilon + \\alpha\\zeta + \\beta\\delta + \\beta\\varepsilon + \\beta\\zeta + \\gamma\\delta + \\gamma\\varepsilon + \\gamma\\zeta$$

段が増えるたびに、経路の数はさらに掛け算で増えていきます。これを因数分解すると $(\\alpha + \\beta + \\gamma)(\\delta + \\varepsilon + \\zeta)$ となり、各ノードで足してから掛ければ済みます。$\\alpha, \\beta, \\gamma = 1, 2, 3$、$\\delta, \\varepsilon, \\zeta = 4, 5, 6$ で確かめてみましょう。
""",
        ),
        Code(
            """
def stage(v, weights):
    # three edges from v to the next node, one local derivative each, summed there
    return scalargrad.sum([w * v for w in weights])


X = Value(1.0, "X")
Y = stage(X, (1, 2, 3))
Y.label = "Y"
Z = stage(Y, (4, 5, 6))
Z.label = "Z"
Z.backward()
paths = [p * q for p in (1, 2, 3) for q in (4, 5, 6)]
print(f"{len(paths)} paths: sum of products = {sum(paths)}")
print(f"factored: (1 + 2 + 3) * (4 + 5 + 6) = {(1 + 2 + 3) * (4 + 5 + 6)}")
print(f"backpropagation: dZ/dX = {X.grad:g}")
scalargrad.draw_dot(Z, lang=LANG)
"""
        ),
        Text(
            en="""
Backpropagation *is* the factored form: each node adds up what reaches it and passes the sum on, so it
visits every node once however many paths there are. Stack more stages and count:
""",
            ja="""
逆伝播がしているのは、まさにこの因数分解です。各ノードは届いた勾配を足し合わせてから先へ渡すので、経路がいくつあっても、ノードを1回ずつたどるだけで済みます。段を増やして数えてみましょう。
""",
        ),
        Code(
            """
for depth in (2, 10, 20):
    X = Value(1.0, "X")
    v = X
    for _ in range(depth):
        v = stage(v, (0.2, 0.3, 0.5))
    steps = len(list(scalargrad.backward_steps(v)))
    print(f"{depth:2d} stages: {3**depth:>13,} paths, {steps:3d} backward steps")
"""
        ),
        Text(
            en="""
**Two directions.** The chain rule can be applied in two orders.

- **Forward-mode differentiation** goes from the inputs to the output. Pick one input, say $b$, and
  carry $\\partial(\\text{node}) / \\partial b$ forward: each node adds up *local derivative × its input's
  derivative*. `forward_steps(e, {b: 1.0})` shows each step ($\\partial b / \\partial b = 1$ to start).
- **Reverse-mode differentiation** (backpropagation) goes from the output to the inputs, carrying
  $\\partial e / \\partial(\\text{node})$ backwards. `backward_steps(e)` shows each step.
""",
            ja="""
**伝播のふたつの向き**　連鎖律を使った微分には、計算する順番が2種類あります。

- **フォワードモード微分** は、入力から出力に向かって順番に計算します（シード 003 はこれも「順伝播」と呼んでいますが、この講座では、値を計算する順伝播と区別してフォワードモード微分と呼びます）。入力をひとつ、たとえば $b$ を選び、$\\partial(\\text{ノード}) / \\partial b$ を前へ運んでいきます。各ノードでは「局所的な微分 × 入力の微分」を足し合わせます。`forward_steps(e, {b: 1.0})` で1ステップずつ見られます（出発点は $\\partial b / \\partial b = 1$ です）。
- **逆伝播（リバースモード微分）** は、出力から入力に向かって逆の順番に計算します。バックプロパゲーションのことで、$\\partial e / \\partial(\\text{ノード})$ を後ろへ運びます。`backward_steps(e)` で1ステップずつ見られます。
""",
        ),
        Code(
            """
print("forward mode from b (one sweep):")
for step in scalargrad.forward_steps(e, {b: 1.0}):
    print("  " + step.describe())
print("forward mode from a (another sweep):")
for step in scalargrad.forward_steps(e, {a: 1.0}):
    print("  " + step.describe())
print("reverse mode from e (one sweep, both gradients):")
for step in scalargrad.backward_steps(e):
    print("  " + step.describe())
"""
        ),
        Text(
            en="""
The forward sweep from $b$ ends with $\\partial e / \\partial b = 5$, and gives $\\partial c / \\partial b$
and $\\partial d / \\partial b$ on the way, but it says nothing about $a$: that takes a second sweep, seeded at
$a$, which ends with 2. The single backward sweep from $e$ leaves both, 2 on $a$ and $5 = 2 + 3$ on $b$
(watch $b$'s gradient arrive in two pieces).

Step through both on the pages below (the buttons, or the arrow keys once you click in the page). Each
page is also a file of its own that any browser opens.
""",
            ja="""
$b$ からの順伝播は $\\partial e / \\partial b = 5$ で終わり、途中で $\\partial c / \\partial b$ と $\\partial d / \\partial b$ も求まります。しかし $a$ については何も分かりません。$a$ から始めるもう1回の順伝播が必要で、それは 2 で終わります。一方、$e$ からの1回の逆伝播では、$a$ の 2 と $b$ の $5 = 2 + 3$ が両方とも求まります（$b$ の勾配が2回に分けて届くところに注目してください）。

下のページで、両方を1ステップずつたどってみましょう（ボタンを押すか、ページをクリックしてから矢印キーを使います）。それぞれのページは単独のファイルにもなっていて、ブラウザで開けます。
""",
        ),
        Code(
            """
from html import escape
from pathlib import Path

from IPython.display import HTML


def show_page(path, height=820):
    \"\"\"Show a step-through page (a self-contained HTML file) inside the notebook.\"\"\"
    page = Path(path).read_text(encoding="utf-8")
    frame = f'<iframe srcdoc="{escape(page)}" width="100%" height="{height}" style="border: 1px solid #ccc"></iframe>'
    return HTML(f"<div>{frame}</div>")


show_page(scalargrad.animate_forward(e, "forward_b.html", {b: 1.0}, lang=LANG))
"""
        ),
        Code(
            """
show_page(scalargrad.animate_backward(e, "backward.html", lang=LANG))
"""
        ),
        Text(
            en="""
**Which costs less?** A forward sweep gives the derivatives with respect to **one input**: $n$ inputs
need $n$ sweeps. A backward sweep gives the derivatives of **one output** with respect to every input at
once. Training a network is the second case: one loss, thousands of weights. `jacobian` computes the same
matrix both ways, one forward sweep per input or one backward sweep per output; counting the node
visits for a function of 100 inputs shows the difference:
""",
            ja="""
**順伝播と逆伝播、どちらが速いか**　順伝播1回で求まるのは、**ひとつの入力**についての微分だけです。入力が $n$ 個なら $n$ 回必要です。逆伝播1回では、**ひとつの出力**のすべての入力についての微分がまとめて求まります。ニューラルネットワークの学習はまさにこちらの場合で、出力（損失）はひとつ、入力（重み）は何千もあります。`jacobian` は同じ行列を、入力ごとに順伝播1回、または出力ごとに逆伝播1回で計算します。入力が 100 個の関数で、ノードをたどる回数を数えてみましょう。
""",
        ),
        Code(
            """
print("forward:", scalargrad.jacobian(lambda a, b: (a + b) * (b + 1), [2.0, 1.0], mode="forward"))
print("reverse:", scalargrad.jacobian(lambda a, b: (a + b) * (b + 1), [2.0, 1.0], mode="reverse"))

n = 100
xs = [Value(0.01 * i, f"x{i}") for i in range(n)]
loss = scalargrad.sum([x * x for x in xs])  # one output, n inputs
forward_visits = sum(len(list(scalargrad.forward_steps(loss, {x: 1.0}))) for x in xs)
backward_visits = len(list(scalargrad.backward_steps(loss)))
print(f"{n} inputs: {n} forward sweeps, {forward_visits} steps; 1 backward sweep, {backward_visits} steps")
"""
        ),
        Text(
            en="""
With 100 inputs, reverse mode is 100 times faster; with 10,000 inputs, 10,000 times. The other way round,
one input and 10,000 outputs, forward mode wins by the same factor. This is why neural networks are
trained by backpropagation.

**Exercise.** Add a third term to the graph: $e_2 = (a + b)(b + 1) + ab$ at $a = 2$, $b = 1$. List the
paths from $a$ and from $b$ to $e_2$, add up their products, and put
$[\\partial e_2 / \\partial a, \\partial e_2 / \\partial b]$ in `answer`.
""",
            ja="""
入力が 100 個なら逆伝播は 100 倍速く、1万個なら1万倍速くなります。逆に、入力が1つで出力が1万個なら、同じ割合で順伝播のほうが速くなります。ニューラルネットワークの学習に逆伝播（バックプロパゲーション）が使われるのはこのためです。

**練習問題**　グラフに3つめの項を加えます。$e_2 = (a + b)(b + 1) + ab$ を $a = 2$, $b = 1$ で考えます。$a$ からと $b$ から $e_2$ への経路を書き出して、それぞれの積を足し合わせ、$[\\partial e_2 / \\partial a, \\partial e_2 / \\partial b]$ を `answer` に入れましょう。
""",
        ),
        Code(
            """
answer = ...  # [de2/da, de2/db]
check(answer, [3, 7])
"""
        ),
        Text(
            en="""
**Solution.** From $a$: through $c$, $d \\cdot 1 = 2$; through $ab$, $b = 1$; in all 3. From $b$: through
$c$, $2$; through $d$, $c \\cdot 1 = 3$; through $ab$, $a = 2$; in all 7. One backward sweep gives both;
forward mode needs one sweep each:
""",
            ja="""
**解答例**　$a$ からは、$c$ を通る経路が $d \\cdot 1 = 2$、$ab$ を通る経路が $b = 1$ で、合わせて 3 です。$b$ からは、$c$ を通る経路が 2、$d$ を通る経路が $c \\cdot 1 = 3$、$ab$ を通る経路が $a = 2$ で、合わせて 7 です。逆伝播なら1回で両方が求まり、順伝播ではそれぞれに1回ずつ必要です。
""",
        ),
        Code(
            """
a, b = Value(2.0, "a"), Value(1.0, "b")
e2 = (a + b) * (b + 1) + a * b
e2.label = "e2"
e2.backward()
answer = [a.grad, b.grad]
tangents = [list(scalargrad.forward_steps(e2, {x: 1.0}))[-1].tangent for x in (a, b)]
print(f"1 backward sweep: {answer}; 2 forward sweeps: {tangents}")
check(answer, [3, 7])
"""
        ),
    ),
)
