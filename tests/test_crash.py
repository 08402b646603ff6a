"""A call killed at any file write is continued by the same command to the very files an uncut call writes.

Every file mqnet writes goes through `mqnet.core.atomic_write` (a temporary file, then a rename). The launcher below runs
a console script with that function wrapped: at the N-th write it writes half of the temporary file and exits at once
(`os._exit`, as SIGKILL would leave it: no clean-up, no flush of anything else). For every N of an uncut call's writes,
the test cuts a fresh call there, runs the same command again, and compares every file a person or a report reads.
"""
import os, shutil
from pathlib import Path
import pandas as pd, pytest
from test_label import answer, folder, initial_labels, _cmd          # noqa: F401 (folder is a fixture)

LAUNCH = r'''
import atexit, os, sys
from importlib import import_module
import mqnet.core as core
script, cut_at, count_file = sys.argv[1], int(os.environ['MQNET_CUT_AT']), os.environ['MQNET_CUT_COUNT']
mod, fn = {'mqnet_run': ('mqnet.cli', 'mqnet_run_main'), 'mqnet_label': ('mqnet.serve', 'mqnet_label_main')}[script]
main, real, n = getattr(import_module(mod), fn), core.atomic_write, [0]
def write(path, data):
    n[0] += 1
    if n[0] == cut_at:                                     # killed in the middle of this write: half a temporary file, no rename
        tmp = os.path.join(os.path.dirname(path), f'.{os.path.basename(path)}.cut.tmp'); os.makedirs(os.path.dirname(tmp), exist_ok=True)
        open(tmp, 'wb').write((data.encode() if isinstance(data, str) else data)[:len(data) // 2]); os._exit(137)
    real(path, data)
for m in [m for name, m in list(sys.modules.items()) if name.startswith('mqnet')]:
    if getattr(m, 'atomic_write', None) is real: m.atomic_write = write
atexit.register(lambda: open(count_file, 'w').write(str(n[0])))
sys.argv = [script, *sys.argv[2:]]
sys.exit(main())
'''

def launch(fs, cmd, env, cut_at, tmp_path):
    "Run the console script `cmd` as `python -c LAUNCH cmd...` (in a process forked from the fork server `fs`) with its `cut_at`-th file write cut (0: none); (return code, writes made, stderr)."
    count = tmp_path/'writes'; count.unlink(missing_ok=True)
    rc, _, err = fs.run(['-c', *cmd], dict(env, MQNET_CUT_AT=str(cut_at), MQNET_CUT_COUNT=str(count)), timeout=600, code=LAUNCH)
    return rc, int(count.read_text()) if count.exists() else None, err

def views(run:Path) -> dict:
    "What a person or a report reads from `run`: every CSV (timings aside) and query image, by relative path."
    out = {}
    for p in sorted(run.rglob('*')):
        if not p.is_file() or p.name.startswith('.') or p.suffix not in ('.csv', '.png'): continue
        if p.suffix == '.png': out[str(p.relative_to(run))] = p.read_bytes(); continue
        df = pd.read_csv(p)
        out[str(p.relative_to(run))] = df.drop(columns=[c for c in df.columns if c.startswith('t_') or c == 'seconds']).to_csv(index=False)
    return out

def stray(run:Path) -> list: return sorted(str(p.relative_to(run)) for p in run.rglob('.*.tmp'))

RUN = ['mqnet_run', '--methods', 'mqnet', '--seeds', '0', '--rounds', '2', '--iters', '60', '--csi-steps', '30', '--jobs', '1', '--quiet']

