"""Re-run recorded runs and compare their histories with the committed ones, field by field.

    python bench/reproduce.py [--runs bench/runs/digits/noise0.4/mqnet/seed0 ...]

Each run computes with the thread count recorded among its settings (`threads`, 1 for every recorded run),
whatever the environment says; bit-for-bit equality holds on the same kind of CPU (another CPU changes
float sums, and with them the queries). The CSI embeddings are retrained into a temporary cache, so the
check covers them too.
Prints one line per run and exits 1 if any recorded field (timings aside) differs.
"""
import argparse, sys, tempfile, warnings
from pathlib import Path
import pandas as pd
from mqnet.loop import ActiveLearning

HERE = Path(__file__).parent
DEFAULT = ['runs/digits/noise0.4/mqnet/seed0', 'runs/digits/noise0.6/mqnet/seed1', 'runs/digits+patches/noise0.4/mqnet/seed0']

def reproduce(run:Path, cache) -> list:
    "Fields of `run`'s recorded history that a fresh run of the same config does not reproduce."
    rec = pd.read_csv(run/'history.csv')
    with tempfile.TemporaryDirectory() as tmp:
        al = ActiveLearning.resume(run, csi_cache=cache, progress=False)       # the data and settings of the recorded run
        fresh = ActiveLearning(al.data, al.strategy.name, rounds=len(rec), budget=al.budget, c_in=al.pool.c_in, c_ood=al.pool.c_ood,
                               seed=al.seed, train=al.train, csi=al.csi_cfg, out=Path(tmp)/'run', csi_cache=cache, progress=False, initial=al.initial, threads=al.threads).run()
    cols = [c for c in rec.columns if not c.startswith('t_') and c in fresh]
    return [c for c in cols if not (fresh[c].astype(str).values == rec[c].astype(str).values).all()]

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    p = argparse.ArgumentParser(); p.add_argument('--runs', nargs='*', default=[str(HERE/r) for r in DEFAULT]); a = p.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as cache:
        for r in map(Path, a.runs):
            diff = reproduce(r, cache); bad += bool(diff)
            print(f"{r}: {'reproduced' if not diff else 'differs in ' + ', '.join(diff)}", flush=True)
    sys.exit(1 if bad else 0)
