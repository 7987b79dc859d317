"""A small OpenAI-compatible server for the grading tests, run as its own process.

POST /v1/chat/completions  judge: reads the sample between '<<' and '>>' in the last user message and answers
                           score_model with {"result": score(sample)} and label_model with "good"/"bad" by parity.
POST /v1/embeddings        vectors derived from each text (float lists, or base64 float32 when asked).
POST /grade                endpoint grader: 503 (Retry-After: 0) for the first two attempts of each trace_id, then
                           {"score": score(sample.output_text)}.
POST /slow                 holds each request 1 s and logs how many were in flight when it arrived.
POST /redirect             302 to the cloud metadata address.
Every request is appended to the log file (argv[1]) as one JSON line; the port is printed on the first stdout line.
"""
import base64
import json
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]
LOCK = threading.Lock()
ATTEMPTS = {}
IN_FLIGHT = [0]


def score(text):
    # Sample-dependent and mostly non-zero; the tests compute the same from the stored samples.
    return (sum(ord(c) for c in text) % 89) / 88


def vector(text):
    return [float(len(text) + 1), float(sum(ord(c) for c in text) % 17 + 1), float(sum(c in "aeiou" for c in text) + 1)]


def log(entry):
    with LOCK, open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def sample_of(messages):
    text = [m for m in messages if m["role"] == "user"][-1]["content"]
    start, end = text.index("<<") + 2, text.rindex(">>")
    return text[start:end]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path == "/v1/chat/completions":
            sample = sample_of(body["messages"])
            schema = json.dumps(body.get("response_format", {}))
            if '"enum"' in schema:
                result = "good" if sum(ord(c) for c in sample) % 2 == 0 else "bad"
            else:
                result = score(sample)
            prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4 + 1
            log({"path": self.path, "model": body["model"], "sample": sample, "result": result,
                 "auth": self.headers.get("Authorization"), "temperature": body.get("temperature"), "seed": body.get("seed")})
            self.reply(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": "judge-model-2025-01-01",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": json.dumps({"steps": [], "result": result}), "refusal": None}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 9, "total_tokens": prompt_tokens + 9,
                          "prompt_tokens_details": {"cached_tokens": 2}},
            })
        elif self.path == "/v1/embeddings":
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for i, t in enumerate(texts):
                v = vector(t)
                emb = base64.b64encode(struct.pack("<%df" % len(v), *v)).decode() if body.get("encoding_format") == "base64" else v
                data.append({"object": "embedding", "index": i, "embedding": emb})
            log({"path": self.path, "model": body["model"], "input": texts})
            self.reply(200, {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 3, "total_tokens": 3}})
        elif self.path == "/grade":
            trace = body["trace_id"]
            with LOCK:
                ATTEMPTS[trace] = ATTEMPTS.get(trace, 0) + 1
                attempt = ATTEMPTS[trace]
            text = body["sample"]["output_text"]
            log({"path": self.path, "trace_id": trace, "attempt": attempt, "sample": text, "auth": self.headers.get("Authorization")})
            if attempt <= 2:
                self.reply(503, {"error": "warming up"}, {"Retry-After": "0"})
            else:
                self.reply(200, {"score": score(text)})
        elif self.path == "/slow":
            with LOCK:
                IN_FLIGHT[0] += 1
                now = IN_FLIGHT[0]
            log({"path": self.path, "in_flight": now})
            time.sleep(1.0)
            with LOCK:
                IN_FLIGHT[0] -= 1
            self.reply(200, {"score": 1})
        elif self.path == "/redirect":
            log({"path": self.path})
            self.reply(302, {}, {"Location": "http://169.254.169.254/latest/meta-data/"})
        else:
            self.reply(404, {"error": "no such path"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
