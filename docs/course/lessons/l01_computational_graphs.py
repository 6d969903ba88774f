"""Lesson 1: computational graphs and local computation (seed 004, 5.1)."""

from course import Code, Lesson, Text

LESSON = Lesson(
    number=1,
    name="computational-graphs",
    title=Text(en="Computational graphs and local computation", ja="計算グラフと局所的な計算"),
    seed="004",
    expect=("220", "2.2", "110", "200", "715", "3.3", "165", "650"),
    cells=(
        Text(
            en="""
A **computational graph** draws a calculation as nodes joined by arrows: each node is one operation, and
each arrow carries a number from one operation to the next. Seed 004 (chapter 5 of *Deep Learning from
Scratch*) starts with a shopping problem:

> **Problem 1.** Taro buys 2 apples at 100 yen each. Tax is 10%. How much does he pay?

In scalargrad every number is a `Value`, and every operation on Values records a node. The labels are
only names for the drawing.
""",
            ja="""
**計算グラフ**は、計算の過程をノードと矢印で表したものです。ノードひとつがひとつの演算で、矢印は演算から演算へ数値を運びます。シード 004（『ゼロから作る Deep Learning』5章）は、買い物の問題から始まります。

> **問1** 太郎くんはスーパーで1個100円のりんごを2個買いました。支払う金額を求めなさい。ただし、消費税が10%適用されるものとします。

scalargrad では、数値はすべて `Value` で表します。`Value` どうしの演算は、そのたびに計算グラフのノードを記録していきます。ラベルは図に表示するための名前にすぎません。
""",
        ),
        Code(
            """
apple = Value(100, "apple")          # one apple, in yen
apple_num = Value(2, "apple_num")    # how many
tax = Value(1.1, "tax")              # 10% tax

apple_price = apple * apple_num
apple_price.label = "apple_price"
price = apple_price * tax
price.label = "price"
print(f"{price.data:g}")
"""
        ),
        Text(
            en="""
Computing from left to right, inputs to output, is the **forward pass**. Here is the graph scalargrad
recorded, each box with its value (`data`):
""",
            ja="""
このように、入力から出力へ左から右へと計算を進めることを**順伝播**といいます。scalargrad が記録した計算グラフを描いてみましょう。箱の中の「値」が、それぞれのノードの値です。
""",
        ),
        Code(
            """
scalargrad.draw_dot(price, lang=LANG)
"""
        ),
        Text(
            en="""
**Local computation.** Each node needs only its own inputs: the `*` node that makes `price` knows
`apple_price` and `tax`, and nothing about how `apple_price` came about. However complicated the whole
calculation, every step is a simple one. This is what makes computational graphs useful:

1. each node does a simple, local computation;
2. every intermediate result is kept (the boxes above);
3. going backwards through the graph computes **derivatives** efficiently.

How much more does Taro pay if apples cost a little more? Call the apple's price $x$ and the amount
paid $L$: the question asks for the derivative $\\partial L / \\partial x$. The **backward pass** computes it, and the
derivative with respect to every other input at the same time:
""",
            ja="""
**局所的な計算**　各ノードが必要とするのは、自分への入力だけです。`price` を作る `*` のノードが知っているのは`apple_price` と `tax` だけで、`apple_price` がどう計算されたかは知りません。全体がどれほど複雑な計算でも、ひとつひとつは単純な計算になります。計算グラフの利点は次の3つです。

1. 各ノードでは単純な「局所的な計算」をするだけでよい
2. 途中の計算結果をすべて保持できる（上の図の箱）
3. 逆方向に伝播させることで、「微分」を効率よく計算できる

りんごの値段が少し上がったら、支払う金額はどれだけ増えるでしょうか。りんごの値段を $x$、支払い金額を $L$ とすると、これは $x$ に関する $L$ の微分 $\\partial L / \\partial x$ です。**逆伝播**を行うと、この微分が、ほかのすべての入力についての微分といっしょに求まります。
""",
        ),
        Code(
            """
price.backward()
for v in (apple, apple_num, tax):
    print(f"d price / d {v.label} = {v.grad:.4g}")
"""
        ),
        Text(
            en="""
If an apple costs 1 yen more, Taro pays 2.2 yen more: each yen is paid twice and taxed. The graph now
shows each gradient (`grad`) under its value:
""",
            ja="""
りんごが1円値上がりすると、支払い金額は2.2円増えます（2個分に消費税がかかるからです）。それぞれの箱に、値の下に「勾配」が表示されるようになりました。
""",
        ),
        Code(
            """
scalargrad.draw_dot(price, lang=LANG)
"""
        ),
        Text(
            en="""
**Problem 2.** Taro buys 2 apples at 100 yen and 3 oranges at 150 yen, with 10% tax. The two subtotals
meet in an `+` node before the tax is applied.
""",
            ja="""
**問2** 太郎くんはスーパーでりんごを2個、みかんを3個買いました。りんごは1個100円、みかんは1個150円です。消費税が10%かかるものとして、支払う金額を求めなさい。ふたつの小計は `+` のノードで合わさってから、消費税がかけられます。
""",
        ),
        Code(
            """
apple, apple_num = Value(100, "apple"), Value(2, "apple_num")
orange, orange_num = Value(150, "orange"), Value(3, "orange_num")
tax = Value(1.1, "tax")

apple_price = apple * apple_num
apple_price.label = "apple_price"
orange_price = orange * orange_num
orange_price.label = "orange_price"
all_price = apple_price + orange_price
all_price.label = "all_price"
price = all_price * tax
price.label = "price"
price.backward()
print(f"price = {price.data:g}")
for v in (apple, apple_num, orange, orange_num, tax):
    print(f"d price / d {v.label} = {v.grad:.4g}")
scalargrad.draw_dot(price, lang=LANG)
"""
        ),
        Text(
            en="""
715 yen, and the derivatives are the seed's: 2.2, 110, 3.3, 165 and 650. (Each is exact up to the last
digit of a float: `1.1` is not exactly 1.1 in binary, so `2 * 1.1` prints as 2.2000000000000002 without
the `:.4g`.)

**Exercise.** The tax rate drops to 8%. Build the graph of problem 2 again with `tax = Value(1.08)`:
what does Taro pay now, and by how much does his bill change per yen of the apple's price? Put both
numbers in `answer` as a list, `[price, d price / d apple]`.
""",
            ja="""
支払い金額は715円で、微分もシードのとおり 2.2、110、3.3、165、650 です。（浮動小数点数の誤差を除けば、どれも一致します。`1.1` は2進数ではちょうど 1.1 にならないので、`:.4g` を付けずに `2 * 1.1` を表示すると 2.2000000000000002 になります。）

**練習問題**　消費税が8%に下がりました。`tax = Value(1.08)` として問2の計算グラフを作り直し、支払い金額と、りんごの値段1円あたりの支払い金額の変化を求めてください。ふたつの数値をリスト `[支払い金額, d price / d apple]`にして `answer` に入れましょう。
""",
        ),
        Code(
            """
answer = ...  # [price, d price / d apple]
check(answer, [702, 2.16])
"""
        ),
        Text(en="**Solution.**", ja="**解答例**"),
        Code(
            """
apple, apple_num = Value(100, "apple"), Value(2, "apple_num")
orange, orange_num = Value(150, "orange"), Value(3, "orange_num")
tax = Value(1.08, "tax")
price = (apple * apple_num + orange * orange_num) * tax
price.backward()
answer = [price.data, apple.grad]
check(answer, [702, 2.16])
"""
        ),
    ),
)
