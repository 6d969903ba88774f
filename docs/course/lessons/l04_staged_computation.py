"""Lesson 4: staged computation, the sigmoid neuron and `+=` at branches (seed 000, CS231n)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=4,
    name="staged-computation",
    title=Text(en="Staged computation", ja="段階的な計算"),
    seed="000",
    expect=("0.73", "0.2", "1.0"),
    cells=(
        Text(
            en="""
Any differentiable function can be a gate, and where to cut an expression into gates is up to us. Seed 000
shows this on a neuron with two inputs and a sigmoid activation,

$$f(w, x) = \\frac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}},$$

built from the gates of lesson 2 and four more, each with a simple local gradient:

| gate | local gradient |
|---|---|
| $f(x) = 1/x$ | $-1/x^2$ |
| $f_c(x) = c + x$ | $1$ |
| $f(x) = e^x$ | $e^x$ |
| $f_a(x) = ax$ | $a$ |

In scalargrad, a plain number next to a Value makes exactly such a one-input gate: `1 + v` is the gate
`+1`, `v * -1` the gate `*-1`, `1 / v` the gate `1/x`. The notes' example uses $w = [2, -3, -3]$ and
$x = [-1, -2]$:
""",
            ja="""
微分できる関数なら何でもゲートにできますし、式をどこで区切ってゲートにするかは自由に決められます。シード 000 では、2つの入力とシグモイド活性化関数をもつニューロンでこのことを説明しています。

$$f(w, x) = \\frac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}}$$

第2回のゲートに加えて、局所的な勾配が簡単な次の4つのゲートを使います。

| ゲート | 局所的な勾配 |
|---|---|
| $f(x) = 1/x$ | $-1/x^2$ |
| $f_c(x) = c + x$ | $1$ |
| $f(x) = e^x$ | $e^x$ |
| $f_a(x) = ax$ | $a$ |

scalargrad では、`Value` とただの数値を組み合わせると、ちょうどこのような入力ひとつのゲートになります。`1 + v` は `+1` のゲート、`v * -1` は `*-1` のゲート、`1 / v` は `1/x` のゲートです。ノートの例では $w = [2, -3, -3]$、$x = [-1, -2]$ とします。
""",
        ),
        Code(
            """
w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")

dot = w0 * x0 + w1 * x1 + w2
dot.label = "dot"
f = 1 / (1 + (dot * -1).exp())
f.label = "f"
f.backward()
print(f"dot = {dot.data:.1f}, f = {f.data:.2f}")
scalargrad.draw_dot(f, style="circuit", fmt=".2f", lang=LANG)
"""
        ),
        Text(
            en="""
The last four gates ($\\times -1$, $\\exp$, $+1$, $1/x$) together are the **sigmoid function**
$\\sigma(x) = 1 / (1 + e^{-x})$. Its derivative simplifies surprisingly well:

$$\\frac{d\\sigma(x)}{dx} = \\frac{e^{-x}}{(1 + e^{-x})^2} = \\left(1 - \\sigma(x)\\right)\\sigma(x)$$

Here the sigmoid receives 1.0 and outputs 0.73, so its local gradient is simply
$(1 - 0.73) \\times 0.73 \\approx 0.2$: the same number the four gates passed back to the `dot` wire one
multiplication at a time.
""",
            ja="""
後ろの4つのゲート（$\\times -1$、$\\exp$、$+1$、$1/x$）をまとめたものが**シグモイド関数** $\\sigma(x) = 1 / (1 + e^{-x})$ です。その導関数は、驚くほど簡単な形に整理できます。

$$\\frac{d\\sigma(x)}{dx} = \\frac{e^{-x}}{(1 + e^{-x})^2} = \\left(1 - \\sigma(x)\\right)\\sigma(x)$$

この例では、シグモイドは 1.0 を受け取って 0.73 を出力しているので、局所的な勾配は $(1 - 0.73) \\times 0.73 \\approx 0.2$ となります。4つのゲートが1回ずつ掛け算をしながら `dot` の線まで返してきた値と同じです。
""",
        ),
        Code(
            """
