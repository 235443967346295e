"""`compare.py SCHEDULES.txt OURS.txt CRONITER.txt`: our next fire times (rule 'either', UTC) must
equal croniter's, except where croniter reads a restricted day-of-month or day-of-week field as
`*` because it starts with `*` or covers every value (`*/1`, `0-6`); spec 003 counts such a field
as restricted. Prints the counts; exits 1 on any other difference."""
import sys

from croniter import croniter

schedules, ours, theirs = (open(p).read().splitlines() for p in sys.argv[1:4])
same = explained = 0
other = []
for text, a, b in zip(schedules, ours, theirs):
    if a == b:
        same += 1
        continue
    fields = text.split()
    expanded = croniter(text).expanded
    if len(fields) == 5 and any(fields[i] != "*" and expanded[i] == ["*"] for i in (2, 4)):
        explained += 1
    else:
        other.append(f"{text}: ours {a}, croniter {b}")
print(f"same next fire: {same}; differ only by the restricted-day-field rule: {explained}; other differences: {len(other)}")
for line in other[:10]:
    print("  " + line)
sys.exit(1 if other else 0)
