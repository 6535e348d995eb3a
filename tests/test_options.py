"""One source for options: the hosts' options and the training options agree with `Settings`.

`Settings` declares every option with its default and help. The MkDocs plugin's `base.Config`
and the Sphinx extension's config values are the host-side spellings of some of them (plus
host-only switches); `TrainOptions` takes the train group from `Settings` itself.
"""

from __future__ import annotations

from dataclasses import fields

from docgen_plugin.finetune.training_options import FROM_SETTINGS, TrainOptions
from docgen_plugin.integrations.mkdocs.config import CheckConfig, DocgenConfig
from docgen_plugin.integrations.sphinx import CONFIG_VALUES
from docgen_plugin.settings import Settings

SETTINGS = {f.name: f for f in fields(Settings)}
# options only a docs host has: switches of the build, not of docgen's work
HOST_ONLY = {"enabled", "check", "draft", "draft_label", "autopages", "autopages_dir"}
# options a host leaves unset by default, so that `[tool.docgen]`'s value (else the Settings
# default) holds: a host default would override the pyproject's
INHERITED = {"model", "cache_dir"}


def _default(field):
    value = field.default_factory() if callable(field.default_factory) else field.default
    return list(value) if isinstance(value, tuple) else value


def _mkdocs_options() -> dict[str, object]:
    options = {name: option.default for name, option in DocgenConfig._schema}
    options.update({name: option.default for name, option in CheckConfig._schema
                    if name != "enabled"})  # `check: {select, ignore}` are the settings'
    return options


def test_mkdocs_options_are_settings_with_their_defaults() -> None:
    options = _mkdocs_options()
    assert set(options) - HOST_ONLY <= set(SETTINGS)
    for name in set(options) - HOST_ONLY:
        assert options[name] == (None if name in INHERITED else _default(SETTINGS[name])), name


def test_sphinx_config_values_are_the_mkdocs_options() -> None:
    sphinx = {name.removeprefix("docgen_"): default for name, default, _, _ in CONFIG_VALUES}
    mkdocs = _mkdocs_options()
    assert set(sphinx) == set(mkdocs) - {"autopages", "autopages_dir"}  # MkDocs writes pages
    for name in set(sphinx) - HOST_ONLY:
        assert sphinx[name] == (None if name in INHERITED else _default(SETTINGS[name])), name
    assert sphinx["check"] is True and mkdocs["check"] == {}  # a switch vs a sub-config


def test_training_options_take_the_train_group_from_settings() -> None:
    options = {f.name: f for f in fields(TrainOptions)}
    for name, key in FROM_SETTINGS.items():
        assert options[name].default == SETTINGS[key].default, name
        assert options[name].metadata["help"] == SETTINGS[key].metadata["help"], name
    custom = Settings(learning_rate=1e-3, train_batch_size=2, batch_size=64, seed=7)
    built = TrainOptions.from_settings(custom, seed=None, epochs=3.0)
    assert (built.learning_rate, built.batch_size, built.seed, built.epochs) == (1e-3, 2, 7, 3.0)
