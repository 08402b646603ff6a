"""Render nbs/index.ipynb to README.md (what `nbdev_readme` does where Quarto exists).

The notebook is executed with execnb so the README shows real outputs; `#| hide` cells are left out.
Usage: python .ci/readme.py [--check]   (--check: fail if README.md is out of date)
"""
import re, sys, os
from pathlib import Path
from execnb.nbio import read_nb
from execnb.shell import CaptureShell

root = Path(__file__).resolve().parent.parent

def _hidden(src): return bool(re.search(r'^#\|\s*hide\b', src, re.M))

def render() -> str:
    nb = read_nb(root/'nbs'/'index.ipynb')
    cwd = os.getcwd(); os.chdir(root/'nbs')
    try: CaptureShell().run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    parts = ['<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->']
    for c in nb.cells:
        src = ''.join(c.source).strip()
        if c.cell_type == 'markdown': parts.append(src); continue
        if c.cell_type != 'code' or _hidden(src): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code: parts.append(f'```python\n{code}\n```')
        out = []
        for o in c.get('outputs', []):
            if o.get('output_type') == 'stream' and o.get('name') == 'stdout': out.append(''.join(o['text']))
            elif 'data' in o and 'text/markdown' in o['data']: parts.append(''.join(o['data']['text/markdown']).strip())
            elif 'data' in o and 'text/plain' in o['data']: out.append(''.join(o['data']['text/plain']))
        if out: parts.append('    ' + '\n'.join(out).strip('\n').replace('\n', '\n    '))
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text = render(); dst = root/'README.md'
    if '--check' in sys.argv:
        if not dst.exists() or dst.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python .ci/readme.py`.")
    else: dst.write_text(text)
