#!/usr/bin/env python3
"""Creates or deletes the benchmark's backup StatefulMigrations on the Karmada
apiserver, fast: parallel POSTs over keep-alive TLS connections.

  objects.py create --server URL --ca FILE --token-file FILE --count N
  objects.py delete --server URL --ca FILE --token-file FILE

Objects are backup-bench-NNNNN in karmada-system with the seed's labels
(app: backup-migration, backup-id, type: backup) plus kbr.io/bench=true, which
`delete` removes in one delete-collection request.
"""
import argparse
import concurrent.futures
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

NS = "karmada-system"
COLLECTION = f"/apis/migration.dcnlab.com/v1alpha1/namespaces/{NS}/statefulmigrations"
BENCH_LABEL = "kbr.io/bench"


def backup_object(i):
    bid = f"bench-{i:05d}"
    return {
        "apiVersion": "migration.dcnlab.com/v1alpha1",
        "kind": "StatefulMigration",
        "metadata": {
            "name": f"backup-{bid}",
            "namespace": NS,
            "labels": {
                "app": "backup-migration",
                "backup-id": bid,
                "type": "backup",
                "app.kubernetes.io/managed-by": "kbr",
                "kbr.io/registry-id": "bench-registry",
                BENCH_LABEL: "true",
            },
            "annotations": {"kbr.io/name": f"mysql-{i:05d}-daily", "kbr.io/description": "bench"},
        },
        "spec": {
            "targetCluster": "member1" if i % 2 == 0 else "member2",
            "resourceType": "statefulset",
            "resourceName": f"mysql-{i:05d}",
            "namespace": "database",
            "registryID": "bench-registry",
            "repository": f"backups/mysql-{i:05d}",
            "imageRepository": f"registry.example.com/backups/mysql-{i:05d}",
            "backupType": "checkpoint",
            "schedule": {"type": "selection", "value": "daily", "cron": "0 0 * * *", "enabled": True,
                         "timeZone": "UTC"},
            "phase": "pending",
        },
    }


class Api:
    """One keep-alive connection per thread."""

    def __init__(self, server, ca, token):
        u = urllib.parse.urlparse(server)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.local = threading.local()

    def request(self, method, path, body=None):
        for attempt in range(5):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
                self.local.conn = conn
            try:
                conn.request(method, path, body=body, headers=self.headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 429 or resp.status >= 500:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                return resp.status, data
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"{method} {path}: no answer after 5 attempts")


def create(api, count, workers):
    def one(i):
        status, data = api.request("POST", COLLECTION, json.dumps(backup_object(i)))
        if status not in (201, 409):  # 409: left by an earlier run, same object
            raise RuntimeError(f"create backup-bench-{i:05d}: HTTP {status}: {data[:300]!r}")
        return status

    t0 = time.time()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for status in pool.map(one, range(count)):
            done += 1
            if done % 2000 == 0:
                print(f"  {done}/{count} objects ({done / (time.time() - t0):.0f}/s)", file=sys.stderr)
    print(f"  {count} objects in {time.time() - t0:.1f}s", file=sys.stderr)


def delete(api):
    selector = urllib.parse.quote(f"{BENCH_LABEL}=true")
    status, data = api.request("DELETE", f"{COLLECTION}?labelSelector={selector}")
    if status != 200:
        raise RuntimeError(f"delete collection: HTTP {status}: {data[:300]!r}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("verb", choices=["create", "delete"])
    p.add_argument("--server", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--workers", type=int, default=32)
    a = p.parse_args()
    with open(a.token_file) as f:
        token = f.read().strip()
    api = Api(a.server, a.ca, token)
    if a.verb == "create":
        create(api, a.count, a.workers)
    else:
        delete(api)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line, no traceback noise
        print(f"objects.py: {e}", file=sys.stderr)
        sys.exit(1)
