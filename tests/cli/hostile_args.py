#!/usr/bin/env python3
"""The CLI under hostile arguments: whatever bytes its arguments hold, stdout is one valid JSON
document in strict UTF-8 (or empty, with a usage message on stderr), and the exit status is 0
(answered), 1 (rejected, errors on stdout) or 2 (wrong command line) -- never a crash or a signal.
Each command runs with and without --pretty.

    python3 tests/cli/hostile_args.py build/native/credits
"""
import json
import os
import subprocess
import sys
import tempfile

CREDITS = os.path.abspath(sys.argv[1])
AT = b"2026-12-01T00:00:00Z"

LEDGER = json.dumps({
    "format": "easycoda.ledger/1", "account": {"id": "acct_1"},
    "projects": [{"id": "p1", "name": "Proj\u00e9ct"}],
    "events": [
        {"id": "o", "type": "account_opened", "at": "2026-01-01T00:00:00Z"},
        {"id": "u", "type": "usage", "at": "2026-01-02T00:00:00Z", "project_id": "p1", "task_id": "t",
         "session_id": "s", "service": "agent_chat",
         "tokens": {"output": 1000, "input_cache_miss": 2000, "input_cache_hit": 5}},
    ],
}).encode()
QUOTE = b'{"output_tokens": 4000000, "input_tokens": 40000000, "cache_hit_rate_bp": 9000}'

# Not UTF-8, control bytes, option look-alikes, format strings, huge and empty values.
HOSTILE = [
    b"\xff", b"\x80abc", AT[:-1] + b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc3",
    b"", b"-", b"--", b"--pretty", b"\x01\x1b[31m\x7f", b'"\\"\\u0000', b"%s%n%x", b"9" * 400, b"+99:99",
    b"x" * 100000, "\u00e9".encode() * 30000 + b"\xff", AT + b"\xc2",  # (argv cannot hold a NUL byte)
]


def run(args):
    result = subprocess.run([CREDITS] + args, capture_output=True, timeout=60)
    return result.returncode, result.stdout


def main():
    failures = []
    runs = 0
    with tempfile.TemporaryDirectory() as tmp:
        ledger = os.path.join(tmp, "ledger.json").encode()
        quote = os.path.join(tmp, "quote.json").encode()
        with open(ledger, "wb") as f:
            f.write(LEDGER)
        with open(quote, "wb") as f:
            f.write(QUOTE)
        for v in HOSTILE:
            commands = [
                [b"report", b"--at", v, ledger], [b"report", b"--at", AT, b"--from", v, ledger],
                [b"report", b"--at", AT, b"--to", v, ledger], [b"report", b"--at", AT, b"--utc-offset", v, ledger],
                [b"project", v, b"--at", AT, ledger], [b"project", b"p1", b"--at", v, ledger],
                [b"project", b"p1", b"--at", AT, b"--utc-offset", v, ledger], [b"forecast", b"--at", v, ledger], [b"checkpoint", b"--at", v, ledger],
                [b"convert", b"--credits", v], [b"convert", b"--tokens", v], [b"check", v], [b"quote", v],
                [b"report", b"--at", AT, v], [v, b"--at", AT, ledger], [b"report", v, b"--at", AT, ledger],
                [b"catalog", b"--catalog", v], [b"quote", b"--rules", v, quote],
            ]
            for command in commands:
                for pretty in ([], [b"--pretty"]):
                    args = command + pretty
                    runs += 1
                    try:
                        status, out = run(args)
                    except subprocess.TimeoutExpired:
                        failures.append((args, "timed out"))
                        continue
                    if status not in (0, 1, 2):
                        failures.append((args, f"exit status {status}"))
                        continue
                    if status == 2:
                        if out:
                            failures.append((args, "exit 2 (usage) with output on stdout"))
                        continue
                    try:
                        json.loads(out.decode("utf-8", errors="strict"))
                    except (UnicodeDecodeError, ValueError) as e:
                        failures.append((args, f"stdout is not strict UTF-8 JSON ({e}): {out[:200]!r}"))
    for args, what in failures[:20]:
        shown = [a[:60] + (b"..." if len(a) > 60 else b"") for a in args]
        print(f"FAIL {what}: {shown!r}")
    print(f"hostile CLI arguments: {runs} runs, {len(failures)} failures")
    return 1 if failures or runs == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
