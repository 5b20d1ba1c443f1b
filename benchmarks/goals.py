"""Goal reaching: goal-conditioned TT (likelihood planning) against goal-conditioned BC and the behaviour policy.

Trains TT with `--goal hindsight` (or reuses a finished run with --tt-run), trains a BC MLP with about as
many parameters on the same data relabelled the same way (input: the observation and the episode's
final position), and runs TT, BC, the behaviour policy and uniform random actions on the same start/goal
pairs (the env's own random ones, seeds `seed + 10000 + k`). Prints the success rate and the mean steps
to the goal of those that got there.

--bc-tokens adds goal-conditioned BC rows that act through TT's action bins (the likeliest bin, and the bins'
expected value): what the action tokens alone cost; and one that also sees its observation and goal as TT's bins:
TT's inputs at one step and TT's outputs, without the past; and two that see those bins as an embedding table
does (one input per bin) and as a cumulative embedding does (ones up to the bin). --context-transitions runs
every TT row once per context length given (the transitions of history the model sees), to say how much the
model leans on its past. `--objectives reward` plans with the paper's reward search instead, toward the goal the
model is given: the data's rewards and values (a maze's sparse reward at the goal it was collected for) score a beam.
--sampled-policy adds TT acting alone with its action tokens drawn as the reward search draws them, where --as-policy
takes the likeliest; --bc-seed draws BC again on the same pairs, to hold TT to BC's mean over seeds.

    tt-collect --env-id PointMaze_UMaze-v3 --dataset-id tt/pointmaze/umaze-v0 --policy waypoint --n-episodes 200
    python benchmarks/goals.py --dataset tt/pointmaze/umaze-v0 --episodes 20
"""
import argparse, time
from pathlib import Path
import numpy as np
import torch
from common import ARGMAX_POLICY, SAMPLED_POLICY, each_action, fit_mlp, save_results, train_token_bc
from tt_nbdev.collect import RandomPolicy, WaypointPolicy
from tt_nbdev.dataset import episode_arrays, load_dataset
from tt_nbdev.env_utils import flatten, flat_dim
from tt_nbdev.evaluation import env_factory, evaluate, success_metrics
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.plan_config import ACTIONS, OBJECTIVES, get_plan_config
from tt_nbdev.recipe import recipe_plan
from tt_nbdev.rollouts import FunctionPolicy, rollout
from tt_nbdev.training import TrainConfig, train


def goal_bc_data(ds, goal_dims):
    "(observation + hindsight goal, action) pairs: every step of an episode gets the episode's last position."
    O, A = flat_dim(ds.observation_space), flat_dim(ds.action_space)
    xs, ys = [], []
    for ep in ds.iterate_episodes():
        rows = episode_arrays(ep, ds.observation_space, ds.action_space)
        goal = flatten(ds.observation_space, ep.observations, batched=True)[-1][list(goal_dims)]
        xs.append(np.concatenate([rows[:, :O], np.repeat(goal[None], len(rows), 0)], 1)); ys.append(rows[:, O:O + A])
    return torch.from_numpy(np.concatenate(xs)).float(), torch.from_numpy(np.concatenate(ys)).float()


class GoalBC:
    "The goal-conditioned BC MLP under `rollout`: input the flat observation and the env's desired_goal."
    def __init__(self, act_fn, ospace, aspace): self.act_fn, self.ospace, self.aspace = act_fn, ospace, aspace
    def reset(self, seeds): pass
    def act(self, obs, active):
        x = np.concatenate([flatten(self.ospace, obs, batched=True), np.asarray(obs['desired_goal'], np.float32)], 1)
        return np.clip(self.act_fn(x), self.aspace.low, self.aspace.high).astype(np.float32)
    def observe(self, obs, actions, rewards, active): pass


