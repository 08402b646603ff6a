"System test of `mqnet_label --serve` in a real browser (headless Chromium): keys, undo, 'none of these', the round, and the CSV workflow's history."
import os, re, shutil, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from mqnet.label import write_digits_folder

NAMES = {0: 'zero', 1: 'one', 2: 'two', 3: 'three'}
FAST = ['--budget', '8', '--iters', '60', '--csi_steps', '30']

def browser():
    "A headless Chromium driven by Selenium, or a skip naming what is missing."
    webdriver = pytest.importorskip('selenium.webdriver', reason='no selenium: pip install -e ".[dev]"')
    chrome = next((shutil.which(b) for b in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(b)), None)
    driver = shutil.which('chromedriver')
    if not (chrome and driver): pytest.skip('no browser: apt-get install chromium chromium-driver')
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions(); o.binary_location = chrome
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1100,800'): o.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=o)

@pytest.fixture
def images(tmp_path):
    "300 digits PNGs; the person's first labels: three of each IN class (0-3) and six of the noise."
    truth = write_digits_folder(tmp_path/'images', n=300)
    first = [p for c in range(4) for p in [p for p in sorted(truth) if truth[p] == c][:3]] + [p for p in sorted(truth) if truth[p] >= 4][:6]
    (tmp_path/'start.csv').write_text('path,label\n' + ''.join(f"{p},{NAMES.get(truth[p], 'ood')}\n" for p in first))
    return tmp_path, truth

def test_label_in_the_browser(cli, cli_env, images):
    root, truth = images
    drv = browser()
    cmd = ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), *FAST]
    srv = subprocess.Popen([*cmd, '--out', str(root/'page'), '--serve'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    try:
        line = ''
        while 'Label in your browser:' not in line:
            line = srv.stdout.readline(); assert line or srv.poll() is None, srv.stderr.read()
        url = re.search(r'http://\S+', line).group(0)
        assert url.startswith('http://127.0.0.1:') and 'token=' in url
        rc, _, err = cli(*cmd, '--out', str(root/'page'))                              # the command line on the same run: one sentence
        assert rc == 2 and 'is in use by another mqnet_label' in err and 'Traceback' not in err
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        wait = lambda cond, t=120: WebDriverWait(drv, t).until(cond)     # generous: a busy 2-core machine
        drv.get(url.split('?')[0]); assert 'token' in drv.page_source                 # without the token: refused
        drv.get(url); wait(lambda d: 'row 1 of 8' in d.find_element(By.ID, 'where').text)
        classes = [b.text.split('\n')[-1] for b in drv.find_elements(By.CSS_SELECTOR, 'button[data-label]')][:-1]
        assert classes == ['1one', '2three', '3two', '4zero'] or [c.lstrip('1234') for c in classes] == ['one', 'three', 'two', 'zero']
        order = ['one', 'three', 'two', 'zero']
        body = drv.find_element(By.TAG_NAME, 'body')
        def shown(): return drv.find_element(By.ID, 'where').text.split(': ', 1)[1].split(' — ')[0]
        def key(k, row, answered=False):
            "Press `k`, then wait until the page shows `row` (and, for the last row, which stays shown, its saved answer)."
            body.send_keys(k); wait(lambda d: f'row {row} of 8' in (t := d.find_element(By.ID, 'where').text) and (not answered or ' — answered' in t))
        given = []
        for r in range(1, 9):
            p = shown(); lab = 'ood' if r > 6 else NAMES.get(truth[p], 'ood')        # the last two marked "none of these"
            key('0' if lab == 'ood' else str(order.index(lab) + 1), min(r + 1, 8), answered=r == 8); given.append((p, lab))
            if r == 3:                                                                 # undo the third answer, then give it again
                key('u', 3); assert ' — answered' not in drv.find_element(By.ID, 'where').text
                q = pd.read_csv(root/'page'/'query_001.csv', keep_default_na=False); assert q.label[2] == ''
                key('0' if lab == 'ood' else str(order.index(lab) + 1), 4)
            if r == 5: drv.save_screenshot(os.environ.get('MQNET_SCREENSHOT', str(root/'page.png')))
        q = pd.read_csv(root/'page'/'query_001.csv', keep_default_na=False)
        assert list(zip(q.path, q.label)) == given and (q.label == 'ood').sum() >= 2
        drv.find_element(By.ID, 'run').click()
        wait(lambda d: 'round 2' in d.find_element(By.ID, 'round').text, 600)
        assert (root/'page'/'query_002.csv').exists()
        labels = pd.read_csv(root/'page'/'labels.csv', keep_default_na=False)
        assert len(labels) == 18 + 8 and set(given) <= set(zip(labels.path, labels.label))
    finally:
        drv.quit(); srv.send_signal(signal.SIGINT)
        try: srv.wait(30)
        except subprocess.TimeoutExpired: srv.kill()
    assert srv.returncode == 0, srv.stderr.read()
    # the same answers through the CSV workflow: the same round
    assert cli(*cmd, '--out', str(root/'csv'))[0] == 0
    shutil.copy(root/'page'/'query_001.csv', root/'csv'/'query_001.csv')
    rc, _, err = cli(*cmd, '--out', str(root/'csv'))
    assert rc == 0, err
    drop = lambda h: h.drop(columns=[c for c in h if c.startswith('t_')])
    pd.testing.assert_frame_equal(drop(pd.read_csv(root/'page'/'history.csv')), drop(pd.read_csv(root/'csv'/'history.csv')))
    pd.testing.assert_frame_equal(pd.read_csv(root/'page'/'query_002.csv'), pd.read_csv(root/'csv'/'query_002.csv'))

def test_serve_bad_port_is_one_sentence(cli, images):
    root, _ = images
    rc, out, err = cli('mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), '--out', str(root/'run'), '--serve', '--port', '70000')
    assert rc == 2 and 'port 70000 must be a number from 0 (a free one) to 65535.' in err and 'Traceback' not in err
    assert not (root/'run').exists()
