"""Plot the training loss and the evaluation returns of one or more `tt-train` runs.

    python plot.py RUN_DIR [RUN_DIR ...] [--out loss.png] [--window 21]

Reads each run's `metrics.jsonl`; a folder without one, or without a logged loss yet (a run stopped in its first
steps), is skipped and named, so `python plot.py runs/*` draws whatever can be drawn. The raw loss is drawn faintly; over it, a centred moving average over
`--window` logged points, which does not lag the raw curve (an exponential average would trail it by
about `1/(1-alpha)` points). Errors are one line, as from the other commands.
"""
from __future__ import annotations
import argparse
from pathlib import Path
from tt_nbdev.config import check_output_file, fail
from tt_nbdev.run_folder import read_metrics


def centred_mean(values: list[float], window: int) -> list[float]:
    "Mean over a window centred on each point, `window // 2` points each side, narrowed symmetrically at the ends (no lag)."
    h, n = window // 2, len(values)
    out = []
    for i in range(n):
        k = min(h, i, n - 1 - i)                         # as many points on each side: the window stays centred
        out.append(sum(values[i - k:i + k + 1]) / (2 * k + 1))
    return out


def series(records: list[dict], key: str) -> tuple[list[int], list[float]]:
    rows = [(r['step'], r[key]) for r in records if r.get(key) is not None]
    return [s for s, _ in rows], [v for _, v in rows]


def main(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('runs', nargs='*', metavar='RUN_DIR', help="tt-train run folders (each with a metrics.jsonl)")
    p.add_argument('--out', default='loss.png', help="PNG to write")
    p.add_argument('--window', type=int, default=21, help="logged points in the centred moving average of the loss; 1 plots it raw")
    p.error = lambda message: fail(f"{message} (see python plot.py --help)")
    args = p.parse_args(argv)
    if not args.runs: fail("give at least one run folder: python plot.py RUN_DIR [RUN_DIR ...]")
    if args.window < 1: fail(f"--window must be >= 1, got {args.window}")
    try: check_output_file(args.out, '--out')
    except ValueError as e: fail(e)
    runs, skipped = {}, []
    for d in map(Path, args.runs):
        if not (d / 'metrics.jsonl').is_file(): skipped.append(f"{d} (no metrics.jsonl: not a tt-train run folder?)"); continue
        recs = read_metrics(d)
        if not any('train/loss' in r for r in recs): skipped.append(f"{d} (no training loss logged yet)"); continue
        runs[d] = recs
    if not runs: fail(f"nothing to plot: {'; '.join(skipped)}")
    if skipped: print(f"skipped {len(skipped)} folder(s): {'; '.join(skipped)}")

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    evals = [k for k in ('eval/return_mean', 'eval/normalized_score') if any(k in r for rs in runs.values() for r in rs)]
    fig, axes = plt.subplots(1, 1 + len(evals), figsize=(5 * (1 + len(evals)), 3.5), squeeze=False)
    for i, (d, recs) in enumerate(runs.items()):
        c = f'C{i}'
        steps, loss = series(recs, 'train/loss')
        axes[0, 0].plot(steps, loss, color=c, alpha=0.25)
        axes[0, 0].plot(steps, centred_mean(loss, args.window), color=c, label=d.name or str(d))
        for ax, key in zip(axes[0, 1:], evals):
            s, v = series(recs, key)
            if s: ax.plot(s, v, 'o-', color=c, label=d.name or str(d))
    axes[0, 0].set(xlabel='step', ylabel='weighted cross-entropy', title=f'training loss (centred mean of {args.window} points)')
    for ax, key in zip(axes[0, 1:], evals): ax.set(xlabel='step', ylabel=key.split('/')[1], title=key)
    for ax in axes[0]: ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == '__main__':
    main()
