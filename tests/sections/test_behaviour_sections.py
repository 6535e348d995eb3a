"""Sections from behaviour facts say what the code does, with its conditions."""

from __future__ import annotations

from pkgtools import facts_of

from docgen_plugin.sections import render_built_from, render_errors, render_inputs, render_limitations

CODE = '''
from torch import nn


class Base(nn.Module):
    """Builds its layers through a method subclasses override."""

    def __init__(self, channels, width=None):
        super().__init__()
        if isinstance(channels, int):
            width = channels
        if width is None:
            raise ValueError("width is required")
        self.layer = self.make_layer(width)

    def make_layer(self, width):
        return nn.Linear(width, width)

    def forward(self, x, return_all: bool = False):
        """Run it."""
        if return_all:
            return x, self.layer(x)
        return self.layer(x)


class Child(Base):
    """Overrides how layers are made."""

    def make_layer(self, width):
        if width % 2:
            raise ValueError(f"width must be even, not {width}")
        return nn.Linear(width, width)
'''


def test_errors_follow_overridden_methods_and_name_reassigned_parameters(tmp_path):
    facts = facts_of(tmp_path, {"models.py": CODE})
    child = render_errors(facts.get("pkg.models.Child"), facts)
    assert "through `Base.__init__`" in child
    # the subclass's own `make_layer` runs, called from the base's `__init__`
    assert "- `ValueError` if `width % 2` (in `make_layer`, on the arguments it is called with)" in child
    # `width` is the value the body gave it (from `channels`), not only the one passed
    assert ("- `ValueError` if `width is None` (with `width` as the code has set it by then, "
            "not only as passed)") in child
    base = render_errors(facts.get("pkg.models.Base"), facts)
    assert "width % 2" not in base  # the base's own `make_layer` raises nothing


def test_returns_by_branch(tmp_path):
    facts = facts_of(tmp_path, {"models.py": CODE})
    text = render_inputs(facts.get("pkg.models.Child"), facts)
    assert "- if `return_all`: a tuple of 2: `(x, self.layer(x))`" in text
    assert "- if `not return_all`: the output of `self.layer`" in text


GAT_LIKE = '''
from torch import nn


class Stack(nn.Module):
    """Builds convolutions through a method."""

    def __init__(self, channels: int, heads: int = 1):
        super().__init__()
        self.conv = self.init_conv(channels, heads=heads, concat=True)

    def init_conv(self, channels, **kwargs):
        heads = kwargs.pop("heads", 1)
        concat = kwargs.pop("concat", True)
        if getattr(self, "last", False):
            concat = False
        if concat and channels % heads != 0:
            raise ValueError("channels must divide by heads")
        for layer in range(heads):
            if layer > 8:
                raise ValueError("too many heads")
        return nn.Linear(channels, channels)

    def forward(self, x, return_emb=None):
        """Run it.

        Args:
            x: The input.
            return_emb (bool): Also return the embedding. (default: :obj:`False`)
        """
        return x
'''


def test_conditions_on_locals_the_body_sets_are_not_said_to_be_the_arguments(tmp_path):
    facts = facts_of(tmp_path, {"models.py": GAT_LIKE})
    text = render_errors(facts.get("pkg.models.Stack"), facts)
    # `concat` comes from **kwargs and is overridden: not "the arguments it is called with"
    assert ("- `ValueError` if `concat and channels % heads != 0` (in `init_conv`, where "
            "`concat`, `heads` are set before the check)") in text
    # a loop variable is named by its own guard, not as a value the body sets
    too_many = next(line for line in text.splitlines() if "too many heads" in line)
    assert "(in `init_conv`, where `heads` is set before the check)" in too_many


def test_a_docstring_default_that_is_not_the_codes_is_said_so_in_the_table(tmp_path):
    facts = facts_of(tmp_path, {"models.py": GAT_LIKE})
    text = render_inputs(facts.get("pkg.models.Stack"), facts)
    row = next(line for line in text.splitlines() if line.startswith("| `return_emb`"))
    assert "**The docstring's default `False` is not the code's `None`.**" in row
    assert "is not the code's" not in next(line for line in text.splitlines()
                                           if line.startswith("| `x`"))


