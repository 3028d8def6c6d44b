"""``synthio prepare NAME SRC OUT``: the paper's ten datasets, from the official archives the user downloaded, as audiofolders.

Plus ``us8k-mixtures``, a multi-label benchmark derived from the UrbanSound8K audiofolder (mixtures
of 1-3 clips of one fold; options ``mixtures_per_fold`` and ``seed``).

One module per dataset, each with a ``RECIPE`` (``synthio.prepare.base.Recipe``): its licence, the
archive to download, the layout ``SRC`` must have, and the columns it writes. ``RECIPES`` maps
names to recipes. Nothing is downloaded; a missing file is a ``MissingSourceError`` naming the
exact path and the archive. Runs are idempotent and resumable (see ``synthio.prepare.base``).
"""

from __future__ import annotations

from pathlib import Path

from synthio.errors import SynthioError
from synthio.prepare import dcase2017_task4, esc50, fsd50k, gtzan, medley_solos_db, musdb18, nsynth, tut_urban, urbansound8k, us8k_mixtures, vocalsound
from synthio.prepare.base import MissingSourceError, Recipe, SourceFormatError

__all__ = ["RECIPES", "MissingSourceError", "Recipe", "SourceFormatError", "UnknownRecipeError", "describe", "get_recipe", "prepare"]

RECIPES: dict[str, Recipe] = {
    module.RECIPE.name: module.RECIPE
    for module in (esc50, urbansound8k, gtzan, medley_solos_db, tut_urban, nsynth, vocalsound, musdb18, dcase2017_task4, fsd50k, us8k_mixtures)
}


class UnknownRecipeError(SynthioError, ValueError):
    """A recipe name that is not in ``RECIPES``; the message lists the names."""


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise UnknownRecipeError(f"unknown dataset {name!r}; choose one of: {', '.join(RECIPES)} (`synthio prepare --list` shows what each needs)") from None


def prepare(name: str, src: str | Path, out: str | Path, force: bool = False, **options) -> Path:
    """Prepare dataset ``name`` from the extracted archive in ``src`` into the audiofolder ``out``; return ``out``. ``options``: the recipe's own (e.g. us8k-mixtures' ``seed``)."""
    return get_recipe(name).prepare(src, out, force=force, options=options)


def describe(recipe: Recipe) -> str:
    """The ``--list`` entry of one recipe: title, archive, expected layout of SRC, licence, columns."""
    lines = [
        f"{recipe.name}  ({recipe.title})",
        f"  download: {recipe.archive}",
        "  SRC must hold:",
        *(f"    {line}" for line in recipe.layout),
        f"  licence:  {recipe.licence}",
        f"  writes:   {','.join(recipe.columns)}",
    ]
    if recipe.notes:
        lines.append(f"  notes:    {recipe.notes}")
    for option, help_text in recipe.options:
        lines.append(f"  option:   --{option.replace('_', '-')}  {help_text}")
    return "\n".join(lines)
