"What the package declares: every library it imports is a declared dependency (core or an extra), and no private torch or torchvision API is used."
import ast, sys, re, importlib.metadata as md
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT/'mqnet'

def imported() -> dict:
    "{top-level module: [files importing it]} for the third-party imports of the library."
    out = {}
    for p in LIB.glob('*.py'):
        for n in ast.walk(ast.parse(p.read_text())):
            names = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module] if isinstance(n, ast.ImportFrom) and n.level == 0 else []
            for m in (x.split('.')[0] for x in names):
                if m not in sys.stdlib_module_names and m != 'mqnet': out.setdefault(m, []).append(p.name)
    return out

def declared() -> set:
    cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    reqs = ' '.join(cfg['DEFAULT'].get(k, '') for k in ('requirements', 'dask_requirements', 'mnist1d_requirements', 'label_requirements')).split()
    return {re.split(r'[<>=!~\[ ]', r, maxsplit=1)[0].lower().replace('_', '-') for r in reqs}

def test_every_import_is_declared():
    dists = md.packages_distributions()
    missing = {m: files for m, files in imported().items() if not {d.lower() for d in dists.get(m, [m])} & declared()}
    assert not missing, f"imported but declared nowhere in settings.ini: {missing}"

def test_no_private_torch_api():
    "Private torch/torchvision names (a leading underscore) move between releases, and torch and torchvision are not pinned."
    hits = [f"{p.name}: {m.group(0)}" for p in LIB.glob('*.py') for m in re.finditer(r'\b(?:torch|torchvision|tvd|TF)(?:\.\w+)*\._[a-z]\w*', p.read_text())]
    assert not hits, hits
