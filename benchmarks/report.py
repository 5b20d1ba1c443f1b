"""Render every results table of README.md and benchmarks/README.md from the JSON files under benchmarks/results/.

A table stands between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in a Markdown file; NAME is one of `TABLES`
below, which says which JSON file and which entry each cell comes from. Below each table a line names its JSON files,
so a reader goes from a figure to the file that holds it. The JSON is the one source of a figure: prose links to a
table instead of copying it.

    python benchmarks/report.py            # rewrite the tables in README.md and benchmarks/README.md
    python benchmarks/report.py --check    # exit 1, naming each table that differs from what its JSON says
    python benchmarks/report.py --list     # the tables, and the files they appear in
"""
import argparse, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ('README.md', 'benchmarks/README.md', 'benchmarks/history.md')   # the files whose tables are rendered
DATA, BC, TT, ALONE = 'dataset (behaviour policy)', 'BC (MLP)', 'Trajectory Transformer', 'TT as a policy (H=1, B=1)'
ALONE_MEAN, TT_MEAN = ALONE + ', mean actions', TT + ', mean actions'
EXPERT, LIK, ACT_LIK = 'expert (dataset)', 'TT, likelihood', 'TT, action-likelihood'
GBC, GALONE = 'goal-conditioned BC (MLP)', 'goal-conditioned TT as a policy (H=1, B=1)'


class Results:
    "The JSON files under `results`, each read once, and the files a table used."
    def __init__(self, results: Path):
        self.dir, self.cache, self.used = results, {}, []

    def load(self, name: str) -> dict:
        if name not in self.cache:
            path = self.dir / name
            if not path.exists(): raise SystemExit(f"error: {path} is missing: a table of benchmarks/report.py reads it")
            self.cache[name] = json.loads(path.read_text())
        if name not in self.used: self.used.append(name)
        return self.cache[name]

    def entry(self, name: str, key: str) -> dict | None:
        "A policy's row of a results file: at the top level (quality.py), under `policies` (imitation.py), `results` (goals.py) or `rows` (q_guided.py)."
        d = self.load(name)
        for where in (d, d.get('policies', {}), d.get('results', {}), d.get('rows', {})):
            if isinstance(where.get(key), dict): return where[key]
        return None

    def score(self, name: str, key: str) -> str:
        "`mean ± std` of a row's normalized score, or its success rate and steps to the goal; '–' where the file has no such row."
        e = self.entry(name, key)
        if e is None: return '–'
        if 'score_mean' in e: return f"{e['score_mean']:.1f} ± {e['score_std']:.1f}"
        if 'success_rate' in e: return f"{e['success_rate']:.2f} ({e['steps_to_goal']:.0f} steps)"
        raise SystemExit(f"error: {self.dir / name}: row {key!r} holds neither a score nor a success rate")


