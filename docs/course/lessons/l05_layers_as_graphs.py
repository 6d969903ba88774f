"""Lesson 5: ReLU, Sigmoid, Affine and Softmax-with-Loss layers built from scalars (seed 004, 5.5-5.6)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=5,
    name="layers-as-graphs",
    title=Text(en="Layers as graphs of scalars", ja="スカラーの計算グラフとしてのレイヤ"),
    seed="004",
    expect=("-0.5", "0.3", "-0.8", "0.5", "0.01", "-0.01"),
    cells=(
        Text(
            en="""
Seed 004 (chapter 5 of *Deep Learning from Scratch*) implements a neural network as **layers**: classes
with a `forward()` that computes the output and a `backward(dout)` that takes the derivative coming from
upstream, `dout`, and returns the derivatives for the layer's inputs. Each layer's backward is a formula
derived by hand.

Here we build each layer from scalar `Value`s instead, let scalargrad backpropagate through it, and
compare with the seed's formula. To backpropagate a given `dout` (one number per output) into a layer,
backpropagate $\\sum_i \\text{dout}_i \\, y_i$: its gradient with respect to anything inside the layer is
$\\sum_i \\text{dout}_i \\, \\partial y_i / \\partial(\\cdot)$, exactly what `backward(dout)` computes.
""",
            ja="""
シード 004（『ゼロから作る Deep Learning』5章）では、ニューラルネットワークを**レイヤ**の組み合わせとして実装します。レイヤは、出力を計算する `forward()` と、上流から伝わってきた微分 `dout` を受け取ってレイヤへの入力についての微分を返す `backward(dout)` をもつクラスです。それぞれのレイヤの `backward` は、手で導いた式で書かれています。

ここでは、各レイヤをスカラーの `Value` で組み立て、scalargrad に逆伝播させて、シードの式と比べます。与えられた `dout`（出力ひとつにつき数値ひとつ）をレイヤに逆伝播させるには、$\\sum_i \\text{dout}_i \\, y_i$ から逆伝播させます。レイヤの中の変数についてのこの式の勾配は $\\sum_i \\text{dout}_i \\, \\partial y_i / \\partial(\\cdot)$ で、`backward(dout)` が計算するものとちょうど同じです。
""",
        ),
        Code(
            """
def backward_from(outputs, dout):
    \"\"\"Backpropagate the upstream derivatives dout (one per output) into the graph: a layer's backward(dout).\"\"\"
    scalargrad.sum([d * y for d, y in zip(dout, outputs)]).backward()
"""
        ),
        Text(
            en="""
**ReLU.** $y = x$ for $x > 0$ and $y = 0$ for $x \\le 0$, so $\\partial y / \\partial x$ is 1 or 0: where $x > 0$
the layer passes the upstream value on unchanged, elsewhere the backward pass stops there. The seed's
`Relu` keeps a `mask` (True where $x \\le 0$) and sets `dout[mask] = 0`. With the seed's input
`[[1.0, -0.5], [-2.0, 3.0]]` and an upstream `dout` of our choosing:
""",
            ja="""
**ReLU レイヤ**　$x > 0$ なら $y = x$、$x \\le 0$ なら $y = 0$ なので、$\\partial y / \\partial x$ は 1 か 0 です。$x$ が 0 より大きければ上流の値をそのまま下流に流し、0 以下なら逆伝播はそこでストップします。シードの `Relu` は `mask`（$x \\le 0$ の場所が True）を持っておき、`dout[mask] = 0` とします。シードの入力 `[[1.0, -0.5], [-2.0, 3.0]]` と、こちらで決めた上流の `dout` で確かめましょう。
""",
        ),
        Code(
            """
x = [[Value(1.0), Value(-0.5)], [Value(-2.0), Value(3.0)]]
y = [[v.relu() for v in row] for row in x]
dout = [[0.1, 0.2], [0.3, 0.4]]
backward_from([v for row in y for v in row], [d for row in dout for d in row])

mask = [[v.data <= 0 for v in row] for row in x]
formula = [[0.0 if m else d for m, d in zip(mrow, drow)] for mrow, drow in zip(mask, dout)]
print("x:      ", [[v.data for v in row] for row in x])
print("mask:   ", mask)
print("y:      ", [[v.data for v in row] for row in y])
print("dx:     ", [[v.grad for v in row] for row in x])
print("formula:", formula)
"""
        ),
        Text(
            en="""
