"The recommended method is kept in one place (mqnet.strategies.RECOMMENDED): mqnet_label's default, the quick start and the README read it."
import re
from pathlib import Path
import mqnet.loop  # noqa: F401 (registers mqnet-detector)
from mqnet.strategies import RECOMMENDED, QUICK_START, family

README = (Path(__file__).parent.parent/'README.md').read_text()

def test_the_cli_defaults_are_the_recommendation(cli):
    rc, out, err = cli('mqnet_label', '--help')
    assert rc == 0, err
    assert re.search(r'--method METHOD\s.*?\(default:\s+(\S+?)\)', out, re.S).group(1) == RECOMMENDED
    rc, out, err = cli('mqnet_run', '--help')
    assert rc == 0, err
    assert re.search(r'--methods METHODS\s.*?\(default:\s+(\S+?)\)', out, re.S).group(1) == ','.join(QUICK_START)

def test_the_readme_names_the_recommendation():
    section = README.split('## Which method should I use?')[1].split('\n## ')[0]
    assert f'`RECOMMENDED` is `{RECOMMENDED}`' in section
    for name, *_ in family(): assert f'| {name} |' in section, name           # the family's table, every name
    quick = README.split('## Quick start')[1].split('\n## ')[0]
    out = quick.split('```text')[1].split('```')[0]                           # the quick start's recorded output
    assert all(re.search(rf'^\s*{re.escape(m)}\b', out, re.M) for m in QUICK_START), out
