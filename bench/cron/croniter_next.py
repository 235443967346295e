"""The baseline: `croniter_next.py SCHEDULES.txt START ROUNDS` computes each schedule's next fire
after START (UTC) with croniter, as next_fires does; prints the same lines and the time."""
import sys
import time
from datetime import datetime, timezone

from croniter import croniter

path, start, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path).read().splitlines()
start = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(timezone.utc)
began = time.perf_counter()
for _ in range(rounds):
    results = [croniter(line, start).get_next(datetime) for line in lines]
elapsed = time.perf_counter() - began
for r in results:
    print(r.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M"))
print(f"schedules={len(lines)} rounds={rounds} seconds={elapsed:.3f} us_per_schedule={elapsed / rounds / len(lines) * 1e6:.3f}",
      file=sys.stderr)
