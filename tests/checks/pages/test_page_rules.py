"""DG201-DG204 and DG006 on pages: each rule reports its case, and the close cases it must not
(the page is about something else, the value cannot be decided, the link is not certain)."""

from __future__ import annotations


def found(findings):
    return sorted((f.code, f.line, f.subject) for f in findings)


ENCODER_TABLE = """
    ## `TinyTransformerEncoder` parameters

    | Name | Default |
    |---|---|
    | `vocab_size` | required |
    | `d_model` | `64` |
    | `num_heads` | 4 |
    | `num_layers` | 2 |
    | `dim_feedforward` | 128 |
    | `dropout` | `1e-1` |
    | `max_len` | 128 |
    | `activation` | `"gelu"` |
    | `pad_token_id` | 0 |
    """


def test_dg201_table_row_the_object_lacks(check_text):
    findings = check_text(ENCODER_TABLE.replace("`num_heads`", "`num_head`"))
    assert found(findings) == [("DG201", 7, "num_head")]
    assert "did you mean `num_heads`?" in findings[0].message
    assert findings[0].obj == "tinyformer.encoder.TinyTransformerEncoder"


def test_dg201_not_for_a_table_about_something_else(check_text):
    page = """
        ## `TinyTransformerEncoder`

        Trainer settings that go with it:

        | Name | Default |
        |---|---|
        | `learning_rate` | 3e-4 |
        | `batch_size` | 32 |
        | `d_model` | 64 |
        """
    assert check_text(page) == []


def test_dg201_definition_lists_fields_and_list_items(check_text):
    page = """
        ## `EncoderConfig`

        `d_model`
        :   Width.

        `dropuot`
        :   Rate.

        - `num_heads` (int): Heads.
        - `num_layer` (int): Layers.
        """
    assert found(check_text(page)) == [("DG201", 6, "dropuot"), ("DG201", 10, "num_layer")]


def test_dg201_name_value_spans_and_inline_calls(check_text):
    page = """
        ## `EncoderConfig`

        Use `dropout=0.2` for small data, or `droput=0.3`; see
        `TinyTransformerEncoder(vocab_size=10, d_modle=3)`.
        """
    findings = check_text(page)
    assert found(findings) == [("DG201", 3, "droput"), ("DG201", 4, "d_modle")]


def test_dg201_yaml_block_of_a_certain_config(check_text):
    page = """
        # `ClassifierConfig`

        ```yaml
        d_model: 32
        num_clases: 3
        pooling: mean
        ```
        """
    assert found(check_text(page)) == [("DG201", 5, "num_clases")]


def test_dg201_needs_a_close_name_when_the_object_is_only_guessed(check_text):
    page = """
        Some encoder knobs:

        | Name | Default |
        |---|---|
        | `d_model` | 64 |
        | `num_heads` | 4 |
        | `num_layer` | 2 |
        | `warmup` | 100 |
        """
    # no certain link: the best-matching candidate is taken, only near typos reported
    page = "Models: `EncoderConfig`.\n\n" + page.replace("\n        ", "\n").lstrip()
    assert [(f.code, f.subject) for f in check_text(page)] == [("DG201", "num_layer")]


def test_dg202_default_column_prose_and_entries(check_text):
    page = """
        ## `EncoderConfig`

        | Name | Default |
        |---|---|
        | `d_model` | `32` |
        | `dropout` | 0.1 |

        The `num_heads` field defaults to 8.

        `max_len`
        :   Longest sequence. Defaults to 64.
        """
    assert found(check_text(page)) == [
        ("DG202", 5, "d_model"), ("DG202", 8, "num_heads"), ("DG202", 10, "max_len")]


def test_dg202_not_when_undecidable_conditional_or_ambiguous(check_text):
    page = """
        ## `EncoderConfig`

        | Name | Default |
        |---|---|
        | `d_model` | half of 128 |
        | `dropout` | `0.1` (0.0 at eval) |

        When pretraining, `dropout` defaults to 0.0.
        `d_model` and `num_heads` default to 128 and 8.
        The `activation` defaults to the encoder's choice.
        """
    assert check_text(page) == []