CHECKED = {
    "checks.py": '''
class ShapeError(Exception):
    """A tensor of the wrong shape."""


def CHECK_SHAPE(x, shape, raises=True):
    """Check a tensor's shape."""
    if len(x.shape) != len(shape):
        if raises:
            raise ShapeError(f"{x.shape} is not {shape}")
        return False
    return True
''',
    "models.py": '''
from torch import nn

from pkg.checks import CHECK_SHAPE


def bins(size, count):
    if size % count:
        raise ValueError("size must divide by count")
    return size // count


class Describe(nn.Module):
    """Describes patches."""

    def __init__(self, size: int = 32, count: int = 4, body=None):
        super().__init__()
        self.step = bins(size, count)
        if body is None:
            body = nn.Conv2d(1, 8, 3)
        self.body = body

    def forward(self, x):
        CHECK_SHAPE(x, ["B", "1", "32", "32"])
        print(x)
        return self.body(x)
''',
}


def test_validation_calls_and_module_functions_raise_what_they_raise(tmp_path):
    facts = facts_of(tmp_path, CHECKED)
    obj = facts.get("pkg.models.Describe")
    errors = render_errors(obj, facts)
    # a public function of the module, one level deep, on its own arguments
    assert "- `ValueError` if `size % count` (in `bins`, on the arguments it is called with)" in errors
    # a bare call to a check function of another module: what that function raises
    assert '- `ShapeError` when the check `CHECK_SHAPE(x, ["B", "1", "32", "32"])` fails' in errors
    assert "print" not in errors  # a bare call that is no check
    assert "raises no exception of its own" not in errors
    limits = render_limitations(obj, facts)
    assert '`Describe.forward` checks `CHECK_SHAPE(x, ["B", "1", "32", "32"])`' in limits


def test_a_submodule_built_in_a_local_then_assigned(tmp_path):
    facts = facts_of(tmp_path, CHECKED)
    text = render_built_from(facts.get("pkg.models.Describe"), facts)
    assert "| `body` | `torch.nn.Conv2d` | `Conv2d(1, 8, 3)`, only if `body is None` |" in text


BRANCHY = '''
from torch import nn


def Sequential(*modules):
    return nn.Sequential(*modules)


class Wrapper(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner


class Branchy(nn.Module):
    """Builds by condition."""

    def __init__(self, dim: int, project: bool = True, gate: bool = False, depth: int = 2):
        super().__init__()
        self.proj = nn.Linear(dim, dim) if project else nn.Identity()
        self.gate = nn.Identity()
        if gate:
            self.gate = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())
        self.body = nn.Linear(dim, dim)
        self.body = Wrapper(self.body)
        self.norms = nn.ModuleList([nn.LayerNorm(dim), nn.LayerNorm(dim + 1)])
        self.blocks = nn.ModuleList([])
        for _ in range(depth):
            self.blocks.append(nn.Linear(dim, dim))
        self.stack = Sequential(nn.Linear(dim, dim))
        gate = gate or depth > 3
        wide = dim > 64
        if gate and wide:
            self.extra = nn.Linear(dim, dim)

    def forward(self, x, return_all: bool = False, return_more: bool = False, keep: bool = False):
        if return_more:
            return_all = True
        if return_all:
            return (*x.unbind(0), x)
        doubled, halved = x.ndim > 2, x.ndim < 2
        if doubled:
            return x * 2
        if halved:
            x = x / 2
            if keep:
                return x.clone()
        return x
'''


