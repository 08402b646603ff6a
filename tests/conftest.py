import itertools, json, os, subprocess, sys
from pathlib import Path
import pytest

@pytest.fixture(scope='session')
def cache_dir(tmp_path_factory):
    "One CSI cache for the whole test session, outside the user's home, shared by pytest-xdist's workers (an entry's lock lets one of them train it)."
    base = tmp_path_factory.getbasetemp()
    d = (base.parent if os.environ.get('PYTEST_XDIST_WORKER') else base)/'mqnet-cache'
    d.mkdir(exist_ok=True); return d

class ForkServer:
    "The client of tests/forkserver.py: `run` a console script (`argv[0]`) or a `python -c` program (`code`) in a child forked from it."
    def __init__(self, tmp:Path):
        self.tmp, self.n = tmp, itertools.count()
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONWARNINGS'}
        self.p = subprocess.Popen([sys.executable, str(Path(__file__).with_name('forkserver.py'))], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        assert json.loads(self.p.stdout.readline()) == dict(ready=True), 'the fork server did not start'

    def run(self, argv, env:dict, cwd=None, timeout:float=900, code:str|None=None) -> tuple:
        "(returncode, stdout, stderr) of one command, as `subprocess.run(..., capture_output=True, text=True)` gives them."
        i = next(self.n); out, err = self.tmp/f'{i}.out', self.tmp/f'{i}.err'
        req = dict(argv=[str(a) for a in argv], env=dict(env), cwd=str(cwd or os.getcwd()), stdout=str(out), stderr=str(err), timeout=timeout)
        if code is not None: req['code'] = code
        self.p.stdin.write(json.dumps(req) + '\n'); self.p.stdin.flush()
        rc = json.loads(self.p.stdout.readline())['rc']
        res = rc, out.read_text(), err.read_text(); out.unlink(); err.unlink()
        return res

    def close(self): self.p.stdin.close(); self.p.wait(30)

@pytest.fixture(scope='session')
def forkserver(tmp_path_factory):
    fs = ForkServer(tmp_path_factory.mktemp('forkserver')); yield fs; fs.close()

@pytest.fixture
def cli_env(cache_dir):
    return dict(os.environ, PYTHONWARNINGS='ignore', MQNET_CACHE=str(cache_dir))

@pytest.fixture
def cli(forkserver, cli_env):
    "Run a console script of mqnet (forked from the fork server: tests/forkserver.py); returns (returncode, stdout, stderr)."
    def run(*args, cwd=None, timeout=900): return forkserver.run(args, cli_env, cwd=cwd, timeout=timeout)
    return run
