"""Where TT (+Q) misses on a sparse maze: each episode played alone, and at the end of each miss what the learned Q prefers.

For every episode `k` (env reset with `seed + 10000 + k`, one env at a time, drawn as `tt-plan --n-envs 1` draws it)
it records the steps, the success, the last observation, the step from which the ball stayed at rest (speed under 0.1
to the end; None if it never did), its cell and the cells left to the goal along the maze's shortest path. At the last
state of a missed episode it scores with the learned Q a grid of actions, the action the noiseless waypoint controller
takes there (toward the next cell of the shortest path) and IQL's own action: if Q ranks an action above the
controller's that leads nowhere, a search that maximizes Q follows it. It also gives IQL's V of the data's states, mean per cell, and the cells where that mean is
above the next cell's on the shortest path to the goal: a search that climbs V over a few steps is held there. Episodes
already in `--out` (same settings) are kept, so a killed run started again plays only the missing ones.

    python benchmarks/q_trace.py --dataset tt/pointmaze-sparse/medium-v0 --tt-run runs/maze-medium --episodes 20 \\
        --out benchmarks/results/study/q-trace-pointmaze-medium.json
"""
import argparse, json, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
import torch
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.dataset import load_dataset
from tt_nbdev.evaluation import env_factory
from tt_nbdev.iql import IQLPolicy, cell_means, q_function, v_function
from tt_nbdev.mazes import FixedGoalWaypoint
from tt_nbdev.plan_config import get_plan_config
from tt_nbdev.policy import TTPolicy
from tt_nbdev.recipe import recipe_plan

REST_SPEED = 0.1


def rest_from(obs: np.ndarray) -> int | None:
    "The first step from which the ball's speed stays under `REST_SPEED` to the episode's end; None if it never does."
    moving = np.flatnonzero(np.linalg.norm(obs[:, 2:4], axis=1) >= REST_SPEED)
    start = 0 if len(moving) == 0 else moving[-1] + 1
    return None if start >= len(obs) else int(start)


def cell_values(ds, run: Path, maze, controller, goal_cell: tuple) -> dict:
    "IQL's V of the data's states, mean per maze cell, each cell's distance to the goal, and the cells whose V the next cell's undercuts."
    obs = np.concatenate([ep.observations[:-1] for ep in ds.iterate_episodes()])
    mean = cell_means(maze, obs[:, :2], v_function(run)(torch.from_numpy(obs)).numpy())
    out = []
    for c, m in sorted(mean.items()):
        nxt = controller.next_cell(c, goal_cell)
        out.append({'cell': c, 'cells_to_goal': controller.cells_between(c, goal_cell), 'mean_v': m,
                    'next_cell': nxt, 'held': c != goal_cell and mean.get(nxt, np.inf) < m})
    return {'cells': out, 'held_cells': [e['cell'] for e in out if e['held']]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', required=True)
    p.add_argument('--tt-run', required=True, help="a finished tt-train run folder holding iql.pt too (tt-iql --run-dir)")
    p.add_argument('--episodes', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--horizon', type=int, default=None, help="the search's horizon (None: the recipe's)")
    p.add_argument('--out', required=True)
    a = p.parse_args()
    run, ds = Path(a.tt_run), load_dataset(a.dataset)
    model, disc, _ = load_checkpoint(run / 'model.pt')
    plan = get_plan_config(recipe_plan(a.dataset), value='q', **({'horizon': a.horizon} if a.horizon else {}))
    q_fn, env = q_function(run), env_factory(ds)()
    policy = TTPolicy(model, disc, plan, env.observation_space, env.action_space, a.seed + 10_000, q_fn=q_fn)   # as tt-plan --n-envs 1 draws
    iql = IQLPolicy(run, env.observation_space, env.action_space)
    controller = FixedGoalWaypoint(env.spec.id)
    maze = env.unwrapped.maze
    goal_cell = tuple(int(x) for x in maze.cell_xy_to_rowcol(env.get_wrapper_attr('goal')))
    grid = np.array([(x, y) for x in np.linspace(-1, 1, 9) for y in np.linspace(-1, 1, 9)], np.float32)
    Q = lambda s, acts: q_fn(torch.from_numpy(np.repeat(s[None], len(acts), 0)), torch.from_numpy(acts)).numpy()
    out = Path(a.out)
    settings = {'dataset': a.dataset, 'tt_run': a.tt_run, 'episodes': a.episodes, 'seed_base': a.seed + 10_000,
                'plan': asdict(plan), 'rest_speed': REST_SPEED}
    res = json.loads(out.read_text()) if out.exists() else {}
    if res and res['settings'] != settings: raise SystemExit(f"error: {out} holds another trace; remove it or pick another --out")
    episodes, c0, cpu = res.get('episodes', []), time.process_time(), res.get('summary', {}).get('cpu_minutes', 0.0)

    def write():
        missed = [e for e in episodes if not e['success']]
        res.update(settings=settings, values=cell_values(ds, run, maze, controller, goal_cell) if len(episodes) == a.episodes else None,
                   summary={'played': len(episodes), 'success_rate': 1 - len(missed) / len(episodes) if episodes else None, 'missed': len(missed),
                            'missed_at_rest': sum(e['rest_from'] is not None for e in missed),
                            'missed_q_prefers_other_than_controller': sum(e['q_best'] > e['q_controller'] for e in missed),
                            'cpu_minutes': cpu + (time.process_time() - c0) / 60},
                   episodes=episodes)
        out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1) + '\n')

    for k in range(len(episodes), a.episodes):
        seed = a.seed + 10_000 + k
        obs, _ = env.reset(seed=seed); policy.reset(seed); trace, info, r = [obs], {}, None
        for t in range(env.spec.max_episode_steps):
            obs, r, term, trunc, info = env.step(policy.act(obs, r)); trace.append(obs)
            if term or trunc: break
        trace = np.asarray(trace)
        cell = tuple(int(v) for v in maze.cell_xy_to_rowcol(obs[:2]))
        e = {'episode': k, 'seed': seed, 'steps': t + 1, 'success': bool(info.get('success', False)), 'last_obs': obs.tolist(),
             'rest_from': rest_from(trace), 'cell': cell, 'cells_to_goal': controller.cells_between(cell, goal_cell)}
        if not e['success']:
            q_grid, way, own = Q(obs, grid), controller(obs[None]).clip(-1, 1).astype(np.float32), iql.act(obs[None], None)
            e |= {'q_best_action': grid[q_grid.argmax()].tolist(), 'q_best': float(q_grid.max()), 'q_grid_spread': float(np.ptp(q_grid)),
                  'controller_action': way[0].tolist(), 'q_controller': float(Q(obs, way)[0]),
                  'iql_action': own[0].tolist(), 'q_iql': float(Q(obs, own)[0])}
        episodes.append(e)
        print(f"episode {k}: {'reached' if e['success'] else 'missed'} in {e['steps']} steps, at rest from {e['rest_from']}, "
              f"{e['cells_to_goal']} cells from the goal", flush=True)
        c0, cpu = time.process_time(), cpu + (time.process_time() - c0) / 60
        write()
    write()
    print(json.dumps(res['summary']), 'cells where V holds a climbing search:', res['values']['held_cells'], f"-> {out}")


if __name__ == '__main__':
    main()