print(f"sigmoid: input {dot.data:.1f}, output {f.data:.2f}")
print(f"local gradient (1 - {f.data:.2f}) * {f.data:.2f} = {(1 - f.data) * f.data:.1f}")
print(f"gradient on dot after the four gates: {dot.grad:.1f}  ({dot.grad:.4f})")
"""
        ),
        Text(
            en="""
So in practice we make the whole sigmoid **one gate**: one simple, efficient expression for its
gradient, and fewer numerical problems. scalargrad has it (`v.sigmoid()`), and `scalargrad.dot` makes
$w_0 x_0 + w_1 x_1 + w_2$ one gate too. The gradients are the same, from far fewer nodes:
""",
            ja="""
そこで実際には、シグモイド全体を**ひとつのゲート**にまとめます。勾配がひとつの簡単で効率のよい式で求まり、数値計算上の問題も起きにくくなります。scalargrad には `v.sigmoid()` があり、$w_0 x_0 + w_1 x_1 + w_2$ も `scalargrad.dot` でひとつのゲートにできます。ノードの数はずっと少なくなりますが、勾配は同じです。
""",
        ),
        Code(
            """
v0, v1, v2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
u0, u1 = Value(-1.0, "x0"), Value(-2.0, "x1")
neuron = scalargrad.dot([v0, v1], [u0, u1], v2).sigmoid()
neuron.label = "f"
neuron.backward()
print("gate by gate:", [round(p.grad, 4) for p in (w0, w1, w2, x0, x1)], len(list(scalargrad.backward_steps(f))), "steps")
print("one dot gate:", [round(p.grad, 4) for p in (v0, v1, v2, u0, u1)], len(list(scalargrad.backward_steps(neuron))), "steps")
scalargrad.draw_dot(neuron, style="circuit", fmt=".2f", lang=LANG)
"""
        ),
        Text(
            en="""
**Staged backpropagation.** The notes write the neuron's backward pass by hand, keeping the forward
pass's intermediate result in a variable (`dot` in the notes, `d` below) and computing, in reverse order,
a variable with its gradient (`ddot`), then `dw` and `dx`. With plain numbers:
""",
            ja="""
**段階的なバックプロパゲーション**　ノートでは、このニューロンの逆伝播を手で書いています。順伝播の途中の結果を変数（ノートでは `dot`、下のコードでは `d`）に取っておき、逆の順番に、その勾配を持つ変数（`ddot`）、それから `dw` と `dx` を計算します。普通の数値で書くと次のとおりです。
""",
        ),
        Code(
            """
w = [2, -3, -3]
x = [-1, -2]
# forward pass
d = w[0] * x[0] + w[1] * x[1] + w[2]
out = 1.0 / (1 + math.exp(-d))
# backward pass: the sigmoid's local gradient, then the multiply gates swap
ddot = (1 - out) * out
dx = [w[0] * ddot, w[1] * ddot]
dw = [x[0] * ddot, x[1] * ddot, 1.0 * ddot]
print("dw =", [round(g, 4) for g in dw], " dx =", [round(g, 4) for g in dx])
"""
        ),
        Text(
            en="""
**A staged computation.** The notes' second example is a function nobody needs, chosen because it is a
good workout:

$$f(x, y) = \\frac{x + \\sigma(y)}{\\sigma(x) + (x + y)^2} \\quad\\text{at } x = 3,\\ y = -4.$$

Differentiating it symbolically would give a huge expression. We never need that expression: we only
need to know how to *compute* the gradient. So we write the forward pass in stages, each a simple
expression whose local gradient we know, numbered (1) to (8) as in the notes:
""",
            ja="""
**段階計算**　ノートの2つめの例は、何の役にも立たない関数ですが、バックプロパゲーションの練習にはちょうどよいものです。

$$f(x, y) = \\frac{x + \\sigma(y)}{\\sigma(x) + (x + y)^2} \\quad (x = 3,\\ y = -4)$$

これを $x$ や $y$ で記号的に微分しようとすると、とても大きく複雑な式になります。しかし、そんな式は必要ありません。必要なのは勾配を**計算する方法**だけです。そこで、順伝播を段階に分けて書きます。どの段階も、局所的な勾配が分かっている簡単な式です。番号 (1)〜(8) はノートと同じです。
""",
        ),
        Code(
            """
