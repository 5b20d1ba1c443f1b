"""Where TT's points go: the model as a plain policy against the planner and BC, the value and reward tokens
against the truth on episodes kept out of training, the model's open-loop error over a plan, and learning curves.

The run must hold out episodes: train it with `--max-episodes N` (the first N train; the rest are held out) and
`--snapshot-every S` (a `model-step<k>.pt` every S steps: the curve's points; they share the run's LR schedule).

    tt-train --dataset tt/hopper/medium-v0 --n-transitions 5 --max-steps 3200 --max-episodes 45 --snapshot-every 400 \\
        --eval-episodes 0 --run-dir runs/diag-hopper-medium
    python benchmarks/diagnose.py --dataset tt/hopper/medium-v0 --run runs/diag-hopper-medium --steps 400 800 1600 3200
    python benchmarks/diagnose.py --plot benchmarks/results/diagnose-*.json     # the learning-curve figure

Each finished piece is written to the result file at once, and a rerun skips what the file already holds, so a
killed run continues where it stopped; steps whose model the training has not reached yet are left for a later
run, so the curve can be evaluated while its training goes on. Every policy is evaluated over the same episodes (episode k reset with
seed 10000 + k).
"""
import argparse, json, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
import torch
from common import NO_SEARCH, RESULTS, mlp_checkpoints
from quality import BCPolicy, bc_data
from tt_nbdev.dataset import load_dataset, episode_arrays
from tt_nbdev.env_utils import flatten, make_env
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.plan_config import PlanConfig, get_plan_config
from tt_nbdev.planner import Planner
from tt_nbdev.rollouts import rollout
from tt_nbdev.evaluation import evaluate, env_factory, normalized_score

SEED = 10_000
POLICY = PlanConfig(**NO_SEARCH)                              # no search: sample the actions, as a policy acts
GREEDY = PlanConfig(**NO_SEARCH, k_act=1, cdf_act=None)   # no search, the likeliest action tokens


def snapshot_path(run: Path, step: int) -> Path:
    p = run / f'model-step{step}.pt'
    if p.exists(): return p
    m = run / 'model.pt'
    if m.exists() and torch.load(m, weights_only=True, map_location='cpu').get('step') == step: return m
    raise SystemExit(f"error: {run} has no model at step {step} (model-step{step}.pt, or model.pt of that step)")


def score(returns, ds) -> dict:
    s, _ = normalized_score(returns, None, ds)
    return {'return_mean': float(np.mean(returns)), 'return_std': float(np.std(returns)),
            'score_mean': float(np.mean(s)), 'score_std': float(np.std(s)), 'returns': [float(r) for r in returns]}


def tt_eval(model, disc, ds, plan: PlanConfig, episodes: int) -> dict:
    c0, t0 = time.process_time(), time.time()
    m = evaluate(model, disc, ds, episodes, plan=plan, seed=SEED, progress=False)
    return {**score(np.array(m['returns']), ds), 'plan': asdict(plan), 'done_ratio': m['done_ratio'],
            'env_steps': m['env_steps'], 'cpu_seconds': time.process_time() - c0, 'wall_seconds': time.time() - t0}


