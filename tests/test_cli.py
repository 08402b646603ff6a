"System tests of `mqnet_run`: the job end to end, determinism, kill-and-resume, and the table of bad inputs."
import os, re, subprocess, time
from pathlib import Path
import pandas as pd
from mqnet.experiments import run_dir
import pytest

RUN = ['mqnet_run', '--rounds', '3', '--seeds', '0']

def history(out, method, seed=0, dataset='digits', noise=0.4):
    h = pd.read_csv(run_dir(out, dataset, noise, method, seed)/'history.csv')
    return h.drop(columns=[c for c in h.columns if c.startswith('t_')])

def test_pool_summary(cli):
    rc, out, err = cli('mqnet_run', '--pool')
    assert rc == 0, err
    assert 'OpenSetData(digits, split: 4 IN classes' in out and 'noise 40.0%' in out and 'c_in=1, c_ood=1' in out

def test_help_is_grouped(cli):
    rc, out, err = cli('mqnet_run', '--help')
    assert rc == 0, err
    heads = [l.rstrip(':') for l in out.splitlines() if l and not l.startswith(' ') and l.endswith(':')]
    assert heads[-5:] == ['data', 'protocol', 'methods', 'engine', 'output'], heads
    body = out.split('options:')[1]                               # past the usage line
    assert body.index('--mismatch') > body.index('protocol:') > body.index('--dataset') and body.index('--jobs') > body.index('engine:')

def test_run_end_to_end_and_deterministic(cli, tmp_path):
    rc, out, err = cli(*RUN, '--methods', 'mqnet,conf,random', '--out', str(tmp_path/'a'))
    assert rc == 0, err
    assert 'test accuracy (%) by round' in out and 'final test accuracy (%)' in out and 'mean query IN ratio' in out
    assert '**' not in out and ' *' in out                        # plain text in the terminal: the best marked with *, no Markdown
    table = out.split('test accuracy (%) by round')[1].split('final test accuracy')[0]
    accs = [float(w) for line in table.splitlines()[3:] for w in line.split()[1:]]
    assert accs and all(0 <= a <= 100 for a in accs), table        # the per-round table is in %, as its title says
    res = pd.read_csv(tmp_path/'a'/'results.csv')
    assert sorted(res.method.unique()) == ['conf', 'mqnet', 'random'] and res['round'].max() == 3
    assert res.test_acc.between(0, 1).all()
    rc, _, err = cli(*RUN, '--methods', 'conf', '--out', str(tmp_path/'b'))
    assert rc == 0, err
    pd.testing.assert_frame_equal(history(tmp_path/'a', 'conf'), history(tmp_path/'b', 'conf'))   # same seed, same run

def test_default_command_twice(cli, tmp_path):
    "The README's quick start run twice in a fresh folder: both succeed, the second reuses the finished runs, every accuracy printed is a %."
    outs = []
    for _ in range(2):
        rc, out, err = cli('mqnet_run', cwd=tmp_path)
        assert rc == 0, err
        outs.append(out)
    assert 'reused 6 finished runs in runs' in outs[1] and 'reused' not in outs[0]
    assert '[1/6]' in outs[0] and '[1/6]' not in outs[1]
    for out in outs:
        table = out.split('test accuracy (%) by round')[1].split('final test accuracy')[0]
        final = out.split('final test accuracy (%)')[1].split('mean query IN ratio')[0]
        nums = [float(w) for line in table.splitlines()[3:] for w in line.split()[1:]]
        nums += [float(w.strip('*')) for w in re.findall(r'\*{0,2}\d+\.\d+(?= ±)', final)]
        assert len(nums) == 3 * 10 + 3 and all(0 <= a <= 100 for a in nums), out
        assert 'ends best' in out and 'mqnet_report runs' in out
    assert outs[0].split('final test accuracy')[1] == outs[1].split('final test accuracy')[1]    # the same results shown again
    assert (tmp_path/'runs'/'accuracy_digits.png').stat().st_size > 10_000

