"""Imitation: one TT trained on an expert's data, planned with each likelihood objective, against BC and the expert.

Trains TT on the dataset with `tt-train`'s defaults but a table of embeddings, imitation's (or reuses a finished
run with --tt-run), trains a BC MLP of about as many parameters on the same (observation, action) pairs, and runs TT under every objective
in --objectives (the paper's `likelihood`: every token's log-probability scores a beam; `action-likelihood`:
only the action tokens'), BC and nothing else on the same env seeds (`seed + 10000 + k`). Prints mean ± std
return and normalized score next to the dataset's own (the expert's) return, and writes
`results/imitation-<env>-expert.json`.

--bc-tokens adds BC rows that see the world through TT's tokens (the run's discretizer): observations rounded
to their bins' centres, actions as the likeliest bin of a classifier, both at once, and the classifier's expected
bin value. They say how much of a gap between TT and BC the tokens alone cost, before any sequence model or search.

    tt-collect --env-id Hopper-v5 --policy sac --sac-steps 60000 --sac-stochastic --dataset-id tt/hopper/medium-v0 --n-episodes 50 --n-envs 1
    tt-train --dataset tt/hopper/expert-v0 --embedding table --run-dir runs/hopper-expert --eval-episodes 0
    python benchmarks/imitation.py --dataset tt/hopper/expert-v0 --tt-run runs/hopper-expert --episodes 10
"""
import argparse, time
from pathlib import Path
import numpy as np
from common import ARGMAX_POLICY, add_tt_model, each_action, save_results, train_token_bc
from quality import BCPolicy, bc_data, train_bc
from tt_nbdev.dataset import load_dataset
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.plan_config import ACTIONS, OBJECTIVES, get_plan_config
from tt_nbdev.rollouts import rollout
from tt_nbdev.evaluation import env_factory, evaluate, normalized_score
from tt_nbdev.training import TrainConfig, train


def figures(returns, env_id, ds) -> dict:
    "Mean ± std of `returns` and of their normalized scores."
    r = np.asarray(returns, dtype=float)
    s, _ = normalized_score(r, env_id, ds)
    return {'return_mean': float(r.mean()), 'return_std': float(r.std()), 'returns': r.tolist(),
            'score_mean': None if s is None else float(s.mean()), 'score_std': None if s is None else float(s.std())}


