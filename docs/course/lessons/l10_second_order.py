"""Lesson 10: beyond first order, derivatives of derivatives, Newton's method and a Hessian (seed 001, DeZero step 33)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=10,
    name="second-order",
    title=Text(en="Beyond first order: derivatives of derivatives", ja="2階微分へ：微分の微分"),
    seed="001",
    expect=("1.4545454545454546", "1.0"),
    cells=(
        Text(
            en="""
Seed 001 shows **automatic differentiation** with the function

$$f(x) = (\\sin(x)\\, x)^2 + x$$

Once the derivatives of sin, multiplication and addition are defined, the derivative of anything built
from them follows by backpropagation. By hand, with the chain rule,
$f'(x) = 2 x \\sin x \\,(\\sin x + x \\cos x) + 1$.

The derivative is itself a calculation built from sin, cos, multiplication and addition, so it too has a
computational graph, and it too can be differentiated: that gives the **second derivative** $f''$, the
curvature. `scalargrad.grad(f, [x], create_graph=True)` returns $f'(x)$ not as a number but as a `Value`
with a graph of its own, recorded while the backward pass ran. At $x = 1$:
""",
            ja="""
シード 001 は、次の関数で**自動微分**を説明しています。

$$f(x) = (\\sin(x)\\, x)^2 + x$$

sin 関数、掛け算、足し算の微分さえ定義しておけば、それらを組み合わせた関数の微分は、誤差逆伝播の要領で自動的に求まります。手で連鎖律を使って計算すると、$f'(x) = 2 x \\sin x \\,(\\sin x + x \\cos x) + 1$ です。

この導関数も、sin、cos、掛け算、足し算を組み合わせた計算です。ですから導関数にも計算グラフがあり、それをさらに微分できます。それが**2階微分** $f''$、つまり曲がり具合です。`scalargrad.grad(f, [x], create_graph=True)` は、$f'(x)$ を数値ではなく、それ自身の計算グラフをもつ `Value` として返します。このグラフは逆伝播の計算を記録したものです。$x = 1$ で計算してみましょう。
""",
        ),
        Code(
            """
from scalargrad import grad

x = Value(1.0, "x")
f = (x.sin() * x) ** 2 + x
(df,) = grad(f, [x], create_graph=True)  # f'(x), as a graph
df.label = "df/dx"
(ddf,) = grad(df, [x])  # the derivative of that: f''(x), a number

s, c = math.sin(1.0), math.cos(1.0)
print(f"f'(1)  = {df.data:.12f}   by hand: {2 * s * (s + c) + 1:.12f}")
print(f"f''(1) = {ddf:.12f}   by hand: {2 * (s + c) ** 2 + 2 * s * (2 * c - s):.12f}")
"""
        ),
        Text(
            en="""
The second derivative by hand takes a page of product rules:
$f''(x) = 2 (\\sin x + x \\cos x)^2 + 2 x \\sin x \\,(2 \\cos x - x \\sin x)$. Both agree to the last digits.

Here is the graph of $f'$ that `create_graph=True` built. Backpropagating through it (`df.backward()`)
puts $f''(1)$ into `x.grad`:
""",
            ja="""
2階微分を手で計算すると、積の微分を何度も使って $f''(x) = 2 (\\sin x + x \\cos x)^2 + 2 x \\sin x \\,(2 \\cos x - x \\sin x)$ となります。どちらも最後の桁まで一致しています。

`create_graph=True` が作った $f'$ の計算グラフを描いてみましょう。このグラフを逆伝播する（`df.backward()`）と、`x.grad` に $f''(1)$ が入ります。
""",
        ),
        Code(
            """
df.backward()
print(f"x.grad = {x.grad:.12f}")
scalargrad.draw_dot(df, lang=LANG)
"""
        ),
        Text(
            en="""
