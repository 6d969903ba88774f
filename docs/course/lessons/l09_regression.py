"""Lesson 9: seed 001's report task, regression with a neural network (a noisy curve, an MLP, MSE, a report)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=9,
    name="regression",
    title=Text(
        en="The report task: regression with a neural network", ja="レポート課題：ニューラルネットワークによる回帰"
    ),
    seed="001",
    cells=(
        Text(
            en="""
Seed 001 ends with a report task: *use a neural network for regression (not classification).*
Classification picks one of a few classes; **regression** predicts a number. Two things change from the
digit classifier of lesson 7:

- the **output layer**: no softmax. One linear unit, whose value $\\hat y$ is the prediction itself;
- the **loss**: the squared error $(\\hat y - y)^2$ between prediction and target, averaged over the data
  (the mean squared error, MSE), instead of cross-entropy.

Everything else is as before: forward pass, zero the gradients, backward pass, update. Here is the task
done the way a learner would write the report: data, model, training, results, discussion.

### 1. Data

A curve the network does not know, $y = \\sin x$, seen only through noisy samples: $x$ drawn uniformly
from $[-\\pi, \\pi]$, and $y = \\sin x + \\varepsilon$ with Gaussian noise $\\varepsilon$ of standard
deviation $\\sigma = 0.1$. 64 points to train on, and 64 more, drawn the same way, as a test set.
""",
            ja="""
シード 001 は、最後にレポート課題を出しています。「ニューラルネットワークを用いて回帰を行え（識別ではない）」。識別（分類）はいくつかのクラスから1つを選ぶ問題で、**回帰**は数値を予測する問題です。第7回の手書き数字の識別と比べて、変わるのは次の2点です。

- **出力層**：ソフトマックス関数は使いません。出力は線形のユニット1つで、その値 $\\hat y$ がそのまま予測値です。
- **損失関数**：クロスエントロピーの代わりに、予測と正解の二乗誤差 $(\\hat y - y)^2$ をデータ全体で平均したもの（平均二乗誤差、MSE）を使います。

それ以外は同じで、順伝播、勾配を0に戻す、逆伝播、更新を繰り返します。以下では、学生がレポートを書くときの流れ（データ、モデル、学習、結果、考察）に沿って課題を解いてみます。

### 1. データ

ネットワークには知らされていない曲線 $y = \\sin x$ を、ノイズの乗ったサンプルを通してだけ見せます。$x$ は $[-\\pi, \\pi]$ から一様に選び、$y = \\sin x + \\varepsilon$ とします。$\\varepsilon$ は標準偏差 $\\sigma = 0.1$ のガウスノイズです。学習用に64点、同じ方法でテスト用にさらに64点を作ります。
""",
        ),
        Code(
            """
import random

import matplotlib.pyplot as plt
import numpy as np

rng = random.Random(0)
sigma = 0.1


def sample(n):
    \"\"\"n points x in [-pi, pi] (sorted) and y = sin(x) plus Gaussian noise.\"\"\"
    xs = sorted(rng.uniform(-math.pi, math.pi) for _ in range(n))
    return xs, [math.sin(x) + rng.gauss(0.0, sigma) for x in xs]


x_train, y_train = sample(64)
x_test, y_test = sample(64)
print(len(x_train), "training points,", len(x_test), "test points, noise sigma =", sigma)
"""
        ),
        Text(
            en="""
### 2. Model and loss

`MLP(1, [16, 16, 1], activation="tanh")`: one input $x$, two hidden layers of 16 tanh units, and a linear
output $\\hat y$. tanh makes the output a smooth curve; the linear last layer lets it take any value.

At the output, the squared error behaves like seed 001's softmax and cross-entropy. With
$L = \\frac{1}{2} (\\hat y - y)^2$ (the $\\frac12$ only rescales the learning rate), the gradient arriving
at the output is $\\partial L / \\partial \\hat y = \\hat y - y$: prediction minus target, the same form as
$h_k - y_k$. Here is the untrained network's graph for one point, $x = 1$, with one box per layer
(`collapse="layer"`) and the loss at the end. The box `layer3` is the output $\\hat y$:
""",
            ja="""
### 2. モデルと損失関数

`MLP(1, [16, 16, 1], activation="tanh")` を使います。入力は $x$ の1つ、中間層は tanh を使う16ユニットが2層、出力 $\\hat y$ は線形です。tanh によって出力はなめらかな曲線になり、最後の層が線形なので、出力はどんな値でもとれます。

