"""MQ-Net with diversity over the whole pure pool: candidates chosen on validation data of selection seeds, by a rule fixed here first.

The current variant, `mqnet-plus-conf-diff`, draws its query with BADGE's k-means++ inside Φ's top 2 × budget, and the query's IN
examples are more alike than random IN examples (mean pairwise cosine 0.78 against 0.67, `diagnose.py`). The candidates spread the
query over more of the pool, each one `MQNet` option changed from the current variant (`mqnet.strategies`):

  mqnet-plus-conf-diff-pool     select='weighted': BADGE's k-means++ over every unlabeled example, its D² weights multiplied by P
  mqnet-plus-conf-diff-cluster  select='cluster', shortlist=10: k-means of Φ's top 10 × budget in the classifier's features, the
                                example nearest each centre
  mqnet-plus-conf-diff-wide     shortlist=10: BADGE's k-means++ inside Φ's top 10 × budget instead of 2 ×

Each runs on the separating benchmark (Fashion-MNIST, mismatch 60% known fixed to TOPS, 100 labels a round, 1,200 steps) on the
selection seeds 0-4, through `diagnose.py`'s probe (which leaves the run as the grid runs it: the same validation accuracies), and
reads the pool's held-out part only: the test split is never read. The current variant runs through the probe too on the seeds
where `diagnose_separate.csv` lacks it, for its diversity measure on the same seeds.

    python bench/diversity.py [--seeds 0,1,2,3,4] [--jobs 2]    # resumable: a finished (method, seed) is kept
    python bench/diversity.py --choose                          # the rule, on what is recorded
    python bench/diversity.py --time [--repeats 5]              # selection seconds a round at the benchmark's pool size, against BADGE's

Writes results/diversity_val.csv (one row per method, seed and round), results/diversity_rule.csv (the rule's table) and
results/diversity_select_time.csv.
"""
import argparse, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
import numpy as np, pandas as pd, torch
from mqnet.core import atomic_write
from mqnet.tables import paired_interval

HERE = Path(__file__).parent
CURRENT = 'mqnet-plus-conf-diff'
CANDIDATES = ['mqnet-plus-conf-diff-pool', 'mqnet-plus-conf-diff-cluster', 'mqnet-plus-conf-diff-wide']
SEEDS = [0, 1, 2, 3, 4]
VAL = HERE/'results'/'diversity_val.csv'
RULE = ("Each method's validation accuracy (the pool's held-out part) is averaged over the 10 rounds (the area under its validation "
        "curve) on each selection seed, then over seeds 0-4. The candidate with the highest mean is chosen if its mean is above the current "
        "variant's (mqnet-plus-conf-diff); otherwise the current variant stays. A tie goes to the current variant.")

def choose(val:pd.DataFrame, seeds=SEEDS) -> tuple:
    "(chosen, table): the rule (`RULE`) applied to the validation rows `val`, and the table it read (one row per method)."
    v = val[val.seed.isin(seeds)]
    have = v.groupby('method').seed.nunique()
    missing = [m for m in [CURRENT, *CANDIDATES] if have.get(m, 0) < len(seeds)]
    if missing: raise SystemExit(f"the rule needs every candidate and {CURRENT} on seeds {seeds}; missing: {', '.join(missing)}")
    per_seed = v.groupby(['method', 'seed']).val_acc.mean().unstack('method') * 100            # mean over rounds, per seed
    last = v[v['round'] == v['round'].max()].pivot(index='seed', columns='method', values='val_acc') * 100
    rows = []
    for m in [CURRENT, *CANDIDATES]:
        d = v[v.method == m]
        r = dict(method=m, seeds=len(d.seed.unique()), val_mean_over_rounds=per_seed[m].mean(), val_final=last[m].mean(),
                 query_cos=d.query_cos.mean(), random_in_cos=d.random_in_cos.mean(), query_in=d.query_in.mean(),
                 select_s_per_round=d.t_select.mean() if 't_select' in d else np.nan)
        r['cos_excess'] = r['query_cos'] - r['random_in_cos']
        if m != CURRENT:
            pi = paired_interval(per_seed[m] - per_seed[CURRENT])
            r.update(vs_current_mean_over_rounds=pi['mean'], vs_current_lo=pi['lo'], vs_current_hi=pi['hi'])
            r['vs_current_final'] = (last[m] - last[CURRENT]).mean()
        rows.append(r)
    t = pd.DataFrame(rows)
    best = t[t.method.isin(CANDIDATES)].sort_values('val_mean_over_rounds', ascending=False, kind='stable').iloc[0]
    cur = t.set_index('method').loc[CURRENT, 'val_mean_over_rounds']
    return (best.method if best.val_mean_over_rounds > cur else CURRENT), t

