"""Run notebooks top to bottom at the size they document and save them with their outputs.

    python .ci/execute_notebooks.py nbs/*.ipynb

Unlike `nbdev_test`, this runs with `IN_TEST` unset (full size) and runs `#| slow` cells; it skips
`#| eval: false` cells and cells flagged `cuda` when no GPU is present. Then run `nbdev_clean`.
"""
import os, re, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

def skip(cell, cuda: bool) -> bool:
    "True for the cells nbdev_test would not run either (besides `slow`)."
    if cell.cell_type != 'code': return True
    flags = {m.group(1).strip().lower() for m in re.finditer(r'^#\|\s*(.+)$', cell.source, re.M)}
    return 'eval: false' in flags or ('cuda' in flags and not cuda)

if __name__ == '__main__':
    os.environ.pop('IN_TEST', None)
    import torch
    for fn in map(Path, sys.argv[1:]):
        t0, nb = time.time(), read_nb(fn)
        shell = CaptureShell(fn)
        with working_directory(fn.parent):
            shell.run_all(nb, exc_stop=True, preproc=lambda c: skip(c, torch.cuda.is_available()))
        write_nb(nb, fn)
        print(f"{fn}: {time.time() - t0:.0f} s", flush=True)
