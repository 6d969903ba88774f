"""Every word the live views write, in English (``en``) and Japanese (``ja``), beside the diagrams' own.

The live graph also shows the diagrams' words (``data``, ``grad``) and the
step-through captions, from `scalargrad.viz.text`; `words` merges the two
tables, so the front-end gets one table and writes no word of its own. The
tests check that both languages have the same keys and placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping

from scalargrad.viz.text import texts

EN: dict[str, str] = {
    # The live graph.
    "live_title": "Live graph: {title}",
    "live_help": (
        "Drag a slider or type a number: the forward and backward passes run again in Python, "
        "and every value and gradient below is replaced in place. Hover over an op to see its local derivatives."
    ),
    "inputs": "inputs",
    "error": "Cannot compute with {values}: {error}. The numbers shown are the last ones that worked.",
    "bad_input": "{name}: not a finite number",
    "no_input": "{name}: no input of that name (the inputs: {inputs})",
    "steps_backward": "Step through the backward pass",
    "steps_forward": "Step through forward mode from",
    "steps_leave": "Back to the live numbers",
    "steps_too_big": "Stepping through is for graphs of up to {limit} Values; this one has {count}.",
    "hover_title": "local derivatives of {node} = {formula}",
    "disconnected": "Lost the connection to Python; numbers will update again once it is back.",
    # The training dashboard.
    "train_title": "Training {model}",
    "resume": "▶ Resume",
    "step_once": "Step once",
    "lr": "learning rate",
    "step": "step {step}",
    "loss": "loss {loss}",
    "accuracy": "accuracy {accuracy}",
    "running": "training",
    "paused": "paused",
    "loss_curve": "loss per step",
    "boundary": "decision boundary (the model's class at each point; dots: the training data)",
    "network": (
        "the network on training point {sample}, x = ({x}): in each neuron its activation, below it "
        "∂loss/∂activation for that point's loss"
    ),
    "weights_legend": "edges: blue a positive weight, orange a negative one; the wider, the larger |w|",
    "train_error": "Training stopped: {error}",
}

JA: dict[str, str] = {
    "live_title": "ライブ計算グラフ：{title}",
    "live_help": (
        "スライダーを動かすか数値を入力すると、Python で順伝播と逆伝播をやり直し、"
        "下の値と勾配をその場で書き換えます。演算にマウスを重ねると局所的な微分が出ます。"
    ),
    "inputs": "入力",
    "error": "{values} では計算できません：{error}。表示しているのは最後に計算できた値です。",
    "bad_input": "{name}：有限の数ではありません",
    "no_input": "{name}：その名前の入力はありません（入力：{inputs}）",
    "steps_backward": "逆伝播を1ステップずつ見る",
    "steps_forward": "フォワードモード微分を1ステップずつ見る：入力",
    "steps_leave": "ライブの値に戻る",
    "steps_too_big": "1ステップずつ見られるのは {limit} 個までのノードのグラフです（このグラフは {count} 個）。",
    "hover_title": "{node} = {formula} の局所的な微分",
    "disconnected": "Python との接続が切れました。接続が戻れば値の更新も再開します。",
    "train_title": "学習の様子：{model}",
    "resume": "▶ 再開",
    "step_once": "1ステップ進める",
    "lr": "学習率",
    "step": "ステップ {step}",
    "loss": "損失 {loss}",
    "accuracy": "正解率 {accuracy}",
    "running": "学習中",
    "paused": "一時停止中",
    "loss_curve": "ステップごとの損失",
    "boundary": "決定境界（各点でモデルが選ぶクラス。点は学習データ）",
    "network": (
        "学習データ {sample} 番（x = ({x})）でのネットワーク：各ニューロンの中に活性化の値、"
        "その下にその点の損失の勾配 ∂損失/∂活性化"
    ),
    "weights_legend": "辺：青は正の重み、オレンジは負の重み。太いほど |w| が大きい",
    "train_error": "学習を止めました：{error}",
}

LIVE_TEXTS: dict[str, Mapping[str, str]] = {"en": EN, "ja": JA}


def words(lang: str, who: str) -> dict[str, str]:
    """Every word a live view shows in ``lang``: the diagrams' table and this one; ValueError naming the choices."""
    return {**texts(lang, who), **LIVE_TEXTS[lang]}

