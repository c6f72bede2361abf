#!/usr/bin/env python3
"""Writes the checked-in seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*).

Seeds come from the project's own test documents: the spec's example ledger, excerpts of the
demo ledger, hand-written ledgers for each rule (overdraft, expiry, cancellation, every provider
format), the shipped rule set and catalog, the provider vectors, the generated property-test
ledgers and every document of the bad-input catalog (tests/bad/). Run from anywhere:

    python3 tests/fuzz/make_seeds.py

Only files named seed-* are rewritten; inputs libFuzzer added (hash names) are kept.
"""
import glob
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
FORMATS = ["openai_chat", "openai_responses", "anthropic_messages", "gemini", "deepseek"]


def provider_vector(fmt):
    with open(os.path.join(ROOT, "tests/vectors/provider", fmt + ".json")) as f:
        return json.load(f)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, "seed-" + name), "wb") as f:
        f.write(data)


def ledger(events, projects=("p1",), offset=None, account="acct_7"):
    acct = {"id": account}
    if offset:
        acct["utc_offset"] = offset
    return {"format": "easycoda.ledger/1", "account": acct,
            "projects": [{"id": p, "name": "Project " + p} for p in projects], "events": events}


def ev(i, typ, at, **fields):
    e = {"id": i, "type": typ, "at": at}
    e.update(fields)
    return e


def chat(i, at, s, out, miss, hit=0, task="t1", project="p1", service="agent_chat"):
    return ev(i, "usage", at, project_id=project, task_id=task, session_id=s, service=service,
              tokens={"output": out, "input_cache_miss": miss, "input_cache_hit": hit})


def done(i, at, s, task="t1", project="p1"):
    return ev(i, "session_completed", at, project_id=project, task_id=task, session_id=s)


SPEC_EXAMPLE = ledger([
    ev("e1", "account_opened", "2026-09-01T08:00:00Z"),
    ev("e2", "subscription_billed", "2026-09-03T00:00:00Z", plan="standard", outcome="succeeded",
       period_start="2026-09-03T00:00:00Z", period_end="2026-10-03T00:00:00Z"),
    ev("e3", "credits_purchased", "2026-09-10T12:00:00Z", credits=1000),
    ev("e4", "credits_granted", "2026-09-11T00:00:00Z", credits="25.5", expires_at="2026-12-31T16:00:00Z",
       reason="support goodwill"),
    ev("e5", "usage", "2026-09-12T09:30:00Z", project_id="p1", task_id="t1", session_id="s1", service="agent_chat",
       model="m-large", tokens={"output": 1200, "input_cache_miss": 3000, "input_cache_hit": 45000}),
    ev("e6", "usage", "2026-09-12T09:31:00Z", project_id="p1", task_id="t1", session_id="s1", service="summarization",
       tokens={"output": 300, "input_cache_miss": 9000}),
    ev("e7", "session_completed", "2026-09-12T09:40:00Z", project_id="p1", task_id="t1", session_id="s1"),
    ev("e8", "task_cancelled", "2026-09-12T10:00:00Z", project_id="p1", task_id="t2"),
], offset="+08:00")

