"""Lesson 11: a convolution layer from scalar Values, its partials checked against seed 002's formulas."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=11,
    name="convolution",
    title=Text(
        en="Convolution: stride, padding and the partial derivatives", ja="畳み込み：ストライド、パディングと偏微分"
    ),
    seed="002",
    cells=(
        Text(
            en="""
A **convolution** layer slides a small filter along its input and computes, at each position, the weighted
sum of the inputs under it. Seed 002 gives its forward pass and its partial derivatives for $n$
dimensions. In one dimension, with its notation:

- the input $x_\\gamma$ has length $\\mu$; the filter $w_\\alpha$ has size $f$; $b$ is added to every output;
- the **stride** $s$ is how far the filter moves between two outputs;
- the **padding** $p$ adds $p$ positions at both ends, filled with a value the seed also calls $v$ (here 0,
  and we call it `pad`). The padded input is $x'_\\gamma = x_\\gamma$ for $0 \\le \\gamma < \\mu$, and the
  padding value for $-p \\le \\gamma < 0$ and $\\mu \\le \\gamma < \\mu + p$;
- the output has length $v = \\dfrac{\\mu + 2p - f}{s} + 1$ (when that is not a whole number, one either
  refuses or truncates; we truncate);
- each output is

$$y_\\beta = \\sum_{\\alpha} x'_\\gamma\\, w_\\alpha + b, \\qquad \\gamma = s\\beta + f - p - \\alpha - 1.$$

Note which input meets which weight: $\\alpha = 0$ meets the **last** position of the window,
$\\gamma = s\\beta + f - p - 1$, and $\\alpha = f - 1$ the first, $\\gamma = s\\beta - p$. The filter runs
backwards, as in the mathematical definition of convolution. (Most deep-learning libraries compute
cross-correlation instead, $\\gamma = s\\beta - p + \\alpha$: the same layer with the filter stored in reverse.)

We build it from scalar Values, with $\\mu = 7$, $f = 3$, $s = 2$, $p = 1$, so $v = (7 + 2 - 3)/2 + 1 = 4$.
The inputs are $x_\\gamma = \\gamma + 1$, so that each number tells where it came from.
""",
            ja="""
**畳み込み**層は、小さなフィルタを入力の上でずらしながら、各位置でフィルタの下にある入力の重み付き和を計算します。シード 002 は、$n$ 次元の畳み込み層について順伝播と偏導関数を与えています。1次元の場合を、シードの記号で書くと次のようになります。

- 入力 $x_\\gamma$ の長さは $\\mu$、フィルタ $w_\\alpha$ のサイズは $f$ です。$b$ はすべての出力に加えるしきい値です。
- **ストライド** $s$ は、出力1つごとにフィルタをずらす幅です。
- **パディング** $p$ は、入力の両端に $p$ 個ずつ値を付け足します。付け足す値をシードは $v$ と書いていますが（ここでは0）、出力の長さの $v$ と紛らわしいので、コードでは `pad` と呼びます。パディングした入力は、$0 \\le \\gamma < \\mu$ なら $x'_\\gamma = x_\\gamma$、$-p \\le \\gamma < 0$ と $\\mu \\le \\gamma < \\mu + p$ ではパディングの値です。
- 出力の長さは $v = \\dfrac{\\mu + 2p - f}{s} + 1$ です（整数にならないときは、許さないか、切り捨てて続けるかのどちらかです。ここでは切り捨てます）。
- 各出力は次の式で計算されます。

$$y_\\beta = \\sum_{\\alpha} x'_\\gamma\\, w_\\alpha + b, \\qquad \\gamma = s\\beta + f - p - \\alpha - 1$$

どの入力がどの重みと掛け合わされるかに注意してください。$\\alpha = 0$ はフィルタがかかる範囲の**最後**の位置 $\\gamma = s\\beta + f - p - 1$ と、$\\alpha = f - 1$ は最初の位置 $\\gamma = s\\beta - p$ と掛け合わされます。数学での畳み込みの定義と同じく、フィルタは逆向きにかかるのです。（多くの深層学習ライブラリは、代わりに相互相関 $\\gamma = s\\beta - p + \\alpha$ を計算します。これはフィルタを逆順に並べて持つだけで、同じ層です。）

