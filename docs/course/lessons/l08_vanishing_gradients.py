"""Lesson 8: vanishing gradients, sigmoid' <= 0.25 through many layers, sigmoid against ReLU (seed 001)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=8,
    name="vanishing-gradients",
    title=Text(en="Vanishing gradients", ja="勾配消失"),
    seed="001",
    expect=("0.25",),
    cells=(
        Text(
            en="""
Seed 001 warns that a network that is easy to implement is not necessarily easy to train. Recall the
gradient of a hidden layer $l$ with sigmoid units (seed 001's notation: $g^l_j$ is unit $j$'s weighted sum,
$h^l_j = \\mathrm{sigmoid}(g^l_j)$ its output):

$$\\frac{\\partial L}{\\partial g^l_j} = \\sum_{k} \\left( \\frac{\\partial L}{\\partial g^{l+1}_k} w^{l+1}_{kj} \\right) (1 - h^l_j)\\, h^l_j$$

The gradient of layer $l$ is the gradient of layer $l+1$, already computed, times a weight and times the
sigmoid's derivative $(1 - h)\\, h$. Going back through the layers, these factors are **multiplied** together.
If they are smaller than 1, the product of many of them goes to 0, and the first layers get almost no
gradient: they cannot learn. This is the **vanishing gradient problem**.

How small is the sigmoid's derivative? At $x = 0$, $h = 0.5$:
""",
            ja="""
シード 001 は、「実装が簡単」なことと「学習が簡単」なことは違う、と注意しています。シグモイド関数を使う中間層 $l$ の勾配を思い出しましょう（記号はシード 001 のもので、$g^l_j$ はユニット $j$ の重み付き和、$h^l_j = \\mathrm{sigmoid}(g^l_j)$ はその出力です）。

$$\\frac{\\partial L}{\\partial g^l_j} = \\sum_{k} \\left( \\frac{\\partial L}{\\partial g^{l+1}_k} w^{l+1}_{kj} \\right) (1 - h^l_j)\\, h^l_j$$

$l$ 層の勾配は、計算済みの $l+1$ 層の勾配に、重みとシグモイド関数の微分 $(1 - h)\\, h$ を掛けたものです。層をさかのぼるたびに、これらの因子が次々に**掛け合わされて**いきます。因子が1より小さいと、何度も掛けるうちに積は0に近づき、入力に近い層にはほとんど勾配が届かなくなります。勾配が0になると学習は進みません。これが**勾配消失問題**です。

シグモイド関数の微分はどのくらいの大きさでしょうか。$x = 0$ では $h = 0.5$ です。
""",
        ),
        Code(
            """
x = Value(0.0, "x")
h = x.sigmoid()
h.backward()
print(f"h = {h.data:g}, dh/dx = {x.grad:g}, (1 - h) h = {(1 - h.data) * h.data:g}")
"""
        ),
        Text(
            en="""
$0.5 \\times 0.5 = 0.25$, and this is the largest the derivative ever gets. We let scalargrad compute it
(one backward pass per point) from $-6$ to $6$, with ReLU's derivative for comparison: 1 where the input is
positive, 0 elsewhere (seed 004).
""",
            ja="""
$0.5 \\times 0.5 = 0.25$ で、これがシグモイド関数の微分の最大値です。$-6$ から $6$ までの各点で、scalargrad に微分を計算させてみましょう（1点ごとに1回の逆伝播です）。比較のため、ReLU の微分も描きます。ReLU の微分は、入力が正なら1、そうでなければ0です（シード 004）。
""",
        ),
        Code(
            """
import matplotlib.pyplot as plt

xs = [i / 10 for i in range(-60, 61)]  # -6.0, -5.9, ..., 6.0
sigmoid_slopes, relu_slopes = [], []
for x0 in xs:
    x = Value(x0, "x")
    x.sigmoid().backward()
    sigmoid_slopes.append(x.grad)
    x = Value(x0, "x")
    x.relu().backward()
    relu_slopes.append(x.grad)

largest = max(sigmoid_slopes)
print(f"largest sigmoid'(x): {largest:g}, at x = {xs[sigmoid_slopes.index(largest)]:g}")

plt.figure(figsize=(6, 3))
plt.plot(xs, sigmoid_slopes, label="sigmoid'(x) = (1 - h) h")
plt.plot(xs, relu_slopes, label="relu'(x)", ls="--")
plt.axhline(0.25, color="grey", lw=0.5)
plt.xlabel("x")
plt.legend()
plt.show()
"""
        ),
        Text(
            en="""
