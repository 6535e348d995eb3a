"""`escape_html` on links: only relative, http(s) and mailto destinations survive as links, in
both renderers docs builds use (Python-Markdown for MkDocs, markdown-it for MyST); the rest is
shown as text. And no raw HTML, whatever the backticks (issue 20)."""

from __future__ import annotations

import re

import markdown
import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docgen_plugin.sections.render import cell_text, escape_html, is_safe_destination

COMMONMARK = markdown_it.MarkdownIt("commonmark")
ATTRIBUTE = re.compile(r'\b(?:href|src)="([^"]*)"')
TAG = re.compile(r"<(?!/?(?:p|a|img|code|pre|em|strong|blockquote|ul|ol|li|h\d|hr|br)\b)[a-z]",
                 re.IGNORECASE)


def rendered(text: str) -> list[str]:
    return [markdown.markdown(text, extensions=["tables"]), COMMONMARK.render(text)]


def unsafe_attributes(html: str) -> list[str]:
    return [a for a in ATTRIBUTE.findall(html) if not is_safe_destination(a)]


PAYLOADS = [
    "[x](javascript:alert(1))", "![x](javascript:alert(1))", "[x]( javascript:alert(1) )",
    "[x](JaVaScRiPt:alert(1))", "[x](jav&#x61;script:alert(1))", "[x](java&#09;script:alert(1))",
    "[x](javascript&colon;alert(1))", "[x](javascript\\:alert(1))", "[x](<javascript:alert(1)>)",
    "[x](\njavascript:alert(1))", "[x][1]\n\n[1]: javascript:alert(1)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](vbscript:msgbox)", "<javascript:alert(1)>",
    "[a [b](javascript:alert(1))](https://ok.example)", "[x](javascript:alert`1`)",
    "[x](javascript:alert(1) \"title\")", "[x]\n(javascript:alert(1))",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unsafe_links_are_text(payload: str) -> None:
    escaped = escape_html(payload)
    for html in rendered(escaped):
        assert not unsafe_attributes(html), (escaped, html)
    assert "alert" in escaped or "msgbox" in escaped or "base64" in escaped  # still shown


def test_safe_links_and_code_stay_as_written() -> None:
    text = ("[docs](https://example.com/a?b=1#c), [page](../models/encoder.md#args), "
            "[mail](mailto:team@example.com), [anchor](#usage), `[x](javascript:alert(1))`\n"
            "```python\nlink = '[x](javascript:alert(1))'\n```\n")
    assert escape_html(text) == text
    html = rendered(text)[0]
    assert 'href="https://example.com/a?b=1#c"' in html and 'href="../models/encoder.md#args"' in html


def test_table_cells_break_unsafe_links_too() -> None:
    cell = cell_text("Use [x](javascript:alert(1)) or [y](https://a.example) | z")
    assert cell == "Use [x]\\(javascript:alert(1)) or [y](https://a.example) \\| z"


@pytest.mark.parametrize("text", [
    "\\`<img src=x onerror=alert(1)>\\`", "``<img src=x onerror=alert(1)>`",  # no code span
    "```<img src=x onerror=alert(1)>", "```\n<img src=x onerror=alert(1)>\n",  # no fence
    "````\n<img src=x onerror=alert(1)>\n```\n", "```\nx\n  ```\n<img src=x onerror=alert(1)>\n```\n",
])
def test_a_backtick_that_opens_no_code_span_does_not_shield_html(text: str) -> None:
    for html in rendered(escape_html(text)):
        assert "<img" not in html


PIECES = ["[", "]", "(", ")", "!", "`", "``", "\\", "<", ">", " ", "\n", "\n\n", "x", ":",
          "javascript:", "JavaScript:", "data:", "vbscript:", "https://ok.example", "mailto:a@b",
          "&#x61;", "&colon;", "alert(1)", "[1]: ", "    ", "\t", "'", '"', "<img src=x>", "```"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24).map("".join))
def test_no_unsafe_link_or_raw_tag_survives_any_mix(text: str) -> None:
    escaped = escape_html(text)
    for html in rendered(escaped):
        assert not unsafe_attributes(html), (text, escaped, html)
        assert "<img src=x>" not in html, (text, escaped, html)  # the raw tag of PIECES
        outside_code = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", html, flags=re.DOTALL)
        assert not TAG.search(outside_code), (text, escaped, html)
