"System tests of `mqnet_label` on a folder of ordinary photos (mixed sizes, colour and grey, JPEG and PNG, nested folders, a cut-short JPEG, a text file), with the default settings on a CPU."
import re, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd
import pytest, torch
from sklearn.datasets import load_digits
from mqnet.label import write_photo_folder

NAMES = ('zero', 'one', 'two', 'three')
PEAK_MB = 2048          # the bound of a person's laptop
MAX_STEPS = 1200        # the most steps a CPU preset may plan for a call on this folder

@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    "120 digits upscaled to 16 px and written as photos; the IN classes are the digits 0-3; the start labels: 3 of each and 4 ood."
    root = tmp_path_factory.mktemp('photos'); d = load_digits()
    x = (np.kron(d.images[:120], np.ones((2, 2))) * 255 / 16).astype(np.uint8)[:, None]
    truth = write_photo_folder(root/'imgs', x, d.target[:120])
    first = [p for c in range(4) for p in [p for p in sorted(truth) if truth[p] == c][:3]] + [p for p in sorted(truth) if truth[p] >= 4][:4]
    pd.DataFrame({'path': first, 'label': [NAMES[truth[p]] if truth[p] < 4 else 'ood' for p in first]}).to_csv(root/'start.csv', index=False)
    return root, truth

def answer(q, truth):
    df = pd.read_csv(q, keep_default_na=False); df['label'] = [NAMES[truth[p]] if truth[p] < 4 else 'ood' for p in df.path]; df.to_csv(q, index=False)

def measured(cmd, env):
    "(returncode, stdout, stderr, peak MB) of `cmd` in a fresh process: a real start, so that its peak memory (VmHWM) is its own."
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr); print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); sys.exit(r.returncode)")
    r = subprocess.run([sys.executable, '-c', probe, *map(str, cmd)], capture_output=True, text=True, env=env, timeout=900)
    out, peak = r.stdout.rsplit('PEAK ', 1)
    return r.returncode, out, r.stderr, float(peak)

def planned_steps(out) -> list:
    "The step counts the plan line names."
    line = next(l for l in out.splitlines() if l.startswith('mqnet_label: '))
    return [int(n.replace(',', '')) for n in re.findall(r'(\d[\d,]*) steps', line)]

@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU presets')
def test_photos_first_call_and_second_round(photos, cli_env, tmp_path):
    root, truth = photos; run = tmp_path/'run'
    cmd = ['mqnet_label', '--images', root/'imgs', '--labels', root/'start.csv', '--out', run]
    rc, out, err, peak = measured(cmd, cli_env)
    assert rc == 0, err
    assert 'fast_cnn at 32 px on the CPU' in out and 'this call about' in out
    steps = planned_steps(out); assert len(steps) == 2 and max(steps) <= MAX_STEPS   # CSI once, then the classifier's steps a round
    assert 'trip0/IMG_cut.jpg (damaged or cut short' in out and 'trip1/notes.txt' in out   # the bad files named, and left out
    assert peak < PEAK_MB, f'first call peaked at {peak:.0f} MB'
    q = pd.read_csv(run/'query_001.csv'); assert len(q) >= 10 and 'trip0/IMG_cut.jpg' not in set(q.path)
    answer(run/'query_001.csv', truth)
    rc, out, err, peak = measured(cmd, cli_env)
    assert rc == 0, err
    steps = planned_steps(out); assert len(steps) == 1 and steps[0] <= MAX_STEPS     # CSI is cached: the classifier only
    assert peak < PEAK_MB, f'second round peaked at {peak:.0f} MB'
    assert (run/'query_002.csv').exists() and len(pd.read_csv(run/'history.csv')) == 1

def test_photos_with_features_and_a_saved_backbone(photos, cli, tmp_path):
    import torchvision
    root, truth = photos
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path/'r18.pth')           # the test's own weights: nothing is downloaded
    cmd = ['mqnet_label', '--images', root/'imgs', '--labels', root/'start.csv', '--out', tmp_path/'run', '--backbone', 'torchvision:resnet18', '--weights', tmp_path/'r18.pth']
    rc, out, err = cli(*map(str, cmd))
    assert rc == 0, err
    assert 'mlp on 512-number features' in out and (tmp_path/'run'/'features.npz').exists()
    answer(tmp_path/'run'/'query_001.csv', truth)
    rc, out, err = cli(*map(str, cmd)); assert rc == 0, err; assert (tmp_path/'run'/'query_002.csv').exists()
    rc, out, err = cli("mqnet_label", "--images", str(root/"imgs"), "--labels", str(root/"start.csv"), "--out", str(tmp_path/"run2"), "--features", str(tmp_path/"none.npy"))
    assert rc == 2 and "features file" in err and 'does not exist' in err and not (tmp_path/'run2').exists()
    rc, out, err = cli('mqnet_label', '--images', str(root/'imgs'), '--labels', str(root/'start.csv'), '--out', str(tmp_path/'run3'), '--backbone', 'torchvision:resnet18',
                       '--weights', str(tmp_path/'missing.pth'))
    assert rc == 2 and 'mqnet never downloads them' in err and 'Traceback' not in err and not (tmp_path/'run3').exists()