**A chain of sigmoids.** The simplest deep network: one unit per layer, every weight 1, so
$h_1 = \\mathrm{sigmoid}(x)$, $h_2 = \\mathrm{sigmoid}(h_1)$, and so on. By the chain rule,
$dh_n/dx$ is the product of the $n$ local derivatives $(1 - h)\\, h$, each at most 0.25, so
$dh_n/dx \\le 0.25^n$. Three layers, with the gradient on every wire:
""",
            ja="""
**シグモイドの鎖**　いちばん簡単な深いネットワークを考えます。各層のユニットは1つで、重みはすべて1です。つまり $h_1 = \\mathrm{sigmoid}(x)$、$h_2 = \\mathrm{sigmoid}(h_1)$、… です。連鎖律により、$dh_n/dx$ は $n$ 個の局所的な微分 $(1 - h)\\, h$ の積で、それぞれが0.25以下なので、$dh_n/dx \\le 0.25^n$ となります。3層の場合の計算グラフを、それぞれの勾配とともに描いてみましょう。
""",
        ),
        Code(
            """
x = Value(0.0, "x")
h1 = x.sigmoid()
h1.label = "h1"
h2 = h1.sigmoid()
h2.label = "h2"
h3 = h2.sigmoid()
h3.label = "h3"
h3.backward()
scalargrad.draw_dot(h3, style="circuit", lang=LANG)
"""
        ),
        Text(
            en="""
Read it from right to left: the gradient starts at 1 and is multiplied by 0.23 to 0.25 at every gate,
so only 0.0134 reaches $x$ after three layers. With more layers:
""",
            ja="""
右から左へ読んでください。勾配は1から始まり、ゲートを通るたびに0.23〜0.25倍になるので、3層を通ると $x$ に届くのは0.0134だけです。層を増やしてみましょう。
""",
        ),
        Code(
            """
for n in (1, 2, 3, 5, 10, 20):
    x = Value(0.0, "x")
    h = x
    for _ in range(n):
        h = h.sigmoid()
    h.backward()
    print(f"{n:2d} layers: dh/dx = {x.grad:.3e}   0.25^n = {0.25**n:.3e}")
"""
        ),
        Text(
            en="""
**In a real network.** Weights multiply the gradient too, and a weight can be larger than 1, so the
bound $0.25^n$ does not hold there. What happens in practice? We build two networks of the same deep,
narrow shape, `MLP(2, [8] * 10 + [1])` (ten hidden layers of 8 units), one with sigmoid and one with ReLU
hidden units, each with the initial weights that suit its activation. On 100 two-moons points with a
binary cross-entropy loss, one backward pass gives every weight its gradient; we average $|\\partial L /
\\partial w|$ over each layer's weights:
""",
            ja="""
**実際のネットワークでは**　重みも勾配に掛かりますし、重みは1より大きいこともあるので、$0.25^n$ という上限はそのままでは成り立ちません。実際にはどうなるでしょうか。同じ深くて細い形のネットワーク `MLP(2, [8] * 10 + [1])`（8ユニットの中間層が10層）を、中間層にシグモイド関数を使うものと ReLU を使うものの2つ作ります。重みの初期値は、それぞれの活性化関数に合ったものです。2つの三日月の100点について2値分類のクロスエントロピー損失を計算し、1回の逆伝播ですべての重みの勾配を求め、層ごとに $|\\partial L / \\partial w|$ の平均をとります。
""",
        ),
        Code(
            """
from sklearn.datasets import make_moons

from scalargrad.losses import binary_cross_entropy_with_logits
from scalargrad.nn import MLP

X, classes = make_moons(n_samples=100, noise=0.1, random_state=0)
X, targets = X.tolist(), [float(c) for c in classes]


def layer_gradients(model):
    \"\"\"Each layer's mean |dL/dw| over its weights, first layer first.\"\"\"
    means = []
    for layer in model.layers:
        weights = [w for neuron in layer.neurons for w in neuron.w]
        means.append(sum(abs(w.grad) for w in weights) / len(weights))
    return means


models, gradients = {}, {}
for activation in ("sigmoid", "relu"):
    models[activation] = MLP(2, [8] * 10 + [1], activation=activation, seed=0)
    model = models[activation]
    loss = binary_cross_entropy_with_logits([model(x) for x in X], targets)
    loss.backward()
    gradients[activation] = layer_gradients(model)