@torch.no_grad()
def calibration(model, disc, ds, episode_ids, discount: float, penalty: float) -> dict:
    """Teacher-forced predictions of each step's reward (given s, a) and value (given s, a, r), as the expectation
    over their bins, with the model's window of past transitions as context, against the truth."""
    c = model.config
    O, A, T, K = c.observation_dim, c.action_dim, c.transition_dim, c.n_transitions
    pr, pv, true_r, true_v, last = [], [], [], [], []
    for ep in ds.iterate_episodes(episode_indices=list(episode_ids)):
        rows = episode_arrays(ep, ds.observation_space, ds.action_space, discount, penalty)
        tok = disc.encode(torch.from_numpy(rows))                                      # (L, T)
        windows = [tok[:t + 1].reshape(1, -1) for t in range(min(K - 1, len(rows)))]     # short ones at the start
        if len(rows) >= K: windows += list(tok.unfold(0, K, 1).permute(0, 2, 1).reshape(-1, K * T).split(256))
        for x in windows:
            logits = model(x[:, :-1])[0]                                               # the last value token is the target
            n = x.shape[1] - 1
            pr += disc.expectation(logits[:, n - 2].softmax(-1)[:, None], dims=[O + A])[:, 0].tolist()   # predicts r
            pv += disc.expectation(logits[:, n - 1].softmax(-1)[:, None], dims=[O + A + 1])[:, 0].tolist()  # predicts V
        true_r += rows[:, O + A].tolist(); true_v += rows[:, O + A + 1].tolist()
        last += [False] * (len(rows) - 1) + [True]
    def stats(pred, true):
        pred, true = np.array(pred), np.array(true)
        return {'corr': float(np.corrcoef(pred, true)[0, 1]), 'mean_error': float((pred - true).mean()),
                'mean_abs_error': float(np.abs(pred - true).mean()), 'true_std': float(true.std()), 'n': len(true)}
    alive = ~np.array(last)                  # every step but an episode's last: no termination penalty in the reward
    return {'value': stats(pv, true_v), 'reward': stats(pr, true_r),
            'reward_before_last_step': stats(np.array(pr)[alive], np.array(true_r)[alive]), 'episodes': [int(i) for i in episode_ids]}


