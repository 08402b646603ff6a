"""The map by openness: each method's test accuracy less RANDOM's, paired on the seed, at each known-class share of the plan.

    python bench/confirm/openness.py [--plan bench/confirm/openness.toml]

Reads bench/confirm/openness.toml (committed before its runs) and each cell's recorded runs: its own cells from
bench/results/experiments_openness.csv, the 60% cell from the confirmation's (experiments_confirm.csv, seeds 10-14). For every
share, method and measure (final accuracy and AULC, ×100): the mean paired difference, its 95% Student-t interval and the seed
count. Writes bench/results/openness_map.csv and openness_map.png (one panel a measure; the unknown share on the x axis).
A cell with fewer than two seeds of a method and of RANDOM is left out, and the script says so.
"""
import argparse, sys, tomllib
from pathlib import Path
import pandas as pd
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
from mqnet.core import atomic_write
from mqnet.tables import run_scores, paired_interval
from mqnet.figures import save_figure

ROOT = Path(__file__).resolve().parents[2]
RESULTS = {'bench/runs_openness': 'experiments_openness.csv', 'bench/runs_confirm': 'experiments_confirm.csv'}

def cell_runs(plan, cell) -> pd.DataFrame:
    "The recorded runs of one cell: its share, its seeds, the plan's methods."
    src = ROOT/'bench'/'results'/RESULTS[cell.get('from_runs', plan['runs'])]
    if not src.exists(): return pd.DataFrame()
    df = pd.read_csv(src)
    return df[(df.mismatch.round(3) == round(cell['known'], 3)) & df.seed.isin(cell['seeds']) & df.method.isin(plan['methods'])]

def table(path) -> pd.DataFrame:
    p = tomllib.loads(Path(path).read_text()); plan, rows = p['plan'], []
    for cell in p['cells']:
        df = cell_runs(plan, cell)
        for measure in plan['measures']:
            s = run_scores(df, plan['field'], measure) if len(df) else pd.DataFrame(columns=['method', 'seed', 'value'])
            ref = s[s.method == plan['reference']].set_index('seed').value
            for m in [m for m in plan['methods'] if m != plan['reference']]:
                d = (s[s.method == m].set_index('seed').value - ref).dropna()
                if len(d) < 2: print(f"{m} at {cell['known']:.0%} known, {measure}: {len(d)} paired seed(s), left out", file=sys.stderr); continue
                st = paired_interval(d.values, plan['conf'])
                rows.append(dict(known=cell['known'], unknown=round(1 - cell['known'], 3), method=m, measure=measure, n=st['n'],
                                 mean=st['mean'], lo=st['lo'], hi=st['hi'], seeds=','.join(map(str, sorted(d.index)))))
    return pd.DataFrame(rows)

def figure(t:pd.DataFrame):
    ms = list(dict.fromkeys(t.method)); fig, axes = plt.subplots(1, t.measure.nunique(), figsize=(5 * t.measure.nunique(), 3.8), sharey=True, squeeze=False)
    for ax, (measure, g) in zip(axes[0], t.groupby('measure', sort=False)):
        for i, m in enumerate(ms):
            r = g[g.method == m].sort_values('unknown'); x = r.unknown * 100 + (i - (len(ms) - 1) / 2) * 1.5   # side by side at each share
            ax.errorbar(x, r['mean'], yerr=[r['mean'] - r.lo, r.hi - r['mean']], marker='o', capsize=3, label=m)
        ax.axhline(0, color='grey', lw=0.8); ax.set_xlabel('unknown classes (%)'); ax.set_xticks(sorted(100 * g.unknown.unique()))
        ax.set_title(f"{dict(final='final accuracy', aulc='AULC').get(measure, measure)} − RANDOM (points, 95% interval)")
    axes[0][0].set_ylabel('paired difference (points)'); axes[0][-1].legend(fontsize=8)
    return fig

def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument('--plan', default=str(ROOT/'bench'/'confirm'/'openness.toml')); a = a.parse_args(argv)
    t = table(a.plan)
    if not len(t): print('no cell of the map has two paired seeds yet: run python bench/experiments.py --grids openness.', file=sys.stderr); raise SystemExit(2)
    atomic_write(ROOT/'bench'/'results'/'openness_map.csv', t.to_csv(index=False))
    save_figure(figure(t), ROOT/'bench'/'results'/'openness_map.png')
    print(t.assign(interval=[f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]" for m, lo, hi in zip(t['mean'], t.lo, t.hi)])[['known', 'method', 'measure', 'n', 'interval']].to_string(index=False))

if __name__ == '__main__':
    main()