def _job(job):
    from diagnose import run_one
    return run_one(job)

def _csi(seed):
    "The seed's CSI embeddings, trained once into the cache the runs read (so two runs of a seed never both train it)."
    from diagnose import HERE as D, TOPS
    from mqnet.experiments import _make_data, default_holdout
    from mqnet.csi import csi_embeddings, default_csi
    torch.set_num_threads(1)
    data = _make_data('fashion', 0.6, seed, None, None, default_holdout('fashion'), 'mismatch', TOPS)
    t0 = time.perf_counter(); csi_embeddings(data, default_csi(data), D/'runs_separate'/'.csi')
    print(f'CSI seed {seed}: {time.perf_counter() - t0:.0f}s', flush=True)

def run(seeds, jobs):
    "Every candidate on every seed (seed by seed, so that a cut-short run leaves whole seeds), then the current variant where it lacks one."
    have = pd.read_csv(VAL) if VAL.exists() else pd.DataFrame(columns=['method', 'seed'])
    diag = pd.read_csv(HERE/'results'/'diagnose_separate.csv')
    done = set(zip(have.method, have.seed))
    if not (have.method == CURRENT).any():                  # the current variant's probed seeds, from the diagnosis
        cur = diag[(diag.method == CURRENT) & diag.seed.isin(seeds)]
        if len(cur): have = pd.concat([have, cur], ignore_index=True); done |= set(zip(cur.method, cur.seed))
    todo = [(m, s, 10, 1200) for s in seeds for m in CANDIDATES if (m, s) not in done]
    todo += [(CURRENT, s, 10, 1200) for s in seeds if (CURRENT, s) not in done]
    print(f'{len(todo)} runs to go: ' + ', '.join(f'{m} seed {s}' for m, s, *_ in todo), flush=True)
    with ProcessPoolExecutor(jobs) as ex:
        list(ex.map(_csi, sorted({s for _, s, *_ in todo})))
        for f in as_completed([ex.submit(_job, j) for j in todo]):
            have = pd.concat([have, f.result()], ignore_index=True)
            atomic_write(VAL, have.sort_values(['method', 'seed', 'round']).to_csv(index=False))   # after every run: nothing lost on a crash

def select_time(repeats:int=5, seed:int=0) -> pd.DataFrame:
    "Seconds of one round's selection (the strategy's `order`, its scores given) at the separating benchmark's pool size, the current variant, each candidate and BADGE."
    from experiments import TOPS
    from mqnet.experiments import _make_data, default_holdout
    from mqnet.data import Pool
    from mqnet.learner import Outputs
    from mqnet.strategies import RoundState, get_strategy
    torch.set_num_threads(1)
    data = _make_data('fashion', 0.6, seed, None, None, default_holdout('fashion'), 'mismatch', TOPS)
    pool = Pool(data); pool.initial(int(0.01 * (data.y >= 0).sum()), seed=seed, known_only=True)
    g = torch.Generator().manual_seed(seed); n = len(data.y)
    out = Outputs(logits=torch.randn(n, data.k, generator=g) * 3, features=torch.randn(n, 128, generator=g).relu(), pred_loss=None)
    st = RoundState(data, pool, out, round=1, budget=100, seed=seed)
    nu = len(st.unlabeled); sc = {'P': torch.rand(nu, generator=g), 'phi': torch.rand(nu, generator=g)}
    rows = []
    for m in ['badge', CURRENT, *CANDIDATES]:
        s = get_strategy(m)
        for r in range(repeats):
            t0 = time.perf_counter(); s.order(st, sc); rows.append(dict(method=m, repeat=r, pool=nu, budget=100, seconds=time.perf_counter() - t0))
    return pd.DataFrame(rows)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seeds', default=','.join(map(str, SEEDS))); p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--choose', action='store_true', help='apply the rule to what is recorded'); p.add_argument('--time', action='store_true')
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args(); seeds = [int(s) for s in a.seeds.split(',')]
    if a.time:
        df = select_time(a.repeats); atomic_write(HERE/'results'/'diversity_select_time.csv', df.to_csv(index=False))
        print(df.groupby('method').seconds.median().round(3).to_string()); raise SystemExit
    if not a.choose: run(seeds, a.jobs)
    chosen, t = choose(pd.read_csv(VAL))
    atomic_write(HERE/'results'/'diversity_rule.csv', t.assign(chosen=t.method == chosen).to_csv(index=False))
    print(t.round(3).to_string(index=False)); print(RULE); print('chosen:', chosen)
