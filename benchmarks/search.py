"""Where TT's search loses: for every plan the reward search chooses, what it predicted against what the env then
returned, and how likely the model finds the plan against the data's own transitions; and what came before each fall.

For each search `HxB` (horizon, beam width; `1x1` is the model acting alone: one beam, one transition) the same episodes
(episode k reset with seed 10000 + k, the planner seeded as `quality.py` seeds it) are driven one step at a time, and
each plan the search picks is recorded:
- its predicted return: `sum_i<H g^i r_i + g^H V` (expected rewards and the last value token: the search's score, less
  any likelihood guard),
  and its first H steps alone; against the env's realized discounted return from that step on (the termination penalty
  on a fall's last reward, as the model was trained) and over the same H steps;
- its log-likelihood under the model, per planned transition (each given the model's window before it), by token type;
  against that of the data's own transitions (windows of the dataset, teacher-forced the same way).

    python benchmarks/search.py --dataset tt-s2/hopper/medium-v0 --tt-run runs/hopper-s2-medium --episodes 10 \\
        --searches 5x32 1x1 5x8 5x128 15x32 --out benchmarks/results/search-tt-s2-hopper-medium-v0.json

Each finished search is written at once, and a rerun skips the searches the file holds, so a killed run continues.
"""
import argparse, json, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
import torch
import tt_nbdev.planner as planner_mod
from common import RESULTS, add_tt_model
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.dataset import episode_arrays, load_dataset
from tt_nbdev.env_utils import flatten, make_env, unflatten
from tt_nbdev.evaluation import normalized_score
from tt_nbdev.planner import Planner
from tt_nbdev.recipe import recipe_plan

SEED = 10_000
TYPES = ('obs', 'act', 'rew', 'val')


def rounded(x, digits: int = 4):
    "`x` with every float rounded to `digits` decimals: the per-plan records stay small."
    if isinstance(x, float): return round(x, digits)
    if isinstance(x, dict): return {k: rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list): return [rounded(v, digits) for v in x]
    return x


def parse_search(s: str) -> dict:
    """`HxB[:lpW][:capC][:vqQ]` as planner overrides: horizon H, beam width B, the likelihood guard's weight W and cap C,
    and the quantile Q of the last value's distribution (a pessimistic pick);
    `1x1` acts alone (one beam, one transition, no expansion)."""
    size, *guard = s.lower().split(':')
    h, b = map(int, size.split('x'))
    out = dict(horizon=h, beam_width=b, **(dict(n_expand=1) if (h, b) == (1, 1) else {}))
    for g in guard:
        if g.startswith('lp'): out['logp_weight'] = float(g[2:])
        elif g.startswith('cap'): out['logp_cap'] = float(g[3:])
        elif g.startswith('vq'): out['value_quantile'] = float(g[2:])
        else: raise SystemExit(f"error: search {s!r}: a guard is lpW, capC or vqQ")
    return out


@torch.no_grad()
def transition_logp(model, tokens: torch.Tensor, j: int) -> np.ndarray:
    """Log-probability by token type of transition `j` of `tokens` `(L, T)` given the transitions before it, cropped
    from the front to the model's window as the planner crops: `(4,)` sums over observation, action, reward, value tokens."""
    c = model.config
    O, A, T = c.observation_dim, c.action_dim, c.transition_dim
    first = max(0, j + 1 - c.n_transitions)
    x = tokens[first:j + 1].reshape(1, -1)                                  # (1, k*T): the target transition last
    logits = model(x[:, :-1])[0][0, -T:]                                   # the logits that predict its tokens
    if j == first:                                                         # no transition before it: its first token is not predicted
        targets, kinds = x[0, 1:], np.arange(1, T)
    else: targets, kinds = x[0, -T:], np.arange(T)
    lp = torch.log_softmax(logits.float(), -1).gather(1, targets[:, None])[:, 0].numpy()
    kind = np.where(kinds < O, 0, np.where(kinds < O + A, 1, np.where(kinds < O + A + 1, 2, 3)))
    return np.array([lp[kind == k].sum() for k in range(4)])