スカラーの `Value` で組み立ててみましょう。$\\mu = 7$、$f = 3$、$s = 2$、$p = 1$ とすると、$v = (7 + 2 - 3)/2 + 1 = 4$ です。入力は $x_\\gamma = \\gamma + 1$ として、数値を見ればどこから来たかがわかるようにしておきます。
""",
        ),
        Code(
            """
mu, f, s, p = 7, 3, 2, 1
x = [Value(gamma + 1.0, f"x{gamma}") for gamma in range(mu)]
w = [Value(0.5, "w0"), Value(-1.0, "w1"), Value(2.0, "w2")]
b = Value(0.1, "b")
pad = Value(0.0, "pad")


def x_padded(gamma):
    \"\"\"x'_gamma: the input, or the padding value outside 0 <= gamma < mu.\"\"\"
    return x[gamma] if 0 <= gamma < mu else pad


def conv1d():
    v = (mu + 2 * p - f) // s + 1  # truncated when not a whole number
    y = []
    for beta in range(v):
        terms = [x_padded(s * beta + f - p - alpha - 1) * w[alpha] for alpha in range(f)]
        y.append(scalargrad.sum(terms) + b)
    return y


y = conv1d()
v = len(y)
print("v =", v)
for beta in range(v):
    window = [s * beta + f - p - alpha - 1 for alpha in range(f)]
    print(f"y{beta} = {y[beta].data:4.1f}   (gamma for alpha = 0, 1, 2: {window})")
"""
        ),
        Text(
            en="""
$y_0$ reads $x_1$ (with $w_0$), $x_0$ (with $w_1$) and the padding at $\\gamma = -1$ (with $w_2$). Its graph,
after a backward pass from $y_0$:
""",
            ja="""
$y_0$ は、$x_1$（$w_0$ と）、$x_0$（$w_1$ と）、そして $\\gamma = -1$ のパディング（$w_2$ と）を読んでいます。$y_0$ から逆伝播したあとの計算グラフを描いてみましょう。
""",
        ),
        Code(
            """
y[0].label = "y0"
y[0].backward()
scalargrad.draw_dot(y[0], style="circuit", lang=LANG)
"""
        ),
        Text(
            en="""
Each multiply gate sends back the *other* input: $\\partial y_0 / \\partial x_1 = w_0 = 0.5$,
$\\partial y_0 / \\partial w_0 = x_1 = 2$, and $\\partial y_0 / \\partial b = 1$.

**The partial derivatives.** Seed 002 writes them for every pair of an output $\\beta$ and an input
$\\gamma$ or a weight $\\alpha$:

$$\\frac{\\partial y_\\beta}{\\partial x_\\gamma} = \\begin{cases} w_\\alpha, & \\dfrac{\\gamma - f + p + 1}{s} \\le \\beta < \\dfrac{\\gamma + p + 1}{s} \\\\ 0, & \\text{otherwise} \\end{cases} \\qquad
\\frac{\\partial y_\\beta}{\\partial w_\\alpha} = \\begin{cases} x'_\\gamma, & \\dfrac{\\alpha - f + 1}{s} \\le \\beta < \\dfrac{\\mu + \\alpha - f + 2p + 1}{s} \\\\ 0, & \\text{otherwise} \\end{cases} \\qquad
\\frac{\\partial y_\\beta}{\\partial b} = 1$$

with $\\alpha$ and $\\gamma$ linked as in the forward pass, $\\gamma = s\\beta + f - p - \\alpha - 1$. The
condition on $\\beta$ says which outputs see input $\\gamma$ at all: those whose window contains it. We write
the formulas as functions, and compare them with what backpropagation gives, output by output
(`scalargrad.grad` returns the derivatives of one output with respect to a list of Values):
""",
            ja="""
掛け算のゲートは、それぞれ*もう一方*の入力を逆伝播します。$\\partial y_0 / \\partial x_1 = w_0 = 0.5$、$\\partial y_0 / \\partial w_0 = x_1 = 2$ で、$\\partial y_0 / \\partial b = 1$ です。

