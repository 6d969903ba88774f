"""Every word the step-through pages write, in English (``en``) and Japanese (``ja``), in one place.

The Japanese follows the seed documents' own terms: 順伝播 (the forward
pass, and in seed 003 forward-mode differentiation, フォワードモード微分),
逆伝播, 勾配, 局所的な微分, 連鎖律, 上流 and ノード. Each entry is a
`str.format` template; the tests check that both languages have the same
keys and the same placeholders, and that a Japanese page holds no English
sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "ja")

EN: dict[str, str] = {
    # The diagram's own words.
    "data": "data",
    "grad": "grad",
    "const": "const",
    "weights": "weights",
    "legend": "above each wire: its value; below: the gradient sent back along it",
    "legend_vertical": "left of each wire: its value; right: the gradient sent back along it",
    "legend_forward": "above each wire: its value; below: local derivative × the input's derivative",
    "legend_forward_vertical": "left of each wire: its value; right: local derivative × the input's derivative",
    "unknown": "?",
    # The page around it.
    "title_backward": "Backpropagation step by step: {title}",
    "title_forward": "Forward-mode differentiation step by step: {title}",
    "default_backward": "backward from {root}",
    "default_forward": "∂{root}/∂{seed}",
    "prev": "◀ Prev",
    "play": "▶ Play",
    "pause": "❚❚ Pause",
    "next": "Next ▶",
    "counter": "step {index} of {total}",
    "keys": "keys: ← → step, Space plays and pauses, Home and End jump",
    "legend_page_backward": (
        '<span class="data">Blue</span>: each value from the forward pass. '
        '<span class="grad">Orange</span>: each gradient ∂{root}/∂node, as accumulated so far. '
        '<span class="partial">Grey ∂</span>: the local derivative of an op with respect to that input. '
        '<span class="swatch active"></span> the node whose turn it is, '
        '<span class="swatch receiving"></span> the inputs it sends gradients to.'
    ),
    "legend_page_forward": (
        '<span class="data">Blue</span>: each value from the forward pass. '
        '<span class="grad">Orange</span>: each derivative ∂node/∂{seed}, once known. '
        '<span class="partial">Grey ∂</span>: the local derivative of an op with respect to that input. '
        '<span class="swatch active"></span> the node whose turn it is, '
        '<span class="swatch receiving"></span> the inputs it reads.'
    ),
    "cost": (
        "Forward mode finds the derivative of every node with respect to one input per sweep: "
        "{inputs} inputs need {inputs} sweeps. One backward sweep finds the gradient with respect to all "
        "of them at once, which is why training a network, with many inputs and one loss, uses backpropagation."
    ),
    "start_backward": (
        "<b>Step 0 of {total}.</b> The forward pass is done. The backward pass starts at the output "
        "<b>{root}</b>, whose gradient with respect to itself, ∂{root}/∂{root}, is <b>{grad}</b>; "
        "every other gradient starts at 0."
    ),
    "step_backward": (
        "<b>Step {index} of {total}:</b> node <b>{node}</b> = {formula}. Its gradient {upstream} is complete, "
        "as every node that uses it went before. By the chain rule it sends each input "
        "<i>upstream gradient × local derivative</i>:"
    ),
    "update_backward": (
        "<b>{parent}</b>: local derivative {local}; "
        "grad {parent} += {upstream} × {partial} = {contribution} → <b>{after}</b>"
    ),
    "done_backward": "Every gradient is now complete.",
    "start_forward": (
        "<b>Step 0 of {total}.</b> The forward pass is done. Forward mode carries the derivative with respect to "
        "<b>{seed}</b> from the inputs towards the output: ∂{seed}/∂{seed} = {tangent}, and every other "
        "input's derivative is 0."
    ),
    "step_forward": (
        "<b>Step {index} of {total}:</b> node <b>{node}</b> = {formula}. Its inputs' derivatives are known, "
        "as inputs go first. By the chain rule its derivative is the sum over its inputs of "
        "<i>local derivative × the input's derivative</i>:"
    ),
    "term_forward": (
        "<b>{parent}</b>: local derivative {local}; × ∂{parent}/∂{seed} = {partial} × {tangent} = {contribution}"
    ),
    "sum_forward": "so ∂{node}/∂{seed} = <b>{tangent}</b>",
    "done_forward": (
        "Done: ∂{root}/∂{seed} = <b>{tangent}</b>. This sweep gave every node's derivative with respect to "
        "{seed} only; the other inputs each need a sweep of their own."
    ),
    "table_node": "node",
    "table_data": "value",
    "table_grad": "gradient so far",
    "table_tangent": "∂/∂{seed} so far",
    "no_names": "Label Values, or pass names=locals(), to list them here.",
}

JA: dict[str, str] = {
    "data": "値",
    "grad": "勾配",
    "const": "定数",
    "weights": "個の重み",
    "legend": "各辺の上：その値　下：逆伝播で戻る勾配",
    "legend_vertical": "各辺の左：その値　右：逆伝播で戻る勾配",
    "legend_forward": "各辺の上：その値　下：局所的な微分 × 入力の微分",
    "legend_forward_vertical": "各辺の左：その値　右：局所的な微分 × 入力の微分",
    "unknown": "?",
    "title_backward": "逆伝播を1ステップずつ：{title}",
    "title_forward": "フォワードモード微分を1ステップずつ：{title}",
    "default_backward": "出力 {root} から",
    "default_forward": "∂{root}/∂{seed}",
    "prev": "◀ 前へ",
    "play": "▶ 再生",
    "pause": "❚❚ 一時停止",
    "next": "次へ ▶",
    "counter": "ステップ {index} / {total}",
    "keys": "キー操作：← → で1ステップずつ、スペースで再生・一時停止、Home・End で最初・最後へ",
    "legend_page_backward": (
        '<span class="data">青</span>：順伝播で計算した各ノードの値。'
        '<span class="grad">オレンジ</span>：ここまでに集まった勾配 ∂{root}/∂ノード。'
        '<span class="partial">灰色の ∂</span>：各辺の局所的な微分（演算の出力をその入力で微分した値）。'
        '<span class="swatch active"></span> いま処理しているノード、'
        '<span class="swatch receiving"></span> 勾配を受け取る入力。'
    ),
    "legend_page_forward": (
        '<span class="data">青</span>：順伝播で計算した各ノードの値。'
        '<span class="grad">オレンジ</span>：求まった微分 ∂ノード/∂{seed}。'
        '<span class="partial">灰色の ∂</span>：各辺の局所的な微分（演算の出力をその入力で微分した値）。'
        '<span class="swatch active"></span> いま処理しているノード、'
        '<span class="swatch receiving"></span> 微分を読み込む入力。'
    ),
    "cost": (
        "フォワードモード微分では、1回の計算で求まるのは1つの入力についての微分だけです。"
        "入力が {inputs} 個なら {inputs} 回必要です。逆伝播なら1回ですべての入力についての勾配が求まります。"
        "入力（重み）が多く出力（損失）が1つのニューラルネットワークの学習で逆伝播を使うのはこのためです。"
    ),
    "start_backward": (
        "<b>ステップ 0 / {total}</b>　順伝播（値の計算）はすでに終わっています。"
        "逆伝播は出力 <b>{root}</b> から始まります。{root} 自身についての勾配 ∂{root}/∂{root} は <b>{grad}</b> です。"
        "ほかの勾配はすべて 0 から始めます。"
    ),
    "step_backward": (
        "<b>ステップ {index} / {total}</b>　ノード <b>{node}</b> = {formula}。"
        "このノードを使うノードはすべて先に処理したので、勾配 {upstream} はもう確定しています。"
        "連鎖律により、<i>上流から伝わった勾配 × 局所的な微分</i>を各入力（下流）へ伝えます。"
    ),
    "update_backward": (
        "<b>{parent}</b>：局所的な微分 {local}、"
        "{parent} の勾配 += {upstream} × {partial} = {contribution} → <b>{after}</b>"
    ),
    "done_backward": "これで、すべての勾配が確定しました。",
    "start_forward": (
        "<b>ステップ 0 / {total}</b>　順伝播で値は計算済みです。フォワードモード微分では、"
        "入力 <b>{seed}</b> についての微分を入力側から出力へ向かって運びます。"
        "∂{seed}/∂{seed} = {tangent}、ほかの入力の微分は 0 です。"
    ),
    "step_forward": (
        "<b>ステップ {index} / {total}</b>　ノード <b>{node}</b> = {formula}。"
        "入力側のノードは先に処理したので、その微分はもう求まっています。"
        "連鎖律により、各入力の<i>局所的な微分 × 入力の微分</i>を足し合わせます。"
    ),
    "term_forward": (
        "<b>{parent}</b>：局所的な微分 {local}、× ∂{parent}/∂{seed} = {partial} × {tangent} = {contribution}"
    ),
    "sum_forward": "合計して ∂{node}/∂{seed} = <b>{tangent}</b>",
    "done_forward": (
        "完了：∂{root}/∂{seed} = <b>{tangent}</b>。この1回で求まったのは {seed} についての微分だけです。"
        "ほかの入力についての微分は、それぞれもう1回ずつ計算する必要があります。"
    ),
    "table_node": "ノード",
    "table_data": "値",
    "table_grad": "ここまでの勾配",
    "table_tangent": "ここまでの ∂/∂{seed}",
    "no_names": "Value にラベルを付けるか names=locals() を渡すと、ここに一覧が出ます。",
}

TEXTS: dict[str, Mapping[str, str]] = {"en": EN, "ja": JA}


def texts(lang: str, who: str) -> Mapping[str, str]:
    """The table for ``lang``, or ValueError naming the choices."""
    if lang not in TEXTS:
        raise ValueError(f"{who}(lang={lang!r}): choose one of {', '.join(map(repr, LANGUAGES))}")
    return TEXTS[lang]
