"""TT (+Q) side by side with TT's own reward search, IQL acting alone and behaviour cloning, on the same episode seeds.

TT (+Q) is TT's reward search whose beams end in IQL's learned Q instead of the model's value token (`06b_iql`). On a
sparse-reward maze (`02b_sparse_mazes`) each row gets the env's success rate, the steps to the goal of the episodes
that reached it, and the returns; on a dense set, the returns and normalized scores. Every row runs the episodes
`seed + 10000 + k`; each finished row is written at once, so a killed run started again redoes only the missing rows.

    tt-collect --env-id tt/SparsePointMaze_Medium-v0 --policy waypoint --noise 0 --action-std 0.5 \\
               --dataset-id tt/pointmaze-sparse/medium-v0 --n-episodes 300
    tt-train --dataset tt/pointmaze-sparse/medium-v0 --run-dir runs/maze-medium --eval-episodes 0
    tt-iql --dataset tt/pointmaze-sparse/medium-v0 --run-dir runs/maze-medium
    python benchmarks/q_guided.py --dataset tt/pointmaze-sparse/medium-v0 --tt-run runs/maze-medium --episodes 20 \\
        --out benchmarks/results/q-guided-pointmaze-medium.json
"""
import argparse, json, re, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
from common import NO_SEARCH, add_tt_model
from quality import BCPolicy, train_bc
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.dataset import load_dataset
from tt_nbdev.evaluation import env_factory, evaluate, normalized_score, success_metrics
from tt_nbdev.iql import IQLPolicy, load_values, q_function
from tt_nbdev.plan_config import get_plan_config
from tt_nbdev.recipe import recipe_plan
from tt_nbdev.rollouts import rollout

ROWS = ('BC', 'IQL', 'TT', 'TT (+Q)', 'TT acting alone')
SEARCH = re.compile(r'^(TT|TT \(\+Q\)), H=(\d+), B=(\d+)$')   # a TT row at another horizon and beam width, e.g. 'TT (+Q), H=15, B=32'


def row_name(s: str) -> str:
    if s in ROWS or SEARCH.match(s): return s
    raise argparse.ArgumentTypeError(f"a row is one of {', '.join(ROWS)}, or 'TT, H=<h>, B=<b>' / 'TT (+Q), H=<h>, B=<b>'; got {s!r}")


def row_metrics(r: dict, ds, cpu: float) -> dict:
    "The figures one policy's episodes give: returns, normalized scores, success and CPU."
    returns = np.asarray(r['returns'], float)
    scores, source = normalized_score(returns, r['env_id'], ds)
    out = {'return_mean': float(returns.mean()), 'return_std': float(returns.std()), 'returns': returns.tolist(),
           'score_mean': None if scores is None else float(scores.mean()), 'score_std': None if scores is None else float(scores.std()),
           'score_source': source, 'cpu_minutes': cpu / 60}
    steps = np.asarray(r['success_steps'])
    if (steps != -2).any():
        m = success_metrics(steps)
        out |= {'success_rate': m['success_rate'], 'steps_to_goal': m['steps_to_goal'], 'success_steps': steps.tolist()}
    if 'seconds_per_step' in r: out['seconds_per_step'] = r['seconds_per_step']
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', required=True)
    p.add_argument('--tt-run', required=True, help="a finished tt-train run folder holding iql.pt too (tt-iql --run-dir)")
    add_tt_model(p)
    p.add_argument('--episodes', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--plan', default=None, help="the planner preset of the TT rows (None: the recipe's for the dataset)")
    p.add_argument('--bc-steps', type=int, default=4000)
    p.add_argument('--rows', nargs='+', default=list(ROWS[:4]), type=row_name)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    out, run = Path(a.out), Path(a.tt_run)
    ds = load_dataset(a.dataset)
    model, disc, state = load_checkpoint(run / a.tt_model)
    _, iql = load_values(run)
    plan = recipe_plan(a.plan or a.dataset)
    plans = {'TT': plan, 'TT (+Q)': get_plan_config(plan, value='q'), 'TT acting alone': get_plan_config(plan, **NO_SEARCH)}
    for name in a.rows:
        if m := SEARCH.match(name): plans[name] = get_plan_config(plans[m[1]], horizon=int(m[2]), beam_width=int(m[3]))
    settings = {'dataset': a.dataset, 'episodes': a.episodes, 'seed_base': a.seed + 10_000, 'tt_run': a.tt_run, 'tt_model': a.tt_model,
                'tt_steps': state.get('step'), 'tt_params': sum(x.numel() for x in model.parameters()),
                'iql': {k: iql[k] for k in ('family', 'expectile', 'beta', 'step')} | {'discount': iql['iql_config']['discount']},
                'bc_steps': a.bc_steps}
    res = json.loads(out.read_text()) if out.exists() else {}
    if res and res.get('settings') != settings:
        raise SystemExit(f"error: {out} holds rows of other settings; remove it or pick another --out")
    res['settings'], rows = settings, res.get('rows', {})
    make_env = env_factory(ds)
    for name in a.rows:
        if name in rows: print(f"{name}: in {out} already"); continue
        c0 = time.process_time()
        if name == 'BC':
            act, size = train_bc(ds, settings['tt_params'], a.bc_steps, seed=a.seed)
            r = rollout(lambda o, ac, n: BCPolicy(act, o, ac), make_env, a.episodes, seed=a.seed + 10_000, progress=False)
        elif name == 'IQL':
            r = rollout(lambda o, ac, n: IQLPolicy(run, o, ac), make_env, a.episodes, seed=a.seed + 10_000, progress=False)
        else:
            r = evaluate(model, disc, ds, a.episodes, plan=plans[name], seed=a.seed + 10_000, progress=False,
                         q_fn=q_function(run) if plans[name].value == 'q' else None)
        rows[name] = row_metrics(r, ds, time.process_time() - c0)
        if name in plans: rows[name]['plan'] = asdict(plans[name])
        if out.exists(): rows = json.loads(out.read_text()).get('rows', {}) | {name: rows[name]}   # rows another run added meanwhile stay
        res['rows'] = rows
        out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1) + '\n')
        m = rows[name]
        how = (f"success {m['success_rate']:.2f}, steps to the goal {m['steps_to_goal'] or float('nan'):.0f}" if 'success_rate' in m
               else f"score {m['score_mean']:.1f} ± {m['score_std']:.1f}")
        print(f"{name}: {how}, return {m['return_mean']:.2f} ± {m['return_std']:.2f}; {m['cpu_minutes']:.1f} CPU-min", flush=True)


if __name__ == '__main__':
    main()
