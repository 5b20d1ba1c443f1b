"""What every benchmark script shares: where results go and how they are written."""
import json
from pathlib import Path

RESULTS = Path(__file__).parent / 'results'


def save_results(res: dict, out: str | None, name: str) -> Path:
    "Write `res` as JSON to `out` (default `results/<name>.json`) and say where it went."
    path = Path(out) if out else RESULTS / f'{name}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + '\n')
    print(f"wrote {path}")
    return path
