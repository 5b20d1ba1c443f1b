"""Planning latency for the halfcheetah-medium preset (T=25, H=5, B=32, n_expand=2, context 5, 4x4x128 model).

Random weights: latency does not depend on what the model learned. Prints ms per planning call for 1 and
10 envs with the batched, cached planner and, in the same process, for the plain uncached reference
planner (1 env), with their ratio, and where a 1-env plan's time goes (one-token steps, re-prefills of
the cropped window, the rest). On CUDA it also reports env-steps/s with 64 envs.

    python benchmarks/planning.py [--device cuda] [--repeats 5] [--reference-repeats 1]
"""
import argparse, platform, time
from common import save_results
import numpy as np
import torch
from tt_nbdev.model import TTConfig, TrajectoryTransformer
from tt_nbdev.discretizer import Discretizer
import tt_nbdev.planning as planning
from tt_nbdev.planning import beam_plan, beam_plan_reference, PRESETS


def timed(fn, repeats, sync):
    fn(); sync()                                        # warm-up: allocator, kernels, lazy init
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); sync(); times.append(time.perf_counter() - t0)
    return float(np.median(times))


def breakdown(model, disc, x, cfg, sync, repeats=3):
    "Seconds per plan in one-token steps (`decode_one`), in re-prefills (`forward` on a chunk) and in the rest."
    acc = {'decode': 0.0, 'prefill': 0.0, 'total': 0.0}
    def clocked(key, f):
        def g(*a, **k):
            t0 = time.perf_counter(); r = f(*a, **k); sync(); acc[key] += time.perf_counter() - t0
            return r
        return g
    decode, forward = planning.decode_one, model.forward
    planning.decode_one, model.forward = clocked('decode', decode), clocked('prefill', forward)
    try:
        for _ in range(repeats):
            t0 = time.perf_counter(); beam_plan(model, disc, x, cfg); sync(); acc['total'] += time.perf_counter() - t0
    finally:
        planning.decode_one = decode; del model.forward
    return {k: v / repeats for k, v in acc.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--reference-repeats', type=int, default=1)
    p.add_argument('--out', default=None, help='JSON output (default: benchmarks/results/planning.json)')
    a = p.parse_args()
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    torch.manual_seed(0)
    O, A = 17, 6
    model = TrajectoryTransformer(TTConfig(observation_dim=O, action_dim=A)).to(dev).eval()
    disc = Discretizer.fit(np.random.default_rng(0).normal(size=(10_000, O + A + 2)), 100)
    cfg = PRESETS['halfcheetah']
    T = O + A + 2
    prefix = lambda E: torch.randint(0, 100, (E, cfg.context_transitions * T + O), device=dev)
    rows, res = [], {}
    for E in ([1, 10] + ([64] if dev.type == 'cuda' else [])):
        x = prefix(E)
        s = timed(lambda: beam_plan(model, disc, x, cfg), a.repeats, sync)
        res[f'fast_{E}env_s'] = s
        rows.append((f'batched + KV cache, {E} env(s)', f'{1000 * s:.1f}', f'{E / s:.1f}'))
    split = breakdown(model, disc, prefix(1), cfg, sync)
    res['breakdown_1env_s'] = split
    x = prefix(1)[0]
    ref = timed(lambda: beam_plan_reference(model, disc, x, cfg), a.reference_repeats, sync)
    res['reference_1env_s'] = ref
    rows.append(('plain reference (no cache), 1 env', f'{1000 * ref:.1f}', f'{1 / ref:.2f}'))
    res['speedup_1env'] = ref / res['fast_1env_s']
    res.update(device=str(dev), device_name=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else platform.processor() or platform.machine(),
               torch_threads=torch.get_num_threads(), torch=torch.__version__, preset='halfcheetah', horizon=cfg.horizon,
               beam_width=cfg.beam_width, n_expand=cfg.n_expand, context_transitions=cfg.context_transitions)
    w = max(len(r[0]) for r in rows)
    print(f"planning latency, halfcheetah preset, {res['device_name']} ({dev}, {res['torch_threads']} threads)")
    print(f"{'planner':<{w}}  {'ms/plan':>9}  {'env-steps/s':>11}")
    for r in rows: print(f"{r[0]:<{w}}  {r[1]:>9}  {r[2]:>11}")
    print(f"speed-up over the reference (1 env): {res['speedup_1env']:.1f}x")
    rest = split['total'] - split['decode'] - split['prefill']
    print(f"where a 1-env plan's time goes (instrumented, so a little slower): one-token steps {1000 * split['decode']:.0f} ms, "
          f"re-prefills {1000 * split['prefill']:.0f} ms, sampling, scoring and selection {1000 * rest:.0f} ms")
    save_results(res, a.out, 'planning')


if __name__ == '__main__':
    main()
