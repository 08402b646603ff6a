"System tests of `mqnet_label`: a person's query → answer → continue workflow, answered from the truth, against the simulated run."
import os
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from mqnet.data import Pool, OOD
from mqnet.label import write_digits_folder, label_task, label_presets, label_threads
from mqnet.loop import ActiveLearning

NAMES = {0: 'zero', 1: 'one', 2: 'two', 3: 'three'}
FAST = ['--iters', '60', '--csi_steps', '30']

def write_csv(path, rows): Path(path).write_text('path,label\n' + ''.join(f'{p},{l}\n' for p, l in rows))

def answer(q, truth, keep=None):
    "Fill the label column of the query file `q` from the truth (only its first `keep` rows when given)."
    df = pd.read_csv(q, keep_default_na=False)
    df['label'] = [NAMES.get(truth[p], 'ood') if keep is None or i < keep else '' for i, p in enumerate(df.path)]
    df.to_csv(q, index=False)
    return df

@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    "300 digits PNGs (16 px) under two levels of folders; the IN classes are the digits 0-3; the truth by path."
    root = tmp_path_factory.mktemp('label')
    return root, write_digits_folder(root/'images', n=300)

def initial_labels(root, truth, budget=40, seed=0):
    "The initial set the simulated run draws (uniformly, by `seed`), written as the person's labels file; the data with the truth."
    write_csv(root/'classes.csv', [(next(p for p in sorted(truth) if truth[p] == c), n) for c, n in NAMES.items()])
    task = label_task(root/'images', root/'classes.csv')
    names = dict(zip(task.classes, range(len(task.classes))))
    y = np.array([names.get(NAMES.get(truth[p], 'ood'), OOD) for p in task.paths], np.int64)
    sim = replace(task.data, y=y)
    idx = Pool(sim).initial(budget, seed)
    assert len(set(y[idx][y[idx] >= 0])) == 4                      # the initial set names all four IN classes
    write_csv(root/'start.csv', [(task.paths[i], NAMES.get(truth[task.paths[i]], 'ood')) for i in idx])
    return sim

def test_answered_from_truth_is_the_simulated_run(cli, folder):
    root, truth = folder
    sim_data = initial_labels(root, truth)
    run = root/'run'
    cmd = ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), '--out', str(run), '--budget', '10', *FAST]
    rc, out, err = cli(*cmd)
    assert rc == 0, err
    assert 'label the 10 images in' in out and 'one of one, three, two, zero, or ood' in out and 'mqnet_label --images' in out
    assert (run/'query_001.png').stat().st_size > 1000
    for r in (1, 2):
        answer(run/f'query_{r:03d}.csv', truth)
        rc, out, err = cli(*cmd)
        assert rc == 0, err
    assert (run/'query_003.csv').exists() and len(pd.read_csv(run/'query_003.csv')) == 10
    labels = pd.read_csv(run/'labels.csv')
    assert len(labels) == 40 + 10 + 10 and labels.path.is_unique
    assert set(pd.read_csv(root/'start.csv').path) <= set(labels.path)
    hist = pd.read_csv(run/'history.csv')
    assert hist['round'].tolist() == [1, 2] and hist.purity_auroc.isna().all() and hist.in_recall.isna().all()   # no truth of the pool: no AUROC, no recall
    train, csi = label_presets(sim_data, 60, 30)
    sim = ActiveLearning(sim_data, 'mqnet', rounds=2, budget=10, initial=40, train=train, csi=csi, csi_cache=run/'csi', progress=False, threads=label_threads()).run()
    cols = [c for c in hist.columns if not c.startswith('t_') and c not in ('purity_auroc', 'in_recall')]
    pd.testing.assert_frame_equal(hist[cols], sim[cols].astype(hist[cols].dtypes.to_dict()))
    rc, out, err = cli('mqnet_label', '--out', str(run), '--status')
    assert rc == 0 and 'n_labeled_in' in out and 'waiting for:' in out and 'query_003.csv (0 of 10 rows labeled)' in out