def test_resume_extends_and_fresh_restarts(cli, tmp_path):
    assert cli(*RUN, '--methods', 'random', '--out', str(tmp_path))[0] == 0
    rc, out, err = cli('mqnet_run', '--rounds', '4', '--seeds', '0', '--methods', 'random', '--out', str(tmp_path))
    assert rc == 0, err
    assert 'continuing 1 unfinished run' in out and len(history(tmp_path, 'random')) == 4
    rc, out, err = cli(*RUN, '--methods', 'random', '--budget', '6', '--fresh', '--out', str(tmp_path))
    assert rc == 0, err
    assert len(history(tmp_path, 'random')) == 3 and history(tmp_path, 'random').n_labeled_in.iloc[-1] > 0

def test_kill_and_resume_equals_uninterrupted(cli, cli_env, tmp_path):
    args = ['mqnet_run', '--methods', 'mqnet', '--seeds', '0', '--rounds', '5', '--quiet']
    assert cli(*args, '--out', str(tmp_path/'full'))[0] == 0
    p = subprocess.Popen([*args, '--out', str(tmp_path/'cut')], env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hist = tmp_path/'cut'/'digits'/'noise0.4'/'mqnet'/'seed0'/'history.csv'
    t0 = time.time()
    while time.time() - t0 < 600:
        if hist.exists() and len(pd.read_csv(hist)) >= 2: break
        time.sleep(0.2)
    p.kill(); p.wait()
    done = len(pd.read_csv(hist))
    assert 2 <= done < 5, f"the run was not cut in the middle ({done} rounds done)"
    rc, _, err = cli(*args, '--out', str(tmp_path/'cut'))           # the same command continues it
    assert rc == 0, err
    pd.testing.assert_frame_equal(history(tmp_path/'cut', 'mqnet'), history(tmp_path/'full', 'mqnet'))

BAD = [
    (['--dataset', 'mnist'], "dataset 'mnist' is unknown"),
    (['--methods', 'mqnet,sota'], "method 'sota' is unknown"),
    (['--noise', '1.5'], 'noise 1.5 is outside (0, 1)'),
    (['--noise', '0'], 'noise 0.0 is outside (0, 1)'),
    (['--budget', '0'], 'budget 0.0 must be a positive number'),
    (['--rounds', '0'], 'rounds 0 must be a positive integer'),
    (['--iters', '0'], 'iters 0 must be a positive number of training steps'),
    (['--jobs', '0'], 'jobs 0 must be a positive number of processes'),
    (['--threads', '0'], 'threads 0 must be a positive integer'),
    (['--csi-steps', '0'], 'csi_steps 0 must be a positive number of training steps (CSI trains once per pool)'),
    (['--c-ood', '4', '--seeds', '6'], 'holds IN examples of 1 class; a classifier needs two'),
    (['--c-ood', '0'], 'c_ood 0.0 must be a positive number'),
    (['--c_in', '-1'], 'c_in -1.0 must be a positive number'),
    (['--budget', '1', '--c-ood', '2'], 'budget 1.0 is smaller than the cost of one label (2)'),
    (['--seeds', 'a'], "seeds 'a' must be comma-separated integers"),
    (['--seeds', '-3'], 'seed -3 must be a non-negative integer'),
    (['--dataset', 'cifar10'], "dataset 'cifar10' needs root=DIR"),
    (['--dataset', 'cifar10', '--root', '/nonexistent'], 'holds no cifar10 data'),
    (['--dataset', 'imagenet', '--root', '/nonexistent'], 'has no train/ folder'),
    (['--dataset', 'fashion', '--root', '/nonexistent'], 'apt-get install dataset-fashion-mnist'),
    (['--methods', 'mqnet-randval', '--holdout', '0'], 'pass holdout= (CLI: --holdout N)'),
    (['--holdout', '-1'], 'holdout -1 must be a number of examples'),
    (['--mismatch', '1'], 'mismatch 1.0 is outside (0, 1); it is the share of the classes that are known'),
    (['--mismatch', '0'], 'mismatch 0.0 is outside (0, 1)'),
    (['--mismatch', '0.1'], "mismatch 0.1 makes 1 of digits's 10 classes known"),
    (['--noise', '0.4', '--mismatch', '0.4'], '--noise 0.4 and --mismatch 0.4 are two protocols; give one of them.'),
    (['--mismatch', '0.4', '--ood', 'patches'], 'it takes no ood source'),
    (['--mismatch', '0.4', '--classes', '1,2,12,3'], 'classes 12 is not a class of digits: use ids 0 to 9'),
    (['--mismatch', '0.4', '--classes', '1,2,3'], "classes [1, 2, 3] names 3 known classes but mismatch 0.4 makes 4."),
]

@pytest.mark.parametrize('args,msg', BAD, ids=[' '.join(a) for a, _ in BAD])
def test_bad_input_is_one_sentence_and_exit_2(cli, tmp_path, args, msg):
    rc, out, err = cli('mqnet_run', *args, '--out', str(tmp_path/'runs'), cwd=tmp_path)
    assert rc == 2, (out, err)
    assert msg in err
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []   # nothing written

def test_out_holding_another_run(cli, tmp_path):
    assert cli('mqnet_run', '--methods', 'random', '--seeds', '0', '--rounds', '1', '--out', str(tmp_path))[0] == 0
    before = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob('*') if p.is_file())
    rc, _, err = cli('mqnet_run', '--methods', 'random', '--seeds', '0', '--rounds', '1', '--budget', '7', '--out', str(tmp_path))
    assert rc == 2 and 'holds a different run (it differs in budget)' in err and 'Traceback' not in err
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob('*') if p.is_file()) == before     # nothing rewritten

