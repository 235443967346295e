"""Writes N varied cron schedules (deterministic, seed 7): values, ranges, steps, lists and names
in every field, both day fields restricted now and then, and the macros."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
rng = random.Random(7)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def item(lo, hi, names=None):
    kind = rng.random()
    if kind < 0.35:
        v = rng.randint(lo, hi)
        return names[v - lo] if names and rng.random() < 0.3 else str(v)
    if kind < 0.55:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        return f"{a}-{b}"
    if kind < 0.75:
        return f"*/{rng.randint(1, min(hi - lo + 1, 15))}"
    a = rng.randint(lo, hi)
    b = rng.randint(a, hi)
    return f"{a}-{b}/{rng.randint(1, max(1, b - a + 1))}"


def field(lo, hi, star, names=None):
    if rng.random() < star:
        return "*"
    return ",".join(item(lo, hi, names) for _ in range(rng.choice([1, 1, 1, 2, 3])))


for _ in range(n):
    if rng.random() < 0.03:
        print(rng.choice(["@hourly", "@daily", "@weekly", "@monthly", "@yearly"]))
        continue
    print(" ".join([
        field(0, 59, 0.2),
        field(0, 23, 0.4),
        field(1, 28, 0.6),
        field(1, 12, 0.7, MONTHS),
        field(0, 6, 0.7, DAYS),
    ]))
