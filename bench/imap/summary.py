#!/usr/bin/python3
"""Table and summary.json for a bench/imap/compare.sh output directory.

usage: summary.py OUT [--idle-k 10000] [--peer-idle-k 2000] [--words Mallory,thursday,zanzibar]

"Postern advantage" is Dovecot's time / Postern's time for timings, Postern's rate / Dovecot's
rate for rates and Dovecot's memory / Postern's memory for memory: above 1 Postern is better.
"""
import argparse
import json
import re
import sys
from pathlib import Path


def load_json(p):
    try:
        return json.loads(Path(p).read_text())
    except (OSError, ValueError):
        return None


def stress(p):
    try:
        text = Path(p).read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"imap_stress \S+ clients=(\d+) secs=([\d.]+): (\d+) commands, ([\d.]+) cmds/s, "
                  r"([\d.]+) logins/s, errors=(\d+), rc=(-?\d+)", text)
    if not m:
        first = [l for l in text.splitlines() if l.strip()][:3]
        return {"failed": True, "output": first}
    r = {"clients": int(m[1]), "secs": float(m[2]), "commands": int(m[3]), "cmds_per_s": float(m[4]),
         "logins_per_s": float(m[5]), "errors": int(m[6]), "rc": int(m[7])}
    t = re.search(r"^totals: (.*)$", text, re.M)
    if t:
        r["totals"] = dict((k, int(v)) for k, v in (kv.split("=") for kv in t[1].split()))
    c = re.search(r"^server_cpu_s (\S+)", text, re.M)
    if c:
        r["server_cpu_s"] = float(c[1])
        if r["server_cpu_s"] > 0:
            r["cmds_per_server_cpu_s"] = round(r["commands"] / r["server_cpu_s"], 1)
    e = re.findall(r"^(?:Error|Panic|Fatal): .*$", text, re.M)
    r["first_errors"] = e[:5]
    return r


