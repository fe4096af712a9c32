#!/usr/bin/env bash
# Postern vs Postfix -> Dovecot LMTP (the peers of ../shared/bench/peers) in one run:
# SMTP acceptance and end-to-end (delivered into the mailbox) msgs/s with 10 KiB messages at
# 16 and 64 connections, then memory at 1,000 idle SMTP sessions, and a table of medians.
#
#   bench/smtp/compare.sh                     # as root; N=8000 REPS=2 CONCS="16 64" IDLE_K=1000
#   N=5000 REPS=3 OUT=/tmp/cmp BUILD=/path/to/build bench/smtp/compare.sh
#   POSTERN_EXTRA='[processing]\nthreads = 8' bench/smtp/compare.sh   # TOML added to Postern's config
#
# Runs are interleaved (peers, Postern, peers, Postern, ...) so that a change in the machine's
# load hits both alike; `uptime` is recorded before each. The peers' mail store is emptied
# before each of their runs, and every Postern run starts with a fresh data directory. The peers
# are stopped at the end (or on error), freeing ports 2525/2424/1143/1110.
# Needs: a RelWithDebInfo build in $BUILD (default build-bench: posternd, posternctl).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${SHARED_BENCH:-$(cd "$root/../shared/bench" && pwd)}
py=/usr/bin/python3
N=${N:-8000}
SIZE=${SIZE:-10240}
REPS=${REPS:-2}
CONCS=${CONCS:-"16 64"}
IDLE_K=${IDLE_K:-1000}
PEER_IDLE_K=${PEER_IDLE_K:-190}   # Postfix's default_process_limit in the peer config is 200
BUILD=${BUILD:-$root/build-bench}
OUT=${OUT:-/tmp/postern-compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"

for bin in src/daemon/posternd src/tools/posternctl; do
  [ -x "$BUILD/$bin" ] || { echo "missing $BUILD/$bin (build it: ninja -C $BUILD posternd posternctl)" >&2; exit 2; }
done

stop_all() {
  bash "$shared/peers/stop.sh" >/dev/null 2>&1 || true
  "$py" "$here/postern_bench.py" stop >/dev/null 2>&1 || true
}
trap stop_all EXIT

echo "== peers: setup (idempotent) and start"
bash "$shared/peers/setup_peers.sh" > "$OUT/setup_peers.log" 2>&1
bash "$shared/peers/stop.sh" >/dev/null 2>&1 || true
bash "$shared/peers/reset_mail.sh"
bash "$shared/peers/start.sh" > /dev/null

for rep in $(seq 1 "$REPS"); do
  for c in $CONCS; do
    echo "== rep $rep, $c connections: Postfix -> Dovecot   ($(uptime | sed 's/.*load/load/'))"
    bash "$shared/peers/reset_mail.sh"
    sleep 1
    { uptime; cat /proc/loadavg; } > "$OUT/peers-c$c-r$rep.load"
    "$py" "$shared/delivered_wait.py" --count maildir --poll 1 --wait-timeout 300 \
      --json "$OUT/peers-c$c-r$rep.json" -- --port 2525 -n "$N" -s "$SIZE" -c "$c" \
      | tee "$OUT/peers-c$c-r$rep.txt" || echo "(peers run reported a problem)"
    cat /proc/loadavg >> "$OUT/peers-c$c-r$rep.load"
    echo "== rep $rep, $c connections: Postern   ($(uptime | sed 's/.*load/load/'))"
    { uptime; cat /proc/loadavg; } > "$OUT/postern-c$c-r$rep.load"
    "$py" "$here/postern_bench.py" run --build "$BUILD" --config-extra "${POSTERN_EXTRA:-}" --conc "$c" --reps 1 -n "$N" -s "$SIZE" \
      --json "$OUT/postern-c$c-r$rep.json" | tee "$OUT/postern-c$c-r$rep.txt" || echo "(Postern run reported a problem)"
    cat /proc/loadavg >> "$OUT/postern-c$c-r$rep.load"
  done
done

echo "== memory at idle SMTP sessions   ($(uptime | sed 's/.*load/load/'))"
# restart first: Postfix keeps idle smtpd/cleanup processes from the load runs and would reuse them
bash "$shared/peers/stop.sh"
bash "$shared/peers/reset_mail.sh"
bash "$shared/peers/start.sh" > /dev/null
sleep 2
"$py" "$here/idle_smtp.py" --port 2525 -k "$PEER_IDLE_K" --pidfile /opt/peers/postfix/spool/pid/master.pid \
  --json "$OUT/peers-idle.json" | tee "$OUT/peers-idle.txt" || true
bash "$shared/peers/stop.sh"
"$py" "$here/postern_bench.py" run --build "$BUILD" --reps 0 --idle-k "$IDLE_K" \
  --idle-json "$OUT/postern-idle.json" | tee "$OUT/postern-idle.txt" || true

"$py" - "$OUT" "$CONCS" "$REPS" <<'EOF'
import json, statistics, sys, os
out, concs, reps = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
def load(p):
    try:
        with open(p) as f: return json.load(f)
    except (OSError, ValueError): return None
def la(p):
    try:
        with open(p) as f: return [l.split()[0] for l in f if l[0].isdigit()]
    except OSError: return []
def med(v):
    v = [x for x in v if x]
    return statistics.median(v) if v else None
def fmt(v): return "n/a" if v is None else f"{v:,.0f}"
rows = []
print()
print(f"| connections | server | accepted msgs/s | end-to-end msgs/s | runs (acc / e2e) | load avg (1 min) before->after |")
print("| --- | --- | --- | --- | --- | --- |")
summary = {}
for c in concs:
    for name in ("peers", "postern"):
        acc, e2e, loads = [], [], []
        for r in range(1, reps + 1):
            j = load(f"{out}/{name}-c{c}-r{r}.json")
            if j is None: continue
            if name == "postern":
                j = j["runs"][0] if j.get("runs") else None
                if j is None: continue
            acc.append(j["smtp_msgs_per_s"]); e2e.append(j["e2e_msgs_per_s"])
            loads.append("->".join(la(f"{out}/{name}-c{c}-r{r}.load")))
        label = "Postfix + Dovecot" if name == "peers" else "Postern"
        summary[(c, name)] = (med(acc), med(e2e))
        runs = ", ".join(f"{fmt(a)}/{fmt(e)}" for a, e in zip(acc, e2e))
        print(f"| {c} | {label} | {fmt(med(acc))} | {fmt(med(e2e))} | {runs} | {'; '.join(loads)} |")
print()
for c in concs:
    p, s = summary.get((c, "peers")), summary.get((c, "postern"))
    if p and s and p[1] and s[1]:
        print(f"{c} connections: Postern end-to-end = {s[1] / p[1]:.2f}x Postfix + Dovecot "
              f"(goal >= 2x: {'met' if s[1] >= 2 * p[1] else 'NOT met'}); acceptance {s[0] / p[0]:.2f}x")
for name, label in (("peers", "Postfix smtpd"), ("postern", "Postern")):
    j = load(f"{out}/{name}-idle.json")
    if j:
        print(f"idle SMTP sessions, {label}: {j['established']}/{j['k']} established, "
              f"RSS +{j['rss_delta_kib'] / 1024:.1f} MiB ({j['rss_per_session_kib']} KiB/session), "
              f"PSS +{j['pss_delta_kib'] / 1024:.1f} MiB ({j['pss_per_session_kib']} KiB/session), "
              f"total after: RSS {j['after']['rss_kib'] / 1024:.1f} MiB, PSS {j['after']['pss_kib'] / 1024:.1f} MiB, "
              f"{j['after']['processes']} processes")
print(f"raw results: {out}")
EOF
