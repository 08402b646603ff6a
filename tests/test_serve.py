"System tests of `mqnet_label --serve`: in a real browser (headless Chromium) keys, undo, 'none of these', the round and the CSV workflow's history; hostile names shown as text; malformed and misaddressed requests; logs without the token; the address it may listen on."
import csv, http.client, json, os, re, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
from urllib.parse import urlsplit, parse_qs
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
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1100,800', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--no-first-run'): o.add_argument(a)
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
    srv, url, out, err = start_page([*cmd, '--out', str(root/'page'), '--serve'], cli_env, root)   # its output in files: a pipe nobody reads would fill and stop it
    try:
        assert url.startswith('http://127.0.0.1:') and 'token=' in url
        rc, _, said = cli(*cmd, '--out', str(root/'page'))                             # the command line on the same run: one sentence
        assert rc == 2 and 'is in use by another mqnet_label' in said and 'Traceback' not in said
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
        drv.quit(); stop_page(srv)
    assert srv.returncode == 0, err.read_text()
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


def start_page(cmd, env, log_dir):
    "Start `cmd` (an mqnet_label --serve call) with its output in files under `log_dir`; (process, the page's address, the stdout and stderr files)."
    out, err = log_dir/'page.out', log_dir/'page.err'
    srv = subprocess.Popen(cmd, stdout=out.open('w'), stderr=err.open('w'), text=True, env=env)
    t0 = time.monotonic()
    while 'Label in your browser:' not in out.read_text():
        assert srv.poll() is None, err.read_text()
        assert time.monotonic() - t0 < 600, out.read_text(); time.sleep(0.2)
    return srv, re.search(r'Label in your browser: (http://\S+)', out.read_text()).group(1), out, err

def stop_page(srv):
    srv.send_signal(signal.SIGINT)
    try: srv.wait(30)
    except subprocess.TimeoutExpired: srv.kill()

HOSTILE_CLASSES = ['<img src=x onerror=window.__pwned=1>', 'two" autofocus onfocus="window.__pwned=2',
                   '</script><script>window.__pwned=3</script>', '=HYPERLINK("evil.example","x")']
HOSTILE_FILES = ['"><img src=x onerror=window.__pwned=5>{k}.png', 'a<script>window.__pwned=6</script>{k}.png',
                 "' onmouseover='window.__pwned=7' {k}.png", '=HYPERLINK("evil.example","{k}").png', '-{k}.png']

