"""The recorded benchmark (bench/README.md) on the CPU: grids of runs, resumable.

Grids (each resumable: re-running skips complete runs and continues unfinished ones):
  split    digits 4:6, noise 10/20/40/60%, the 8 methods of Table 1 and MQ-Net as the paper writes it (mqnet-paper)
  ablation digits 4:6 at 40%: meta-input combinations, self- vs random validation, skyline, P+I, P·I;
           and c_ood in {0.5, 2, 4} for MQ-Net, CONF and RANDOM (c_ood = 1 is the split grid)
           (a seed whose initial set holds fewer than two IN classes at that c_ood is skipped: seeds 3 and 4 at c_ood = 4)
  mnist1d  mnist1d 4:6, noise 10/20/40/60%, the 8 methods
  cross    digits (all 10 classes) + natural-image patches, noise 10/20/40/60%, the 8 methods and MQ-Net with CONF
           as informativeness (mqnet-conf-csi)
  long     digits 4:6 at 40%, the 8 methods, 20 rounds (the paper's Figure 6: longer AL)
  fashion  Fashion-MNIST 4:6 under the paper's protocol (pool = the 60k training images less 500 held out, 500 labels a
           round, initial 500), noise 40/60/10/20% in that order, the 8 methods and MQ-Net as the paper writes it
           (mqnet-paper); the CPU presets (fast_cnn, 1,200 steps; CSI 1,000 steps). Runs in bench/runs_fashion/.
  fashion-ablation  Fashion 40%: the meta-inputs of Table 4 (CONF/LL x CSI/ReAct)
  plus     mqnet-plus on Fashion (the --noises given), with its ablations at 40% (one option changed each: mqnet-plus-conf, -exp, -top)
  plus-digits  mqnet-plus on the digits split and cross grids, and on mnist1d at 40%
  mismatch Fashion-MNIST under the mismatch protocol (LfOSA's, EOAL's, EAOA's): 40/30/20% of the classes known (--shares), every image
           of the others in the pool, 1% of the known-class images as the initial set, 1,500 labels a round; runs in bench/runs_mismatch/.
  separate-pick  candidates for a Fashion-MNIST setting that separates methods, RANDOM alone (so that no method is favoured by the
           choice): the mismatch protocol with 80% or 60% of the classes known, 100 or 250 labels a round, 600 or 1,200 classifier steps
           a round, and the last with the known classes fixed on every seed to seed 0's (TOPS) (SEPARATE; --pick chooses some); one folder per
           candidate under bench/runs_separate/ (curves in results/separate_pick.csv).
  separate the separating benchmark chosen by separate-pick (60% known, fixed to TOPS; 100 labels a round, 1,200 steps): the eight methods,
           mqnet-plus, mqnet-detector and the detector methods, seed by seed; runs in bench/runs_separate/b100-i1200-tops/.
  variant-pick  issue 36's candidates on the separating benchmark, seeds 0 and 1 (--seeds), chosen by validation accuracy alone:
           results/variant_pick.csv holds the held-out part's accuracy of the candidates and of the baselines, no test column.
  confirm  the registered confirmation (bench/confirm/plan.toml, committed before its runs): the plan's methods on its fresh seeds
           on the separating benchmark, seed by seed; runs in bench/runs_confirm/, results in results/experiments_confirm.csv.
  openness the map by openness (bench/confirm/openness.toml, committed before its runs): RANDOM, BADGE, mqnet, mqnet-plus and
           mqnet-plus-conf-diff-cluster at 40% and 80% of the classes known (hard classes first, by the plan's order), seeds 20-24,
           in the separating benchmark's regime; its 60% cell is the confirmation's seeds 10-14. Runs in bench/runs_openness/.
  meeting  the cell where the protocols meet (4 of 10 classes known, every OOD image in the pool: noise 60% = mismatch 40%) under
           the noise protocol for the detector methods (lfosa, eoal, eaoa, mqnet-detector); the fashion grid has the others there.
Runs go to bench/runs/ (bench/runs_long/ for the long grid; not committed); the tidy results to
bench/results/experiments.csv (experiments_long.csv). experiments_fashion.csv takes seeds past 0-2 at a noise ratio only once
all eight methods and mqnet-plus have them there, so that each column compares one set of class splits; experiments_mismatch.csv
takes a known-class share and seed once all ten methods of the mismatch grid have it;
experiments_separate.csv, written after every seed, takes a seed once all thirteen methods of the separate grid have it.

    python bench/experiments.py [--grids split,ablation,mnist1d,cross,long] [--seeds 0,1,2,3,4] [--noises 0.1,0.2,0.4,0.6] [--jobs 2] [--quick]

Recorded: split, cross and plus-digits with seeds 0-4, ablation with seeds 0-4, mnist1d at 40% with
seeds 0-4 (--grids mnist1d --noises 0.4 --seeds 0,1,2,3,4); long with seeds 0-2. The digits runs of the
methods that compute CSI were re-recorded with the 40-epoch digits CSI preset (kept by the quality rule over 20 epochs:
bench/results/csi_epochs_rule.csv), and those of MQ-Net with the digits meta-net preset (20 steps an epoch); the long grid
was re-recorded whole. Fashion: see the README for what is recorded so far.
"""
import argparse, time, warnings
from pathlib import Path
import pandas as pd
from mqnet.experiments import run_grid, load_results
from mqnet.data import split_dataset
from mqnet.loop import ActiveLearning
from mqnet.strategies import PAPER_METHODS
from mqnet.core import atomic_write