x, y = Value(3.0, "x"), Value(-4.0, "y")
sigy = y.sigmoid()       # (1) sigmoid in the numerator
num = x + sigy           # (2) numerator
sigx = x.sigmoid()       # (3) sigmoid in the denominator
xpy = x + y              # (4)
xpysqr = xpy**2          # (5)
den = sigx + xpysqr      # (6) denominator
invden = 1 / den         # (7)
f = num * invden         # (8)
print(f"sigy = {sigy.data:.4f}, num = {num.data:.4f}, sigx = {sigx.data:.4f}, xpy = {xpy.data:g}")
print(f"xpysqr = {xpysqr.data:g}, den = {den.data:.4f}, invden = {invden.data:.4f}, f = {f.data:.4f}")
"""
        ),
        Text(
            en="""
Now the backward pass by hand: for every variable of the forward pass a variable holding its gradient
(`dnum` for `num`, and so on), computed in reverse order, each line *local gradient × gradient from
above*. The numbers on the right say which forward stage a line belongs to.

Watch `dx` and `dy`. The forward pass uses `x` three times (stages 2, 3, 4) and `y` twice (1, 4). Where a
variable branches out, the gradients coming back along the branches **add up**: the multivariable chain
rule, the sum over paths of lesson 3. So the later contributions use `+=`, not `=`.
""",
            ja="""
次は逆伝播を手で書きます。順伝播のそれぞれの変数に対して、その勾配を持つ変数（`num` に対して `dnum` など）を用意し、逆の順番に計算していきます。どの行も「局所的な勾配 × 上流から来た勾配」です。右側の番号は、その行が順伝播のどの段階に対応するかを示しています。

`dx` と `dy` に注目してください。順伝播では `x` を3回（段階 2, 3, 4）、`y` を2回（段階 1, 4）使っています。変数が分岐している場合、それぞれの枝から戻ってくる勾配は**足し合わされます**。多変数の連鎖律、つまり第3回で見た「経路の和」です。そのため、2回目以降は `=` ではなく `+=` を使います。
""",
        ),
        Code(
            """
# backward pass by hand, in reverse order
dnum = invden.data                              # (8) f = num * invden
dinvden = num.data                              # (8)
dden = (-1.0 / den.data**2) * dinvden           # (7) invden = 1 / den
dsigx = 1 * dden                                # (6) den = sigx + xpysqr
dxpysqr = 1 * dden                              # (6)
dxpy = (2 * xpy.data) * dxpysqr                 # (5) xpysqr = xpy**2
dx = 1 * dxpy                                   # (4) xpy = x + y
dy = 1 * dxpy                                   # (4)
dx += ((1 - sigx.data) * sigx.data) * dsigx     # (3) sigx = sigmoid(x)   note the +=
dx += 1 * dnum                                  # (2) num = x + sigy
dsigy = 1 * dnum                                # (2)
dy += ((1 - sigy.data) * sigy.data) * dsigy     # (1) sigy = sigmoid(y)
print(f"by hand:    dx = {dx:.4f}, dy = {dy:.4f}")

f.backward()
print(f"scalargrad: dx = {x.grad:.4f}, dy = {y.grad:.4f}")
"""
        ),
        Text(
            en="""
