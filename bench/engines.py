"""The same grid on each engine of `run_grid`: in this process, in a local process pool, on Dask local.

    python bench/engines.py [--workers 2] [--methods conf,ll,random,badge] [--seeds 0,1] [--rounds 10]

One digits grid (split 4:6, noise 40%) is run three times into fresh folders; the wall time of each `run_grid` call, the ratio to the
serial run (measured in the same call), and each engine's overhead per run, (workers × wall − serial wall) / runs: the core-seconds an
engine spends beyond the work itself. The process pool is spawned (run_grid's default from Python; worker start-up, the import of torch
and fastai, is inside its wall time); the Dask cluster's start-up is measured apart (`cluster_start_s`), as a cluster serves many grids. Every history is checked to be the same on each engine. Writes bench/results/engines.csv and prints it.
"""
import argparse, os, tempfile, time, warnings
from pathlib import Path
import pandas as pd
from mqnet.core import atomic_write
from mqnet.experiments import run_grid, dask_executor, HISTORY

HERE = Path(__file__).parent

def histories(out):
    return {str(p.relative_to(out)): (h := pd.read_csv(p)).drop(columns=[c for c in h if c.startswith('t_')]) for p in sorted(Path(out).rglob(HISTORY))}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--workers', type=int, default=2); ap.add_argument('--methods', default='conf,ll,random,badge')
    ap.add_argument('--seeds', default='0,1'); ap.add_argument('--rounds', type=int, default=10)
    a = ap.parse_args()
    grid = dict(datasets='digits', methods=a.methods.split(','), noises=0.4, seeds=[int(s) for s in a.seeds.split(',')], rounds=a.rounds, log=None)
    n = len(grid['methods']) * len(grid['seeds']); rows, hist = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ('serial', 'process pool', 'dask local'):
            out = Path(tmp)/engine.replace(' ', '_'); release = None; t0 = time.perf_counter()
            if engine == 'dask local': ex, release = dask_executor('local', workers=a.workers, log=None)
            start = time.perf_counter() - t0; t0 = time.perf_counter()
            run_grid(**grid, out=out, jobs=1 if engine == 'serial' else a.workers, executor=ex if release else None)
            wall = time.perf_counter() - t0
            if release: release()
            hist[engine] = histories(out)
            rows.append(dict(engine=engine, workers=1 if engine == 'serial' else a.workers, runs=n, wall_s=round(wall, 1), cluster_start_s=round(start, 1)))
    df = pd.DataFrame(rows); serial = df.wall_s.iloc[0]
    df['vs_serial'] = (df.wall_s / serial).round(3)
    df['overhead_per_run_s'] = ((df.workers * df.wall_s - serial) / n).round(2)
    df['same_histories'] = [h.keys() == hist['serial'].keys() and all(h[k].equals(hist['serial'][k]) for k in h) for h in hist.values()]
    df['cpus'] = os.cpu_count()
    (HERE/'results').mkdir(exist_ok=True); atomic_write(HERE/'results'/'engines.csv', df.to_csv(index=False))
    print(df.to_string(index=False))

if __name__ == '__main__':
    warnings.filterwarnings('ignore'); main()
