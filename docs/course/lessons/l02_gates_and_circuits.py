"""Lesson 2: gates and circuits, the add, multiply and max gates (seed 000, CS231n)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=2,
    name="gates-and-circuits",
    title=Text(en="Gates and circuits", ja="ゲートと回路"),
    seed="000",
    expect=("-12", "-3", "4", "3", "-4", "-8.00", "2.00", "-4.00"),
    cells=(
        Text(
            en="""
Lesson 1 drew the shopping graphs of seed 004. This lesson follows seed 000, the CS231n notes on
backpropagation, which start small, with $f(x, y) = xy$. Its partial derivatives
are $\\partial f / \\partial x = y$ and $\\partial f / \\partial y = x$. At $x = 4$, $y = -3$ we get $f = -12$
and $\\partial f / \\partial x = -3$: if $x$ grows by a tiny amount $h$, $f$ *falls* by $3h$.

**The derivative of each variable tells how sensitive the whole expression is to that variable's value.**
""",
            ja="""
第1回ではシード 004 の買い物の計算グラフを描きました。今回はシード 000（CS231n のバックプロパゲーションの講義ノート）に沿って進めます。まずは簡単な $f(x, y) = xy$ から始めます。偏微分は $\\partial f / \\partial x = y$、$\\partial f / \\partial y = x$ です。$x = 4$, $y = -3$ なら $f = -12$ で、$\\partial f / \\partial x = -3$ となります。つまり $x$ をごくわずかな量 $h$ だけ増やすと、$f$ は $3h$ だけ**減る**ということです。

**各変数の微分は、その変数の値に対して式全体がどれだけ敏感かを教えてくれます。**
""",
        ),
        Code(
            """
x, y = Value(4.0, "x"), Value(-3.0, "y")
f = x * y
f.backward()
print(f"f = {f.data:g}, df/dx = {x.grad:g}, df/dy = {y.grad:g}")

h = 0.001  # nudge x a little: f changes by about df/dx * h
print(f"f(x + h) - f(x) = {(x.data + h) * y.data - f.data:.4f}")
"""
        ),
        Text(
            en="""
Each node of a graph is a **gate**: it takes a few inputs and computes two things on its own, without
knowing anything about the rest of the circuit: its output, and the **local gradient** of its output with
respect to each input. scalargrad keeps the local gradients of every node in `.partials`, one per input.
Three gates are everywhere in neural networks:

| gate | output | local gradients |
|---|---|---|
| add | $x + y$ | $1$ and $1$ |
| multiply | $xy$ | $y$ and $x$: the inputs swapped |
| max | $\\max(x, y)$ | $1$ for the larger input, $0$ for the other |
""",
            ja="""
計算グラフのノードひとつひとつを、ここでは**ゲート**と呼びます。ゲートはいくつかの入力を受け取ると、回路のほかの部分のことは何も知らないまま、自分だけでふたつのものを計算できます。出力の値と、各入力に対する出力の**局所的な勾配**です。scalargrad では、各ノードの局所的な勾配が入力ごとに `.partials` に入っています。ニューラルネットワークでいちばんよく使うのは次の3つのゲートです。

| ゲート | 出力 | 局所的な勾配 |
|---|---|---|
| 加算 | $x + y$ | $1$ と $1$ |
| 乗算 | $xy$ | $y$ と $x$（入力を入れ替えたもの） |
| max | $\\max(x, y)$ | 大きいほうの入力に $1$、もう一方に $0$ |
""",
        ),
        Code(
            """
print("add:", (x + y).partials)
print("multiply:", (x * y).partials)
print("max:", scalargrad.maximum(x, Value(2.0)).partials)
"""
        ),
        Text(
            en="""
The max gate at $x = 4$, $y = 2$ outputs 4, and it does not care about $y$: nudge $y$ a little and the
output stays 4, so the gradient on $y$ is 0. (At a tie, $x = y$, the notes' formula $\\mathbb{1}(x \\ge y)$
gives 1 to both inputs; scalargrad gives the whole gradient to the first one, so that what a gate sends
back never adds up to more than it received.)

**A circuit.** Now $f(x, y, z) = (x + y)z$ at $x = -2$, $y = 5$, $z = -4$. As in the notes, we split it in
two: $q = x + y$ and $f = qz$.
""",
            ja="""
