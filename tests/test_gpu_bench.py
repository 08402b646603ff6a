"`bench/gpu.py` runs its GPU code paths on the CPU (tiny sizes): the classifier in bf16 and fp32, CSI, a round of each of Table 1's methods, the estimates."
import subprocess, sys
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

def test_gpu_benchmark_runs_on_a_cpu(cli_env, tmp_path):
    p = subprocess.run([sys.executable, str(ROOT/'bench'/'gpu.py'), '--device', 'cpu', '--quick', '--out', str(tmp_path)],
                       capture_output=True, text=True, env=cli_env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    df = pd.read_csv(next(tmp_path.glob('gpu_*_quick.csv')))
    assert set(df[df.kind == 'classifier'].what) == {'resnet18 bs64 bf16', 'resnet18 bs64 fp32'}
    assert df[df.kind == 'round'].what.tolist() == ['random', 'conf', 'coreset', 'll', 'badge', 'ccal', 'similar', 'mqnet']
    est = df[df.kind == 'estimate']
    assert len(est) == 3 and (est.hours > 0).all() and (df[df.kind != 'estimate'].seconds > 0).all()
