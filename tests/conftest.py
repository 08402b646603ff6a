import os, subprocess, sys
import pytest

def run_cli(*args, cwd=None, timeout=600):
    "Run a console script of mqnet; returns (returncode, stdout, stderr)."
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    p = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr

@pytest.fixture
def cli():
    return run_cli
