"""Where MQ-Net's labels lose value: one measured test per hypothesis, on data held out of the pool (never the test split).

A probe runs a strategy of the MQ-Net family on the separating benchmark (Fashion-MNIST, mismatch 60% known fixed to TOPS,
100 labels a round, 1,200 steps), exactly as the grid runs it, and at every round measures on the pool's held-out part
(500 labeled examples the run never queries):

  target     the self-validation target: does the masked loss of the classifier that chose a query rank the same examples as
             the next round's classifier (retrained from scratch on more labels)? Spearman ρ over the held-out IN examples.
             And does Φ trained on the answered query (self-validation) rank held-out examples by masked loss as well as Φ trained
             on as many random held-out examples? ρ on the other half of the held-out part.
  stability  Φ trained twice on the same self-validation set with two meta-net seeds, and Φ of the last round against this
             round's: ρ over the unlabeled pool and the overlap of their top-100 (the query they would make).
  info       informativeness: ρ of I (and of the alternatives CONF, margin, entropy and BADGE's gradient norm) with the true
             cross-entropy over the held-out IN examples.
  purity     P's AUROC of IN against OOD over the unlabeled pool and the held-out part.
  diversity  the query's IN examples: the normalised entropy of their classes, and their mean pairwise cosine similarity in
             the classifier's features against as many pool IN examples drawn at random.

And, after the recorded runs (`--purity`): a classifier retrained on each run's final labeled set, and the AUROC on the held-out
part of every purity that reads the CSI embeddings or its features, with the labels that run paid for (MQ-Net's, BADGE's, RANDOM's).

    python bench/diagnose.py [--methods mqnet] [--seeds 0,1] [--jobs 2]   # writes results/diagnose_separate.csv
    python bench/diagnose.py --purity [--seeds 0,1]                      # writes results/diagnose_purity.csv
"""
import argparse, math, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from dataclasses import replace
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from scipy.stats import spearmanr
from mqnet.core import atomic_write, rng
from mqnet.experiments import _make_data, default_holdout
from mqnet.learner import default_train, train_classifier, infer
from mqnet.loop import ActiveLearning
from mqnet.metanet import masked_ce, meta_score, train_metanet
from mqnet.scorers import ood_auroc, csi_purity, csi_ood_purity, csi_diff_purity, conf, margin, entropy, msp, energy
from mqnet.csi import csi_embeddings, default_csi
from mqnet.strategies import get_strategy
from experiments import TOPS   # the separating benchmark's known classes (bench/experiments.py)

HERE = Path(__file__).parent

def rho(a, b) -> float:
    a, b = np.asarray(torch.as_tensor(a).float().cpu()), np.asarray(torch.as_tensor(b).float().cpu())
    return float(spearmanr(a, b).statistic) if len(a) > 2 and np.ptp(a) > 0 and np.ptp(b) > 0 else float('nan')

def top_overlap(a, b, k) -> float:
    return len(set(torch.topk(a, k).indices.tolist()) & set(torch.topk(b, k).indices.tolist())) / k

def badge_norm(logits, features):
    "BADGE's gradient-embedding norm: ‖p − e_ŷ‖·‖f‖."
    p = logits.float().softmax(1)
    return (p - F.one_hot(p.argmax(1), p.shape[1])).norm(dim=1) * features.float().norm(dim=1)

def alternatives(logits, features) -> dict:
    return {'conf': conf(logits), 'margin': margin(logits), 'entropy': entropy(logits), 'badge': badge_norm(logits, features)}

def class_entropy(labels, k) -> float:
    c = np.bincount(labels, minlength=k).astype(float); p = c[c > 0] / c.sum()
    return float(-(p * np.log(p)).sum() / math.log(k)) if c.sum() else float('nan')

def mean_cos(f) -> float:
    f = F.normalize(f.float(), dim=1); s = f @ f.T; n = len(f)
    return float((s.sum() - n) / (n * (n - 1))) if n > 1 else float('nan')