HAND = {
    "overdraft-repayment": ledger([
        ev("o", "account_opened", "2026-01-01T00:00:00Z"),
        chat("u1", "2026-01-02T00:00:00Z", "s1", 4000000, 3000000, 10),
        done("c1", "2026-01-02T01:00:00Z", "s1"),
        ev("g1", "credits_granted", "2026-01-03T00:00:00Z", credits="100.25", expires_at="2026-01-10T00:00:00Z"),
        ev("k1", "credits_purchased", "2026-01-03T00:00:00Z", credits=1000, pack="pack_1000"),
        chat("u2", "2026-01-04T00:00:00Z", "s2", 1, 2, 3),
        done("c2", "2026-01-05T00:00:00Z", "s2"),
    ]),
    "expiry-plan-failed": ledger([
        ev("o", "account_opened", "2026-01-31T10:00:00+05:30"),
        ev("b1", "subscription_billed", "2026-01-31T10:00:00+05:30", plan="standard", outcome="succeeded"),
        ev("b2", "subscription_billed", "2026-02-28T10:00:00+05:30", plan="premium", outcome="failed"),
        ev("b3", "subscription_billed", "2026-03-01T00:00:00Z", plan="premium", outcome="succeeded",
           period_start="2026-03-01T00:00:00Z", credits="12.3456"),
        ev("g", "credits_granted", "2026-02-01T00:00:00.5Z", credits=3, expires_at="2026-02-28T04:30:00.000000001Z",
           reason="sorry"),
        chat("u", "2026-02-27T23:59:59.999999999Z", "s", 500, 700, 900),
        done("c", "2026-02-28T04:30:00.000000001Z", "s"),
    ], offset="-03:30"),
    "cancel": ledger([
        ev("o", "account_opened", "2026-05-01T00:00:00Z", account_id="acct_7"),
        chat("u1", "2026-05-01T01:00:00Z", "s1", 10, 20, 30, task="t"),
        chat("u2", "2026-05-01T02:00:00Z", "s2", 11, 21, 31, task="t"),
        done("c1", "2026-05-01T03:00:00Z", "s1", task="t"),
        ev("x", "task_cancelled", "2026-05-01T03:00:00Z", project_id="p1", task_id="t", reason="user stopped"),
        ev("x2", "task_cancelled", "2026-05-02T03:00:00Z", project_id="p1", task_id="t"),
        chat("u3", "2026-05-03T02:00:00Z", "s3", 12, 22, 32, task="t"),
        chat("u4", "2026-05-03T02:00:00Z", "s2", 12, 22, 32, task="t"),
        ev("b", "usage", "2026-05-03T02:00:00Z", project_id="p1", service="build", tokens={"output": 5}),
        ev("sm", "usage", "2026-05-03T02:00:00Z", project_id="p1", task_id="t", session_id="s1",
           service="summarization", tokens={"input_cache_hit": 5}),
    ]),
    "duplicates": ledger([
        ev("o", "account_opened", "2026-05-01T00:00:00Z"),
        ev("o", "account_opened", "2026-05-01T00:00:00Z"),
        chat("u1", "2026-05-01T01:00:00Z", "s1", 10, 20, 30),
        {"tokens": {"input_cache_hit": 30, "output": 10, "input_cache_miss": 20}, "service": "agent_chat",
         "session_id": "s1", "task_id": "t1", "project_id": "p1", "at": "2026-05-01T01:00:00Z", "type": "usage", "id": "u1"},
    ]),
    "providers": ledger([ev("o", "account_opened", "2026-05-01T00:00:00Z")] + [
        ev("u%d" % i, "usage", "2026-05-0%dT00:00:00Z" % (i + 2), project_id="p1", task_id="t", session_id="s%d" % i,
           service="agent_chat", provider_usage={"format": f, "usage": provider_vector(f)["usage"]})
        for i, f in enumerate(FORMATS)] + [done("c0", "2026-05-09T00:00:00Z", "s0", task="t")], projects=("p1",)),
}


def demo_seeds():
    path = os.path.join(ROOT, "web/public/demo/ledger.json")
    if not os.path.exists(path):
        return
    demo = json.load(open(path))
    events = sorted(demo["events"], key=lambda e: e["at"])  # same-offset 'Z' instants sort as text
    for n in (25,):
        write("ledger", "demo-first-%d.json" % n, compact(dict(demo, events=events[:n])))
    for p in demo["projects"][:2]:
        keep = [e for e in events if e.get("project_id") in (None, p["id"])]
        write("ledger", "demo-%s.json" % p["id"], compact(dict(demo, events=keep[:40])))


# --- dictionaries (tests/fuzz/dict/<target>.dict): the format's tokens and vocabulary ----------------
COMMON = ['{', '}', '[', ']', ':', ',', '"', 'null', 'true', 'false', '-0', '0', '1e3', '1.0', '9007199254740991',
          '9007199254740992', '18446744073709551616', '\\u0000', '\\ud800', '"\\/"']
