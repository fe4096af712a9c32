#!/usr/bin/env bash
# Postern vs Dovecot (the peer of ../shared/bench/peers: Dovecot 2.3, maildir, one process per
# connection) over POP3 in one run, same messages, same client:
#
#   for each of REPS rounds:
#     1. seed   users 1..USERS get MSGS messages each over IMAP (bench/imap/imap_bench.py seed,
#               from a 300-message gen_mbox.py mbox, seed 7: log-normal sizes, median ~4 KiB)
#     2. drain  (after the server's process tree has been idle for a second: Postern indexes the
#               seeded messages for full-text search in the background; at most 120 s)
#               bench/pop3/pop3_bench.py: CONNS connections take the users in turn; each
#               USER/PASS, STAT, RETR n + DELE n for every message, QUIT (deletes committed).
#               messages/s = retrieved and deleted / (last QUIT reply - first connect)
#
# Dovecot then Postern back to back in every round, so the machine's load hits both alike;
# /proc/loadavg is recorded around every step ($OUT/load.txt). Prints the per-round figures and
# the medians, writes $OUT/summary.json. The issue's goal: Postern >= 1.5x Dovecot.
#
#   bench/pop3/compare.sh                          # as root; BUILD=build-pop3, ~5 min
#   USERS=100 MSGS=200 CONNS=16 REPS=3 PIPELINE=1 OUT=/tmp/pop3cmp BUILD=/path/to/build bench/pop3/compare.sh
#
# Postern: bench/imap/postern_imap.py (fresh data directory under $OUT, IMAP plain on
# 127.0.0.1:1144 for seeding, POP3 plain on 127.0.0.1:1111, allow_plaintext_auth, accounts
# user1..user100@bench.test / "pass"). Dovecot: IMAP 127.0.0.1:1143, POP3 127.0.0.1:1110; its mail
# store is emptied first and at the end; Dovecot (not Postfix) is started here and stopped at the
# end. Refuses to start when one of the ports is taken.
# Needs: posternd and posternctl in $BUILD (ninja -C $BUILD posternd posternctl); nothing is built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${SHARED_BENCH:-$(cd "$root/../shared/bench" && pwd)}
py=/usr/bin/python3
BUILD=${BUILD:-$root/build-pop3}
OUT=${OUT:-/tmp/postern-pop3-compare-$(date +%Y%m%d-%H%M%S)}
DATA=${DATA:-/tmp/postern-imap-bench-data}   # generated mbox files, shared with bench/imap
USERS=${USERS:-100}
MSGS=${MSGS:-200}
CONNS=${CONNS:-16}
REPS=${REPS:-3}
PIPELINE=${PIPELINE:-0}
POSTERN_POP3=${POSTERN_POP3:-}   # extra keys for Postern's [services.pop3]
# The Dovecot peer keeps its passwords in the clear (passwd-file, scheme=PLAIN): its logins hash
# nothing. Postern verifies argon2id and remembers a verification for [auth] cache_ttl (60 s by
# default, not refreshed by hits): with the default, every round after the first pays one
# argon2id per user in the drain. The default here makes both sides hash nothing during the
# drain, so the figures compare POP3 itself; POSTERN_AUTH= (empty) measures the default instead.
POSTERN_AUTH=${POSTERN_AUTH-'cache_ttl = "10m"'}
PERF=${PERF:-0}                  # 1: perf record -g of Postern's worker during its drains ($OUT/perf-N.data)
ONLY=${ONLY:-}                   # "postern" or "dovecot": run only that server's rounds
IP=1144; PP=1111                 # Postern IMAP (seeding), POP3
DI=1143; DP=1110                 # Dovecot peer
DCONF=/opt/peers/dovecot/dovecot.conf
DPID=/opt/peers/dovecot/run/master.pid
PDIR=$OUT/postern
export PYTHONDONTWRITEBYTECODE=1

[ "$(id -u)" = 0 ] || { echo "run as root (Dovecot peer)" >&2; exit 2; }
for bin in src/daemon/posternd src/tools/posternctl; do
  [ -x "$BUILD/$bin" ] || { echo "missing $BUILD/$bin (build it: ninja -C $BUILD posternd posternctl)" >&2; exit 2; }
done
for port in $IP $PP $DI $DP; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "127.0.0.1:$port is in use (another bench or peer running?); stop it first" >&2; exit 2
  fi