**Sigmoid.** The seed draws $y = 1 / (1 + \\exp(-x))$ as four nodes, `×(-1)`, `exp`, `+` and `/`, and
backpropagates through them one at a time: `/` multiplies by $-y^2$, `+` passes the value on, `exp`
multiplies by $\\exp(-x)$, and `×(-1)` by $-1$. Together that is $\\frac{\\partial L}{\\partial y} y^2 \\exp(-x)$,
which simplifies to $\\frac{\\partial L}{\\partial y} \\, y(1 - y)$: the backward pass needs only the forward
pass's output $y$. scalargrad builds the same four nodes from the expression (`1 / x` is the `/` node), and
`backward_steps` shows each local derivative:
""",
            ja="""
**Sigmoid レイヤ**　シードでは $y = 1 / (1 + \\exp(-x))$ を `×(-1)`、`exp`、`+`、`/` の4つのノードで表し、ひとつずつ逆伝播させています。`/` では $-y^2$ を掛け、`+` ではそのまま流し、`exp` では $\\exp(-x)$ を掛け、`×(-1)` では $-1$ を掛けます。まとめると $\\frac{\\partial L}{\\partial y} y^2 \\exp(-x)$ で、これを整理すると $\\frac{\\partial L}{\\partial y} \\, y(1 - y)$ になります。逆伝播は順伝播の出力 $y$ だけで計算できるのです。scalargrad でも式から同じ4つのノードができます（`1 / x` が `/` のノードです）。`backward_steps` で各ノードの局所的な微分を見てみましょう。
""",
        ),
        Code(
            """
x = Value(0.5, "x")
y = 1 / (1 + (x * -1).exp())
y.label = "y"
for step in scalargrad.backward_steps(y):
    print(step.describe())
y.backward()
print(f"dy/dx = {x.grad:.6f}")
print(f"y (1 - y) = {y.data * (1 - y.data):.6f}")
print(f"the one sigmoid node: {x.sigmoid().partials[0]:.6f}")
"""
        ),
        Text(
            en="""
The first step's local derivative, $-0.3875$, is $-y^2$ with $y = 0.6225$; the third, $0.6065$, is
$\\exp(-0.5)$. Their product with the $-1$ of the last step is $y(1 - y) = 0.235$.

**Affine.** The layer computes $Y = X \\cdot W + B$. For one sample $X$ of shape (2,), weights $W$ of
shape (2, 3) and a bias $B$ of shape (3,), each output is a sum of products, $Y_j = \\sum_i X_i W_{ij} + B_j$:
one `dot` gate per output. The seed's backward formulas are

$$\\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\cdot W^T, \\qquad \\frac{\\partial L}{\\partial W} = X^T \\cdot \\frac{\\partial L}{\\partial Y}, \\qquad \\frac{\\partial L}{\\partial B} = \\frac{\\partial L}{\\partial Y}.$$

Written out for scalars they say $\\partial L / \\partial X_i = \\sum_j \\text{dout}_j W_{ij}$ (each $X_i$ feeds all
three outputs, so its gradients add up) and $\\partial L / \\partial W_{ij} = X_i \\, \\text{dout}_j$ (a multiply
gate swapping its inputs).
""",
            ja="""
最初のステップの局所的な微分 $-0.3875$ は、$y = 0.6225$ に対する $-y^2$ です。3つめの $0.6065$ は $\\exp(-0.5)$ です。最後のステップの $-1$ まで掛け合わせると $y(1 - y) = 0.235$ になります。

**Affine レイヤ**　Affine レイヤは $Y = X \\cdot W + B$ を計算します。形状 (2,) のデータ $X$ ひとつ、形状 (2, 3) の重み $W$、形状 (3,) のバイアス $B$ とすると、出力の各要素は積の和 $Y_j = \\sum_i X_i W_{ij} + B_j$ です。出力ひとつにつき `dot` のゲートがひとつになります。シードの逆伝播の式は次のとおりです。

$$\\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\cdot W^T, \\qquad \\frac{\\partial L}{\\partial W} = X^T \\cdot \\frac{\\partial L}{\\partial Y}, \\qquad \\frac{\\partial L}{\\partial B} = \\frac{\\partial L}{\\partial Y}$$

スカラーで書き下すと、$\\partial L / \\partial X_i = \\sum_j \\text{dout}_j W_{ij}$（$X_i$ は3つの出力すべてに使われるので、勾配が足し合わされます）、$\\partial L / \\partial W_{ij} = X_i \\, \\text{dout}_j$（乗算ゲートが入力を入れ替えたもの）となります。
""",
        ),
        Code(
            """
X = [Value(1.0, "x0"), Value(2.0, "x1")]
W = [[Value(0.1), Value(0.2), Value(0.3)], [Value(0.4), Value(0.5), Value(0.6)]]
B = [Value(0.1), Value(0.2), Value(0.3)]
Y = [scalargrad.dot([W[0][j], W[1][j]], X, B[j]) for j in range(3)]
dout = [1.0, -1.0, 0.5]
backward_from(Y, dout)