LEDGER_WORDS = ['format', 'easycoda.ledger/1', 'account', 'id', 'utc_offset', '+08:00', '-14:00', '+14:01', 'projects',
                'name', 'events', 'type', 'at', 'account_id', 'account_opened', 'subscription_billed',
                'credits_purchased', 'credits_granted', 'usage', 'session_completed', 'task_cancelled',
                'credits_transferred', 'credits_redeemed', 'plan', 'outcome', 'succeeded', 'failed', 'period_start',
                'period_end', 'credits', 'pack', 'expires_at', 'reason', 'project_id', 'task_id', 'session_id',
                'service', 'model', 'agent_chat', 'summarization', 'build', 'tokens', 'output', 'input_cache_miss',
                'input_cache_hit', 'provider_usage', 'standard', 'premium', '2026-09-01T08:00:00Z',
                '2026-02-29T00:00:00Z', '2028-02-29T23:59:59.999999999+14:00', '1970-01-01T00:00:00Z',
                '2199-12-31T23:59:59Z', 'T24:00:00', '.5Z', '25.5', '0.0001']
USAGE_WORDS = FORMATS + ['completion_tokens', 'prompt_tokens', 'prompt_tokens_details', 'cached_tokens', 'output_tokens',
                         'input_tokens', 'input_tokens_details', 'cache_creation_input_tokens',
                         'cache_read_input_tokens', 'candidatesTokenCount', 'thoughtsTokenCount', 'promptTokenCount',
                         'cachedContentTokenCount', 'toolUsePromptTokenCount', 'prompt_cache_hit_tokens',
                         'prompt_cache_miss_tokens']
DICTS = {
    "ledger": COMMON + LEDGER_WORDS + USAGE_WORDS,
    "provider_usage": COMMON + USAGE_WORDS,
    "rules": COMMON + ['easycoda.rules/1', 'tokens_per_credit', '10000', 'signup_credits', 'format', '500', '"0.0001"'],
    "catalog": COMMON + ['easycoda.catalog/1', 'currency', 'USD', 'plans', 'packs', 'id', 'name', 'monthly_credits',
                         'monthly_price_minor', 'credits', 'price_minor', '"1000.5"', 'format'],
    "quote": COMMON + ['output_tokens', 'input_tokens', 'cache_hit_rate_bp', 'plan', 'standard', 'premium', '10000', '10001'],
}


# The query target's fields (at, from, to, utc_offset, project id) are split at '\n'; its words
# are bytes, some not UTF-8, written with \xNN escapes.
QUERY_WORDS = [b"\n", b"2026-01-02T00:00:00Z", b"2026-12-01T00:00:00.123456789+14:00", b"1970-01-01T00:00:00Z",
               b"2199-12-31T23:59:59Z", b"2200-01-01T00:00:00Z", b"T24:00:00", b"+08:00", b"-14:00", b"+14:01",
               b"-00:00", b"Z", b"p", b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
               b"\xe2\x82", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\x00", b"\"", b"\\"]


def dict_bytes(word):
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else "\\x%02x" % b for b in word)


def write_query_dict(directory):
    with open(os.path.join(directory, "query.dict"), "w") as f:
        f.write("# libFuzzer dictionary for fuzz_query (written by tests/fuzz/make_seeds.py)\n")
        for i, word in enumerate(QUERY_WORDS):
            f.write('kw%d="%s"\n' % (i, dict_bytes(word)))


def write_dicts():
    directory = os.path.join(ROOT, "tests", "fuzz", "dict")
    os.makedirs(directory, exist_ok=True)
    for target, words in DICTS.items():
        with open(os.path.join(directory, target + ".dict"), "w") as f:
            f.write("# libFuzzer dictionary for fuzz_%s (written by tests/fuzz/make_seeds.py)\n" % target)
            seen = set()
            for i, word in enumerate(words):
                if word in seen:
                    continue
                seen.add(word)
                escaped = word.replace("\\", "\\\\").replace('"', '\\"')
                f.write('kw%d="%s"\n' % (i, escaped))
                if word[0] not in '{}[]:,"' and not word[0].isdigit() and word not in ("null", "true", "false"):
                    f.write('q%d="\\"%s\\""\n' % (i, escaped))
    write_query_dict(directory)


