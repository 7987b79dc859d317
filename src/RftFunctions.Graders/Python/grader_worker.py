# Long-lived python grader worker. Started by PythonGraderPool (C#); one request per stdin line, one answer per line on
# a private copy of stdout. Limits are set here, before any user code runs, and cannot be raised afterwards (the audit
# hook blocks setrlimit, process spawning, signals to other processes, sockets and ctypes).
import json
import math
import os
import resource
import sys
import traceback

MEMORY_BYTES = int(sys.argv[1])
FILE_BYTES = int(sys.argv[2])

resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))

# User code may print; keep fd 1 away from it so prints cannot corrupt the protocol.
_answers = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
_requests = sys.stdin.buffer

_BLOCKED = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
            "os.kill", "os.killpg", "pty.", "ctypes.", "resource.setrlimit", "resource.prlimit", "signal.pthread_kill",
            "webbrowser.", "urllib.Request", "ftplib.", "smtplib.", "http.client.", "nntplib.", "imaplib.", "poplib.",
            "telnetlib.")


def _audit(event, args):
    if event.startswith(_BLOCKED):
        raise PermissionError(f"'{event}' is not allowed inside a python grader")


_modules = {}


def _load(key, source):
    namespace = {"__name__": "grader", "__builtins__": __builtins__}
    exec(compile(source, "<grader>", "exec"), namespace)
    grade = namespace.get("grade")
    if not callable(grade):
        raise TypeError("the grader source does not define a callable grade(sample, item)")
    if len(_modules) >= 32:
        _modules.pop(next(iter(_modules)))
    _modules[key] = grade
    return grade


def _answer(obj):
    _answers.write((json.dumps(obj) + "\n").encode("utf-8"))


def _serve_one(line):
    request = json.loads(line)
    rid = request["id"]
    try:
        grade = _modules.get(request["key"])
        if grade is None:
            source = request.get("source")
            if source is None:
                _answer({"id": rid, "ok": False, "need_source": True})
                return
            grade = _load(request["key"], source)
        score = grade(request["sample"], request["item"])
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            _answer({"id": rid, "ok": False,
                     "error": f"grade() must return a float, got {type(score).__name__}: {repr(score)[:200]}"})
            return
        score = float(score)
        if not math.isfinite(score):
            _answer({"id": rid, "ok": False, "error": f"grade() returned a non-finite number: {score}"})
            return
        _answer({"id": rid, "ok": True, "score": score})
    except BaseException:  # user code may raise anything, SystemExit and MemoryError included
        try:
            details = traceback.format_exc(limit=20)
        except BaseException:
            details = "the grader raised an exception and its traceback could not be formatted (out of memory?)"
        _answer({"id": rid, "ok": False, "error": details[-8000:]})


def main():
    sys.addaudithook(_audit)
    _answer({"ready": True})
    while True:
        line = _requests.readline()
        if not line:
            return
        _serve_one(line)


main()
