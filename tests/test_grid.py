"System tests of the grid engines: a worker killed mid-grid (process pool, Dask), the same histories as a serial run, `mqnet_run --dask`, the SLURM job script."
import os, signal, threading, time
from unittest.mock import patch
from pathlib import Path
import pandas as pd, pytest
from mqnet.experiments import run_grid, run_dir, HISTORY

ENV_THREADS = os.environ.get('OMP_NUM_THREADS')
GRID = dict(datasets='digits', methods=['conf', 'mqnet'], noises=0.4, seeds=[0, 1], rounds=3, iters=150, csi_steps=30)   # no thread count given; CSI short: the engines are tested, not CSI

def histories(out):
    "Every run's history under `out`, without the timings, by folder."
    return {str(p.relative_to(out)): (h := pd.read_csv(p)).drop(columns=[c for c in h if c.startswith('t_')]) for p in sorted(Path(out).rglob(HISTORY))}

@pytest.fixture(scope='module')
def serial(tmp_path_factory):
    "The grid in this process, whose torch runs on as many threads as it likes (here, one per core) between runs."
    import torch
    out = tmp_path_factory.mktemp('serial'); before = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 2)
    try: run_grid(**GRID, out=out, csi_cache=out/'.csi', log=None)
    finally: torch.set_num_threads(before)
    return histories(out)

def kill_mid_grid(out, kill, lines):
    "Start the grid in a thread; once a run has recorded a round, `kill()` one worker; the grid's log lines."
    t = threading.Thread(target=lambda: run_grid(**GRID, out=out, csi_cache=out/'.csi', log=lines.append, **kill.engine))
    t.start(); killed = False
    while t.is_alive():
        if not killed and any(len(pd.read_csv(p)) >= 1 for p in out.rglob(HISTORY)): kill(); killed = True
        time.sleep(0.05)
    t.join()
    assert killed, 'the grid ended before any worker could be killed'
    return lines

def test_process_pool_survives_a_killed_worker(tmp_path, serial):
    psutil = pytest.importorskip('psutil')
    def kill():
        workers = [p for p in psutil.Process().children() if 'spawn_main' in ' '.join(p.cmdline())]
        os.kill(workers[0].pid, signal.SIGKILL)
    kill.engine = dict(jobs=2)
    lines = kill_mid_grid(tmp_path, kill, [])
    assert any('once more' in l for l in lines), lines               # the broken pool's runs were retried in a new pool
    assert histories(tmp_path).keys() == serial.keys()
    for k, h in histories(tmp_path).items(): pd.testing.assert_frame_equal(h, serial[k])   # as if nothing had happened

def test_dask_survives_a_killed_worker(tmp_path, serial):
    "The grid on the Dask cluster `dask_executor` starts, one worker killed mid-grid: the same histories as in this process."
    pytest.importorskip('distributed')
    from mqnet.experiments import dask_executor
    ex, release = dask_executor('local', workers=2, log=None)
    try:
        def kill():
            pid = next(iter(ex._client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
        kill.engine = dict(executor=ex)
        lines = kill_mid_grid(tmp_path, kill, [])
    finally: release()
    assert os.environ.get('OMP_NUM_THREADS') == ENV_THREADS   # the nannies' OMP_NUM_THREADS=1 did not stay in this process (later subprocesses inherit it)
    assert histories(tmp_path).keys() == serial.keys()
    for k, h in histories(tmp_path).items(): pd.testing.assert_frame_equal(h, serial[k])

def test_mqnet_run_on_dask_local(cli, tmp_path):
    pytest.importorskip('distributed')
    rc, out, err = cli('mqnet_run', '--dask', 'local', '--dataset', 'digits', '--methods', 'mqnet,conf', '--seeds', '0,1', '--rounds', '2', '--out', str(tmp_path))
    assert rc == 0, err
    assert 'Dask: 2 workers' in out and 'dashboard' in out and 'final test accuracy' in out
    assert len(pd.read_csv(tmp_path/'results.csv')) == 2 * 2 * 2

def test_bad_dask_address(cli, tmp_path):
    rc, out, err = cli('mqnet_run', '--dask', 'gpu-box', '--out', str(tmp_path/'x'))
    assert rc == 2 and err.strip() == "mqnet_run: error: dask 'gpu-box' is neither 'local' nor a scheduler address such as tcp://HOST:8786."
    assert not (tmp_path/'x').exists()

def test_slurm_job_script():
    "The SLURM recipe of 08_experiments: one GPU per job, the GPU resource declared to Dask (what `sbatch` would be given)."
    jobqueue = pytest.importorskip('dask_jobqueue')
    with jobqueue.SLURMCluster(queue='gpu', cores=4, processes=1, memory='32GB', walltime='08:00:00', scheduler_options={'dashboard_address': ':0'},
                               job_extra_directives=['--gres=gpu:1'], worker_extra_args=['--resources', 'GPU=1']) as cluster:
        script = cluster.job_script()
    assert '#SBATCH --gres=gpu:1' in script and '#SBATCH -p gpu' in script and '#SBATCH -t 08:00:00' in script
    assert '--resources GPU=1' in script and '--nthreads 4' in script

def test_workers_end_with_a_killed_grid(cli_env, tmp_path):
    "Killing the process that runs a grid ends its pool's workers too: no orphan goes on with the runs queued to it."
    psutil = pytest.importorskip('psutil')
    import subprocess, sys
    if sys.platform != 'linux': pytest.skip('the parent-death signal is Linux only')
    p = subprocess.Popen(['mqnet_run', '--dataset', 'digits', '--methods', 'conf,random', '--seeds', '0,1', '--rounds', '10', '--jobs', '2',
                          '--out', str(tmp_path)], env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, workers = time.time() + 300, []
        while time.time() < deadline and len(workers := psutil.Process(p.pid).children()) < 2: time.sleep(0.2)
        assert len(workers) >= 2, 'the grid started no workers'
        p.kill(); p.wait()
        gone, alive = psutil.wait_procs(workers, timeout=20)
        assert not alive, f'{len(alive)} workers outlived the grid'
    finally:
        if p.poll() is None: p.kill()

def _gpu_of_worker(wait_s):
    time.sleep(wait_s); return os.getpid(), os.environ.get('CUDA_VISIBLE_DEVICES')

def test_pool_on_two_gpus_spawns_and_pins(monkeypatch):
    "With two GPUs (torch.cuda made to report them), the local pool is spawned even when asked to fork, and its two workers see one GPU each."
    from mqnet.experiments import _local_pool
    monkeypatch.setattr('torch.cuda.device_count', lambda: 2); monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    with _local_pool(2, 'fork') as ex:
        assert ex._mp_context.get_start_method() == 'spawn'
        seen = dict(ex.map(_gpu_of_worker, [2, 2]))                       # two jobs at once: one on each worker
    assert len(seen) == 2 and sorted(seen.values()) == ['0', '1'], seen