$x = 4$, $y = 2$ の max ゲートの出力は 4 で、$y$ には左右されません。$y$ を少し動かしても出力は 4 のままなので、$y$ の勾配は 0 です。（$x = y$ のときは、講義ノートの式 $\\mathbb{1}(x \\ge y)$ では両方の入力に 1 が付きます。scalargrad では勾配をすべて最初の入力に渡します。ゲートが下流に返す勾配の合計が、受け取った勾配より大きくならないようにするためです。）

**回路**　次は $f(x, y, z) = (x + y)z$ を $x = -2$, $y = 5$, $z = -4$ で考えます。ノートと同じように、$q = x + y$ と $f = qz$ のふたつに分けます。
""",
        ),
        Code(
            """
x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
q = x + y
q.label = "q"
f = q * z
f.label = "f"
print(f"q = {q.data:g}, f = {f.data:g}")
"""
        ),
        Text(
            en="""
That was the forward pass. The backward pass goes the other way, gate by gate, starting from
$\\partial f / \\partial f = 1$. The notes write it by hand; here it is with plain numbers, each line one
local gradient times the gradient that came from above (the chain rule):
""",
            ja="""
ここまでが順伝播です。逆伝播は反対向きに、$\\partial f / \\partial f = 1$ から始めてゲートをひとつずつさかのぼります。ノートでは手で書いていますので、まずは普通の数値で同じことをしてみましょう。どの行も、局所的な勾配に上流から来た勾配を掛けているだけです（これが連鎖律です）。
""",
        ),
        Code(
            """
# backward through f = q * z: the multiply gate swaps its inputs
dfdz = q.data  # df/dz = q
dfdq = z.data  # df/dq = z
# backward through q = x + y: local gradient 1, times the gradient on q
dfdx = 1.0 * dfdq
dfdy = 1.0 * dfdq
print(f"by hand:    df/dx = {dfdx:g}, df/dy = {dfdy:g}, df/dz = {dfdz:g}")

f.backward()
print(f"scalargrad: df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}")
"""
        ),
        Text(
            en="""
The notes draw this as a **circuit**: the value of each wire above it, the gradient flowing back along it
below it. `draw_dot(f, style="circuit")` draws the same picture (the notes use green and red; scalargrad
uses blue and orange, which colour-blind readers can tell apart):
""",
            ja="""
ノートでは、これを**回路**として描いています。各線の上にその線の値を、下にその線を逆向きに流れる勾配を書きます。`draw_dot(f, style="circuit")` で同じ図が描けます（ノートでは緑と赤ですが、scalargrad では色覚の違いがあっても見分けやすい青とオレンジを使っています）。
""",
        ),
        Code(
            """
scalargrad.draw_dot(f, style="circuit", lang=LANG)
"""
        ),
        Text(
            en="""
Read it from right to left. The add gate computed 3 from its inputs $[-2, 5]$; its local gradient is $+1$
for both. During the backward pass it learns that the gradient on its output is $-4$: if we want $f$ to be
higher, $q$ should go *down*, with a force of 4. The add gate multiplies $-4$ by its local gradients, so
$x$ and $y$ both get $1 \\times (-4) = -4$. That is the effect we want: if $x$ and $y$ decrease, $q$
decreases, and since $z < 0$, $f$ goes up. Backpropagation is the gates telling each other, through the
gradient, whether their outputs should go up or down, and how strongly.

**Patterns in the backward flow.** The notes' figure for this uses
$f = 2\\,(xy + \\max(z, w))$ at $x = 3$, $y = -4$, $z = 2$, $w = -1$, drawn with two decimals:
""",
            ja="""
右から左へ読んでいきましょう。加算ゲートは入力 $[-2, 5]$ から 3 を計算しました。加算なので、局所的な勾配はどちらの入力に対しても $+1$ です。逆伝播のとき、このゲートは自分の出力の勾配が $-4$ であることを知ります。回路が「出力を大きくしたい」と思っているとすると、$q$ を**小さく**したい、しかもその強さは 4 だ、ということです。加算ゲートはこの $-4$ に局所的な勾配を掛けるので、$x$ にも $y$ にも $1 \\times (-4) = -4$ が伝わります。これは望みどおりの結果です。$x$ と $y$ が減れば $q$ が減り、$z < 0$ なので $f$ は増えます。逆伝播とは、ゲートどうしが勾配を通して「出力を上げてほしいか下げてほしいか、どれくらい強くか」を伝え合うことだと考えられます。