def test_iters_and_parallel_jobs(cli, tmp_path):
    "--iters sets the classifier's steps (and is part of what identifies a run); --jobs 2 gives what one process gives, bit for bit."
    args = ['mqnet_run', '--methods', 'conf,random', '--seeds', '0', '--rounds', '2', '--quiet']
    assert cli(*args, '--iters', '30', '--jobs', '1', '--out', str(tmp_path/'one'))[0] == 0
    rc, _, err = cli(*args, '--iters', '30', '--jobs', '2', '--out', str(tmp_path/'two'))
    assert rc == 0, err
    for m in ('conf', 'random'):   # every run computes with its recorded thread count (1): the same floats in one process or in two
        pd.testing.assert_frame_equal(history(tmp_path/'one', m), history(tmp_path/'two', m))
    rc, _, err = cli(*args, '--iters', '40', '--out', str(tmp_path/'one'))
    assert rc == 2 and 'holds a different run (it differs in train)' in err
    rc, _, err = cli(*args, '--iters', '30', '--threads', '2', '--out', str(tmp_path/'one'))
    assert rc == 2 and 'holds a different run (it differs in threads)' in err

def test_damaged_checkpoint(cli, tmp_path):
    assert cli('mqnet_run', '--methods', 'random', '--seeds', '0', '--rounds', '1', '--out', str(tmp_path))[0] == 0
    state = tmp_path/'digits'/'noise0.4'/'random'/'seed0'/'state.pt'
    state.write_bytes(b'\x00garbage')
    rc, _, err = cli('mqnet_run', '--methods', 'random', '--seeds', '0', '--rounds', '2', '--out', str(tmp_path))
    assert rc == 2 and 'cannot be read' in err and 'it is damaged or not a file mqnet wrote' in err and 'Traceback' not in err
    assert state.read_bytes() == b'\x00garbage'                     # refused, never deleted

class Crafted:
    "What someone could hand you as a state.pt: unpickling it runs a shell command (here, one that writes a marker file)."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))

