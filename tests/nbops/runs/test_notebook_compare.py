"""Notebooks compare on what they computed, not on timings or scratch paths."""

from __future__ import annotations

import json
from pathlib import Path

from nbops.runs._notebook_compare import compare_notebooks, normalise


def notebook(root: str, value: str, duration: float) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "papermill": {"duration": duration, "start_time": f"t{duration}"},
            "language_info": {"version": "3.11.9"},
        },
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "a",
                "metadata": {"papermill": {"duration": duration}, "execution": {"x": duration}},
                "source": f'product = {{"nb": "{root}/.nbops/products/x.ipynb"}}',
                "outputs": [],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "id": "b",
                "metadata": {},
                "source": "print(value)",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": [value, "\n"]},
                    {
                        "output_type": "display_data",
                        "metadata": {"x": duration},
                        "data": {"text/plain": [value]},
                    },
                ],
            },
        ],
    }


def write(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb))
    return path


def test_timings_metadata_and_scratch_paths_do_not_count(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ipynb", notebook("/work/proj", "0.81", 1.5))
    b = write(tmp_path / "b.ipynb", notebook("/tmp/scratch/proj", "0.81", 9.25))
    assert compare_notebooks(a, b, {"/tmp/scratch/proj": "/work/proj"}) is None
    # without rewriting the scratch folder, the injected cell differs
    difference = compare_notebooks(a, b, {})
    assert difference is not None and difference.cell_index == 0
    assert difference.what == "source"


def test_a_different_output_is_located(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ipynb", notebook("/p", "0.81", 1))
    b = write(tmp_path / "b.ipynb", notebook("/p", "0.79", 1))
    difference = compare_notebooks(a, b, {})
    assert difference is not None
    assert (difference.cell_index, difference.what) == (1, "outputs")
    assert "0.81" in difference.recorded and "0.79" in difference.reproduced
    assert difference.describe() == "cell 1 outputs differ"


def test_extra_cells_are_a_difference() -> None:
    nb = notebook("/p", "1", 1)
    longer = {**nb, "cells": nb["cells"] + [{"cell_type": "markdown", "source": "x"}]}
    from nbops.runs._notebook_compare import first_difference

    difference = first_difference(normalise(nb), normalise(longer))
    assert difference is not None and difference.cell_index is None
    assert "2 and 3 cells" in difference.describe()


def test_volatile_strings_are_masked_but_real_values_are_not() -> None:
    from nbops.runs._notebook_compare import mask_volatile

    a = {
        "text/plain": "<pandas.io.formats.style.Styler at 0x7ff00f49f9d0> f...x7ff00f49f9d0&gt;",
        "text/html": '<table id="T_0129a"><th id="T_0129a_level0_col0">0.81</th>',
        "stderr": "/tmp/ipykernel_21414/2797712767.py:1: Warning",
    }
    b = {
        "text/plain": "<pandas.io.formats.style.Styler at 0x7f4be2b030d0> f...x7f4be2b030d0&gt;",
        "text/html": '<table id="T_be015"><th id="T_be015_level0_col0">0.81</th>',
        "stderr": "/tmp/ipykernel_24961/2797712767.py:1: Warning",
    }
    assert mask_volatile(a) == mask_volatile(b)
    c = dict(b, **{"text/html": b["text/html"].replace("0.81", "0.80")})
    assert mask_volatile(a) != mask_volatile(c)


def test_one_off_environment_messages_are_ignored() -> None:
    from nbops.runs._notebook_compare import first_difference

    nb = notebook("/p", "1", 1)
    noisy = json.loads(json.dumps(nb))
    noisy["cells"][1]["outputs"].insert(
        0,
        {
            "output_type": "stream",
            "name": "stderr",
            "text": ["Matplotlib is building the font cache; this may take a moment.\n"],
        },
    )
    assert first_difference(normalise(nb), normalise(noisy)) is None
    noisy["cells"][1]["outputs"][0]["text"].append("a real warning\n")
    assert first_difference(normalise(nb), normalise(noisy)) is not None


def test_printed_text_cut_into_other_messages_is_equal_but_other_text_is_not() -> None:
    from nbops.runs._notebook_compare import first_difference

    def printed(*parts: tuple[str, str]) -> dict:
        nb = notebook("/p", "1", 1)
        nb["cells"][1]["outputs"] = [
            {"output_type": "stream", "name": name, "text": text} for name, text in parts]
        return nb

    whole = printed(("stdout", "13 inputs become 33 features.\n"))
    # a loaded kernel flushed between print()'s text and its newline (CI, features cell 6)
    cut = printed(("stdout", "13 inputs become 33 features."), ("stdout", ["\n"]))
    assert first_difference(normalise(whole), normalise(cut)) is None
    # stderr arriving between two stdout parts: each stream's text is still the same
    warned = printed(("stdout", "a\n"), ("stderr", "careful\n"), ("stdout", "b\n"))
    later = printed(("stdout", "a\nb\n"), ("stderr", "careful\n"))
    assert first_difference(normalise(warned), normalise(later)) is None
    # but the text itself, or the stream it went to, still counts
    assert first_difference(normalise(whole), normalise(
        printed(("stdout", "13 inputs become 34 features.\n")))) is not None
    assert first_difference(normalise(whole), normalise(
        printed(("stderr", "13 inputs become 33 features.\n")))) is not None
    assert first_difference(normalise(later), normalise(
        printed(("stdout", "a\nb\n")))) is not None


def _injected(source: str) -> dict:
    return {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]},
            "source": source, "outputs": [], "execution_count": 1}


def test_injected_parameters_in_another_order_are_equal_but_other_values_are_not() -> None:
    from nbops.runs._notebook_compare import first_difference, normalise

    train, features = '"train": {"nb": "t.ipynb"}', '"features": {"nb": "f.ipynb"}'
    a = {"cells": [_injected(f"threshold = 0.5\nupstream = {{{train}, {features}}}\n")]}
    b = {"cells": [_injected(f"threshold = 0.5\nupstream = {{{features}, {train}}}\n")]}
    c = {"cells": [_injected(f"threshold = 0.6\nupstream = {{{features}, {train}}}\n")]}
    assert first_difference(normalise(a), normalise(b)) is None
    difference = first_difference(normalise(a), normalise(c))
    assert difference is not None and difference.what == "source"


def test_a_real_kernels_print_cut_by_its_flush_timer_compares_equal(tmp_path: Path) -> None:
    """ipykernel sends what a cell printed at each flush, its timer's (every 0.2 s, which
    a loaded machine can fire between a print's text and its newline) or the code's: text
    written across one arrives as two stream messages, which nbclient keeps as two outputs.
    Executed by a real kernel, the cut and the uncut cell are the same result."""
    import nbformat
    from nbclient import NotebookClient

    def executed(source: str) -> Path:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()
        path = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nb, path)
        return path

    cut = executed("import sys, time\nsys.stdout.write('13 inputs'); sys.stdout.flush()\n"
                   "time.sleep(0.5)\nprint(' become 33 features.')")
    whole = executed("import sys, time\nprint('13 inputs become 33 features.')")
    outputs = json.loads(cut.read_text())["cells"][0]["outputs"]
    assert len(outputs) == 2, outputs  # the kernel did cut it
    # only the source differs: compare the outputs of the two cells
    a, b = normalise(json.loads(cut.read_text())), normalise(json.loads(whole.read_text()))
    assert a[0]["outputs"] == b[0]["outputs"], (a, b)
