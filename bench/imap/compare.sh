#!/usr/bin/env bash
# Postern vs Dovecot (the peer of ../shared/bench/peers: Dovecot 2.3, maildir, one process per
# connection) over IMAP in one run, same messages, same clients:
#
#   1. seed      users 1..99 get SEED_MSGS messages each (from a 300-message gen_mbox.py mbox,
#                seed 7; imaptest APPENDs from another one, seed 42)
#   2. idle      memory per idle connection (LOGIN, SELECT INBOX, IDLE): Postern at IDLE_K,
#                Dovecot at PEER_IDLE_K connections (../shared/bench/idle_memory.py)
#   3. big       user100's INBOX filled with BIG_N gen_mbox.py messages (MULTIAPPEND, LITERAL+,
#                pipelined; same bytes for both) plus one message with a 20 MB attachment in
#                mailbox "Big"; then each server is restarted and REPS rounds of SELECT INBOX,
#                UID FETCH 1:* (FLAGS UID), SEARCH TEXT <word> for each of WORDS and
#                UID FETCH BODY.PEEK[] of the big message run (round 1 = cold, after the restart)
#   4. stress    imaptest (../shared/bench/imap_stress.sh), STRESS_CLIENTS clients, STRESS_SECS s,
#                users 1..99, default profile and logout=0 (needs $IMAPTEST, see build_imaptest.sh);
#                then both profiles again against Postern restarted with TUNED_IMAP keys in
#                [services.imap] (default "threads_min = 2, threads_max = 32"; TUNED_IMAP= skips)
#
# Each phase runs Dovecot then Postern back to back, so that the machine's load hits both alike;
# /proc/loadavg is recorded around every step ($OUT/load.txt). Prints a table, writes
# $OUT/summary.json and the raw outputs.
#
#   bench/imap/compare.sh                       # as root; BUILD=build-imap-bench, ~15 min
#   BIG_N=20000 IDLE_K=2000 SKIP="stress" OUT=/tmp/imapcmp BUILD=/path/to/build bench/imap/compare.sh
#   POSTERN_IMAP='threads_max = 8'   # keys added to [services.imap] of Postern's bench config
#   POSTERN_EXTRA='[auth]\ncache_ttl = "10m"'   # TOML tables appended to it
#
# Postern: bench/imap/postern_imap.py (fresh data directory under $OUT, IMAP plain on
# 127.0.0.1:1144 with allow_plaintext_auth, user1..user100@bench.test / "pass"); its memory is
# the sum of the supervisor and the worker (the process tree of the supervisor). Dovecot: IMAP on
# 127.0.0.1:1143, memory = its master's process tree (every imap, imap-login, auth ... process).
# The peer's mail store is emptied first and again at the end (removing ~120,000 maildir files
# can take minutes on a busy disk); Dovecot (only Dovecot, not Postfix) is started here and
# stopped at the end. The run refuses to start when 1143 or 1144 is already taken.
# Needs: posternd and posternctl in $BUILD (ninja -C $BUILD posternd posternctl); nothing is built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${SHARED_BENCH:-$(cd "$root/../shared/bench" && pwd)}
py=/usr/bin/python3
BUILD=${BUILD:-$root/build-imap-bench}
OUT=${OUT:-/tmp/postern-imap-compare-$(date +%Y%m%d-%H%M%S)}
DATA=${DATA:-/tmp/postern-imap-bench-data}     # generated mbox files, reused between runs
IDLE_K=${IDLE_K:-10000}
PEER_IDLE_K=${PEER_IDLE_K:-1000}   # Dovecot's `service imap` keeps its process_limit of 1024 in the
                                   # peer config: one process per connection, so at most 1024 idle
SEED_MSGS=${SEED_MSGS:-200}
BIG_N=${BIG_N:-100000}
REPS=${REPS:-3}
WORDS=${WORDS:-Mallory,thursday,zanzibar}
STRESS_SECS=${STRESS_SECS:-60}
STRESS_CLIENTS=${STRESS_CLIENTS:-20}
SKIP=${SKIP:-}                     # any of: seed idle big stress
POSTERN_IMAP=${POSTERN_IMAP:-}
TUNED_IMAP=${TUNED_IMAP-'threads_min = 2\nthreads_max = 32'}
IMAPTEST=${IMAPTEST:-/opt/imaptest/bin/imaptest}
PP=1144                            # Postern
DP=1143                            # Dovecot peer
DCONF=/opt/peers/dovecot/dovecot.conf
DPID=/opt/peers/dovecot/run/master.pid
PDIR=$OUT/postern
export PYTHONDONTWRITEBYTECODE=1

[ "$(id -u)" = 0 ] || { echo "run as root (Dovecot peer, /proc/PID/smaps_rollup)" >&2; exit 2; }
for bin in src/daemon/posternd src/tools/posternctl; do
  [ -x "$BUILD/$bin" ] || { echo "missing $BUILD/$bin (build it: ninja -C $BUILD posternd posternctl)" >&2; exit 2; }
done
for port in $PP $DP; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "127.0.0.1:$port is in use (another bench or peer running?); stop it first" >&2; exit 2
  fi