def test_crafted_checkpoint_runs_nothing(cli, tmp_path):
    "A state.pt that would run code when unpickled is refused in one sentence (exit 2) by every command that reads run folders; nothing runs, nothing is deleted."
    import torch
    from mqnet.core import safe_load
    runs = tmp_path/'runs'
    assert cli('mqnet_run', '--methods', 'mqnet,random', '--seeds', '0', '--rounds', '1', '--quiet', '--out', str(runs))[0] == 0
    state, marker = runs/'digits'/'noise0.4'/'mqnet'/'seed0'/'state.pt', tmp_path/'ran'
    sd = safe_load(state, ''); sd['strategy'] = {'x': Crafted(marker)}; torch.save(sd, state)
    crafted = state.read_bytes()
    for cmd in (['mqnet_run', '--methods', 'mqnet,random', '--seeds', '0', '--rounds', '2', '--out', str(runs)], ['mqnet_report', str(runs)]):
        rc, _, err = cli(*cmd)
        assert rc == 2, (cmd, err)
        assert 'holds objects other than tensors and plain data, so it was not loaded (loading it could run code)' in err and str(state) in err
        assert 'Traceback' not in err and len(err.strip().splitlines()) == 1
        assert not marker.exists() and state.read_bytes() == crafted      # nothing ran, nothing deleted
    assert not (runs/'report').exists()                                 # the report refused before writing anything

def test_report_writes_tables_and_figures(cli, tmp_path):
    assert cli('mqnet_run', '--methods', 'mqnet,random', '--seeds', '0', '--rounds', '2', '--quiet', '--out', str(tmp_path/'runs'))[0] == 0
    rc, out, err = cli('mqnet_report', str(tmp_path/'runs'))
    assert rc == 0, err
    rep = tmp_path/'runs'/'report'
    for f in ('table1_digits.md', 'table1_digits.csv', 'table8_digits_split_noise0.4.md', 'test_acc_digits.png', 'landscape_by_round.png'):
        assert (rep/f).exists(), f
    assert 'table1_digits' in out
    rc, _, err = cli('mqnet_report', str(tmp_path/'runs'/'results.csv'), '--out', str(tmp_path/'again'))
    assert rc == 0, err
    assert (tmp_path/'again'/'table1_digits.md').read_text() == (rep/'table1_digits.md').read_text()   # byte for byte

def test_unwritable_out_and_report_csv_missing_columns(cli, tmp_path):
    (tmp_path/'file').write_text('not a folder')
    rc, out, err = cli('mqnet_run', '--out', str(tmp_path/'file'/'runs'))
    assert rc == 2 and "--out" in err and "cannot be written:" in err and 'is a file' in err and 'Traceback' not in err and len(err.strip().splitlines()) == 1
    pd.DataFrame(dict(method=['conf'], seed=[0], test_acc=[.9])).to_csv(tmp_path/'res.csv', index=False)
    rc, out, err = cli('mqnet_report', str(tmp_path/'res.csv'), '--out', str(tmp_path/'rep'))
    assert rc == 2 and 'lacks the columns dataset, noise, round' in err and 'Traceback' not in err and not (tmp_path/'rep').exists()

def test_report_bad_input(cli, tmp_path):
    rc, _, err = cli('mqnet_report', str(tmp_path/'nothing'))
    assert rc == 2 and 'does not exist' in err and 'Traceback' not in err
    assert list(tmp_path.iterdir()) == []

RESULTS = Path(__file__).parent.parent/'bench'/'results'

@pytest.mark.parametrize('csv,report', [('experiments.csv', 'report'), ('experiments_long.csv', 'report_long')])
def test_report_reproduces_committed_tables(cli, tmp_path, csv, report):
    if not (RESULTS/csv).exists(): pytest.skip('no recorded benchmark')
    rc, _, err = cli('mqnet_report', str(RESULTS/csv), '--out', str(tmp_path), '--tables-only')     # the tables (the figures: test_report_writes_tables_and_figures)
    assert rc == 0, err
    assert not list(tmp_path.glob('*.png'))
    committed = sorted((RESULTS/report).glob('table*.md'))
    assert committed, 'no committed tables'
    for f in committed: assert (tmp_path/f.name).read_text() == f.read_text(), f.name

