"""Compute benchmark (bench/README.md: what each script measures) on this machine.

1. Per-round phase seconds (train / score / select / meta) from the recorded runs in
   bench/results/experiments.csv: medians per method, and MQ-Net's own share of a round
   ((score + select + meta) / round), a ratio measured within the same runs.
2. Selection time as the pool grows (1k .. 1M feature rows, 128-d, budget 100): k-center greedy and
   BADGE's k-means++ seeding; both should grow linearly in the pool (k-center: pool x budget).
3. MQ-Net's meta-net on one core (`--meta`): `train_metanet` with the official preset (10,000 steps) on self-validation sets of
   the sizes rounds give (4: the default mqnet_run; 100: the separating benchmark; 500: Fashion under the paper's protocol), the
   autograd loop against the written-out step, median of 3; then `mqnet` rounds on Fashion-MNIST at 40% noise in the paper's
   regime (the fashion grid's settings), their phases and the meta-net's share of a round. Writes meta_cpu.csv, meta_round_cpu.csv.
4. Wall time of the default `mqnet_run` (digits 4:6 at 40%, MQ-Net, CONF, RANDOM, seeds 0 and 1, 10 rounds),
   each repetition cold: a fresh output folder and a fresh CSI cache (`--walltime N` repetitions; 0 skips it), each beside the
   reference workload on the same machine (`mqnet_run --methods random --seeds 0 --jobs 1`, cold), so that a reader can scale the time to theirs.
5. `--csi-epochs A,B`: the digits CSI preset decided by the quality rule (`mqnet.tables.quality_rule`), on validation data only: `mqnet`
   on digits at 40% noise, seeds 0-9 (`--seeds`), 200 labeled examples held out of each pool, CSI at A against B epochs; purity AUROC
   and validation accuracy after the last round and over the rounds, paired on the seed. No test accuracy is written or printed.
   Writes csi_epochs_val.csv and csi_epochs_rule.csv.
6. `--meta-steps N`: what fewer meta-net steps on digits cost, on validation data only: `mqnet` on digits at 40% noise, the
   official meta-net preset (100 steps an epoch at least: 10,000 a round on a 4-example self-validation set) against N steps an
   epoch, 200 labeled examples held out of each pool; the meta-net's seconds a round, final validation accuracy and its mean over
   rounds, paired on the seed. Writes meta_steps_val.csv (no test column).
Writes bench/results/compute_phases.csv, compute_select_scale.csv and mqnet_run_cpu.csv.

    python bench/compute.py [--quick] [--walltime 3] [--only-walltime] [--meta] [--csi-epochs 20,40] [--meta-steps 20] [--seeds 0,1,2]
"""
import argparse, os, platform, subprocess, tempfile, time

def cpu_model() -> str:
    "The CPU's model name (Linux: /proc/cpuinfo), or the machine type where it cannot be read."
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()
from pathlib import Path
import numpy as np, pandas as pd, torch
from mqnet.strategies import kcenter_greedy, badge_select

HERE = Path(__file__).parent/'results'

def phases():
    df = pd.read_csv(HERE/'experiments.csv')
    df = df[df.c_ood == 1] if 'c_ood' in df else df
    df['t_round'] = df[['t_train', 't_score', 't_select', 't_meta']].sum(axis=1)
    by = ['dataset', 'setup', 'method'] if 'setup' in df else ['dataset', 'method']
    t = df.groupby(by)[['t_train', 't_score', 't_select', 't_meta', 't_round']].median()
    t['own_share'] = (df.assign(own=df.t_score + df.t_select + df.t_meta).groupby(by).own.median() / t.t_round)
    t.round(4).to_csv(HERE/'compute_phases.csv'); print(t.round(3).to_string())

