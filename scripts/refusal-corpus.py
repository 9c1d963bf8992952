#!/usr/bin/env python3
"""Writes a corpus of policy documents, most of them broken, one per line as
hex, for `cargo run -p guard-core --example refusal_texts`: every policy in
the vector folders (compact and indented) and, for each, every member of
every object and every list element replaced by a value of each JSON type,
removed, written twice or joined by an unknown member, every object written
as an array of its values, and syntax breakages. Comparing the texts the
example prints before and after a change to the readers shows every message
that changed (decisions 540, 542, 600).

Usage: python3 scripts/refusal-corpus.py [KIND] > /tmp/corpus.hex
KIND is `policy` (the default) or `config`, `keys`, `floor`, `state`,
`batch` (a device's report batch): the
same breakages of a few valid documents of that reader.
"""
import glob
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")
BAD = [8.5, -1, 5, 0, "x", "", [], {}, None, True, [5], ["x"], [{}], 1e30,
       18446744073709551616, -0.0, {"a": 1}]


def policies():
    seen = set()
    files = sorted(glob.glob(os.path.join(ROOT, "../shared/vectors*/*.json"))
                   + glob.glob(os.path.join(ROOT, "tests/vectors/*/*.json")))
    for f in files:
        stack = [json.load(open(f))]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "policy" and isinstance(x, dict):
                        key = json.dumps(x, sort_keys=True)
                        if key not in seen:
                            seen.add(key)
                            yield x
                    stack.append(x)
            elif isinstance(v, list):
                stack.extend(v)


def dump(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def variants(v):
    """(replacement builder) pairs: every way to break `v` at one place."""
    if isinstance(v, dict):
        items = list(v.items())
        for i, (k, x) in enumerate(items):
            for bad in BAD:
                yield "{" + ",".join(dump(a) + ":" + (dump(bad) if j == i else dump(b))
                                     for j, (a, b) in enumerate(items)) + "}"
            yield dump({a: b for a, b in items if a != k})
            yield "{" + ",".join(dump(a) + ":" + dump(b) for a, b in items + [(k, x)]) + "}"
            for inner in variants(x):
                yield "{" + ",".join(dump(a) + ":" + (inner if j == i else dump(b))
                                     for j, (a, b) in enumerate(items)) + "}"
        yield dump(dict(items + [("zz_unknown", 1)]))
        yield dump([b for _, b in items])
        yield dump({})
    elif isinstance(v, list):
        for i, x in enumerate(v[:3]):
            for bad in BAD:
                yield "[" + ",".join(dump(bad) if j == i else dump(b) for j, b in enumerate(v)) + "]"
            for inner in variants(x):
                yield "[" + ",".join(inner if j == i else dump(b) for j, b in enumerate(v)) + "]"


JWK = {"kty": "OKP", "crv": "Ed25519", "kid": "2026-12", "alg": "EdDSA", "use": "sig",
       "x": "oGLZaSl9yuoXZCZf2lzTC5uLVjx9UhtG0Jo51ARBBIQ"}
SEEDS = {
    "config": [{"secret": "k3yK3yk3yK3yk3y1", "keys": [JWK], "local_prefixes": ["wxfile://"]},
               {"roots": [JWK], "superapp_id": "demo"}],
    "keys": [{"secret": "k3yK3yk3yK3yk3y1", "keys": [JWK]}],
    "floor": [{"superapp_id": "demo", "version": 7, "digest": "ab" * 32}],
    "state": [{"keyset": "a.b.c", "bundle_keyset": "d.e.f", "bundle": "g.h.i"}],
    "batch": [{"reports": [
        {"app": "mp", "kind": "request", "host": "a.example", "code": "domain_not_allowed",
         "mode": "enforce", "policy_version": 7, "count": 2, "first_seen": 10, "last_seen": 20},
        {"app": "mp", "kind": "api", "api": "getLocation", "code": "permission_not_granted",
         "mode": "report", "policy_version": 7, "count": 1, "first_seen": 11, "last_seen": 11}],
        "dropped": 3}],
}


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "policy"
    out = []
    for p in (policies() if kind == "policy" else SEEDS[kind]):
        compact = dump(p).encode()
        out.append(compact)
        out.append(json.dumps(p, indent=2, ensure_ascii=False).encode())
        for n in range(1, len(compact), max(1, len(compact) // 12)):
            out.append(compact[:n])
        out.append(compact[:-1] + b",}")
        out.append(compact.replace(b'"', b'"\xff', 1))
        out.append(compact + b" x")
        for broken in variants(p):
            out.append(broken.encode())
    for doc in out:
        print(doc.hex())


main()
