"""The contact sheet of a 500-image query: seconds (median of 5) and PNG bytes, appended to results/label_sheet.csv.

    python bench/label.py [--tag NAME]     # NAME labels the implementation measured (default: the installed mqnet's version)

Measured with one thread, on 500 random 28x28 grey images (a Fashion-sized query at the largest budget people use).
"""
import argparse, platform, statistics, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch
import mqnet
from mqnet.label import contact_sheet

HERE = Path(__file__).parent

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--tag', default=f'mqnet {mqnet.__version__}'); p.add_argument('--n', type=int, default=500)
    a = p.parse_args(); torch.set_num_threads(1)
    x = np.random.default_rng(0).integers(0, 256, (a.n, 1, 28, 28), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        contact_sheet(x[:10], Path(tmp)/'warm.png')
        secs = []
        for _ in range(5):
            t = time.perf_counter(); out = contact_sheet(x, Path(tmp)/'sheet.png', f'query 1: {a.n} images'); secs.append(time.perf_counter() - t)
        size = Path(out).stat().st_size
    row = dict(implementation=a.tag, images=a.n, seconds=round(statistics.median(secs), 3), bytes=size, threads=1,
               cpu=platform.processor() or platform.machine(), torch=torch.__version__)
    csv = HERE/'results'/'label_sheet.csv'
    res = pd.concat([pd.read_csv(csv), pd.DataFrame([row])]) if csv.exists() else pd.DataFrame([row])
    res.to_csv(csv, index=False); print(row)
