"""Offline RL baselines from d3rlpy (TD3+BC, IQL, CQL, Decision Transformer) on this project's Minari datasets.

d3rlpy pins gymnasium==1.0.0, so it runs in a virtual environment of its own, `benchmarks/.d3rlpy-venv`,
which this script builds on first use (torch 2.13 CPU, d3rlpy, gymnasium[mujoco] 1.0.0, minari) and then
re-runs itself in. Datasets are read with `minari.load_dataset` from the Minari store (`--root`, else
MINARI_DATASETS_PATH or ~/.minari/datasets): the sets `tt-collect` writes.

Budget rule, the same for every method: training sees as many transitions as TT's default run
(400 steps x 256 windows x 10 transitions = 1,024,000), so a method with batch b of sequences of c
transitions trains for 1,024,000 / (b c) steps: 4000 for TD3+BC, IQL and CQL (b=256), 800 for the
Decision Transformer (b=64, context 20). Settings are d3rlpy's published MuJoCo ones (observation
standardization; IQL's return-based and DT's 0.001 reward scaling; DT's target return the dataset's best
episode return). Evaluation matches `benchmarks/quality.py`: episode k is reset with seed 10000 + k and
scored with the dataset's reference scores.

    python benchmarks/baselines.py --dataset tt/hopper/medium-v0 --algo td3bc   # one cell
    python benchmarks/baselines.py --dataset tt/hopper/medium-v0 --algo all
    python benchmarks/baselines.py --table          # README table + bar chart from benchmarks/results/
    python benchmarks/baselines.py --table --results benchmarks/results/first-sets   # the first collection's table

Each cell writes <results>/baselines/<dataset>-<algo>.json (returns, scores, CPU seconds); --results (default
benchmarks/results) is also where --table reads `quality-*.json` and the cells and draws `baselines.png`.
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / '.d3rlpy-venv'
RESULTS = HERE / 'results'                    # --results: where cells, quality-*.json and the table live
ALGOS = ('td3bc', 'iql', 'cql', 'dt')
BUDGET = 400 * 256 * 10                       # transitions TT's default run trains on
SEED_BASE = 10_000                             # episode k is reset with SEED_BASE + k, as in quality.py
PACKAGES = ['torch==2.13.0', 'd3rlpy', 'gymnasium[mujoco]==1.0.0', 'minari']


def ensure_venv():
    "Re-run this script in the d3rlpy virtual environment, building it first if needed."
    python = VENV / 'bin' / 'python'
    if not python.exists():
        print(f"building {VENV} (d3rlpy pins gymnasium 1.0.0, so it cannot share this project's environment)", flush=True)
        subprocess.run([sys.executable, '-m', 'venv', str(VENV)], check=True)
        subprocess.run([str(python), '-m', 'pip', 'install', '-q', *PACKAGES], check=True)
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def episodes(dataset_id: str):
    "The dataset's episodes as numpy arrays, its env id and its reference scores."
    import minari, numpy as np
    ds = minari.load_dataset(dataset_id)
    eps = []
    for ep in ds.iterate_episodes():
        obs = np.asarray(ep.observations, np.float32)
        eps.append(dict(obs=obs[:len(ep.actions)], act=np.asarray(ep.actions, np.float32), rew=np.asarray(ep.rewards, np.float32),
                        terminated=bool(ep.terminations[-1]), truncated=bool(ep.truncations[-1])))
    m = ds.storage.metadata
    if m.get('ref_min_score') is None or m.get('ref_max_score') is None:
        raise SystemExit(f"error: {dataset_id} has no reference scores (ref_min_score, ref_max_score): make it with tt-collect")
    return eps, ds.spec.env_spec.id, (m['ref_min_score'], m['ref_max_score'])


def mdp_dataset(eps):
    import d3rlpy, numpy as np
    cat = lambda k: np.concatenate([e[k] for e in eps])
    term, tout = [], []
    for e in eps:
        t = np.zeros(len(e['rew']), np.float32); o = np.zeros(len(e['rew']), np.float32)
        if e['terminated']: t[-1] = 1
        else: o[-1] = 1                          # a truncated (or unfinished) episode ends by time-out
        term.append(t); tout.append(o)
    return d3rlpy.dataset.MDPDataset(cat('obs'), cat('act'), cat('rew'), np.concatenate(term), np.concatenate(tout))


def make_algo(name: str, best_return: float, seed: int):
    import d3rlpy
    d3rlpy.seed(seed)
    scale = d3rlpy.preprocessing.StandardObservationScaler()
    if name == 'td3bc': cfg, per = d3rlpy.algos.TD3PlusBCConfig(observation_scaler=scale), 256
    elif name == 'iql':
        cfg = d3rlpy.algos.IQLConfig(observation_scaler=scale, reward_scaler=d3rlpy.preprocessing.ReturnBasedRewardScaler(multiplier=1000.0))
        per = 256
    elif name == 'cql': cfg, per = d3rlpy.algos.CQLConfig(observation_scaler=scale, actor_learning_rate=1e-4, critic_learning_rate=3e-4), 256
    elif name == 'dt':
        cfg = d3rlpy.algos.DecisionTransformerConfig(observation_scaler=scale, reward_scaler=d3rlpy.preprocessing.MultiplyRewardScaler(0.001),
                                                     batch_size=64, context_size=20, learning_rate=1e-4, max_timestep=1000)
        per = 64 * 20
    else: raise SystemExit(f"error: unknown --algo {name!r}; choose from {', '.join(ALGOS)} or all")
    return cfg.create(device=False), BUDGET // per


def evaluate(algo, name, env_id, n_episodes, best_return, max_steps):
    import gymnasium as gym, numpy as np
    env = gym.make(env_id, max_episode_steps=max_steps) if max_steps else gym.make(env_id)
    returns, lengths = [], []
    for k in range(n_episodes):
        policy = algo.as_stateful_wrapper(target_return=best_return) if name == 'dt' else None
        obs, _ = env.reset(seed=SEED_BASE + k)
        total, steps, done, r = 0.0, 0, False, 0.0
        while not done:
            a = policy.predict(obs.astype(np.float32), r) if policy else algo.predict(obs[None].astype(np.float32))[0]
            obs, r, term, trunc, _ = env.step(a); total += float(r); steps += 1; done = term or trunc
        returns.append(total); lengths.append(steps)
    return returns, lengths


def cell_path(results: Path, dataset_id: str, name: str) -> Path:
    "Where one baseline cell's JSON lives in a table's `results` folder."
    return results / 'baselines' / f"{dataset_id.replace('/', '-')}-{name}.json"


def run_cell(dataset_id, name, n_episodes, seed, max_steps, results: Path = RESULTS):
    import d3rlpy, numpy as np
    eps, env_id, (lo, hi) = episodes(dataset_id)
    best = max(float(e['rew'].sum()) for e in eps)
    algo, steps = make_algo(name, best, seed)
    c0, w0 = time.process_time(), time.time()
    algo.fit(mdp_dataset(eps), n_steps=steps, n_steps_per_epoch=steps, show_progress=True, save_interval=10**9,
             logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    c1, w1 = time.process_time(), time.time()
    returns, lengths = evaluate(algo, name, env_id, n_episodes, best, max_steps)
    c2, w2 = time.process_time(), time.time()
    scores = [100 * (r - lo) / (hi - lo) for r in returns]
    res = dict(dataset=dataset_id, env_id=env_id, algo=name, d3rlpy=d3rlpy.__version__, steps=steps, budget_transitions=BUDGET,
               episodes=n_episodes, seed_base=SEED_BASE, returns=returns, lengths=lengths, scores=scores,
               score_mean=float(np.mean(scores)), score_std=float(np.std(scores)), return_mean=float(np.mean(returns)),
               cpu_seconds_train=c1 - c0, cpu_seconds_eval=c2 - c1, wall_seconds_train=w1 - w0, wall_seconds_eval=w2 - w1,
               ref_scores=[lo, hi], target_return=best if name == 'dt' else None, threads=int(os.environ.get('OMP_NUM_THREADS', 0)) or None)
    path = cell_path(results, dataset_id, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + '\n')
    print(f"{dataset_id} {name}: score {res['score_mean']:.1f} ± {res['score_std']:.1f} over {n_episodes} episodes "
          f"(return {res['return_mean']:.1f}); {steps} steps, CPU {c1 - c0:.0f} s training, {c2 - c1:.0f} s evaluating -> {path}")


TT_TRAIN_THREADS = 2      # tt-train runs for the table used both cores of the 2-core machine
COLUMNS = [('behaviour data', 'quality', 'dataset (behaviour policy)'), ('BC', 'quality', 'BC (MLP)'), ('TD3+BC', 'td3bc', None),
           ('IQL', 'iql', None), ('CQL', 'cql', None), ('DT', 'dt', None), ('TT', 'quality', 'Trajectory Transformer')]


def behaviour_scores(dataset_id: str):
    "Mean and std of the dataset's own normalized episode returns, read with this project's loader; None if it is not here."
    try:
        import numpy as np
        from tt_nbdev.dataset import load_dataset
        from tt_nbdev.evaluation import normalized_score
        ds = load_dataset(dataset_id)
    except (FileNotFoundError, ValueError) as e:
        print(f"note: no behaviour-data score for {dataset_id}: {e}"); return None
    s, _ = normalized_score([float(np.sum(ep.rewards)) for ep in ds.iterate_episodes()], dataset=ds)
    return None if s is None else (float(np.mean(s)), float(np.std(s)))


def cells(dataset_id: str, results: Path = RESULTS) -> dict:
    "Each column's (mean, std, CPU seconds or None) for a dataset, from the JSON files the scripts wrote; missing ones left out."
    key, out = dataset_id.replace('/', '-'), {}
    q = results / f'quality-{key}.json'
    q = json.loads(q.read_text()) if q.exists() else None
    for col, src, name in COLUMNS:
        if col == 'behaviour data' and q is None and (data := behaviour_scores(dataset_id)) is not None: out[col] = (*data, None)
        if src == 'quality':
            if q is None or name not in q: continue
            cpu = q.get('cpu_seconds', {})
            if col == 'TT':              # a reused tt-train run: its wall time on the machine's 2 cores, counted as 2 CPU-seconds per second
                train = cpu.get('tt_train') or (TT_TRAIN_THREADS * q['tt_train_seconds'] if q.get('tt_train_seconds') else None)
                cost = (train, cpu.get('tt_eval'))
            else: cost = (cpu.get('bc_train'), cpu.get('bc_eval'))
            cost = sum(cost) if None not in cost else None
            out[col] = (q[name]['score_mean'], q[name]['score_std'], None if col == 'behaviour data' else cost)
        elif (f := cell_path(results, dataset_id, src)).exists():
            r = json.loads(f.read_text())
            out[col] = (r['score_mean'], r['score_std'], r['cpu_seconds_train'] + r['cpu_seconds_eval'])
    return out


def table(datasets: list[str], results: Path = RESULTS):
    "Print the README table (normalized score mean ± std, CPU time) and draw it as grouped bars into `results`/baselines.png."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = {d: cells(d, results) for d in datasets}
    print('| dataset | ' + ' | '.join(c for c, *_ in COLUMNS) + ' |')
    print('|---|' + '---|' * len(COLUMNS))
    for d, r in rows.items():
        fmt = lambda c: '–' if c not in r else f"{r[c][0]:.1f} ± {r[c][1]:.1f}" + (f" ({r[c][2] / 60:.0f} CPU-min)" if r[c][2] else '')
        print(f"| {d} | " + ' | '.join(fmt(c) for c, *_ in COLUMNS) + ' |')
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(datasets), 3.6))
    w = 0.8 / len(COLUMNS)
    for j, (c, *_) in enumerate(COLUMNS):
        xs = [i + (j - len(COLUMNS) / 2 + 0.5) * w for i, d in enumerate(datasets) if c in rows[d]]
        ys = [rows[d][c][:2] for d in datasets if c in rows[d]]
        if ys: ax.bar(xs, [y[0] for y in ys], w, yerr=[y[1] for y in ys], label=c, capsize=2)
    ax.set_xticks(range(len(datasets)), [d.split('/', 1)[1] for d in datasets], fontsize=8)
    ax.set_ylabel('normalized score'); ax.axhline(0, c='k', lw=0.5); ax.legend(fontsize=7, ncol=4)
    png = results / 'baselines.png'
    fig.tight_layout(); fig.savefig(png, dpi=110)
    print(f"wrote {png}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='tt/hopper/medium-v0')
    p.add_argument('--algo', default='all', help=f"one of {', '.join(ALGOS)}, or all")
    p.add_argument('--episodes', type=int, default=10)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-episode-steps', type=int, default=None, help="cap on episode length; None: the env's own limit")
    p.add_argument('--root', default=None, help='Minari store holding the dataset (default: MINARI_DATASETS_PATH or ~/.minari/datasets)')
    p.add_argument('--table', nargs='*', default=None, metavar='DATASET',
                   help='print the README table and draw <results>/baselines.png for these datasets (default: all with results)')
    p.add_argument('--results', type=Path, default=RESULTS, help='folder of the cells (baselines/), the quality-*.json files and the table')
    a = p.parse_args()
    if a.table is not None:
        files = [*(a.results / 'baselines').glob('*.json'), *a.results.glob('quality-*.json')]
        return table(a.table or sorted({json.loads(f.read_text())['dataset'] for f in files}), a.results)
    if a.root: os.environ['MINARI_DATASETS_PATH'] = str(Path(a.root).absolute())
    try: import d3rlpy  # noqa: F401
    except ImportError: ensure_venv()
    for name in (ALGOS if a.algo == 'all' else [a.algo]): run_cell(a.dataset, name, a.episodes, a.seed, a.max_episode_steps, a.results.absolute())


if __name__ == '__main__':
    main()
