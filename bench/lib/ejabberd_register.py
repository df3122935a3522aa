#!/usr/bin/env python3
"""Registers user1..userN (password Rb7-load-N) on the benchmark's ejabberd through its HTTP API
(`register` command of mod_http_api on loopback), over a few keep-alive connections.

usage: ejabberd_register.py PORT HOST COUNT
"""
import http.client
import json
import sys
import threading


def worker(port, host, numbers, failures):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for n in numbers:
        body = json.dumps({"user": f"user{n}", "host": host, "password": f"Rb7-load-{n}"})
        for attempt in range(3):
            try:
                conn.request("POST", "/api/register", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                text = resp.read().decode(errors="replace")
                if resp.status == 200 or "already registered" in text:
                    break
                if attempt == 2:
                    failures.append(f"user{n}: HTTP {resp.status} {text[:200]}")
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                if attempt == 2:
                    failures.append(f"user{n}: {e}")
    conn.close()


def main():
    port, host, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    threads, failures = [], []
    for k in range(4):
        numbers = range(1 + k, count + 1, 4)
        t = threading.Thread(target=worker, args=(port, host, numbers, failures))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if failures:
        print("\n".join(failures[:10]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