print("layer   sigmoid    relu")
for number, (s, r) in enumerate(zip(gradients["sigmoid"], gradients["relu"]), start=1):
    print(f"{number:5d}   {s:.1e}    {r:.1e}")
"""
        ),
        Code(
            """
layers = range(1, 12)
plt.figure(figsize=(6, 3.5))
plt.semilogy(layers, gradients["sigmoid"], marker="o", label="sigmoid")
plt.semilogy(layers, gradients["relu"], marker="s", label="relu")
plt.xlabel("layer (1 = next to the input)")
plt.ylabel("mean |dL/dw|")
plt.xticks(layers)
plt.legend()
plt.show()
"""
        ),
        Text(
            en="""
With sigmoid units the gradient shrinks on its way back, by a factor of about 5 per layer on average, and
the first layer gets millions of times less than the last. With ReLU it keeps roughly its size: where a unit
is active, its derivative is 1 and the gradient passes unchanged.

What that means for training: both networks train for 300 steps of plain SGD on the same data (with the
batched replay of lesson 7, to be quick).
""",
            ja="""
シグモイド関数のネットワークでは、勾配は層をさかのぼるたびに平均しておよそ5分の1になり、最初の層の勾配は最後の層の数百万分の1しかありません。ReLU では勾配の大きさがほぼ保たれます。ユニットが活性化しているところでは微分が1なので、勾配がそのまま下流へ流れるからです。

これが学習にどう影響するかを見てみましょう。2つのネットワークを同じデータで、単純な SGD で300ステップ学習させます（速く済ませるために、第7回のバッチリプレイを使います）。
""",
        ),
        Code(
            """
from scalargrad.optim import SGD

columns = [[x[0] for x in X], [x[1] for x in X], targets]
histories = {}
for activation, model in models.items():
    x0, x1, t = Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "t")
    tape = scalargrad.compile(binary_cross_entropy_with_logits([model([x0, x1])], [t]), batch=[x0, x1, t])
    opt = SGD(model.parameters(), lr=0.2)
    histories[activation] = []
    for step in range(300):
        histories[activation].append(float(tape.forward(columns).mean()))
        opt.zero_grad()
        tape.backward()
        opt.step()
    print(f"{activation:8s} loss: {histories[activation][0]:.4f} -> {histories[activation][-1]:.4f}")

plt.figure(figsize=(6, 3))
for activation, history in histories.items():
    plt.plot(history, label=activation)
plt.axhline(math.log(2), color="grey", lw=0.8, ls=":", label="log 2")
plt.xlabel("step")
plt.ylabel("loss")
plt.legend()
plt.show()
"""
        ),
        Text(
            en="""
The ReLU network learns the moons, though its loss jumps up now and then: plain SGD with one learning rate
for all ten layers sometimes takes a step too far, and the steps after it recover. The sigmoid network stays at $\\log 2 \\approx 0.693$, the loss of
answering "50%" for every point: its last layer learns to do that, and the layers before it, which would
have to learn the shape, hardly move. Seed 001 notes that this is why activation functions less prone to
vanishing gradients, such as ReLU, are used today.

**Exercise.** Back to the chain of sigmoids from $x = 0$ (one unit per layer, every weight 1). How many
layers does it take for $dh_n/dx$ to fall below $10^{-6}$?
""",
            ja="""
ReLU のネットワークは三日月を学習できました。ときどき損失が跳ね上がるのは、10層すべてに同じ学習率を使う単純な SGD が、ときに一歩進みすぎるためで、その後のステップで元に戻っています。シグモイド関数のネットワークの損失は $\\log 2 \\approx 0.693$ のままです。これは、どの点にも「50%」と答えるときの損失です。最後の層はそう答えることを学びますが、形を学ぶべき手前の層はほとんど変わりません。シード 001 が述べているように、そのため近年では ReLU のような勾配消失の起こりにくい活性化関数が使われています。

**練習問題**　$x = 0$ から始まるシグモイドの鎖（各層のユニットは1つ、重みはすべて1）に戻ります。何層あれば、$dh_n/dx$ が $10^{-6}$ を下回るでしょうか。
""",
        ),
        Code(
            """
answer = ...  # the number of layers
check(answer, 10)
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
n = 0
gradient = 1.0
while gradient >= 1e-6:
    n += 1
    x = Value(0.0, "x")
    h = x
    for _ in range(n):
        h = h.sigmoid()
    h.backward()
    gradient = x.grad
print(f"{n} layers: dh/dx = {gradient:.2e}")
answer = n
check(answer, 10)
"""
        ),
    ),
)
