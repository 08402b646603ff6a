"""The eight methods of Table 1 on digits 4:6 at 40% noise (3 seeds) with the default budget and presets.

Writes bench/results/strategies_digits.csv (one row per run and round) and prints the final accuracy
(mean ± std), the query IN ratio per round and the seconds per phase.

    python bench/strategies.py [--quick] [--methods random,conf,...] [--seeds 0,1,2]
"""
import argparse, time, warnings
from pathlib import Path
import pandas as pd
from mqnet.data import split_dataset
from mqnet.loop import ActiveLearning
from mqnet.strategies import PAPER_METHODS

OUT = Path(__file__).parent/'results'
warnings.filterwarnings('ignore')

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--quick', action='store_true')
    p.add_argument('--methods', default=','.join(PAPER_METHODS)); p.add_argument('--seeds', default='0,1,2')
    p.add_argument('--noise', type=float, default=0.4); p.add_argument('--out', default=str(OUT/'strategies_digits.csv'))
    a = p.parse_args(); OUT.mkdir(parents=True, exist_ok=True)
    seeds = [0] if a.quick else [int(s) for s in a.seeds.split(',')]
    rows = []
    for seed in seeds:
        d = split_dataset('digits', noise=a.noise, seed=seed)
        for m in a.methods.split(','):
            t0 = time.perf_counter()
            h = ActiveLearning(d, m, rounds=3 if a.quick else 10, seed=seed, progress=False).run(); h['wall_s'] = time.perf_counter() - t0
            rows.append(h); print(f"seed {seed} {m:8s} final acc {h.test_acc.iloc[-1]:.4f}  ({h.wall_s.iloc[0]:.0f}s)", flush=True)
            pd.concat(rows).to_csv(a.out, index=False)
    df = pd.concat(rows); last = df[df['round'] == df['round'].max()]
    print(last.groupby('method').test_acc.agg(['mean', 'std']).sort_values('mean', ascending=False).round(4).to_string())
    print(df.pivot_table(index='method', columns='round', values='query_in_ratio').round(2).to_string())
    print(df.pivot_table(index='method', columns='round', values='test_acc').round(3).to_string())
    print(df.groupby('method')[['t_train', 't_score', 't_select', 't_meta']].median().round(3).to_string())