def probe(method:str):
    "A `method` of the MQ-Net family that also scores the held-out part and measures each hypothesis as it goes."
    base = type(get_strategy(method))
    class Probe(base):
        def _context(self, state):                       # the held-out rows after the pool's (their z uses the pool's statistics)
            v = self.validation; self.validation = 'random'
            try: return base._context(self, state)
            finally: self.validation = v
        def scores(self, state):
            out = base.scores(self, state)
            n, d = len(state.data.y), state.data
            z, lg = state.for_update['z'], state.for_update['logits']
            zv, lv, yv = z[n:].cpu(), lg[n:].cpu(), d.y_val
            is_in = torch.as_tensor(yv >= 0); ce = F.cross_entropy(lv.float(), torch.as_tensor(np.where(yv >= 0, yv, 0)), reduction='none')
            tv = masked_ce(ce, is_in)
            rec = dict(round=state.round + 1, ce_in=ce[is_in].clone())   # the record's round: the query of round r is scored by the classifier of round r
            rec['purity_auroc_pool'] = ood_auroc(out['P'], state.data.y[state.unlabeled] >= 0) if 'P' in out else float('nan')
            rec['purity_auroc_val'] = ood_auroc(zv[:, 0], is_in)
            rec['rho_I_val'] = rho(zv[is_in, 1], ce[is_in])
            for k_, s in alternatives(lv, state.out_val.features.cpu()).items(): rec[f'rho_{k_}_val'] = rho(s[is_in], ce[is_in])
            g = rng(state.seed, state.round, 77).permutation(len(yv)); A, B = g[: len(g) // 2], g[len(g) // 2:]
            phi_v = meta_score(self.net, zv) if self.net is not None else zv.sum(1)
            rec['rho_phi_val'] = rho(phi_v[B], tv[B])                      # Φ of the last round's self-validation set, on half B
            rec['rho_sum_val'] = rho(zv[B].sum(1), tv[B])                  # P + I, no meta-net
            m = state.max_queries; a = A[: min(m, len(A))]
            if (tv[a] > 0).any():                                          # Φ trained on as many random held-out examples (half A)
                net_r = train_metanet(zv[a], tv[a], replace(self.meta, seed=self.meta.seed + 1000 * state.seed + state.round))
                rec['rho_phi_randval'] = rho(meta_score(net_r, zv[B]), tv[B])
            self._probe = rec
            return out
        def update(self, state, queried):
            prev = self.net; rec = self._probe
            u = torch.as_tensor(state.unlabeled)
            zu = state.for_update['z'][u].cpu() if 'z' in state.for_update else None
            base.update(self, state, queried)
            labels = state.pool.labels[np.asarray(queried)]; in_q = np.asarray(queried)[labels >= 0]
            rec['query_in'] = float((labels >= 0).mean()); rec['query_class_entropy'] = class_entropy(labels[labels >= 0], state.data.k)
            f = state.out.features.cpu()
            un = np.asarray(state.unlabeled); cand = np.setdiff1d(un[state.data.y[un] >= 0], in_q)   # pool IN not yet labeled
            rnd = rng(state.seed, state.round, 78).choice(cand, min(len(in_q), len(cand)), replace=False)
            rec['query_cos'] = mean_cos(f[torch.as_tensor(in_q)]) if len(in_q) > 1 else float('nan')
            rec['random_in_cos'] = mean_cos(f[torch.as_tensor(rnd)]) if len(rnd) > 1 else float('nan')
            last = self.rounds[-1] if self.rounds else None
            if last is not None and last['round'] == state.round and 'net' in last and zu is not None:
                k = min(state.max_queries, len(zu))
                phi = meta_score(self.net, zu)
                twin = train_metanet(last['z'], last['target'], replace(self.meta, seed=self.meta.seed + 1000 * state.seed + state.round + 500))
                phi2 = meta_score(twin, zu)
                rec['rho_twin'] = rho(phi, phi2); rec['top_twin'] = top_overlap(phi, phi2, k)
                if prev is not None:
                    phi0 = meta_score(prev, zu); rec['rho_prev'] = rho(phi, phi0); rec['top_prev'] = top_overlap(phi, phi0, k)
                rec['rho_I_query'] = rho(last['z'][last['is_in'], 1], last['target'][last['is_in']])
            self.log.append(rec)
    return Probe

def run_one(job):
    method, seed, rounds, iters = job
    torch.set_num_threads(1)
    data = _make_data('fashion', 0.6, seed, None, None, default_holdout('fashion'), 'mismatch', TOPS)
    strat = get_strategy(method); strat.__class__ = probe(method); strat.log = []
    al = ActiveLearning(data, strat, rounds=rounds, budget=100, seed=seed, out=None, train=replace(default_train(data), iters=iters),
                        csi_cache=HERE/'runs_separate'/'.csi', progress=False)
    t0 = time.perf_counter(); h = al.run()
    rows = [dict(method=method, seed=seed, **{k: v for k, v in r.items() if k != 'ce_in'}) for r in strat.log]
    for i in range(len(strat.log) - 1):        # the same held-out IN examples under this round's classifier and the next one's
        rows[i]['rho_target_next'] = rho(strat.log[i]['ce_in'], strat.log[i + 1]['ce_in'])
    df = pd.DataFrame(rows).merge(h[['round', 'val_acc', 'n_labeled_in', 't_select']], on='round')   # the held-out part only: the diagnosis never reads the test split
    print(f'{method} seed {seed}: {time.perf_counter() - t0:.0f}s', flush=True)
    return df

def purity_after(seed:int, methods=('mqnet', 'badge', 'random')) -> list:
    "Purity AUROCs on the held-out part with each recorded run's final labeled set (CSI scores, and the retrained classifier's)."
    data = _make_data('fashion', 0.6, seed, None, None, default_holdout('fashion'), 'mismatch', TOPS)
    z = csi_embeddings(data, default_csi(data), HERE/'runs_separate'/'.csi'); n = len(data.y); zp, zv = z[:n], z[n:]
    vin = torch.as_tensor(data.y_val >= 0); rows = []
    for m in methods:
        sd = torch.load(HERE/'runs_separate'/'b100-i1200-tops'/'fashion'/'mismatch0.6'/m/f'seed{seed}'/'state.pt', weights_only=False)
        lab = np.asarray(sd['pool']['labels']); li, lo = np.flatnonzero(lab >= 0), np.flatnonzero(lab == -1)
        learn = train_classifier(data.x[li], lab[li], cfg=replace(default_train(data), iters=1200), n_classes=data.k)
        ov, ol = infer(learn, data.x_val), infer(learn, data.x[np.concatenate([li, lo])])
        fv, fl = F.normalize(ov.features.float(), dim=1), F.normalize(ol.features.float(), dim=1)
        sc = {'csi': csi_purity(zv, zp[li]), 'csi_ood': csi_ood_purity(zv, zp[lo]), 'csi_diff': csi_diff_purity(zv, zp[li], zp[lo]),
              'features_diff': csi_diff_purity(fv, fl[:len(li)], fl[len(li):]), 'msp': msp(ov.logits), 'energy': energy(ov.logits)}
        rows += [dict(seed=seed, labels_of=m, labeled_in=len(li), labeled_ood=len(lo), purity=k, auroc=ood_auroc(v, vin)) for k, v in sc.items()]
    return rows

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--methods', default='mqnet'); p.add_argument('--seeds', default='0,1'); p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--rounds', type=int, default=10); p.add_argument('--iters', type=int, default=1200)
    p.add_argument('--purity', action='store_true', help='purity AUROCs after the recorded runs instead of probing runs')
    p.add_argument('--out', default=None)
    a = p.parse_args()
    if a.purity:
        torch.set_num_threads(a.jobs)
        df = pd.DataFrame([r for s in a.seeds.split(',') for r in purity_after(int(s))])
        atomic_write(Path(a.out or HERE/'results'/'diagnose_purity.csv'), df.to_csv(index=False))
        print(df.pivot_table(index='purity', columns='labels_of', values='auroc').round(3).to_string()); raise SystemExit
    a.out = a.out or str(HERE/'results'/'diagnose_separate.csv')
    jobs = [(m, int(s), a.rounds, a.iters) for m in a.methods.split(',') for s in a.seeds.split(',')]
    with ProcessPoolExecutor(a.jobs) as ex: dfs = list(ex.map(run_one, jobs))
    df = pd.concat(dfs, ignore_index=True)
    old = Path(a.out)
    if old.exists():
        prev = pd.read_csv(old); keep = ~prev.set_index(['method', 'seed']).index.isin(df.set_index(['method', 'seed']).index.unique())
        df = pd.concat([prev[keep], df], ignore_index=True)
    atomic_write(old, df.to_csv(index=False))
    cols = [c for c in df.columns if c.startswith(('rho', 'top', 'purity', 'query', 'random'))]
    print(df.groupby('method')[cols].mean().T.round(3).to_string())
