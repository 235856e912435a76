"""Benchmark: how many AdminCreateUser calls a second the sandbox's moto carries, and whether that holds as the
pool grows.

The sandbox's moto server (``cognito_privx.sandbox.runner.MotoServer``, moto's fixes applied) runs in a child
process; this process drives it with raw HTTP (keep-alive, one connection per thread, no signing: moto does not
check signatures), so the client costs little next to the server. The pool is set up as the tool's are (email as
the user name, case-insensitive). Printed: creates a second in each window of ``--window`` users, from the first
user to the last; a flat line means a create costs the same in a full pool as in an empty one.

Run:  .venv/bin/python benchmarks/sandbox_creates.py              (4,000 users, 4 threads)
      .venv/bin/python benchmarks/sandbox_creates.py --users 8000 --window 1000
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

REGION = "eu-west-1"
SERVER = (
    "import sys, time\n"
    "from cognito_privx.sandbox.runner import MotoServer\n"
    "s = MotoServer().start()\n"
    "print(s.url, flush=True)\n"
    "sys.stdin.read()\n"
)


def call(conn: http.client.HTTPConnection, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """One Cognito JSON call; raises on an error answer."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/cognito-idp/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    conn.request("POST", "/", json.dumps(body), headers)
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{action}: {answer.status} {data[:200]!r}")
    return json.loads(data) if data else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = urlsplit(server.stdout.readline().strip())
        host, port = url.hostname or "127.0.0.1", url.port or 80
        setup = http.client.HTTPConnection(host, port)
        pool = call(
            setup,
            "CreateUserPool",
            {"PoolName": "bench", "UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}},
        )["UserPool"]["Id"]
        done: list[float] = []  # the time each create was answered
        lock = threading.Lock()
        counter = iter(range(args.users))

        def worker() -> None:
            conn = http.client.HTTPConnection(host, port)
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body = {
                    "UserPoolId": pool,
                    "Username": f"user{i:07d}@example.com",
                    "MessageAction": "SUPPRESS",
                    "UserAttributes": [{"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "U"}],
                }
                call(conn, "AdminCreateUser", body)
                with lock:
                    done.append(time.perf_counter())

        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.perf_counter() - start
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    done.sort()
    print(f"\nAdminCreateUser on the sandbox's moto: {args.users} users, {args.threads} threads")
    print(f"{'users':>15} {'creates/s':>10}")
    previous = start
    for end in range(args.window, args.users + 1, args.window):
        at = done[end - 1]
        print(f"{end - args.window + 1:>6}-{end:<8} {args.window / (at - previous):>10.0f}")
        previous = at
    print(f"{'overall':<15} {args.users / total:>10.0f}")


if __name__ == "__main__":
    main()
