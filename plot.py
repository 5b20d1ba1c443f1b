"""Plot the smoothed training loss and the evaluation returns of one or more `tt-train` runs.

    python plot.py RUN_DIR [RUN_DIR ...] [--out loss.png] [--ema 0.9]

Reads each run's `metrics.jsonl`; needs only matplotlib.
"""
from __future__ import annotations
import argparse, json, sys
from pathlib import Path


def read_metrics(run_dir: Path) -> list[dict]:
    "The records of a run's metrics.jsonl, skipping a line cut short by a crash."
    out = []
    for line in (run_dir / 'metrics.jsonl').read_text().splitlines():
        try: out.append(json.loads(line))
        except json.JSONDecodeError: pass
    return out


def ema(values: list[float], alpha: float) -> list[float]:
    "Exponential moving average, `s_t = alpha*s_{t-1} + (1-alpha)*x_t`, started at the first value."
    out, s = [], None
    for v in values:
        s = v if s is None else alpha * s + (1 - alpha) * v
        out.append(s)
    return out


def series(records: list[dict], key: str) -> tuple[list[int], list[float]]:
    rows = [(r['step'], r[key]) for r in records if r.get(key) is not None]
    return [s for s, _ in rows], [v for _, v in rows]


def fail(message: str):
    print('error: ' + ' '.join(str(message).split()), file=sys.stderr)
    sys.exit(2)


def check_out(out: Path):
    "Fail unless a file can be written at `out`: checked before any run is read."
    if out.is_dir(): fail(f"--out {out} is a folder: give a .png file name")
    q = out.parent
    while not q.exists() and q != q.parent: q = q.parent
    if not q.is_dir(): fail(f"--out {out} cannot be written: {q} is a file, not a folder")


def main(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('runs', nargs='*', metavar='RUN_DIR', help="tt-train run folders (each with a metrics.jsonl)")
    p.add_argument('--out', default='loss.png', help="PNG to write")
    p.add_argument('--ema', type=float, default=0.9, help="smoothing of the loss, in [0, 1); 0 plots it raw")
    p.error = lambda message: fail(f"{message} (see python plot.py --help)")
    args = p.parse_args(argv)
    if not args.runs: fail("give at least one run folder: python plot.py RUN_DIR [RUN_DIR ...]")
    if not 0 <= args.ema < 1: fail(f"--ema must be in [0, 1), got {args.ema}")
    check_out(Path(args.out))
    runs = {}
    for d in map(Path, args.runs):
        if not (d / 'metrics.jsonl').is_file(): fail(f"{d} has no metrics.jsonl: is it a tt-train run folder?")
        runs[d] = read_metrics(d)
        if not any('train/loss' in r for r in runs[d]): fail(f"{d}/metrics.jsonl holds no training loss yet")

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    evals = [k for k in ('eval/return_mean', 'eval/normalized_score') if any(k in r for rs in runs.values() for r in rs)]
    fig, axes = plt.subplots(1, 1 + len(evals), figsize=(5 * (1 + len(evals)), 3.5), squeeze=False)
    for i, (d, recs) in enumerate(runs.items()):
        c = f'C{i}'
        steps, loss = series(recs, 'train/loss')
        axes[0, 0].plot(steps, loss, color=c, alpha=0.25)
        axes[0, 0].plot(steps, ema(loss, args.ema), color=c, label=d.name or str(d))
        for ax, key in zip(axes[0, 1:], evals):
            s, v = series(recs, key)
            if s: ax.plot(s, v, 'o-', color=c, label=d.name or str(d))
    axes[0, 0].set(xlabel='step', ylabel='weighted cross-entropy', title=f'training loss (EMA {args.ema})')
    for ax, key in zip(axes[0, 1:], evals): ax.set(xlabel='step', ylabel=key.split('/')[1], title=key)
    for ax in axes[0]: ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == '__main__':
    main()