BC_TOKENS = {'BC, observations at bin centres': ('centres', None), 'BC, argmax action bins': (None, 'argmax'),
             "BC through TT's tokens (both)": ('centres', 'argmax'), "BC, action bins' expected value": (None, 'mean')}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', required=True, help='an expert Minari dataset, e.g. tt/hopper/expert-v0')
    p.add_argument('--tt-run', default=None, help='a finished tt-train run folder to evaluate instead of training')
    add_tt_model(p)
    p.add_argument('--objectives', nargs='*', default=[o for o in OBJECTIVES if o != "reward"], choices=OBJECTIVES[1:],
                   help='the likelihood objectives to plan with (none: only --as-policy and BC)')
    p.add_argument('--plan', default='imitation', help='the planner preset the objectives replace theirs in')
    p.add_argument('--actions', nargs='+', default=None, choices=ACTIONS,
                   help="how each plan becomes the action taken, each run in turn (default: the preset's)")
    p.add_argument('--plan-every', type=int, default=None, help="the objectives replan every this many env steps (None: the preset's)")
    p.add_argument('--bc-steps', type=int, default=4000)
    p.add_argument('--episodes', type=int, default=10)
    p.add_argument('--as-policy', action='store_true', help='also run TT with no search: H=1, B=1, the likeliest action tokens')
    p.add_argument('--bc-tokens', action='store_true',
                   help="also BC through TT's tokens: observations at bin centres, argmax action bins, both, expected action bins")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--bc-seed', type=int, default=None, help="BC's seed (None: --seed): BC drawn again on the same episodes")
    p.add_argument('--out', default=None)
    a = p.parse_args()
    ds = load_dataset(a.dataset)
    env_id = ds.spec.env_spec.id
    c0 = time.process_time()
    if a.tt_run is None:
        cfg = TrainConfig(dataset=a.dataset, eval_episodes=0, seed=a.seed, progress=False, embedding='table',
                          run_dir=f"runs/imitation-{a.dataset.replace('/', '-')}")
        a.tt_run = cfg.run_dir
        train(cfg)
    model, disc, state = load_checkpoint(Path(a.tt_run) / a.tt_model)
    cpu = {'tt_train': state.get('cpu_seconds', time.process_time() - c0)}
    seed, n_params = a.seed + 10_000, sum(p.numel() for p in model.parameters())
    res = {'dataset': a.dataset, 'env_id': env_id, 'episodes': a.episodes, 'seed_base': seed, 'tt_run': a.tt_run,
           'tt_model': a.tt_model, 'tt_params': n_params, 'tt_steps': state.get('step'), 'plans': {}, 'policies': {}, 'cpu_seconds': cpu}
    data = [float(np.sum(ep.rewards)) for ep in ds.iterate_episodes()]
    level = a.dataset.rsplit('/', 1)[-1].rsplit('-v', 1)[0]            # 'expert' for tt/hopper/expert-v0
    res['policies'][f'{level} (dataset)'] = figures(data, env_id, ds)
    runs = {f'TT, {o}': get_plan_config(a.plan, objective=o, plan_every=a.plan_every) for o in a.objectives}
    if a.as_policy: runs['TT as a policy (H=1, B=1)'] = get_plan_config(a.plan, **ARGMAX_POLICY)
    for name, plan in each_action(runs, a.actions or [get_plan_config(a.plan).action]).items():
        c0 = time.process_time()
        m = evaluate(model, disc, ds, a.episodes, plan=plan, seed=seed)
        cpu[name] = time.process_time() - c0
        res['policies'][name], res['plans'][name] = figures(m['returns'], env_id, ds), m['plan']
    c0 = time.process_time()
    bc_seed = a.seed if a.bc_seed is None else a.bc_seed
    bc_fn, bc_params = train_bc(ds, n_params, a.bc_steps, seed=bc_seed)
    bc = rollout(lambda o, act, n: BCPolicy(bc_fn, o, act), env_factory(ds), a.episodes, seed=seed, progress=False)
    cpu['bc'] = time.process_time() - c0
    res['policies']['BC (MLP)'], res['bc_params'], res['bc_steps'], res['bc_seed'] = figures(bc['returns'], env_id, ds), bc_params, a.bc_steps, bc_seed
    if a.bc_tokens:
        X, Y = bc_data(ds)                                    # read once for every token row
        for name, (inputs, act_bins) in BC_TOKENS.items():
            c0 = time.process_time()
            fn = train_token_bc(X, Y, disc, n_params, a.bc_steps, inputs, act_bins, seed=bc_seed)
            m = rollout(lambda o, act, n: BCPolicy(fn, o, act), env_factory(ds), a.episodes, seed=seed, progress=False)
            cpu[name] = time.process_time() - c0
            res['policies'][name] = figures(m['returns'], env_id, ds)
    print(f"\n{a.dataset} ({env_id}), {a.episodes} episodes; TT {n_params/1e6:.2f}M params ({a.tt_run}), BC {bc_params/1e6:.2f}M")
    width = max(map(len, res['policies']))
    print(f"{'policy':<{width}} {'return':>18} {'normalized score':>18}")
    for name, f in res['policies'].items():
        score = f"{f['score_mean']:.1f} ± {f['score_std']:.1f}" if f['score_mean'] is not None else '-'
        print(f"{name:<{width}} {f['return_mean']:>9.1f} ± {f['return_std']:<6.1f} {score:>18}")
    print('CPU minutes: ' + '; '.join(f"{k}: {v / 60:.1f}" for k, v in cpu.items()))
    env = env_id.split('-')[0].lower()
    save_results(res, a.out, f"imitation-{env}-expert")


if __name__ == '__main__':
    main()