**逆伝播のパターン**　ノートの図では $f = 2\\,(xy + \\max(z, w))$ を $x = 3$, $y = -4$, $z = 2$, $w = -1$ で計算しています。ノートと同じく小数点以下2桁で描いてみます。
""",
        ),
        Code(
            """
x, y, z, w = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z"), Value(-1.0, "w")
xy = x * y
out = 2 * (xy + scalargrad.maximum(z, w))
out.label = "f"
out.backward()
print(f"df/dx = y * df/d(xy) = {y.data:.2f} * {xy.grad:.2f} = {x.grad:.2f}")
print(f"df/dz = {z.grad:.2f}, df/dw = {w.grad:.2f}")
scalargrad.draw_dot(out, style="circuit", fmt=".2f", lang=LANG)
"""
        ),
        Text(
            en="""
- The **add gate distributes** its gradient: whatever the values were, both inputs get the output's
  gradient unchanged, 2.00 here.
- The **max gate routes** its gradient: all of it, unchanged, goes to the input that was larger in the
  forward pass ($z$), and $w$ gets 0.
- The **multiply gate swaps** its inputs: each input's gradient is the *other* input's value times the
  output's gradient. The gradient on $x$ is $-4.00 \\times 2.00 = -8.00$.

One consequence of the swap: the gradient on a weight scales with its input. Multiply the data by 1000 and
the weight's gradient is 1000 times larger, which is one reason why preprocessing the data matters:
""",
            ja="""
- **加算ゲートは勾配を分配します**。順伝播での値が何であっても、出力の勾配をそのまま両方の入力に渡します。ここでは 2.00 です。
- **max ゲートは勾配の行き先を決めます**。勾配を変えずに、順伝播で大きかったほうの入力（$z$）にだけ渡し、$w$ の勾配は 0 のままです。
- **乗算ゲートは入力を入れ替えます**。各入力の勾配は、**もう一方**の入力の値に出力の勾配を掛けたものです。$x$ の勾配は $-4.00 \\times 2.00 = -8.00$ になります。

入れ替えから分かることがひとつあります。重みの勾配は、掛け合わされる入力の大きさに比例します。データを 1000 倍すると重みの勾配も 1000 倍になります。データの前処理が大切な理由のひとつです。
""",
        ),
        Code(
            """
for scale in (1, 1000):
    w, x = Value(0.5, "w"), Value(2.0 * scale, "x")
    (w * x).backward()
    print(f"x = {x.data:g}: gradient on w = {w.grad:g}")
"""
        ),
        Text(
            en="""
**Exercise.** A max gate followed by a multiply gate: $f = \\max(x, y) \\cdot z$ at $x = 4$, $y = 2$,
$z = -3$. Work out the three gradients with the gate rules first, on paper, then check with scalargrad.
Put them in `answer` as a list, `[df/dx, df/dy, df/dz]`.
""",
            ja="""
**練習問題**　max ゲートのあとに乗算ゲートがある回路 $f = \\max(x, y) \\cdot z$ を、$x = 4$, $y = 2$, $z = -3$ で考えます。まずゲートの規則を使って3つの勾配を紙の上で求め、それから scalargrad で確かめてください。答えはリスト `[df/dx, df/dy, df/dz]` にして `answer` に入れましょう。
""",
        ),
        Code(
            """
answer = ...  # [df/dx, df/dy, df/dz]
check(answer, [-3, 0, 4])
"""
        ),
        Text(
            en="""
**Solution.** The multiply gate swaps: the gradient on $\\max(x, y)$ is $z = -3$, and on $z$ it is
$\\max(4, 2) = 4$. The max gate routes the $-3$ to $x$, the larger input, and gives $y$ nothing.
""",
            ja="""
**解答例**　乗算ゲートは入力を入れ替えるので、$\\max(x, y)$ の勾配は $z = -3$、$z$ の勾配は $\\max(4, 2) = 4$ です。max ゲートはこの $-3$ を大きいほうの入力 $x$ に渡し、$y$ には何も渡しません。
""",
        ),
        Code(
            """
x, y, z = Value(4.0, "x"), Value(2.0, "y"), Value(-3.0, "z")
f = scalargrad.maximum(x, y) * z
f.label = "f"
f.backward()
answer = [x.grad, y.grad, z.grad]
check(answer, [-3, 0, 4])
scalargrad.draw_dot(f, style="circuit", lang=LANG)
"""
        ),
    ),
)