**偏微分**　シード 002 は、出力 $\\beta$ と入力 $\\gamma$ または重み $\\alpha$ のすべての組について、偏導関数を次のように書いています。

$$\\frac{\\partial y_\\beta}{\\partial x_\\gamma} = \\begin{cases} w_\\alpha, & \\dfrac{\\gamma - f + p + 1}{s} \\le \\beta < \\dfrac{\\gamma + p + 1}{s} \\\\ 0, & \\text{otherwise} \\end{cases} \\qquad \\frac{\\partial y_\\beta}{\\partial w_\\alpha} = \\begin{cases} x'_\\gamma, & \\dfrac{\\alpha - f + 1}{s} \\le \\beta < \\dfrac{\\mu + \\alpha - f + 2p + 1}{s} \\\\ 0, & \\text{otherwise} \\end{cases} \\qquad \\frac{\\partial y_\\beta}{\\partial b} = 1$$

ここで $\\alpha$ と $\\gamma$ は、順伝播と同じ $\\gamma = s\\beta + f - p - \\alpha - 1$ で結びついています。$\\beta$ についての条件は、入力 $\\gamma$ がそもそもどの出力に使われるか、つまりフィルタのかかる範囲に $\\gamma$ が入る出力はどれかを表しています。この式を関数として書き、逆伝播で求めた値と出力ごとに比べてみましょう（`scalargrad.grad` は、1つの出力の、`Value` のリストそれぞれについての微分を返します）。
""",
        ),
        Code(
            """
from scalargrad import grad


def dy_dx(beta, gamma):
    \"\"\"Seed 002: w_alpha if (gamma - f + p + 1)/s <= beta < (gamma + p + 1)/s, else 0.\"\"\"
    if (gamma - f + p + 1) / s <= beta < (gamma + p + 1) / s:
        return w[s * beta + f - p - gamma - 1].data
    return 0.0


def dy_dw(beta, alpha):
    \"\"\"Seed 002: x'_gamma if (alpha - f + 1)/s <= beta < (mu + alpha - f + 2p + 1)/s, else 0.\"\"\"
    if (alpha - f + 1) / s <= beta < (mu + alpha - f + 2 * p + 1) / s:
        return x_padded(s * beta + f - p - alpha - 1).data
    return 0.0


def row(numbers):
    return " ".join(f"{n:5g}" for n in numbers)


def row_names(*names):
    return " ".join(f"{name:>5}" for name in names)


agree = True
print("dy/dx by backprop:")
print("     ", row_names("x0", "x1", "x2", "x3", "x4", "x5", "x6"))
for beta in range(v):
    backprop = grad(y[beta], x)
    agree = agree and backprop == [dy_dx(beta, gamma) for gamma in range(mu)]
    print(f"y{beta}:  ", row(backprop))
print("dy/dw and dy/db by backprop:")
print("     ", row_names("w0", "w1", "w2", "b"))
for beta in range(v):
    backprop = grad(y[beta], [*w, b])
    agree = agree and backprop == [dy_dw(beta, alpha) for alpha in range(f)] + [1.0]
    print(f"y{beta}:  ", row(backprop))
print("backprop and seed 002's formulas agree, partial for partial:", agree)
"""
        ),
        Text(
            en="""
Every partial agrees with the formula, exactly. Read the first table: with stride 2, the window moves
two positions per output, so each row has the filter *reversed*, $(w_2, w_1, w_0) = (2, -1, 0.5)$, two
places further right than the row above; odd positions fall under two windows, even positions under one.
In the second table, $\\partial y_0 / \\partial w_2$ and $\\partial y_3 / \\partial w_0$ are 0 because the
weight meets the padding there, $x'_{-1} = x'_7 = 0$, not because of the "otherwise" case.

**A whole layer backwards.** In a network, a loss $L$ sits above the layer and sends back
$\\partial L / \\partial y_\\beta$ for each output. Seed 002's general rule (its section 2) then gives the
gradient of each input as a sum over the outputs that use it:

$$\\frac{\\partial L}{\\partial x_\\gamma} = \\sum_\\beta \\frac{\\partial L}{\\partial y_\\beta}\\, \\frac{\\partial y_\\beta}{\\partial x_\\gamma}$$

