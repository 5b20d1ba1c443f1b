"""Seconds to build the training dataset (discretizer fit + tokenization + window index) from 1M transitions.

HalfCheetah-sized transitions (17 obs + 6 actions + reward + value = 25 dims), 1000 episodes of 1000 steps,
quantile bins (the slower strategy: it sorts every dimension).

    python benchmarks/tokenization.py [--transitions 1000000]
"""
import argparse, time
from common import save_results
import numpy as np
from tt_nbdev.discretizer import Discretizer
from tt_nbdev.dataset import TrajectoryDataset, future_values


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--transitions', type=int, default=1_000_000)
    p.add_argument('--episode-length', type=int, default=1000)
    p.add_argument('--out', default=None, help='JSON output (default: benchmarks/results/tokenization.json)')
    a = p.parse_args()
    rng = np.random.default_rng(0)
    n_eps = a.transitions // a.episode_length
    episodes = [rng.normal(size=(a.episode_length, 25)).astype(np.float32) for _ in range(n_eps)]
    t0 = time.perf_counter()
    for e in episodes: e[:, -1] = future_values(e[:, -2], 0.99)
    t_values = time.perf_counter() - t0
    t0 = time.perf_counter()
    disc = Discretizer.fit(np.concatenate(episodes), 100, 'quantile')
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = TrajectoryDataset(episodes, disc, observation_dim=17, action_dim=6, n_transitions=10)
    t_tok = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(10): ds.__getitems__(rng.integers(0, len(ds), 256))
    t_batch = (time.perf_counter() - t0) / 10
    res = dict(transitions=int(ds.lengths.sum()), values_s=t_values, fit_quantile_s=t_fit, tokenize_s=t_tok,
               total_s=t_values + t_fit + t_tok, batch256_ms=1000 * t_batch)
    print(f"{res['transitions']:,} transitions (T=25): values {t_values:.2f}s, quantile fit {t_fit:.2f}s, "
          f"tokenize + windows {t_tok:.2f}s, total {res['total_s']:.2f}s; a batch of 256 windows {res['batch256_ms']:.1f} ms")
    save_results(res, a.out, 'tokenization')


if __name__ == '__main__':
    main()
