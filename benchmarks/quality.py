"""Proof of learning: TT and a behaviour-cloning baseline trained on the same data, evaluated the same way.

For each dataset: train TT with `tt_nbdev.training.train` (or reuse a finished run with --tt-run), train
an MLP behaviour-cloning policy with about as many parameters as TT (MSE on the dataset's actions),
evaluate both over the same env seeds, and print mean ± std return and normalized score next to the
dataset's own mean return.

    python benchmarks/quality.py                                   # the embedded Pendulum dataset
    python benchmarks/quality.py --dataset tt/hopper/medium-v0 --tt-steps 4000 --episodes 10
"""
import argparse, json, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
import torch
from common import NO_SEARCH, RESULTS, add_tt_model, each_action, fit_mlp, save_results
from tt_nbdev.dataset import DEFAULT_DATASET_ID, load_dataset, episode_arrays
from tt_nbdev.env_utils import flatten, flat_dim
from tt_nbdev.model import TrajectoryTransformer, TTConfig
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.plan_config import ACTIONS, get_plan_config
from tt_nbdev.recipe import recipe_plan
from tt_nbdev.rollouts import rollout
from tt_nbdev.evaluation import evaluate, env_factory, normalized_score
from tt_nbdev.training import TrainConfig, train


def bc_data(ds, episodes=None):
    "The (observation, action) pairs of a Minari dataset (of the episodes listed; None: all), as the rows TT trains on."
    O, A = flat_dim(ds.observation_space), flat_dim(ds.action_space)
    eps = ds.iterate_episodes(episode_indices=None if episodes is None else list(episodes))
    rows = np.concatenate([episode_arrays(ep, ds.observation_space, ds.action_space) for ep in eps])
    return torch.from_numpy(rows[:, :O]), torch.from_numpy(rows[:, O:O + A])


def train_bc(ds, n_params: int, steps: int, seed: int = 0):
    "An MLP of ~`n_params` parameters regressing actions on observations."
    X, Y = bc_data(ds)
    return fit_mlp(X, Y, n_params, steps, seed=seed)


class BCPolicy:
    "The behaviour-cloning MLP with the interface `rollout` runs: deterministic, clipped to the action box."
    def __init__(self, act_fn, observation_space, action_space):
        self.act_fn, self.ospace, self.aspace = act_fn, observation_space, action_space
    def reset(self, seeds): pass
    def act(self, obs, active):
        a = self.act_fn(flatten(self.ospace, obs, batched=True))
        return np.clip(a, self.aspace.low, self.aspace.high).astype(np.float32)
    def observe(self, obs, actions, rewards, active): pass


def run_wall_seconds(run: Path) -> float | None:
    "A finished run's training wall time, from its metrics' timestamps (extrapolated to the first step)."
    import json
    rows = [json.loads(l) for l in (run / 'metrics.jsonl').read_text().splitlines() if '"train/loss"' in l]
    if len(rows) < 2: return None
    (s0, t0), (s1, t1) = (rows[0]['step'], rows[0]['time']), (rows[-1]['step'], rows[-1]['time'])
    return (t1 - t0) * s1 / (s1 - s0)


def fmt(x): return f"{np.mean(x):.1f} ± {np.std(x):.1f}"


