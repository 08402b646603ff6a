"""Fidelity choices made on validation data (a part of the training data held out of the pool), never on the test split.

python bench/fidelity.py preset        # Fashion CPU preset: augmentation and steps, 500 and 5,000 labels
python bench/fidelity.py ll            # the learning-loss head: accuracy with and without it at 20 / 56 / 500 labels
python bench/fidelity.py csi           # Fashion CSI preset: purity AUROC and time
python bench/fidelity.py csi-digits --seeds 0,1,2,3,4   # digits CSI preset (40 epochs) against 20 and 10: purity AUROC and time
python bench/fidelity.py loop          # MQ-Net variants (purity, meta-net training) over whole AL runs
python bench/fidelity.py loop --settings fashion:split:0.4 --variants plus:mqnet,plus:conf+rank+classwise,conf,badge --seeds 0,1
                                       # mqnet-plus candidates (plus:<entries of PLUS_CANDIDATES joined by +>) against baselines
Each writes bench/results/fidelity_<name>.csv (appending, one row per run, finished rows kept).
"""
import sys, time, argparse, itertools, warnings
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd, torch
warnings.filterwarnings('ignore')
torch.set_num_threads(1)
from scipy.stats import kendalltau
from mqnet.data import split_dataset, cross_dataset, Pool, SimulatedOracle
from mqnet.learner import TrainConfig, train_classifier, infer
from mqnet.learner import default_train
from mqnet.csi import default_csi
from mqnet.loop import ActiveLearning
from mqnet.csi import csi_embeddings, CSIConfig
from mqnet.scorers import csi_purity
from mqnet.scorers import ood_auroc

OUT = Path(__file__).parent/'results'
HOLDOUT = {'digits': 150, 'fashion': 2000, 'mnist1d': 600}

def data(name, noise, seed, setup='split'):
    if setup == 'cross': return cross_dataset(name, 'patches', noise=noise, seed=seed, holdout=HOLDOUT[name])
    return split_dataset(name, noise=noise, seed=seed, holdout=HOLDOUT[name])

def val_acc(learn, d):
    m = d.y_val >= 0
    return float((infer(learn, d.x_val[m]).logits.argmax(1).cpu().numpy() == d.y_val[m]).mean())

def append(name, row):
    p = OUT/f'fidelity_{name}.csv'
    df = pd.DataFrame([row]); df.to_csv(p, mode='a', header=not p.exists(), index=False)
    print(' '.join(f'{k}={v:.4f}' if isinstance(v, float) else f'{k}={v}' for k, v in row.items()), flush=True)

def done(name):
    p = OUT/f'fidelity_{name}.csv'
    return pd.read_csv(p) if p.exists() else pd.DataFrame()

def labeled_set(d, n, seed):
    pool = Pool(d); pool.initial(n, seed); li = pool.labeled_in_idx
    return d.x[li], pool.labels[li]

def preset(seeds):
    d = data('fashion', 0.4, 0)
    for n, aug, iters, seed in itertools.product([500, 5000], ['shift', 'flipcrop'], [600, 1000, 1600], seeds):
        x, y = labeled_set(d, n, seed)
        t0 = time.perf_counter()
        learn = train_classifier(x, y, cfg=TrainConfig(iters=iters, bs=64, lr=0.05, aug=aug, ll=False, seed=seed), n_classes=d.k)
        append('preset', dict(labels=n, aug=aug, iters=iters, seed=seed, arch=learn.arch, secs=time.perf_counter() - t0, val_acc=val_acc(learn, d)))

LL = {'none': dict(ll=False), 'joint': dict(ll=True), 'cut': dict(ll=True, ll_detach=0.0), 'weight0.1': dict(ll=True, ll_weight=0.1)}

def ll(seeds):
    have = done('ll')
    for (name, n), variant, seed in itertools.product([('digits', 20), ('digits', 56), ('fashion', 500)], LL, seeds):
        if name == 'fashion' and seed > 2: continue
        if len(have) and ((have.dataset == name) & (have.labels == n) & (have.variant == variant) & (have.seed == seed)).any(): continue
        d = data(name, 0.4, seed)
        x, y = labeled_set(d, n, seed)
        learn = train_classifier(x, y, cfg=replace(default_train(d), seed=seed, **LL[variant]), n_classes=d.k)
        row = dict(dataset=name, labels=n, n_in=len(y), variant=variant, seed=seed, val_acc=val_acc(learn, d), ll_tau=np.nan)
        if LL[variant]['ll']:       # does the head still rank losses? Kendall tau of predicted vs true loss on held-out IN
            m = d.y_val >= 0; o = infer(learn, d.x_val[m])
            ce = torch.nn.functional.cross_entropy(o.logits, torch.as_tensor(d.y_val[m]), reduction='none')
            row['ll_tau'] = float(kendalltau(o.pred_loss.numpy(), ce.numpy()).statistic)
        append('ll', row)

def csi(seeds, iters=(1000, 3000)):
    for seed, it in itertools.product(seeds, iters):
        d = data('fashion', 0.4, seed)
        cfg = CSIConfig.preset('fashion', max_iters=it, seed=seed)
        t0 = time.perf_counter(); z = csi_embeddings(d, cfg, cache=False); secs = time.perf_counter() - t0
        pool = Pool(d); pool.initial(500, seed); u = pool.unlabeled_idx
        p = csi_purity(z[torch.as_tensor(u)], z[torch.as_tensor(pool.labeled_in_idx)])
        append('csi', dict(dataset='fashion', noise=0.4, seed=seed, max_iters=it, secs=secs, auroc=ood_auroc(p, d.is_in[u])))