scalargrad does the same `+=` for every node. In the circuit drawing below (`names=locals()` writes each stage
with its variable's name), three wires leave `x`, each with its own share of the gradient, and the total is written under the name: $0.5121 - 0.03576 + 1.583 =
2.06$.
""",
            ja="""
scalargrad はすべてのノードで同じように `+=` をしています。下の回路図（`names=locals()` を渡すと、各段階が変数名付きで描かれます）では `x` から3本の線が出ていて、それぞれの線の下に勾配の取り分が書かれ、名前の下にその合計が書かれています。$0.5121 - 0.03576 + 1.583 = 2.06$ です。
""",
        ),
        Code(
            """
scalargrad.draw_dot(f, style="circuit", names=locals(), lang=LANG)  # names: each stage drawn with its variable's name
"""
        ),
        Text(
            en="""
**What goes wrong with `=`.** Write `=` at the branches instead, and each later line *overwrites* what
the earlier ones put there: `dx` keeps only the share from stage (2), `dy` only the one from stage (1).
Nothing fails; the numbers are just wrong. Central differences, $(f(x + h) - f(x - h)) / 2h$, tell us which
numbers are right (lesson 6 makes a habit of this):
""",
            ja="""
**`=` にすると何がまずいか**　分岐のところで `=` を使うと、あとの行が前の行の結果を**上書き**してしまいます。`dx` には段階 (2) からの分だけ、`dy` には段階 (1) からの分だけが残ります。エラーは出ません。ただ数値が間違っているだけです。どちらが正しいかは、数値微分（中心差分 $(f(x + h) - f(x - h)) / 2h$）で確かめられます（第6回でくわしく扱います）。
""",
        ),
        Code(
            """
# the same lines for dx and dy, with = at the branches
dx_wrong = 1 * dxpy                                # (4)
dy_wrong = 1 * dxpy                                # (4)
dx_wrong = ((1 - sigx.data) * sigx.data) * dsigx   # (3) overwrites the share from (4)
dx_wrong = 1 * dnum                                # (2) overwrites again
dy_wrong = ((1 - sigy.data) * sigy.data) * dsigy   # (1) overwrites the share from (4)


def staged(x, y):
    return (x + y.sigmoid()) / (x.sigmoid() + (x + y) ** 2)


numerical = scalargrad.engine.numerical_grad(staged, [3.0, -4.0])
print(f"with =:     dx = {dx_wrong:.4f}, dy = {dy_wrong:.4f}")
print(f"with +=:    dx = {dx:.4f}, dy = {dy:.4f}")
print(f"numerical:  dx = {numerical[0]:.4f}, dy = {numerical[1]:.4f}")
"""
        ),
        Text(
            en="""
**Exercise.** Back to the neuron with $w = [2, -3, -3]$, now with the input $x = [0, -1]$. Find its
output $f$ and the gradients on the three weights, by hand first (what is the sigmoid's input? its local
gradient?), then with scalargrad. Put `[f, dw0, dw1, dw2]` in `answer`.
""",
            ja="""
**練習問題**　$w = [2, -3, -3]$ のニューロンに戻って、今度は入力を $x = [0, -1]$ とします。出力 $f$ と、3つの重みの勾配を求めてください。まずは手で（シグモイドへの入力はいくつでしょう？ その局所的な勾配は？）、それから scalargrad で確かめます。`[f, dw0, dw1, dw2]` を `answer` に入れましょう。
""",
        ),
        Code(
            """
answer = ...  # [f, dw0, dw1, dw2]
check(answer, [0.5, 0, -0.25, 0.25])
"""
        ),
        Text(
            en="""
**Solution.** The sigmoid's input is $2 \\cdot 0 + (-3)(-1) - 3 = 0$, so $f = \\sigma(0) = 0.5$ and its
local gradient is $(1 - 0.5) \\cdot 0.5 = 0.25$. Each weight's gradient is its input times 0.25:
$0 \\cdot 0.25$, $-1 \\cdot 0.25$ and $1 \\cdot 0.25$ for the bias $w_2$.
""",
            ja="""
**解答例**　シグモイドへの入力は $2 \\cdot 0 + (-3)(-1) - 3 = 0$ なので、$f = \\sigma(0) = 0.5$、局所的な勾配は $(1 - 0.5) \\cdot 0.5 = 0.25$ です。各重みの勾配は、掛け合わされる入力に 0.25 を掛けたものです。$0 \\cdot 0.25$、$-1 \\cdot 0.25$、そしてバイアス $w_2$ は $1 \\cdot 0.25$ です。
""",
        ),
        Code(
            """
w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
x0, x1 = Value(0.0, "x0"), Value(-1.0, "x1")
f = (w0 * x0 + w1 * x1 + w2).sigmoid()
f.backward()
answer = [f, w0.grad, w1.grad, w2.grad]
check(answer, [0.5, 0, -0.25, 0.25])
"""
        ),
    ),
)
