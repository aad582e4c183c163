"""``nbops card``: a registered version's model card, as Markdown, written, or compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbops.contracts import CardSection, RunSummary
from nbops.core import NbopsError, RegistryError

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)
#: where ``--write`` puts a version's card, relative to the project (next to models.json)
CARDS_DIR = Path(".nbops") / "registry" / "cards"


def card_of(root: Path, ref: str) -> tuple[CardSection, ModelVersion, list[RunSummary]]:
    """(card section, registry version record, monitoring runs) of ``ref`` (``churn@champion``).

    Raises:
        NbopsError: the version's run recorded no card.
    """
    from nbops.contracts import CARD
    from nbops.core import Project
    from nbops.registry import get_version
    from nbops.runs import list_runs, load_manifest

    version = get_version(ref, root)
    run_id = version.get("registered_by_run") or version["run_id"]
    if run_id is None:
        raise NbopsError(f"{ref} has no model card: it was registered outside a run",
                         "register the model with a pipeline build (see docs/model-cards.md)")
    project = Project(root)
    card = CARD.read(load_manifest(project, run_id))
    if card is None:
        raise NbopsError(
            f"{ref} has no model card: its run {run_id} measured no card evaluation",
            "rebuild with an evaluate step that writes card_evaluation.json "
            "(see docs/model-cards.md)")
    name, number = card["model"]["name"], version["version"]
    monitoring = [s for s in list_runs(project)
                  if s.get("model_version") == {"model": name, "version": number}
                  and s.get("monitoring_verdict")]
    return card, version, monitoring


@click.command()
@click.argument("refs", nargs=-1, required=True)
@click.option("--diff", is_flag=True, help="Show what changed from the first version to the "
              "second (data, metrics, slices, limitations).")
@click.option("--write", is_flag=True, help="Also store the card next to the model in the "
              "registry (.nbops/registry/cards/NAME/vN/README.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the card section as JSON.")
@_project_option
def card(refs: tuple[str, ...], diff: bool, write: bool, as_json: bool,
         project: Path | None) -> None:
    """Print the model card of REF (e.g. churn@champion, churn:3) as Markdown.

    With two versions and --diff: what changed between their cards.
    """
    from nbops.cards import card_diff, card_markdown, diff_markdown
    from nbops.registry import find_root

    if diff != (len(refs) == 2) or len(refs) > 2:
        raise click.UsageError("give one version, or two versions with --diff "
                               "(nbops card churn:3 churn:4 --diff)")
    root = find_root(project)
    if diff:
        (a, _, _), (b, _, _) = card_of(root, refs[0]), card_of(root, refs[1])
        if as_json:
            click.echo(json.dumps(dict(card_diff(a, b)), indent=2))
            return
        click.echo(diff_markdown(refs[0], refs[1], card_diff(a, b)), nl=False)
        return
    section, version, monitoring = card_of(root, refs[0])
    if as_json:
        click.echo(json.dumps(section, indent=2))
        return
    text = card_markdown(section, version, monitoring)
    click.echo(text, nl=False)
    if write:
        from nbops.core import atomic_write_text

        name = section["model"]["name"]
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            raise RegistryError(f"model name {name!r} cannot name a folder", "rename the model")
        dest = root / CARDS_DIR / name / f"v{version['version']}" / "README.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(dest, text)
        click.echo(f"card written: {dest.relative_to(root)}", err=True)


COMMANDS = [card]
