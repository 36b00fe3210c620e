"""What every command shares: the global options (accepted before or after the command name and
listed in every command's help), the settings they make, errors as messages (never a traceback),
and progress bars.

A command added to the `iopc-kg` group, or to a group under it, gets the global options: write it
with plain `@main.command()` (or `@click.command()` then `main.add_command`) and read the settings
with `settings(ctx)`.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from ontology.exc import IopcKgError, InvalidData, InvalidSource, NotFound, QueryRefused

OVERRIDES = "iopc_kg.overrides"


def _remember(name: str):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value not in (None, False):
            ctx.meta.setdefault(OVERRIDES, {})[name] = value
        return value
    return callback


def global_options() -> list[click.Option]:
    """Fresh Option objects (click keeps state on them) for one command."""
    return [
        click.Option(["--data-dir"], type=click.Path(file_okay=False, path_type=Path), default=None, expose_value=False,
                     is_eager=True, callback=_remember("data_dir"),
                     help="Data directory (default: IOPC_KG_DATA_DIR or ./data). Global: before or after the command."),
        click.Option(["--store"], type=click.Choice(["embedded", "neo4j"]), default=None, expose_value=False, is_eager=True,
                     callback=_remember("store"), help="Graph store (default: IOPC_KG_STORE or embedded). Global."),
        click.Option(["-q", "--quiet"], is_flag=True, default=False, expose_value=False, is_eager=True,
                     callback=_remember("quiet"), help="No progress bars or notes on standard error. Global."),
    ]


class Group(click.Group):
    """A group whose commands (and their subcommands) all take the global options."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("context_settings", {}).setdefault("help_option_names", ["-h", "--help"])
        super().__init__(*args, **kwargs)
        self.params.extend(global_options())

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_globals(cmd)
        super().add_command(cmd, name)

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", Group)
        return super().group(*args, **kwargs)

    def main(self, *args, **kwargs):
        """Run, and turn whatever escapes into a message and an exit code: 2 for a bad argument or
        input, 1 for anything else (an unexpected error says to report it; IOPC_KG_DEBUG=1 shows
        the traceback)."""
        kwargs.setdefault("standalone_mode", True)
        try:
            rv = super().main(*args, standalone_mode=False, **{k: v for k, v in kwargs.items() if k != "standalone_mode"})
            if isinstance(rv, int) and rv:  # click hands back the code of a ctx.exit(n)
                sys.exit(rv)
            return rv
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except IopcKgError as e:
            _fail(e)
        except BrokenPipeError:  # `iopc-kg search x | head`: the reader left; that is not an error
            _quiet_pipe()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - the one place nothing may escape as a traceback
            if os.environ.get("IOPC_KG_DEBUG"):
                raise
            click.echo(f"Error: unexpected {type(e).__name__}: {e}\n(this is a bug: please report it with the command you "
                       f"ran; IOPC_KG_DEBUG=1 shows the traceback)", err=True)
            sys.exit(1)


def _add_globals(cmd: click.Command) -> None:
    names = {p.name for p in cmd.params}
    if "data_dir" not in names:
        cmd.params.extend(global_options())
    cmd.context_settings.setdefault("help_option_names", ["-h", "--help"])
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _add_globals(sub)


def _fail(error: IopcKgError) -> None:
    from api.client import ApiError

    bad_input = isinstance(error, (InvalidData, InvalidSource, NotFound, QueryRefused)) or (
        isinstance(error, ApiError) and 400 <= error.status < 500)
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(2 if bad_input else 1)


def _quiet_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def settings(ctx: click.Context):
    """The settings of this run: environment and .env, then the global options given."""
    from ontology.settings import Settings

    root = ctx.find_root()
    if "settings" not in root.meta:
        overrides = {k: v for k, v in ctx.meta.get(OVERRIDES, {}).items() if k in ("data_dir", "store")}
        try:
            root.meta["settings"] = Settings(**overrides)
        except Exception as e:  # noqa: BLE001 - pydantic's ValidationError names the setting
            raise click.ClickException(f"invalid settings: {e}") from None
    return root.meta["settings"]


def quiet(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(OVERRIDES, {}).get("quiet"))


def progress(ctx: click.Context) -> bool:
    """Whether to draw progress bars: on a terminal, unless --quiet."""
    return not quiet(ctx) and sys.stderr.isatty()


def note(ctx: click.Context, message: str) -> None:
    """A remark for the person at the terminal, on standard error (not with --quiet)."""
    if not quiet(ctx):
        click.echo(message, err=True)


# -- argument types ------------------------------------------------------------------------------

class DateParam(click.ParamType):
    """A day in any usual spelling (`api.dates.parse_day`): 2026-01-01, 01/01/2026 (day first, as in
    the UK), 1 January 2026, Jan 1 2026, today."""

    name = "DATE"

    def convert(self, value, param, ctx) -> date:
        from api.dates import parse_day

        try:
            return parse_day(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


DATE = DateParam()


def param_pairs(values: tuple[str, ...], option: str = "--param") -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not name=value", param_hint=option)
        out[name.strip()] = value
    return out
