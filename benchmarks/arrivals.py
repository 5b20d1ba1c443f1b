"""Copy a goal set with each episode cut soon after it first reaches where it ended.

A waypoint episode of PointMaze Medium reaches its goal in about 135 of its 600 steps and hovers there for
the rest, so under hindsight relabelling (the goal is where the episode ended) nearly four windows in five
teach waiting at the goal, not finding the way. This writes a copy of `--dataset` as `--out-id` in the local
Minari store, each episode ending `--after` steps after its achieved goal first comes within `--radius` (the
maze env's own success distance, 0.45) of its last one, so `tt-train --goal hindsight` and `goals.py` can be
run on it as on the original.

    python benchmarks/arrivals.py --dataset tt/pointmaze/medium-v0 --out-id tt/pointmaze/medium-arrive-v0
"""
import argparse

import numpy as np
from minari.data_collector import EpisodeBuffer

from tt_nbdev.collect import create_local_dataset
from tt_nbdev.dataset import load_dataset


def cut(ep, radius: float, after: int) -> EpisodeBuffer:
    "Episode `ep` ending `after` steps after its achieved goal first comes within `radius` of its last (truncated there)."
    pos = np.asarray(ep.observations['achieved_goal'])
    n = min(len(ep.actions), int(np.argmax(np.linalg.norm(pos - pos[-1], axis=1) < radius)) + after)
    truncations = np.zeros(n, bool); truncations[-1] = True
    return EpisodeBuffer(id=ep.id, seed=None, observations={k: np.asarray(v[:n + 1], np.float32) for k, v in ep.observations.items()},
                         actions=ep.actions[:n], rewards=np.asarray(ep.rewards[:n], np.float32),
                         terminations=np.asarray(ep.terminations[:n], bool), truncations=truncations)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='tt/pointmaze/medium-v0')
    p.add_argument('--out-id', default='tt/pointmaze/medium-arrive-v0')
    p.add_argument('--radius', type=float, default=0.45)
    p.add_argument('--after', type=int, default=10)
    a = p.parse_args()
    src = load_dataset(a.dataset)
    episodes = [cut(ep, a.radius, a.after) for ep in src.iterate_episodes()]
    lengths = np.array([len(ep.actions) for ep in episodes])
    create_local_dataset(a.out_id, src.spec.env_spec.id, episodes, algorithm_name='cut copy',
                         description=f"{a.dataset}, each episode cut {a.after} steps after it first comes within {a.radius} of where it ended")
    print(f"wrote {a.out_id}: {len(episodes)} episodes of {lengths.mean():.1f} steps on average "
          f"({lengths.sum()} of {src.total_steps} steps kept)")


if __name__ == '__main__':
    main()
