"""Lesson 7: training, seed 002's five steps as a loop (moons, then digits with batched replay; seeds 002, 001, 004)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=7,
    name="training",
    title=Text(en="Training: the five steps of backpropagation", ja="学習：誤差逆伝播法の5つのステップ"),
    seed="002",
    expect=("100", "0.1"),
    cells=(
        Text(
            en="""
So far we have computed gradients. Now we use them: **training** changes the weights, step by step, so
that the loss goes down. Seed 002 writes the whole procedure as five steps. In its notation $x^{(k)}$ is
the output of layer $k$ (of $N$), $w^{(k)}$ the parameters used to compute layer $k+1$, $\\eta$ the
learning rate, and $\\partial^{(p)} w$ the derivative of the loss $L$ for training pattern $p$ with respect
to $w$:

1. **Step 1.** Prepare $P$ training pairs $(x'^{(p)}, t^{(p)})$ and choose $\\eta$.
2. **Step 2.** Put pattern $p$ into the first layer and compute the layers $k = 2, \\dots, N$ in order
   (the forward pass).
3. **Step 3.** Start from the derivative of the error between the output and $t^{(p)}$, and compute
   $\\partial^{(p)} x^{(k)}$ and $\\partial^{(p)} w^{(k)}$ for $k = N-1, \\dots, 1$ (the backward pass).
4. **Step 4.** Do steps 2 and 3 for several patterns, then update every weight by
   $\\Delta w^{(k)} = -\\eta \\sum_p \\partial^{(p)} w^{(k)}$.
5. **Step 5.** Stop after a maximum number of rounds, or once the error $E = \\sum_p L$ is small enough;
   otherwise go back to step 2.

In code, one round is four moves: **forward, zero the gradients, backward, update**. Why zero them?
`backward()` *adds* into `.grad` (the `+=` at branches). Within one round that adding is exactly the
$\\sum_p$ of step 4: all the patterns' losses meet in one loss, and one backward pass sums their
gradients. But the gradients of the previous round must not be added in, so they go back to 0 first.
""",
            ja="""
これまでは勾配を求めてきました。今回は、その勾配を使います。損失が小さくなるように重みを少しずつ変えていくことを**学習**といいます。シード 002 は、誤差逆伝播法による学習の手順を5つのステップにまとめています。記号はシードのとおりで、$x^{(k)}$ は $k$ 層目（全部で $N$ 層）の出力、$w^{(k)}$ は $k+1$ 層目の計算に使うパラメータ、$\\eta$ は学習率、$\\partial^{(p)} w$ は $p$ 番目の教師パターンに対する損失 $L$ の $w$ についての微分です。

1. **Step1**　教師パターンの組 $(x'^{(p)}, t^{(p)})$ を $P$ 個用意し、学習率 $\\eta$ を決める。
2. **Step2**　パターン $p$ を1層目に入れ、$k = 2, \\dots, N$ の順に各層の出力を計算する（順伝播）。
3. **Step3**　ネットワークの出力と $t^{(p)}$ との誤差の微分から始めて、$k = N-1, \\dots, 1$ の順に $\\partial^{(p)} x^{(k)}$ と $\\partial^{(p)} w^{(k)}$ を計算する（逆伝播）。
4. **Step4**　いくつかの $p$ について Step2 と Step3 を繰り返し、$\\Delta w^{(k)} = -\\eta \\sum_p \\partial^{(p)} w^{(k)}$ だけ重みを更新する。
5. **Step5**　繰り返し回数が上限に達したか、誤差 $E = \\sum_p L$ が十分小さくなったら終了する。そうでなければ Step2 に戻る。

コードにすると、1回の繰り返しは**順伝播、勾配を0に戻す、逆伝播、更新**の4つの動作になります。なぜ勾配を0に戻すのでしょうか。`backward()` は勾配を `.grad` に**足し込む**からです（順伝播で枝分かれした値の勾配が逆伝播で加算される、あの `+=` です）。1回の繰り返しの中では、この足し込みがちょうど Step4 の $\\sum_p$ になります。すべてのパターンの損失がひとつの損失にまとまっていて、1回の逆伝播でそれぞれの勾配が合計されるからです。ただし、前の繰り返しの勾配まで足してはいけないので、先に0に戻しておきます。
""",
        ),
        Text(
            en="""
**Step 1: the data.** The demo of micrograd (Andrej Karpathy's tiny autograd engine, where scalargrad
started): 100 points in two interleaving half-moons, with a little noise.
The two classes get the labels $-1$ and $+1$. The network is `MLP(2, [16, 16, 1])`: 2 inputs, two hidden
layers of 16 ReLU units, and one output, a **score** whose sign is the predicted class.
""",
            ja="""
**Step1：データ**　micrograd（Andrej Karpathy による小さな自動微分エンジンで、scalargrad の出発点です）のデモと同じ、2つの三日月が組み合わさった形の100個の点を使います（少しノイズが加えてあります）。2つのクラスのラベルは $-1$ と $+1$ です。ネットワークは `MLP(2, [16, 16, 1])` で、入力が2つ、ReLU を使う16ユニットの中間層が2つ、出力が1つです。出力は**スコア**で、その符号が予測したクラスを表します。
""",
        ),
        Code(
            """
from sklearn.datasets import make_moons

from scalargrad.losses import hinge_loss, l2_penalty
from scalargrad.nn import MLP

X, classes = make_moons(n_samples=100, noise=0.1, random_state=1337)
X = X.tolist()
y = [2 * int(c) - 1 for c in classes]  # classes 0 and 1 become labels -1 and +1

model = MLP(2, [16, 16, 1], seed=1337)
params = model.parameters()
print(len(X), "points,", len(params), "parameters")
"""
        ),
        Text(
            en="""
**The loss.** For a point with label $y$ and score $s$, the hinge loss $\\max(0, 1 - y s)$ is 0 when
the score has the right sign with a margin of at least 1, and grows linearly otherwise. We average it
over the points and add a small penalty $\\alpha \\sum w^2$ ($\\alpha = 10^{-4}$) that keeps the weights
small: micrograd's loss. The learning rate $\\eta$ falls from 1.0 to 0.1 over the run.

Here is the loop. Every line of it is one of the steps above:
""",
            ja="""
**損失関数**　ラベル $y$、スコア $s$ の点に対するヒンジ損失 $\\max(0, 1 - y s)$ は、スコアの符号が正しく、しかも1以上の余裕（マージン）があれば0で、そうでなければ直線的に大きくなります。これを全点で平均し、重みを小さく保つための小さなペナルティ $\\alpha \\sum w^2$（$\\alpha = 10^{-4}$）を加えます。micrograd と同じ損失です。学習率 $\\eta$ は、1.0 から 0.1 まで少しずつ下げていきます。

学習のループは次のとおりです。どの行も、上のステップのどれかに当たります。
""",
        ),
        Code(
            """
steps = 100
losses, accuracies = [], []
for k in range(steps):  # Step 5: at most `steps` rounds
    # Step 2: forward pass, for every point
    scores = [model(x) for x in X]
    loss = hinge_loss(scores, y) + l2_penalty(params, 1e-4)
    # zero the gradients: backward() adds into .grad
    for p in params:
        p.grad = 0.0
    # Step 3: backward pass, one sweep for all the points
    loss.backward()
    # Step 4: update, w <- w - eta * dL/dw
    eta = 1.0 - 0.9 * k / steps
    for p in params:
        p.data -= eta * p.grad
    accuracy = sum((s.data > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)
    losses.append(loss.data)
    accuracies.append(accuracy)
    if k % 10 == 0 or k == steps - 1:
        print(f"step {k:3d}   loss {loss.data:.4f}   accuracy {accuracy:.0%}")
    if loss.data < 0.01:  # Step 5: ... or stop once the error is small enough
        break
"""
        ),
        Text(
            en="""
The loss falls and the accuracy climbs to 100%. (The loss never reached 0.01, so the loop ran all its
rounds.) Two differences from seed 002 are only bookkeeping: the loss is the **mean** over the points
rather than the sum, which divides the step by $P$, and all 100 points are used in every round. Seed 004
calls a random part of the data used for one update a **mini-batch**; here the mini-batch is everything.

**Step 4 by the library.** `scalargrad.optim.SGD(params, lr)` does the same two loops:
`opt.zero_grad()` sets every `.grad` to 0 and `opt.step()` subtracts `lr * p.grad` from every `p.data`.

What did the network learn? We evaluate it on a grid of points, without building graphs
(`no_grad()`), and colour the plane by the sign of the score:
""",
            ja="""
損失が下がり、正解率は100%まで上がりました。（損失は 0.01 を下回らなかったので、ループは上限まで回りました。）シード 002 との違いは、数え方の違いにすぎません。損失は全点の和ではなく**平均**なので、更新の大きさが $1/P$ になります。また、毎回100点すべてを使っています。シード 004 は、1回の更新に使うためにデータから無作為に選んだ一部を**ミニバッチ**と呼びます。ここではデータ全体がミニバッチです。

**ライブラリによる Step4**　`scalargrad.optim.SGD(params, lr)` も同じ2つのループを行います。`opt.zero_grad()` がすべての `.grad` を0に戻し、`opt.step()` がすべての `p.data` から `lr * p.grad` を引きます。

ネットワークは何を学習したのでしょうか。格子状に並べた点でネットワークを評価し（計算グラフは作らないので `no_grad()` の中で）、スコアの符号で平面を塗り分けてみましょう。
""",
        ),
        Code(
            """
import matplotlib.pyplot as plt
import numpy as np

grid = np.linspace(-2.0, 3.0, 50)
gx, gy = np.meshgrid(grid, np.linspace(-1.5, 2.0, 50))
with scalargrad.no_grad():
    field = np.array([model([a, b]).data for a, b in zip(gx.ravel(), gy.ravel())]).reshape(gx.shape)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.contourf(gx, gy, field > 0, levels=1, colors=["#cfe0f3", "#f6d5c3"])
left.contour(gx, gy, field, levels=[0.0], colors="k", linewidths=1)
points = np.array(X)
left.scatter(points[:, 0], points[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
left.set_title("decision boundary (score = 0)")
right.plot(losses, label="loss")
right.plot(accuracies, label="accuracy")
right.set_xlabel("step")
right.set_ylim(0, 1.05)
right.legend()
right.set_title("training")
plt.show()
"""
        ),
        Text(
            en="""
**Handwritten digits.** Seeds 001 and 004 both train a two-layer network to read handwritten digits.
We use scikit-learn's 1,797 digits of 8×8 pixels (no download), scaled to $[0, 1]$; a fifth of them is
kept aside as a **test set** that the network never trains on. The network is `MLP(64, [32, 10])`: 64
pixels in, 32 ReLU units, and 10 scores $g_k$, one per digit. The loss is seed 001's: softmax
$h_k = e^{g_k} / \\sum_c e^{g_c}$ and cross-entropy $L = -\\sum_k y_k \\log h_k$, with $y$ the one-hot
row of the true digit.

Seed 001 derives the gradient at the output layer: $\\partial L / \\partial b_k = h_k - y_k$ for the
bias of output $k$ (and $\\partial L / \\partial w_{kj} = (h_k - y_k)\\, h^{(1)}_j$ for its weights, where
$h^{(1)}_j$ is hidden unit $j$'s output, not a probability). Before training, we check that on one digit:
""",
            ja="""
**手書き数字**　シード 001 とシード 004 は、どちらも2層のネットワークで手書き数字を認識しています。ここでは scikit-learn に付属している 8×8 ピクセルの数字画像 1,797 枚を使います（ダウンロードは不要です）。画素の値は $[0, 1]$ に直し、5分の1は学習に使わない**テストデータ**として取っておきます。ネットワークは `MLP(64, [32, 10])` で、64 個の画素を入力し、ReLU の中間層が32ユニット、出力は数字ごとのスコア $g_k$ が10個です。損失はシード 001 と同じで、ソフトマックス $h_k = e^{g_k} / \\sum_c e^{g_c}$ とクロスエントロピー $L = -\\sum_k y_k \\log h_k$ です（$y$ は正解の数字の one-hot 表現）。

シード 001 は出力層の勾配を導いています。出力 $k$ のバイアスについて $\\partial L / \\partial b_k = h_k - y_k$、重みについて $\\partial L / \\partial w_{kj} = (h_k - y_k)\\, h^{(1)}_j$ です（$h^{(1)}_j$ は中間層のユニット $j$ の出力で、確率ではありません）。学習の前に、1枚の画像で確かめておきましょう。
""",
        ),
        Code(
            """
import random

from sklearn.datasets import load_digits

from scalargrad.losses import cross_entropy, softmax
from scalargrad.train import one_hot

digits = load_digits()
images = (digits.data / 16.0).tolist()  # pixels 0..16 become 0..1
labels = digits.target.tolist()
order = list(range(len(images)))
random.Random(0).shuffle(order)
test, train = order[:360], order[360:]
print(len(train), "training digits,", len(test), "test digits")

net = MLP(64, [32, 10], seed=0)
i = train[0]
g = net(images[i])
loss = cross_entropy(g, labels[i])
net.zero_grad()
loss.backward()
h = [hk.data for hk in softmax(g)]
target = one_hot(labels[i], 10)
print(f"the digit is a {labels[i]}")
print(" k   dL/db_k    h_k - y_k")
for k, neuron in enumerate(net.layers[-1].neurons):
    print(f"{k:2d}  {neuron.b.grad:+.6f}  {h[k] - target[k]:+.6f}")
"""
        ),
        Text(
            en="""
The backward pass gives exactly $h_k - y_k$: small positive numbers for the wrong digits, and
$h_k - 1$, close to $-1$, for the right one.

**The batched replay.** Written as above, one update on a mini-batch of 100 digits builds 100 graphs of
the same shape, one per digit, and backpropagates through all of them. But the graph does not depend on
the digit, only the numbers in it do. `scalargrad.compile(loss, batch=[...])` records the graph of
**one** example, in which the leaves listed in `batch` (here the 64 pixels and the 10 targets) change
from example to example, and replays it over a whole batch at once with NumPy. The four moves stay:

- `tape.forward(columns)`: the forward pass, for every example (a column of numbers per batch leaf);
- zero the gradients;
- `tape.backward()`: the backward pass, adding into each weight's `.grad` the gradient of the **mean**
  loss over the batch;
- the update.

We compare one step both ways on the same 100 digits:
""",
            ja="""
逆伝播の結果は、ちょうど $h_k - y_k$ になっています。正解でない数字では小さな正の値、正解の数字では $h_k - 1$、つまり $-1$ に近い値です。

**バッチでの再実行（バッチリプレイ）**　上のように書くと、100枚のミニバッチで1回更新するたびに、同じ形の計算グラフを画像ごとに100個作り、そのすべてを逆伝播することになります。しかし計算グラフの形は画像によらず、変わるのは中の数値だけです。`scalargrad.compile(loss, batch=[...])` は、**1つ**の例の計算グラフを記録します。`batch` に挙げた葉（ここでは64個の画素と10個の教師データ）は例ごとに値が変わるものとして扱われ、記録したグラフをバッチ全体に対して NumPy でまとめて再実行します。4つの動作はそのまま残ります。

- `tape.forward(columns)`：すべての例についての順伝播（`batch` の葉1つにつき1列の数値）
- 勾配を0に戻す
- `tape.backward()`：逆伝播。バッチ全体の損失の**平均**の勾配を、各重みの `.grad` に足し込む
- 更新

同じ100枚について、1ステップを両方のやり方で計算して比べてみます。
""",
        ),
        Code(
            """
import time

x = [Value(0.0, f"x{j}") for j in range(64)]  # one digit's pixels: batch leaves
t = [Value(0.0, f"t{k}") for k in range(10)]  # its one-hot target: batch leaves
logits = net(x)
tape = scalargrad.compile(cross_entropy(logits, t), batch=[*x, *t])


def columns(chosen):
    \"\"\"One column per batch leaf: the 64 pixels, then the 10 one-hot targets, of the chosen digits.\"\"\"
    pixels = [[images[i][j] for i in chosen] for j in range(64)]
    targets = [[float(labels[i] == k) for i in chosen] for k in range(10)]
    return pixels + targets


batch = train[:100]
start = time.perf_counter()
loss = scalargrad.sum([cross_entropy(net(images[i]), labels[i]) for i in batch]) / len(batch)
net.zero_grad()
loss.backward()
eager_seconds = time.perf_counter() - start
eager = [p.grad for p in net.parameters()]

start = time.perf_counter()
batch_losses = tape.forward(columns(batch))
net.zero_grad()
tape.backward()
replay_seconds = time.perf_counter() - start

print(f"mean loss: {loss.data:.12f} (100 graphs)   {batch_losses.mean():.12f} (replay)")
print(f"largest difference in a gradient: {max(abs(a - p.grad) for a, p in zip(eager, net.parameters())):.1e}")
print(f"replay is {eager_seconds / replay_seconds:.0f} times faster")
"""
        ),
        Text(
            en="""
The same loss and the same gradients (to the last bits of a float), many times faster. Now we train
with seed 004's settings: mini-batches of 100 digits drawn in random order, learning rate 0.1, plain
SGD. One pass over the training digits is an **epoch**; after each, we measure the accuracy on the test
digits with the same tape (`tape.values(node)` gives a node's value for every example of the last pass).
""",
            ja="""
損失も勾配も同じで（浮動小数点数の最後の数ビットまで）、計算はずっと速くなりました。では、シード 004 と同じ設定で学習させましょう。ミニバッチは無作為な順に選んだ100枚、学習率は 0.1、更新は単純な SGD です。訓練データをひととおり使い切ることを1**エポック**といいます。エポックごとに、同じテープを使ってテストデータでの正解率を測ります（`tape.values(node)` は、直前の順伝播での各例のそのノードの値を返します）。
""",
        ),
        Code(
            """
from scalargrad.optim import SGD

batch_size, learning_rate, epochs = 100, 0.1, 30
print(f"batch_size = {batch_size}, learning_rate = {learning_rate}")
opt = SGD(net.parameters(), lr=learning_rate)
truth = np.array([labels[i] for i in test])


def test_accuracy():
    tape.forward(columns(test))
    scores = np.array([tape.values(g) for g in logits])  # 10 rows, one column per test digit
    return float(np.mean(scores.argmax(axis=0) == truth))


rng = random.Random(0)
batch_means, test_accuracies = [], [test_accuracy()]
print(f"epoch  0   test accuracy {test_accuracies[0]:.1%}")
for epoch in range(1, epochs + 1):
    rng.shuffle(train)
    for start in range(0, len(train) - batch_size + 1, batch_size):
        chosen = train[start : start + batch_size]  # the "several patterns" of Step 4: a mini-batch
        batch_losses = tape.forward(columns(chosen))  # Step 2: forward
        opt.zero_grad()  # zero the gradients
        tape.backward()  # Step 3: backward
        opt.step()  # Step 4: update
        batch_means.append(float(batch_losses.mean()))
    test_accuracies.append(test_accuracy())
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d}   loss {batch_means[-1]:.3f}   test accuracy {test_accuracies[-1]:.1%}")
"""
        ),
        Text(
            en="""
Before training, the network guesses: about one digit in ten is right, as in the first line of seed 004's
run. After 30 epochs (420 updates, a few seconds) more than nine test digits in ten are read correctly.
The loss of each mini-batch jumps around, since every batch holds different digits, but its trend is
down:
""",
            ja="""
学習前のネットワークは当てずっぽうで、正解はおよそ10枚に1枚です（シード 004 の実行結果の1行目と同じくらいです）。30エポック（420回の更新、数秒）の後には、テストデータの9割以上を正しく認識できるようになりました。ミニバッチごとの損失は、バッチごとに画像が違うので上下に揺れますが、全体としては下がっていきます。
""",
        ),
        Code(
            """
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
left.plot(np.arange(1, len(batch_means) + 1) / (len(batch_means) / epochs), batch_means, lw=0.8)
left.set_xlabel("epoch")
left.set_ylabel("mini-batch loss (cross-entropy)")
right.plot(range(epochs + 1), test_accuracies, marker="o", ms=3)
right.set_xlabel("epoch")
right.set_ylabel("test accuracy")
right.set_ylim(0, 1)
plt.show()
"""
        ),
        Text(
            en="""
**Exercise.** Seed 002's step 4 **sums** the gradients over the patterns, $\\Delta w = -\\eta \\sum_p
\\partial^{(p)} w$, but `tape.backward()` takes the **mean** over the batch, and we used `lr = 0.1` with
it. With a mini-batch of 100 digits, which learning rate $\\eta$ applied to the sum gives exactly the same
update? (`tape.backward(reduce="sum")` computes the sum, if you want to try.)
""",
            ja="""
**練習問題**　シード 002 の Step4 は、勾配をパターンについて**合計**します（$\\Delta w = -\\eta \\sum_p \\partial^{(p)} w$）。一方 `tape.backward()` はバッチの**平均**をとり、上ではそれに `lr = 0.1` を使いました。ミニバッチが100枚のとき、合計に対してどんな学習率 $\\eta$ を使えば、まったく同じ更新になるでしょうか。（試してみたければ、`tape.backward(reduce="sum")` が合計を計算します。）
""",
        ),
        Code(
            """
answer = ...  # the learning rate for the sum
check(answer, 0.001)
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
chosen = train[:100]
w = net.layers[0].neurons[0].w[10]  # any weight will do

tape.forward(columns(chosen))
net.zero_grad()
tape.backward()  # the mean
mean_grad = w.grad

tape.forward(columns(chosen))
net.zero_grad()
tape.backward(reduce="sum")  # the sum, 100 times larger
sum_grad = w.grad

answer = learning_rate * mean_grad / sum_grad  # eta * sum_grad == learning_rate * mean_grad
check(answer, 0.001)
"""
        ),
        Text(
            en="""
The sum over 100 digits is 100 times their mean, so the same step takes a rate 100 times smaller:
$\\eta = 0.1 / 100 = 0.001$.
""",
            ja="""
100枚についての合計は平均の100倍なので、同じ大きさの更新には100分の1の学習率が必要です。$\\eta = 0.1 / 100 = 0.001$ です。
""",
        ),
    ),
)