HERE = Path(__file__).parent
NOISES = [0.1, 0.2, 0.4, 0.6]
PLUS = ['mqnet-plus', 'mqnet-plus-conf', 'mqnet-plus-exp', 'mqnet-plus-top']
MISMATCH = ['random', 'conf', 'll', 'badge', 'ccal', 'lfosa', 'eoal', 'eaoa', 'mqnet', 'mqnet-detector']
SEPARATE = [(0.8, 100, 600), (0.8, 250, 600), (0.6, 100, 600), (0.8, 100, 1200), (0.6, 100, 1200), (0.6, 100, 1200, 'tops')]   # (known-class share, labels a round, classifier steps[, fixed classes]): separate-pick's candidates
TOPS = ('T-shirt/top', 'Pullover', 'Dress', 'Coat', 'Shirt', 'Bag')   # the known classes fixed on every seed: seed 0's split, the four upper-body classes among them
PLAN = HERE/'confirm'/'plan.toml'   # the registered confirmation (its settings are the separating benchmark's)
OPENNESS = HERE/'confirm'/'openness.toml'   # the map by openness (registered: its rule for the known classes, its cells and seeds)
SEPARATE_METHODS = [*PAPER_METHODS, 'mqnet-plus', 'mqnet-detector', 'lfosa', 'eoal', 'eaoa']   # the separating benchmark's methods
CANDIDATES = ['mqnet-plus-conf-csi', 'mqnet-plus-conf-diff']   # variant-pick: what the measured causes point to (bench/diagnose.py)
ABLATION = ['mqnet-sum', 'mqnet-prod', 'mqnet-noskyline', 'mqnet-randval', 'mqnet-conf-csi', 'mqnet-conf-react', 'mqnet-ll-react']

def same_seeds(res, main=(*PAPER_METHODS, 'mqnet-plus'), base=3):
    "Seeds past the first `base` only at noise ratios where every one of the `main` methods has them (a table's column compares one set of class splits)."
    have = res[res.method.isin(main)].groupby(['noise', 'seed']).method.nunique()
    full = set(have[have == len(main)].index)
    return res[[(t, s) in full or s < base for t, s in zip(res.noise, res.seed)]]

def separate_dir(budget, iters, fixed=None) -> Path:
    "A separate-pick candidate's run folder (the chosen one, with the known classes fixed, is the separating benchmark's folder)."
    return HERE/'runs_separate'/(f'b{budget}-i{iters}' + (f'-{fixed}' if fixed else ''))

def trainable(c_ood, seed):
    "Whether the initial set of `seed` at this c_ood holds two IN classes (at c_ood = 4 it may buy only five labels)."
    try: ActiveLearning(split_dataset('digits', noise=0.4, seed=seed), 'random', c_ood=c_ood, seed=seed)._check_initial(); return True
    except ValueError as e: print(f'skipped: {e}'); return False

