"""The docs site's build hooks (mkdocs.yml ``hooks:``): formulas as MathML, Japanese pages marked Japanese.

The course's formulas are TeX in the notebooks' text (``$...$``, ``$$...$$``).
They are turned into MathML here, when the site is built (``latex2mathml``),
and browsers draw MathML themselves: the pages load no script from anywhere
else, and a reader offline or behind a firewall sees formulas, not TeX.
mkdocs-material writes one ``<html lang>`` for the whole site; the pages
under ``course/ja/`` say they are Japanese, for screen readers and fonts.
"""

from __future__ import annotations

import html
import re
from typing import Any

from latex2mathml.converter import convert

#: Where a dollar sign is not math: code, outputs, scripts, styles, drawings, and tags' attributes.
_NOT_TEXT = re.compile(r"<(pre|code|script|style|svg|textarea)\b.*?</\1>|<[^>]*>", re.S | re.I)
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$", re.S)  # inline formulas may wrap a line too
#: A minus right after an opening bracket, a comma or a relation is a sign, not a subtraction: ``[-1, -2]``.
#: MathML spaces an operator as infix unless told otherwise (it finds prefix only at the start of a row).
_SIGN = re.compile(
    r"(<mo[^>]*>(?:\(|\[|\{|&#x0002C;|&#x0003D;|&#x0003C;|&#x0003E;|&#x02264;|&#x02265;|&#x02248;)</mo>)"
    r"<mo>&#x02212;</mo>"
)
#: mkdocs-jupyter's MathJax: the script it loads and the configuration that starts it.
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def _math(text: str) -> str:
    """Every formula in a run of page text as MathML; the TeX was escaped as HTML, so it is unescaped first."""

    def one(found: re.Match[str]) -> str:
        block = found[1] is not None
        mathml = convert(html.unescape(found[1] if block else found[2]), display="block" if block else "inline")
        return _SIGN.sub(r'\1<mo form="prefix">&#x02212;</mo>', mathml)

    return _MATH.sub(one, text)


def formulas_as_mathml(page: str) -> str:
    """The page with its formulas as MathML and without MathJax."""
    page = _MATHJAX.sub("", page)
    parts, last = [], 0
    for found in _NOT_TEXT.finditer(page):
        parts += [_math(page[last : found.start()]), found[0]]
        last = found.end()
    return "".join([*parts, _math(page[last:])])


def on_post_page(output: str, page: Any, config: Any) -> str:
    source = page.file.src_uri
    if source.endswith(".ipynb"):
        output = formulas_as_mathml(output)
    if source.startswith("course/ja/"):
        output = re.sub(r'<html lang="[^"]*"', '<html lang="ja"', output, count=1)
    return output