def test_built_from_follows_branches_reassignments_and_appends(tmp_path):
    facts = facts_of(tmp_path, {"models.py": BRANCHY})
    text = render_built_from(facts.get("pkg.models.Branchy"), facts)
    assert "| `proj` | `torch.nn.Linear` | `Linear(dim, dim)`, only if `project` |" in text
    assert "| `proj` | `torch.nn.Identity` | `Identity()`, only if `not project` |" in text
    assert "| `gate` | `torch.nn.Identity` | `Identity()`, only if `not (gate)` |" in text
    assert "`Sequential(nn.Linear(dim, 1), nn.Sigmoid())`, only if `gate`" in text
    # the attribute's final value, not the one it wrapped
    assert "| `body` | `pkg.models.Wrapper` | `Wrapper(self.body)` |" in text
    assert "Linear(dim, dim) |" not in text.split("`body`")[1].split("\n")[0]
    # calls with different arguments: the class, not a call the code does not make
    assert "| `norms` | `torch.nn.LayerNorm` | `LayerNorm`, `2` of them in a `ModuleList` |" in text
    # an empty ModuleList filled by append is not "ModuleList([])"
    assert "| `blocks` | `torch.nn.Linear` | `Linear(dim, dim)`, in a `ModuleList` |" in text
    # a helper function is no class
    assert "| `stack` | what the function `pkg.models.Sequential` returns |" in text
    # a flag the body reassigned, a local it computed: the condition says so
    assert ("| `extra` | `torch.nn.Linear` | `Linear(dim, dim)`, only if `gate and wide` (with "
            "`gate` as the code has set it by then; `wide` is set in the body before the build) |") in text


def test_returns_name_flags_the_body_sets_and_starred_tuples_have_no_count(tmp_path):
    facts = facts_of(tmp_path, {"models.py": BRANCHY})
    text = render_inputs(facts.get("pkg.models.Branchy"), facts)
    assert ("- if `return_all` (with `return_all` as the code has set it by then): "
            "a tuple: `(*x.unbind(0), x)`") in text
    # a return inside a branch that does not always return: the rest runs when it did not
    assert "- if `not return_all` and `not doubled` and `not (halved and keep)` (" in text
    # a local the body computes is no argument: the condition says so
    assert ("- if `not return_all` and `doubled` (with `return_all` as the code has set it by "
            "then; `doubled` is set in the body before the return): `x * 2`") in text


LIMITED = '''
from torch import nn


def check_width(width):
    if width % 2:
        raise ValueError("width must be even")


class Gate(nn.Module):
    """Gates its input."""

    def __init__(self, width=None, heads=1):
        super().__init__()
        check_width(heads)
        if width is None:
            width = heads * 4
        if width > 64:
            raise ValueError("too wide")

    def forward(self, x, mask=None):
        """Gate `x`."""
        if mask is not None and mask.dim() != 2:
            raise ValueError("mask must be 2-D")
        if mask is None:
            mask = x.new_ones(x.shape)
        if mask.sum() == 0:
            raise ValueError("nothing to gate")
        return x * mask
'''


def test_limitations_list_only_checks_on_the_arguments_as_passed(tmp_path):
    facts = facts_of(tmp_path, {"models.py": LIMITED})
    obj = facts.get("pkg.models.Gate")
    limits = render_limitations(obj, facts)
    assert "`Gate.forward` raises `ValueError` if `mask is not None and mask.dim() != 2`" in limits
    # `mask` may be the body's own by then, `width % 2` is `check_width`'s argument, not
    # `width`: one-line limitations would state those as conditions on the call
    assert "mask.sum()" not in limits and "width % 2" not in limits and "width > 64" not in limits
    errors = render_errors(obj, facts)  # where they are listed, with their qualifiers
    assert "mask.sum() == 0" in errors and "width % 2" in errors


REFUSING = '''
from torch import nn


class Levels(nn.Module):
    """Quantizes to levels."""

    def __init__(self, levels: int):
        super().__init__()
        assert levels > 2, "levels must be more than 2"

    def forward(self, x):
        return x
'''


def test_no_limitation_listed_is_not_nothing_refused(tmp_path):
    """Constructor checks are Error handling's; the fallback must not say it refuses nothing."""
    facts = facts_of(tmp_path, {"models.py": REFUSING})
    limits = render_limitations(facts.get("pkg.models.Levels"), facts)
    assert "nothing it refuses" not in limits and "listed under Error handling" in limits
    assert "levels <= 2" in render_errors(facts.get("pkg.models.Levels"), facts)
