"""Training throughput: tokens/s of forward + backward + optimizer step for the halfcheetah config.

4x4x128 model, T = 25, windows of 10 transitions (249 tokens), random tokens (throughput does not
depend on the data). Batch 64 on CPU; batch 256 with bf16 autocast on CUDA. Reports peak memory.

    python benchmarks/training.py [--device cuda] [--batch-size 256] [--steps 10]
"""
import argparse, resource, time
from common import save_results
import torch
from tt_nbdev.model import TTConfig, TrajectoryTransformer, configure_optimizer


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch-size', type=int, default=None)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--out', default=None, help='JSON output (default: benchmarks/results/training.json)')
    a = p.parse_args()
    dev = torch.device(a.device)
    cuda = dev.type == 'cuda'
    bs = a.batch_size or (256 if cuda else 64)
    torch.manual_seed(0)
    cfg = TTConfig(observation_dim=17, action_dim=6)
    model = TrajectoryTransformer(cfg).to(dev).train()
    opt = configure_optimizer(model)
    x = torch.randint(0, 100, (bs, cfg.block_size), device=dev)
    y = torch.randint(0, 100, (bs, cfg.block_size), device=dev)
    m = torch.ones(bs, cfg.block_size, device=dev)

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
            _, loss = model(x, y, m)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for _ in range(2): step()
    sync()
    if cuda: torch.cuda.reset_peak_memory_stats(dev)
    t0 = time.perf_counter()
    for _ in range(a.steps): step()
    sync()
    dt = (time.perf_counter() - t0) / a.steps
    peak = torch.cuda.max_memory_allocated(dev) / 2**20 if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = dict(device=str(dev), batch_size=bs, amp_bf16=cuda, seconds_per_step=dt, tokens_per_s=bs * cfg.block_size / dt,
               peak_memory_mib=peak, peak_memory_kind='CUDA allocated' if cuda else 'process max RSS',
               torch_threads=torch.get_num_threads(), params=sum(p.numel() for p in model.parameters()))
    print(f"training, halfcheetah config ({res['params']/1e6:.2f}M params), batch {bs} on {dev}"
          f"{' bf16' if cuda else ''}: {1000*dt:.0f} ms/step, {res['tokens_per_s']:,.0f} tokens/s, "
          f"peak memory {peak:.0f} MiB ({res['peak_memory_kind']})")
    save_results(res, a.out, 'training')


if __name__ == '__main__':
    main()