With an upstream gradient of, say, $(1, -1, 0.5, 2)$:
""",
            ja="""
すべての偏微分が式と完全に一致しました。1つ目の表を見てください。ストライドが2なので、出力が1つ進むたびにフィルタのかかる範囲は2つずつずれます。各行には*逆順*のフィルタ $(w_2, w_1, w_0) = (2, -1, 0.5)$ が、上の行より2つ右にずれて並んでいます。$\\gamma$ が奇数の位置は2つの範囲に含まれ、$\\gamma$ が偶数の位置は1つの範囲にだけ含まれます。2つ目の表で $\\partial y_0 / \\partial w_2$ と $\\partial y_3 / \\partial w_0$ が0なのは、そこで重みと掛け合わされるのがパディング $x'_{-1} = x'_7 = 0$ だからで、式の「それ以外」の場合に当たるからではありません。

**層全体の逆伝播**　ネットワークの中では、層の上に損失 $L$ があり、各出力について $\\partial L / \\partial y_\\beta$ が上流から伝わってきます。すると、シード 002 の一般的な式（2節）から、各入力の勾配は、その入力を使うすべての出力についての和になります。

$$\\frac{\\partial L}{\\partial x_\\gamma} = \\sum_\\beta \\frac{\\partial L}{\\partial y_\\beta}\\, \\frac{\\partial y_\\beta}{\\partial x_\\gamma}$$

上流からの勾配を、たとえば $(1, -1, 0.5, 2)$ として確かめてみます。
""",
        ),
        Code(
            """
upstream = [1.0, -1.0, 0.5, 2.0]  # dL/dy_beta
L = scalargrad.sum([g * y_beta for g, y_beta in zip(upstream, y)])
by_backprop = grad(L, x + w + [b])
by_formula = (
    [sum(upstream[beta] * dy_dx(beta, gamma) for beta in range(v)) for gamma in range(mu)]
    + [sum(upstream[beta] * dy_dw(beta, alpha) for beta in range(v)) for alpha in range(f)]
    + [sum(upstream)]
)
print("dL/dx, dL/dw, dL/db by backprop:", row(by_backprop))
print("                    by formula:", row(by_formula))
print("largest difference:", max(abs(a - c) for a, c in zip(by_backprop, by_formula)))
"""
        ),
        Text(
            en="""
**Two dimensions.** For an image, every index becomes a tuple, $\\gamma = (\\gamma_1, \\gamma_2)$, each
dimension $i$ has its own $\\mu_i, f_i, s_i, p_i$, the sum runs over every position $\\alpha$ of the filter,
and $\\gamma_i = s_i \\beta_i + f_i - p_i - \\alpha_i - 1$ in every dimension. A partial is nonzero only when
the condition on $\\beta_i$ holds **for all** $i$. Here is the same layer for any number of dimensions, with
the input and the filter as dictionaries from index tuples to Values, on a 5×4 input with a 3×2 filter,
strides (2, 1) and padding (1, 0):
""",
            ja="""
**2次元**　画像の場合は、添字がすべて組 $\\gamma = (\\gamma_1, \\gamma_2)$ になり、次元 $i$ ごとに $\\mu_i, f_i, s_i, p_i$ があります。和はフィルタのすべての位置 $\\alpha$ についてとり、どの次元でも $\\gamma_i = s_i \\beta_i + f_i - p_i - \\alpha_i - 1$ です。偏微分が0でないのは、$\\beta_i$ についての条件が **すべての** $i$ で成り立つときだけです。次元の数によらない形で同じ層を書いてみます。入力とフィルタは、添字の組から `Value` への辞書です。入力は 5×4、フィルタは 3×2、ストライドは (2, 1)、パディングは (1, 0) とします。
""",
        ),
        Code(
            """
import itertools
import random