def record(g:str, runs:Path=HERE/'runs'):
    "Write grid `g`'s tidy results (complete runs only) to bench/results/ (where each grid's CSV goes: the module docstring)."
    src, csv = {'long': (HERE/'runs_long', 'experiments_long.csv'), 'fashion': (HERE/'runs_fashion', 'experiments_fashion.csv'),
                'fashion-ablation': (HERE/'runs_fashion', 'experiments_fashion.csv'), 'meeting': (HERE/'runs_fashion', 'experiments_fashion.csv'), 'plus': (HERE/'runs_fashion', 'experiments_fashion.csv'),
                'mismatch': (HERE/'runs_mismatch', 'experiments_mismatch.csv'), 'confirm': (HERE/'runs_confirm', 'experiments_confirm.csv'),
                'openness': (HERE/'runs_openness', 'experiments_openness.csv'), 'separate': (separate_dir(100, 1200, 'tops'), 'experiments_separate.csv')}.get(g, (runs, 'experiments.csv'))
    res = load_results(src); (HERE/'results').mkdir(exist_ok=True)
    keys = [c for c in ('dataset', 'setup', 'ood', 'method', 'noise', 'seed', 'c_in', 'c_ood') if c in res]
    res = res[res.groupby(keys, dropna=False)['round'].transform('max') == res['round'].max()]   # complete runs only
    if csv == 'experiments_fashion.csv': res = same_seeds(res)
    if csv == 'experiments_mismatch.csv': res = same_seeds(res, MISMATCH, base=0)   # a share and seed once all ten methods have it
    if csv == 'experiments_separate.csv': res = same_seeds(res, SEPARATE_METHODS, base=0)   # a seed once all thirteen methods have it
    atomic_write(HERE/'results'/csv, res.to_csv(index=False))

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    p = argparse.ArgumentParser()
    p.add_argument('--grids', default='split,ablation,mnist1d,cross'); p.add_argument('--seeds', default='0,1,2,3,4')
    p.add_argument('--jobs', type=int, default=2); p.add_argument('--quick', action='store_true')
    p.add_argument('--noises', default='0.1,0.2,0.4,0.6', help='noise ratios of the split, mnist1d and cross grids')
    p.add_argument('--shares', default='0.4,0.3,0.2', help='known-class shares of the mismatch grid, in the order they are run')
    p.add_argument('--pick', default=None, help='only these candidates of separate-pick (positions in SEPARATE, comma-separated)')
    p.add_argument('--methods', default=None, help='only these methods of the fashion grid, comma-separated (to order a long grid)')
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(',')]; rounds = 3 if a.quick else 10
    NOISES = [float(t) for t in a.noises.split(',')]
    runs = HERE/'runs'; kw = dict(rounds=rounds, jobs=a.jobs, csi_cache=HERE/'runs'/'.csi')
    for g in a.grids.split(','):
        t0 = time.perf_counter(); print(f'== {g}', flush=True)
        if g == 'split': run_grid('digits', [*PAPER_METHODS, 'mqnet-paper'], NOISES, seeds, runs, **kw)
        elif g == 'ablation':
            run_grid('digits', ABLATION, 0.4, seeds, runs, **kw)
            for c in (0.5, 2, 4): run_grid('digits', ['mqnet', 'conf', 'random'], 0.4, [s for s in seeds if trainable(c, s)], runs, c_ood=c, **kw)
        elif g == 'mnist1d': run_grid('mnist1d', PAPER_METHODS, NOISES, seeds, runs, **kw)
        elif g == 'cross': run_grid('digits', [*PAPER_METHODS, 'mqnet-paper', 'mqnet-conf-csi'], NOISES, seeds, runs, ood='patches', **kw)
        elif g == 'long': run_grid('digits', PAPER_METHODS, 0.4, seeds, HERE/'runs_long', **dict(kw, rounds=2 * rounds))
        elif g == 'fashion':
            fkw = dict(kw, csi_cache=HERE/'runs_fashion'/'.csi')
            ms = a.methods.split(',') if a.methods else [*PAPER_METHODS, 'mqnet-paper']
            for t in sorted(NOISES, key=lambda t: (t not in (0.4, 0.6), -t)): run_grid('fashion', ms, t, seeds, HERE/'runs_fashion', **fkw)
        elif g == 'fashion-ablation':
            run_grid('fashion', ['mqnet-conf-csi', 'mqnet-conf-react', 'mqnet-ll-react'], 0.4, seeds, HERE/'runs_fashion', **dict(kw, csi_cache=HERE/'runs_fashion'/'.csi'))
        elif g == 'plus':
            fkw = dict(kw, csi_cache=HERE/'runs_fashion'/'.csi')
            for t in sorted(NOISES, key=lambda t: (t not in (0.4, 0.6), -t)):
                run_grid('fashion', PLUS if t == 0.4 else PLUS[:1], t, seeds, HERE/'runs_fashion', **fkw)
        elif g == 'plus-digits':
            run_grid('digits', PLUS[:1], NOISES, seeds, runs, **kw); run_grid('digits', PLUS[:1], NOISES, seeds, runs, ood='patches', **kw)
            run_grid('mnist1d', PLUS[:1], 0.4, seeds, runs, **kw)
        elif g == 'mismatch':
            ms = a.methods.split(',') if a.methods else MISMATCH
            run_grid('fashion', ms, [float(m) for m in a.shares.split(',')], seeds, HERE/'runs_mismatch', protocol='mismatch', **dict(kw, csi_cache=HERE/'runs_mismatch'/'.csi'))
        elif g == 'separate-pick':
            pick = [int(i) for i in a.pick.split(',')] if a.pick else range(len(SEPARATE))
            for share, budget, iters, *fixed in [SEPARATE[i] for i in pick]:
                run_grid('fashion', ['random'], share, seeds, separate_dir(budget, iters, *fixed), protocol='mismatch', budget=budget, iters=iters,
                         classes=TOPS if fixed else None, **dict(kw, csi_cache=None if not fixed else HERE/'runs_separate'/'.csi'))
            res = pd.concat([load_results(d).query("method == 'random'").assign(budget=c[1], iters=c[2], classes=c[3] if len(c) > 3 else 'drawn')
                             for c in SEPARATE if (d := separate_dir(*c[1:])).exists()], ignore_index=True)
            atomic_write(HERE/'results'/'separate_pick.csv', res.to_csv(index=False)); print(f'== {g} done in {time.perf_counter() - t0:.0f}s', flush=True)
            continue
        elif g == 'separate':
            ms = a.methods.split(',') if a.methods else SEPARATE_METHODS
            for s_ in seeds:   # seed by seed: every method on a class split before the next, so the paired tables grow evenly
                run_grid('fashion', ms, 0.6, [s_], separate_dir(100, 1200, 'tops'), protocol='mismatch', budget=100, iters=1200, classes=TOPS,
                         **dict(kw, csi_cache=HERE/'runs_separate'/'.csi'))
                record(g)                                                     # the paired tables can be read after every seed
        elif g == 'variant-pick':
            sep = separate_dir(100, 1200, 'tops')
            run_grid('fashion', CANDIDATES, 0.6, seeds, sep, protocol='mismatch', budget=100, iters=1200, classes=TOPS, **dict(kw, csi_cache=HERE/'runs_separate'/'.csi'))
            res = load_results(sep); res = res[res.seed.isin(seeds) & res.method.isin([*CANDIDATES, 'mqnet', 'mqnet-plus', 'badge', 'random'])]
            val = res[['method', 'seed', 'round', 'val_acc', 'n_labeled_in', 'query_in_ratio']]   # the held-out part only: the choice never reads the test split
            atomic_write(HERE/'results'/'variant_pick.csv', val.to_csv(index=False))
            last = val[val['round'] == val['round'].max()]
            t = 100 * pd.DataFrame({'final': last.groupby('method').val_acc.mean(), 'mean over rounds': val.groupby('method').val_acc.mean()})
            print(t.round(2).to_string())
            print('chosen:', t.loc[CANDIDATES].sort_values(['final', 'mean over rounds']).index[-1])   # the rule fixed beforehand: the best final validation accuracy
            continue
        elif g == 'confirm':                                                  # the registered plan: its methods on its fresh seeds, seed by seed
            from mqnet.tables import read_plan
            plan = read_plan(PLAN)['plan']; ms = a.methods.split(',') if a.methods else plan['methods']
            bad = [m for m in ms if m not in plan['methods']]
            if bad: raise SystemExit(f"method {bad[0]!r} is not registered in {PLAN.name}; the confirmation runs only the plan's methods.")
            for s_ in plan['seeds']:
                run_grid('fashion', ms, 0.6, [s_], HERE.parent/plan['runs'], protocol='mismatch', budget=100, iters=1200, classes=TOPS,
                         **dict(kw, csi_cache=HERE.parent/plan['runs']/'.csi'))
                record(g)
            continue
        elif g == 'openness':                                                 # the map's own cells (the 60% cell is the confirmation's runs)
            import tomllib
            plan = tomllib.loads(OPENNESS.read_text()); p_ = plan['plan']
            ms = a.methods.split(',') if a.methods else p_['methods']
            bad = [m for m in ms if m not in p_['methods']]
            if bad: raise SystemExit(f"method {bad[0]!r} is not registered in {OPENNESS.name}; the map runs only the plan's methods.")
            for cell in [c for c in plan['cells'] if 'from_runs' not in c]:
                known = tuple(p_['order'][:round(10 * cell['known'])])
                for s_ in cell['seeds']:
                    run_grid('fashion', ms, cell['known'], [s_], HERE.parent/p_['runs'], protocol='mismatch', budget=100, iters=1200, classes=known,
                             **dict(kw, csi_cache=HERE.parent/p_['runs']/'.csi'))
                    record(g)
            continue
        elif g == 'meeting':
            run_grid('fashion', ['lfosa', 'eoal', 'eaoa', 'mqnet-detector'], 0.6, seeds, HERE/'runs_fashion', **dict(kw, csi_cache=HERE/'runs_fashion'/'.csi'))
        else: raise SystemExit(f'unknown grid {g!r}')
        print(f'== {g} done in {time.perf_counter() - t0:.0f}s', flush=True)
        record(g, runs)