def write_fashion_idx(root, n=(200, 40)):
    "Tiny Fashion-MNIST idx files in the real format (gzip, as the Debian package ships them)."
    import gzip, numpy as np
    g = np.random.default_rng(0); root.mkdir(parents=True, exist_ok=True)
    for part, m in zip(('train', 't10k'), n):
        y = np.arange(m) % 10
        x = (g.integers(0, 60, (m, 28, 28)) + 19 * y[:, None, None]).astype(np.uint8)     # classes differ in brightness
        for kind, a in (('images-idx3', x), ('labels-idx1', y.astype(np.uint8))):
            head = bytes([0, 0, 0x08, a.ndim]) + np.asarray(a.shape, '>i4').tobytes()
            with gzip.open(root/f'{part}-{kind}-ubyte.gz', 'wb') as f: f.write(head + a.tobytes())

def test_fashion_runs_from_idx_files(cli, tmp_path):
    write_fashion_idx(tmp_path/'fashion')
    rc, out, err = cli('mqnet_run', '--dataset', 'fashion', '--root', str(tmp_path/'fashion'), '--methods', 'conf,random', '--seeds', '0',
                       '--rounds', '2', '--budget', '10', '--holdout', '10', '--iters', '20', '--out', str(tmp_path/'runs'))
    assert rc == 0, err
    assert 'final test accuracy (%)' in out and 'fashion' in out
    res = pd.read_csv(tmp_path/'runs'/'results.csv')
    assert set(res.dataset) == {'fashion'} and res.val_acc.notna().all() and res.classes_labeled.between(1, 4).all()

def test_open_set_methods(cli, tmp_path):
    "The detector methods from the shell under the mismatch protocol, beside MQ-Net: each runs, and the comparison names them all."
    rc, out, err = cli('mqnet_run', '--dataset', 'digits', '--mismatch', '0.4', '--methods', 'lfosa,eoal,eaoa,mqnet', '--seeds', '0', '--rounds', '2',
                       '--iters', '100', '--csi-steps', '30', '--out', str(tmp_path))   # short training: each method runs, the numbers are not the test's
    assert rc == 0, err
    table = out.split('final test accuracy')[1]
    assert all(m in table for m in ('lfosa', 'eoal', 'eaoa', 'mqnet'))
    for m in ('lfosa', 'eoal', 'eaoa'):
        h = pd.read_csv(tmp_path/'digits'/'mismatch0.4'/m/'seed0'/'history.csv')
        assert len(h) == 2 and h.n_labeled_ood.iloc[0] == 0 and h.in_recall.between(0, 1).all()

def test_mismatch_protocol(cli, tmp_path):
    "The mismatch protocol from the shell: known-class initial sets, the comparison, precision and recall."
    rc, out, err = cli('mqnet_run', '--mismatch', '0.4', '--methods', 'conf,random', '--seeds', '0', '--rounds', '2', '--out', str(tmp_path))
    assert rc == 0, err
    assert 'test accuracy (%) by round, digits, mismatch 0.4' in out and 'mismatch 40%' in out and 'recall of the IN examples at the end' in out
    assert 'digits at mismatch 40% (1 seed, 2 rounds)' in out
    h = pd.read_csv(tmp_path/'digits'/'mismatch0.4'/'conf'/'seed0'/'history.csv')
    assert h.n_labeled_ood.iloc[0] == 0 and (h.mismatch == 0.4).all() and h.in_recall.between(0, 1).all()
    rc, out, err = cli('mqnet_run', '--mismatch', '0.4', '--pool')
    assert rc == 0 and 'mismatch 40%' in out, err
    rc, out, err = cli('mqnet_run', '--mismatch', '0.4', '--classes', '7,1,2,3', '--pool')
    assert rc == 0 and 'IN classes (source ids): [1, 2, 3, 7]' in out, err