def conv(x, mu, w, f, b, s, p, pad):
    \"\"\"Seed 002's convolution in len(mu) dimensions; x and w map index tuples to Values.\"\"\"
    n = len(mu)
    v = [(mu[i] + 2 * p[i] - f[i]) // s[i] + 1 for i in range(n)]
    y = {}
    for beta in itertools.product(*(range(v_i) for v_i in v)):
        terms = []
        for alpha in itertools.product(*(range(f_i) for f_i in f)):
            gamma = tuple(s[i] * beta[i] + f[i] - p[i] - alpha[i] - 1 for i in range(n))
            inside = all(0 <= gamma[i] < mu[i] for i in range(n))
            terms.append((x[gamma] if inside else pad) * w[alpha])
        y[beta] = scalargrad.sum(terms) + b
    return y


mu2, f2, s2, p2 = (5, 4), (3, 2), (2, 1), (1, 0)
rng = random.Random(0)
x2 = {g: Value(rng.uniform(-1, 1), f"x{g}") for g in itertools.product(range(mu2[0]), range(mu2[1]))}
w2 = {a: Value(rng.uniform(-1, 1), f"w{a}") for a in itertools.product(range(f2[0]), range(f2[1]))}
y2 = conv(x2, mu2, w2, f2, b, s2, p2, pad)


def dy2_dx(beta, gamma):
    \"\"\"Seed 002 in n dimensions: w_alpha if the condition on beta_i holds for all i, else 0.\"\"\"
    n = len(mu2)
    if all((gamma[i] - f2[i] + p2[i] + 1) / s2[i] <= beta[i] < (gamma[i] + p2[i] + 1) / s2[i] for i in range(n)):
        return w2[tuple(s2[i] * beta[i] + f2[i] - p2[i] - gamma[i] - 1 for i in range(n))].data
    return 0.0


checked = 0
for beta, y_beta in y2.items():
    for gamma, backprop in zip(x2, grad(y_beta, x2.values())):
        assert backprop == dy2_dx(beta, gamma), (beta, gamma)
        checked += 1
print(f"output shape {max(y2)[0] + 1}x{max(y2)[1] + 1}: all {checked} partials dy/dx agree with the formula")
"""
        ),
        Text(
            en="""
**Exercise.** Back to one dimension. Take $L = \\sum_\\beta y_\\beta$, the sum of the four outputs, so that
every upstream gradient $\\partial L / \\partial y_\\beta$ is 1. Using seed 002's formula (or by reading the
table above), what is $\\partial L / \\partial x_\\gamma$ for $\\gamma = 0, \\dots, 6$? Give a list of 7
numbers.
""",
            ja="""
**練習問題**　1次元に戻ります。4つの出力の和 $L = \\sum_\\beta y_\\beta$ を考えると、上流からの勾配 $\\partial L / \\partial y_\\beta$ はすべて1です。シード 002 の式を使って（または上の表を読んで）、$\\gamma = 0, \\dots, 6$ について $\\partial L / \\partial x_\\gamma$ を求めてください。7つの数値のリストで答えましょう。
""",
        ),
        Code(
            """
answer = ...  # [dL/dx0, dL/dx1, ..., dL/dx6]
check(answer, [-1.0, 2.5, -1.0, 2.5, -1.0, 2.5, -1.0])
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
answer = [sum(dy_dx(beta, gamma) for beta in range(v)) for gamma in range(mu)]
L = scalargrad.sum(y)
print("by backprop:", grad(L, x))
check(answer, [-1.0, 2.5, -1.0, 2.5, -1.0, 2.5, -1.0])
"""
        ),
        Text(
            en="""
Even positions sit under one window only, where they meet the middle weight $w_1 = -1$; odd positions sit
under two, meeting $w_0 + w_2 = 2.5$. Stride and filter size decide how often each input is used, and that
is exactly what the condition on $\\beta$ in seed 002's formula counts.
""",
            ja="""
$\\gamma$ が偶数の位置は1つの範囲にしか含まれず、そこで真ん中の重み $w_1 = -1$ と掛け合わされます。$\\gamma$ が奇数の位置は2つの範囲に含まれ、$w_0 + w_2 = 2.5$ と掛け合わされます。各入力が何回使われるかはストライドとフィルタのサイズで決まり、それを数えているのが、シード 002 の式の $\\beta$ についての条件なのです。
""",
        ),
    ),
)
