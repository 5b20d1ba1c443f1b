"""Training throughput: tokens/s of forward + backward + optimizer step, the previous code path against today's.

Halfcheetah config: 4x4x128 model, T = 25, windows of 10 transitions (249 tokens), batch 64 on the CPU
(256 on CUDA), random tokens (throughput does not depend on the data). In one process, alternating:

- `previous fp32`: the code before this speed work, rebuilt here: attention dropout through
  `F.scaled_dot_product_attention(dropout_p=...)` (its plain path, one `bernoulli_` float per weight),
  `nn.Dropout`, the head gathering a `(L, in, out)` weight copy for an einsum, unfused AdamW;
- `today fp32`: dropout masks from `dropout_keep_mask`, the grouped head, fused AdamW;
- `today bf16`: the same under bf16 autocast, what `tt-train` uses where bf16 is fast (`--amp` None).

`--curve N` also trains the previous fp32 path and today's bf16 path for N steps from the same seed on the
same batches of the shipped Pendulum dataset and prints how far apart their loss curves are (moving
average of 20 steps), the tolerance this project holds the bf16 path to.

    python benchmarks/training.py [--device cuda] [--batch-size 64] [--steps 6] [--rounds 3] [--curve 300]
"""
import argparse, contextlib, resource, time
from common import save_results
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tt_nbdev.model as M
from tt_nbdev.model import TTConfig, TrajectoryTransformer, configure_optimizer

TOLERANCE = 0.03    # smoothed bf16 loss within 3% of the fp32 loss at every step after the first 50


def previous_attention(self, x, mask, cache=None, layer=0, last_only=False):
    B, L, C = x.shape
    q, k, v = (t.view(B, L, self.n_head, C // self.n_head).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
    return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, L, C)))

def previous_head(self, x, start):
    return torch.einsum('ble,leo->blo', x, self.weight[torch.arange(start, start + x.shape[1], device=x.device) % self.weight.shape[0]])

TODAY = (M.SelfAttention.forward, M.EinLinear.forward, M.Dropout.forward)
PREVIOUS = (previous_attention, previous_head, nn.Dropout.forward)

def use(path):
    M.SelfAttention.forward, M.EinLinear.forward, M.Dropout.forward = path


def make_step(cfg, dev, previous: bool, amp: bool, seed: int = 0):
    "A training step function for one code path, with its own model and optimizer from `seed`."
    torch.manual_seed(seed)
    model = TrajectoryTransformer(cfg).to(dev).train()
    opt = configure_optimizer(model)
    if previous: opt = torch.optim.AdamW(opt.param_groups, lr=6e-4, betas=(0.9, 0.95))      # unfused, as before
    ctx = (lambda: torch.autocast(dev.type, dtype=torch.bfloat16)) if amp else contextlib.nullcontext
    def step(x, y, m):
        use(PREVIOUS if previous else TODAY)
        try:
            with ctx(): _, loss = model(x, y, m)
            opt.zero_grad(set_to_none=True); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        finally: use(TODAY)
        return loss.item()
    return step


def throughput(dev, bs, steps, rounds, sync):
    cfg = TTConfig(observation_dim=17, action_dim=6)
    g = torch.Generator().manual_seed(0)
    x, y = (torch.randint(0, 100, (bs, cfg.block_size), generator=g).to(dev) for _ in range(2))
    m = torch.ones(bs, cfg.block_size, device=dev)
    paths = {'previous fp32': make_step(cfg, dev, True, False), 'today fp32': make_step(cfg, dev, False, False),
             'today bf16': make_step(cfg, dev, False, True)}
    for f in paths.values(): f(x, y, m); f(x, y, m)                           # warm-up
    times = {k: [] for k in paths}
    for _ in range(rounds):                                                   # alternate, so load hits every path alike
        for k, f in paths.items():
            sync(); t0 = time.perf_counter()
            for _ in range(steps): f(x, y, m)
            sync(); times[k].append((time.perf_counter() - t0) / steps)
    return {k: bs * cfg.block_size / float(np.median(v)) for k, v in times.items()}, cfg


def curves(dev, n_steps, bs):
    "Loss per step of the previous fp32 path and today's bf16 path, same seed, same batches."
    from tt_nbdev.dataset import build_dataset, DEFAULT_DATASET_ID
    ds = build_dataset(DEFAULT_DATASET_ID, progress=False)
    cfg = TTConfig(observation_dim=ds.observation_dim, action_dim=ds.action_dim)
    order = np.random.default_rng(0).integers(0, len(ds), (n_steps, bs))
    out = {}
    for name, previous, amp in [('previous fp32', True, False), ('today bf16', False, True)]:
        step = make_step(cfg, dev, previous, amp)
        out[name] = [step(*(t.to(dev) for t in ds.__getitems__(idx))) for idx in order]
    return out


def smooth(v, w=20): return np.convolve(v, np.ones(w) / w, mode='valid')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch-size', type=int, default=None)
    p.add_argument('--steps', type=int, default=6, help='steps per timed round')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--curve', type=int, default=0, help='steps of the loss-curve comparison (0: skip it)')
    p.add_argument('--out', default=None, help='JSON output (default: benchmarks/results/training.json)')
    a = p.parse_args()
    dev = torch.device(a.device)
    cuda = dev.type == 'cuda'
    bs = a.batch_size or (256 if cuda else 64)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    tps, cfg = throughput(dev, bs, a.steps, a.rounds, sync)
    base = tps['previous fp32']
    print(f"training throughput, halfcheetah config, batch {bs}, {cfg.block_size} tokens per window, on {dev} "
          f"({torch.get_num_threads()} threads)")
    for k, v in tps.items(): print(f"  {k:<14} {v:>9,.0f} tokens/s  {v / base:5.2f}x")
    peak = torch.cuda.max_memory_allocated(dev) / 2**20 if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = dict(device=str(dev), batch_size=bs, tokens_per_s=tps, speedup={k: v / base for k, v in tps.items()},
               torch_threads=torch.get_num_threads(), peak_memory_mib=peak)
    if a.curve:
        c = curves(dev, a.curve, bs)
        f32, b16 = smooth(c['previous fp32']), smooth(c['today bf16'])
        rel = np.abs(b16 - f32) / f32
        after = rel[max(0, 50 - 19):]
        res['curve'] = dict(steps=a.curve, max_rel_diff_after_50=float(after.max()), final_fp32=float(f32[-1]),
                            final_bf16=float(b16[-1]), tolerance=TOLERANCE, within=bool(after.max() <= TOLERANCE))
        print(f"loss curves over {a.curve} steps (20-step moving average): final fp32 {f32[-1]:.4f}, bf16 {b16[-1]:.4f}; "
              f"largest relative gap after step 50: {100 * after.max():.2f}% "
              f"({'within' if after.max() <= TOLERANCE else 'OUTSIDE'} the {100 * TOLERANCE:.0f}% tolerance)")
    save_results(res, a.out, 'training')


if __name__ == '__main__':
    main()