def grid(header: list[str], rows: list[list[str]]) -> str:
    return '\n'.join(['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)] + ['| ' + ' | '.join(r) + ' |' for r in rows])


def study(r: Results, header: list[str], rows: list[tuple]) -> str:
    "A table whose rows are `(label, cell, ...)`; a cell is `(file, row)` (a figure), a string (a setting), or None ('–')."
    fmt = lambda c: '–' if c is None else c if isinstance(c, str) else r.score(*c)
    return grid(header, [[label, *map(fmt, cells)] for label, *cells in rows])


# ---- the tables -------------------------------------------------------------------------------------------------------
LOCOMOTION = ['tt-s1/hopper/medium-v0', 'tt-s1/hopper/medium-replay-v0', 'tt/walker2d/medium-v0', 'tt/walker2d/medium-replay-v0',
              'tt/halfcheetah/medium-v0', 'tt/halfcheetah/medium-replay-v0', 'tt-s2/hopper/medium-v0', 'tt-s2/hopper/medium-replay-v0',
              'tt-s2/walker2d/medium-replay-v0']


def offline_rl(r: Results) -> str:
    "The main table: each method on the locomotion sets made here, normalized score and the cell's CPU (baselines.py's `cells`)."
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from baselines import COLUMNS, cell_path, cells
    fmt = lambda c: '–' if c is None else f"{c[0]:.1f} ± {c[1]:.1f}" + (f" ({c[2] / 60:.0f} CPU-min)" if c[2] else '')
    rows = []
    for d in LOCOMOTION:
        q = f"quality-{d.replace('/', '-')}.json"
        r.load(q)                                                          # the files the cells read, for the JSON line
        for _, src, _ in COLUMNS:
            if src != 'quality' and cell_path(r.dir, d, src).exists(): r.load(cell_path(r.dir, d, src).relative_to(r.dir).as_posix())
        c = cells(d, r.dir)
        row = [d] + [fmt(c.get(col)) for col, *_ in COLUMNS]
        row.insert(-1, r.score(q, ALONE))                                  # acting alone, beside the planner
        rows.append(row)
    header = ['dataset'] + [c for c, *_ in COLUMNS[:-1]] + ['TT acting alone', 'TT (planner)']
    return grid(header, rows)


def imitation(r: Results) -> str:
    rows = [(d, *[(f, k) for k in (EXPERT, BC, LIK, ACT_LIK, ALONE)]) for d, f in
            (('tt-s1/hopper/expert-v0', 'imitation-hopper-expert.json'), ('tt/walker2d/expert-v0', 'imitation-walker2d-expert.json'),
             ('tt/pendulum/expert-v0', 'imitation-pendulum-expert.json'))]
    return study(r, ['expert set', 'expert', 'BC', 'TT, likelihood search', 'TT, action likelihood', 'TT acting alone'], rows)


def imitation_walker2d(r: Results) -> str:
    s = 'study/imitation-walker2d-det-expert-'
    rows = [(label, (a, ALONE_MEAN), (a, BC), (b, ALONE_MEAN), (b, BC)) for label, a, b in (
        ('recipe training (seed 0)', s + 'policy-actions.json', s + 'episodes10-19-policy-actions.json'),
        ('recipe training (seed 1)', s + 'seed1-policy-actions.json', s + 'seed1-episodes10-19-policy-actions.json'),
        ('twice the training (3334 steps)', s + '3334steps-policy-actions.json', s + '3334steps-episodes10-19-policy-mean.json'),
        ('its snapshot at step 2502', s + '3334steps-at2502-policy-actions.json', s + '3334steps-at2502-episodes10-19-policy-mean.json'),
        ('200 bins', s + 'bins200-policy-actions-bc-tokens.json', s + 'bins200-episodes10-19-policy-actions.json'),
        ('moving average of the weights (--ema 0.995)', s + 'ema-policy-actions.json', s + 'ema-episodes10-19-policy-mean.json'))]
    bc = [(f'BC, seed {k}', None, (s.replace('study/', 'study/bc-seeds/') + f'bc-seed{k}.json', BC), None,
           (s.replace('study/', 'study/bc-seeds/') + f'bc-seed{k}-episodes10-19.json', BC)) for k in (2, 3, 4)]
    return study(r, ['tt-det/walker2d/expert-v0, TT acting alone (expected action)', 'episodes 0–9', 'BC (seed 0), 0–9',
                     'episodes 10–19', 'BC, 10–19'], rows + bc)


def goals(r: Results) -> str:
    rows = [(d, *[(f, k) for k in ('random actions', 'behaviour (waypoint + noise)', GBC, 'goal-conditioned TT, likelihood',
                                   'goal-conditioned TT, action-likelihood')]) for d, f in
            (('tt/pointmaze/umaze-v0', 'goals-pointmaze-umaze.json'), ('tt/pointmaze/medium-v0', 'goals-pointmaze-medium.json'))]
    return study(r, ['set (20 start/goal pairs)', 'random actions', 'behaviour data', 'goal-conditioned BC', 'TT, likelihood search',
                     'TT, action likelihood'], rows)


def goals_medium(r: Results) -> str:
    s = 'study/goals-pointmaze-medium-cumulative-'
    rows = [(f'TT, training seed {k}', (s + f'{p}policy-100pairs.json', GALONE), (s + f'{p}sampled-100pairs.json', GALONE + ', sampled action tokens'))
            for k, p in ((0, ''), (1, 'seed1-'), (2, 'seed2-'))]
    rows += [(f'TT, training seed {k}, moving average', (s + f'ema-seed{k}-policy-sampled-100pairs.json', GALONE),
              (s + f'ema-seed{k}-policy-sampled-100pairs.json', GALONE + ', sampled action tokens')) for k in (0, 1)]
    rows += [(f'goal-conditioned BC, seed {k}', (s + 'policy-100pairs.json' if k == 0 else f'study/bc-seeds/goals-pointmaze-medium-bc-seed{k}-100pairs.json', GBC), None)
             for k in range(5)]
    return study(r, ['tt/pointmaze/medium-v0, 100 pairs', 'acting alone, likeliest action bins', 'acting alone, sampled action tokens'], rows)


def speed_planning(r: Results) -> str:
    p = r.load('planning.json')
    return grid(['planning step, halfcheetah preset (H=5, B=32), 2-core CPU', 'seconds', 'against the plain reference'], [
        ['plain reference search (`05a_reference`), one env', f"{p['reference_1env_s']:.2f}", '1×'],
        ['fast search, one env', f"{p['fast_1env_s']:.2f}", f"{p['reference_1env_s'] / p['fast_1env_s']:.1f}× faster"],
        ['fast search, ten envs batched (per step of all ten)', f"{p['fast_10env_s']:.2f}", f"{10 * p['reference_1env_s'] / p['fast_10env_s']:.1f}× faster"],
        ["the same matrix products alone, one env (the floor)", f"{p['products_floor_1env']['seconds']:.2f}", '–']])


def speed_training(r: Results) -> str:
    t = r.load('training.json')
    rows = [[k, f"{v:,.0f}", f"{t['speedup'][k]:.2f}×"] for k, v in t['tokens_per_s'].items()]
    c = t['curve']
    rows.append([f"bf16 against fp32 over {c['steps']} steps: largest relative gap of the averaged loss after step 50", f"{c['max_rel_diff_after_50']:.4f}", '–'])
    return grid([f"training, halfcheetah model, batch {t['batch_size']}, CPU", 'target tokens / s', 'against the previous fp32 code'], rows)


def recipe_length(r: Results) -> str:
    w = 'study/quality-tt-walker2d-medium-replay-v0-cumulative'
    h = 'study/imitation-hopper-s1-expert-2134steps'
    return study(r, ['run', 'steps', 'planner', 'acting alone', 'BC'], [
        ('tt/walker2d/medium-replay-v0, recipe', '1667', (w + '.json', TT), None, (w + '.json', BC)),
        ('same set, twice the recipe, snapshot', '834', (w + '-3334steps-at834.json', TT), None, (w + '-3334steps-at834.json', BC)),
        ('same', '1668', (w + '-3334steps-at1668.json', TT), None, (w + '-3334steps-at1668.json', BC)),
        ('same', '2502', (w + '-3334steps-at2502.json', TT), None, (w + '-3334steps-at2502.json', BC)),
        ('same, last weights', '3334', (w + '-3334steps.json', TT), (w + '-3334steps.json', ALONE), (w + '-3334steps.json', BC)),
        ('tt-s1/hopper/expert-v0 (imitation), twice the recipe, snapshot', '534', None, (h + '-at534-policy.json', ALONE), (h + '-at534-policy.json', BC)),
        ('same', '1068', None, (h + '-at1068-policy.json', ALONE), (h + '-at1068-policy.json', BC)),
        ('same', '1602', None, (h + '-at1602-policy.json', ALONE), (h + '-at1602-policy.json', BC)),
        ('same, last weights', '2134', (h + '.json', LIK), (h + '.json', ALONE), (h + '.json', BC))])


def recipe_dropout(r: Results) -> str:
    q, i = 'study/quality-tt-', 'study/imitation-'
    return study(r, ['set', 'passes over the data', 'dropout', 'planner or likelihood search', 'acting alone', 'BC'], [
        ('tt-s1/hopper/medium-v0, training seed 1', '24.8', '0.1', (q + 's1-hopper-medium-v0-dropout0.1-seed1.json', TT), (q + 's1-hopper-medium-v0-dropout0.1-seed1.json', ALONE), (q + 's1-hopper-medium-v0-dropout0.1-seed1.json', BC)),
        ('same', '24.8', '0', (q + 's1-hopper-medium-v0-dropout0-seed1.json', TT), (q + 's1-hopper-medium-v0-dropout0-seed1.json', ALONE), (q + 's1-hopper-medium-v0-dropout0-seed1.json', BC)),
        ('tt-s1/hopper/expert-v0 (imitation)', '22.7', '0.1', (i + 'hopper-s1-expert-dropout0.1.json', LIK), (i + 'hopper-s1-expert-dropout0.1.json', ALONE), (i + 'hopper-s1-expert-dropout0.1.json', BC)),
        ('same', '22.7', '0', (i + 'hopper-s1-expert-dropout0-every-step.json', LIK), (i + 'hopper-s1-expert-dropout0.json', ALONE), (i + 'hopper-s1-expert-dropout0.json', BC)),
        ('tt/walker2d/medium-v0', '21.4', '0.1', (q + 'walker2d-medium-v0-dropout0.1-mean-actions.json', TT), (q + 'walker2d-medium-v0-dropout0.1-mean-actions.json', ALONE), (q + 'walker2d-medium-v0-dropout0.1-mean-actions.json', BC)),
        ('same (token actions)', '21.4', '0', (q + 'walker2d-medium-v0-dropout0.json', TT), None, (q + 'walker2d-medium-v0-dropout0.json', BC)),
        ('tt/walker2d/expert-v0 (imitation)', '14.1', '0.1', (i + 'walker2d-expert-dropout0.1.json', LIK), (i + 'walker2d-expert-dropout0.1.json', ALONE), (i + 'walker2d-expert-dropout0.1.json', BC)),
        ('same', '14.1', '0', (i + 'walker2d-expert-dropout0-every-step.json', LIK), (i + 'walker2d-expert-dropout0.json', ALONE), (i + 'walker2d-expert-dropout0.json', BC)),
        ('tt/walker2d/medium-replay-v0', '14.1', '0.1', (q + 'walker2d-medium-replay-v0-dropout0.1-mean-actions.json', TT), (q + 'walker2d-medium-replay-v0-dropout0.1-mean-actions.json', ALONE), (q + 'walker2d-medium-replay-v0-dropout0.1-mean-actions.json', BC)),
        ('same', '14.1', '0', (q + 'walker2d-medium-replay-v0-mean-actions.json', TT_MEAN), (q + 'walker2d-medium-replay-v0-mean-actions.json', ALONE_MEAN), (q + 'walker2d-medium-replay-v0-mean-actions.json', BC)),
        ('tt/pendulum/expert-v0 (imitation)', '2.55', '0.1', None, ('study/imitation-pendulum-expert-policy.json', ALONE), ('study/imitation-pendulum-expert-policy.json', BC)),
        ('same', '2.55', '0', None, ('study/imitation-pendulum-expert-dropout0-policy.json', ALONE), ('study/imitation-pendulum-expert-dropout0-policy.json', BC))])


def recipe_embeddings(r: Results) -> str:
    q = 'study/quality-tt-'
    pair = lambda label, table, cumul, key: (label, (table, key), (cumul, key), (cumul, BC))
    return study(r, ['set, policy (same seeds)', 'table embeddings', 'cumulative embeddings', 'BC'], [
        pair('tt/walker2d/medium-replay-v0, planner, 20 episodes', q + 'walker2d-medium-replay-v0-20episodes.json', q + 'walker2d-medium-replay-v0-cumulative-20episodes.json', TT),
        pair('same set, planner, 10 episodes', q + 'walker2d-medium-replay-v0-table.json', q + 'walker2d-medium-replay-v0-cumulative.json', TT),
        pair('tt-s1/hopper/medium-replay-v0, planner', q + 's1-hopper-medium-replay-v0-table.json', q + 's1-hopper-medium-replay-v0-cumulative.json', TT),
        pair('same, acting alone', q + 's1-hopper-medium-replay-v0-dropout0.json', q + 's1-hopper-medium-replay-v0-cumulative.json', ALONE),
        pair('tt/walker2d/medium-v0, planner', q + 'walker2d-medium-v0-table.json', q + 'walker2d-medium-v0-cumulative.json', TT),
        pair('same, acting alone', q + 'walker2d-medium-v0-table.json', q + 'walker2d-medium-v0-cumulative.json', ALONE),
        pair('tt/pendulum/medium-v0, planner, 20 episodes', q + 'pendulum-medium-v0-table.json', q + 'pendulum-medium-v0-cumulative.json', TT),
        pair('tt-s1/hopper/medium-v0, acting alone', q + 's1-hopper-medium-v0-table.json', q + 's1-hopper-medium-v0-cumulative.json', ALONE),
        ('tt/walker2d/expert-v0 (imitation), acting alone', ('study/imitation-walker2d-expert-dropout0-policy-actions.json', ALONE),
         ('study/imitation-walker2d-expert-cumulative-policy.json', ALONE), ('study/imitation-walker2d-expert-cumulative-policy.json', BC)),
        ('tt/pointmaze/medium-v0, acting alone (success, 20 pairs)', ('study/goals-pointmaze-medium-dropout0-policy.json', GALONE),
         ('study/goals-pointmaze-medium-cumulative-policy-actions.json', GALONE), ('study/goals-pointmaze-medium-cumulative-policy-actions.json', GBC))])


def recipe_planner(r: Results) -> str:
    q = 'study/quality-tt-'
    return study(r, ['set', "search", 'bins\' centres (token)', 'expected action (mean)', 'BC'], [
        ('tt/walker2d/medium-v0', 'H=5, B=32, every 5 steps', (q + 'walker2d-medium-v0-mean-actions.json', TT), (q + 'walker2d-medium-v0-mean-actions.json', TT_MEAN), (q + 'walker2d-medium-v0-mean-actions.json', BC)),
        ('same', 'acting alone', (q + 'walker2d-medium-v0-mean-actions.json', ALONE), (q + 'walker2d-medium-v0-mean-actions.json', ALONE_MEAN), (q + 'walker2d-medium-v0-mean-actions.json', BC)),
        ('tt/walker2d/medium-replay-v0', 'H=5, B=32, every 5 steps', (q + 'walker2d-medium-replay-v0-mean-actions.json', TT), (q + 'walker2d-medium-replay-v0-mean-actions.json', TT_MEAN), (q + 'walker2d-medium-replay-v0-mean-actions.json', BC)),
        ('tt-s1/hopper/medium-replay-v0', 'H=5, B=32, every step', (q + 's1-hopper-medium-replay-v0-mean-actions.json', TT), (q + 's1-hopper-medium-replay-v0-mean-actions.json', TT_MEAN), (q + 's1-hopper-medium-replay-v0-mean-actions.json', BC)),
        ('tt/halfcheetah/medium-v0', 'H=5, B=32, every 5 steps', (q + 'halfcheetah-medium-v0-cumulative.json', TT), (q + 'halfcheetah-medium-v0-mean-actions.json', TT), (q + 'halfcheetah-medium-v0-cumulative.json', BC)),
        ('tt/halfcheetah/medium-replay-v0', 'H=5, B=32, every 5 steps', (q + 'halfcheetah-medium-replay-v0-cumulative.json', TT), (q + 'halfcheetah-medium-replay-v0-mean-actions.json', TT), (q + 'halfcheetah-medium-replay-v0-cumulative.json', BC))]) \
        + '\n\n' + study(r, ['set', "the recipe's search (H=5, B=32)", "the paper's (hopper preset: H=15, B=128), every 5 steps", 'BC'], [
            ('tt-s1/hopper/medium-v0', (q + 's1-hopper-medium-v0-cumulative.json', TT), (q + 's1-hopper-medium-v0-cumulative-hopper-every5.json', TT), (q + 's1-hopper-medium-v0-cumulative.json', BC)),
            ('tt-s1/hopper/medium-replay-v0', (q + 's1-hopper-medium-replay-v0-cumulative.json', TT), (q + 's1-hopper-medium-replay-v0-cumulative-hopper-every5.json', TT), (q + 's1-hopper-medium-replay-v0-cumulative.json', BC)),
            ('same, training seed 1', (q + 's1-hopper-medium-replay-v0-cumulative-seed1.json', TT), (q + 's1-hopper-medium-replay-v0-cumulative-seed1-hopper-every5.json', TT), (q + 's1-hopper-medium-replay-v0-cumulative-seed1.json', BC))])


def recipe_off(r: Results) -> str:
    q = 'study/quality-tt-s1-hopper-medium-v0-'
    i = 'study/imitation-hopper-s1-expert-'
    return study(r, ['set, option left off', 'planner or likelihood search', 'acting alone', 'BC'], [
        ('tt-s1/hopper/medium-v0, no moving average (dropout 0)', (q + 'dropout0-seed1.json', TT), (q + 'dropout0-seed1.json', ALONE), (q + 'dropout0-seed1.json', BC)),
        ('same, `--ema 0.995` (dropout 0)', (q + 'ema.json', TT), (q + 'ema.json', ALONE), (q + 'ema.json', BC)),
        ('tt-s1/hopper/expert-v0, no moving average (dropout 0)', (i + 'dropout0-every-step.json', LIK), (i + 'dropout0.json', ALONE), (i + 'dropout0.json', BC)),
        ('same, `--ema 0.995` (dropout 0)', (i + 'ema.json', LIK), (i + 'ema.json', ALONE), (i + 'ema.json', BC))])


INDEX = [   # claim, (file, row) of its figure, (file, row) of what it is held against, section, command
    ('TT plans above BC on diverse data (Hopper medium-replay)', ('quality-tt-s1-hopper-medium-replay-v0.json', TT),
     ('quality-tt-s1-hopper-medium-replay-v0.json', BC), 'offline-rl', 'quality.py --dataset tt-s1/hopper/medium-replay-v0'),
    ('TT plans above BC on Walker2d medium', ('quality-tt-walker2d-medium-v0.json', TT), ('quality-tt-walker2d-medium-v0.json', BC),
     'offline-rl', 'quality.py --dataset tt/walker2d/medium-v0'),
    ('TT trails BC on HalfCheetah medium', ('quality-tt-halfcheetah-medium-v0.json', TT), ('quality-tt-halfcheetah-medium-v0.json', BC),
     'offline-rl', 'quality.py --dataset tt/halfcheetah/medium-v0'),
    ("TT's search is level with or under its own model acting alone on narrow data (HalfCheetah medium)",
     ('quality-tt-halfcheetah-medium-v0.json', TT), ('quality-tt-halfcheetah-medium-v0.json', ALONE), 'offline-rl',
     'quality.py --dataset tt/halfcheetah/medium-v0 --as-policy'),
    ('On a new Hopper medium set the default search scores under its own model acting alone', ('quality-tt-s2-hopper-medium-v0.json', TT),
     ('quality-tt-s2-hopper-medium-v0.json', ALONE), 'where-the-search-loses', 'search.py --dataset tt-s2/hopper/medium-v0 --searches 5x32 1x1'),
    ('On its medium-replay level the search pays', ('quality-tt-s2-hopper-medium-replay-v0.json', TT),
     ('quality-tt-s2-hopper-medium-replay-v0.json', ALONE), 'offline-rl', 'quality.py --dataset tt-s2/hopper/medium-replay-v0 --as-policy'),
    ('The likelihood search imitates the Hopper expert about as well as BC', ('imitation-hopper-expert.json', LIK),
     ('imitation-hopper-expert.json', BC), 'imitation', 'imitation.py --dataset tt-s1/hopper/expert-v0'),
    ('TT imitates the Walker2d expert worse than BC', ('imitation-walker2d-expert.json', LIK), ('imitation-walker2d-expert.json', BC),
     'imitation', 'imitation.py --dataset tt/walker2d/expert-v0'),
    ('Goal-conditioned TT reaches the U-maze goals BC reaches', ('goals-pointmaze-umaze.json', 'goal-conditioned TT, likelihood'),
     ('goals-pointmaze-umaze.json', GBC), 'goal-reaching', 'goals.py --dataset tt/pointmaze/umaze-v0'),
    ('In PointMaze Medium it reaches fewer than BC', ('goals-pointmaze-medium.json', 'goal-conditioned TT, likelihood'),
     ('goals-pointmaze-medium.json', GBC), 'goal-reaching', 'goals.py --dataset tt/pointmaze/medium-v0'),
    ('Dropout pays from 20 passes over the data (Hopper expert, likelihood search)', ('study/imitation-hopper-s1-expert-dropout0.1.json', LIK),
     ('study/imitation-hopper-s1-expert-dropout0-every-step.json', LIK), 'recipe-dropout', 'imitation.py --dataset tt-s1/hopper/expert-v0'),
    ('Cumulative embeddings pay on offline RL (Walker2d medium-replay, 20 episodes)', ('study/quality-tt-walker2d-medium-replay-v0-cumulative-20episodes.json', TT),
     ('study/quality-tt-walker2d-medium-replay-v0-20episodes.json', TT), 'recipe-token-embeddings', 'quality.py --dataset tt/walker2d/medium-replay-v0 --episodes 20'),
]


def index(r: Results) -> str:
    "The first screen of benchmarks/README.md: each claim, its figure against what it is held to, where it is argued, how it is made."
    rows = [[claim, f"{r.score(*fig)} against {r.score(*base)}", f"[{sec}](#{sec})", f"`python benchmarks/{cmd}`", f"[`{Path(fig[0]).name}`](results/{fig[0]})"]
            for claim, fig, base, sec, cmd in INDEX]
    return grid(['claim', 'figure', 'section', 'command (full form in the section)', 'JSON'], rows)


def search_diagnosis(r: Results) -> str:
    "Each search on the same episodes: its score, and what its chosen plans predicted against what followed."
    rows = []
    for f in ('search-tt-s2-hopper-medium-v0.json', 'search-tt-s2-hopper-medium-replay-v0.json'):
        if not (r.dir / f).exists(): continue
        d = r.load(f)
        for name, x in d['searches'].items():
            guard = f", guard {x['plan']['logp_weight']:g}" if x['plan'].get('logp_weight') else ''
            guard += f", value quantile {x['plan']['value_quantile']:g}" if x['plan'].get('value_quantile') else ''
            size = 'acting alone' if x['plan']['horizon'] == 1 and x['plan']['beam_width'] == 1 else f"H={x['plan']['horizon']}, B={x['plan']['beam_width']}{guard}"
            rows.append([d['dataset'], size, f"{x['score_mean']:.1f} ± {x['score_std']:.1f}", f"{x['done_ratio']:.1f}",
                         f"{x['predicted_score_mean']:.1f} / {x['realized_togo_mean']:.1f}", f"{x['optimism_mean']:+.1f}",
                         f"{x['predicted_realized_corr']:.2f}", f"{x['plan_logp_mean']:.1f} / {d['data_logp']['mean']:.1f}",
                         f"{100 * x['plans_below_data_p5']:.0f}%", f"{x['cpu_seconds'] / 60:.1f}"])
    return grid(['set', 'search', 'score', 'falls', 'predicted / realized return of the chosen plans', 'optimism',
                 'correlation', 'plan / data log-likelihood per transition', 'plans below the data 5th percentile', 'CPU-min'], rows)


def q_guided(r: Results) -> str:
    "TT (+Q) beside TT's own search, the model acting alone and BC, on the same episodes."
    rows = []
    for d in ('tt-s2/hopper/medium-replay-v0', 'tt-s2/walker2d/medium-replay-v0'):
        q, g = f"quality-{d.replace('/', '-')}.json", f"study/q-guided-{d.replace('/', '-')}.json"
        if not ((r.dir / g).exists() and (r.dir / q).exists()): continue
        m = r.load(g)
        rows.append([d, r.score(q, BC), r.score(q, ALONE), r.score(q, TT), f"{m['normalized_score']:.1f} ± {m['normalized_score_std']:.1f}"])
    return grid(['set', 'BC', 'TT acting alone', 'TT (planner, value token)', 'TT (+Q) (IQL values, 30k steps)'], rows)


def q_guided_mazes(r: Results) -> str:
    "Success on the sparse mazes: BC, IQL acting alone, TT's reward search and TT (+Q), on the same episodes."
    rows = []
    for maze in ('medium', 'large'):
        f = f'q-guided-pointmaze-{maze}.json'
        if not (r.dir / f).exists(): continue
        d = r.load(f)
        order = ['BC', 'IQL', 'TT', 'TT (+Q)', 'TT acting alone']
        for name in [n for n in order if n in d['rows']] + [n for n in d['rows'] if n not in order]:   # other searches last
            x = d['rows'][name]
            steps = '–' if x['steps_to_goal'] is None else f"{x['steps_to_goal']:.0f}"
            rows.append([d['settings']['dataset'], name, f"{x['success_rate']:.2f}", steps, f"{x['return_mean']:.2f} ± {x['return_std']:.2f}",
                         f"{x['cpu_minutes']:.1f}"])
    return grid(['set', 'policy', 'success rate', 'mean steps to the goal (of those reaching it)', 'return', 'CPU-min (training not counted)'], rows)


def q_guided_values(r: Results) -> str:
    "TT (+Q) and IQL's own policy on PointMaze Medium with IQL's values learned three ways, and the cells where each V holds a climbing search."
    def success(f, row):
        e = r.entry(f, row) if (r.dir / f).exists() else None
        return '–' if e is None else f"{e['success_rate']:.2f} ({e['steps_to_goal']:.0f} steps; {e['cpu_minutes']:.0f} CPU-min)"
    def held(f):
        if not (r.dir / f).exists(): return '–'
        cells = r.load(f)['values']['held_cells']
        return ', '.join(str(tuple(c)) for c in cells) or 'none'
    st = 'study/q-guided-pointmaze-medium-{}.json'
    rows = []
    for label, f, v in (("100k steps, expectile 0.9 (the maze family's)", 'q-guided-pointmaze-medium.json', 'study/q-trace-pointmaze-medium.json'),
                        ('300k steps, expectile 0.9', st.format('iql300k'), 'study/q-values-pointmaze-medium-iql300k.json'),
                        ('100k steps, expectile 0.99', st.format('expectile0.99'), 'study/q-values-pointmaze-medium-expectile0.99.json')):
        rows.append([label] + [success(f, row) for row in ('IQL', 'TT (+Q)', 'TT (+Q), H=15, B=32')] + [held(v)])
    return grid(["IQL's values", 'IQL acting alone', 'TT (+Q), H=5, B=32', 'TT (+Q), H=15, B=32',
                 'cells whose mean V tops the next one on the way to the goal'], rows)


def q_trace(r: Results) -> str:
    "TT (+Q)'s missed episodes on PointMaze Medium, each played alone: where the ball ended and what the learned Q prefers there."
    d = r.load('study/q-trace-pointmaze-medium.json')
    rows = [[str(e['episode']), f"{tuple(e['cell'])}", str(e['cells_to_goal']), '–' if e['rest_from'] is None else str(e['rest_from']),
             f"{e['q_best']:.2f} {tuple(round(x, 1) for x in e['q_best_action'])}", f"{e['q_controller']:.2f}", f"{e['q_iql']:.2f}"]
            for e in d['episodes'] if not e['success']]
    held = ', '.join(str(tuple(c)) for c in d['values']['held_cells']) or 'none'
    return (grid(['missed episode', 'cell at the end', 'cells to the goal', 'at rest from step', "Q's best action at the end",
                  "Q of the controller's way on", "Q of IQL's own action"], rows)
            + f"\n\nPlayed alone: success {d['summary']['success_rate']:.2f} over {d['summary']['played']} episodes. "
              f"Cells whose mean V is above the next cell's on the way to the goal: {held}.")


def search_plan_every(r: Results) -> str:
    "Replanning less often on the new Hopper medium set: the default search every k steps, beside acting alone and BC."
    q, st = 'quality-tt-s2-hopper-medium-v0.json', 'study/quality-tt-s2-hopper-medium-v0-plan-every{}.json'
    return study(r, ['search on tt-s2/hopper/medium-v0', 'score'], [
        ('H=5, B=32, replanning every step (the default)', (q, TT)), ('the same, replanning every 2 steps', (st.format(2), TT)),
        ('the same, replanning every 5 steps', (st.format(5), TT)), ('TT acting alone', (q, ALONE)), ('BC', (q, BC))])


TABLES = {'index': index, 'search-diagnosis': search_diagnosis, 'search-plan-every': search_plan_every, 'q-guided': q_guided, 'q-guided-mazes': q_guided_mazes, 'q-guided-values': q_guided_values, 'q-trace': q_trace, 'offline-rl': offline_rl, 'imitation': imitation, 'imitation-walker2d': imitation_walker2d, 'goals': goals,
          'goals-medium-100': goals_medium, 'speed-planning': speed_planning, 'speed-training': speed_training,
          'recipe-length': recipe_length, 'recipe-dropout': recipe_dropout, 'recipe-embeddings': recipe_embeddings,
          'recipe-planner': recipe_planner, 'recipe-off': recipe_off}


# ---- rendering between markers ------------------------------------------------------------------------------------------
def render(name: str, results: Path, doc: Path) -> str:
    "Table `name`, then a line naming its JSON files relative to the document `doc`."
    r = Results(results)
    body = TABLES[name](r)
    rel = lambda f: Path(__import__('os').path.relpath(results / f, doc.parent)).as_posix()
    if doc.parent == results.parent.parent and len(r.used) > 6:      # the front page: the list is in benchmarks/README.md
        return body + '\n\n' + f"JSON: {len(r.used)} files under [`benchmarks/results/`]({rel('.')}/), each named under this table in [`benchmarks/README.md`](benchmarks/README.md)."
    return body + '\n\n' + 'JSON: ' + ', '.join(f"[`{Path(f).name}`]({rel(f)})" for f in r.used)


def update(text: str, doc: Path, results: Path) -> tuple[str, list[str]]:
    "`text` with every marked table rendered anew, and the names of those whose text changed."
    out, changed, pos = [], [], 0
    while (start := text.find('<!-- table:', pos)) >= 0:
        name = text[start + 11:text.index(' -->', start)]
        if name not in TABLES: raise SystemExit(f"error: {doc}: unknown table {name!r}; benchmarks/report.py knows {sorted(TABLES)}")
        head_end = text.index('-->', start) + 3
        close = f'<!-- /table:{name} -->'
        if (end := text.find(close, head_end)) < 0: raise SystemExit(f"error: {doc}: table {name!r} has no closing {close}")
        new = '\n' + render(name, results, doc) + '\n'
        if text[head_end:end] != new: changed.append(name)
        out += [text[pos:head_end], new]
        pos = end
    return ''.join(out) + text[pos:], changed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--check', action='store_true', help="write nothing; exit 1 if a committed table differs from its JSON")
    p.add_argument('--list', action='store_true', help="list the tables and the files they appear in")
    p.add_argument('--root', type=Path, default=ROOT, help="the repository to render (default: this one)")
    a = p.parse_args(argv)
    results, stale = a.root / 'benchmarks' / 'results', []
    for name in DOCS:
        doc = a.root / name
        if not doc.exists(): continue
        text = doc.read_text()
        new, changed = update(text, doc, results)
        if a.list: print(f"{name}: " + ', '.join(n for n in TABLES if f'<!-- table:{n} -->' in text))
        stale += [f"{name}: {c}" for c in changed]
        if changed and not a.check and not a.list: doc.write_text(new); print(f"{name}: rendered {', '.join(changed)}")
    if a.check and stale:
        print("tables that differ from their JSON (run python benchmarks/report.py and commit):\n  " + '\n  '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