done
mkdir -p "$OUT" "$DATA"
ulimit -n "$(ulimit -Hn)"
need=$(( (IDLE_K > PEER_IDLE_K ? IDLE_K : PEER_IDLE_K) + 200 ))
[ "$(ulimit -n)" -ge "$need" ] || { echo "ulimit -n $(ulimit -n) < $need: lower IDLE_K" >&2; exit 2; }
skip() { [[ " $SKIP " == *" $1 "* ]]; }
ts() { date +%H:%M:%S; }
load() { echo "$(ts) $(cut -d' ' -f1-3 /proc/loadavg) $*" >> "$OUT/load.txt"; }
say() { echo "== $(ts) $*   (load $(cut -d' ' -f1-3 /proc/loadavg))"; }
PKEYS=$POSTERN_IMAP
pst() { "$py" "$here/postern_imap.py" "$@" --build "$BUILD" --dir "$PDIR" --port $PP --config-extra "${POSTERN_EXTRA:-}" \
          --imap-keys "$PKEYS"; }
psup() { pst pids | cut -d' ' -f1; }
dstart() { dovecot -c "$DCONF"; for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$DP) 2>/dev/null && return 0; sleep 0.1; done; echo "dovecot did not start" >&2; return 1; }
dstop() {
  doveadm -c "$DCONF" stop 2>/dev/null || true
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$DP) 2>/dev/null || return 0; sleep 0.1; done
}
cleanup() { dstop; pst stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
cpu() { "$py" "$here/imap_bench.py" cpu --pid "$1"; }

{ echo "start $(date -u +%FT%TZ)"; uptime; nproc; git -C "$root" log --oneline -1; } > "$OUT/env.txt"
echo "config: IDLE_K=$IDLE_K PEER_IDLE_K=$PEER_IDLE_K SEED_MSGS=$SEED_MSGS BIG_N=$BIG_N REPS=$REPS WORDS=$WORDS" \
     "STRESS=${STRESS_CLIENTS}x${STRESS_SECS}s SKIP='$SKIP' POSTERN_IMAP='$POSTERN_IMAP' TUNED_IMAP='$TUNED_IMAP'" \
     "BUILD=$BUILD" | tee -a "$OUT/env.txt"

say "mbox files in $DATA"
# imaptest APPENDs from bench.mbox and tracks messages by Message-ID: the seeded messages come
# from another seed (other Message-IDs), or imaptest reports their (differently framed) sizes
[ -s "$DATA/bench.mbox" ] || "$py" "$shared/gen_mbox.py" -n 300 --seed 42 -o "$DATA/bench.mbox"
[ -s "$DATA/seed.mbox" ] || "$py" "$shared/gen_mbox.py" -n 300 --seed 7 -o "$DATA/seed.mbox"
big="$DATA/big-$BIG_N.mbox"
if ! skip big && [ ! -s "$big" ]; then
  "$py" "$shared/gen_mbox.py" -n "$BIG_N" --seed 42 --max-size 65536 -o "$big.tmp" && mv "$big.tmp" "$big"
fi

say "Dovecot peer: empty store, start (IMAP 127.0.0.1:$DP)"
[ -f "$DCONF" ] || bash "$shared/peers/setup_peers.sh" > "$OUT/setup_peers.log" 2>&1
bash "$shared/peers/reset_mail.sh"
dstart
say "Postern: fresh data directory, start (IMAP 127.0.0.1:$PP)"
pst start --fresh | tee "$OUT/postern-start.txt"

# ---- 1. seed ----------------------------------------------------------------------------------
if ! skip seed && [ "$SEED_MSGS" -gt 0 ]; then
  for s in dovecot postern; do
    port=$([ $s = postern ] && echo $PP || echo $DP)
    say "seed $s: users 1..99 x $SEED_MSGS messages"; load "seed $s before"
    "$py" "$here/imap_bench.py" seed --port "$port" --mbox "$DATA/seed.mbox" --per-user "$SEED_MSGS" \
      --json "$OUT/$s-seed.json" | tee "$OUT/$s-seed.txt" || echo "($s seed reported a problem)"
    load "seed $s after"
  done
fi

# ---- 2. idle memory ---------------------------------------------------------------------------
if ! skip idle; then
  say "idle Dovecot: $PEER_IDLE_K connections"; load "idle dovecot before"
  "$py" "$shared/idle_memory.py" --port $DP -k "$PEER_IDLE_K" --pidfile "$DPID" --users 99 \
    --timeout 900 --json "$OUT/dovecot-idle.json" | tee "$OUT/dovecot-idle.txt" || echo "(Dovecot idle reported a problem)"
  load "idle dovecot after"
  sleep 3
  say "idle Postern: $IDLE_K connections (supervisor + worker)"; load "idle postern before"
  "$py" "$shared/idle_memory.py" --port $PP -k "$IDLE_K" --pid "$(psup)" --users 99 \
    --timeout 900 --json "$OUT/postern-idle.json" | tee "$OUT/postern-idle.txt" || echo "(Postern idle reported a problem)"
  load "idle postern after"
  pst pids > "$OUT/postern-pids.txt"
  sleep 3
fi

# ---- 3. big mailbox ---------------------------------------------------------------------------
if ! skip big; then
  for s in dovecot postern; do
    port=$([ $s = postern ] && echo $PP || echo $DP)
    say "big $s: fill user100 INBOX with $BIG_N messages"; load "fill $s before"
    c0=$(if [ $s = postern ]; then cpu "$(psup)"; else cpu "$(cat $DPID)"; fi)
    "$py" "$here/imap_bench.py" fill --port "$port" --mbox "$big" --json "$OUT/$s-fill.json" \
      | tee "$OUT/$s-fill.txt" || echo "($s fill reported a problem)"
    c1=$(if [ $s = postern ]; then cpu "$(psup)"; else cpu "$(cat $DPID)"; fi)
    echo "server_cpu_s $(awk "BEGIN{print $c1 - $c0}")" >> "$OUT/$s-fill.txt"
    load "fill $s after"
    "$py" "$here/imap_bench.py" bigmsg --port "$port" --json "$OUT/$s-bigmsg.json" | tee "$OUT/$s-bigmsg.txt" \
      || echo "($s bigmsg reported a problem)"
  done
  for s in dovecot postern; do
    port=$([ $s = postern ] && echo $PP || echo $DP)
    say "big $s: restart, then $REPS rounds (round 1 cold)"
    if [ $s = postern ]; then pst restart > /dev/null; else dstop; dstart; fi
    sleep 2
    load "measure $s before"
    "$py" "$here/imap_bench.py" measure --port "$port" --reps "$REPS" --words "$WORDS" \
      --json "$OUT/$s-measure.json" | tee "$OUT/$s-measure.txt" || echo "($s measure reported a problem)"
    load "measure $s after"
  done
fi

# ---- 4. imaptest stress -----------------------------------------------------------------------
if ! skip stress; then
  if [ -x "$IMAPTEST" ]; then
    stress() {  # name port label profile
      local s=$1 port=$2 label=$3 profile=$4 extra=() pid
      [ "$profile" = logout0 ] && extra=(-- logout=0)
      pid=$(if [ "$s" = dovecot ]; then cat $DPID; else psup; fi)
      say "stress $label, $profile: $STRESS_CLIENTS clients, $STRESS_SECS s"; load "stress $label $profile before"
      c0=$(cpu "$pid")
      IMAPTEST=$IMAPTEST bash "$shared/imap_stress.sh" -P "$port" -s "$STRESS_SECS" -c "$STRESS_CLIENTS" -n 99 \
        -m "$DATA/bench.mbox" "${extra[@]}" > "$OUT/$label-stress-$profile.txt" 2>&1 || true
      c1=$(cpu "$pid")
      load "stress $label $profile after"
      echo "server_cpu_s $(awk "BEGIN{print $c1 - $c0}")" >> "$OUT/$label-stress-$profile.txt"
      cat "$OUT/$label-stress-$profile.txt"
      log=$(sed -n 's/^full imaptest output: //p' "$OUT/$label-stress-$profile.txt")
      if [ -n "$log" ] && [ -f "$log" ]; then mv "$log" "$OUT/$label-stress-$profile.imaptest.log"; fi
      # a crashed server would end the comparison here
      if [ "$s" = postern ] && ! (exec 3<>/dev/tcp/127.0.0.1/$PP) 2>/dev/null; then
        echo "Postern no longer listens after the $label $profile stress run; see $PDIR/posternd.out" | tee -a "$OUT/problems.txt"
        cp "$PDIR/posternd.out" "$OUT/postern-posternd-crash.out" 2>/dev/null || true
        pst start | tee -a "$OUT/postern-start.txt"
      fi
    }
    for profile in default logout0; do
      stress dovecot $DP dovecot $profile
      stress postern $PP postern $profile
    done
    if [ -n "$TUNED_IMAP" ]; then
      PKEYS=$(printf '%s\n%b' "$POSTERN_IMAP" "$TUNED_IMAP")
      say "Postern restarted with [services.imap] $(echo $PKEYS)"
      pst restart | tee -a "$OUT/postern-start.txt"
      echo "$PKEYS" > "$OUT/postern_tuned-keys.txt"
      for profile in default logout0; do
        stress postern $PP postern_tuned $profile
      done
    fi
  else
    echo "imaptest not found at $IMAPTEST: stress skipped (bench/imap/build_imaptest.sh builds it)" | tee "$OUT/stress-skipped.txt"
  fi
fi

say "done; stopping Dovecot and Postern"
load "end"
cp "$PDIR/posternd.out" "$OUT/postern-posternd.out" 2>/dev/null || true
cp -r "$PDIR/log" "$OUT/postern-log" 2>/dev/null || true
cleanup
trap - EXIT
rm -rf "$PDIR/data"   # the 100k-message store; logs and config stay
say "emptying the peer's mail store"
bash "$shared/peers/reset_mail.sh"
"$py" "$here/summary.py" "$OUT" --idle-k "$IDLE_K" --peer-idle-k "$PEER_IDLE_K" --words "$WORDS"
