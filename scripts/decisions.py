#!/usr/bin/env python3
"""Checks docs/decisions.md and what cites it (run by scripts/test.d/00-rust-lint.sh).

Every numbered decision (a line `N. ` at the start of a line, with its
indented continuation lines) must end with one or more lines

    Test: <path> [<test name>] [— <note>]
    No test: <why>

where <path> is relative to the repository root and exists (the spelling
`Test: <path>::<test name>` is read too, and a full stop ending the line is
not part of the name). A Rust or
JavaScript file needs a test name: for Rust, `fn <name>` must be in the file;
for JavaScript, the name must be in the file as written (a plain substring
search, also with `'` written `\\'`, so a prefix of a long name will do).
Vector files and scripts may be named alone. Decision numbers are unique, and
every "decision N" ("decisions N–M", "decisions N, M and K") cited in a
tracked file of the repository names a decision that exists; in
docs/decisions.md itself "item N" and "superseded by N" are checked too.
Numbers of 1000 and above, and measurements ("URL decision 1.6×", "decision
2057 ns"), are not read as decisions.

Sections may sit anywhere in the file (branches append theirs at the end).

    python3 scripts/decisions.py              check the repository
    python3 scripts/decisions.py --self-test  check that the checker fails
                                              on made-up bad documents
"""

import os
import re
import subprocess
import sys
import tempfile

DOC = "docs/decisions.md"
SELF = "scripts/decisions.py"
CODE_EXTS = (".rs", ".mjs", ".js", ".cjs", ".ts")
# A citation: "decision 17", "decisions 80–99", "decisions 48, 52 and 53".
NUM_LIST = r"(\d+(?:\s*(?:[-–]|,\s*and|,|and)\s*\d+)*)"
CITE = re.compile(r"\bdecisions?\s+" + NUM_LIST, re.IGNORECASE)
# Inside the decisions file only: "item 13", "superseded by 255", "supersedes 174".
LOCAL_CITE = re.compile(
    r"\b(?:items?|superseded by|supersedes)\s+" + NUM_LIST, re.IGNORECASE
)
# What follows a number that is a measurement, not a decision ("URL
# decision 1.6–1.7×", "decision 2057–2227 ns").
MEASURE = re.compile(r"\.\d|\s*(?:×|ns\b|µs\b|ms\b|%)")
ITEM = re.compile(r"^(\d+)\. ")
NOTE = " — "


def parse_items(text):
    """The numbered decisions of `text`: (number, first line number, lines)."""
    items = []
    cur = None
    for i, line in enumerate(text.split("\n"), 1):
        m = ITEM.match(line)
        if m:
            cur = (int(m.group(1)), i, [line])
            items.append(cur)
        elif cur is not None and (line.strip() == "" or line[:1] in (" ", "\t")):
            cur[2].append(line)
        else:
            cur = None
    return [(n, at, [l for l in lines if l.strip()]) for n, at, lines in items]


def cited(text, pattern):
    """Every (line number, number) a citation of `pattern` names in `text`.
    Of a range only its ends are taken: numbers between may be unused."""
    out = []
    for m in pattern.finditer(text):
        if MEASURE.match(text, m.end()):
            continue
        line = text.count("\n", 0, m.start()) + 1
        for n in re.findall(r"\d+", m.group(1)):
            if int(n) < 1000:
                out.append((line, int(n)))
    return out


def js_has(text, name):
    return any(
        v in text
        for v in (name, name.replace("'", "\\'"), name.replace('"', '\\"'))
    )


def check_test_line(root, where, body, cache):
    """The errors of one `Test:` line's `body` (what follows `Test: `)."""
    body = body.split(NOTE, 1)[0].strip()
    if not body:
        return [f"{where}: `Test:` names no path"]
    path, _, name = body.partition(" ")
    # The `path::name` spelling of older entries.
    if "::" in path and not name.strip():
        path, _, name = path.partition("::")
    path, name = path.rstrip(".,;").strip("`"), name.strip()
    # A sentence's full stop is not part of the name.
    names = {name.strip("`"), name.rstrip(".").strip("`")}
    name = name.rstrip(".").strip("`")
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return [f"{where}: `{path}` does not exist (paths are relative to the repository root)"]
    if path.endswith(CODE_EXTS) and not name:
        return [f"{where}: `{path}` is code: name the test in it"]
    if not name:
        return []
    if full not in cache:
        with open(full, encoding="utf-8", errors="replace") as f:
            cache[full] = f.read()
    text = cache[full]
    if path.endswith(".rs"):
        found = any(re.search(r"\bfn\s+" + re.escape(n) + r"\b", text) for n in names)
    else:
        found = any(js_has(text, n) for n in names)
    if not found:
        return [f"{where}: no test `{name}` in `{path}`"]
    return []


def check_items(root, doc_text):
    """The errors of the decisions file, and the set of its numbers."""
    errors = []
    seen = {}
    cache = {}
    for n, at, lines in parse_items(doc_text):
        where = f"{DOC}:{at}: decision {n}"
        if n in seen:
            errors.append(f"{where}: number already used at line {seen[n]}")
        else:
            seen[n] = at
        kinds = []
        for line in lines:
            s = line.strip()
            if s.startswith("Test:"):
                kinds.append("test")
            elif s.startswith("No test:"):
                kinds.append("none")
            else:
                kinds.append(None)
        if not any(kinds):
            hint = ""
            if re.search(r"\b(?:Tests?:|No test)", " ".join(lines), re.IGNORECASE):
                hint = (
                    " (its tests are named inside the text: give each its own line"
                    " starting `Test: <path from the repository root> <test name>`)"
                )
            errors.append(
                f"{where}: ends with no `Test: <path> <test name>` or `No test: <why>` line{hint}"
            )
            continue
        first = kinds.index(next(k for k in kinds if k))
        if None in kinds[first:]:
            errors.append(
                f"{where}: text after its first `Test:`/`No test:` line "
                "(those lines end a decision)"
            )
        if "test" in kinds and "none" in kinds:
            errors.append(f"{where}: both `Test:` and `No test:`")
        for line, kind in zip(lines, kinds):
            s = line.strip()
            if kind == "none" and not s[len("No test:"):].strip():
                errors.append(f"{where}: `No test:` says no reason")
            elif kind == "test":
                errors.extend(check_test_line(root, where, s[len("Test:"):].strip(), cache))
    return errors, set(seen)


