# Long-lived python grader worker. Started by PythonGraderPool (C#), normally inside a bubblewrap sandbox (see
# PythonSandbox.cs), which is the security boundary; one request per stdin line, one answer per line on a private copy
# of stdout. Every worker serves one project only. Limits are set here, before any user code runs; hard limits cannot
# be raised again by an unprivileged process. The audit hook below is a courtesy that gives clear errors for the
# obvious attempts (sockets, subprocess, setrlimit); grader code can get around it, the sandbox holds regardless.
import json
import math
import os
import resource
import sys
import traceback

MEMORY_BYTES = int(sys.argv[1])
FILE_BYTES = int(sys.argv[2])
PROCESSES = int(sys.argv[3]) if len(sys.argv) > 3 else 0
CPU_SECONDS = int(sys.argv[4]) if len(sys.argv) > 4 else 0

resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
if PROCESSES > 0:
    # Counted per user namespace: the sandbox's own processes and threads, this one included.
    resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
if CPU_SECONDS > 0:
    # SIGXCPU at the soft limit, SIGKILL a little later; the pool recycles workers long before either.
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))

# User code may print; keep fd 1 away from it so prints cannot corrupt the protocol.
_answers = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
_requests = sys.stdin.buffer

_BLOCKED_EVENTS = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "os.kill", "os.killpg", "pty.", "ctypes.", "resource.setrlimit", "resource.prlimit",
                   "signal.pthread_kill", "webbrowser.", "urllib.Request", "ftplib.", "smtplib.", "http.client.",
                   "nntplib.", "imaplib.", "poplib.", "telnetlib.")


def _make_audit(blocked):
    def _audit(event, args):
        if event.startswith(blocked):
            raise PermissionError(f"'{event}' is not allowed inside a python grader")
    return _audit


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


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _answer(obj):
    obj["cpu"] = _cpu_seconds()
    _answers.write((json.dumps(obj) + "\n").encode("utf-8"))


def _check(rid, source):
    # Compile only (no top-level code runs): the syntax check behind /graders/validate and job create.
    try:
        compile(source, "<grader>", "exec")
        _answer({"id": rid, "ok": True})
    except SyntaxError as e:
        _answer({"id": rid, "ok": False, "error": f"{type(e).__name__}: {e.msg} (line {e.lineno}, column {e.offset})"})
    except BaseException as e:  # ValueError (null bytes), RecursionError, MemoryError
        _answer({"id": rid, "ok": False, "error": f"{type(e).__name__}: {str(e)[:500]}"})


def _serve_one(line):
    request = json.loads(line)
    rid = request["id"]
    if "check" in request:
        _check(rid, request["check"])
        return
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
    sys.addaudithook(_make_audit(_BLOCKED_EVENTS))
    _answer({"ready": True})
    while True:
        line = _requests.readline()
        if not line:
            return
        _serve_one(line)


main()
