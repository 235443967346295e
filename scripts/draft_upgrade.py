#!/usr/bin/env python3
"""Drafts the generated part of an upgrade script (sql/pg_engage--OLD--NEW.sql).

Usage: draft_upgrade.py PSQL_ARGS... -- OLD_DB NEW_DB

OLD_DB has the previous release installed and the upgrade script's hand-written part applied
(moves, new tables, changed columns: what a catalog diff cannot write safely); NEW_DB has a fresh
install of the current code. Prints what makes OLD_DB's functions, comments and privileges those
of NEW_DB: CREATE OR REPLACE for every function whose definition differs, DROP for those that went,
COMMENT ON for every comment that differs, and REVOKE/GRANT for every privilege list that differs.
tests/upgrade.sh then proves the whole script right by comparing pg_dump of an upgraded database
with a fresh one. Read the draft before committing it: it is a starting point, not a release.
"""
import subprocess
import sys

# Every object of the extension (and the columns of its relations), by identity, with its
# definition (functions), comment and privileges.
OBJECTS = r"""
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'pg_engage'),
members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), objects AS (
    SELECT m.classid, m.objid, 0 AS objsubid FROM members m
    UNION ALL
    SELECT 'pg_class'::regclass, a.attrelid, a.attnum FROM members m
    JOIN pg_attribute a ON m.classid = 'pg_class'::regclass AND a.attrelid = m.objid AND a.attnum > 0
                        AND NOT a.attisdropped
)
SELECT i.type, i.identity,
       CASE WHEN o.classid = 'pg_proc'::regclass AND p.prokind IN ('f', 'p') THEN pg_get_functiondef(o.objid) END,
       obj_description_any.description,
       CASE WHEN o.classid = 'pg_proc'::regclass THEN p.proacl::text
            WHEN o.classid = 'pg_class'::regclass AND o.objsubid = 0 THEN c.relacl::text
            WHEN o.classid = 'pg_namespace'::regclass THEN n.nspacl::text END
FROM objects o
CROSS JOIN LATERAL pg_identify_object(o.classid, o.objid, o.objsubid) i
LEFT JOIN pg_proc p ON o.classid = 'pg_proc'::regclass AND p.oid = o.objid
LEFT JOIN pg_class c ON o.classid = 'pg_class'::regclass AND c.oid = o.objid
LEFT JOIN pg_namespace n ON o.classid = 'pg_namespace'::regclass AND n.oid = o.objid
LEFT JOIN LATERAL (SELECT x.description FROM pg_description x
                   WHERE x.classoid = o.classid AND x.objoid = o.objid AND x.objsubid = o.objsubid)
    obj_description_any ON true
WHERE i.type NOT IN ('table constraint', 'index', 'sequence', 'trigger', 'rule', 'policy', 'type',
                     'toast table')
"""

ROLES = ["engage_reader", "engage_writer", "engage_admin"]
COMMENT_KIND = {"table column": "COLUMN", "view column": "COLUMN"}
# aclitem letters, as PostgreSQL prints them, and the privileges they stand for.
PRIVILEGES = {"X": "EXECUTE", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE",
              "D": "TRUNCATE", "x": "REFERENCES", "t": "TRIGGER", "U": "USAGE", "C": "CREATE"}
GRANT_TARGET = {"function": "FUNCTION", "procedure": "PROCEDURE", "aggregate": "FUNCTION",
                "table": "TABLE", "view": "TABLE", "schema": "SCHEMA"}


def objects(psql, database):
    out = subprocess.run(psql + ["-d", database, "-XAt", "-F", "\x1f", "-R", "\x1e", "-c", OBJECTS],
                         check=True, capture_output=True, text=True).stdout
    rows = {}
    for record in out.split("\x1e"):
        if record.strip():
            kind, identity, definition, comment, acl = record.split("\x1f")
            rows[(kind, identity)] = (definition or None, comment or None, acl or None)
    return rows


def literal(text):
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def grants(kind, identity, acl):
    """The GRANTs that give the user roles and PUBLIC what `acl` gives them."""
    target = f"{GRANT_TARGET[kind]} {identity}"
    lines = [f"REVOKE ALL ON {target} FROM PUBLIC, {', '.join(ROLES)};"]
    for item in (acl or "").strip("{}").split(","):
        if "=" not in item:
            continue
        grantee, rights = item.split("=", 1)
        rights = rights.split("/", 1)[0]
        grantee = grantee or "PUBLIC"
        if grantee != "PUBLIC" and grantee not in ROLES:
            continue
        privileges = ", ".join(PRIVILEGES[r] for r in rights if r in PRIVILEGES)
        if privileges:
            lines.append(f"GRANT {privileges} ON {target} TO {grantee};")
    return lines


def main():
    split = sys.argv.index("--")
    psql, (old_db, new_db) = sys.argv[1:split], sys.argv[split + 1:]
    old, new = objects(psql, old_db), objects(psql, new_db)
    functions, comments, privileges, dropped = [], [], [], []
    for key in sorted(set(old) - set(new)):
        if key[0] in ("function", "procedure"):
            dropped.append(f"DROP {key[0].upper()} {key[1]};")
    for key in sorted(new):
        kind, identity = key
        definition, comment, acl = new[key]
        before = old.get(key, (None, None, None))
        if definition and definition != before[0]:
            functions.append(definition.rstrip() + ";\n")
        if comment != before[1]:
            comments.append(f"COMMENT ON {COMMENT_KIND.get(kind, kind.upper())} {identity} IS {literal(comment)};")
        if kind in GRANT_TARGET and acl != before[2]:
            privileges.extend(grants(kind, identity, acl))
    print("-- Generated by scripts/draft_upgrade.py: functions that went, then functions, comments and")
    print("-- privileges as a fresh install has them.")
    for section in (dropped, functions, comments, privileges):
        if section:
            print()
            print("\n".join(section))


if __name__ == "__main__":
    main()
