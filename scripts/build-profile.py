#!/usr/bin/env python3
"""Build-time code (proc macros, build scripts and what only they use) at opt-level 0.

Cargo builds build scripts, proc macros and their dependencies at
`[profile.dev.build-override]`'s opt-level, 0 by default; but the
workspace's `[profile.dev.package."*"] opt-level = 2` (for the tests'
wasmtime, cranelift and sqlx) ranks above `build-override` and took every
build-time crate to opt-level 2 too: syn, serde_derive, askama's parser,
wasm-bindgen's macro support, cranelift's code generators. Cargo has no
selector for "build-time packages", so Cargo.toml names them, one line each,
in the block this script writes (decision 632).

A package is build-time when no path from a workspace member reaches it
through normal or dev dependencies without passing through a proc macro.
A name with a version on each side (toml_datetime: wasmtime's cache reads
TOML at run time) stays out: a profile override names a package, not a
version.

  scripts/build-profile.py          check: Cargo.toml's block is what the lock
                                    file's graph gives (run by
                                    scripts/test.d/00-rust-lint.sh)
  scripts/build-profile.py --write  rewrite the block
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARGO_TOML = ROOT / "Cargo.toml"
BEGIN = "# BEGIN build-time packages: written by scripts/build-profile.py --write (decision 632)"
END = "# END build-time packages"


def build_time_packages(meta):
    """Names of the packages only build scripts and proc macros reach."""
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    members = set(meta["workspace_members"])

    def proc_macro(pid):
        return any("proc-macro" in t["kind"] for t in packages[pid]["targets"])

    run_time = set()
    stack = list(members)
    while stack:
        pid = stack.pop()
        for dep in nodes[pid]["deps"]:
            kinds = [k["kind"] for k in dep["dep_kinds"]]
            if not any(k in (None, "dev") for k in kinds):
                continue
            target = dep["pkg"]
            if proc_macro(target) or target in run_time or target in members:
                continue
            run_time.add(target)
            stack.append(target)
    build = set(packages) - members - run_time
    run_names = {packages[p]["name"] for p in run_time}
    return sorted({packages[p]["name"] for p in build} - run_names)


def block(names):
    lines = [BEGIN, "[profile.dev.package]"]
    lines += [f"{name} = {{ opt-level = 0 }}" for name in names]
    lines.append(END)
    return "\n".join(lines)


def current_block(text):
    start = text.find(BEGIN)
    end = text.find(END)
    if start < 0 or end < start:
        return None, start, end
    return text[start : end + len(END)], start, end + len(END)


def main():
    write = sys.argv[1:] == ["--write"]
    if sys.argv[1:] not in ([], ["--write"]):
        print(__doc__, file=sys.stderr)
        return 2
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    wanted = block(build_time_packages(meta))
    text = CARGO_TOML.read_text()
    found, start, end = current_block(text)
    if found == wanted:
        print(f"build-profile: {wanted.count(chr(10)) - 2} build-time packages at opt-level 0")
        return 0
    if not write:
        print(
            "build-profile: Cargo.toml's build-time block is not what the lock file gives;"
            " run scripts/build-profile.py --write",
            file=sys.stderr,
        )
        return 1
    if found is None:
        print(f"build-profile: no `{BEGIN}` block in Cargo.toml", file=sys.stderr)
        return 1
    CARGO_TOML.write_text(text[:start] + wanted + text[end:])
    print("build-profile: block written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