def select_scale(sizes, budget=100, d=128, k=4):
    rows = []; g = torch.Generator().manual_seed(0)
    info = dict(device=platform.processor() or platform.machine(), torch=torch.__version__, threads=torch.get_num_threads())
    for n in sizes:
        f = torch.randn(n, d, generator=g).relu(); lg = torch.randn(n, k, generator=g); centers = torch.randn(200, d, generator=g).relu()
        for name, fn in dict(kcenter=lambda: kcenter_greedy(f, centers, budget), badge=lambda: badge_select(lg, f, budget)).items():
            t0 = time.perf_counter(); fn(); rows.append(dict(selector=name, pool=n, dim=d, budget=budget, seconds=time.perf_counter() - t0, **info))
    df = pd.DataFrame(rows); df.to_csv(HERE/'compute_select_scale.csv', index=False)
    print(df.pivot(index='selector', columns='pool', values='seconds').round(3).to_string())

def meta(rounds:int=2, reps:int=3):
    from mqnet.metanet import MetaConfig, train_metanet
    from mqnet.experiments import run_grid
    torch.set_num_threads(1)
    info = dict(cpu=cpu_model(), cores=os.cpu_count(), threads=1, torch=torch.__version__)
    rows, g = [], torch.Generator().manual_seed(0)
    for n in (4, 100, 500):
        z = torch.rand(n, 2, generator=g) * 3; t = torch.rand(n, generator=g) * (torch.arange(n) % 2)   # half IN
        for ag in (True, False):
            for r in range(reps):
                t0 = time.perf_counter(); train_metanet(z, t, MetaConfig.preset('official'), autograd=ag)
                rows.append(dict(n=n, step='autograd' if ag else 'written out', repetition=r, seconds=time.perf_counter() - t0, **info))
    df = pd.DataFrame(rows); df.to_csv(HERE/'meta_cpu.csv', index=False)
    m = df.groupby(['n', 'step']).seconds.median().unstack()
    print('train_metanet, official preset (10,000 steps), median seconds on one core:'); print(m.assign(speedup=m['autograd'] / m['written out']).round(2).to_string())
    with tempfile.TemporaryDirectory() as tmp:
        res = run_grid('fashion', ['mqnet'], 0.4, [0], Path(tmp)/'runs', rounds=rounds, jobs=1, threads=1, csi_cache=Path(tmp)/'csi', log=None)
    res['t_round'] = res[['t_train', 't_score', 't_select', 't_meta']].sum(axis=1); res['meta_share'] = res.t_meta / res.t_round
    res[['round', 't_train', 't_score', 't_select', 't_meta', 't_round', 'meta_share']].assign(**info).to_csv(HERE/'meta_round_cpu.csv', index=False)
    print(f"mqnet on Fashion 40%, {rounds} rounds on one core: median round {res.t_round.median():.1f}s, meta-net {res.t_meta.median():.2f}s "
          f"({100 * res.meta_share.median():.1f}% of a round)")

REFERENCE = ['mqnet_run', '--methods', 'random', '--seeds', '0', '--jobs', '1']   # the machine's speed beside the quick start's time: one RANDOM run on one core

def walltime(n:int):
    """Seconds of `n` cold runs of the default `mqnet_run` (its own defaults: one process per core), with their median, each beside
    the seconds of the reference workload (`REFERENCE`, one RANDOM run on one core, also cold) on the same machine; and
    the core-seconds of its phases: per method, the rounds' train / score / select / meta seconds summed over the runs;
    `rest` is what the workers spent outside the rounds (CSI training, start-up, data, checkpoints): cores x wall - rounds."""
    import mqnet
    from mqnet.experiments import default_jobs
    info = dict(device=platform.processor() or platform.machine(), cpu=cpu_model(), cores=os.cpu_count(), jobs=default_jobs(), torch=torch.__version__, mqnet=mqnet.__version__)
    rows, phase = [], ['t_train', 't_score', 't_select', 't_meta']
    for i in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, MQNET_CACHE=f'{tmp}/cache', PYTHONWARNINGS='ignore')
            t0 = time.perf_counter()
            subprocess.run(['mqnet_run', '--out', f'{tmp}/runs'], env=env, check=True, stdout=subprocess.DEVNULL)
            secs = time.perf_counter() - t0
            t0 = time.perf_counter()
            subprocess.run([*REFERENCE, '--out', f'{tmp}/reference'], env=env, check=True, stdout=subprocess.DEVNULL)
            ref = time.perf_counter() - t0
            res = pd.read_csv(f'{tmp}/runs/results.csv')
            by = res.groupby('method')[phase].sum()
            rows.append(dict(repetition=i, seconds=secs, reference_seconds=ref, reference=' '.join(REFERENCE), **info, **{f'{m}_{p[2:]}': by.loc[m, p] for m in by.index for p in phase},
                             rounds_core_s=by.values.sum(), rest_core_s=info['jobs'] * secs - by.values.sum()))
            print(f'mqnet_run (default), cold: {secs:.0f}s; the reference ({" ".join(REFERENCE)}): {ref:.0f}s', flush=True)
    df = pd.DataFrame(rows); df.to_csv(HERE/'mqnet_run_cpu.csv', index=False)
    print(f'median of {n}: {df.seconds.median():.0f}s; the reference: {df.reference_seconds.median():.0f}s')
    print(df.drop(columns=[*info, 'reference']).median().round(1).to_string())