def test_partial_answers_and_answers_beyond_the_budget(cli, folder, tmp_path):
    "Rows left empty stay unlabeled; answers the budget cannot buy are kept (prefilled in the next query, charged first), never dropped."
    root, truth = folder
    initial_labels(root, truth)
    cmd = ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), '--out', str(tmp_path), '--method', 'conf', '--budget', '6', *FAST]
    assert cli(*cmd)[0] == 0
    rc, out, err = cli(*cmd)                                       # nothing answered yet: said, and nothing changes
    assert rc == 0 and 'has no answers yet' in out and not (tmp_path/'history.csv').read_text().count('\n') > 1
    q = answer(tmp_path/'query_001.csv', truth, keep=4)
    extra = [p for p in sorted(truth) if p not in set(q.path) and p not in set(pd.read_csv(root/'start.csv').path)][:5]
    with open(tmp_path/'query_001.csv', 'a') as f: f.write(''.join(f'{p},{NAMES.get(truth[p], "ood")}\n' for p in extra))
    assert cli(*cmd)[0] == 0
    h = pd.read_csv(tmp_path/'history.csv')
    assert h.n_queried.tolist() == [6]                              # 4 answered rows and 2 of the 5 more, within the budget of 6
    labels = pd.read_csv(tmp_path/'labels.csv')
    assert len(labels) == 40 + 4 + 5                                # every answer recorded, bought or not
    q2 = pd.read_csv(tmp_path/'query_002.csv', keep_default_na=False)
    kept = set(extra[2:])
    assert kept.isdisjoint(q2.path[q2.label == ''])                 # a kept answer is never asked again
    assert cli(*cmd)[0] == 0                                         # the kept answers are charged first
    h = pd.read_csv(tmp_path/'history.csv')
    assert h.n_queried.tolist() == [6, 3] and h.n_labeled_in.iloc[1] + h.n_labeled_ood.iloc[1] == 46

@pytest.mark.parametrize('case, message', [
    ('unknown_answer', "row 3 of query_001.csv: label 'seven' is unknown"),
    ('path_outside', "row 2 of bad.csv: 'elsewhere/x.png' is not an image under the images folder"),
    ('one_class', "names 1 IN class (zero); label examples of at least two classes"),
    ('no_images', "holds no readable image"),
    ('budget', "budget 1.0 is smaller than the cost of one label (2)"),
    ('other_args', "was made with other arguments (budget 10.0, now 12.0"),
    ('two_spellings', "start.csv spells one class two ways, 'Zero' and 'zero' (they differ only by case or spaces); use one spelling."),
    ('answer_case', "row 3 of query_001.csv: label 'Seven' is unknown; use one of"),
    ('answer_spelling', "row 3 of query_001.csv: label 'ONE' is unknown (the class is spelled 'one')"),
])
def test_bad_input_one_sentence_exit_2_nothing_written(cli, folder, tmp_path, case, message):
    root, truth = folder
    initial_labels(root, truth)
    run = tmp_path/'run'
    base = ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), '--out', str(run), '--budget', '10', *FAST]
    args = list(base)
    if case in ('unknown_answer', 'other_args'):
        assert cli(*base)[0] == 0
        if case == 'unknown_answer':
            q = answer(run/'query_001.csv', truth); q.loc[1, 'label'] = 'seven'; q.to_csv(run/'query_001.csv', index=False)
        else: args[args.index('--budget') + 1] = '12'
    elif case in ('answer_case', 'answer_spelling'):
        assert cli(*base)[0] == 0
        q = answer(run/'query_001.csv', truth); q.loc[1, 'label'] = 'Seven' if case == 'answer_case' else 'ONE'; q.to_csv(run/'query_001.csv', index=False)
    elif case == 'two_spellings':
        rows = pd.read_csv(root/'start.csv', keep_default_na=False); extra = next(p for p in sorted(truth) if truth[p] == 0 and p not in set(rows.path))
        pd.concat([rows, pd.DataFrame(dict(path=[extra], label=[' Zero']))]).to_csv(tmp_path/'start.csv', index=False)
        args[args.index('--labels') + 1] = str(tmp_path/'start.csv')
    elif case == 'path_outside':
        write_csv(tmp_path/'bad.csv', [('elsewhere/x.png', 'one')]); args[args.index('--labels') + 1] = str(tmp_path/'bad.csv')
    elif case == 'one_class':
        write_csv(tmp_path/'one.csv', [(p, 'zero' if truth[p] == 0 else 'ood') for p in sorted(truth)[:30]]); args[args.index('--labels') + 1] = str(tmp_path/'one.csv')
    elif case == 'no_images':
        (tmp_path/'empty').mkdir(); (tmp_path/'empty'/'a.png').write_bytes(b'no'); args[args.index('--images') + 1] = str(tmp_path/'empty')
    elif case == 'budget':
        args[args.index('--budget') + 1] = '1'; args += ['--c_ood', '2']
    before = sorted((p, p.stat().st_mtime_ns) for p in run.rglob('*')) if run.exists() else None
    rc, out, err = cli(*args)
    assert rc == 2 and message in err and 'Traceback' not in err and len(err.strip().splitlines()) == 1, err
    assert (sorted((p, p.stat().st_mtime_ns) for p in run.rglob('*')) if run.exists() else None) == before

