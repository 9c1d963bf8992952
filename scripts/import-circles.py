#!/usr/bin/env python3
"""Finds import circles between the modules (files) of each crate, and the
server's imports of a floor above their own.

A module imports another when its code (tests excluded: a `#[cfg(test)]`
module may reach anywhere) names a path into it: `use crate::a::b`,
`crate::a::b::f()`, `super::x`, `self::x`, or a name the crate root
re-exports (`crate::Guard` is the module that defines `Guard`). The crate
root itself only declares modules and re-exports, so it is not a node.
Circles are the strongly connected components of that graph with more than
one module.

No crate may have a circle: a new one fails the check (issue 22 item 6 took
the server's last two apart, the core's and the console's).

The server is also built in floors (SERVER_FLOORS, bottom to top; each
module is on the floor of the longest path prefix naming it): a module may
import only modules on its own floor or below, so an upward import fails,
and so does a module no floor names (a new file says where it belongs).

    python3 scripts/import-circles.py            # check (lint part)
    python3 scripts/import-circles.py --list     # print every circle
    python3 scripts/import-circles.py --floors   # print the server's floors
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
    """Drops comments, char, byte and string literals and `#[cfg(test)]` module bodies."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # A char or byte literal first: `b'"'` read as the start of a string
    # would swallow code up to the next `"` (a lifetime `'a` has no closing
    # quote one character later, so it stays).
    text = re.sub(r"b?'(?:\\.|[^'\\\n])'", "' '", text)
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


def crate_graph(crate):
    """Every module of `crate` and the modules it imports."""
    src = os.path.join(ROOT, crate, "src")
    mods = modules(src)
    names = reexports(src, mods)
    graph = {}
    for mod, path in mods.items():
        text = strip(open(path, encoding="utf-8").read())
        graph[mod] = edges_of(mod, text, mods, names)
    return graph


def crate_circles(crate):
    return [["::".join(m) for m in c] for c in circles(crate_graph(crate))]


def floor_of(mod, floors):
    """The index of `mod`'s floor: the floor of the longest prefix naming it
    (`a` names `a` and `a::b`); None when no floor does."""
    best, depth = None, -1
    for i, (_, prefixes) in enumerate(floors):
        for prefix in prefixes:
            parts = tuple(prefix.split("::"))
            if mod[: len(parts)] == parts and len(parts) > depth:
                best, depth = i, len(parts)
    return best


def upward(graph, floors):
    """What breaks the floors: modules no floor names, and every import of a
    module on a higher floor, as messages."""
    out = []
    for mod in sorted(graph):
        if floor_of(mod, floors) is None:
            out.append(f"{'::'.join(mod)} is on no floor (add it to SERVER_FLOORS)")
    for mod in sorted(graph):
        here = floor_of(mod, floors)
        for target in sorted(graph[mod]):
            there = floor_of(target, floors)
            if here is not None and there is not None and there > here:
                out.append(
                    f"{'::'.join(mod)} (floor {floors[here][0]}) imports "
                    f"{'::'.join(target)} (floor {floors[there][0]}, above it)"
                )
    return out


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
        # Floors: `a` (and so `a::inner`) above `b`, `c` on the bottom but
        # its more specific prefix `a::inner` on top. `a` imports `b`
        # (down: fine); `a::inner` imports `c` (down); `c` imports
        # `a::inner` (up: fails); nothing else does.
        floors = [("bottom", ["b", "c"]), ("middle", ["a"]), ("top", ["a::inner"])]
        got = upward(graph, floors)
        want = ["c (floor bottom) imports a::inner (floor top, above it)"]
        if got != want:
            print(f"import-circles self-test: expected {want}, found {got}", file=sys.stderr)
            return 1
        # A module no floor names fails too.
        got = upward(graph, floors[1:])
        if not any(m.startswith("b is on no floor") for m in got):
            print(f"import-circles self-test: an unplaced module passed: {got}", file=sys.stderr)
            return 1
    print(
        "import-circles self-test: a circle through a re-export is found, tests and comments "
        "are not edges, an upward import and a module on no floor fail"
    )
    return 0


# The server's floors, bottom to top (`docs/server.md`, "Floors"; decision
# 500). A module is on the floor of the longest prefix naming it, and
# imports only its own floor and those below.
SERVER_FLOORS = [
    # Leaves every layer uses; they import nothing of the crate but each
    # other. Three live with their topic in a directory of a higher floor.
    ("base", ["error", "clock", "util", "password",
              "distribution::sealing", "distribution::cache", "reports::rate"]),
    # The store, and the change notifier it owns (waiters, PostgreSQL LISTEN).
    ("store", ["store", "notify"]),
    # What every handler shares (AppState): the store, clock, limits, keys.
    ("state", ["state"]),
    # Who the caller is and what a role may do.
    ("auth", ["auth"]),
    # The policy document built from the store's rows; it only builds.
    ("policy", ["policy"]),
    # The one sequence every change runs (authorise, bump, audit, commit).
    ("change", ["change"]),
    # Signing keys, key sets, bundles, the long-poll, secrets at rest.
    ("distribution", ["distribution"]),
    # The JSON API's helpers: extractors, CORS, the error response, client
    # addresses.
    ("http", ["http"]),
    # The services: every rule of the console's resources.
    ("services", ["resources", "throttle"]),
    # The device-facing edges: violation reports and the login API.
    ("edges", ["reports", "login"]),
    # The front doors and start-up: routes, the web console, `guard serve`.
    ("doors", ["http::routes", "console", "serve"]),
]


def main(argv):
    if "--self-test" in argv:
        return self_test()
    if "--floors" in argv:
        graph = crate_graph("host-runtime/server")
        for i, (name, _) in enumerate(SERVER_FLOORS):
            mods = sorted("::".join(m) for m in graph if floor_of(m, SERVER_FLOORS) == i)
            print(f"{i} {name}: {' '.join(mods)}")
        return 0
    listing = "--list" in argv
    failed = False
    for crate in CRATES:
        found = crate_circles(crate)
        if listing:
            for c in found:
                print(f"{crate}: {' ↔ '.join(c)}")
            continue
        if crate == "host-runtime/server":
            for message in upward(crate_graph(crate), SERVER_FLOORS):
                failed = True
                print(f"import-circles: {crate}: {message} (see --floors)", file=sys.stderr)
        for c in found:
            failed = True
            print(f"import-circles: {crate}: {' ↔ '.join(c)} import each other", file=sys.stderr)
    if listing:
        return 0
    if failed:
        return 1
    print(
        "import-circles: no crate has an import circle, "
        "and no server module imports a floor above its own"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