class FinishedEvaluations:
    """TT evaluations kept as each finishes, beside the result file (`<out>.partial`), so that a run killed during a
    long evaluation, started again with the same arguments, redoes only the unfinished ones; removed at the end."""
    def __init__(self, path: Path, args: dict):
        self.path, self.args = path, args
        old = json.loads(path.read_text()) if path.exists() else {}
        self.done = old.get('done', {}) if old.get('args') == args else {}
        if self.done: print(f"{len(self.done)} TT evaluation(s) already finished, from {path}")

    def __call__(self, plan, evaluate) -> dict:
        key = json.dumps(asdict(plan), sort_keys=True)
        if key not in self.done:
            c0 = time.process_time()
            self.done[key] = {**evaluate(plan), 'cpu_seconds': time.process_time() - c0}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({'args': self.args, 'done': self.done}, default=float))
            print(f"TT, H={plan.horizon} B={plan.beam_width} replanning every {plan.plan_every}, {plan.action} actions: return {fmt(self.done[key]['returns'])}", flush=True)
        return self.done[key]

    def close(self): self.path.unlink(missing_ok=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default=DEFAULT_DATASET_ID)
    p.add_argument('--tt-run', default=None, help='a finished tt-train run folder to evaluate instead of training')
    add_tt_model(p)
    p.add_argument('--no-tt', action='store_true', help='skip TT: only BC and the behaviour data (for a table row whose TT cell is run elsewhere)')
    p.add_argument('--tt-steps', type=int, default=None, help='TT optimizer steps (None: tt-train default)')
    p.add_argument('--bc-steps', type=int, default=4000, help="BC steps of 256 pairs; 4000 sees as many transitions as TT's default run")
    p.add_argument('--episodes', type=int, default=10)
    p.add_argument('--plan', default=None, help='planner preset (None: the one named after the env)')
    p.add_argument('--plan-every', type=int, default=None, help="replan every this many env steps (None: the preset's)")
    p.add_argument('--horizon', type=int, default=None, help="the search's horizon H (None: the preset's)")
    p.add_argument('--beam-width', type=int, default=None, help="the search's beam width B (None: the preset's)")
    p.add_argument('--action', default=None, choices=ACTIONS, help="how a plan becomes the action taken (None: the preset's)")
    p.add_argument('--logp-weight', type=float, default=None, help="the reward search's likelihood guard: weight of a plan's log-likelihood in its score (None: the preset's)")
    p.add_argument('--logp-cap', type=float, default=None, help="the guard counts a plan's log-likelihood only up to this (None: the preset's)")
    p.add_argument('--value-quantile', type=float, default=None, help="score a plan's last value by this quantile of its distribution (None: the preset's mean)")
    p.add_argument('--greedy-actions', action='store_true', help='also evaluate TT with greedy action tokens (k_act=1, no CDF filter)')
    p.add_argument('--as-policy', action='store_true', help='also evaluate TT with no search (H=1, B=1: action tokens sampled as the planner samples them)')
    p.add_argument('--mean-actions', action='store_true', help="also evaluate each TT row taking the actions' expected values (action='mean')")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--bc-seed', type=int, default=None,
                   help="BC's training seed (None: --seed); the evaluation episodes stay those of --seed, so BC draws compare")
    p.add_argument('--out', default=None)
    a = p.parse_args()
    tt_flags = ('tt_run', 'tt_model', 'tt_steps', 'greedy_actions', 'as_policy', 'mean_actions', 'plan', 'plan_every', 'horizon', 'beam_width',
                'action', 'logp_weight', 'logp_cap', 'value_quantile')
    if a.no_tt and any(getattr(a, f) != p.get_default(f) for f in tt_flags):   # a TT flag given, whatever its default
        names = ['--' + f.replace('_', '-') for f in tt_flags]
        p.error(f"--no-tt evaluates no TT: drop {', '.join(names[:-1])} and {names[-1]}, or drop --no-tt")
    out = Path(a.out) if a.out else RESULTS / f"quality-{a.dataset.replace('/', '-')}.json"
    ds = load_dataset(a.dataset)
    t0, c0, trained = time.time(), time.process_time(), a.tt_run is None and not a.no_tt
    if trained:
        cfg = TrainConfig(dataset=a.dataset, eval_episodes=0, seed=a.seed,
                          run_dir=f"runs/quality-{a.dataset.replace('/', '-')}", progress=False)
        if a.tt_steps: cfg.max_steps = a.tt_steps
        a.tt_run = cfg.run_dir
        train(cfg)
    t_train = time.time() - t0 if trained else None                     # None: a finished run was reused
    cpu_train = time.process_time() - c0 if trained else None
    if a.no_tt:                                                         # BC sized like TT's default model
        model = TrajectoryTransformer(TTConfig(observation_dim=flat_dim(ds.observation_space), action_dim=flat_dim(ds.action_space)))
        tt = None
    else:
        model, disc, state = load_checkpoint(Path(a.tt_run) / a.tt_model)
        if not trained:                                             # model.pt keeps its run's cost; older runs: estimated from log times
            t_train, cpu_train = (state['train_seconds'], state['cpu_seconds']) if 'cpu_seconds' in state else (run_wall_seconds(Path(a.tt_run)), None)
        plan = recipe_plan(a.plan or a.dataset, plan_every=a.plan_every, horizon=a.horizon, beam_width=a.beam_width, action=a.action,
                           logp_weight=a.logp_weight, logp_cap=a.logp_cap, value_quantile=a.value_quantile)
        finished = FinishedEvaluations(out.with_name(out.name + '.partial'), {**vars(a), 'model_step': state.get('step')})
        run = lambda cfg: finished(cfg, lambda c: evaluate(model, disc, ds, a.episodes, plan=c, seed=a.seed + 10_000))  # same episodes
        plans = {'Trajectory Transformer': plan}                                    # all built before the first run: a bad one fails at once
        if a.greedy_actions: plans['TT, greedy action tokens'] = get_plan_config(plan, k_act=1, cdf_act=None)
        if a.as_policy: plans['TT as a policy (H=1, B=1)'] = get_plan_config(plan, **NO_SEARCH)
        if a.mean_actions: plans = each_action(plans, ('token', 'mean'))
        evaluated = {name: run(c) for name, c in plans.items()}
        tt = evaluated['Trajectory Transformer']
    n_params = sum(p.numel() for p in model.parameters())
    cpu_tt_eval, c0 = None if a.no_tt else sum(m['cpu_seconds'] for m in evaluated.values()), time.process_time()
    bc_seed = a.seed if a.bc_seed is None else a.bc_seed
    policy, bc_params = train_bc(ds, n_params, a.bc_steps, seed=bc_seed)
    cpu_bc_train, c0 = time.process_time() - c0, time.process_time()
    bc_run = rollout(lambda o, act, n: BCPolicy(policy, o, act), env_factory(ds), a.episodes, seed=a.seed + 10_000, progress=False)
    bc, env_id = bc_run['returns'], bc_run['env_id']
    cpu_bc_eval = time.process_time() - c0
    data_returns = np.array([float(np.sum(ep.rewards)) for ep in ds.iterate_episodes()])
    rows = [('dataset (behaviour policy)', data_returns), ('BC (MLP)', bc)] + ([] if a.no_tt else [(name, np.array(m['returns'])) for name, m in evaluated.items()])
    res = {'dataset': a.dataset, 'env_id': env_id, 'episodes': a.episodes, 'tt_params': n_params, 'bc_params': bc_params,
           'tt_run': a.tt_run, 'tt_model': None if a.no_tt else a.tt_model, 'tt_train_seconds': t_train,
           'tt_seconds_per_step': tt and tt['seconds_per_step'], 'plan': tt and tt['plan'],
           'cpu_seconds': {'tt_train': cpu_train, 'tt_eval': cpu_tt_eval, 'bc_train': cpu_bc_train, 'bc_eval': cpu_bc_eval},
           'bc_steps': a.bc_steps, 'bc_seed': bc_seed, 'seed_base': a.seed + 10_000}
    print(f"\n{a.dataset} ({env_id}), {a.episodes} evaluation episodes; TT {n_params/1e6:.2f}M params, BC {bc_params/1e6:.2f}M")
    width = max(len(name) for name, _ in rows)
    print(f"{'policy':<{width}} {'return':>18} {'normalized score':>18}")
    for name, r in rows:
        s, src = normalized_score(r, env_id, ds)
        print(f"{name:<{width}} {fmt(r):>18} {fmt(s) if s is not None else '-':>18}")
        res[name] = {'return_mean': float(np.mean(r)), 'return_std': float(np.std(r)),
                     'score_mean': None if s is None else float(np.mean(s)), 'score_std': None if s is None else float(np.std(s))}
        res['score_source'] = src
    print(f"(scores: {res['score_source']})")
    save_results(res, str(out), out.stem)
    if not a.no_tt: finished.close()


if __name__ == '__main__':
    main()
