"""The hand-written clients ``import_users.py`` measures the tool against, each run as its own process.

Run by the benchmark as ``python benchmarks/import_clients.py KIND URL POOL PREFIX USERS [WORKERS]``; prints one
JSON line: ``{"created": n, "failed": n}``. Each kind is what a careful engineer would write by hand:

- ``pool``: a plain ``ThreadPoolExecutor`` of ``WORKERS`` threads, one ``AdminCreateUser`` per row, botocore's
  *standard* retry mode (10 attempts: exponential backoff with full jitter on throttling). The benchmark sizes
  the pool for the quota it knows (Little's law: quota x mean round trip x 1.1), so this baseline is told the quota.
- ``adaptive``: the same pool with botocore's *adaptive* retry mode (its client-side rate limiter, which cuts on
  throttling and probes back up, CUBIC-style), ``WORKERS`` threads, not told the quota.
- ``sequential``: one create after another, standard retries.
- ``ceiling``: the instrument's own ceiling: ``WORKERS`` threads each with a kept-alive ``http.client``
  connection sending unsigned ``AdminCreateUser`` requests (moto does not check signatures), no SDK in the way.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

REGION = "eu-west-1"
TARGET = "AWSCognitoIdentityProviderService.AdminCreateUser"


def _boto_client(url: str, mode: str, workers: int) -> Any:
    import boto3
    import botocore.config

    config = botocore.config.Config(
        retries={"mode": mode, "total_max_attempts": 10},  # type: ignore[typeddict-item]
        max_pool_connections=max(workers, 10),
    )
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def _create(client: Any, pool: str, email: str) -> bool:
    try:
        client.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:group", "Value": "ops"}],
            MessageAction="SUPPRESS",
        )
    except client.exceptions.ClientError:
        return False
    return True


def boto_pool(url: str, pool: str, emails: list[str], workers: int, mode: str) -> int:
    """Creates ``emails`` with ``workers`` threads sharing one client; the count that went through."""
    client = _boto_client(url, mode, workers)
    with ThreadPoolExecutor(workers) as executor:
        return sum(executor.map(lambda email: _create(client, pool, email), emails))


def sequential(url: str, pool: str, emails: list[str]) -> int:
    client = _boto_client(url, "standard", 1)
    return sum(_create(client, pool, email) for email in emails)


def ceiling(url: str, pool: str, emails: list[str], workers: int) -> int:
    """As many creates as ``workers`` kept-alive connections carry, SDK-free; the count answered 200."""
    parts = urlsplit(url)
    pending = iter(emails)
    lock = threading.Lock()
    created = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        headers = {
            "X-Amz-Target": TARGET,
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/cognito-idp/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=0",
        }
        ok = 0
        while True:
            with lock:
                email = next(pending, None)
            if email is None:
                break
            body = {
                "UserPoolId": pool,
                "Username": email,
                "UserAttributes": [{"Name": "email", "Value": email}],
                "MessageAction": "SUPPRESS",
            }
            conn.request("POST", "/", json.dumps(body), headers)
            answer = conn.getresponse()
            answer.read()
            ok += answer.status == 200
        with lock:
            created[0] += ok

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return created[0]


def main() -> None:
    kind, url, pool, prefix, users = sys.argv[1:6]
    workers = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    emails = [f"{prefix}{i:07}@example.com" for i in range(int(users))]
    if kind == "pool":
        created = boto_pool(url, pool, emails, workers, "standard")
    elif kind == "adaptive":
        created = boto_pool(url, pool, emails, workers, "adaptive")
    elif kind == "sequential":
        created = sequential(url, pool, emails)
    elif kind == "ceiling":
        created = ceiling(url, pool, emails, workers)
    else:
        raise SystemExit(f"unknown client {kind!r}")
    print(json.dumps({"created": created, "failed": len(emails) - created}))


if __name__ == "__main__":
    main()
