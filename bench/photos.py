"""`mqnet_label` on photos on a CPU (bench/README.md).

1. `--presets`: the classifier preset of a person's folder on a CPU decided by the quality rule (`mqnet.tables.quality_rule`), on
   validation data only. A photo-like benchmark: per seed, 2,000 Fashion-MNIST training images coloured at random (`tint`) at 32 px, 4
   classes IN and 40% noise (`from_arrays`), 200 labeled examples held out of the pool; `mqnet`, 5 rounds of 2% of the pool, CSI with the
   `fashion` preset (shared by both arms of a seed). The `photos` preset (50 passes over the labels, 200 to 1,200 steps a round) against
   the fixed 1,200 steps of the `fashion` preset; validation accuracy and purity AUROC after the last round and over the rounds, paired on
   the seed. No test accuracy is written or printed. Writes photos_presets_val.csv and photos_presets_rule.csv.
2. `--time`: 1,000 photos (`write_photo_folder` from Fashion-MNIST: mixed sizes, colour and grey, JPEG and PNG, nested folders, one
   cut-short JPEG, one text file), `mqnet_label` with the default settings, answered from the truth: the first call and each later round,
   wall seconds and peak memory (the process's VmHWM), as a user runs it (a fresh process a call, both cores); then the same with
   `--features` (512-number embeddings in a CSV). Writes photos_time.csv.

    python bench/photos.py --presets [--seeds 0,...,9]
    python bench/photos.py --time [--rounds 3]
"""
import argparse, os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

HERE = Path(__file__).resolve().parent/'results'

def photo_data(seed:int, n:int=2000, holdout:int=200, side:int=32):
    "The photo-like pool of `seed`: `n` tinted Fashion-MNIST training images at `side` px (and 500 test images, never read here)."
    import torch, torch.nn.functional as F
    from mqnet.data import load_source, from_arrays
    from mqnet.label import tint
    tr, te = load_source('fashion', True), load_source('fashion', False)
    g = np.random.default_rng(seed); i, j = g.choice(len(tr.y), n, replace=False), g.choice(len(te.y), 500, replace=False)
    up = lambda x, s: F.interpolate(torch.as_tensor(tint(x, s)).float(), size=(side, side), mode='bilinear', align_corners=False).round().clamp(0, 255).to(torch.uint8).numpy()
    return from_arrays(up(tr.get(i), seed), tr.y[i], up(te.get(j), seed + 10**6), te.y[j], n_in=4, noise=0.4, seed=seed, name='photos', holdout=holdout)

def _preset_run(args):
    seed, cache = args
    import torch
    from dataclasses import replace
    from mqnet.learner import TrainConfig
    from mqnet.csi import CSIConfig
    from mqnet.loop import ActiveLearning, default_budget
    torch.set_num_threads(1)
    data = photo_data(seed); out = []
    for name, cfg in (('photos', TrainConfig.preset('photos')), ('fixed 1200', replace(TrainConfig.preset('photos'), epochs=None))):
        t = time.perf_counter()
        al = ActiveLearning(data, 'mqnet', rounds=5, budget=default_budget(data), train=cfg, seed=seed, csi=CSIConfig.preset('fashion'), csi_cache=cache, progress=False)
        out.append(al.run().drop(columns=['test_acc', 'test_acc_per_class'], errors='ignore').assign(seed=seed, preset=name, seconds=time.perf_counter() - t))
    return pd.concat(out, ignore_index=True)

def presets(seeds):
    "The quality rule on the photo-like benchmark: `photos` (shorter) against fixed 1,200 steps (longer)."
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp
    from mqnet.tables import quality_rule
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(os.cpu_count(), mp_context=mp.get_context('spawn')) as ex:
        df = pd.concat(ex.map(_preset_run, [(s, f'{tmp}/csi{s}') for s in seeds]), ignore_index=True)
    df.to_csv(HERE/'photos_presets_val.csv', index=False)
    by = lambda p: df[df.preset == p].sort_values(['seed', 'round'])
    last = lambda r, f: r[r['round'] == r['round'].max()].set_index('seed')[f]
    mean = lambda r, f: r.groupby('seed')[f].mean()
    diffs = {f'{what} ({how})': 100 * (of(by('photos'), f) - of(by('fixed 1200'), f)) for f, what in (('val_acc', 'validation accuracy'), ('purity_auroc', 'purity AUROC x100'))
             for how, of in (('last round', last), ('mean over rounds', mean))}
    rule = quality_rule(diffs).assign(shorter='photos', longer='fixed 1200', seeds=','.join(map(str, seeds)))
    rule.to_csv(HERE/'photos_presets_rule.csv', index=False)
    print(rule.drop(columns=['seeds']).round(3).to_string(index=False))
    print(df.groupby('preset').seconds.median().round(1).to_string())
    print(f"the quality rule {'takes' if rule.holds.all() else 'does not take'} the photos preset over fixed 1,200 steps ({len(seeds)} seeds)")