def check_citations(root, files, numbers, doc_text):
    """The errors of every citation, and how many citations were read."""
    errors = []
    count = 0
    for line, n in cited(doc_text, CITE) + cited(doc_text, LOCAL_CITE):
        count += 1
        if n not in numbers:
            errors.append(f"{DOC}:{line}: cites decision {n}, which does not exist")
    for path in files:
        if path in (DOC, SELF):
            continue
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for line, n in cited(text, CITE):
            count += 1
            if n not in numbers:
                errors.append(
                    f"{path}:{line}: cites decision {n}, which is not in {DOC}"
                )
    return errors, count


def check(root, files):
    """Every error of the repository at `root` whose tracked files are `files`."""
    with open(os.path.join(root, DOC), encoding="utf-8") as f:
        doc_text = f.read()
    errors, numbers = check_items(root, doc_text)
    if not numbers:
        errors.append(f"{DOC}: no numbered decision found")
    cite_errors, count = check_citations(root, files, numbers, doc_text)
    return errors + cite_errors, numbers, count


def tracked(root):
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout
    return [p for p in out.decode("utf-8").split("\0") if p]


GOOD = """\
# Decisions

## An area

1. **One.** Says a thing (see decision 2 and item 2).
   Test: t/a.rs one_thing
   Test: t/b.test.mjs it's the second — a note
   Test: `t/a.rs::one_thing`.
2. **Two.** Says another; a URL decision takes 1.6–1.7×, decision
   2057 ns, and neither is a citation.
   Code: somewhere
   No test: a documentation-only choice

## Appended by a branch

400. **Later.** Decisions 1–2 both hold.
     Test: t/v.json
     Test: `t/v.json`.
"""

# Each made-up repository differs from the good one in one way, and must fail
# with a message containing the given text.
BAD = [
    ("a decision without a test line", ("   No test: a documentation-only choice\n", ""), "ends with no `Test:"),
    ("a test line naming a missing path", ("t/a.rs one_thing", "t/gone.rs one_thing"), "`t/gone.rs` does not exist"),
    ("a test name not in its file", ("t/a.rs one_thing", "t/a.rs another_thing"), "no test `another_thing`"),
    ("code named without a test", ("t/a.rs one_thing", "t/a.rs"), "name the test"),
    ("a JS test name not in its file", ("it's the second", "it's the third"), "no test `it's the third`"),
    ("a number used twice", ("400. **Later.**", "2. **Later.**"), "number already used"),
    ("a citation of a missing decision", ("see decision 2 ", "see decision 3 "), "cites decision 3"),
    ("a citation in another file", None, "src/x.rs:1: cites decision 7"),
    ("text after the test lines", ("   Test: t/a.rs one_thing\n", "   Test: t/a.rs one_thing\n   more text\n"), "text after"),
    (
        "tests named inside the text",
        (
            "   Test: t/a.rs one_thing\n   Test: t/b.test.mjs it's the second — a note\n   Test: `t/a.rs::one_thing`.\n",
            "   More of it. Test: `t/a.rs one_thing`.\n",
        ),
        "named inside the text",
    ),
    ("an empty reason", ("No test: a documentation-only choice", "No test: "), "says no reason"),
]


def self_test():
    files = {
        "t/a.rs": "#[test]\nfn one_thing() {}\n",
        "t/b.test.mjs": "test('it\\'s the second', () => {});\n",
        "t/v.json": "{}\n",
        "src/x.rs": "// As decision 1 says.\n",
    }
    failures = []

    def run(doc, extra=None):
        with tempfile.TemporaryDirectory() as root:
            all_files = dict(files, **(extra or {}))
            all_files[DOC] = doc
            for path, text in all_files.items():
                os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
                with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                    f.write(text)
            return check(root, sorted(all_files))[0]

    errors = run(GOOD)
    if errors:
        failures.append(f"the good document fails: {errors}")
    for what, change, expect in BAD:
        if change is None:
            errors = run(GOOD, {"src/x.rs": "// As decision 7 says.\n"})
        else:
            old, new = change
            assert old in GOOD, what
            errors = run(GOOD.replace(old, new, 1))
        if not any(expect in e for e in errors):
            failures.append(f"{what}: expected an error containing {expect!r}, got {errors}")
    for f in failures:
        print(f"decisions self-test: {f}", file=sys.stderr)
    if failures:
        return 1
    print(f"decisions self-test: the good document passes and {len(BAD)} bad ones fail")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        files = tracked(root)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"decisions: cannot list the repository's files with `git ls-files`: {e}", file=sys.stderr)
        return 1
    errors, numbers, count = check(root, files)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"decisions: {len(errors)} problem(s) in {DOC} or its citations", file=sys.stderr)
        return 1
    print(
        f"decisions: {len(numbers)} decisions, each with its tests or why it has none; "
        f"{count} citations, each of a decision that exists"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