def csi_digits(seeds, epochs=(10, 20, 40)):
    "Purity AUROC of the pool after the initial 20 labels (digits 4:6 at 40%, the default mqnet_run's setting) with CSI trained for `epochs`."
    for seed, ep in itertools.product(seeds, epochs):
        d = data('digits', 0.4, seed)
        cfg = replace(default_csi(d), epochs=ep, seed=seed)
        t0 = time.perf_counter(); z = csi_embeddings(d, cfg, cache=False); secs = time.perf_counter() - t0
        pool = Pool(d); pool.initial(20, seed); u = pool.unlabeled_idx
        p = csi_purity(z[torch.as_tensor(u)], z[torch.as_tensor(pool.labeled_in_idx)])
        append('csi_digits', dict(dataset='digits', noise=0.4, seed=seed, epochs=ep, secs=secs, auroc=ood_auroc(p, d.is_in[u])))

from mqnet.strategies import MQNet, get_strategy
from mqnet.metanet import MetaConfig

FAITHFUL = dict(info='ll', purity='csi', ll_grad='joint', meta=MetaConfig())   # the paper's MQ-Net (Algorithm 1, Appendix C)
VARIANTS = {   # name: what differs from FAITHFUL
    'mqnet': dict(),
    'purity=csi_ood': dict(purity='csi_ood'),
    'll=cut': dict(ll_grad='cut'),
    'meta=fresh': dict(meta=MetaConfig(fresh=True)),
    'meta=softplus': dict(meta=MetaConfig(nonneg='softplus')),
    'meta=official': dict(meta=MetaConfig.preset('official')),
}

def options(variant, table=VARIANTS, base=FAITHFUL):
    "The MQNet options of a variant of `base`; 'a+b' combines several entries of `table`."
    kw = dict(base)
    for part in variant.split('+'): kw.update(table[part])
    return kw

PLUS_CANDIDATES = {   # mqnet-plus candidates: what differs from today's mqnet (LL with its gradient cut, csi_ood, the official meta-training)
    'mqnet': dict(),
    'conf': dict(info='conf'),
    'rank': dict(inputs='rank'),
    'classwise': dict(select='classwise'),
    'diverse': dict(select='diverse'),
    'diverse4': dict(select='diverse', shortlist=4.0),
}

CSI_CACHE = Path(__file__).parent/'runs_fashion'/'.csi'

def run_variant(d, variant, seed, rounds=10):
    kw = dict(rounds=rounds, seed=seed, progress=False, csi_cache=CSI_CACHE)
    if variant in ('random', 'conf', 'badge', 'coreset', 'll'): return ActiveLearning(d, variant, **kw).run()
    if variant.startswith('plus:'): return ActiveLearning(d, MQNet(name=variant, **options(variant.removeprefix('plus:'), PLUS_CANDIDATES, {})), **kw).run()
    return ActiveLearning(d, MQNet(name=variant, **options(variant)), **kw).run()

def loop(seeds, settings=(('digits', 'split', 0.4), ('digits', 'split', 0.6), ('digits', 'cross', 0.4)), variants=None):
    have = done('loop')
    for (name, setup, noise), variant, seed in itertools.product(settings, variants or [*VARIANTS, 'random', 'conf'], seeds):
        if len(have) and ((have.dataset == name) & (have.setup == setup) & (have.noise == noise) & (have.variant == variant) & (have.seed == seed)).any(): continue
        d = data(name, noise, seed, setup)
        t0 = time.perf_counter(); h = run_variant(d, variant, seed); last = h.iloc[-1]
        append('loop', dict(dataset=name, setup=setup, noise=noise, variant=variant, seed=seed, secs=time.perf_counter() - t0,
                            val_acc=last.val_acc, val_acc_mean=h.val_acc.mean(), query_in=h.query_in_ratio.mean(),
                            classes_first=int(h.classes_labeled.iloc[1]) if len(h) > 1 else np.nan, classes_last=int(last.classes_labeled),
                            min_share_last=last.min_class_share, meta_live_last=last.meta_live))

def summary(name='loop'):
    "Mean ± std over seeds of every fidelity table (validation accuracy in %)."
    d = done(name); keys = {'loop': ['dataset', 'setup', 'noise', 'variant'], 'll': ['dataset', 'labels', 'variant']}[name]
    cols = [c for c in ['val_acc', 'val_acc_mean', 'query_in', 'classes_first', 'min_share_last', 'meta_live_last', 'll_tau'] if c in d]
    g = d.groupby(keys, sort=False)[cols].agg(['mean', 'std'])
    out = pd.DataFrame({c: [f"{(100 if c in ('val_acc', 'val_acc_mean', 'query_in', 'min_share_last') else 1) * m:.1f} ± {(100 if c in ('val_acc', 'val_acc_mean', 'query_in', 'min_share_last') else 1) * s:.1f}"
                            for m, s in zip(g[(c, 'mean')], g[(c, 'std')])] for c in cols}, index=g.index)
    return out.assign(n=d.groupby(keys, sort=False).size())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('what'); ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--variants', default=None); ap.add_argument('--settings', default=None, help='e.g. fashion:split:0.4,digits:cross:0.4')
    a = ap.parse_args(); seeds = [int(s) for s in a.seeds.split(',')]
    OUT.mkdir(exist_ok=True)
    if a.what == 'summary':
        for n in ('ll', 'loop'): print(summary(n).to_string(), '\n')
    elif a.what == 'loop':
        st = [(n, s, float(t)) for n, s, t in (x.split(':') for x in a.settings.split(','))] if a.settings else None
        loop(seeds, **({'settings': st} if st else {}), variants=a.variants.split(',') if a.variants else None)
    else: {'preset': preset, 'll': ll, 'csi': csi, 'csi-digits': csi_digits}[a.what](seeds)