CLASSES = ('T-shirt', 'Trouser', 'Pullover', 'Dress')   # the IN classes of the timed folder: Fashion-MNIST's 0-3; the other six are what a person marks ood

def _call(cmd) -> tuple:
    "(seconds, peak MB, stdout) of one command in a fresh process, its peak memory its VmHWM (the kernel's high-water mark)."
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(r.stdout + r.stderr, file=sys.stderr); print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    r = subprocess.run([sys.executable, '-c', probe, *map(str, cmd)], capture_output=True, text=True, check=True)
    secs, mb = map(float, r.stdout.split()); return secs, mb, r.stderr

def _answer(run:Path, r:int, truth:dict):
    q = run/f'query_{r:03d}.csv'; df = pd.read_csv(q, keep_default_na=False)
    df['label'] = [CLASSES[truth[p]] if truth[p] < len(CLASSES) else 'ood' for p in df.path]; df.to_csv(q, index=False)

def timing(rounds:int=3, n:int=1000):
    "The first call and `rounds` later rounds of `mqnet_label` on `n` photos, with the default settings, then with --features and --backbone."
    import torch, torchvision
    from mqnet.data import load_source
    from mqnet.label import write_photo_folder, find_images, image_features
    from mqnet.core import torch_threads
    tr = load_source('fashion', True); i = np.random.default_rng(0).choice(len(tr.y), n, replace=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); truth = write_photo_folder(tmp/'imgs', tr.get(i), tr.y[i], seed=0)
        first = [p for c in range(len(CLASSES)) for p in [p for p in sorted(truth) if truth[p] == c][:4]] + [p for p in sorted(truth) if truth[p] >= len(CLASSES)][:4]
        pd.DataFrame({'path': first, 'label': [CLASSES[truth[p]] if truth[p] < len(CLASSES) else 'ood' for p in first]}).to_csv(tmp/'start.csv', index=False)
        torch.save(torchvision.models.resnet18().state_dict(), tmp/'r18.pth')   # weights of the right shape; timing does not depend on their values
        t = time.perf_counter()
        with torch_threads(os.cpu_count()): z = image_features(tmp/'imgs', sorted(truth), 'torchvision:resnet18', tmp/'r18.pth')
        t_feat = time.perf_counter() - t
        pd.DataFrame(z, index=pd.Index(sorted(truth), name='path')).to_csv(tmp/'feats.csv')
        for setting, extra in (('default', []), ('--features (512 numbers an image)', ['--features', tmp/'feats.csv']),
                               ('--backbone torchvision:resnet18', ['--backbone', 'torchvision:resnet18', '--weights', tmp/'r18.pth'])):
            run = tmp/f'run{len(rows)}'; cmd = ['mqnet_label', '--images', tmp/'imgs', '--labels', tmp/'start.csv', '--out', run, *extra]
            for r in range(rounds + 1):
                secs, mb, said = _call(cmd)
                rows.append(dict(setting=setting, call='first' if r == 0 else f'round {r + 1}', seconds=round(secs, 1), peak_mb=round(mb), images=len(find_images(tmp/'imgs')),
                                 plan=next((l for l in said.splitlines() if l.startswith('mqnet_label:')), ''), cpu=_cpu(), cores=os.cpu_count()))
                print(rows[-1], flush=True)
                _answer(run, r + 1, truth)
    df = pd.DataFrame(rows).assign(features_seconds=round(t_feat, 1)); df.to_csv(HERE/'photos_time.csv', index=False)
    print(df.drop(columns=['plan', 'cpu']).to_string(index=False))

def _cpu() -> str:
    try: return next(l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name'))
    except Exception: return ''

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--presets', action='store_true'); p.add_argument('--time', action='store_true')
    p.add_argument('--seeds', default='0,1,2,3,4,5,6,7,8,9'); p.add_argument('--rounds', type=int, default=3); a = p.parse_args()
    if a.presets: presets([int(s) for s in a.seeds.split(',')])
    if a.time: timing(a.rounds)
