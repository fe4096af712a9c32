"""Dovecot imaptest's scripted tests against Postern's IMAP service.

tests/conformance/imaptest/runner.py runs every script of tests/conformance/data/imaptest/tests
(a byte-for-byte copy of upstream's scripts and mbox files) against a fresh server, over
implicit TLS as alice@example.test (bob@example.test as the second user). A script the
server lacks the capabilities for is skipped, as imaptest does.

The test fails when a script fails that is not in EXPECTED_FAILURES, and also when a script
listed there passes (take it off the list then): the list is how the team tracks what is left
to do, so it must stay exact. A listed script that is skipped (its capability not advertised)
is only noted. docs/imap.md ("Conformance (imaptest
scripts)") shows the current numbers.
"""
import json
import subprocess
import sys

from harness import ROOT
from imapflow import make_imap_server
from mailflow import PASSWORD

RUNNER = ROOT / "tests" / "conformance" / "imaptest" / "runner.py"

# Scripts that fail today although Postern advertises what they need, each with its reason.
# Keep this list small and honest: when a script starts passing, the test fails until its
# entry is removed.
EXPECTED_FAILURES = {
    # Deliberate: a malformed modified UTF-7 name is BAD (docs/imap.md, "Mailboxes"); imaptest
    # expects SELECT to say NO and LIST to say OK for `!#$&'+,-...` (an invalid `&'+,-` run).
}


def run_runner(server, tmp_path):
    results_file = tmp_path / "imaptest.json"
    cmd = [sys.executable, str(RUNNER), "--host", "127.0.0.1", "--port", str(server.ports["imaps"]), "--tls",
           "--cafile", str(server.cert), "--user", "alice@example.test", "--password", PASSWORD,
           "--user2", "bob@example.test", "--password2", PASSWORD, "--timeout", "10",
           "--json", str(results_file)]
    completed = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if not results_file.exists():
        raise AssertionError(f"runner produced no results (exit {completed.returncode}):\n"
                             f"{completed.stdout}\n{completed.stderr}")
    return json.loads(results_file.read_text()), completed.stdout


def test_imaptest_scripts(make_server, tmp_path, capsys):
    server = make_imap_server(make_server)
    data, output = run_runner(server, tmp_path)
    results = {r["name"]: r for r in data["results"]}
    with capsys.disabled():
        print(f"\nimaptest scripts against Postern: {data['summary']} "
              f"({len(EXPECTED_FAILURES)} expected failures)")

    unexpected = [name for name, r in results.items() if r["status"] == "FAIL" and name not in EXPECTED_FAILURES]
    fixed = [name for name in EXPECTED_FAILURES if results.get(name, {}).get("status") == "PASS"]
    skipped = [name for name in EXPECTED_FAILURES if results.get(name, {}).get("status") == "SKIP"]
    unknown = [name for name in EXPECTED_FAILURES if name not in results]
    if skipped:
        with capsys.disabled():
            print(f"note: expected failures skipped (capability not advertised): {', '.join(skipped)}")

    problems = []
    for name in unexpected:
        problems.append(f"{name} failed:\n{results[name]['reason']}")
    for name in fixed:
        problems.append(f"{name} passes now: remove it from EXPECTED_FAILURES")
    for name in unknown:
        problems.append(f"{name} is in EXPECTED_FAILURES but is no script")
    assert not problems, f"{data['summary']}\n\n" + "\n\n".join(problems) + "\n\nrunner output:\n" + output
