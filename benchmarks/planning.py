"""Planning latency for the halfcheetah-medium preset (T=25, H=5, B=32, n_expand=2, context 5, 4x4x128 model).

Random weights: latency does not depend on what the model learned. Prints ms per planning call for 1 and
10 envs with the batched, cached planner and, in the same process, for the plain uncached reference
planner (1 env), with their ratio, and where a 1-env plan's time goes (one-token steps, re-prefills of
the cropped window, the rest). Also measured, not used by the planner: the same plans with bf16 weights
(time, and how many planned tokens stay equal), and the matrix-product rates that bound a plan. The
hopper preset (H=15, B=128, 11+3+2 tokens per transition) is timed at 1 env. A floor: the matrix products a plan
runs, recorded with their shapes and replayed alone, against the whole plan. On CUDA it also reports
env-steps/s with 64 envs.

    python benchmarks/planning.py [--device cuda] [--repeats 5] [--reference-repeats 1]
"""
import argparse, math, platform, time
from common import save_results, reprefill_sharing
import numpy as np
import torch
from tt_nbdev.model import TTConfig, TrajectoryTransformer
from tt_nbdev.discretizer import Discretizer
import tt_nbdev.planning as planning
from tt_nbdev.plan_config import PRESETS
from tt_nbdev.planning import beam_plan
from tt_nbdev.reference import beam_plan_reference


def timed(fn, repeats, sync):
    fn(); sync()                                        # warm-up: allocator, kernels, lazy init
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); sync(); times.append(time.perf_counter() - t0)
    return float(np.median(times))


def gemm_rates(dev) -> dict:
    "GFLOP/s of `F.linear` with 32 and 64 rows (one-token steps of one env), 640 (ten envs) and 1088, fp32, bf16 and bf16 prepacked."
    out = {}
    for M in (32, 64, 640, 1088):
        for dt in (torch.float32, torch.bfloat16):
            x, w = torch.randn(M, 128, dtype=dt, device=dev), torch.randn(512, 128, dtype=dt, device=dev)
            s = timed(lambda: [torch.nn.functional.linear(x, w) for _ in range(50)], 3, lambda: None) / 50
            out[f"{M} rows {str(dt).split('.')[-1]}"] = 2 * M * 128 * 512 / s / 1e9
        if dev.type == 'cpu' and torch.backends.mkldnn.is_available():      # bf16 weights prepacked for oneDNN (AMX where present)
            xb, wb = x.bfloat16(), torch.randn(512, 128, dtype=torch.bfloat16)
            packed = torch.ops.mkldnn._reorder_linear_weight(wb, M)
            s = timed(lambda: [torch.ops.mkldnn._linear_pointwise(xb, packed, None, 'none', [], '') for _ in range(50)], 3, lambda: None) / 50
            out[f"{M} rows bfloat16 prepacked"] = 2 * M * 128 * 512 / s / 1e9
    return out


def products_floor(model, disc, x, cfg, sync) -> dict:
    """The matrix products one plan runs (shapes recorded by the profiler), replayed alone on fresh contiguous
    tensors: what any exact fp32 planner doing this search's arithmetic spends at least, and their GFLOP."""
    from collections import Counter
    from torch.profiler import profile
    beam_plan(model, disc, x, cfg)
    with profile(record_shapes=True) as prof: beam_plan(model, disc, x, cfg)
    calls = Counter((e.name, tuple(tuple(s) for s in e.input_shapes[:3])) for e in prof.events()
                    if e.name in ('aten::addmm', 'aten::mm', 'aten::bmm') and e.input_shapes)
    r = lambda shape: torch.randn(shape, device=x.device)
    ops, flops = [], 0
    for (name, shapes), n in calls.items():
        if name == 'aten::addmm':                                       # (bias, x, weight transposed as F.linear passes it)
            args, (a, w) = (r(shapes[0]), r(shapes[1]), r(shapes[2][::-1]).t()), shapes[1:]
        else: args, (a, w) = tuple(r(sh) for sh in shapes[:2]), shapes[:2]
        ops.append((getattr(torch, name.split('::')[1]), args, n)); flops += 2 * math.prod(a) * w[-1] * n
    def replay():
        for f, args, n in ops:
            for _ in range(n): f(*args)
    return {'products': sum(calls.values()), 'gflop': flops / 1e9, 'seconds': timed(replay, 3, sync)}


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
    gen = lambda E: [torch.Generator(dev).manual_seed(e) for e in range(E)]
    half = TrajectoryTransformer(model.config).to(dev).eval(); half.load_state_dict(model.state_dict()); half.to(torch.bfloat16)
    for E in (1, 10):                                     # measured only: bf16 weights change the plans, so no product path uses them
        x = prefix(E)
        s = timed(lambda: beam_plan(half, disc, x, cfg, gen(E)), a.repeats, sync)
        res[f'bf16_{E}env_s'] = s
        rows.append((f'bf16 weights (not used), {E} env(s)', f'{1000 * s:.1f}', f'{E / s:.1f}'))
    x = prefix(10)
    p32, p16 = beam_plan(model, disc, x, cfg, gen(10))[0], beam_plan(half, disc, x, cfg, gen(10))[0]
    res['bf16_token_agreement'] = float((p32 == p16).float().mean())
    res['bf16_first_action_agreement'] = float((p32[:, 0, O:O + A] == p16[:, 0, O:O + A]).all(-1).float().mean())
    hop, Oh, Ah = PRESETS['hopper'], 11, 3
    hmodel = TrajectoryTransformer(TTConfig(observation_dim=Oh, action_dim=Ah)).to(dev).eval()
    hdisc = Discretizer.fit(np.random.default_rng(0).normal(size=(10_000, Oh + Ah + 2)), 100)
    hx = torch.randint(0, 100, (1, hop.context_transitions * (Oh + Ah + 2) + Oh), device=dev)
    res['hopper_1env_s'] = timed(lambda: beam_plan(hmodel, hdisc, hx, hop), max(1, a.repeats // 2), sync)
    rows.append((f'hopper preset (H={hop.horizon}, B={hop.beam_width}), 1 env', f"{1000 * res['hopper_1env_s']:.1f}",
                 f"{1 / res['hopper_1env_s']:.2f}"))
    for E in (1, 10): res[f'products_floor_{E}env'] = products_floor(model, disc, prefix(E), cfg, sync)
    res['reprefill_sharing_10env'] = reprefill_sharing(model, disc, prefix(10), cfg, gen(10))
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
    for E in (1, 10):
        f = res[f'products_floor_{E}env']
        print(f"{E} env(s): the plan's {f['products']} matrix products ({f['gflop']:.1f} GFLOP) replayed alone take {1000 * f['seconds']:.0f} ms "
              f"of the plan's {1000 * res[f'fast_{E}env_s']:.0f} ms")
    sh = res['reprefill_sharing_10env']
    print(f"re-prefills of the moving window, 10 envs: {sh['rows']} row-tokens, {sh['distinct']} distinct (a trie over the beams "
          f"would save {100 * sh['saved']:.0f}%)")
    print(f"bf16 weights against fp32 on the same 10 prefixes and seeds: {100 * res['bf16_token_agreement']:.1f}% of planned tokens "
          f"equal, first actions equal in {100 * res['bf16_first_action_agreement']:.0f}% of envs")
    res['gemm_gflops'] = gemm_rates(dev)
    print("matrix products of the model's MLP shape (rows x 128 @ 128 x 512), GFLOP/s: " +
          ', '.join(f"{k} {v:.0f}" for k, v in res['gemm_gflops'].items()))
    save_results(res, a.out, 'planning')


if __name__ == '__main__':
    main()
