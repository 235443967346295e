#!/usr/bin/env python3
"""The SQL files load in an order with no cycle: every object a file names (a table, view, type or
function of schema engage or engage_internal) is created in that file or in one that loads before
it, as the extension_sql_file! declarations in src/lib.rs order them (`requires`). A function body
is checked too, though PostgreSQL would only resolve it when called: a file that calls forward is
a file whose meaning depends on one that comes after it.

Usage: tests/sql_order.py [ROOT]. Prints each forward reference and exits 1 if there is one.
"""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
lib = (root / "src/lib.rs").read_text()

# name -> (file, [required names]) from extension_sql_file!("../sql/x.sql", name = "...", requires = [...])
files = {}
for m in re.finditer(r'extension_sql_file!\(\s*"\.\./sql/([a-z_]+\.sql)",\s*name\s*=\s*"([a-z_]+)"(.*?)\);', lib, re.S):
    path, name, rest = m.groups()
    requires = re.search(r"requires\s*=\s*\[(.*?)\]", rest, re.S)
    names = re.findall(r'"([a-z_]+)"', requires.group(1)) if requires else []
    files[name] = (path, names)

finalize = next((n for n in files if re.search(r'name\s*=\s*"%s",\s*finalize' % n, lib)), None)


def before(name, seen=None):
    """The files that load before `name` because it requires them, transitively (the finalize
    file, last, after all of them)."""
    if name == finalize:
        return set(files) - {name}
    seen = set() if seen is None else seen
    for required in files[name][1]:
        if required not in seen:
            seen.add(required)
            before(required, seen)
    return seen

CREATED = re.compile(r"CREATE (?:UNLOGGED )?(?:TABLE|VIEW|TYPE|FUNCTION|AGGREGATE) (engage(?:_internal)?\.[a-z_0-9]+)")
NAMED = re.compile(r"\b(engage(?:_internal)?\.[a-z_0-9]+)\b")
SETTINGS = re.compile(r"'engage\.[a-z_]+'")  # GUC names in current_setting('engage.x') are not objects
QUOTED = re.compile(r"'(?:[^']|'')*'")

created = {}
for name, (path, _) in files.items():
    for obj in CREATED.findall((root / "sql" / path).read_text()):
        created.setdefault(obj, name)
problems = []
for name, (path, _) in files.items():
    allowed = before(name) | {name}
    lines = (root / "sql" / path).read_text().splitlines()
    # Comments (-- and COMMENT ON) and messages ('…') name objects in prose, not in code.
    code = [QUOTED.sub("''", line.split("--", 1)[0]) for line in lines if not line.startswith("COMMENT ON")]
    text = SETTINGS.sub("''", "\n".join(code))
    for obj in sorted(set(NAMED.findall(text))):
        home = created.get(obj)
        if home is not None and home not in allowed:
            problems.append(f"sql/{path} names {obj}, which sql/{files[home][0]} creates after it")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