done
mkdir -p "$OUT" "$DATA"
ts() { date +%H:%M:%S; }
load() { echo "$(ts) $(cut -d' ' -f1-3 /proc/loadavg) $*" >> "$OUT/load.txt"; }
say() { echo "== $(ts) $*   (load $(cut -d' ' -f1-3 /proc/loadavg))"; }
pop3_table=$(printf '[services.pop3]\\nenabled = true\\nallow_plaintext_auth = true\\nmax_connections = 0\\nmax_connections_per_ip = 0\\nnew_connections = "0/1s"\\nnew_connections_per_ip = "0/1s"\\n%s\\n\\n[[services.pop3.listener]]\\naddress = "127.0.0.1:%s"\\ntls = "none"\\nmax_connections = 0\\nmax_connections_per_ip = 0\\n' "$POSTERN_POP3" "$PP")
auth_table=""; [ -n "$POSTERN_AUTH" ] && auth_table=$(printf '\\n[auth]\\n%s\\n' "$POSTERN_AUTH")
pst() { "$py" "$root/bench/imap/postern_imap.py" "$@" --build "$BUILD" --dir "$PDIR" --port $IP --config-extra "$pop3_table$auth_table"; }
psup() { pst pids | cut -d' ' -f1; }
dstart() { dovecot -c "$DCONF"; for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$DP) 2>/dev/null && return 0; sleep 0.1; done; echo "dovecot did not start" >&2; return 1; }
dstop() {
  doveadm -c "$DCONF" stop 2>/dev/null || true
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$DP) 2>/dev/null || return 0; sleep 0.1; done
}
cleanup() { dstop; pst stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

{ echo "start $(date -u +%FT%TZ)"; uptime; nproc; git -C "$root" log --oneline -1; } > "$OUT/env.txt"
echo "config: USERS=$USERS MSGS=$MSGS CONNS=$CONNS REPS=$REPS PIPELINE=$PIPELINE POSTERN_POP3='$POSTERN_POP3' POSTERN_AUTH='$POSTERN_AUTH' BUILD=$BUILD" \
  | tee -a "$OUT/env.txt"
[ -s "$DATA/seed.mbox" ] || "$py" "$shared/gen_mbox.py" -n 300 --seed 7 -o "$DATA/seed.mbox"

say "Dovecot peer: empty store, start (IMAP $DI, POP3 $DP)"
[ -f "$DCONF" ] || bash "$shared/peers/setup_peers.sh" > "$OUT/setup_peers.log" 2>&1
bash "$shared/peers/reset_mail.sh"
dstart
say "Postern: fresh data directory, start (IMAP $IP, POP3 $PP)"
pst start --fresh | tee "$OUT/postern-start.txt"

pipe=(); [ "$PIPELINE" = 1 ] && pipe=(--pipeline)
for r in $(seq 1 "$REPS"); do
  for s in dovecot postern; do
    [ -n "$ONLY" ] && [ "$ONLY" != "$s" ] && continue
    iport=$([ $s = postern ] && echo $IP || echo $DI)
    pport=$([ $s = postern ] && echo $PP || echo $DP)
    pid=$(if [ $s = postern ]; then psup; else cat $DPID; fi)
    say "round $r $s: seed $USERS users x $MSGS messages"; load "seed $s $r before"
    "$py" "$root/bench/imap/imap_bench.py" seed --port "$iport" --mbox "$DATA/seed.mbox" --first 1 --last "$USERS" \
      --per-user "$MSGS" --json "$OUT/$s-seed-$r.json" > "$OUT/$s-seed-$r.txt" || echo "($s seed reported a problem)"
    tail -1 "$OUT/$s-seed-$r.txt"
    sleep 2
    say "round $r $s: drain over POP3, $CONNS connections"; load "drain $s $r before"
    perf_pid=
    if [ "$PERF" = 1 ] && [ $s = postern ]; then
      perf record -g -o "$OUT/perf-$r.data" -p "$(pst pids | cut -d' ' -f2)" > "$OUT/perf-$r.log" 2>&1 &
      perf_pid=$!
      sleep 1
    fi
    "$py" "$here/pop3_bench.py" --port "$pport" -m "$USERS" -c "$CONNS" "${pipe[@]}" --pid "$pid" --settle \
      --json "$OUT/$s-drain-$r.json" | tee "$OUT/$s-drain-$r.txt" || echo "($s drain reported errors)"
    load "drain $s $r after"
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  done
done

say "done; stopping Dovecot and Postern"
cp "$PDIR/posternd.out" "$OUT/postern-posternd.out" 2>/dev/null || true
cleanup
trap - EXIT
rm -rf "$PDIR/data"
bash "$shared/peers/reset_mail.sh"
"$py" - "$OUT" "$REPS" <<'PY'
import json, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
res = {}
for s in ("dovecot", "postern"):
    runs = []
    for r in range(1, reps + 1):
        try:
            runs.append(json.load(open(f"{out}/{s}-drain-{r}.json")))
        except OSError:
            pass
    res[s] = {"runs": runs,
              "median_msgs_per_s": statistics.median([x["msgs_per_s"] for x in runs]) if runs else 0,
              "median_server_cpu_s": statistics.median([x["server_cpu_s"] or 0 for x in runs]) if runs else 0,
              "errors": sum(x["errors"] for x in runs), "messages": [x["messages"] for x in runs]}
d, p = res["dovecot"]["median_msgs_per_s"], res["postern"]["median_msgs_per_s"]
res["ratio"] = round(p / d, 2) if d else None
json.dump(res, open(f"{out}/summary.json", "w"), indent=1)
print("\n| server | msgs/s per round | median msgs/s | median server CPU s | messages per round | errors |")
print("| --- | --- | --- | --- | --- | --- |")
for s in ("dovecot", "postern"):
    x = res[s]
    print(f"| {s} | {', '.join(str(r['msgs_per_s']) for r in x['runs'])} | {x['median_msgs_per_s']} | "
          f"{x['median_server_cpu_s']} | {', '.join(map(str, x['messages']))} | {x['errors']} |")
print(f"\nPostern / Dovecot (median msgs/s): {res['ratio']}x   (goal >= 1.5x)")
PY