Read it from the left: `t1` $= \\sin x$ and `t2` $= \\sin(x)\\, x$ are the forward pass of $f$, reused.
Everything else is the backward pass, recorded as operations: `**1` and `*2` make the square's local
derivative $2t$, `cos` is the local derivative of sin, and the products and sums on the right are the chain
rule itself, upstream gradient times local derivative, added up where paths meet. (The square and the
`+ x` of $f$ itself are not needed for $f'$, so they are not drawn.)

**Newton's method.** To find a minimum of $f$, gradient descent steps downhill by a fixed fraction of the
slope. Newton's method also uses the curvature: it fits a parabola at the current $x$, with the same
$f'$ and $f''$, and jumps to the parabola's vertex (its lowest point when $f'' > 0$),

$$x \\leftarrow x - \\frac{f'(x)}{f''(x)}.$$

The classic example (step 33 of the DeZero book) is $y = x^4 - 2x^2$, starting at $x = 2$. Its minima are
at $x = \\pm 1$.
""",
            ja="""
左から読んでください。`t1` $= \\sin x$ と `t2` $= \\sin(x)\\, x$ は $f$ の順伝播で、それがそのまま使われています。それ以外はすべて逆伝播を演算として記録したものです。`**1` と `*2` で2乗の局所的な微分 $2t$ を作り、`cos` は sin の局所的な微分です。右側の掛け算と足し算は連鎖律そのもので、上流から伝わった勾配に局所的な微分を掛け、経路が合流するところで足し合わせています。（$f$ の最後の2乗と `+ x` は $f'$ の計算に必要ないので、描かれていません。）

**ニュートン法**　$f$ の最小値を探すとき、勾配降下法は傾きの一定の割合だけ坂を下ります。ニュートン法は曲がり具合も使います。いまの $x$ で $f'$ と $f''$ が同じになる放物線を当てはめ、その放物線の頂点へ一気に移るのです（$f'' > 0$ なら頂点は最も低い点です）。

$$x \\leftarrow x - \\frac{f'(x)}{f''(x)}$$

よく使われる例（『ゼロから作る Deep Learning ❸』のステップ33）は、$x = 2$ から始めて $y = x^4 - 2x^2$ の最小値を探すものです。最小値は $x = \\pm 1$ にあります。
""",
        ),
        Code(
            """
x = Value(2.0, "x")
newton = [x.data]
for i in range(10):
    print(i, x.data)
    y = x**4 - 2 * x**2
    (dy,) = grad(y, [x], create_graph=True)  # 4x^3 - 4x, a graph
    (ddy,) = grad(dy, [x])  # 12x^2 - 4, a number
    x = Value(x.data - dy.data / ddy, "x")
    newton.append(x.data)
"""
        ),
        Text(
            en="""
From step 7 on, $x$ is exactly 1.0. Gradient descent on the same function, with a learning rate of
0.01, needs a few hundred steps to get within $10^{-10}$ of 1:
""",
            ja="""
ステップ7からは、$x$ はちょうど 1.0 です。同じ関数で学習率 0.01 の勾配降下法を使うと、1 との差が $10^{-10}$ 以内になるまでに数百ステップかかります。
""",
        ),
        Code(
            """
import matplotlib.pyplot as plt
import numpy as np

x = Value(2.0, "x")
descent = [x.data]
while abs(x.data - 1.0) > 1e-10:
    y = x**4 - 2 * x**2
    y.backward()
    x = Value(x.data - 0.01 * x.grad, "x")
    descent.append(x.data)
print(f"gradient descent: {len(descent) - 1} steps,  Newton: {newton.index(1.0)} steps")

curve = np.linspace(-1.6, 2.1, 200)
plt.figure(figsize=(6, 3.5))
plt.plot(curve, curve**4 - 2 * curve**2, color="grey", label="y = x^4 - 2x^2")
for name, path, style in (("gradient descent", descent, "s"), ("Newton", newton[:8], "o")):
    path = np.array(path)
    plt.plot(path, path**4 - 2 * path**2, style + "-", ms=4, lw=0.8, label=f"{name} ({len(path) - 1} steps)")
plt.xlabel("x")
plt.ylim(-1.5, 8.5)
plt.legend()
plt.show()
"""
        ),
        Text(
            en="""
**The Hessian.** With several inputs, the second derivatives form a matrix, the **Hessian**:
$H_{ij} = \\partial^2 f / \\partial x_i \\partial x_j$. `scalargrad.hessian(f, [x0, x1, ...])` computes it by
differentiating each entry of the gradient again. We give seed 001's function a second variable,
$f(x, y) = (\\sin(x)\\, y)^2 + x$, whose Hessian by hand is

$$H = \\begin{pmatrix} 2 y^2 \\cos 2x & 2 y \\sin 2x \\\\ 2 y \\sin 2x & 2 \\sin^2 x \\end{pmatrix}$$
""",
            ja="""
**ヘッセ行列**　入力が複数あるときは、2階微分を並べると行列になります。これを**ヘッセ行列** $H_{ij} = \\partial^2 f / \\partial x_i \\partial x_j$ といいます。`scalargrad.hessian(f, [x0, x1, ...])` は、勾配の各成分をもう一度微分して、この行列を求めます。シード 001 の関数に変数をもうひとつ加えた $f(x, y) = (\\sin(x)\\, y)^2 + x$ を考えましょう。手で計算したヘッセ行列は次のとおりです。

$$H = \\begin{pmatrix} 2 y^2 \\cos 2x & 2 y \\sin 2x \\\\ 2 y \\sin 2x & 2 \\sin^2 x \\end{pmatrix}$$
""",
        ),
        Code(
            """
def f(x, y):
    return (x.sin() * y) ** 2 + x


H = scalargrad.hessian(f, [1.0, 2.0])
a, b = 1.0, 2.0
by_hand = [
    [2 * b**2 * math.cos(2 * a), 2 * b * math.sin(2 * a)],
    [2 * b * math.sin(2 * a), 2 * math.sin(a) ** 2],
]
for row, row_by_hand in zip(H, by_hand):
    print("  ".join(f"{h:+.12f}" for h in row), "   by hand:", "  ".join(f"{h:+.12f}" for h in row_by_hand))
print(f"largest difference: {max(abs(h - k) for r, s in zip(H, by_hand) for h, k in zip(r, s)):.1e}")
"""
        ),
        Text(
            en="""
The matrix is symmetric, as a Hessian of a smooth function is, and agrees with the formula to about
$10^{-15}$.

**Exercise.** Run Newton's method on $y = x^4 - 2x^2$ again, this time from $x = 0.3$. Where does it end
up? (Look at $f''$ there: what kind of point is it?)
""",
            ja="""
行列は対称で（なめらかな関数のヘッセ行列は対称です）、手計算の式と $10^{-15}$ 程度まで一致しています。

**練習問題**　$y = x^4 - 2x^2$ に、今度は $x = 0.3$ からニュートン法を使ってみましょう。$x$ はどこに行き着くでしょうか。（そこでの $f''$ も調べてみてください。どんな点でしょうか。）
""",
        ),
        Code(
            """
answer = ...  # where Newton's method ends, starting from x = 0.3
check(answer, 0.0)
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
x = Value(0.3, "x")
for i in range(10):
    y = x**4 - 2 * x**2
    (dy,) = grad(y, [x], create_graph=True)
    (ddy,) = grad(dy, [x])
    x = Value(x.data - dy.data / ddy, "x")
print(f"x = {x.data}, f''(x) = {ddy}")
answer = x.data
check(answer, 0.0)
"""
        ),
        Text(
            en="""
Newton's method ends at $x = 0$, where $f'' = -4 < 0$: a **local maximum**. It looks for a point where
$f' = 0$, and from $x = 0.3$, where the curve bends downwards, the nearest such point is the top of the hump
between the two minima. Gradient descent always moves downhill; Newton's method needs $f'' > 0$ to do so.
""",
            ja="""
ニュートン法は $x = 0$ に行き着きます。そこでは $f'' = -4 < 0$ なので、ここは**極大点**です。ニュートン法が探すのは $f' = 0$ となる点で、曲線が下に曲がっている $x = 0.3$ から見ると、いちばん近いのは2つの極小点のあいだの山の頂上なのです。勾配降下法はいつも坂を下りますが、ニュートン法が坂を下るのは $f'' > 0$ のときだけです。
""",
        ),
    ),
)