出力での二乗誤差のふるまいは、シード 001 のソフトマックスとクロスエントロピーの組み合わせとよく似ています。$L = \\frac{1}{2} (\\hat y - y)^2$ とすると（$\\frac12$ は学習率の大きさが変わるだけです）、出力に届く勾配は $\\partial L / \\partial \\hat y = \\hat y - y$、つまり「予測 − 正解」で、$h_k - y_k$ と同じ形になります。学習前のネットワークで、1点 $x = 1$ についての計算グラフを描いてみます。層ごとに1つの箱にまとめ（`collapse="layer"`）、最後に損失をつけています。`layer3` の箱が出力 $\\hat y$ です。
""",
        ),
        Code(
            """
from scalargrad.nn import MLP

model = MLP(1, [16, 16, 1], activation="tanh", seed=0)

x, y = Value(1.0, "x"), Value(math.sin(1.0), "y")  # one point
y_hat = model([x])
error = y_hat - y
error.label = "error"
loss = 0.5 * error**2
loss.label = "L"
loss.backward()
print(f"dL/dy_hat = {y_hat.grad:.6f},  y_hat - y = {y_hat.data - y.data:.6f}")
scalargrad.draw_dot(loss, collapse="layer", lang=LANG)
"""
        ),
        Text(
            en="""
### 3. Training

The batched replay of lesson 7: the graph of one point's squared error $(\\hat y - y)^2$ is recorded once,
with $x$ and $y$ as batch leaves, and replayed over all 64 points; `tape.backward()` then gives the
gradient of their mean, the MSE. The update is Adam (`scalargrad.optim.Adam`), which adapts the step of
each parameter to the size of its gradients and converges faster than plain SGD here. 1000 steps, each on
the whole training set; every 10 steps we also measure the MSE on the test set (forward only).
""",
            ja="""
### 3. 学習

第7回のバッチリプレイを使います。1点の二乗誤差 $(\\hat y - y)^2$ の計算グラフを、$x$ と $y$ をバッチの葉として1度だけ記録し、64点すべてに対して再実行します。`tape.backward()` は、その平均、つまり MSE の勾配を求めます。更新には Adam（`scalargrad.optim.Adam`）を使います。Adam はパラメータごとに勾配の大きさに合わせて更新幅を調整するので、この問題では単純な SGD より速く収束します。毎回学習データ全体を使って1000ステップ更新し、10ステップごとにテストデータでの MSE も測ります（順伝播だけです）。
""",
        ),
        Code(
            """
from scalargrad.optim import Adam

x, y = Value(0.0, "x"), Value(0.0, "y")
y_hat = model([x])
tape = scalargrad.compile((y_hat - y) ** 2, batch=[x, y])
opt = Adam(model.parameters(), lr=0.01)

train_curve, test_curve = [], []
for step in range(1000):
    if step % 10 == 0:
        test_curve.append((step, float(tape.forward([x_test, y_test]).mean())))
    train_curve.append(float(tape.forward([x_train, y_train]).mean()))  # forward
    opt.zero_grad()  # zero the gradients
    tape.backward()  # backward: the gradient of the MSE
    opt.step()  # update
print(f"training MSE: {train_curve[0]:.3f} at the start, {train_curve[-1]:.4f} at step {len(train_curve) - 1}")
"""
        ),
        Text(
            en="""
### 4. Results

We measure the trained network on the training points, on the test points, and against the true curve
on a fine grid. For comparison, the true curve $\\sin x$ itself, scored on the same noisy points, shows
how small the MSE can usefully get: about $\\sigma^2 = 0.01$, the noise.
""",
            ja="""
### 4. 結果

学習したネットワークを、学習データ、テストデータ、そして細かい格子上の真の曲線で評価します。比較のため、真の曲線 $\\sin x$ そのものを同じノイズ入りの点で評価しておきます。これが MSE の意味のある下限の目安で、ノイズの分散 $\\sigma^2 = 0.01$ 程度です。
""",
        ),
        Code(
            """
def mse(xs, ys):
    \"\"\"The network's mean squared error on the points (xs, ys), by a forward pass of the tape.\"\"\"
    return float(tape.forward([xs, ys]).mean())


