"""Entry point of the ``nbops`` command."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="nbops")
def cli() -> None:
    """nbops: run ledger, reports, registry and monitoring for notebook pipelines."""


def main() -> None:
    cli()