def _cmd(root, run, *extra):
    return ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), '--out', str(run), '--budget', '10', *FAST, *extra]

def test_a_killed_call_is_continued_by_the_next(cli, cli_env, folder, tmp_path):
    "SIGKILL once the checkpoint is written (the query not yet, or just): the same command again writes the query an uncut run writes; later rounds too."
    import signal, subprocess, time
    root, truth = folder
    initial_labels(root, truth)
    ref, run = tmp_path/'ref', tmp_path/'run'
    assert cli(*_cmd(root, ref))[0] == 0
    p = subprocess.Popen(_cmd(root, run), env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not (run/'state.pt').exists(): time.sleep(0.005)
    p.send_signal(signal.SIGKILL); p.wait()
    assert (run/'state.pt').exists(), 'the call ended before its checkpoint'
    rc, out, err = cli(*_cmd(root, run))
    assert rc == 0, err
    assert (run/'query_001.csv').read_text() == (ref/'query_001.csv').read_text()
    for d in (ref, run): answer(d/'query_001.csv', truth); assert cli(*_cmd(root, d))[0] == 0
    for f in ('query_002.csv', 'query_002.png'): (run/f).unlink()            # what a call cut off after its checkpoint leaves
    rc, out, err = cli('mqnet_label', '--out', str(run), '--status')
    assert rc == 0 and 'query_002.csv, which is missing; run the labeling command again' in out
    rc, out, err = cli(*_cmd(root, run))
    assert rc == 0 and 'query_002.csv was missing, so it was written again from the checkpoint. Round 2: label the 10 images' in out, err
    assert (run/'query_002.csv').read_text() == (ref/'query_002.csv').read_text()
    answer(run/'query_002.csv', truth); assert cli(*_cmd(root, run))[0] == 0
    assert len(pd.read_csv(run/'history.csv')) == 2

def test_labels_files_from_spreadsheets(cli, folder, tmp_path):
    "A UTF-8 byte-order mark is read; Latin-1, a ';' separator and one path with two labels each get one sentence and exit 2, and nothing is written."
    root, truth = folder
    initial_labels(root, truth)
    text = (root/'start.csv').read_text()
    (tmp_path/'bom.csv').write_bytes(b'\xef\xbb\xbf' + text.encode())
    cmd = _cmd(root, tmp_path/'ok'); cmd[cmd.index('--labels') + 1] = str(tmp_path/'bom.csv')
    rc, out, err = cli(*cmd)
    assert rc == 0 and 'label the 10 images' in out, err
    first = text.splitlines()[1].split(',')[0]
    bad = {'latin.csv': (text + f'{first},caf\xe9\n').encode('latin-1'), 'semi.csv': text.replace(',', ';').encode(),
           'clash.csv': (text + f'{first},ood\n').encode()}
    said = {'latin.csv': 'latin.csv is not UTF-8 text (byte 0xe9 at position', 'semi.csv': "semi.csv is separated by ';'; save it comma-separated",
            'clash.csv': f"rows 2 and {len(text.splitlines()) + 1} of clash.csv both name {first!r}"}
    for name, data in bad.items():
        (tmp_path/name).write_bytes(data)
        cmd = _cmd(root, tmp_path/name.replace('.csv', '')); cmd[cmd.index('--labels') + 1] = str(tmp_path/name)
        rc, out, err = cli(*cmd)
        assert rc == 2 and said[name] in err and 'Traceback' not in err and len(err.strip().splitlines()) == 1, (name, err)
        assert not (tmp_path/name.replace('.csv', '')).exists()

def test_edited_answers_name_the_file_row_and_path(cli, folder, tmp_path):
    "A query file edited to repeat a row counts it once; to answer an image labeled before, it is refused naming the file, the row and the path."
    root, truth = folder
    initial_labels(root, truth)
    run = tmp_path/'run'
    assert cli(*_cmd(root, run))[0] == 0
    q = answer(run/'query_001.csv', truth)
    start = pd.read_csv(root/'start.csv')
    edited = pd.concat([q, q.iloc[[0]], pd.DataFrame({'path': [start.path[0]], 'label': ['ood' if start.label[0] != 'ood' else 'zero']})])
    edited.to_csv(run/'query_001.csv', index=False)
    before = sorted((p, p.stat().st_mtime_ns) for p in run.rglob('*'))
    rc, out, err = cli(*_cmd(root, run))
    assert rc == 2 and f"row 13 of query_001.csv: {start.path[0]!r} was labeled {start.label[0]!r} before" in err and 'Traceback' not in err, err
    assert sorted((p, p.stat().st_mtime_ns) for p in run.rglob('*')) == before
    edited.iloc[:-1].to_csv(run/'query_001.csv', index=False)             # the repeated row alone: counted once
    rc, out, err = cli(*_cmd(root, run))
    assert rc == 0, err
    assert pd.read_csv(run/'history.csv').n_queried.tolist() == [10]

def test_file_names_with_commas_and_quotes(cli, tmp_path):
    "Images named with a comma, quotes and a newline, their paths starting with a quote, go through two rounds: written quoted in every CSV, read back as they were, no label lost."
    truth = write_digits_folder(tmp_path/'plain', n=120)
    odd = {}
    for p, c in truth.items():
        q = tmp_path/'images'/('"' + p.replace('img', 'cats,\n "sitting" ')); q.parent.mkdir(parents=True, exist_ok=True)
        (tmp_path/'plain'/p).rename(q); odd[q.relative_to(tmp_path/'images').as_posix()] = c
    first = [p for c in range(4) for p in [p for p in sorted(odd) if odd[p] == c][:3]] + [p for p in sorted(odd) if odd[p] >= 4][:4]
    pd.DataFrame(dict(path=first, label=[NAMES.get(odd[p], 'ood') for p in first])).to_csv(tmp_path/'start.csv', index=False)
    cmd = ['mqnet_label', '--images', str(tmp_path/'images'), '--labels', str(tmp_path/'start.csv'), '--out', str(tmp_path/'run'), '--budget', '6', *FAST]
    rc, out, err = cli(*cmd)
    assert rc == 0, err
    q = answer(tmp_path/'run'/'query_001.csv', odd)
    assert all(',\n "sitting" ' in p and p.startswith('"') for p in q.path)
    rc, out, err = cli(*cmd)
    assert rc == 0 and 'Round 2' in out, err
    labels = pd.read_csv(tmp_path/'run'/'labels.csv', keep_default_na=False)
    assert set(q.path) <= set(labels.path) and set(first) <= set(labels.path) and len(labels) == 16 + 6
    q2 = answer(tmp_path/'run'/'query_002.csv', odd)
    rc, out, err = cli(*cmd)
    assert rc == 0 and 'Round 3' in out, err
    labels = pd.read_csv(tmp_path/'run'/'labels.csv', keep_default_na=False)
    assert set(q.path) | set(q2.path) | set(first) == set(labels.path) and len(labels) == 16 + 12 and all(p.startswith('"') and '\n' in p for p in labels.path)


def test_damaged_checkpoint_keeps_the_labels_and_no_warnings(cli_env, folder, tmp_path):
    "A damaged state.pt of a labeling run: one sentence pointing at labels.csv (nothing deleted); with Python's warnings on, stderr holds that sentence only."
    import subprocess
    root, truth = folder
    initial_labels(root, truth)
    env = {k: v for k, v in cli_env.items() if k != 'PYTHONWARNINGS'}
    run1 = lambda: subprocess.run(_cmd(root, tmp_path/'run'), capture_output=True, text=True, env=env)
    assert run1().returncode == 0
    (tmp_path/'run'/'state.pt').write_bytes(b'not a checkpoint')
    p = run1()
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert 'cannot be used' in p.stderr and "every label you gave is in" in p.stderr and "start a new run from them with --labels" in p.stderr
    assert (tmp_path/'run'/'labels.csv').exists() and (tmp_path/'run'/'state.pt').read_bytes() == b'not a checkpoint'

def test_labels_view_is_rebuilt_from_the_checkpoint(cli, folder, tmp_path):
    "labels.csv is a view of the checkpoint, which holds every answer: emptied or edited by hand, it is rewritten from it, in one line."
    root, truth = folder
    initial_labels(root, truth)
    run = tmp_path/'run'
    assert cli(*_cmd(root, run))[0] == 0
    answer(run/'query_001.csv', truth); assert cli(*_cmd(root, run))[0] == 0
    full = (run/'labels.csv').read_text()
    (run/'labels.csv').write_text('path,label\n')                     # every earlier answer dropped by hand
    rc, out, err = cli(*_cmd(root, run))
    assert rc == 0 and 'labels.csv disagreed with the checkpoint; rewritten from it.' in out and 'has no answers yet' in out, err
    assert (run/'labels.csv').read_text() == full
    answer(run/'query_002.csv', truth); assert cli(*_cmd(root, run))[0] == 0
    assert len(pd.read_csv(run/'labels.csv')) == 40 + 10 + 10 and len(pd.read_csv(run/'history.csv')) == 2

def test_file_names_a_spreadsheet_would_run(cli, tmp_path):
    "Images and a class whose names begin as spreadsheet formulas: every cell mqnet writes begins otherwise, and two rounds read them back to the same files."
    from mqnet.label import _cell, _given, FORMULA_STARTS
    truth = write_digits_folder(tmp_path/'plain', n=120)
    starts = ['=HYPERLINK("evil.example","open me")', '+SUM(1,1)', '-2+3', '@A1', "'=quoted"]
    odd = {}
    for k, (p, c) in enumerate(sorted(truth.items())):
        q = tmp_path/'images'/Path(p).parent/f"{starts[k % len(starts)]} {k}.png"; q.parent.mkdir(parents=True, exist_ok=True)
        (tmp_path/'plain'/p).rename(q); odd[q.relative_to(tmp_path/'images').as_posix()] = c
    names = {0: '=cmd|"/c calc"!A1', 1: 'one', 2: 'two', 3: 'three'}
    first = [p for c in range(4) for p in [p for p in sorted(odd) if odd[p] == c][:3]] + [p for p in sorted(odd) if odd[p] >= 4][:4]
    pd.DataFrame(dict(path=first, label=[names.get(odd[p], 'ood') for p in first])).to_csv(tmp_path/'start.csv', index=False)   # written by hand: no marks
    cmd = ['mqnet_label', '--images', str(tmp_path/'images'), '--labels', str(tmp_path/'start.csv'), '--out', str(tmp_path/'run'), '--budget', '6', *FAST]
    rc, out, err = cli(*cmd)
    assert rc == 0, err
    by_cell = {_cell(p): c for p, c in odd.items()}
    for r in (1, 2):
        q = pd.read_csv(tmp_path/'run'/f'query_{r:03d}.csv', keep_default_na=False)      # as a spreadsheet or pandas reads it: the cells as written
        assert not any(str(v).startswith(FORMULA_STARTS) for v in q.path) and set(q.path) <= set(by_cell)
        q['label'] = [_cell(names.get(by_cell[p], 'ood')) for p in q.path]; q.to_csv(tmp_path/'run'/f'query_{r:03d}.csv', index=False)
        rc, out, err = cli(*cmd)
        assert rc == 0 and f'Round {r + 1}' in out, err
    cells = pd.read_csv(tmp_path/'run'/'labels.csv', keep_default_na=False)
    assert not any(str(v).startswith(FORMULA_STARTS) for v in list(cells.path) + list(cells.label))
    given = _given(tmp_path/'run')
    assert set(first) <= set(given) <= set(odd) and len(given) == 16 + 12 and all(given[p] == names.get(odd[p], 'ood') for p in given)
