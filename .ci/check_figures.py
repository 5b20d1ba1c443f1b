"""Fail unless every notebook cell that draws a figure has the figure committed as an image output.

    python .ci/check_figures.py nbs/*.ipynb

A cell draws when its code calls matplotlib (`plt.`, `.imshow(`, `subplots(`) or a `plot_*` helper;
cells that only define functions (`#| export`) or never run (`#| eval: false`) are not counted.
"""
import json, re, sys
from pathlib import Path

DRAWS = re.compile(r'\bplt\.|\.imshow\(|subplots\(|^\s*plot_\w+\(|\bImage\(', re.M)

def missing(path: Path) -> list[str]:
    out = []
    for i, c in enumerate(json.loads(path.read_text())['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or re.search(r'^#\|\s*(export|eval:\s*false)', src, re.M) or not DRAWS.search(src): continue
        if not any('image/png' in o.get('data', {}) for o in c.get('outputs', [])):
            out.append(f"{path.name} cell {i} ({c.get('id', '?')}): {src.strip().splitlines()[0][:70]}")
    return out

if __name__ == '__main__':
    bad = [m for p in sys.argv[1:] for m in missing(Path(p))]
    for m in bad: print(f"no figure committed: {m}")
    print(f"figures: {len(bad)} cell(s) without their image")
    sys.exit(1 if bad else 0)