grid = np.linspace(-math.pi, math.pi, 201)
true_train = np.mean((np.sin(x_train) - np.array(y_train)) ** 2)
true_test = np.mean((np.sin(x_test) - np.array(y_test)) ** 2)
print("                      training   test")
print(f"the network           {mse(x_train, y_train):.4f}    {mse(x_test, y_test):.4f}")
print(f"the true curve sin x  {true_train:.4f}    {true_test:.4f}")
grid_mse = mse(grid, np.sin(grid))
fit = tape.values(y_hat)  # the network's predictions on the grid, from that last forward pass
print(f"the network against sin x on a grid: {grid_mse:.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.scatter(x_train, y_train, s=14, label="training points")
left.scatter(x_test, y_test, s=14, marker="x", label="test points")
left.plot(grid, np.sin(grid), color="grey", ls="--", label="sin x")
left.plot(grid, fit, color="k", label="network")
left.set_xlabel("x")
left.legend()
right.semilogy(train_curve, label="training MSE")
right.semilogy(*zip(*test_curve), label="test MSE")
right.axhline(sigma**2, color="grey", ls=":", label=r"$\\sigma^2$")
right.set_xlabel("step")
right.legend()
plt.show()
"""
        ),
        Text(
            en="""
### 5. Discussion

The network found the curve: its distance to $\\sin x$ (MSE 0.002 on the grid) is much smaller than the
noise it learned from ($\\sigma^2 = 0.01$). On the test points it scores about as well as the true curve
does (0.0137 against 0.0123); no model can do much better there, since the rest of the error is noise.

On the training points it scores *better* than the true curve: it has started to follow the noise of those
64 particular points, which does not help on new points. This is **overfitting**. The loss curves show it
mildly: the training MSE keeps creeping down, the test MSE does not. (The small regular spikes in both
curves are Adam's: now and then a step overshoots, and the next steps correct it.) More data, a smaller network or
fewer steps would reduce it; a report would try one of them.

**Exercise.** A number means little without something to compare it with. The simplest model ignores
$x$ and always predicts the mean $\\bar y$ of the training targets. What is its MSE on the training points?
(The network's $R^2 = 1 - \\mathrm{MSE} / \\mathrm{MSE}_{\\text{mean}}$ then says which fraction of the
spread of $y$ it explains.)
""",
            ja="""
### 5. 考察

ネットワークは曲線をとらえています。$\\sin x$ との差（格子上の MSE で 0.002）は、学習に使ったデータのノイズ（$\\sigma^2 = 0.01$）よりずっと小さくなっています。テストデータでは真の曲線とほぼ同じくらいの誤差で（0.0137 と 0.0123）、残りの誤差はノイズなので、どんなモデルでもこれより大きく良くすることはできません。

一方、学習データでは真の曲線より*小さい*誤差になっています。この64点に特有のノイズまで追いかけ始めているのです。これは新しい点では役に立ちません。これが**過学習**です。損失の曲線にも少し表れていて、学習データでの MSE は下がり続けますが、テストデータでの MSE は下がりません（どちらの曲線にも小さなとげが規則的に現れるのは Adam によるもので、ときどき一歩進みすぎては、次のステップで戻しています）。データを増やす、ネットワークを小さくする、更新の回数を減らすなどで抑えられます。レポートなら、どれかを試してみるところです。

**練習問題**　数値は、比べる相手がないとあまり意味がありません。いちばん単純なモデルは、$x$ を無視して、常に学習データの正解の平均 $\\bar y$ を予測するものです。このモデルの学習データでの MSE はいくつでしょうか。（ネットワークの $R^2 = 1 - \\mathrm{MSE} / \\mathrm{MSE}_{\\text{平均}}$ は、$y$ のばらつきのうちどれだけの割合をネットワークが説明できたかを表します。）
""",
        ),
        Code(
            """
answer = ...  # the MSE of always predicting the mean of y_train, on the training points
check(answer, 0.48706836743923504, tolerance=1e-6)
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
y_bar = sum(y_train) / len(y_train)
answer = sum((v - y_bar) ** 2 for v in y_train) / len(y_train)
print(f"MSE of the mean: {answer:.4f},  the network's R^2 = {1 - mse(x_train, y_train) / answer:.4f}")
check(answer, 0.48706836743923504, tolerance=1e-6)
"""
        ),
    ),
)
