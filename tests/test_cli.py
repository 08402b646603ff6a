"System tests of the `mqnet_run` console script: the default job and the table of bad inputs."
import pytest

def test_default_prints_the_digits_pool(cli):
    rc, out, err = cli('mqnet_run')
    assert rc == 0, err
    assert 'OpenSetData(digits, split: 4 IN classes' in out
    assert 'noise 40.0%' in out and 'c_in=1, c_ood=1' in out

def test_cross_dataset_patches(cli):
    rc, out, err = cli('mqnet_run', '--ood', 'patches', '--noise', '0.2')
    assert rc == 0, err
    assert 'OOD from patches' in out and '10 IN classes' in out

BAD = [
    (['--dataset', 'mnist'], "dataset 'mnist' is unknown"),
    (['--noise', '1.5'], 'noise 1.5 is outside (0, 1)'),
    (['--noise', '0'], 'noise 0.0 is outside (0, 1)'),
    (['--c_ood', '0'], 'c_ood 0.0 must be a positive number'),
    (['--c_in', '-1'], 'c_in -1.0 must be a positive number'),
    (['--dataset', 'cifar10'], "dataset 'cifar10' needs root=DIR"),
    (['--dataset', 'cifar10', '--root', '/nonexistent'], "holds no cifar10 data"),
    (['--dataset', 'imagenet', '--root', '/nonexistent'], 'has no train/ folder'),
    (['--seed', '-3'], 'seed -3 must be a non-negative integer'),
]

@pytest.mark.parametrize('args,msg', BAD, ids=[' '.join(a) for a, _ in BAD])
def test_bad_input_is_one_sentence_and_exit_2(cli, tmp_path, args, msg):
    rc, out, err = cli('mqnet_run', *args, cwd=tmp_path)
    assert rc == 2
    assert msg in err
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []   # nothing written
