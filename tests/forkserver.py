"""Console scripts run in fresh processes forked from one that has imported mqnet once.

Every system test runs a console script (or a `python -c` program) as its own process. Starting one costs about
3 s of importing torch, fastai and scikit-learn before the command reads its first argument, which over the
suite's hundreds of calls is most of its time. This server imports them once; each command then runs in a child
forked from it, with the command's arguments, environment and working directory, its stdout and stderr in files,
stdin empty, and its exit status as a fresh interpreter gives it: `sys.exit`'s code, 1 and a traceback for an uncaught
exception, 0 otherwise; atexit handlers run, and `os._exit` or a signal ends the child as it would end a process.
The server itself never computes anything (no thread pool of torch is started before a fork). Tests that send a
process a signal or watch it run start real processes.

The protocol: one JSON request a line on stdin, {argv, env, cwd, stdout, stderr, timeout[, code]}; one JSON reply a
line on stdout, {rc} (rc -9 where the child ran past its timeout and was killed).
"""
import json, os, signal, sys, time

def _child(req:dict):
    "Run one request in this (forked) process; never returns."
    import atexit, traceback, warnings
    os.chdir(req['cwd'])
    os.environ.clear(); os.environ.update(req['env'])
    for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, req['stdout'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                           (2, req['stderr'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
        f = os.open(path, mode); os.dup2(f, fd); os.close(f)
    warnings.filters[:] = BASE_FILTERS; warnings._processoptions([o for o in req['env'].get('PYTHONWARNINGS', '').split(',') if o])
    sys.argv = list(req['argv'])
    try:
        if 'code' in req: exec(compile(req['code'], '<string>', 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})
        else:
            from importlib.metadata import entry_points
            ep, = [e for e in entry_points(group='console_scripts') if e.name == req['argv'][0]]
            sys.exit(ep.load()())                          # what the generated console script does
        rc = 0
    except SystemExit as e:
        rc = 0 if e.code is None else e.code if isinstance(e.code, int) else (print(e.code, file=sys.stderr), 1)[1]
    except BaseException:
        traceback.print_exc(); rc = 1
    try: atexit._run_exitfuncs()
    finally:
        for s in (sys.stdout, sys.stderr):
            try: s.flush()
            except Exception: pass
        os._exit(rc & 0xFF)

def _wait(pid:int, timeout:float) -> int:
    "The child's return code as subprocess gives it (-N: killed by signal N); killed with SIGKILL past `timeout` seconds."
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done: return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end: os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0); return -9
        time.sleep(0.02)

def serve():
    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.flush(); sys.stderr.flush()
        pid = os.fork()
        if pid == 0: _child(req)
        print(json.dumps(dict(rc=_wait(pid, req['timeout']))), flush=True)

if __name__ == '__main__':
    import warnings
    BASE_FILTERS = list(warnings.filters)
    warnings.simplefilter('ignore')                        # what importing says (deprecations of torch's own modules) is not a command's
    import mqnet.cli, mqnet.serve, mqnet.figures, mqnet.tables, mqnet.label   # noqa: F401 (the imports every command makes)
    warnings.filters[:] = BASE_FILTERS
    print(json.dumps(dict(ready=True)), flush=True)
    serve()