def test_hostile_names_are_text_in_the_browser(cli, cli_env, tmp_path):
    "Start labels whose class names and a folder whose file names carry HTML, script and formula tricks: nothing injected runs, the page shows every name as text, and a round goes through."
    from mqnet.label import FORMULA_STARTS, _given
    drv = browser()
    plain = write_digits_folder(tmp_path/'plain', n=300); truth = {}
    for k, (p, c) in enumerate(sorted(plain.items())):
        q = tmp_path/'images'/Path(p).parent/HOSTILE_FILES[k % len(HOSTILE_FILES)].format(k=k); q.parent.mkdir(parents=True, exist_ok=True)
        (tmp_path/'plain'/p).rename(q); truth[q.relative_to(tmp_path/'images').as_posix()] = c
    names = dict(enumerate(HOSTILE_CLASSES))
    first = [p for c in range(4) for p in [p for p in sorted(truth) if truth[p] == c][:3]] + [p for p in sorted(truth) if truth[p] >= 4][:6]
    with (tmp_path/'start.csv').open('w', newline='') as f: csv.writer(f).writerows([('path', 'label')] + [(p, names.get(truth[p], 'ood')) for p in first])
    cmd = ['mqnet_label', '--images', str(tmp_path/'images'), '--labels', str(tmp_path/'start.csv'), *FAST, '--out', str(tmp_path/'run')]
    assert cli(*cmd)[0] == 0                                                          # the first query, from the command line
    rows = list(csv.reader((tmp_path/'run'/'query_001.csv').open(newline='')))[1:]
    assert not any(c.startswith(FORMULA_STARTS) for r in rows for c in r)             # neutralised cells: a spreadsheet runs none
    rows[7][1] = '<img src=x onerror=window.__pwned=8>'                              # a label written into the query by hand
    with (tmp_path/'run'/'query_001.csv').open('w', newline='') as f: csv.writer(f).writerows([('path', 'label')] + rows)
    srv, url, out, err = start_page([*cmd, '--serve'], cli_env, tmp_path)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    wait = lambda cond, t=120: WebDriverWait(drv, t).until(cond)
    def clean():
        "No injected handler ran, no injected element or attribute is in the page, and the page's script is its only one."
        assert drv.execute_script('return window.__pwned === undefined')
        assert drv.execute_script('return document.querySelectorAll("[onerror],[onfocus],[onmouseover],[autofocus],img[src=x],img:not([id=big]):not(#strip img)").length') == 0
        assert [s.get_attribute('src').rsplit('/', 1)[-1] for s in drv.find_elements(By.TAG_NAME, 'script')] == ['page.js']
    try:
        drv.get(url); wait(lambda d: 'row 1 of 8' in d.find_element(By.ID, 'where').text)
        time.sleep(1); clean()
        order = sorted(HOSTILE_CLASSES)
        keys = [b.text for b in drv.find_elements(By.CSS_SELECTOR, 'button[data-label]')]
        assert [k.split('\n')[-1].lstrip('1234') for k in keys[:-1]] == order and keys[-1].endswith('none of these')
        assert [b.get_attribute('data-label') for b in drv.find_elements(By.CSS_SELECTOR, 'button[data-label]')] == order + ['ood']
        table = drv.find_element(By.ID, 'counts').text
        assert all(c in table for c in HOSTILE_CLASSES) and '<img src=x onerror=window.__pwned=8>' in table
        body = drv.find_element(By.TAG_NAME, 'body')
        for r in range(1, 9):
            where = drv.find_element(By.ID, 'where').text
            p = where.split(': ', 1)[1].split(' — ')[0]; assert p in truth, where        # the file's name, exactly, as text
            lab = names.get(truth[p], 'ood')
            body.send_keys('0' if lab == 'ood' else str(order.index(lab) + 1))
            wait(lambda d: f'row {min(r + 1, 8)} of 8' in (t := d.find_element(By.ID, 'where').text) and (r < 8 or f'answered: {lab}' in t))
        clean()
        rows = list(csv.reader((tmp_path/'run'/'query_001.csv').open(newline='')))[1:]
        assert all(r[1] for r in rows) and not any(c.startswith(FORMULA_STARTS) for r in rows for c in r)
        drv.find_element(By.ID, 'run').click()
        wait(lambda d: 'round 2' in d.find_element(By.ID, 'round').text, 600)
        clean(); assert drv.find_element(By.ID, 'msg').text == ''
        drv.save_screenshot(os.environ.get('MQNET_HOSTILE_SCREENSHOT', str(tmp_path/'hostile.png')))
    finally:
        drv.quit(); stop_page(srv)
    assert srv.returncode == 0, err.read_text()
    given = _given(tmp_path/'run')
    assert len(given) == 18 + 8 and all(given[p] == names.get(truth[p], 'ood') for p in given)

