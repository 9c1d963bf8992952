#!/usr/bin/env python3
"""Finds import circles between the modules (files) of each crate.

A module imports another when its code (tests excluded: a `#[cfg(test)]`
module may reach anywhere) names a path into it: `use crate::a::b`,
`crate::a::b::f()`, `super::x`, `self::x`, or a name the crate root
re-exports (`crate::Guard` is the module that defines `Guard`). The crate
root itself only declares modules and re-exports, so it is not a node.
Circles are the strongly connected components of that graph with more than
one module.

No crate may have a circle, except the server's known ones, which may only
shrink (issue 22 item 6 takes them apart): a module that joins one, or a new
circle, fails the check.

    python3 scripts/import-circles.py            # check (lint part)
    python3 scripts/import-circles.py --list     # print every circle
    python3 scripts/import-circles.py --self-test
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = [
    "guard-core",
    "guard-wasm",
    "guard-wasm/abi",
    "host-runtime/wasm-host",
    "host-runtime/server",
    "host-runtime/cli",
    "host-runtime/sdk",
    "tests",
]
TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{")
PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::\w+)*)::\{([^;]*)\};", re.S)


def expand(tree):
    """The paths of a use tree's group: `a::{b, c::d}, e` → a::b, a::c::d, e."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(tree + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            item = tree[start:i].strip()
            start = i + 1
            m = re.match(r"((?:\w+::)*)\{(.*)\}$", item, re.S)
            if m:
                out += [m.group(1) + p for p in expand(m.group(2))]
            elif item:
                out.append(item.split(" as ")[0].strip())
    return out
REEXPORT = re.compile(r"\bpub\s+use\s+(?:crate::|self::)?([\w:]+)::\{([^;]*)\};|\bpub\s+use\s+(?:crate::|self::)?([\w:]+)::(\w+)\s*;", re.S)


def strip(text):
    """Drops comments, string literals and `#[cfg(test)]` module bodies."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    out, i = [], 0
    for m in TEST_MOD.finditer(text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def modules(src):
    """Maps module path (tuple) to file for every .rs file under `src`."""
    found = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel in (["lib"], ["main"]) or rel[:1] == ["bin"]:
                continue
            found[tuple(rel)] = os.path.join(dirpath, f)
    return found


def reexports(src, mods):
    """Names the crate root re-exports, mapped to the module defining them."""
    names = {}
    for root in ("lib.rs", "main.rs"):
        p = os.path.join(src, root)
        if not os.path.exists(p):
            continue
        text = strip(open(p, encoding="utf-8").read())
        for m in REEXPORT.finditer(text):
            base = (m.group(1) or m.group(3)).split("::")
            items = m.group(2).split(",") if m.group(2) else [m.group(4)]
            owner = resolve(tuple(base), mods)
            for item in items:
                item = item.strip().split(" as ")[-1].strip()
                if owner and item:
                    names[item] = owner
    return names


def resolve(path, mods):
    """The deepest module that `path` (from the crate root) names."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in mods:
            return tuple(path[:n])
    return None


def edges_of(mod, text, mods, names):
    out = set()
    refs = []
    for m in USE_GROUP.finditer(text):
        for item in expand(m.group(3)):
            refs.append((m.group(1), m.group(2) + "::" + item))
    refs += [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
    for kind, rest in refs:
        parts = [p for p in rest.split("::") if p]
        if kind == "crate":
            base = []
        elif kind == "self":
            base = list(mod)
        else:
            base = list(mod[:-1])
            while parts and parts[0] == "super":
                base, parts = base[:-1], parts[1:]
        full = tuple(base + parts)
        target = resolve(full, mods)
        if target is None and not base and parts and parts[0] in names:
            target = names[parts[0]]
        # A child naming its parent (`super::X`) imports it too: a parent
        # that also uses the child makes a circle.
        if target and target != mod:
            out.add(target)
    return out


def circles(graph):
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def crate_circles(crate):
    src = os.path.join(ROOT, crate, "src")
    mods = modules(src)
    names = reexports(src, mods)
    graph = {}
    for mod, path in mods.items():
        text = strip(open(path, encoding="utf-8").read())
        graph[mod] = edges_of(mod, text, mods, names)
    return [["::".join(m) for m in c] for c in circles(graph)]


def self_test():
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src")
        os.makedirs(os.path.join(src, "a"))
        files = {
            "lib.rs": "mod a; mod b; mod c; pub use c::Thing;",
            "a/mod.rs": "pub mod inner; use crate::b::f;",
            "a/inner.rs": "use super::super::Thing;",
            "b.rs": "pub fn f() {}\n#[cfg(test)]\nmod tests { use crate::a::x; }",
            "c.rs": "use crate::a::inner; // crate::b\npub struct Thing;",
        }
        for name, text in files.items():
            with open(os.path.join(src, name), "w") as f:
                f.write(text)
        mods = modules(src)
        names = reexports(src, mods)
        graph = {m: edges_of(m, strip(open(p).read()), mods, names) for m, p in mods.items()}
        got = [["::".join(m) for m in c] for c in circles(graph)]
        # a::inner -> c (through the re-export), c -> a::inner: one circle;
        # b's test module and c's comment add nothing.
        want = [["a::inner", "c"]]
        if got != want:
            print(f"import-circles self-test: expected {want}, found {got}", file=sys.stderr)
            return 1
    print("import-circles self-test: a circle through a re-export is found, tests and comments are not edges")
    return 0


# The server's modules in a circle when this check was written; the list may
# only shrink (delete a line when its module leaves every circle).
SERVER_KNOWN = set(
    """
    auth change distribution::keyring distribution::keysets distribution::listen
    distribution::longpoll distribution::signer policy resources::applications
    resources::blocked resources::superapps state store
    """.split()
)


def main(argv):
    if "--self-test" in argv:
        return self_test()
    listing = "--list" in argv
    failed = False
    for crate in CRATES:
        found = crate_circles(crate)
        if listing:
            for c in found:
                print(f"{crate}: {' ↔ '.join(c)}")
            continue
        if crate == "host-runtime/server":
            joined = sorted({m for c in found for m in c} - SERVER_KNOWN)
            if joined:
                failed = True
                print(f"import-circles: {crate}: {', '.join(joined)} joined an import circle "
                      "(the server's circles may only shrink; see --list)", file=sys.stderr)
            continue
        for c in found:
            failed = True
            print(f"import-circles: {crate}: {' ↔ '.join(c)} import each other", file=sys.stderr)
    if listing:
        return 0
    if failed:
        return 1
    print("import-circles: no crate but the server has an import circle, and the server's did not grow")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