@torch.no_grad()
def open_loop(model, disc, ds, plan: PlanConfig, obs_std: np.ndarray, episodes: int = 2, every: int = 10,
              max_steps: int = 100) -> dict:
    """Plan in closed loop; every `every` steps, replay the plan's actions open loop from the env's true state and
    compare the planned states and rewards with the simulated ones, step by step of the horizon. Beside it: the
    error of predicting that nothing changes (the current state), a floor any useful model must beat."""
    env, sim = make_env(ds), make_env(ds)
    if not hasattr(env.unwrapped, 'set_state'): return {'skipped': f'{env.spec.id} cannot be set to a state (not a MuJoCo env)'}
    O, A, H = model.config.observation_dim, model.config.action_dim, plan.horizon
    err, persist, rerr = [[] for _ in range(H)], [[] for _ in range(H)], [[] for _ in range(H)]
    planner = Planner(model, disc, plan, ds.observation_space, ds.action_space, 1, seed=0)
    for k in range(episodes):
        obs, _ = env.reset(seed=SEED + k); planner.reset([SEED + k]); sim.reset(seed=SEED + k)
        for t in range(max_steps):
            state = (env.unwrapped.data.qpos.copy(), env.unwrapped.data.qvel.copy())
            o = flatten(ds.observation_space, obs[None], batched=True)
            a = planner.act(obs[None])
            if t % every == 0:
                v = disc.decode(planner.plans[0]).cpu().numpy()                         # (H, T) planned values
                sim.unwrapped.set_state(*state)
                for h in range(H):
                    so, sr, te, _, _ = sim.step(v[h, O:O + A])
                    rerr[h].append(float(sr - v[h, O + A]))
                    if h + 1 < H:
                        err[h].append(float(np.mean(np.abs(so - v[h + 1, :O]) / obs_std)))
                        persist[h].append(float(np.mean(np.abs(so - o[0]) / obs_std)))
                    if te: break
            nobs, r, te, tr, _ = env.step(a[0])
            planner.observe(obs[None], a, np.array([r]))
            obs = nobs
            if te or tr: break
    mean = lambda xs: [float(np.mean(x)) if x else None for x in xs]
    return {'obs_error': mean(err[:H - 1]), 'persistence_error': mean(persist[:H - 1]), 'reward_error': mean(rerr),
            'reward_abs_error': [float(np.mean(np.abs(x))) if x else None for x in rerr], 'plans': len(rerr[0]),
            'plan': asdict(plan), 'units': 'mean |error| per observation dim, in dataset standard deviations'}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset')
    p.add_argument('--run', help='a tt-train run folder trained with --max-episodes and --snapshot-every')
    p.add_argument('--steps', type=int, nargs='+', help='training steps whose models give the curve; the last is the full diagnosis')
    p.add_argument('--planner-steps', type=int, nargs='*', default=None,
                   help='the steps at which the planner is evaluated too (default: all of --steps); the policy always is')
    p.add_argument('--episodes', type=int, default=10)
    p.add_argument('--plan', default='halfcheetah', help='the planner preset of the curve')
    p.add_argument('--extras', action='store_true', help='also the open-loop error and --big-plan on one model (--big-plan-at; dearer)')
    p.add_argument('--big-plan', default=None, help="also run this preset on the --big-plan-at model (e.g. 'hopper': H=15, B=128)")
    p.add_argument('--big-plan-every', type=int, default=5, help='replan every this many steps with --big-plan')
    p.add_argument('--big-episodes', type=int, default=10)
    p.add_argument('--big-plan-at', type=int, default=None, help='the step whose model --extras diagnoses (default: the last of --steps)')
    p.add_argument('--out', default=None)
    p.add_argument('--plot', nargs='+', default=None, help='draw the learning curves of these result files instead')
    p.add_argument('--report', nargs='+', default=None, help='print the markdown tables of these result files')
    p.add_argument('--table-cell', nargs=2, metavar=('STEP', 'POLICY'), default=None,
                   help="write the TT cell of the baselines table (quality-<dataset>.json) from this result file's "
                        "STEP and POLICY (policy, planner or big_planner); its BC and data cells stay")
    p.add_argument('--results', type=Path, default=RESULTS,
                   help="the table's folder, holding quality-<dataset>.json (benchmarks/results/first-sets for the first sets)")
    a = p.parse_args()
    if a.plot: return plot(a.plot)
    if a.report: return report(a.report)
    out = Path(a.out or RESULTS / f"diagnose-{(a.dataset or '').replace('/', '-')}.json")
    if a.table_cell: return table_cell(a.dataset, out, *a.table_cell, a.results)
    if not (a.dataset and a.run and a.steps): p.error('--dataset, --run and --steps are needed (or --plot FILES)')
    run = Path(a.run)
    res = json.loads(out.read_text()) if out.exists() else {}
    def save(): out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=2) + '\n')
    ds = load_dataset(a.dataset)
    first_model, _, first = load_checkpoint(snapshot_path(run, a.steps[0]))
    tc = first['train_config']
    n_train = tc['max_episodes']
    if n_train is None or n_train >= ds.total_episodes:
        raise SystemExit(f"error: {run} trained on every episode of {a.dataset}: retrain it with --max-episodes below "
                         f"{ds.total_episodes} so that episodes are held out")
    held_out = list(range(n_train, ds.total_episodes))
    res.update(dataset=a.dataset, run=str(run), n_train_episodes=n_train, held_out_episodes=held_out,
               train_config=tc, episodes=a.episodes, seed_base=SEED, steps=a.steps)
    res.setdefault('tt', {}); res.setdefault('bc', {})
    plan = get_plan_config(a.plan)
    rows = np.concatenate([episode_arrays(ep, ds.observation_space, ds.action_space)
                           for ep in ds.iterate_episodes(episode_indices=list(range(n_train)))])
    obs_std = rows[:, :first['config']['observation_dim']].std(0) + 1e-6
    # BC on the same training episodes, its steps scaled as TT's: as many transitions seen per step of the curve
    X, Y = bc_data(ds, range(n_train))
    n_params = sum(p.numel() for p in first_model.parameters())
    bc_steps = [s * tc['n_transitions'] for s in a.steps]
    if any(str(s) not in res['bc'] for s in bc_steps):
        c0 = time.process_time()
        for s, act, _ in mlp_checkpoints(X, Y, n_params, bc_steps):
            cpu = time.process_time() - c0
            if str(s) in res['bc']: continue                                      # evaluated by an earlier run
            r = rollout(lambda o, ac, n: BCPolicy(act, o, ac), env_factory(ds), a.episodes, seed=SEED, progress=False)
            res['bc'][str(s)] = {**score(r['returns'], ds), 'train_cpu_seconds': cpu}; save()
            print(f"BC {s} steps: {res['bc'][str(s)]['score_mean']:.1f} ± {res['bc'][str(s)]['score_std']:.1f}", flush=True)
            c0 = time.process_time() - cpu                                         # evaluation is not training time
    res['data'] = score(np.array([float(np.sum(ep.rewards)) for ep in ds.iterate_episodes()]), ds); save()
    missing = []
    for step in a.steps:
        key = str(step)
        try: path = snapshot_path(run, step)
        except SystemExit: missing.append(step); continue                  # not trained yet: a later run fills it in
        cell = res['tt'].setdefault(key, {})
        model, disc, state = load_checkpoint(path)
        cell['train_cpu_seconds'], cell['train_seconds'] = state.get('cpu_seconds'), state.get('train_seconds')
        for name, cfg in (('policy', POLICY), ('policy_greedy', GREEDY), ('planner', plan)):
            if name == 'planner' and a.planner_steps is not None and step not in a.planner_steps: continue
            if name not in cell:
                cell[name] = tt_eval(model, disc, ds, cfg, a.episodes); save()
                print(f"step {step} TT {name}: {cell[name]['score_mean']:.1f} ± {cell[name]['score_std']:.1f}", flush=True)
        if 'reward_before_last_step' not in cell.get('calibration', {}).get('train', {}):
            cell['calibration'] = {'held_out': calibration(model, disc, ds, held_out, tc['discount'], tc['termination_penalty']),
                                   'train': calibration(model, disc, ds, range(min(5, n_train)), tc['discount'], tc['termination_penalty'])}
            save()
            v = cell['calibration']['held_out']['value']
            print(f"step {step} value on held-out episodes: corr {v['corr']:.2f}, mean error {v['mean_error']:.1f}", flush=True)
    at = a.big_plan_at or a.steps[-1]
    if missing: print(f"not trained yet, left for a later run: steps {missing}", flush=True)
    if at in missing: return
    last = res['tt'][str(at)]
    model, disc, _ = load_checkpoint(snapshot_path(run, at))
    if a.extras and 'open_loop' not in last:
        last['open_loop'] = open_loop(model, disc, ds, plan, obs_std); save()
        print(f"open-loop error by horizon step: {last['open_loop'].get('obs_error', last['open_loop'].get('skipped'))}", flush=True)
    if a.extras and a.big_plan and 'big_planner' not in last:
        big = get_plan_config(a.big_plan, plan_every=a.big_plan_every)
        last['big_planner'] = tt_eval(model, disc, ds, big, a.big_episodes); save()
        print(f"TT {a.big_plan} planner: {last['big_planner']['score_mean']:.1f} ± {last['big_planner']['score_std']:.1f}", flush=True)
    print(f"wrote {out}")


