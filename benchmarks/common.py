"""What every benchmark script shares: where results go and how they are written."""
import json
from pathlib import Path
import numpy as np
import torch
import torch.nn as nn
from tt_nbdev.plan_config import get_plan_config

RESULTS = Path(__file__).parent / 'results'
NO_SEARCH = dict(horizon=1, beam_width=1, n_expand=1, plan_every=1)   # planner overrides for TT acting as a plain policy: one beam, one transition, every step
ARGMAX_POLICY = {**{k: v for k, v in NO_SEARCH.items() if k != 'n_expand'}, 'objective': 'action-likelihood'}   # the same for a likelihood
                                                                 # preset (n_expand is the reward search's): each action token the model's argmax
SAMPLED_POLICY = {**NO_SEARCH, 'objective': 'reward'}   # one beam, each action token drawn as the reward search draws it
                                                                 # (the preset's top-k and CDF filter: by default the likeliest bins holding at least 40% of the mass)


def add_tt_model(p):
    "The `--tt-model` flag of the scripts that evaluate a finished `--tt-run`: which of its model files."
    p.add_argument('--tt-model', default='model.pt', help="the model file of --tt-run to evaluate; a snapshot model-step<N>.pt "
                   "gives a point of its learning curve, checkpoint.pt the last weights of an --ema run")


def each_action(plans: dict, actions) -> dict:
    "Each plan of `plans` (name -> PlanConfig) once per way of taking its action; a name gains ', <action> actions' but for 'token'."
    return {name + ('' if act == 'token' else f', {act} actions'): get_plan_config(cfg, action=act) for name, cfg in plans.items() for act in actions}


def save_results(res: dict, out: str | None, name: str) -> Path:
    "Write `res` as JSON to `out` (default `results/<name>.json`) and say where it went."
    path = Path(out) if out else RESULTS / f'{name}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + '\n')
    print(f"wrote {path}")
    return path