def test_dg202_yaml_block_against_the_cited_file_and_the_defaults(check_text):
    page = """
        ## Configs

        `tinyformer/configs/small.yaml` shrinks the encoder:

        ```yaml
        d_model: 32
        num_heads: 4
        ```

        The defaults of `EncoderConfig`:

        ```yaml
        d_model: 64
        dropout: 0.2
        ```
        """
    assert found(check_text(page)) == [("DG202", 7, "num_heads"), ("DG202", 14, "dropout")]


def test_dg203_table_in_a_parameters_section_lists_everything(check_text):
    findings = check_text(ENCODER_TABLE.replace("    | `max_len` | 128 |\n", ""))
    missing = [f.subject for f in findings]
    assert all(f.code == "DG203" and f.line == 3 for f in findings)
    assert missing == ["max_len"]


def test_dg203_counts_every_table_of_the_section_and_only_parameter_sections(check_text):
    split = """
        ## `ConvTokenizer` parameters

        | Name | Default |
        |---|---|
        | `vocab_size` | 256 |
        | `d_model` | 64 |

        | Name | Default |
        |---|---|
        | `kernel_size` | 4 |
        | `stride` | 4 |
        """
    assert check_text(split) == []
    partial = split.replace("parameters", "highlights")
    assert check_text(partial.split("| Name | Default |", 2)[0] + "| Name |\n|---|\n| `stride` |\n") == []


def test_dg204_code_block_calls(check_text):
    page = """
        ```python
        from tinyformer import TinyTransformerEncoder, ClassifierConfig

        model = TinyTransformerEncoder(d_model=32, dropuot=0.1)
        config = ClassifierConfig(num_labels=3)
        ```
        """
    findings = check_text(page)
    assert found(findings) == [
        ("DG204", 4, "dropuot"), ("DG204", 4, "vocab_size"), ("DG204", 5, "num_labels")]
    assert "did you mean `num_layers`?" in findings[-1].message


def test_dg204_skips_proposals_output_and_other_languages(check_text):
    page = """
        ```python
        from tinyformer.future import TinyTransformerEncoder
        TinyTransformerEncoder(width=3)
        ```

        ```python
        Traceback (most recent call last):
        ValueError: d_model must be divisible
        ```

        ```bash
        python -c 'TinyTransformerEncoder(width=3)'
        ```
        """
    assert check_text(page) == []


def test_dg204_merges_missing_arguments_of_one_call(check_text):
    page = "```python\nfrom tinyformer.layers import scaled_dot_product_attention as f\nf()\n```\n"
    (finding,) = check_text(page)
    assert finding.subject == "query,key,value" and "arguments `query`, `key`, `value`" in finding.message


def test_dg006_python_block_that_does_not_parse(check_text):
    page = """
        Text.

        ```python
        model = TinyTransformerEncoder(
            vocab_size=3
        x = [
        ```

        ```
        $ not python at all (
        ```

        ```python
        %time model(x)
        !pip install tinyformer
        ```
        """
    findings = check_text(page)
    assert [(f.code, f.line) for f in findings] == [("DG006", 5)]


def test_doctest_blocks_in_rst(check_text):
    page = """
        Usage
        =====

        >>> from tinyformer import EncoderConfig
        >>> EncoderConfig(hidden=3)
        """
    assert found(check_text(page, "docs/usage.rst")) == [("DG204", 5, "hidden")]


def test_suppression_comments(check_text):
    table = ENCODER_TABLE.replace("`num_heads`", "`num_head`")
    table = table.replace("| `d_model` | `64` |", "| `d_model` | `65` |")
    lines = table.split("\n")
    lines.insert(2, "    <!-- docgen: ignore[DG201] -->\n")
    assert [f.code for f in check_text("\n".join(lines))] == ["DG202"]
    assert check_text("<!-- docgen: ignore -->\n" + table.replace("\n    ", "\n")) == []
    rst = """
        Page
        ====

        Text.

        .. docgen: ignore[DG204]

        >>> from tinyformer import EncoderConfig
        >>> EncoderConfig(hidden=3)

        >>> EncoderConfig(hiden=3)
        """
    assert found(check_text(rst, "docs/usage.rst")) == [("DG204", 11, "hiden")]


def test_rst_object_directive_scopes_its_fields(check_text):
    page = """
        API
        ===

        .. py:class:: tinyformer.EncoderConfig

           :param d_model: Width. Defaults to 32.
           :param num_head: Heads.
        """
    assert found(check_text(page, "docs/api.rst")) == [("DG201", 7, "num_head"), ("DG202", 6, "d_model")]