dX_formula = [sum(dout[j] * W[i][j].data for j in range(3)) for i in range(2)]  # dout . W^T
dW_formula = [[X[i].data * dout[j] for j in range(3)] for i in range(2)]  # X^T . dout
print("Y: ", [round(v.data, 6) for v in Y])
print("dX:", [round(v.grad, 6) for v in X], "  formula:", [round(g, 6) for g in dX_formula])
print("dW:", [[round(v.grad, 6) for v in row] for row in W], "  formula:", dW_formula)
print("dB:", [v.grad for v in B], "  formula:", dout)
"""
        ),
        Text(
            en="""
**Softmax-with-Loss.** The output layer turns scores $a_k$ into probabilities with the softmax,
$y_k = \\exp(a_k) / \\sum_i \\exp(a_i)$, and compares them with the one-hot label $t$ by the cross-entropy
error $L = -\\sum_k t_k \\log y_k$. The seed's appendix draws both as a graph of `exp`, a sum $S$, `/`, `log`,
`×` and `+` nodes, and shows that the backward pass comes out as simply $(y_1 - t_1, y_2 - t_2, y_3 - t_3)$:
the difference between the output and the label.

Its worked example: label $t = (0, 1, 0)$ and softmax output $y = (0.3, 0.2, 0.5)$. The seed gives the
softmax's output rather than its input, so we pick the scores $a_k = \\log y_k$, whose softmax is exactly
that $y$:
""",
            ja="""
**Softmax-with-Loss レイヤ**　出力層では、スコア $a_k$ をソフトマックス関数 $y_k = \\exp(a_k) / \\sum_i \\exp(a_i)$ で確率に変え、one-hot の教師ラベル $t$ と交差エントロピー誤差 $L = -\\sum_k t_k \\log y_k$ で比べます。シードの付録では、この2つを `exp`、和 $S$、`/`、`log`、`×`、`+` のノードからなる計算グラフで表し、逆伝播の結果が $(y_1 - t_1, y_2 - t_2, y_3 - t_3)$、つまり出力と教師ラベルの差というとても簡単な形になることを示しています。

シードの具体例は、教師ラベル $t = (0, 1, 0)$、Softmax レイヤの出力 $y = (0.3, 0.2, 0.5)$ です。シードが示しているのはソフトマックスの入力ではなく出力なので、ソフトマックスがちょうどこの $y$ になるスコア $a_k = \\log y_k$ を使います。
""",
        ),
        Code(
            """
def softmax_with_loss(a, t):
    \"\"\"Softmax, then cross-entropy error, node by node as in the seed's graph: returns (y, L).\"\"\"
    exps = [ak.exp() for ak in a]
    S = scalargrad.sum(exps)
    y = [e / S for e in exps]
    L = -scalargrad.sum([tk * yk.log() for tk, yk in zip(t, y)])
    S.label, L.label = "S", "L"
    for k, (e, yk) in enumerate(zip(exps, y), start=1):
        e.label, yk.label = f"exp(a{k})", f"y{k}"
    return y, L


t = [0, 1, 0]
a = [Value(math.log(p), f"a{k + 1}") for k, p in enumerate([0.3, 0.2, 0.5])]
y, L = softmax_with_loss(a, t)
L.backward()
print("y:     ", [round(yk.data, 6) for yk in y])
print("da:    ", [round(ak.grad, 6) for ak in a])
print("y - t: ", [round(yk.data - tk, 6) for yk, tk in zip(y, t)])
scalargrad.draw_dot(L, lang=LANG)
"""
        ),
        Text(
            en="""
(The small 0 and 1 on the edges into a `/` node say which operand each is, 0 the numerator and 1 the
denominator: for a division the order matters, for `+` and `*` it does not.)

The gradient is $(0.3, -0.8, 0.5)$: the network gave the right class only 20%, and a large error flows
back, from which the layers before learn a lot. In the seed's second example the output is already good,
$y = (0.01, 0.99, 0)$, and the error is small, $(0.01, -0.01, 0)$. A probability of exactly 0 would need a
score of $-\\infty$; a score of $-100$ gives $e^{-100} \\approx 4 \\times 10^{-44}$, which is 0 at any
precision we print. scalargrad's own `losses.cross_entropy` is one node with the same gradient:
""",
            ja="""
（`/` のノードに入る辺の小さな 0 と 1 は、どちらの被演算子かを示しています。0 が分子、1 が分母です。割り算では順番が意味を持ちますが、`+` や `*` では持ちません。）