def data_logp(model, disc, ds, n: int, rng) -> np.ndarray:
    "Log-likelihoods `(n, 4)` of the data's own transitions, each given up to the model's window of the ones before it."
    c = model.config
    eps = [episode_arrays(ep, ds.observation_space, ds.action_space) for ep in ds.iterate_episodes()]
    out = []
    for _ in range(n):
        rows = eps[rng.integers(len(eps))]
        j = int(rng.integers(min(len(rows), c.n_transitions) - 1, len(rows)))
        tok = disc.encode(torch.from_numpy(rows[max(0, j + 1 - c.n_transitions):j + 1]))
        out.append(transition_logp(model, tok, len(tok) - 1))
    return np.array(out)


def run_search(model, disc, ds, plan, episodes: int, data_total: np.ndarray) -> dict:
    "Drive `episodes` episodes with `plan`, recording each chosen plan against what followed."
    c, gamma = model.config, plan.discount
    T = c.transition_dim
    env = make_env(ds)
    planner = Planner(model, disc, plan, env.observation_space, env.action_space, 1, SEED)
    captured = []
    real_beam_plan = planner_mod.beam_plan
    def recording(model_, disc_, prefix, cfg, generator=None, **kw):
        best, info = real_beam_plan(model_, disc_, prefix, cfg, generator, **kw)
        pred = info['predicted'][0].clone()                               # expected rewards, then the last value: the return part
        captured.append((prefix[0].clone(), best[0].clone(), pred, float((pred * cfg.discount ** torch.arange(len(pred))).sum())))
        return best, info
    planner_mod.beam_plan = recording
    episodes_out, plans_out, cpu0 = [], [], time.process_time()
    try:
        for k in range(episodes):
            obs, _ = env.reset(seed=SEED + k); planner.reset([SEED + k])
            rewards, plan_at, terminated = [], [], False
            while True:
                n_before = len(captured)
                a = planner.act(flatten(env.observation_space, obs)[None] if not isinstance(obs, dict) else {kk: np.asarray(v)[None] for kk, v in obs.items()})
                if len(captured) > n_before: plan_at.append((len(rewards), captured[-1]))
                nobs, r, te, tr, _ = env.step(unflatten(env.action_space, a[0]))
                planner.observe(flatten(env.observation_space, obs)[None], a, np.array([r], np.float32))
                rewards.append(float(r)); obs = nobs
                if te or tr: terminated = bool(te); break
            r = np.array(rewards)
            if terminated: r[-1] = -100.0                                      # as the model's values were trained
            togo = np.zeros(len(r) + 1)
            for t in range(len(r) - 1, -1, -1): togo[t] = r[t] + gamma * togo[t + 1]
            for t, (prefix, best, pred, score) in plan_at:
                H = len(best)
                ctx = prefix[:len(prefix) - c.observation_dim].view(-1, T)     # the real transitions before the plan
                toks = torch.cat([ctx, best])
                lp = np.array([transition_logp(model, toks, len(ctx) + j) for j in range(H)])   # (H, 4)
                steps = np.arange(t, min(t + H, len(r)))
                plans_out.append({'episode': k, 't': t, 'predicted_score': score,
                                  'predicted_h': float((pred[:H].numpy() * gamma ** np.arange(H)).sum()),
                                  'realized_togo': float(togo[t]), 'realized_h': float((r[steps] * gamma ** (steps - t)).sum()),
                                  'steps_left': len(r) - t, 'logp': lp.mean(0).tolist(), 'logp_total': float(lp.sum(1).mean())})
            episodes_out.append({'return': float(np.sum(rewards)), 'length': len(rewards), 'terminated': terminated})
    finally:
        planner_mod.beam_plan = real_beam_plan
    rets = np.array([e['return'] for e in episodes_out])
    s, _ = normalized_score(rets, None, ds)
    P = plans_out
    pred, real = np.array([p['predicted_score'] for p in P]), np.array([p['realized_togo'] for p in P])
    ph, rh = np.array([p['predicted_h'] for p in P]), np.array([p['realized_h'] for p in P])
    lt = np.array([p['logp_total'] for p in P])
    low = np.percentile(data_total, 5)
    falls = []
    for k, e in enumerate(episodes_out):
        if not e['terminated']: continue
        last = [p for p in P if p['episode'] == k][-5:]
        falls.append({'episode': k, 'length': e['length'], 'last_plans': [{kk: p[kk] for kk in ('t', 'predicted_score', 'realized_togo', 'logp_total')} for p in last]})
    return {'plan': asdict(plan), 'cpu_seconds': time.process_time() - cpu0,
            'score_mean': float(s.mean()), 'score_std': float(s.std()), 'return_mean': float(rets.mean()), 'return_std': float(rets.std()),
            'done_ratio': float(np.mean([e['terminated'] for e in episodes_out])), 'episodes': episodes_out,
            'n_plans': len(P), 'predicted_score_mean': float(pred.mean()), 'realized_togo_mean': float(real.mean()),
            'optimism_mean': float((pred - real).mean()), 'optimism_median': float(np.median(pred - real)),
            'predicted_realized_corr': float(np.corrcoef(pred, real)[0, 1]) if len(P) > 2 else None,
            'optimism_h_mean': float((ph - rh).mean()),
            'plan_logp_mean': float(lt.mean()), 'plan_logp_by_type': np.array([p['logp'] for p in P]).mean(0).tolist(),
            'plans_below_data_p5': float((lt < low).mean()), 'falls': falls, 'plans': P}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--dataset', required=True)
    p.add_argument('--tt-run', required=True, help="a finished tt-train run folder")
    add_tt_model(p)
    p.add_argument('--episodes', type=int, default=10)
    p.add_argument('--searches', nargs='+', default=['5x32', '1x1'], help="HxB[:lpW][:capC]: horizon, beam width and likelihood guard over the run's preset")
    p.add_argument('--plan', default=None, help="the preset the searches start from (default: the recipe's for the dataset)")
    p.add_argument('--data-windows', type=int, default=500, help="data transitions whose log-likelihood is the reference")
    p.add_argument('--out', default=None)
    a = p.parse_args()
    torch.set_num_threads(1)
    out = Path(a.out) if a.out else RESULTS / f"search-{a.dataset.replace('/', '-')}.json"
    res = json.loads(out.read_text()) if out.exists() else {}
    model, disc, _ = load_checkpoint(Path(a.tt_run) / a.tt_model)
    ds = load_dataset(a.dataset)
    if 'data_logp' not in res:
        d = data_logp(model, disc, ds, a.data_windows, np.random.default_rng(0))
        res.update(dataset=a.dataset, tt_run=a.tt_run, tt_model=a.tt_model, seed_base=SEED, episodes=a.episodes,
                   data_logp={'mean': float(d.sum(1).mean()), 'p5': float(np.percentile(d.sum(1), 5)), 'by_type': d.mean(0).tolist(),
                              'totals': d.sum(1).tolist()}, searches={})
    base = recipe_plan(a.plan or a.dataset)
    for s in a.searches:
        if s in res['searches']: print(f"{s}: in {out} already"); continue
        r = run_search(model, disc, ds, recipe_plan(base, **parse_search(s)), a.episodes, np.array(res['data_logp']['totals']))
        res['searches'][s] = r
        out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(rounded(res)) + '\n')   # per plan: compact
        print(f"{s}: score {r['score_mean']:.1f} ± {r['score_std']:.1f}, done {r['done_ratio']:.2f}; predicted {r['predicted_score_mean']:.1f} "
              f"vs realized {r['realized_togo_mean']:.1f} (optimism {r['optimism_mean']:.1f}, corr {r['predicted_realized_corr']}); "
              f"plan log-lik {r['plan_logp_mean']:.1f} vs data {res['data_logp']['mean']:.1f}, {100 * r['plans_below_data_p5']:.0f}% "
              f"below the data's 5th percentile; {r['cpu_seconds'] / 60:.1f} CPU-min", flush=True)


if __name__ == '__main__':
    main()