GOAL_BC_TOKENS = {   # row name: (how it sees the observation and goal, how the action bins become an action)
    'goal-conditioned BC, argmax action bins': (None, 'argmax'),
    "goal-conditioned BC, action bins' expected value": (None, 'mean'),
    "goal-conditioned BC on TT's observation and goal bins, argmax action bins": ('centres', 'argmax'),
    "goal-conditioned BC on one-hot observation and goal bins": ('one-hot', None),
    "goal-conditioned BC on thermometer-coded observation and goal bins": ('thermometer', None)}

NAME = 74   # width of the policy column: the longest row name, one of --bc-tokens', fits


def row(name, m): return f"{name:<{NAME}} {m['success_rate']:>8.2f} {m['steps_to_goal'] if m['steps_to_goal'] is not None else float('nan'):>14.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='tt/pointmaze/umaze-v0')
    p.add_argument('--tt-run', default=None, help='a finished tt-train --goal hindsight run folder to evaluate instead of training')
    p.add_argument('--tt-steps', type=int, default=None, help='TT optimizer steps (None: tt-train default)')
    p.add_argument('--bc-steps', type=int, default=5000)
    p.add_argument('--episodes', type=int, default=20)
    p.add_argument('--plan', default=None, help='planner preset (None: the one named after the dataset)')
    p.add_argument('--objectives', nargs='*', default=None, choices=OBJECTIVES,
                   help="objectives to plan with, each on the same model (not given: the preset's; none: only --as-policy); "
                        "reward: the data's rewards and values toward the goal the model is given (a maze's sparse reward at its goal)")
    p.add_argument('--horizon', type=int, default=None, help="the searches' horizon H (None: the preset's)")
    p.add_argument('--beam-width', type=int, default=None, help="the searches' beam width B (None: the preset's)")
    p.add_argument('--as-policy', action='store_true', help='also run TT with no search: H=1, B=1, the likeliest action tokens')
    p.add_argument('--sampled-policy', action='store_true',
                   help="also run TT with no search drawing each action token from the model, as the reward search draws them (H=1, B=1)")
    p.add_argument('--actions', nargs='+', default=None, choices=ACTIONS,
                   help="how each plan becomes the action taken, each run in turn (default: the preset's)")
    p.add_argument('--bc-tokens', action='store_true', help="also goal-conditioned BC acting through TT's action bins (argmax, expected value), on TT's input bins "
                        "too, and on those bins coded one-hot and as thermometer codes")
    p.add_argument('--context-transitions', type=int, nargs='+', default=None,
                   help="run each TT row with each of these context lengths (default: the preset's)")
    p.add_argument('--behaviour-noise', type=float, default=0.45, help='the waypoint policy noise the dataset was made with')
    p.add_argument('--behaviour-std', type=float, default=0.8)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--bc-seed', type=int, default=None, help="BC's seed (None: --seed): BC drawn again on the same start/goal pairs")
    p.add_argument('--out', default=None)
    a = p.parse_args()
    ds = load_dataset(a.dataset)
    env_id = ds.spec.env_spec.id
    t0 = time.time()
    if a.tt_run is None:
        cfg = TrainConfig(dataset=a.dataset, goal='hindsight', eval_episodes=0, seed=a.seed, progress=False,
                          run_dir=f"runs/goals-{a.dataset.replace('/', '-')}")
        if a.tt_steps: cfg.max_steps = a.tt_steps
        a.tt_run = cfg.run_dir
        train(cfg)
    model, disc, _ = load_checkpoint(Path(a.tt_run) / 'model.pt')
    n_params, seed = sum(p.numel() for p in model.parameters()), a.seed + 10_000
    plan = recipe_plan(a.plan or a.dataset)
    tts, cpu = {}, {}
    runs = {o: get_plan_config(plan, objective=o, horizon=a.horizon, beam_width=a.beam_width)
            for o in (a.objectives if a.objectives is not None else [plan.objective])}
    if a.as_policy: runs['policy'] = get_plan_config(plan, **ARGMAX_POLICY)
    if a.sampled_policy: runs['policy, sampled action tokens'] = get_plan_config(plan, **SAMPLED_POLICY)
    runs = each_action(runs, a.actions or [plan.action])
    if a.context_transitions:
        runs = {f'{name}, context {c}': get_plan_config(cfg, context_transitions=c) for name, cfg in runs.items() for c in a.context_transitions}
    for name, cfg in runs.items():
        c0 = time.process_time()
        tts[name] = evaluate(model, disc, ds, a.episodes, plan=cfg, seed=seed, progress=False)
        cpu[f'tt_{name}'] = time.process_time() - c0
    X, Y = goal_bc_data(ds, model.config.goal_dims)                     # read once for BC and every token row
    bc_seed = a.seed if a.bc_seed is None else a.bc_seed
    bc_fn, bc_params = fit_mlp(X, Y, n_params, a.bc_steps, seed=bc_seed)   # an MLP regressing actions on (observation, goal)
    make_env = env_factory(ds)
    steps = lambda make: rollout(make, make_env, a.episodes, seed=seed, progress=False)['success_steps']
    run = lambda make: success_metrics(steps(make))
    bc_steps = steps(lambda o, act, n: GoalBC(bc_fn, o, act)).tolist()
    bc = success_metrics(bc_steps)
    token_bc = {}
    if a.bc_tokens:
        for name, (inputs, act_bins) in GOAL_BC_TOKENS.items():
            c0 = time.process_time()
            fn = train_token_bc(X, Y, disc, n_params, a.bc_steps, inputs, act_bins, seed=bc_seed,
                                obs_dim=flat_dim(ds.observation_space), goal_dims=model.config.goal_dims)
            token_bc[name] = run(lambda o, act, n: GoalBC(fn, o, act))
            cpu[name] = time.process_time() - c0
    behaviour = run(lambda o, act, n: FunctionPolicy(WaypointPolicy(env_id, a.behaviour_noise, a.behaviour_std, seed)))
    rand = run(lambda o, act, n: FunctionPolicy(RandomPolicy(act, seed)))
    starts_goals = []                                                   # each pair's start and goal, from the same reset seeds
    env = make_env()
    for k in range(a.episodes):
        o, _ = env.reset(seed=seed + k)
        starts_goals.append((np.asarray(o['achieved_goal']).tolist(), np.asarray(o['desired_goal']).tolist()))
    env.close()
    print(f"\n{a.dataset} ({env_id}), {a.episodes} start/goal pairs; TT {n_params/1e6:.2f}M params, BC {bc_params/1e6:.2f}M")
    print(f"{'policy':<{NAME}} {'success':>8} {'steps to goal':>14}")
    results = {'random actions': rand, 'behaviour (waypoint + noise)': behaviour, 'goal-conditioned BC (MLP)': bc, **token_bc}
    label = lambda name: name.replace('policy', 'goal-conditioned TT as a policy (H=1, B=1)', 1) if name.startswith('policy') else f'goal-conditioned TT, {name}'
    for name, tt in tts.items(): results[label(name)] = {k: tt[k] for k in ('success_rate', 'steps_to_goal')}
    for name, m in results.items(): print(row(name, m))
    for tt in tts.values():
        print(f"TT plans in {1000 * tt['seconds_per_step']:.0f} ms per env step ({tt['plan']['objective']} search, "
              f"H={tt['plan']['horizon']}, B={tt['plan']['beam_width']})")
    print(f"{time.time() - t0:.0f} s in all; CPU minutes: " + ', '.join(f'{k} {v / 60:.1f}' for k, v in cpu.items()))
    save_results({'dataset': a.dataset, 'env_id': env_id, 'episodes': a.episodes, 'tt_run': a.tt_run,
                           'tt_params': n_params, 'bc_params': bc_params, 'bc_seed': bc_seed, 'plans': {o: m['plan'] for o, m in tts.items()},
                           'success_steps': {**{f'TT, {o}': m['success_steps'] for o, m in tts.items()}, 'BC': bc_steps}, 'starts_goals': starts_goals, 'cpu_seconds': cpu,
                           'results': results}, a.out, f"goals-{a.dataset.split('/')[1]}-{a.dataset.split('/')[2].rsplit('-v', 1)[0]}")


if __name__ == '__main__':
    main()