def request(url, method='GET', path=None, body=None, headers=None):
    "(status, the JSON error or None) of one request to the page at `url`, `path` in place of the address's own path and query."
    u = urlsplit(url); c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request(method, path or f"{u.path}?{u.query}", body=body, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    try: return r.status, json.loads(data).get('error')
    except (ValueError, AttributeError): return r.status, None

def test_page_requests_hosts_and_logs(cli, cli_env, images):
    "On a page listening on every address (--public), restarted after its query was lost: the warning; each malformed or misaddressed request gets a 4xx and one short sentence; no log line holds the token."
    root, _ = images
    cmd = ['mqnet_label', '--images', str(root/'images'), '--labels', str(root/'start.csv'), *FAST, '--out', str(root/'run')]
    rc, _, err = cli(*cmd, '--serve', '--host', '0.0.0.0')                             # not loopback: refused, nothing written
    assert rc == 2 and "host '0.0.0.0' would let other machines reach the page, which is plain HTTP" in err and 'add --public' in err
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1 and not (root/'run').exists()
    rc, _, err = cli(*cmd, '--host', '0.0.0.0')
    assert rc == 2 and '--host is an option of the labeling page; add --serve' in err and not (root/'run').exists()
    assert cli(*cmd)[0] == 0
    (root/'run'/'query_001.csv').unlink()                                            # as a kill between the checkpoint and the query leaves it
    srv, url, out, err = start_page([*cmd, '--serve', '--host', '0.0.0.0', '--public', '--verbose'], cli_env, root)
    token = parse_qs(urlsplit(url).query)['token'][0]
    try:
        said = out.read_text()
        assert 'query_001.csv is missing (the last call stopped before writing it, or it was deleted); writing it again' in said and 'first query' not in said
        assert url.startswith('http://127.0.0.1:') and 'From another machine: http://' in said and '0.0.0.0' not in url
        assert 'warning: the page listens on 0.0.0.0 over plain HTTP' in err.read_text()
        port = urlsplit(url).port; q = f'?token={token}'
        assert request(url)[0] == 200 and request(url, path='/api/state' + q)[0] == 200
        tab = json.loads(_raw(port, f'POST /api/tab{q}', b'{}'.decode()).split('\r\n\r\n', 1)[1])['tab']
        post = lambda body, **h: request(url, 'POST', '/api/answer' + q, body, {'Content-Type': 'application/json', **h})
        ok = dict(tab=tab, round=1, row=1, label='zero')
        for (code, start), got in [
                ((400, 'the request body must be a JSON object'), post('[1,2]')), ((400, 'the request body must be a JSON object'), post('"x"')),
                ((400, 'the request body must be a JSON object'), post('5')), ((400, 'the request body is not JSON'), post('[' * 20_000 + ']' * 20_000)),
                ((400, 'label must be text'), post(json.dumps(dict(ok, label=5)))), ((400, 'label must be text'), post(json.dumps(dict(ok, label=['a'])))),
                ((400, 'row must be a whole number'), post(json.dumps(dict(ok, row=True)))),
                ((413, 'the request is larger than any the page sends'), post('{"label": "' + 'x' * 200_000 + '"}')),
                ((403, 'a change to the page must come from the page itself.'), post(json.dumps(ok), Origin='http://evil.example')),
                ((415, 'a change to the page must be sent as JSON'), request(url, 'POST', '/api/answer' + q, 'row=1', {'Content-Type': 'application/x-www-form-urlencoded'})),
                ((403, 'this page answers requests addressed to it'), request(url, path='/api/state' + q, headers={'Host': 'evil.example:%d' % port})),
                ((403, 'this page needs the address'), request(url, path='/api/state?token=%C3%A9')),
                ((404, 'the page has nothing at this address.'), request(url, path='/nothing' + q))]:
            assert got[0] == code and got[1].startswith(start) and len(got[1]) < 220, (code, start, got)
        assert request(url, path='/api/state' + q, headers={'Host': '127.0.0.1:%d' % port})[0] == 200      # an IP address: the wildcard's own
        reply = _raw(port, 'GET /api/state?token=\xe9t\xe9', '')                                      # a token in raw non-ASCII bytes
        assert reply.startswith('HTTP/1.1 403') and 'Traceback' not in reply
        assert _raw(port, f'GET /{q} extra', '').split(' ')[1] == '400'                              # a malformed request line, which werkzeug logs as an error
        assert request(url, 'POST', '/api/answer' + q, json.dumps(ok), {'Content-Type': 'application/json'})[0] == 200
    finally: stop_page(srv)
    assert srv.returncode == 0, err.read_text()
    lines = out.read_text().splitlines() + err.read_text().splitlines()
    logged = [l for l in lines if token in l]
    assert all(l.startswith(('Label in your browser: http://', 'From another machine: http://')) for l in logged), logged   # the address printed, never a log line
    log = err.read_text()
    assert re.search(r'POST /api/answer 200', log) and re.search(r'GET /api/state 403', log) and 'token=…' in log and 'Traceback' not in log

def _raw(port, line, body):
    "The raw reply to `line` (request line without the protocol) and `body`, sent as bytes (latin-1) to the page on 127.0.0.1:`port`."
    with socket.create_connection(('127.0.0.1', port), timeout=60) as s:
        data = body.encode()
        s.sendall(f"{line} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode('latin-1') + data)
        reply = b''
        while (b := s.recv(65536)): reply += b
    return reply.decode('utf-8', 'replace')
