"""The docs stay honest: every setting and every CLI command is documented."""

from pathlib import Path

from api.cli import main
from ontology.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"`{name}`" in text, f"docs/settings.md does not list {name}"


def test_every_command_is_in_the_readme():
    text = (ROOT / "README.md").read_text()
    for name in main.commands:
        assert f"iopc-kg {name}" in text, f"README.md does not show iopc-kg {name}"


def test_cli_reference_is_current():
    """docs/cli.md's reference is every command's --help, written by cog: regenerate it with
    `cog -r docs/cli.md` after changing a command."""
    from cogapp import Cog

    status = Cog().main(["cog", "--check", "-I", str(ROOT), str(ROOT / "docs" / "cli.md")])
    assert status == 0, "docs/cli.md is out of date: run `cog -r docs/cli.md`"