def _csi_run(args):
    "One `mqnet` run on digits at 40% noise on the held-out part with the digits CSI preset at `epochs` epochs (validation rounds, no test column)."
    seed, epochs, holdout, cache = args
    from mqnet.csi import CSIConfig
    from mqnet.data import split_dataset
    from mqnet.loop import ActiveLearning
    torch.set_num_threads(1)
    al = ActiveLearning(split_dataset('digits', noise=0.4, seed=seed, holdout=holdout), 'mqnet', seed=seed, csi=CSIConfig.preset('digits', epochs=epochs),
                        csi_cache=cache, progress=False)
    return al.run().drop(columns=['test_acc', 'test_acc_per_class'], errors='ignore').assign(seed=seed, csi=f'{epochs} epochs')

def csi_epochs(epochs, seeds=tuple(range(10)), holdout:int=200):
    """The digits CSI preset decided by the quality rule (`mqnet.tables.quality_rule`): `mqnet` on digits at 40% noise with CSI at each of two
    epoch counts `epochs` (shorter, longer), on the held-out part of each seed's pool, paired on the seed: purity AUROC and validation
    accuracy, after the last round and as their mean over rounds. Writes csi_epochs_val.csv (every round) and csi_epochs_rule.csv (the rule's table)."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp
    from mqnet.tables import quality_rule
    short, long = sorted(epochs)
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(os.cpu_count(), mp_context=mp.get_context('spawn')) as ex:
        df = pd.concat(ex.map(_csi_run, [(s, e, holdout, f'{tmp}/csi{s}') for e in (short, long) for s in seeds]), ignore_index=True)
    df.to_csv(HERE/'csi_epochs_val.csv', index=False)
    by = lambda e: df[df.csi == f'{e} epochs'].sort_values(['seed', 'round'])
    last = lambda r, f: r[r['round'] == r['round'].max()].set_index('seed')[f]
    mean = lambda r, f: r.groupby('seed')[f].mean()
    diffs = {f'{what} ({how})': 100 * (of(by(short), f) - of(by(long), f)) for f, what in (('purity_auroc', 'purity AUROC x100'), ('val_acc', 'validation accuracy'))
             for how, of in (('last round', last), ('mean over rounds', mean))}
    rule = quality_rule(diffs).assign(shorter=f'{short} epochs', longer=f'{long} epochs', seeds=','.join(map(str, seeds)))
    rule.to_csv(HERE/'csi_epochs_rule.csv', index=False)
    print(rule.drop(columns=['seeds']).round(3).to_string(index=False))
    print(f"the quality rule {'takes' if rule.holds.all() else 'does not take'} {short} epochs over {long} ({len(seeds)} seeds)")

def print_paired_val(res:dict):
    "Print the second of two configurations' runs (`res`: name → validation rounds) against the first: final validation accuracy and its mean over rounds, paired on the seed."
    from mqnet.tables import paired_interval
    last = lambda r: r[r['round'] == r['round'].max()].set_index('seed').val_acc
    (a, ra), (b, rb) = res.items()
    for what, of in (('final validation accuracy', last), ('mean validation accuracy over rounds', lambda r: r.groupby('seed').val_acc.mean())):
        x, y = 100 * of(ra), 100 * of(rb); p = paired_interval(y - x)
        print(f"{what}: {y.mean():.2f} with {b}, {x.mean():.2f} with {a}; difference {p['mean']:+.2f} [{p['lo']:+.2f}, {p['hi']:+.2f}] (paired over {p['n']} seeds)")

def _meta_run(args):
    "One `mqnet` run on digits at 40% noise with `min_steps` meta-net steps an epoch (None: the official preset's), on the held-out part."
    seed, min_steps, holdout, cache = args
    from mqnet.data import split_dataset
    from mqnet.loop import ActiveLearning
    from mqnet.metanet import MetaConfig
    from mqnet.strategies import get_strategy
    torch.set_num_threads(1)
    meta = MetaConfig.preset('official', **({} if min_steps is None else dict(min_steps=min_steps)))
    al = ActiveLearning(split_dataset('digits', noise=0.4, seed=seed, holdout=holdout), get_strategy('mqnet', meta=meta), seed=seed, csi_cache=cache, progress=False)
    return al.run().drop(columns=['test_acc', 'test_acc_per_class'], errors='ignore').assign(seed=seed)

def meta_steps(min_steps:int, seeds=(0, 1, 2, 3, 4), holdout:int=200):
    """The record of the choice of the `digits` meta preset (20 steps an epoch): the official meta-net preset (100 steps an epoch at least: 10,000 a round on digits' 4-example self-validation sets) against
    `min_steps` steps an epoch, as `mqnet` runs on digits at 40% noise on the held-out part, paired on the seed (validation data only)."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp
    res = {}
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(os.cpu_count(), mp_context=mp.get_context('spawn')) as ex:
        for name, m in (('official preset (100 steps an epoch)', None), (f'{min_steps} steps an epoch', min_steps)):
            res[name] = pd.concat(ex.map(_meta_run, [(s, m, holdout, f'{tmp}/csi') for s in seeds]), ignore_index=True).assign(meta=name)
    df = pd.concat(res.values(), ignore_index=True); df.to_csv(HERE/'meta_steps_val.csv', index=False)
    ra, rb = res.values()
    print(f"meta-net seconds a round: {ra.t_meta.median():.2f} (preset), {rb.t_meta.median():.2f} ({min_steps} steps an epoch)")
    print_paired_val(res)

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--quick', action='store_true')
    p.add_argument('--walltime', type=int, default=3, help='repetitions of the default mqnet_run (0: skip)')
    p.add_argument('--only-walltime', action='store_true', help='time the default mqnet_run only')
    p.add_argument('--meta', action='store_true', help="time MQ-Net's meta-net only (needs Fashion-MNIST)")
    p.add_argument('--seeds', default=None, help='seeds of --csi-epochs (default 0-9) and --meta-steps (default 0-4)')
    p.add_argument('--meta-steps', type=int, default=0, help="compare the official meta-net preset with this many steps an epoch, on digits' validation data only")
    p.add_argument('--csi-epochs', default='', help='two epoch counts of the digits CSI preset to decide between by the quality rule (e.g. 20,40), on validation data only'); a = p.parse_args()
    p_seeds = [int(s) for s in a.seeds.split(',')] if a.seeds else None
    if a.csi_epochs: csi_epochs([int(e) for e in a.csi_epochs.split(',')], p_seeds or tuple(range(10)))
    elif a.meta_steps: meta_steps(a.meta_steps, p_seeds or (0, 1, 2, 3, 4))
    elif a.meta: meta()
    elif not a.only_walltime:
        if (HERE/'experiments.csv').exists(): phases()
        select_scale([1_000, 10_000] if a.quick else [1_000, 10_000, 100_000, 1_000_000])
    if a.walltime and not a.meta and not a.csi_epochs and not a.meta_steps: walltime(a.walltime)
