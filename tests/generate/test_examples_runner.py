"""Usage examples run in a subprocess: success, an exception, a timeout, no network, files
written in a throwaway folder, and results cached."""

from __future__ import annotations

from pathlib import Path

from docgen_plugin.generate.examples import ExampleRuns, run_example, source_root


def test_an_example_that_runs_and_one_that_raises(tmp_path):
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    assert run_example("from mypkg import double\nassert double(2) == 4", tmp_path).ok
    failed = run_example("from mypkg import double\ndouble(None)", tmp_path)
    assert not failed.ok
    assert failed.error == "TypeError: unsupported operand type(s) for *: 'int' and 'NoneType'"


def test_doctest_sessions_run_as_their_code(tmp_path):
    assert run_example(">>> x = 2\n>>> x * 3\n6", tmp_path).ok


def test_a_slow_example_times_out(tmp_path):
    result = run_example("import time\ntime.sleep(30)", tmp_path, timeout=1)
    assert not result.ok and result.error == "timed out after 1 s"


def test_the_network_is_off(tmp_path):
    result = run_example("import socket\nsocket.create_connection(('example.org', 80))", tmp_path)
    assert not result.ok and "without network access" in result.error
    raw = run_example("import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))", tmp_path)
    assert not raw.ok and "without network access" in raw.error


def test_files_an_example_writes_go_to_a_throwaway_folder(tmp_path):
    result = run_example("open('weights.bin', 'w').write('x')", tmp_path)
    assert result.ok
    assert not (tmp_path / "weights.bin").exists() and not Path("weights.bin").exists()


def test_results_are_cached_by_example_and_facts(tmp_path):
    runs = ExampleRuns(tmp_path / "cache")
    first = runs.run("print(1)", "facts-a", tmp_path)
    again = runs.run("print(1)", "facts-a", tmp_path)
    assert first.ok and not first.cached and again.cached
    assert not runs.run("print(1)", "facts-b", tmp_path).cached  # the code changed since


def test_the_source_root_is_where_the_top_package_lives(tmp_path):
    assert source_root(tmp_path / "src" / "pkg" / "sub" / "m.py", "pkg.sub.m") == tmp_path / "src"
    assert source_root(tmp_path / "src" / "pkg" / "__init__.py", "pkg") == tmp_path / "src"
