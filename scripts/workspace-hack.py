#!/usr/bin/env python3
"""One feature set per dependency, whichever packages a cargo command selects.

Cargo enables a dependency's features from the packages a command selects
(`-p guard-wasm-host` alone turns on fewer of serde's than `--workspace`), and
a crate built with other features is another build: without help, the test
parts (scripts/test.d/, each selecting its own packages) rebuilt serde and
everything above it (wasmtime and cranelift among them) several times over.
The `guard-workspace-hack` crate (workspace-hack/), a dependency of every
member, pins those crates at the features the whole workspace gives them,
so every selection builds them once (decision 342 in docs/decisions.md).

  scripts/workspace-hack.py          check: every selection the test parts make
                                     resolves every dependency as --workspace does
                                     (run by scripts/test.d/00-rust-lint.sh)
  scripts/workspace-hack.py --write  pin what differs, at the workspace's features
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HACK = ROOT / "workspace-hack" / "Cargo.toml"

# The package selections of scripts/test.d/ and scripts/test.d/quick.sh.
SELECTIONS = [
    ["-p", "guard-core", "-p", "guard-conformance", "-p", "guard-cli"],
    ["-p", "guard-core", "-p", "guard-conformance"],
    ["-p", "guard-wasm", "-p", "guard-abi"],
    ["-p", "guard-server", "-p", "guard-sdk"],
    ["-p", "guard-wasm-host"],
    ["-p", "guard-cli"],
    ["-p", "guard-server", "-p", "guard-cli"],
    ["-p", "guard-sdk"],
    ["-p", "guard-server"],
]
# With dev-dependencies (tests, examples) and without (`cargo build --bins`).
EDGES = ["normal,dev,no-proc-macro", "normal,no-proc-macro"]
# The same with what runs on the host (build scripts, proc macros): `cc` and
# `syn` get their features from the selection too, and a build script built
# again rebuilds its crate (libsqlite3-sys, then sqlx and the server).
HOST_EDGES = ["normal,build,dev", "normal,build"]

LINE = re.compile(r"^(\S+) v(\S+)(?: \(([^)]*)\))? \[([^\]]*)\]")


def host() -> str:
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("host: "))


def member(path) -> bool:
    """Whether a crate line's path is a workspace member's: a crate patched
    in from vendor/ (idna, decision 660) is a dependency like any other, and
    a selection can build it with other features too."""
    return (path or "").startswith("/") and "/vendor/" not in path


def lines(args, edges, target):
    """{(name, version, features)} of the dependencies (registry or vendor/), host and target."""
    cmd = ["cargo", "tree", "--locked", "--target", target, "-e", edges,
           "--prefix", "none", "-f", "{p} [{f}]", *args]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    got = set()
    for line in out.splitlines():
        m = LINE.match(line)
        if m and not member(m.group(3)):
            got.add((m.group(1), m.group(2), tuple(sorted(f for f in m.group(4).split(",") if f))))
    return got


def host_differences(target):
    """Crates some selection builds, on either side, with a feature set --workspace does not."""
    ws = lines(["--workspace"], HOST_EDGES[0], target)
    diff = {}
    for sel in SELECTIONS:
        for edges in HOST_EDGES:
            for name, version, feats in lines(sel, edges, target) - ws:
                diff.setdefault((name, version), []).append(f"{' '.join(sel)} ({edges.split(',')[-1]})")
    union = {}
    for name, version, feats in ws:
        union.setdefault((name, version), set()).update(feats)
    return union, diff


def tree(args, edges, target):
    """{(name, version): features} of the dependencies (registry or vendor/) built for the target."""
    cmd = ["cargo", "tree", "--locked", "--target", target, "-e", edges,
           "--prefix", "none", "-f", "{p} [{f}]", *args]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m or member(m.group(3)):
            continue  # a member or not a crate line
        feats = tuple(sorted(f for f in m.group(4).split(",") if f))
        got[(m.group(1), m.group(2))] = feats
    return got


def differences(target):
    """The crates some selection builds with other features than --workspace."""
    ws = tree(["--workspace"], EDGES[0], target)
    diff = {}
    for sel in SELECTIONS:
        for edges in EDGES:
            for key, feats in tree(sel, edges, target).items():
                if ws.get(key) != feats:
                    diff.setdefault(key, []).append(f"{' '.join(sel)} ({edges.split(',')[1]})")
    return ws, diff


def pinned(section):
    """The crates pinned in the hack's dependencies (0) or build-dependencies (1)."""
    parts = HACK.read_text().split("# -- generated below")[-1].split("build-dependencies]")
    text = parts[section] if section < len(parts) else ""
    return set(re.findall(r'package = "([^"]+)"', text)) | set(
        re.findall(r'^([A-Za-z0-9_-]+) = \{ version', text, re.M))


def pins(ws, names):
    versions = {}
    for (name, version), feats in ws.items():
        if name in names:
            versions.setdefault(name, []).append((version, tuple(sorted(feats))))
    lines = []
    for name in sorted(versions):
        many = len(versions[name]) > 1
        for version, feats in sorted(versions[name]):
            key = f"{name}-{version.replace('.', '_')}" if many else name
            pkg = f'package = "{name}", ' if many else ""
            fl = ", ".join(f'"{f}"' for f in feats)
            lines.append(f'{key} = {{ {pkg}version = "={version}", default-features = false, features = [{fl}] }}')
    return lines


def write(ws, names, host_ws, host_names):
    head = HACK.read_text().split("# -- generated below")[0]
    HACK.write_text(head + "# -- generated below by scripts/workspace-hack.py --write\n"
                    + "\n".join(pins(ws, names)) + "\n\n"
                    + "[target.'cfg(not(target_arch = \"wasm32\"))'.build-dependencies]\n"
                    + "\n".join(pins(host_ws, host_names)) + "\n")
    # The lock file learns the hack's dependencies (all of them locked already).
    subprocess.run(["cargo", "update", "--workspace", "--offline", "-q"],
                   cwd=ROOT, stdout=subprocess.DEVNULL, check=True)


def main():
    target = host()
    ws, diff = differences(target)
    host_ws, host_diff = host_differences(target)
    if "--write" in sys.argv:
        names = pinned(0) | {name for name, _ in diff}
        write(ws, names, host_ws, pinned(1) | ({n for n, _ in host_diff} - names))
        ws, diff = differences(target)
        host_ws, host_diff = host_differences(target)
    diff.update(host_diff)
    if diff:
        print("workspace-hack: these crates are built with other features than --workspace gives them")
        for (name, version), where in sorted(diff.items()):
            print(f"  {name} v{version}: {'; '.join(where[:3])}")
        print("run scripts/workspace-hack.py --write (and commit workspace-hack/Cargo.toml)")
        sys.exit(1)
    print(f"workspace-hack: {len(SELECTIONS) * len(EDGES)} selections build every dependency once")


if __name__ == "__main__":
    main()
