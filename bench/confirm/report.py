"""The registered confirmation's verdicts: reads bench/confirm/plan.toml and the runs it registered, and tests only its claims.

    python bench/confirm/report.py [--plan bench/confirm/plan.toml] [--claims "a>b,c>d"]

Each claim "a above b" on the plan's fresh seeds, on final accuracy and on AULC (test accuracy ×100, paired on the seed): the mean
difference, its 95% Student-t interval, the two-sided p, the Holm-adjusted p over the whole registered family, and the verdict:
"above", "below" or "no difference detected (smallest detectable: x points)". A claim the plan does not register is refused.
Writes bench/results/confirm_verdicts.csv and prints the table; claims whose methods lack some of the plan's seeds say how many.
"""
import argparse, sys
from pathlib import Path
import pandas as pd
from mqnet.core import atomic_write
from mqnet.tables import read_plan, registered_verdicts

ROOT = Path(__file__).resolve().parents[2]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--plan', default=str(ROOT/'bench'/'confirm'/'plan.toml'))
    p.add_argument('--claims', default=None, help='only these registered claims, "a>b" comma-separated')
    a = p.parse_args(argv)
    try:
        plan = read_plan(a.plan)
        claims = [tuple(c.split('>')) for c in a.claims.split(',')] if a.claims else None
        res = ROOT/plan['plan']['results']                            # complete runs only (bench/experiments.py records them)
        if not res.exists(): raise ValueError(f"no runs of plan {plan['name']} are recorded yet: run python bench/experiments.py --grids confirm.")
        df = pd.read_csv(res)
        v = registered_verdicts(df, plan, claims)
    except ValueError as e:
        print(e, file=sys.stderr); raise SystemExit(2)
    atomic_write(ROOT/'bench'/'results'/'confirm_verdicts.csv', v.to_csv(index=False))
    show = v.assign(interval=[f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]" for m, lo, hi in zip(v['mean'], v.lo, v.hi)])
    print(show[['claim', 'measure', 'seeds', 'interval', 'p', 'p_holm', 'verdict']].round(4).to_string(index=False))

if __name__ == '__main__':
    main()