勾配は $(0.3, -0.8, 0.5)$ です。正解ラベルの確率が 0.2（20%）しかなく、正しく認識できていないので、大きな誤差が逆伝播し、前のレイヤはそこから大きく学習します。シードの2つめの例では出力がすでによく、$y = (0.01, 0.99, 0)$ で、誤差は $(0.01, -0.01, 0)$ と小さくなります。確率をちょうど 0 にするにはスコアが $-\\infty$ でなければなりません。ここではスコアを $-100$ にします。$e^{-100} \\approx 4 \\times 10^{-44}$ なので、表示する桁ではどこまでいっても 0 です。scalargrad に用意されている `losses.cross_entropy` はこれをひとつのノードで計算し、勾配は同じになります。
""",
        ),
        Code(
            """
a = [Value(math.log(0.01), "a1"), Value(math.log(0.99), "a2"), Value(-100.0, "a3")]
y, L = softmax_with_loss(a, t)
L.backward()
print("y:     ", [round(yk.data, 6) for yk in y])
print("da:    ", [round(ak.grad, 6) for ak in a])

b = [Value(ak.data) for ak in a]
scalargrad.losses.cross_entropy(b, 1).backward()  # class index 1: t = (0, 1, 0)
print("one node:", [round(bk.grad, 6) for bk in b])
"""
        ),
        Text(
            en="""
**Exercise.** The batch version of the Affine layer (seed 5.6.2): two samples, $X$ of shape (2, 2), the
same $W$ and $B$ as above. The bias is added to *every* sample, so it is used twice: its gradient is the
sum of `dout` over the batch, which is the seed's `np.sum(dout, axis=0)`. With
$X = [[1, 2], [3, 4]]$ and $\\text{dout} = [[1, 0, -1], [0.5, 0.5, 0.5]]$, what are $\\partial L / \\partial B$
(three numbers) and $\\partial L / \\partial W_{00}$? Put the four numbers in `answer`:
`[dB0, dB1, dB2, dW00]`.
""",
            ja="""
**練習問題**　バッチ版の Affine レイヤ（シード 5.6.2）を考えます。データは2個で $X$ の形状は (2, 2)、$W$ と $B$ は上と同じです。バイアスは**それぞれの**データに加算されるので、2回使われます。その勾配は `dout` をバッチ全体で足し合わせたもので、シードの `np.sum(dout, axis=0)` がこれにあたります。$X = [[1, 2], [3, 4]]$、$\\text{dout} = [[1, 0, -1], [0.5, 0.5, 0.5]]$ のとき、$\\partial L / \\partial B$（3つの数）と $\\partial L / \\partial W_{00}$ はいくつでしょう。4つの数を `[dB0, dB1, dB2, dW00]` として `answer` に入れましょう。
""",
        ),
        Code(
            """
answer = ...  # [dB0, dB1, dB2, dW00]
check(answer, [1.5, 0.5, -0.5, 2.5])
"""
        ),
        Text(
            en="""
**Solution.** $\\partial L / \\partial B_j = 1 + 0.5,\\ 0 + 0.5,\\ -1 + 0.5$, and
$\\partial L / \\partial W_{00} = \\sum_n X_{n0} \\, \\text{dout}_{n0} = 1 \\cdot 1 + 3 \\cdot 0.5 = 2.5$ ($X^T \\cdot \\text{dout}$ again).
Built from scalars, with the bias Values shared by both samples:
""",
            ja="""
**解答例**　$\\partial L / \\partial B_j$ は $1 + 0.5$、$0 + 0.5$、$-1 + 0.5$ です。$\\partial L / \\partial W_{00} = \\sum_n X_{n0} \\, \\text{dout}_{n0} = 1 \\cdot 1 + 3 \\cdot 0.5 = 2.5$ で、これも $X^T \\cdot \\text{dout}$ です。スカラーで組み立てると、バイアスの `Value` は2つのデータで共有されます。
""",
        ),
        Code(
            """
W = [[Value(0.1), Value(0.2), Value(0.3)], [Value(0.4), Value(0.5), Value(0.6)]]
B = [Value(0.1), Value(0.2), Value(0.3)]
X = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
dout = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]
Y = [[scalargrad.dot([W[0][j], W[1][j]], xn, B[j]) for j in range(3)] for xn in X]
backward_from([v for row in Y for v in row], [d for row in dout for d in row])
answer = [B[0].grad, B[1].grad, B[2].grad, W[0][0].grad]
check(answer, [1.5, 0.5, -0.5, 2.5])
"""
        ),
    ),
)
