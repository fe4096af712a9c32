#!/usr/bin/python3
"""Runs Dovecot imaptest's scripted tests (scripted_test.md format) against an IMAP server.

    runner.py --host 127.0.0.1 --port 143 --starttls --user U --password P [scripts...]

Each script runs on its own connections, in the test mailbox (`--mailbox`, default
`imaptest`) which the set-up empties first: use a throwaway account. Prints one line per
script (PASS, FAIL with the first mismatch, SKIP with the missing capabilities) and a
summary `passed X / failed Y / skipped Z`. Exit status: 0 when no script failed, 1 when
some did, 2 on usage errors. `--json FILE` writes every result (all mismatches included).

Modules: script.py (script parser), imapargs.py (IMAP argument parser), matcher.py
(variables, directives, comparisons), mbox.py (message source), client.py (connection),
executor.py (set-up states and command groups).
"""
import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import executor  # noqa: E402
import script as script_mod  # noqa: E402
from client import Endpoint  # noqa: E402

DEFAULT_TESTS = HERE.parent / "data" / "imaptest" / "tests"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Run imaptest scripts against an IMAP server.")
    parser.add_argument("scripts", nargs="*",
                        help="script names or paths to run (default: every script of --tests)")
    parser.add_argument("--tests", default=str(DEFAULT_TESTS), help="directory of scripts and .mbox files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=143)
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true", help="implicit TLS (e.g. port 993)")
    tls.add_argument("--starttls", action="store_true", help="STARTTLS before logging in")
    parser.add_argument("--cafile", help="verify the server certificate with this CA file "
                                         "(default: no verification)")
    parser.add_argument("--user", required=True, help="login name ($user); a throwaway account")
    parser.add_argument("--password", required=True)
    parser.add_argument("--user2", help="second login for scripts with 'user 2: $user2'")
    parser.add_argument("--password2")
    parser.add_argument("--mailbox", default="imaptest", help="test mailbox name ($mailbox)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
    parser.add_argument("--sync-literals", action="store_true",
                        help="always wait for '+' before a literal, even if the server has LITERAL+")
    parser.add_argument("--json", dest="json_file", help="write all results to this file as JSON")
    parser.add_argument("--keep", action="store_true", help="leave the test mailboxes at the end")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mismatch of failing scripts")
    return parser.parse_args(argv)


def select_scripts(directory, names):
    """Paths of the scripts to run: all of `directory`, or those named (name or path)."""
    directory = Path(directory)
    if not names:
        return script_mod.discover(directory)
    paths = []
    for name in names:
        path = Path(name)
        if not path.exists():
            path = directory / name
        if not path.is_file():
            raise SystemExit(f"no such script: {name}")
        paths.append(path)
    return paths


def run_script(path, settings):
    """Parse and run one script; a script that does not parse is a failure."""
    try:
        script = script_mod.parse_file(path)
    except script_mod.ScriptError as err:
        result = executor.Result(Path(path).name, [])
        result.status = "FAIL"
        result.reason = f"script error: {err}"
        return result
    return executor.ScriptRun(script, settings).run()


def report(result, verbose, out):
    if result.status == "PASS":
        out.write(f"PASS {result.name}\n")
    elif result.status == "SKIP":
        out.write(f"SKIP {result.name} ({result.reason})\n")
    else:
        failures = result.failures if verbose else result.failures[:1]
        more = len(result.failures) - len(failures)
        out.write(f"FAIL {result.name}\n")
        if not failures:
            out.write(_indent(result.reason) + "\n")
        for failure in failures:
            out.write(_indent(failure.describe()) + "\n")
        if more > 0:
            out.write(f"    (+{more} more mismatches, -v shows all)\n")
    out.flush()


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())


def summary(results):
    counts = {status: sum(1 for r in results if r.status == status) for status in ("PASS", "FAIL", "SKIP")}
    return f"passed {counts['PASS']} / failed {counts['FAIL']} / skipped {counts['SKIP']}"


def main(argv=None):
    args = parse_arguments(argv if argv is not None else sys.argv[1:])
    tls = "implicit" if args.tls else "starttls" if args.starttls else "none"
    endpoint = Endpoint(args.host, args.port, tls=tls, cafile=args.cafile, timeout=args.timeout,
                        sync_literals=args.sync_literals)
    settings = executor.Settings(endpoint, args.user, args.password, args.user2, args.password2,
                                 args.mailbox, args.verbose, sys.stdout)
    results = []
    for path in select_scripts(args.tests, args.scripts):
        result = run_script(path, settings)
        results.append(result)
        report(result, args.verbose, sys.stdout)
    if not args.keep:
        try:
            executor.cleanup(settings)
        except Exception as err:  # noqa: BLE001 - clean-up is best effort
            print(f"(cleanup failed: {err})")
    print(summary(results))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump({"summary": summary(results), "results": [r.as_dict() for r in results]}, f, indent=1)
    return 1 if any(r.status == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
