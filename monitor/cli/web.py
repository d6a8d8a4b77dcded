"""Commands of the desk's web side: serve it, and hash a user's password for the deployment file."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.base import Context, app, complain, say

users_app = typer.Typer(rich_markup_mode=None, help="Users of the review desk.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: [web] host, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default: [web] port).")] = None,
) -> None:
    """Serve the review desk alone (the daemon serves it too when [web] enabled = true)."""
    from monitor.web.server import serve as serve_desk

    obj: Context = ctx.obj
    settings = obj.settings()
    bound = host or settings.web.host
    say(f"review desk on http://{bound}:{port or settings.web.port}/ (Ctrl-C stops it)")
    serve_desk(settings, host, port, obj.sources())


@users_app.command("hash")
def hash_password(
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given."),
    ],
) -> None:
    """Print an argon2 hash of a password, for [web.users.NAME] password_hash in the deployment file."""
    from monitor.web.auth import hash_password as argon2_hash

    if len(password) < 8:
        complain("error", "a password needs at least 8 characters")
        raise typer.Exit(2)
    print(argon2_hash(password))


@users_app.command("token")
def read_token() -> None:
    """A new read token for feeds, the calendar, exports and the API (?token=…), and the line that goes in
    the user's [web.users.NAME] table. The token is shown once; only its hash is kept."""
    from monitor.web.auth import new_token, token_hash

    token = new_token()
    say(f"token (give it to the user; it is not shown again): {token}")
    say(f'for the deployment file: token_hash = "{token_hash(token)}"')