def main():
    write_dicts()
    write("ledger", "spec-example.json", json.dumps(SPEC_EXAMPLE, indent=1).encode())
    for name, doc in HAND.items():
        write("ledger", name + ".json", compact(doc))
    demo_seeds()
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/vectors/generated/*.ledger.json")))[:6]:
        write("ledger", "generated-" + os.path.basename(path), open(path, "rb").read())

    write("rules", "default.json", open(os.path.join(ROOT, "core/data/rules.default.json"), "rb").read())
    write("rules", "zero-signup.json", b'{"format":"easycoda.rules/1","tokens_per_credit":10000,"signup_credits":"0.0001"}')
    write("catalog", "example.json", open(os.path.join(ROOT, "core/data/catalog.example.json"), "rb").read())
    write("catalog", "minimal.json", b'{"format":"easycoda.catalog/1","currency":"EUR","plans":[],"packs":[]}')
    write("catalog", "spec.json", compact({"format": "easycoda.catalog/1", "currency": "USD",
        "plans": [{"id": "standard", "name": "Standard", "monthly_credits": 2000, "monthly_price_minor": 2000}],
        "packs": [{"id": "pack_1000", "credits": "1000.5", "price_minor": 1200}]}))

    quotes = [
        {"output_tokens": 1200, "input_tokens": 45000, "cache_hit_rate_bp": 8000},
        {"output_tokens": 0, "input_tokens": 0, "cache_hit_rate_bp": 0},
        {"output_tokens": 30000000, "input_tokens": 90000000, "cache_hit_rate_bp": 10000, "plan": "premium"},
        {"output_tokens": 9007199254740991, "input_tokens": 0, "cache_hit_rate_bp": 1, "plan": "standard"},
    ]
    for i, q in enumerate(quotes):
        write("quote", "q%d.json" % i, compact(q))

    # Questions: mode byte (report, report parts, project, forecast), then the fields.
    queries = {
        "report": b"\x002026-01-05T00:00:00Z",
        "report-range": b"\x002026-12-01T00:00:00Z\n2026-01-01T00:00:00Z\n2026-01-03T00:00:00Z\n+08:00",
        "parts-offset": b"\x012026-12-01T00:00:00Z\n\n\n-05:30",
        "project": b"\x022026-12-01T00:00:00Z\n\n\n\np",
        "project-unknown": b"\x022026-12-01T00:00:00Z\n\n\n\n\xc3\xa9\xff",
        "forecast": b"\x032026-01-10T00:00:00Z",
        "bad-utf8-at": b"\x002026-12-01\xffT00:00:00Z",
        "bad-utf8-offset": b"\x002026-12-01T00:00:00Z\n\n\n+08\xc0\xaf00",
        "to-after-at": b"\x002026-01-02T00:00:00Z\n\n2026-01-03T00:00:00Z",
        "long-at": b"\x03" + "\u00e9".encode() * 200 + b"\xed\xa0\x80",
    }
    for name, data in queries.items():
        write("query", name + ".bin", data)

    for i, f in enumerate(FORMATS):
        vector = provider_vector(f)
        write("provider_usage", f + ".bin", bytes([i]) + json.dumps(vector["usage"]).encode())
        write("provider_usage", f + "-null.bin", bytes([i]) + b"null")

    # The bad-input catalog: every document of its kind (generated giants excluded).
    manifest = os.path.join(ROOT, "tests/bad/manifest.json")
    if os.path.exists(manifest):
        kinds = {"ledger": "ledger", "rules": "rules", "catalog": "catalog", "quote": "quote"}
        for case in json.load(open(manifest))["cases"]:
            if "generate" in case:
                continue
            data = open(os.path.join(ROOT, "tests/bad", case["file"]), "rb").read()
            if len(data) <= 64 * 1024:
                write(kinds[case["kind"]], "bad-" + case["file"], data)


if __name__ == "__main__":
    main()