def server_cpu(p):
    try:
        m = re.search(r"^server_cpu_s (\S+)", Path(p).read_text(), re.M)
        return float(m[1]) if m else None
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--idle-k", type=int, default=10000)
    ap.add_argument("--peer-idle-k", type=int, default=2000)
    ap.add_argument("--words", default="Mallory,thursday,zanzibar")
    a = ap.parse_args()
    out = Path(a.out)
    words = [w for w in a.words.split(",") if w]
    S = {}
    for s in ("postern", "dovecot", "postern_tuned"):
        S[s] = {
            "seed": load_json(out / f"{s}-seed.json"),
            "idle": load_json(out / f"{s}-idle.json"),
            "fill": load_json(out / f"{s}-fill.json"),
            "fill_server_cpu_s": server_cpu(out / f"{s}-fill.txt"),
            "bigmsg": load_json(out / f"{s}-bigmsg.json"),
            "measure": load_json(out / f"{s}-measure.json"),
            "stress_default": stress(out / f"{s}-stress-default.txt"),
            "stress_logout0": stress(out / f"{s}-stress-logout0.txt"),
        }
    try:
        S["load"] = Path(out / "load.txt").read_text().splitlines()
    except OSError:
        S["load"] = []

    rows = []

    def add(name, p, d, unit, better, goal=""):
        """better: 'low' (times, memory) or 'high' (rates)."""
        adv = None
        if isinstance(p, (int, float)) and isinstance(d, (int, float)) and p > 0 and d > 0:
            adv = d / p if better == "low" else p / d
        rows.append({"measure": name, "postern": p, "dovecot": d, "unit": unit,
                     "postern_advantage": round(adv, 2) if adv else None, "goal": goal})

    P, D, T = S["postern"], S["dovecot"], S["postern_tuned"]
    try:
        tuned_keys = ", ".join(l.strip() for l in (out / "postern_tuned-keys.txt").read_text().splitlines() if l.strip())
    except OSError:
        tuned_keys = "tuned"
    stress_runs = [("stress_default", "imaptest default profile", P), ("stress_logout0", "imaptest logout=0", P)]
    if T["stress_default"] or T["stress_logout0"]:
        stress_runs += [("stress_default", f"imaptest default profile, Postern with {tuned_keys}", T),
                        ("stress_logout0", f"imaptest logout=0, Postern with {tuned_keys}", T)]
    for prof, label, PP in stress_runs:
        p, d = PP[prof], D[prof]
        if p or d:
            pc = p.get("cmds_per_s") if p else None
            dc = d.get("cmds_per_s") if d else None
            goal = ""
            if pc is not None and dc:
                ok = pc >= 1.5 * dc and p.get("errors") == 0
                goal = f"≥ 1.5× and 0 errors: {'met' if ok else 'NOT met'}"
            add(f"{label}: commands/s", pc, dc, "cmds/s", "high", goal)
            add(f"{label}: errors", p.get("errors") if p else None, d.get("errors") if d else None, "", "low")
            add(f"{label}: logins/s", p.get("logins_per_s") if p else None, d.get("logins_per_s") if d else None,
                "/s", "high")
            add(f"{label}: commands per server CPU second", p.get("cmds_per_server_cpu_s") if p else None,
                d.get("cmds_per_server_cpu_s") if d else None, "cmds/CPU-s", "high")
    pi, di = P["idle"], D["idle"]
    if pi or di:
        pk = f"{pi['idle_connections']}/{pi['requested']}" if pi else "-"
        dk = f"{di['idle_connections']}/{di['requested']}" if di else "-"
        pp = pi.get("pss_kib_per_conn") if pi else None
        goal = f"< 64 KiB: {'met' if pp is not None and pp < 64 and pi['errors'] == 0 else 'NOT met'}" if pi else ""
        add(f"idle connection PSS (Postern {pk}, Dovecot {dk} conns)", pp, di.get("pss_kib_per_conn") if di else None,
            "KiB/conn", "low", goal)
        add("idle connection RSS", pi.get("rss_kib_per_conn") if pi else None,
            di.get("rss_kib_per_conn") if di else None, "KiB/conn", "low")
        add("idle connection setup rate", pi.get("setups_per_s") if pi else None,
            di.get("setups_per_s") if di else None, "conn/s", "high")
    pf, df = P["fill"], D["fill"]
    if pf or df:
        add(f"fill INBOX ({(pf or df)['appended']:,} msgs, MULTIAPPEND)", pf and pf.get("msgs_per_s"),
            df and df.get("msgs_per_s"), "msgs/s", "high")
    pm, dm = P["measure"], D["measure"]
    if pm or dm:
        def cold(m, k):
            return m["cold"].get(k) if m and m.get("cold") else None

        def warm(m, k):
            return m["warm"].get(k) if m and m.get("warm") else None
        ex = (pm or dm)["cold"].get("exists") if (pm or dm).get("cold") else None
        for k, label in (("select_s", f"SELECT INBOX ({ex:,} msgs)" if ex else "SELECT INBOX"),
                         ("fetch_flags_s", "UID FETCH 1:* (FLAGS UID)"),
                         ("select_fetch_s", "SELECT + UID FETCH 1:* (FLAGS UID)")):
            for kind, f in (("cold", cold), ("warm", warm)):
                p, d = f(pm, k), f(dm, k)
                add(f"{label}, {kind}", p and round(1e3 * p, 1), d and round(1e3 * d, 1), "ms", "low")
        for w in words:
            hp, hd = cold(pm, f"search_{w}_hits"), cold(dm, f"search_{w}_hits")
            for kind, f in (("cold", cold), ("warm", warm)):
                p, d = f(pm, f"search_{w}_s"), f(dm, f"search_{w}_s")
                add(f"SEARCH TEXT {w} ({hp} / {hd} hits), {kind}", p and round(1e3 * p, 1),
                    d and round(1e3 * d, 1), "ms", "low")
        size = cold(pm, "big_fetch_bytes") or cold(dm, "big_fetch_bytes")
        for kind, f in (("cold", cold), ("warm", warm)):
            p, d = f(pm, "big_fetch_mb_per_s"), f(dm, "big_fetch_mb_per_s")
            add(f"UID FETCH BODY.PEEK[] of a {size / 1e6:.1f} MB message (20 MB attachment), {kind}"
                if size else f"FETCH big message, {kind}", p and round(p, 1), d and round(d, 1), "MB/s", "high")

    def fmt(v):
        if v is None:
            return "n/a"
        if isinstance(v, float):
            return f"{v:,.1f}" if v < 1000 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)
    print()
    print("| measure | Postern | Dovecot | unit | Postern advantage | goal |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        adv = f"{r['postern_advantage']:.2f}×" if r["postern_advantage"] else ""
        print(f"| {r['measure']} | {fmt(r['postern'])} | {fmt(r['dovecot'])} | {r['unit']} | {adv} | {r['goal']} |")
    print()
    for s in ("postern", "dovecot", "postern_tuned"):
        for prof in ("stress_default", "stress_logout0"):
            st = S[s][prof]
            if st and st.get("first_errors"):
                print(f"{s} {prof} first errors:")
                for e in st["first_errors"]:
                    print("   " + e[:300])
            if st and st.get("failed"):
                print(f"{s} {prof}: no result: {st['output']}")
        for k in ("idle", "fill", "seed"):
            v = S[s][k]
            if v and (v.get("errors") and (isinstance(v["errors"], int) and v["errors"] > 0 or isinstance(v["errors"], list))):
                print(f"{s} {k} errors: {v.get('errors')} {v.get('error_samples', '')}")
        m = S[s]["measure"]
        if m:
            for r in m["reps"]:
                if "error" in r:
                    print(f"{s} measure rep {r['rep']} error: {r['error']}")
    print("load average (1/5/15 min) around the steps:")
    for l in S["load"]:
        print("   " + l)
    summary = {"rows": rows, "raw": S}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"raw results and summary.json: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
