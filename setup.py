from packaging.version import Version
from configparser import ConfigParser
import setuptools, shlex
assert Version(setuptools.__version__) >= Version('36.2')

# note: all settings are in settings.ini; edit there, not here
config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected: assert o in cfg, "missing expected setting: {}".format(o)
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {
    'apache2': 'Apache-2.0',
    'mit': 'MIT',
    'gpl2': 'GPL-2.0-only',
    'gpl3': 'GPL-3.0-only',
    'bsd3': 'BSD-3-Clause',
}
statuses = ['0 - Pre-Planning', '1 - Planning', '2 - Pre-Alpha', '3 - Alpha',
            '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.9 3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
if cfg.get('pip_requirements'): requirements += shlex.split(cfg.get('pip_requirements', ''))
min_python = cfg['min_python']
lic = licenses.get(cfg['license'].lower(), cfg['license'])
dask_requirements = shlex.split(cfg.get('dask_requirements') or '')   # mqnet[dask]: grids on Dask distributed (LocalCluster, SLURM via dask-jobqueue)
mnist1d_requirements = shlex.split(cfg.get('mnist1d_requirements') or '')   # mqnet[mnist1d]: the mnist1d data set
label_requirements = shlex.split(cfg.get('label_requirements') or '')   # mqnet[label]: mqnet_label --serve, the labeling page (Flask)
dev_requirements = shlex.split(cfg.get('dev_requirements') or '') + dask_requirements + mnist1d_requirements + label_requirements

package_data = dict()
pkg_data = cfg.get('package_data', None)
if pkg_data: package_data[cfg['lib_name']] = pkg_data.split()
setup_cfg['package_data'] = package_data

setuptools.setup(
    name=cfg['lib_name'],
    license=lic,
    classifiers=[
        'Development Status :: ' + statuses[int(cfg['status'])],
        'Intended Audience :: ' + cfg['audience'].title(),
        'Natural Language :: ' + cfg['language'].title(),
    ] + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    packages=setuptools.find_packages(exclude=['tests', 'tests.*']),
    include_package_data=True,
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'dask': dask_requirements, 'mnist1d': mnist1d_requirements, 'label': label_requirements},
    dependency_links=cfg.get('dep_links', '').split(),
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']
    },
    **setup_cfg)
