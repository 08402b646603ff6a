"""Benchmark of the scorers (mqnet.scorers, mqnet.csi).

1. AUROC of each purity score on digits 4:6 at 40% noise (3 seeds), with the classifier trained on the
   initial set (40 labels) and on 3x the initial set (120 labels): bench/results/scorers_auroc.csv
2. CSI training seconds on the CPU for digits: bench/results/csi_cpu.csv
3. Scoring seconds as the pool grows (1k .. 1M feature rows, 128-d, 500 labeled): bench/results/scorers_scale.csv

    python bench/scorers.py [--quick]
"""
import argparse, platform, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
from mqnet.data import split_dataset, Pool
from mqnet.learner import TrainConfig, train_classifier, infer
from mqnet.scorers import ScoreContext, score, ood_auroc, conf, energy, knn, mahalanobis, coreset, csi_purity
from mqnet.csi import CSIConfig, csi_embeddings

OUT = Path(__file__).parent/'results'
warnings.filterwarnings('ignore')
T = torch.as_tensor
PURITY = ('msp', 'energy', 'react', 'mahalanobis', 'knn', 'csi', 'csi_ood')
info = lambda: dict(device=torch.cuda.get_device_name() if torch.cuda.is_available() else (platform.processor() or platform.machine()), torch=torch.__version__)

def aurocs(seeds, initial=40):
    rows, csi_rows = [], []
    for seed in seeds:
        d = split_dataset('digits', noise=0.4, seed=seed)
        t0 = time.perf_counter(); z = csi_embeddings(d, CSIConfig.preset('digits', seed=seed), cache=False)
        csi_rows.append(dict(seed=seed, pool=len(d.y), csi_train_s=time.perf_counter() - t0, **info()))
        for mult in (1, 3):
            pool = Pool(d); pool.initial(initial * mult, seed=seed)
            li = pool.labeled_in_idx
            learn = train_classifier(d.x[li], pool.labels[li], cfg=TrainConfig.preset('digits', seed=seed), n_classes=d.k)
            out = infer(learn, d.x)
            ctx = ScoreContext(out.logits, out.features, out.pred_loss, T(pool.unlabeled_idx), T(li), T(pool.labels[li]),
                               T(pool.labeled_ood_idx), learn.model.head, csi=z)
            for name in PURITY:
                rows.append(dict(seed=seed, labeled=initial * mult, n_labeled_in=len(li), score=name,
                                 auroc=ood_auroc(score(name, ctx), d.is_in[pool.unlabeled_idx])))
    df = pd.DataFrame(rows); df.to_csv(OUT/'scorers_auroc.csv', index=False)
    pd.DataFrame(csi_rows).to_csv(OUT/'csi_cpu.csv', index=False)
    tab = df.groupby(['score', 'labeled']).auroc.agg(['mean', 'std']).unstack('labeled').round(3)
    print(tab.loc[list(PURITY)].to_string()); print(pd.DataFrame(csi_rows)[['seed', 'pool', 'csi_train_s']].to_string())

def scale(sizes, d=128, n_ref=500, k=4):
    rows = []; g = torch.Generator().manual_seed(0)
    ref = torch.randn(n_ref, d, generator=g).relu(); ref_y = torch.arange(n_ref) % k
    zref = torch.nn.functional.normalize(torch.randn(n_ref, d, generator=g), dim=1)
    for n in sizes:
        f = torch.randn(n, d, generator=g).relu(); lg = torch.randn(n, k, generator=g)
        z = torch.nn.functional.normalize(torch.randn(n, d, generator=g), dim=1)
        for name, fn in dict(conf=lambda: conf(lg), energy=lambda: energy(lg), knn=lambda: knn(f, ref),
                             mahalanobis=lambda: mahalanobis(f, ref, ref_y), coreset=lambda: coreset(f, ref),
                             csi=lambda: csi_purity(z, zref)).items():
            ts = []
            for _ in range(3): t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
            rows.append(dict(score=name, pool=n, dim=d, n_ref=n_ref, seconds=float(np.median(ts)), **info()))
    df = pd.DataFrame(rows); df.to_csv(OUT/'scorers_scale.csv', index=False)
    tab = df.pivot(index='score', columns='pool', values='seconds')
    print(tab.round(4).to_string()); print('seconds per 1k rows at the largest pool:', (tab[tab.columns[-1]] / (tab.columns[-1] / 1000)).round(5).to_dict())

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--quick', action='store_true'); a = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    aurocs([0] if a.quick else [0, 1, 2])
    scale([1_000, 10_000] if a.quick else [1_000, 10_000, 100_000, 1_000_000])