def label(r) -> str:
    "A result file's name in tables and plots: its dataset and its run's length (two runs may share a dataset)."
    return f"{r['dataset']}, {r['train_config']['max_steps']}-step run"


def report(files):
    "The diagnosis as markdown tables: who loses the points, how good the value and reward tokens are, the open-loop error."
    runs = [json.loads(Path(f).read_text()) for f in files]
    f = lambda m: f"{m['score_mean']:.1f} ± {m['score_std']:.1f}" if m else '–'
    print('| dataset | TT step | TT as a policy (H=1, B=1) | same, greedy actions | TT planner (H=5, B=32) | TT, H=15 B=128 | BC, same transitions | behaviour data |')
    print('|---|---|---|---|---|---|---|---|')
    for r in runs:
        for s in r['steps']:
            c, bc = r['tt'].get(str(s), {}), r['bc'].get(str(s * r['train_config']['n_transitions']))
            big = f"{f(c['big_planner'])} (every {c['big_planner']['plan']['plan_every']})" if 'big_planner' in c else '–'
            print(f"| {label(r)} | {s} | {f(c.get('policy'))} | {f(c.get('policy_greedy'))} | {f(c.get('planner'))} | {big} | {f(bc)} | {f(r.get('data'))} |")
    print()
    print('| dataset | TT step | episodes | V: corr | V: mean error | V: mean abs error | V: std of truth | r: corr | r: corr before the last step |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in runs:
        for s in r['steps']:
            cal = r['tt'].get(str(s), {}).get('calibration')
            if not cal: continue
            for part, name in (('held_out', 'held out'), ('train', 'trained on')):
                v, rw, ra = cal[part]['value'], cal[part]['reward'], cal[part].get('reward_before_last_step')
                print(f"| {label(r)} | {s} | {name} ({len(cal[part]['episodes'])}) | {v['corr']:.2f} | {v['mean_error']:+.1f} | "
                      f"{v['mean_abs_error']:.1f} | {v['true_std']:.1f} | {rw['corr']:.2f} | {ra['corr']:.2f} |" if ra else '')
    print()
    for r, s in ((r, s) for r in runs for s in r['steps']):
        ol = r['tt'].get(str(s), {}).get('open_loop')
        if not ol or 'obs_error' not in ol: continue
        print(f"open loop, {label(r)}, step {s} ({ol['plans']} plans): planned-state error by horizon step "
              f"{[round(x, 2) for x in ol['obs_error']]}, 'nothing moves' {[round(x, 2) for x in ol['persistence_error']]}, "
              f"reward |error| {[round(x, 2) for x in ol['reward_abs_error']]}")


def table_cell(dataset: str, diag: Path, step: str, name: str, results: Path = RESULTS):
    "Put TT's figures at `step` with policy `name` into the baselines table's `quality-tt-<dataset>.json` in `results`."
    r = json.loads(diag.read_text())
    m = r['tt'][step][name]
    q_path = results / f"quality-{dataset.replace('/', '-')}.json"
    q = json.loads(q_path.read_text())
    q['Trajectory Transformer'] = {k: m[k] for k in ('return_mean', 'return_std', 'score_mean', 'score_std')}
    q.update(tt_run=r['run'], plan=m['plan'], tt_train_seconds=r['tt'][step]['train_seconds'], tt_step=int(step), tt_policy=name,
             tt_train_episodes=r['n_train_episodes'], source=str(diag.relative_to(RESULTS.parent)))
    q['cpu_seconds'] = {**q.get('cpu_seconds', {}), 'tt_train': r['tt'][step]['train_cpu_seconds'], 'tt_eval': m['cpu_seconds']}
    q.pop('TT, greedy action tokens', None)
    q_path.write_text(json.dumps(q, indent=2) + '\n'); print(f"wrote {q_path}")


def plot(files):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs = [json.loads(Path(f).read_text()) for f in files]
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), squeeze=False)
    for ax, r in zip(axes[0], runs):
        steps = [s for s in r['steps'] if str(s) in r['tt']]
        cpu = [r['tt'][str(s)]['train_cpu_seconds'] / 60 for s in steps]
        for name, legend, col in (('policy', 'TT as a policy (H=1, B=1)', 'C0'), ('policy_greedy', 'same, greedy actions', 'C4'),
                                 ('planner', 'TT planner (H=5, B=32)', 'C1'), ('big_planner', 'TT planner (H=15, B=128, every 5)', 'C3')):
            pts = [(c, r['tt'][str(s)][name]) for c, s in zip(cpu, steps) if name in r['tt'][str(s)]]
            if pts: ax.errorbar([c for c, _ in pts], [m['score_mean'] for _, m in pts], [m['score_std'] for _, m in pts],
                                marker='o', capsize=3, label=legend, color=col)
        bc = sorted((int(s), m) for s, m in r['bc'].items())
        if bc: ax.errorbar([m['train_cpu_seconds'] / 60 for _, m in bc], [m['score_mean'] for _, m in bc],
                           [m['score_std'] for _, m in bc], marker='s', capsize=3, label='BC (MLP)', color='C2')
        if 'data' in r: ax.axhline(r['data']['score_mean'], color='0.5', ls='--', label='behaviour data')
        ax.set_xscale('log'); ax.set_xlabel('training CPU-minutes'); ax.set_ylabel('normalized score')
        ax.set_title(label(r), fontsize=9)
    handles = {}                                   # one legend below the panels, every curve any panel drew
    for ax in axes[0]:
        for h, t in zip(*ax.get_legend_handles_labels()): handles.setdefault(t, h)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles.values(), handles.keys(), loc='lower center', ncol=len(handles), fontsize=8, frameon=False)
    path = RESULTS / 'learning-curve.png'
    fig.savefig(path, dpi=110); print(f"wrote {path}")


if __name__ == '__main__':
    main()
