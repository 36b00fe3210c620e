"""docs/cli.md's reference section: every command's --help, as cog writes it (`cog -r docs/cli.md`)
and tests/test_docs.py checks it (`cog --check`)."""

from __future__ import annotations

import click
from click.testing import CliRunner


def commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if cmd.hidden:
            continue
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*prefix, name))


def markdown() -> str:
    from api.cli import main

    out = []
    for path, _ in [((), main), *commands(main)]:
        shown = CliRunner().invoke(main, [*path, "--help"], prog_name="iopc-kg", terminal_width=100, max_content_width=100)
        title = " ".join(("iopc-kg", *path))
        out.append(f"### {title}\n\n```\n{shown.output.rstrip()}\n```\n")
    return "\n".join(out)