def mlp_checkpoints(X: torch.Tensor, Y: torch.Tensor, n_params: int, at: list[int], batch_size: int = 256, lr: float = 3e-4,
                    seed: int = 0, n_classes: int | None = None, output: str | None = None):
    """An MLP (3 hidden layers) of about `n_params` parameters regressing `Y` on standardized `X`, trained to each
    step count of `at` in turn: yields `(steps, predict function, its size)` there (the net keeps training after each).
    With `n_classes`, `Y` holds class indices (bins) per column instead: the net classifies each column (cross-entropy)
    and predicts the likeliest class of each, as TT's argmax action tokens do, or with `output='probs'` each column's
    class probabilities `(rows, columns, n_classes)`."""
    torch.manual_seed(seed)
    mu, sd = X.mean(0), X.std(0) + 1e-6
    I, A = X.shape[1], Y.shape[1]
    out = A * (n_classes or 1)
    width = int((-(I + out + 4) + np.sqrt((I + out + 4) ** 2 + 8 * n_params)) / 4)   # ~2*w^2 + (I+out)*w parameters
    net = nn.Sequential(nn.Linear(I, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                        nn.Linear(width, width), nn.ReLU(), nn.Linear(width, out))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    g = torch.Generator().manual_seed(seed)
    forward = lambda x: net((torch.as_tensor(x, dtype=torch.float32) - mu) / sd)
    if n_classes:
        loss_fn = lambda x, y: nn.functional.cross_entropy(forward(x).view(-1, n_classes), y.long().view(-1))
        logits = lambda x: forward(x).detach().view(len(x), A, n_classes)
        predict = (lambda x: logits(x).softmax(-1).numpy()) if output == 'probs' else (lambda x: logits(x).argmax(-1).numpy())
    else:
        loss_fn = lambda x, y: ((forward(x) - y) ** 2).mean()
        predict = lambda x: forward(x).detach().numpy()
    done, size = 0, sum(p.numel() for p in net.parameters())
    for target in sorted(at):
        net.train()
        for _ in range(target - done):
            i = torch.randint(0, len(X), (batch_size,), generator=g)
            loss = loss_fn(X[i], Y[i])
            opt.zero_grad(); loss.backward(); opt.step()
        done = target
        net.eval()
        yield target, predict, size


def fit_mlp(X: torch.Tensor, Y: torch.Tensor, n_params: int, steps: int, batch_size: int = 256, lr: float = 3e-4, seed: int = 0,
            n_classes: int | None = None, output: str | None = None):
    "An MLP (3 hidden layers) of about `n_params` parameters regressing (or classifying) `Y` on standardized `X`: (predict function, its size)."
    (_, predict, size), = mlp_checkpoints(X, Y, n_params, [steps], batch_size, lr, seed, n_classes, output)
    return predict, size


INPUT_CODES = ('centres', 'one-hot', 'thermometer')


def train_token_bc(X, Y, disc, n_params: int, steps: int, inputs: str | None, act_bins: str | None, seed: int = 0,
                   obs_dim: int | None = None, goal_dims: tuple | None = None):
    """A BC MLP that sees what TT sees. `inputs` says how it sees each observation's bins (in training and when
    acting): None, not binned; 'centres', the bins' centres; 'one-hot', one input per bin (what an embedding table
    tells the model); 'thermometer', ones up to the bin (what a cumulative embedding tells it). With `act_bins` it
    classifies each action dimension into `disc`'s bins and acts with the likeliest bin's centre ('argmax', as TT's
    tokens) or the bins' expected value ('mean', as `--action mean`).
    `X`, `Y`: inputs and actions; `X`'s first `obs_dim` columns (default: all) are the observation `disc` starts with
    and the rest (a goal) pass through, or with `inputs` and `goal_dims` (the observation dims TT's goal tokens are
    binned as) are seen through those bins too. Returns the act function (inputs -> actions)."""
    if inputs is not None and inputs not in INPUT_CODES: raise ValueError(f"inputs must be None or one of {INPUT_CODES}, got {inputs!r}")
    O, A, N = obs_dim or X.shape[1], Y.shape[1], disc.n_bins
    obs, act = slice(0, O), slice(O, O + A)
    def code(x):
        x = torch.as_tensor(x, dtype=torch.float32)
        if inputs is None: return x
        parts = [(x[:, obs], obs)] + ([] if goal_dims is None else [(x[:, O:], list(goal_dims))])
        rest = [x[:, O:]] if goal_dims is None else []
        if inputs == 'centres': return torch.cat([disc.decode(disc.encode(v, dims=d), dims=d) for v, d in parts] + rest, 1)
        tok = torch.cat([disc.encode(v, dims=d) for v, d in parts], 1).long()[..., None]        # (B, D, 1)
        bits = tok == torch.arange(N) if inputs == 'one-hot' else torch.arange(N) <= tok         # (B, D, N)
        return torch.cat([bits.flatten(1).float()] + rest, 1)
    X = code(X)
    if act_bins: Y = disc.encode(Y, dims=act)
    fn, _ = fit_mlp(X, Y, n_params, steps, seed=seed, n_classes=N if act_bins else None,
                    output='probs' if act_bins == 'mean' else None)
    out = {None: lambda y: y, 'argmax': lambda y: disc.decode(torch.as_tensor(y), dims=act).numpy(),
           'mean': lambda p: disc.expectation(torch.as_tensor(p), dims=act).numpy()}[act_bins]
    return lambda x: out(fn(code(x)))


def reprefill_sharing(model, disc, prefix: torch.Tensor, cfg, generators=None) -> dict:
    """Row-tokens the planner re-prefills when the window moves, against the distinct ones: rows of an env whose
    planned tokens agree up to a transition's end share that transition's keys and values, so a trie over the
    beams would compute them once. Counted on one `beam_plan` of `prefix` `(E, L0)`."""
    from tt_nbdev.planning import Decoder, beam_plan
    counts = {'rows': 0, 'distinct': 0}
    class Counting(Decoder):
        def feed(self, X, L):
            E, L0 = self.prefix.shape
            if self.cache is not None and self.window_start(L) != self.crop:   # a re-prefill of the planned tokens L0..L
                G = X.shape[0] // E
                for end in range(L0 + self.T, L + self.T, self.T):               # each planned transition, the last one partial
                    e = min(end, L)
                    counts['rows'] += X.shape[0] * (e - max(L0, end - self.T))
                    counts['distinct'] += (e - max(L0, end - self.T)) * sum(len(torch.unique(X[i * G:(i + 1) * G, L0:e], dim=0)) for i in range(E))
            return super().feed(X, L)
    beam_plan(model, disc, prefix, cfg, generators, decoder=Counting)
    return {**counts, 'saved': 1 - counts['distinct'] / max(counts['rows'], 1)}
