"""The paper's regime on one GPU: what a CIFAR-10 grid point and the Fashion grid cost there.

Measures, on CIFAR-shaped uint8 data (3×32×32; no download: random images, whose cost per step is a real image's):
  1. classifier training: ResNet-18, batch 64 (the paper's), bf16 and fp32: images/s and seconds per step;
  2. CSI training: the cifar10 CSI preset (ResNet-18, batch 32 × 4 rotations × 2 views): steps/s;
  3. one round of each of Table 1's eight methods on a pool of `--pool` images with `--iters` classifier steps
     (CSI from a cache trained once with `--csi-probe` steps): each phase's seconds (train, score, select, meta-net);
  4. the estimated hours of one CIFAR-10 grid point (CSI once at the preset's steps, then the eight methods for 10 rounds
     of 20,000 steps on a 50,000-image pool, scoring scaled linearly from the measured pool) on one GPU, with one run at a
     time and with `--runs-per-gpu` at once (assuming they share the GPU perfectly: a bound), and of the Fashion grid
     (4 noise ratios × 3 seeds of the same, 28×28 grey images priced as CIFAR's).
Writes bench/results/gpu_<device>.csv (one row per measurement; the estimates as rows of kind 'estimate').

    python bench/gpu.py                       # on a GPU: about 5-8 minutes
    python bench/gpu.py --device cpu --quick  # the same code paths on a CPU, tiny sizes (a smoke test; numbers meaningless)
"""
import argparse, platform, re, tempfile, time, warnings
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd, torch
from mqnet.core import get_device
from mqnet.data import from_arrays
from mqnet.learner import TrainConfig, train_classifier
from mqnet.csi import CSIConfig, train_csi, csi_embeddings
from mqnet.loop import ActiveLearning
from mqnet.strategies import PAPER_METHODS

OUT = Path(__file__).parent/'results'
PAPER_ITERS, CIFAR_POOL, ROUNDS = 20_000, 50_000, 10

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def device_name(dev) -> str:
    return torch.cuda.get_device_name(dev) if dev.type == 'cuda' else (platform.processor() or platform.machine())

def timed(dev, fn) -> float:
    sync(dev); t0 = time.perf_counter(); fn(); sync(dev); return time.perf_counter() - t0

def classifier(dev, steps:int, n:int=20_000) -> list:
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8); y = torch.randint(0, 4, (n,))
    rows = []
    for prec in ('bf16', 'fp32'):
        cfg = TrainConfig.preset('cifar10', precision=prec, device=str(dev), iters=max(2, steps // 10))
        train_classifier(x, y, cfg=cfg)                                   # warm-up: cudnn autotune, the allocator
        t = timed(dev, lambda: train_classifier(x, y, cfg=replace(cfg, iters=steps)))
        rows.append(dict(kind='classifier', what=f'resnet18 bs64 {prec}', steps=steps, seconds=t, per_step_s=t / steps, images_per_s=steps * 64 / t))
    return rows

def csi(dev, steps:int, n:int=20_000) -> list:
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8)
    cfg = CSIConfig.preset('cifar10', device=str(dev), max_iters=max(2, steps // 10))
    train_csi(x, cfg)
    t = timed(dev, lambda: train_csi(x, replace(cfg, max_iters=steps)))
    return [dict(kind='csi', what=f'resnet18 cifar10 preset ({cfg.precision})', steps=steps, seconds=t, per_step_s=t / steps, images_per_s=steps * cfg.bs * 8 / t)]

def rounds(dev, pool:int, iters:int, csi_probe:int) -> list:
    g = np.random.default_rng(0)
    x = g.integers(0, 256, (pool + pool // 4, 3, 32, 32), dtype=np.uint8); y = np.arange(len(x)) % 10
    xt = g.integers(0, 256, (1000, 3, 32, 32), dtype=np.uint8); yt = np.arange(1000) % 10
    data = from_arrays(x, y, xt, yt, n_in=4, noise=0.4, seed=0, name='cifar-shaped')
    train = TrainConfig.preset('cifar10', iters=iters, device=str(dev))
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        csi_cfg = CSIConfig.preset('cifar10', device=str(dev), max_iters=csi_probe)
        csi_embeddings(data, csi_cfg, cache); csi_embeddings(data, replace(csi_cfg, shifts=1), cache)   # once, as a grid does
        for m in PAPER_METHODS:
            al = ActiveLearning(data, m, rounds=2, budget=max(10, pool // 100), train=train, csi=csi_cfg, csi_cache=cache, progress=False)
            h = al.run().iloc[-1]                                           # the second round: warm
            rows.append(dict(kind='round', what=m, steps=iters, pool=len(data.y), seconds=float(h[['t_train', 't_score', 't_select', 't_meta']].sum()),
                             t_train=h.t_train, t_score=h.t_score, t_select=h.t_select, t_meta=h.t_meta))
    return rows

def estimates(df, csi_steps:int, runs_per_gpu:int) -> list:
    step = df[(df.kind == 'classifier') & df.what.str.endswith('bf16')].per_step_s.iloc[0]
    csi_step = df[df.kind == 'csi'].per_step_s.iloc[0]
    r = df[df.kind == 'round']; scale = CIFAR_POOL / r.pool.iloc[0]
    per_round = (PAPER_ITERS * step + scale * (r.t_score + r.t_select + r.t_meta)).sum()   # the eight methods, one round each
    csi_h, runs_h = csi_steps * csi_step * 2 / 3600, ROUNDS * per_round / 3600            # CSI: the 4-shift and the 1-shift (SIMILAR) embeddings
    point = dict(kind='estimate', what='cifar10 grid point, 1 run at a time', hours=csi_h + runs_h, csi_hours=csi_h, runs_hours=runs_h)
    shared = dict(point, what=f'cifar10 grid point, {runs_per_gpu} runs at once (bound)', hours=csi_h + runs_h / runs_per_gpu)
    fashion = dict(point, what='fashion grid (4 noise ratios x 3 seeds), 1 run at a time', hours=12 * point['hours'])
    return [point, shared, fashion]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='auto'); ap.add_argument('--quick', action='store_true')
    ap.add_argument('--runs-per-gpu', type=int, default=4); ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(); warnings.filterwarnings('ignore')
    dev = get_device(a.device)
    size = dict(steps=3, csi=2, pool=200, iters=3, probe=2, n=256) if a.quick else dict(steps=300, csi=100, pool=10_000, iters=300, probe=200, n=20_000)
    rows = classifier(dev, size['steps'], size['n']) + csi(dev, size['csi'], size['n']) + rounds(dev, size['pool'], size['iters'], size['probe'])
    df = pd.DataFrame(rows)
    df = pd.concat([df, pd.DataFrame(estimates(df, CSIConfig.preset('cifar10').max_iters, a.runs_per_gpu))], ignore_index=True)
    df = df.assign(device=device_name(dev), torch=torch.__version__, quick=a.quick)
    name = re.sub(r'[^A-Za-z0-9]+', '_', device_name(dev)).strip('_').lower()
    out = Path(a.out)/f"gpu_{name}{'_quick' if a.quick else ''}.csv"; out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(df.drop(columns=['torch']).round(4).to_string()); print(f'wrote {out}')

if __name__ == '__main__': main()
