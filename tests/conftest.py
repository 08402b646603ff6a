import os, subprocess
import pytest

@pytest.fixture(scope='session')
def cache_dir(tmp_path_factory):
    "One CSI cache for the whole test session, outside the user's home."
    return tmp_path_factory.mktemp('mqnet-cache')

@pytest.fixture
def cli(cache_dir):
    "Run a console script of mqnet; returns (returncode, stdout, stderr)."
    def run(*args, cwd=None, timeout=900):
        env = dict(os.environ, PYTHONWARNINGS='ignore', MQNET_CACHE=str(cache_dir))
        p = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    return run

@pytest.fixture
def cli_env(cache_dir):
    return dict(os.environ, PYTHONWARNINGS='ignore', MQNET_CACHE=str(cache_dir))
