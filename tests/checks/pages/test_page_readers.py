"""The Markdown and RST readers: structure from the parsers, lines from the top of the file."""

from __future__ import annotations

import textwrap

from docutils.parsers.rst import directives, roles

from docgen_plugin.checks.pages import read_page
from docgen_plugin.checks.pages.markdown import read_markdown
from docgen_plugin.checks.pages.model import WHOLE_PAGE, Code, Entry, Heading, Paragraph, Table
from docgen_plugin.checks.pages.rst import read_rst


def md(text: str):
    return read_markdown(textwrap.dedent(text).lstrip("\n"), "page.md")


def rst(text: str):
    return read_rst(textwrap.dedent(text).lstrip("\n"), "page.rst")


def of(page, kind):
    return [b for b in page.blocks if isinstance(b, kind)]


def test_front_matter_counts_in_lines():
    page = md("""
        ---
        docgen:
          objects: [pkg.Model]
        ---

        # Title

        | Name | Default |
        |---|---|
        | `a` | 1 |
        | `b` | 2 |
        """)
    assert page.meta == {"docgen": {"objects": ["pkg.Model"]}}
    table = of(page, Table)[0]
    assert table.line == 8 and table.row_lines == (10, 11)
    assert [row[0].codes[0].text for row in table.rows] == ["a", "b"]
    assert of(page, Heading)[0].line == 6


def test_spans_know_their_line_in_a_paragraph():
    page = md("""
        One line,
        then `dropout` defaults to
        `0.1`.
        """)
    spans = of(page, Paragraph)[0].inline.codes
    assert [(s.text, s.line) for s in spans] == [("dropout", 2), ("0.1", 3)]


def test_admonition_body_is_markdown_with_its_lines():
    page = md("""
        Intro.

        !!! note "Options"
            | Name | Default |
            |---|---|
            | `a` | 1 |

            ```python
            f(x=1)
            ```
        """)
    table = of(page, Table)[0]
    assert table.row_lines == (6,)
    assert of(page, Code)[0].line == 9 and of(page, Code)[0].code == "f(x=1)\n"


def test_links_definitions_and_myst_directives():
    page = md("""
        ::: pkg.Model
            options:
              show_source: false

        [[autodoc]] pkg.Config

        `dropout`
        :   The rate. Defaults to 0.1.

        ```{autoclass} pkg.Other
        ```

        ```{code-block} python
        :linenos:

        g(y=2)
        ```
        """)
    assert [(link.object, link.line) for link in page.links] == [
        ("pkg.Model", 1), ("pkg.Config", 5), ("pkg.Other", 10)]
    entry = of(page, Entry)[0]
    assert entry.term.codes[0].text == "dropout" and entry.line == 7
    assert "Defaults to 0.1" in entry.body[0].text
    assert [(c.info, c.code, c.line) for c in of(page, Code)] == [("python", "g(y=2)\n", 16)]


def test_suppression_before_a_block_and_at_the_top():
    page = md("""
        # Title

        <!-- docgen: ignore[DG202, dg201] -->

        Para.

        <!-- docgen: ignore[DG204] -->
        ```python
        f()
        ```

        Later.
        """)
    whole, block = page.suppressions
    assert whole.codes == {"DG202", "DG201"} and (whole.start, whole.end) == (1, WHOLE_PAGE)
    assert block.codes == {"DG204"} and block.start == 8 and block.end == 10
    assert page.suppressed("DG204", 9) and not page.suppressed("DG204", 12)


def test_markers_are_regions():
    page = md("""
        <!-- docgen:begin object=pkg.Model section=parameters -->
        | Name |
        |---|
        | `a` |
        <!-- docgen:end -->
        """)
    assert [(r.object, r.start, r.end, r.section) for r in page.regions] == [
        ("pkg.Model", 1, 5, "parameters")]


def test_rst_tables_fields_code_and_lines():
    page = rst("""
        Title
        =====

        Some ``dropout`` text and :class:`~pkg.Model` here.

        =========  =======
        Name       Default
        =========  =======
        dropout    0.1
        d_model    64
        =========  =======

        :param eps: Added for stability, defaults to 1e-5.
        :type eps: float

        .. code-block:: python

           from pkg import Model
           Model(x=1)

        >>> Model(y=2)
        """)
    assert of(page, Heading)[0].line == 1
    paragraph = of(page, Paragraph)[0]
    assert [s.text for s in paragraph.inline.codes] == ["dropout", "pkg.Model"]
    table = of(page, Table)[0]
    assert table.row_lines == (9, 10) and table.rows[1][1].plain == "64"
    (entry,) = of(page, Entry)
    assert entry.term.codes[0].text == "eps" and entry.line == 13
    code, doctest = of(page, Code)
    assert (code.info, code.line) == ("python", 18)
    assert (doctest.info, doctest.line) == ("pycon", 21)


def test_rst_object_directives_open_regions_and_unknown_directives_are_dropped():
    page = rst("""
        .. currentmodule:: pkg

        .. py:class:: Model(a, b)

           :param a: First.

        .. toctree::
           :maxdepth: 2

           other

        .. somethingunknown:: arg

           f(z=1)

        .. docgen: ignore[DG203]
        """)
    assert [(r.object, r.start) for r in page.regions] == [("pkg.Model", 3)]
    assert [link.object for link in page.links] == ["pkg.Model"]
    assert of(page, Code) == []  # an unknown directive's body is not code
    assert of(page, Entry)[0].line == 5
    assert not page.problems


def test_rst_leaves_docutils_registries_as_they_were():
    before = dict(directives._directives), dict(roles._roles)
    rst(".. autoclass:: pkg.X\n\n:class:`a`\n")
    assert (dict(directives._directives), dict(roles._roles)) == before


def test_unreadable_pages_are_problems(tmp_path):
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"# ok\n\ncaf\xe9\n")
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (page, text) = read_page(latin, "latin.md")
    assert [(p.code, p.line) for p in page.problems] == [("DG005", 3)] and text == ""
    assert read_page(binary, "image.md")[0].problems[0].code == "DG005"
    huge = tmp_path / "huge.md"
    huge.write_text("x\n" * 600_000, encoding="utf-8")
    assert "larger than 1 MB" in read_page(huge, "huge.md")[0].problems[0].message
