"""Benchmark of the target classifier (mqnet.learner).

CPU: seconds to train the digits preset and the test accuracy reached with 40, 100 and all labeled IN
examples (3 seeds; medians printed). CUDA (when available): ResNet-18 training images/s on
CIFAR-shaped uint8 data at batch 64 and 512, bf16 vs fp32, and the seconds of the paper's
20,000-iteration round extrapolated from the measured rate.

    python bench/learner.py [--quick]      # writes bench/results/learner_cpu.csv (and learner_cuda.csv)
"""
import argparse, platform, time, warnings
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd, torch
from mqnet.data import split_dataset
from mqnet.learner import TrainConfig, train_classifier, accuracy

OUT = Path(__file__).parent/'results'
warnings.filterwarnings('ignore')

def device_info():
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or platform.machine()
    return dict(device=dev, torch=torch.__version__, threads=torch.get_num_threads())

def cpu(seeds):
    rows = []
    for seed in seeds:
        d = split_dataset('digits', noise=0.4, seed=seed); xi, yi = d.x[d.is_in], d.y[d.is_in]
        for n in (40, 100, len(yi)):
            cfg = TrainConfig.preset('digits', seed=seed, device='cpu')
            t0 = time.perf_counter(); learn = train_classifier(xi[:n], yi[:n], cfg=cfg); t = time.perf_counter() - t0
            rows.append(dict(seed=seed, n_labeled='all' if n == len(yi) else n, n=n, train_s=t,
                             test_acc=accuracy(learn, d.x_test, d.y_test), iters=cfg.iters, **device_info()))
    df = pd.DataFrame(rows); df.to_csv(OUT/'learner_cpu.csv', index=False)
    print(df.groupby('n_labeled', sort=False)[['train_s', 'test_acc']].median().round(4).to_string())

def cuda(iters):
    rows = []
    x = torch.randint(0, 256, (20_000, 3, 32, 32), dtype=torch.uint8); y = torch.randint(0, 4, (20_000,))
    for bs in (64, 512):
        for prec in ('bf16', 'fp32'):
            cfg = TrainConfig.preset('cifar10', bs=bs, precision=prec, iters=20)
            train_classifier(x, y, cfg=cfg)                       # warm-up (cudnn autotune, allocator)
            cfg = replace(cfg, iters=iters); torch.cuda.synchronize()
            t0 = time.perf_counter(); train_classifier(x, y, cfg=cfg); torch.cuda.synchronize(); t = time.perf_counter() - t0
            ips = iters * bs / t
            rows.append(dict(arch='resnet18', bs=bs, precision=prec, iters=iters, seconds=t, images_per_s=ips,
                             paper_round_s=20_000 * bs / ips, **device_info()))
    df = pd.DataFrame(rows); df.to_csv(OUT/'learner_cuda.csv', index=False); print(df.round(1).to_string())

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--quick', action='store_true'); a = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cpu([0] if a.quick else [0, 1, 2])
    if torch.cuda.is_available(): cuda(50 if a.quick else 300)
    else: print('no CUDA device: GPU throughput not measured')
