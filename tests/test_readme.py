"""README's command blocks, checked quickly here; tests/readme_commands.py runs them all in CI (.ci/run)."""

import shlex

import pytest

from digitlab.apps.cli import build_parser, chosen_parser
from tests import readme_commands as rc
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = rc.blocks(README)


def test_no_command_needs_the_shared_directory():
    assert len(BLOCKS) >= 6
    for _, code in BLOCKS:
        assert "shared" not in code, code


def test_every_digitlab_command_parses_as_written_and_as_its_quick_variant():
    commands = [rc.command_of(line) for language, code in BLOCKS if language == "sh"
                for line in rc.shell_commands(code) + code.splitlines()]
    digitlab = [c for c in commands if c.startswith("digitlab ")]
    assert len(digitlab) >= 15
    for command in digitlab:
        parser = build_parser()
        args, unknown = parser.parse_known_args(shlex.split(command)[1:])
        assert not unknown, command
        assert chosen_parser(parser, args).prog.startswith("digitlab ")


def test_quick_markers_add_arguments_or_replace_text():
    line = "digitlab reproduce all            # the results, 7 minutes [quick: --quick]"
    assert rc.quick(line, line) == "digitlab reproduce all --quick   # the results, 7 minutes [quick: --quick]"
    code = "mlp = NeuralNetMLP(epochs=1000)\nmlp.fit(X)   # 2 minutes [quick: epochs=1000 => epochs=5]\n"
    assert rc.quick(code, code).startswith("mlp = NeuralNetMLP(epochs=5)\n")
    with pytest.raises(ValueError, match="'epochs=7' is not in"):
        rc.quick("f(epochs=1)  # [quick: epochs=7 => epochs=1]", "f(epochs=1)  # [quick: epochs=7 => epochs=1]")
    for language, code in BLOCKS:  # every marker in README applies: to its line in sh, to its block in Python
        rc.shell_commands(code) if language == "sh" else rc.quick(code, code)
