"""Do guessed observation tokens hold? Fixed-point (Jacobi) decoding of the greedy tokens, on a trained model.

The planner decodes observation tokens greedily (top-1), one token per model call. Greedy tokens can
instead be guessed all at once, checked in one multi-token forward, and the guesses replaced by the
model's argmax until nothing changes: the result is exactly greedy decoding, in fewer calls when
guesses hold. Here the guess for each row is its own previous observation's tokens. This script runs
the halfcheetah-preset beam search with sequential and with fixed-point observation decoding, in one
process on the same prefixes (real windows of a dataset), and prints the time per plan, whether the
plans are equal, and how many forwards each observation took (the sequential decoder takes one per
token). It is a measurement, not a planner path: on this project's trained Hopper model the guesses
held too rarely to pay.

    python benchmarks/guesses.py --checkpoint RUN/model.pt --dataset tt/hopper/medium-v0 [--envs 1] [--preset halfcheetah]
"""
import argparse, time
import numpy as np
import torch
from common import save_results, reprefill_sharing
from tt_nbdev.plan_config import get_plan_config
from tt_nbdev.planning import Decoder, beam_plan
from tt_nbdev.checkpoint import load_checkpoint
from tt_nbdev.dataset import load_dataset, episode_arrays


def feed_all(dec: Decoder, X, L):
    "Logits after each token from the last fed one to `L` (the window must not move)."
    assert dec.window_start(L) == dec.crop
    out = dec.model(X[:, dec.fed:L], cache=dec.cache)[0]
    dec.fed = L
    return out


def rewind(dec: Decoder, L):
    dec.cache.length -= dec.fed - L; dec.fed = L


def extend_fixed_point(dec, X, L, logits, n, counts):
    "Greedy tokens into `X[:, L:L+n]` from guesses (each row's previous observation), by fixed-point iteration."
    T = dec.T
    X[:, L] = logits.argmax(-1)
    X[:, L + 1:L + n] = X[:, L + 1 - T:L + n - T]
    exact, forwards = L + 1, 0
    while True:
        out = feed_all(dec, X, L + n); forwards += 1
        pred = out[:, exact - 1 - (L + n - out.shape[1]):-1].argmax(-1)
        wrong = pred != X[:, exact:L + n]
        X[:, exact:L + n] = pred
        if not wrong.any():
            counts.append(forwards)
            return L + n, out[:, -1], None
        first = exact + int(wrong.any(0).int().argmax())    # earliest position any row got wrong, now greedy
        exact = first + 1
        rewind(dec, first)


def real_prefixes(ds, disc, cfg, O, n, seed=0):
    "Token prefixes (context transitions + observation) cut from random points of the dataset's episodes."
    eps = [e for e in (episode_arrays(ep, ds.observation_space, ds.action_space) for ep in ds.iterate_episodes())
           if len(e) > cfg.context_transitions + 1]
    rng, rows = np.random.default_rng(seed), []
    for _ in range(n):
        e = eps[rng.integers(len(eps))]
        t = rng.integers(cfg.context_transitions, len(e))
        tok = disc.encode(torch.as_tensor(e[t - cfg.context_transitions:t + 1], dtype=torch.float32))
        rows.append(torch.cat([tok[:-1].reshape(-1), tok[-1, :O]]))
    return torch.stack(rows).long()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--dataset', required=True, help='Minari dataset whose windows give the prefixes')
    p.add_argument('--preset', default='halfcheetah')
    p.add_argument('--envs', type=int, default=1)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--out', default=None)
    a = p.parse_args()
    model, disc, _ = load_checkpoint(a.checkpoint)
    model.eval()
    cfg, O = get_plan_config(a.preset), model.config.observation_dim
    if O == model.config.action_dim or cfg.k_obs != 1: raise SystemExit("error: needs greedy observation tokens and O != A")
    x = real_prefixes(load_dataset(a.dataset), disc, cfg, O, a.envs)
    counts, times, plans = [], {'sequential': [], 'fixed point': []}, {}
    class FixedPoint(Decoder):                                                   # observation tokens by fixed point
        def extend(self, X, L, logits, n, sample):
            if n == O: return extend_fixed_point(self, X, L, logits, n, counts)   # (O != A checked above)
            return super().extend(X, L, logits, n, sample)
    for _ in range(a.repeats):
        for name in times:
            gens = [torch.Generator().manual_seed(e) for e in range(a.envs)]
            decoder = FixedPoint if name == 'fixed point' else Decoder
            t0 = time.perf_counter(); plans[name] = beam_plan(model, disc, x, cfg, gens, decoder=decoder)[0]; times[name].append(time.perf_counter() - t0)
    sharing = reprefill_sharing(model, disc, x, cfg, [torch.Generator().manual_seed(e) for e in range(a.envs)])
    seq, fp = min(times['sequential']), min(times['fixed point'])
    res = dict(checkpoint=a.checkpoint, dataset=a.dataset, preset=a.preset, envs=a.envs, observation_tokens=O,
               sequential_s=seq, fixed_point_s=fp, plans_equal=bool((plans['sequential'] == plans['fixed point']).all()),
               forwards_per_observation=float(np.mean(counts)), forwards_histogram=np.bincount(counts).tolist(), reprefill_sharing=sharing)
    print(f"{a.preset} preset, {a.envs} env(s), {O} observation tokens: sequential {1000 * seq:.0f} ms per plan, fixed point "
          f"{1000 * fp:.0f} ms; plans equal: {res['plans_equal']}; forwards per observation {res['forwards_per_observation']:.2f} "
          f"(sequential: {O}), histogram {res['forwards_histogram']}")
    print(f"re-prefills of the moving window: {sharing['rows']} row-tokens, {sharing['distinct']} distinct "
          f"(a trie over the beams would save {100 * sharing['saved']:.0f}%)")
    save_results(res, a.out, 'guesses')


if __name__ == '__main__':
    main()