def test_mqnet_run_killed_at_every_write(forkserver, cli_env, tmp_path):
    "mqnet_run cut at each of its file writes (CSI cache, checkpoints, histories, results): the same command ends with the uncut run's files."
    env = dict(cli_env, MQNET_CACHE=str(tmp_path/'cache-full'))
    rc, n, err = launch(forkserver, [*RUN, '--out', str(tmp_path/'full')], env, 0, tmp_path)
    assert rc == 0 and n >= 8, err
    want = views(tmp_path/'full')
    assert {'results.csv', 'digits/noise0.4/mqnet/seed0/history.csv'} <= set(want)
    for k in range(1, n + 1):
        out, cache = tmp_path/f'cut{k}', tmp_path/f'cache{k}'        # a fresh CSI cache, so that its write is cut too
        rc, _, err = launch(forkserver, [*RUN, '--out', str(out)], dict(env, MQNET_CACHE=str(cache)), k, tmp_path)
        assert rc == 137, (k, err)
        rc, _, err = launch(forkserver, [*RUN, '--out', str(out)], dict(env, MQNET_CACHE=str(cache)), 0, tmp_path)
        assert rc == 0, (k, err)
        assert views(out) == want, f"cut at write {k} of {n}: the re-run's files differ from the uncut run's"
        assert stray(out) == [], (k, stray(out))

@pytest.mark.parametrize('cut_call', [0, 1])
def test_mqnet_label_killed_at_every_write(forkserver, cli_env, folder, tmp_path, cut_call):
    "Each mqnet_label call of a session (the first labels, then one round of answers) cut at each of its writes, then called again: the session ends with the uncut session's files."
    root, truth = folder
    initial_labels(root, truth)
    def call(run, i, cut_at=0):
        "Call `i` of a session in `run` (0: the first labels; 1: after answers from the truth), cut at write `cut_at` and then made again; its writes."
        if i: answer(run/f'query_{i:03d}.csv', truth)
        if cut_at:
            rc, _, err = launch(forkserver, _cmd(root, run), cli_env, cut_at, tmp_path)
            assert rc == 137, (i, cut_at, err)
        rc, n, err = launch(forkserver, _cmd(root, run), cli_env, 0, tmp_path)
        assert rc == 0, (i, cut_at, err)
        return n
    full, first = tmp_path/'full', tmp_path/'first'
    writes = [call(full, 0)]
    shutil.copytree(full, first)                                     # the uncut first call's folder: where a cut second call starts
    writes.append(call(full, 1))
    want = views(full)
    assert {'labels.csv', 'history.csv', 'query_001.csv', 'query_001.png', 'query_002.csv', 'query_002.png'} <= set(want)
    assert len(pd.read_csv(full/'history.csv')) == 1 and min(writes) >= 5
    for k in range(1, writes[cut_call] + 1):
        run = tmp_path/f'cut{cut_call}-{k}'
        if cut_call == 0: call(run, 0, k); call(run, 1)
        else: shutil.copytree(first, run); call(run, 1, k)
        assert views(run) == want, f"call {cut_call} cut at write {k} of {writes[cut_call]}: the session's files differ from the uncut session's"
        assert stray(run) == [], (cut_call, k, stray(run))

def test_views_rebuilt_from_the_checkpoint(cli, tmp_path):
    "history.csv truncated, emptied, deleted or edited by hand: the next mqnet_run rewrites it from the checkpoint, says so in one line, and reports the true numbers."
    args = ['mqnet_run', '--methods', 'conf', '--seeds', '0', '--rounds', '2', '--iters', '60', '--out', str(tmp_path)]
    assert cli(*args)[0] == 0
    hist = tmp_path/'digits'/'noise0.4'/'conf'/'seed0'/'history.csv'
    full, results = hist.read_text(), pd.read_csv(tmp_path/'results.csv')
    edits = {'truncated': lambda: hist.write_text(full.splitlines()[0] + '\n' + full.splitlines()[1] + '\n'),
             'emptied': lambda: hist.write_text(''), 'deleted': hist.unlink,
             'edited': lambda: pd.read_csv(hist).assign(test_acc=0.99).to_csv(hist, index=False)}     # an accuracy set by hand
    for name, edit in edits.items():
        edit(); assert hist.read_text() != full if hist.exists() else True, name
        rc, out, err = cli(*args)
        assert rc == 0, (name, err)
        assert f"{hist}" in out and 'rewritten from the checkpoint' in out and out.count('rewritten from the checkpoint') == 1, (name, out)
        assert hist.read_text() == full, name
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path/'results.csv').drop(columns=[c for c in results if c.startswith('t_')]),
                                      results.drop(columns=[c for c in results if c.startswith('t_')]))
