"""Render nbs/index.ipynb to README.md and nbs/11_results.ipynb to RESULTS.md (what `nbdev_readme` does where Quarto exists).

Each notebook is executed with execnb so the page shows real outputs (cells marked `#| eval: false`, which nbdev_test
skips, run here too: the README's quick start runs mqnet_run); `#| hide` cells are left out.
Usage: python .ci/readme.py [--check]
  --check: fail if a page's prose and code differ from its notebook's (outputs are not compared:
           they are computed, and the last digits of a float may differ between CPUs).
"""
import re, sys, os
from pathlib import Path
from execnb.nbio import read_nb
from execnb.shell import CaptureShell

root = Path(__file__).resolve().parent.parent

def _hidden(src): return bool(re.search(r'^#\|\s*hide\b', src, re.M))

_out = re.compile(r'\n\n(```text\n.*?\n```|<!-- output -->.*?<!-- /output -->)(?=\n)', re.S)   # an output and the blank line before it

PAGES = {'index.ipynb': 'README.md', '11_results.ipynb': 'RESULTS.md'}

def render(name='index.ipynb', execute=True) -> str:
    nb = read_nb(root/'nbs'/name)
    if execute:
        cwd = os.getcwd(); os.chdir(root/'nbs')
        try: CaptureShell().run_all(nb, exc_stop=True)
        finally: os.chdir(cwd)
    parts = [f'<!-- generated from nbs/{name} by .ci/readme.py: edit the notebook, not this file -->']
    for c in nb.cells:
        src = ''.join(c.source).strip()
        if c.cell_type == 'markdown': parts.append(src); continue
        if c.cell_type != 'code' or _hidden(src): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code and not re.search(r'^#\|\s*echo:\s*false', src, re.M): parts.append(f'```python\n{code}\n```')
        out = []
        for o in c.get('outputs', []):
            if o.get('output_type') == 'stream' and o.get('name') == 'stdout': out.append(''.join(o['text']))
            elif 'data' in o and 'text/markdown' in o['data']: parts.append('<!-- output -->\n' + ''.join(o['data']['text/markdown']).strip() + '\n<!-- /output -->')
            elif 'data' in o and 'text/plain' in o['data']: out.append(''.join(o['data']['text/plain']))
        if out: parts.append('```text\n' + '\n'.join(out).strip('\n') + '\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    for name, page in PAGES.items():
        dst = root/page
        if '--check' in sys.argv:
            if not dst.exists() or _out.sub('', dst.read_text()) != _out.sub('', render(name, execute=False)):
                sys.exit(f"{page} is out of date with nbs/{name}: run `python .ci/readme.py`.")
        else: dst.write_text(render(name))
