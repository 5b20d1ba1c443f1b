"""Training without dropout: the step's time through the fused attention kernel against attention spelled out.

With `--dropout 0` training used to call `F.scaled_dot_product_attention` with the boolean mask (the fused path);
it now spells attention out as it does with dropout (`SelfAttention.dropped_attention`, `03_model`). In one
process, alternating, on random tokens (the time does not depend on them): a Hopper-sized model (T = 16,
windows of 5 transitions, the default 4x4x128), batch 256 under bf16 autocast as `tt-train` runs on this CPU,
forward + backward + AdamW step, for

- `fused, no dropout`: the path before this change;
- `spelled out, no dropout`: today's;
- `spelled out, dropout 0.1`: the paper's dropout, for scale.

    python benchmarks/no_dropout.py [--rounds 5] [--steps 3] [--batch-size 256]
"""
import argparse, time
import torch
import torch.nn.functional as F
from common import save_results
from tt_nbdev.model import SelfAttention, TTConfig, TrajectoryTransformer


def fused_attention(self, x, mask, cache=None, layer=0, last_only=False):
    "Training attention as it was: the fused kernel, no dropout on the weights."
    B, L, C = x.shape
    q, k, v = (t.view(B, L, self.n_head, C // self.n_head).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)                               # (B, nh, L, hs)
    return self.resid_drop(self.proj(y.transpose(1, 2).contiguous().view(B, L, C)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--steps', type=int, default=3, help='steps per timed round')
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--out', default=None)
    a = p.parse_args()
    torch.manual_seed(0)
    X = torch.randint(0, 100, (a.batch_size, 5 * 16))
    spelled = SelfAttention.forward
    paths = {'fused, no dropout': (0.0, fused_attention), 'spelled out, no dropout': (0.0, spelled),
             'spelled out, dropout 0.1': (0.1, spelled)}
    runs = {}
    for name, (dropout, forward) in paths.items():
        model = TrajectoryTransformer(TTConfig(observation_dim=11, action_dim=3, n_transitions=5, dropout=dropout)).train()
        runs[name] = (model, torch.optim.AdamW(model.parameters(), 1e-4), forward)

    def step(name):
        model, opt, forward = runs[name]
        SelfAttention.forward = forward
        with torch.autocast('cpu', dtype=torch.bfloat16): _, loss = model(X[:, :-1], targets=X[:, 1:])
        loss.backward(); opt.step(); opt.zero_grad()

    times = {name: [] for name in runs}
    for _ in range(a.rounds):
        for name in runs:
            t0 = time.process_time()
            for _ in range(a.steps): step(name)
            times[name].append((time.process_time() - t0) / a.steps)
    SelfAttention.forward = spelled
    median = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    base = median['fused, no dropout']
    for name, t in median.items(): print(f"{name:<26} {t:.3f} CPU-s per step (median of {a.rounds} rounds), {base / t:.2f}x the fused path")
    save_results({'batch_size': a.batch_size, 'threads': torch.get_num_threads(), 'seconds_per_step': times, 'median': median},
                 a.out, 'no-dropout')


if __name__ == '__main__':
    main()
