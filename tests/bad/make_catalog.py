#!/usr/bin/env python3
"""Writes the bad-input catalog: tests/bad/NNN-name.json (.bin for raw bytes) and tests/bad/manifest.json.

Each case is one rejected document with the FIRST error it must get (code, JSON pointer, event id).
tests/bad_input_test.cpp loads every case through credits::Engine (native, sanitized and wasm
builds); the JS suite reads the same manifest for the WebAssembly module. Inputs too large to check
in (100,000 levels of nesting, a 100 MB string, 2,000,001 events) are described by a "generate"
member instead of a file: the text is the concatenation of its parts, each {"text": s} or
{"repeat": s, "count": n}.

    python3 tests/bad/make_catalog.py          # rewrites the files, the manifest and the table in docs/reliability.md
    python3 tests/bad/make_catalog.py --table  # only the table

Pointers of rule-set and catalog errors carry the /rules or /catalog prefix credits::Engine::create
(and the JS createEngine) gives them.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

OPEN = {"id": "e1", "type": "account_opened", "at": "2026-09-01T08:00:00Z"}


def ledger(*events, projects=None, account=None, extra=None, drop=()):
    doc = {"format": "easycoda.ledger/1",
           "account": account if account is not None else {"id": "acct_7"},
           "projects": projects if projects is not None else [{"id": "p1", "name": "Shop backend"}],
           "events": [OPEN] + list(events)}
    for k in drop:
        doc.pop(k)
    if extra:
        doc.update(extra)
    return doc


def chat(i="e2", at="2026-09-02T09:30:00Z", session="s1", task="t1", **tokens):
    return {"id": i, "type": "usage", "at": at, "project_id": "p1", "task_id": task, "session_id": session,
            "service": "agent_chat", "tokens": tokens or {"output": 1200, "input_cache_miss": 3000}}


def done(i="e3", at="2026-09-02T09:40:00Z", session="s1", task="t1"):
    return {"id": i, "type": "session_completed", "at": at, "project_id": "p1", "task_id": task, "session_id": session}


def purchase(credits, i="e2", at="2026-09-02T00:00:00Z"):
    return {"id": i, "type": "credits_purchased", "at": at, "credits": credits}


def opened_at(at):
    return ledger(extra={"events": [dict(OPEN, at=at)]})


def provider(fmt, usage, i="e2"):
    e = chat(i)
    del e["tokens"]
    e["provider_usage"] = {"format": fmt, "usage": usage}
    return e


def dumps(doc):
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def raw_number(doc, placeholder, literal):
    """JSON text with a number literal Python cannot write (1e3, -0, NaN, ...)."""
    return dumps(doc).replace(json.dumps(placeholder).encode(), literal.encode())


VALID = dumps(ledger())
NUMBER_AT_OUTPUT = ledger(chat(output="@N@"))     # the literal replaces "@N@"
CREDITS_AT = ledger(purchase("@N@"))

RULES = {"format": "easycoda.rules/1", "tokens_per_credit": 10000, "signup_credits": 500}
CATALOG = {"format": "easycoda.catalog/1", "currency": "USD",
           "plans": [{"id": "standard", "name": "Standard", "monthly_credits": 2000, "monthly_price_minor": 2000}],
           "packs": [{"id": "pack_1000", "name": "1,000 credits", "credits": 1000, "price_minor": 1200}]}
QUOTE = {"output_tokens": 1200, "input_tokens": 45000, "cache_hit_rate_bp": 8000}


def with_(base, **changes):
    out = json.loads(json.dumps(base))
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


# (name, kind, content, expected_code, expected_pointer, expected_event_id, extra manifest members)
# content: bytes (written as .bin unless it is valid UTF-8 JSON-ish text), a dict/list (dumped), or
# {"generate": [...]} for the giants.
CASES = []


def case(name, kind, content, code, pointer, event_id=None, **extra):
    CASES.append((name, kind, content, code, pointer, event_id, extra))


# --- JSON text ------------------------------------------------------------------------------------
case("empty", "ledger", b"", "invalid_json", "")
case("whitespace-only", "ledger", b" \n\t ", "invalid_json", "")
case("truncated", "ledger", VALID[:40], "invalid_json", "/account")
case("unclosed-string", "ledger", b'{"format":"easycoda.ledger/1', "invalid_json", "/format")
case("single-quotes", "ledger", b"{'format':'easycoda.ledger/1'}", "invalid_json", "")
case("trailing-comma", "ledger", VALID[:-2] + b",]}", "invalid_json", "/events/1")
case("comment", "ledger", b"// ledger\n" + VALID, "invalid_json", "")
case("trailing-garbage", "ledger", VALID + b" x", "invalid_json", "")
case("two-documents", "ledger", VALID + VALID, "invalid_json", "")
case("nul-then-garbage", "ledger", VALID + b"\x00{}", "invalid_json", "", about="found by fuzzing: nlohmann's lexer ends the input at a NUL byte")
case("byte-order-mark", "ledger", b"\xef\xbb\xbf" + VALID, "invalid_json", "")
case("utf16-text", "ledger", VALID.decode().encode("utf-16-le"), "invalid_json", "")
case("invalid-utf8", "ledger", dumps(ledger(projects=[{"id": "p1", "name": "@X@"}])).replace(b"@X@", b"caf\xe9"),
     "invalid_json", "/projects/0/name")
case("overlong-utf8", "ledger", dumps(ledger(projects=[{"id": "p1", "name": "@X@"}])).replace(b"@X@", b"\xc0\xaf"),
     "invalid_json", "/projects/0/name")
case("lone-surrogate-escape", "ledger", dumps(ledger(projects=[{"id": "p1", "name": "@X@"}])).replace(b"@X@", b"\\ud800"),
     "invalid_json", "/projects/0/name")
case("control-char-in-string", "ledger", dumps(ledger(projects=[{"id": "p1", "name": "@X@"}])).replace(b"@X@", b"a\tb"),
     "invalid_json", "/projects/0/name")
case("duplicate-key-top", "ledger", b'{"format":"easycoda.ledger/1","format":"easycoda.ledger/1","account":{"id":"a"},"events":[]}',
     "duplicate_member", "/format")
case("duplicate-key-in-event", "ledger",
     dumps(ledger(chat())).replace(b'"service":"agent_chat"', b'"service":"agent_chat","service":"build"'),
     "duplicate_member", "/events/1/service")
case("duplicate-key-in-tokens", "ledger",
     dumps(ledger(chat(output=1))).replace(b'"output":1', b'"output":1,"output":2'),
     "duplicate_member", "/events/1/tokens/output")
case("nesting-65", "ledger", b'{"format":"easycoda.ledger/1","x":' + b"[" * 64 + b"]" * 64 + b"}",
     "nesting_too_deep", "/x" + "/0" * 63)
case("nesting-100000", "ledger", {"generate": [{"text": '{"format":"easycoda.ledger/1","events":'},
                                               {"repeat": "[", "count": 100000}, {"repeat": "]", "count": 100000},
                                               {"text": "}"}]},
     "nesting_too_deep", "/events" + "/0" * 63)
case("string-100MB", "ledger", {"generate": [{"text": '{"format":"easycoda.ledger/1","account":{"id":"'},
                                             {"repeat": "a", "count": 100_000_000}, {"text": '"},"events":[]}'}]},
     "string_too_long", "/account/id", slow=True)
case("string-64KiB-plus-1", "ledger", {"generate": [{"text": '{"format":"easycoda.ledger/1","projects":[{"id":"p1","name":"'},
                                                    {"repeat": "n", "count": 65537}, {"text": '"}],"events":[]}'}]},
     "string_too_long", "/projects/0/name")
case("too-many-events", "ledger",
     {"generate": [{"text": '{"format":"easycoda.ledger/1","account":{"id":"a"},"events":['},
                   {"repeat": '{"id":"o","type":"account_opened","at":"2026-09-01T08:00:00Z"},', "count": 2_000_000},
                   {"text": '{"id":"o","type":"account_opened","at":"2026-09-01T08:00:00Z"}]}'}]},
     "too_many_events", "/events/2000000", slow=True)
case("top-level-array", "ledger", b"[]", "wrong_type", "")
case("top-level-string", "ledger", b'"easycoda.ledger/1"', "wrong_type", "")
case("top-level-null", "ledger", b"null", "wrong_type", "")

# --- numbers ----------------------------------------------------------------------------------------
case("number-exponent", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "1e3"), "invalid_number", "/events/1/tokens/output", "e2")
case("number-fraction", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "1.0"), "invalid_number", "/events/1/tokens/output", "e2")
case("number-minus-zero", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "-0"), "invalid_number", "/events/1/tokens/output", "e2")
case("number-negative", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "-5"), "invalid_number", "/events/1/tokens/output", "e2")
case("number-2pow53", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "9007199254740992"), "amount_out_of_range", "/events/1/tokens/output", "e2")
case("number-2pow63", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "9223372036854775808"), "amount_out_of_range", "/events/1/tokens/output", "e2")
case("number-2pow64", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "18446744073709551616"), "amount_out_of_range", "/events/1/tokens/output", "e2")
case("number-huge-exponent", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "1e400"), "invalid_json", "/events/1/tokens/output")
case("number-nan-text", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "NaN"), "invalid_json", "/events/1/tokens/output")
case("number-infinity-text", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "Infinity"), "invalid_json", "/events/1/tokens/output")
case("number-leading-zero", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "012"), "invalid_json", "/events/1/tokens/output")
case("number-plus-sign", "ledger", raw_number(NUMBER_AT_OUTPUT, "@N@", "+5"), "invalid_json", "/events/1/tokens/output")
case("tokens-as-string", "ledger", ledger(chat(output="1200")), "wrong_type", "/events/1/tokens/output", "e2")
case("tokens-as-bool", "ledger", ledger(chat(output=True)), "wrong_type", "/events/1/tokens/output", "e2")
case("tokens-not-object", "ledger", ledger(with_(chat(), tokens=[1200, 3000])), "wrong_type", "/events/1/tokens", "e2")
case("credits-fraction-number", "ledger", raw_number(CREDITS_AT, "@N@", "1.5"), "invalid_number", "/events/1/credits", "e2")
case("credits-negative", "ledger", ledger(purchase(-3)), "invalid_number", "/events/1/credits", "e2")
case("credits-five-decimals", "ledger", ledger(purchase("12.34567")), "invalid_amount", "/events/1/credits", "e2")
case("credits-negative-string", "ledger", ledger(purchase("-1")), "invalid_amount", "/events/1/credits", "e2")
case("credits-zero", "ledger", ledger(purchase(0)), "invalid_amount", "/events/1/credits", "e2")
case("credits-zero-string", "ledger", ledger(purchase("0.0000")), "invalid_amount", "/events/1/credits", "e2")
case("credits-leading-zero", "ledger", ledger(purchase("01.5")), "invalid_amount", "/events/1/credits", "e2")
case("credits-exponent-string", "ledger", ledger(purchase("1e3")), "invalid_amount", "/events/1/credits", "e2")
case("credits-nan-string", "ledger", ledger(purchase("NaN")), "invalid_amount", "/events/1/credits", "e2")
case("credits-trailing-dot", "ledger", ledger(purchase("5.")), "invalid_amount", "/events/1/credits", "e2")
case("credits-spaces", "ledger", ledger(purchase(" 5")), "invalid_amount", "/events/1/credits", "e2")
case("credits-as-bool", "ledger", ledger(purchase(True)), "wrong_type", "/events/1/credits", "e2")
case("credits-out-of-range", "ledger", ledger(purchase("900719925474.0992")), "amount_out_of_range", "/events/1/credits", "e2")
case("credits-integer-out-of-range", "ledger", ledger(purchase(900719925475)), "amount_out_of_range", "/events/1/credits", "e2")
case("document-sum-out-of-range", "ledger",
     ledger(chat("e2", output=4503599627370496), chat("e3", session="s2", output=4503599627370496)),
     "amount_out_of_range", "/events")

# --- instants ---------------------------------------------------------------------------------------
case("date-2026-02-29", "ledger", opened_at("2026-02-29T00:00:00Z"), "invalid_instant", "/events/0/at", "e1")
case("date-april-31", "ledger", opened_at("2026-04-31T00:00:00Z"), "invalid_instant", "/events/0/at", "e1")
case("time-24-00-00", "ledger", opened_at("2026-09-01T24:00:00Z"), "invalid_instant", "/events/0/at", "e1")
case("leap-second-23-59-60", "ledger", opened_at("2026-12-31T23:59:60Z"), "invalid_instant", "/events/0/at", "e1")
case("missing-zone", "ledger", opened_at("2026-09-01T08:00:00"), "invalid_instant", "/events/0/at", "e1")
case("date-only", "ledger", opened_at("2026-09-01"), "invalid_instant", "/events/0/at", "e1")
case("space-separator", "ledger", opened_at("2026-09-01 08:00:00Z"), "invalid_instant", "/events/0/at", "e1")
case("fraction-10-digits", "ledger", opened_at("2026-09-01T08:00:00.1234567891Z"), "invalid_instant", "/events/0/at", "e1")
case("offset-beyond-plus-14", "ledger", opened_at("2026-09-01T08:00:00+14:01"), "invalid_offset", "/events/0/at", "e1")
case("offset-beyond-minus-14", "ledger", opened_at("2026-09-01T08:00:00-15:00"), "invalid_offset", "/events/0/at", "e1")
case("offset-without-colon", "ledger", opened_at("2026-09-01T08:00:00+0800"), "invalid_instant", "/events/0/at", "e1")
case("before-1970", "ledger", opened_at("1969-12-31T23:59:59Z"), "instant_out_of_range", "/events/0/at", "e1")
case("year-2200", "ledger", opened_at("2200-01-01T00:00:00Z"), "instant_out_of_range", "/events/0/at", "e1")
case("instant-as-number", "ledger", opened_at(1788249600), "wrong_type", "/events/0/at", "e1")
case("account-offset-beyond-14", "ledger", ledger(account={"id": "acct_7", "utc_offset": "+15:00"}),
     "invalid_offset", "/account/utc_offset")
case("account-offset-no-sign", "ledger", ledger(account={"id": "acct_7", "utc_offset": "08:00"}),
     "invalid_offset", "/account/utc_offset")
case("default-period-ends-after-2200", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2199-12-15T00:00:00Z", "plan": "standard", "outcome": "succeeded"}),
     "instant_out_of_range", "/events/1/period_start", "e2")

# --- the document's shape -----------------------------------------------------------------------------
case("format-missing", "ledger", ledger(drop=("format",)), "missing_field", "/format")
case("format-version-2", "ledger", with_(ledger(), format="easycoda.ledger/2"), "unsupported_format", "/format")
# Members are checked in byte order of their names.
case("format-rules-given-as-ledger", "ledger", RULES, "unknown_field", "/signup_credits")
case("format-as-number", "ledger", with_(ledger(), format=1), "wrong_type", "/format")
case("account-missing", "ledger", ledger(drop=("account",)), "missing_field", "/account")
case("account-id-missing", "ledger", ledger(account={"utc_offset": "+08:00"}), "missing_field", "/account/id")
case("events-missing", "ledger", ledger(drop=("events",)), "missing_field", "/events")
case("events-not-array", "ledger", with_(ledger(), events={"e1": OPEN}), "wrong_type", "/events")
case("event-not-object", "ledger", ledger(42), "wrong_type", "/events/1")
case("unknown-top-level-field", "ledger", ledger(extra={"balance": 5}), "unknown_field", "/balance")
case("unknown-event-type", "ledger", ledger({"id": "e2", "type": "refund", "at": "2026-09-02T00:00:00Z"}),
     "unknown_event_type", "/events/1/type", "e2")
case("unknown-event-field", "ledger", ledger(with_(purchase(5), note="gift")), "unknown_field", "/events/1/note", "e2")
case("unknown-tokens-field", "ledger", ledger(chat(output=1, reasoning=5)), "unknown_field", "/events/1/tokens/reasoning", "e2")
case("event-id-missing", "ledger", ledger(with_(purchase(5), id=None)), "missing_field", "/events/1/id")
case("event-id-empty", "ledger", ledger(purchase(5, i="")), "invalid_id", "/events/1/id")
case("event-id-number", "ledger", ledger(purchase(5, i=2)), "wrong_type", "/events/1/id")
case("event-id-257-bytes", "ledger", ledger(purchase(5, i="x" * 257)), "string_too_long", "/events/1/id")
case("event-type-missing", "ledger", ledger(with_(purchase(5), type=None)), "missing_field", "/events/1/type", "e2")
case("event-at-missing", "ledger", ledger(with_(purchase(5), at=None)), "missing_field", "/events/1/at", "e2")
case("credits-missing", "ledger", ledger(with_(purchase(5), credits=None)), "missing_field", "/events/1/credits", "e2")
case("usage-project-missing", "ledger", ledger(with_(chat(), project_id=None)), "missing_field", "/events/1/project_id", "e2")
case("usage-service-missing", "ledger", ledger(with_(chat(), service=None)), "missing_field", "/events/1/service", "e2")
case("agent-chat-session-missing", "ledger", ledger(with_(chat(), session_id=None)), "missing_field", "/events/1/session_id", "e2")
case("usage-tokens-and-provider", "ledger", ledger(with_(chat(), provider_usage={"format": "deepseek", "usage": {}})),
     "ambiguous_usage", "/events/1/provider_usage", "e2")
case("usage-no-tokens", "ledger", ledger(with_(chat(), tokens=None)), "missing_field", "/events/1/tokens", "e2")
case("completion-session-missing", "ledger", ledger(with_(done("e2"), session_id=None)), "missing_field", "/events/1/session_id", "e2")
case("project-name-missing", "ledger", ledger(projects=[{"id": "p1"}]), "missing_field", "/projects/0/name")
case("project-duplicate", "ledger", ledger(projects=[{"id": "p1", "name": "A"}, {"id": "p1", "name": "B"}]),
     "duplicate_project", "/projects/1/id")
case("unknown-project", "ledger", ledger(with_(chat(), project_id="p9")), "unknown_project", "/events/1/project_id", "e2")
case("unknown-plan", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2026-09-03T00:00:00Z", "plan": "gold", "outcome": "succeeded"}),
     "unknown_plan", "/events/1/plan", "e2")
case("billing-outcome-invalid", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2026-09-03T00:00:00Z", "plan": "standard", "outcome": "pending"}),
     "invalid_value", "/events/1/outcome", "e2")
case("billing-credits-zero", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2026-09-03T00:00:00Z", "plan": "standard",
             "outcome": "succeeded", "credits": "0"}),
     "invalid_amount", "/events/1/credits", "e2")
case("period-end-before-at", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2026-09-03T00:00:00Z", "plan": "standard",
             "outcome": "succeeded", "period_end": "2026-09-02T00:00:00Z"}),
     "not_after_event", "/events/1/period_end", "e2")
case("period-end-before-start", "ledger",
     ledger({"id": "e2", "type": "subscription_billed", "at": "2026-09-03T00:00:00Z", "plan": "standard",
             "outcome": "succeeded", "period_start": "2026-09-20T00:00:00Z", "period_end": "2026-09-10T00:00:00Z"}),
     "invalid_value", "/events/1/period_end", "e2")
case("expires-at-not-after-at", "ledger",
     ledger({"id": "e2", "type": "credits_granted", "at": "2026-09-03T00:00:00Z", "credits": 5,
             "expires_at": "2026-09-03T00:00:00Z"}),
     "not_after_event", "/events/1/expires_at", "e2")
case("unknown-provider-format", "ledger", ledger(provider("mistral", {"prompt_tokens": 5})),
     "unknown_provider_format", "/events/1/provider_usage/format", "e2")
case("provider-format-missing", "ledger", ledger(with_(chat(), tokens=None, provider_usage={"usage": {}})),
     "missing_field", "/events/1/provider_usage/format", "e2")
case("provider-unknown-wrapper-field", "ledger",
     ledger(with_(chat(), tokens=None, provider_usage={"format": "gemini", "usage": {}, "model": "x"})),
     "unknown_field", "/events/1/provider_usage/model", "e2")
case("openai-cached-above-prompt", "ledger",
     ledger(provider("openai_chat", {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 11}})),
     "inconsistent_usage", "/events/1/provider_usage/usage/prompt_tokens_details/cached_tokens", "e2")
case("responses-cached-above-input", "ledger",
     ledger(provider("openai_responses", {"input_tokens": 10, "output_tokens": 1, "input_tokens_details": {"cached_tokens": 11}})),
     "inconsistent_usage", "/events/1/provider_usage/usage/input_tokens_details/cached_tokens", "e2")
case("gemini-cached-above-prompt", "ledger",
     ledger(provider("gemini", {"promptTokenCount": 10, "cachedContentTokenCount": 11})),
     "inconsistent_usage", "/events/1/provider_usage/usage/cachedContentTokenCount", "e2")
case("deepseek-hit-miss-not-prompt", "ledger",
     ledger(provider("deepseek", {"prompt_tokens": 10, "prompt_cache_hit_tokens": 4, "prompt_cache_miss_tokens": 5})),
     "inconsistent_usage", "/events/1/provider_usage/usage/prompt_tokens", "e2")
case("anthropic-count-as-string", "ledger", ledger(provider("anthropic_messages", {"input_tokens": "10"})),
     "wrong_type", "/events/1/provider_usage/usage/input_tokens", "e2")
case("provider-count-negative", "ledger", ledger(provider("deepseek", {"completion_tokens": -1})),
     "invalid_number", "/events/1/provider_usage/usage/completion_tokens", "e2")
case("provider-usage-not-object", "ledger", ledger(provider("openai_chat", [1, 2])),
     "wrong_type", "/events/1/provider_usage/usage", "e2")

# --- the contract's rules -------------------------------------------------------------------------------
case("credits-transferred", "ledger",
     ledger({"id": "e2", "type": "credits_transferred", "at": "2026-09-02T00:00:00Z", "credits": 5, "to_account": "acct_8"}),
     "not_transferable", "/events/1/type", "e2")
case("credits-redeemed", "ledger",
     ledger({"id": "e2", "type": "credits_redeemed", "at": "2026-09-02T00:00:00Z", "credits": 5}),
     "not_redeemable", "/events/1/type", "e2")
case("other-account", "ledger", ledger(with_(purchase(5), account_id="acct_8")), "account_mismatch", "/events/1/account_id", "e2")
case("conflicting-duplicate", "ledger", ledger(purchase(5), purchase(6)), "duplicate_id_conflict", "/events/2", "e2")
case("conflicting-duplicate-of-opening", "ledger", ledger(dict(OPEN, at="2026-09-01T08:00:01Z")),
     "duplicate_id_conflict", "/events/1", "e1")
case("completion-after-cancellation", "ledger",
     ledger(chat(), {"id": "e3", "type": "task_cancelled", "at": "2026-09-02T09:35:00Z", "project_id": "p1", "task_id": "t1"},
            done("e4")),
     "completion_after_cancellation", "/events/3", "e4")
case("usage-after-completion", "ledger", ledger(chat(), done(), chat("e4", at="2026-09-02T09:41:00Z")),
     "usage_after_completion", "/events/3/at", "e4")
case("completed-twice", "ledger", ledger(chat(), done(), done("e4", at="2026-09-02T09:50:00Z")),
     "duplicate_completion", "/events/3", "e4")
case("no-account-opened", "ledger", with_(ledger(), events=[purchase(5)]), "missing_account_opened", "/events")
case("opened-twice", "ledger", ledger(dict(OPEN, id="e2")), "duplicate_account_opened", "/events/1/type", "e2")
case("event-before-opening", "ledger", ledger(purchase(5, at="2026-08-31T00:00:00Z")),
     "event_before_opening", "/events/1/at", "e2")
case("too-many-errors", "ledger", ledger(*[{"id": "b%d" % i, "type": "refund", "at": "2026-09-02T00:00:00Z"} for i in range(150)]),
     "unknown_event_type", "/events/1/type", "b0", expected_count=101, expected_last_code="too_many_errors")

# --- the rule set ---------------------------------------------------------------------------------------
case("rules-empty", "rules", b"", "invalid_json", "/rules")
case("rules-format-version", "rules", with_(RULES, format="easycoda.rules/2"), "unsupported_format", "/rules/format")
case("rules-tokens-per-credit", "rules", with_(RULES, tokens_per_credit=100), "invalid_value", "/rules/tokens_per_credit")
case("rules-signup-negative", "rules", with_(RULES, signup_credits="-1"), "invalid_amount", "/rules/signup_credits")
case("rules-signup-five-decimals", "rules", with_(RULES, signup_credits="0.00001"), "invalid_amount", "/rules/signup_credits")
case("rules-signup-missing", "rules", with_(RULES, signup_credits=None), "missing_field", "/rules/signup_credits")
case("rules-unknown-field", "rules", with_(RULES, currency="USD"), "unknown_field", "/rules/currency")
case("rules-not-object", "rules", [RULES], "wrong_type", "/rules")

# --- the catalog ----------------------------------------------------------------------------------------
case("catalog-format-version", "catalog", with_(CATALOG, format="easycoda.catalog/0"), "unsupported_format", "/catalog/format")
case("catalog-duplicate-plan", "catalog", with_(CATALOG, plans=CATALOG["plans"] * 2), "duplicate_plan", "/catalog/plans/1/id")
case("catalog-duplicate-pack", "catalog", with_(CATALOG, packs=CATALOG["packs"] * 2), "duplicate_pack", "/catalog/packs/1/id")
case("catalog-plan-zero-credits", "catalog",
     with_(CATALOG, plans=[dict(CATALOG["plans"][0], monthly_credits=0)]), "invalid_amount", "/catalog/plans/0/monthly_credits")
case("catalog-pack-negative-price", "catalog",
     with_(CATALOG, packs=[dict(CATALOG["packs"][0], price_minor=-1)]), "invalid_number", "/catalog/packs/0/price_minor")
case("catalog-price-fraction", "catalog",
     raw_number(with_(CATALOG, packs=[dict(CATALOG["packs"][0], price_minor="@N@")]), "@N@", "12.5"),
     "invalid_number", "/catalog/packs/0/price_minor")
case("catalog-currency-lowercase", "catalog", with_(CATALOG, currency="usd"), "invalid_value", "/catalog/currency")
case("catalog-packs-missing", "catalog", with_(CATALOG, packs=None), "missing_field", "/catalog/packs")
case("catalog-plan-unknown-field", "catalog",
     with_(CATALOG, plans=[dict(CATALOG["plans"][0], yearly_price_minor=1)]), "unknown_field", "/catalog/plans/0/yearly_price_minor")

# --- quote input ----------------------------------------------------------------------------------------
case("quote-empty", "quote", b"", "invalid_json", "")
case("quote-not-object", "quote", [QUOTE], "wrong_type", "")
case("quote-rate-above-10000", "quote", with_(QUOTE, cache_hit_rate_bp=10001), "invalid_value", "/cache_hit_rate_bp")
case("quote-unknown-plan", "quote", with_(QUOTE, plan="gold"), "unknown_plan", "/plan")
case("quote-missing-output", "quote", with_(QUOTE, output_tokens=None), "missing_field", "/output_tokens")
case("quote-input-as-string", "quote", with_(QUOTE, input_tokens="45000"), "wrong_type", "/input_tokens")
case("quote-negative", "quote", with_(QUOTE, output_tokens=-1), "invalid_number", "/output_tokens")
case("quote-unknown-field", "quote", with_(QUOTE, months=12), "unknown_field", "/months")
case("quote-sum-out-of-range", "quote", with_(QUOTE, output_tokens=9007199254740991, input_tokens=1), "amount_out_of_range", "")

# --- the catalog limits that bound the calculator's search for the cheapest mix of packs ---------------
case("catalog-seventeen-packs", "catalog",
     with_(CATALOG, packs=[dict(CATALOG["packs"][0], id="pack_%d" % i, credits=100 * (i + 1)) for i in range(17)]),
     "too_many_packs", "/catalog/packs")
case("catalog-pack-too-fine", "catalog",
     with_(CATALOG, packs=[dict(CATALOG["packs"][0], id="a", credits=1000), dict(CATALOG["packs"][0], id="b", credits="1000.0001")]),
     "pack_too_fine", "/catalog/packs/0/credits")

# --- checkpointed documents (docs/checkpoint-format.md) -------------------------------------------------
# The base is the format's example with a promotion that expired before S and a completed session that a
# later event could name; each case breaks one rule. Checkpoint errors name no event (event_id null).
CHECKPOINT = {
    "format": "easycoda.checkpoint/1", "at": "2026-10-01T00:00:00Z", "opened_at": "2026-09-01T08:00:00Z",
    "events": 9, "duplicates_ignored": 0, "charged_tokens": 4200, "overdraft_tokens": 0,
    "grants": [{"id": "e1", "source": "signup", "granted_at": "2026-09-01T08:00:00Z", "expires_at": None,
                "granted_tokens": 5000000, "used_tokens": 3200, "expired_tokens": 0, "remaining_tokens": 4996800},
               {"id": "e2", "source": "promotion", "granted_at": "2026-09-05T00:00:00Z", "expires_at": "2026-09-20T00:00:00Z",
                "granted_tokens": 1000, "used_tokens": 1000, "expired_tokens": 0, "remaining_tokens": 0}],
    "failed_billings": [],
    "cancelled_tasks": [{"project_id": "p1", "task_id": "t2", "cancelled_at": "2026-09-12T10:00:00Z", "event_id": "e8"}],
    "open_sessions": [{"project_id": "p1", "task_id": "t3", "session_id": "s1", "output_tokens": 100,
                       "input_cache_miss_tokens": 50, "input_cache_hit_tokens": 900,
                       "days": [{"at": "2026-09-30T01:00:00Z", "tokens": 150}]}],
    "completed_sessions": [{"project_id": "p1", "task_id": "t1", "session_id": "s1", "completed_at": "2026-09-12T09:40:00Z",
                            "event_id": "e5", "output_tokens": 1200, "input_cache_miss_tokens": 3000, "charged_tokens": 4200,
                            "overdraft_tokens": 0, "balance_tokens": 4996800,
                            "allocations": [{"grant_id": "e2", "tokens": 1000}, {"grant_id": "e1", "tokens": 3200}]}],
    "recent_completions": [{"at": "2026-09-12T09:40:00Z", "output_tokens": 1200, "input_cache_miss_tokens": 3000,
                            "input_cache_hit_tokens": 45000}],
    "usage": [{"at": "2026-09-12T09:30:00Z", "project_id": "p1", "charged_tokens": 4200, "cache_hit_tokens": 45000,
               "summarization_tokens": 9300, "other_service_tokens": 0, "cancelled_tokens": 0},
              {"at": "2026-09-30T01:00:00Z", "project_id": "p1", "charged_tokens": 0, "cache_hit_tokens": 900,
               "summarization_tokens": 0, "other_service_tokens": 0, "cancelled_tokens": 0}]}
TAIL = done("e9", at="2026-10-02T00:00:00Z", task="t3")


def checkpointed(*events, **changes):
    """A checkpointed document: CHECKPOINT with `changes` (paths a__0__b for /a/0/b), then TAIL and the events."""
    cp = json.loads(json.dumps(CHECKPOINT))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = cp
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return {"format": "easycoda.ledger/1", "account": {"id": "acct_7", "utc_offset": "+08:00"},
            "projects": [{"id": "p1", "name": "Shop backend"}], "checkpoint": cp,
            "events": [TAIL] + list(events)}


def row(at, charged=0):
    return {"at": at, "project_id": "p1", "charged_tokens": charged, "cache_hit_tokens": 0, "summarization_tokens": 0,
            "other_service_tokens": 0, "cancelled_tokens": 0}


CI = "checkpoint_inconsistent"
case("checkpoint-not-object", "ledger", dict(checkpointed(), checkpoint=[]), "wrong_type", "/checkpoint")
case("checkpoint-format-version", "ledger", checkpointed(format="easycoda.checkpoint/2"), "unsupported_format", "/checkpoint/format")
case("checkpoint-unknown-field", "ledger", checkpointed(balance_tokens=5), "unknown_field", "/checkpoint/balance_tokens")
case("checkpoint-grant-negative-used", "ledger", checkpointed(grants__0__used_tokens=-1), "invalid_number",
     "/checkpoint/grants/0/used_tokens")
case("checkpoint-grant-unknown-source", "ledger", checkpointed(grants__1__source="referral"), "invalid_value",
     "/checkpoint/grants/1/source")
case("checkpoint-unknown-project", "ledger", checkpointed(usage__1=dict(CHECKPOINT["usage"][1], project_id="p9")),
     "unknown_project", "/checkpoint/usage/1/project_id")
case("checkpoint-opened-not-before-at", "ledger", checkpointed(opened_at="2026-10-01T00:00:00Z"), CI, "/checkpoint/opened_at")
case("checkpoint-instant-not-before-at", "ledger", checkpointed(usage__1=row("2026-10-01T00:00:00Z")), CI, "/checkpoint/usage/1/at")
case("checkpoint-instant-before-opening", "ledger",
     checkpointed(cancelled_tasks__0=dict(CHECKPOINT["cancelled_tasks"][0], cancelled_at="2026-08-31T00:00:00Z")),
     CI, "/checkpoint/cancelled_tasks/0/cancelled_at")
case("checkpoint-expiry-not-after-grant", "ledger", checkpointed(grants__1__expires_at="2026-09-05T00:00:00Z"), CI,
     "/checkpoint/grants/1/expires_at")
case("checkpoint-grant-not-conserving", "ledger", checkpointed(grants__0__remaining_tokens=4996801), CI,
     "/checkpoint/grants/0/granted_tokens")
case("checkpoint-expired-grant-remaining", "ledger",
     checkpointed(grants__1=dict(CHECKPOINT["grants"][1], used_tokens=900, remaining_tokens=100)), CI,
     "/checkpoint/grants/1/remaining_tokens")
case("checkpoint-live-grant-expired", "ledger",
     checkpointed(grants__0=dict(CHECKPOINT["grants"][0], expired_tokens=100, remaining_tokens=4996700)), CI,
     "/checkpoint/grants/0/expired_tokens")
case("checkpoint-account-not-conserving", "ledger",
     checkpointed(grants__0=dict(CHECKPOINT["grants"][0], used_tokens=3300, remaining_tokens=4996700)), CI,
     "/checkpoint/charged_tokens")
case("checkpoint-overdraft-with-remaining", "ledger",
     checkpointed(overdraft_tokens=100, charged_tokens=4300, usage__0=dict(CHECKPOINT["usage"][0], charged_tokens=4300)), CI,
     "/checkpoint/overdraft_tokens")
case("checkpoint-charged-not-on-days", "ledger", checkpointed(usage__0=dict(CHECKPOINT["usage"][0], charged_tokens=4100)), CI,
     "/checkpoint/charged_tokens")
case("checkpoint-open-session-not-its-days", "ledger", checkpointed(open_sessions__0__output_tokens=101), CI,
     "/checkpoint/open_sessions/0/days")
case("checkpoint-open-session-of-cancelled-task", "ledger", checkpointed(open_sessions__0__task_id="t2"), CI,
     "/checkpoint/open_sessions/0/task_id")
case("checkpoint-completed-charge-not-tokens", "ledger", checkpointed(completed_sessions__0__charged_tokens=4100), CI,
     "/checkpoint/completed_sessions/0/charged_tokens")
case("checkpoint-allocations-not-charge", "ledger",
     checkpointed(completed_sessions__0__allocations=[{"grant_id": "e2", "tokens": 1000}, {"grant_id": "e1", "tokens": 3100}]),
     CI, "/checkpoint/completed_sessions/0/allocations")
case("checkpoint-allocation-unknown-grant", "ledger",
     checkpointed(completed_sessions__0__allocations=[{"grant_id": "e7", "tokens": 1000}, {"grant_id": "e1", "tokens": 3200}]),
     CI, "/checkpoint/completed_sessions/0/allocations/0/grant_id")
case("checkpoint-recent-completion-too-old", "ledger",
     checkpointed(at="2026-10-05T00:00:00Z",
                  recent_completions__0=dict(CHECKPOINT["recent_completions"][0], at="2026-09-04T00:00:00Z")),
     CI, "/checkpoint/recent_completions/0/at")
case("checkpoint-recent-completions-one-instant-twice", "ledger",
     checkpointed(recent_completions=CHECKPOINT["recent_completions"] * 2), CI, "/checkpoint/recent_completions/1")
case("checkpoint-usage-day-twice", "ledger",
     checkpointed(usage=[CHECKPOINT["usage"][0], row("2026-09-12T11:00:00Z"), CHECKPOINT["usage"][1]]), CI, "/checkpoint/usage/1")
case("checkpoint-days-out-of-order", "ledger",
     checkpointed(open_sessions__0=dict(CHECKPOINT["open_sessions"][0], days=[{"at": "2026-09-30T01:00:00Z", "tokens": 100},
                                                                             {"at": "2026-09-29T01:00:00Z", "tokens": 50}])),
     CI, "/checkpoint/open_sessions/0/days/1")
case("checkpoint-grants-out-of-order", "ledger", checkpointed(grants=CHECKPOINT["grants"][::-1]), CI, "/checkpoint/grants/1")
case("checkpoint-id-twice", "ledger",
     checkpointed(cancelled_tasks__0=dict(CHECKPOINT["cancelled_tasks"][0], event_id="e2")), CI,
     "/checkpoint/cancelled_tasks/0/event_id")
case("checkpoint-amount-sum-out-of-range", "ledger",
     checkpointed(usage__1=dict(row("2026-09-30T01:00:00Z"), cache_hit_tokens=9007199254740991)), "amount_out_of_range", "/events")
case("checkpoint-tail-event-before-s", "ledger", checkpointed(purchase(5, i="e10", at="2026-09-30T23:59:59Z")),
     "before_checkpoint", "/events/1/at", "e10")
case("checkpoint-tail-account-opened", "ledger", checkpointed(dict(OPEN, id="e10", at="2026-10-03T00:00:00Z")),
     "duplicate_account_opened", "/events/1/type", "e10")
case("checkpoint-tail-reuses-an-id", "ledger", checkpointed(purchase(5, i="e8", at="2026-10-03T00:00:00Z")),
     "duplicate_id_conflict", "/events/1", "e8")
case("checkpoint-tail-completes-a-completed-session", "ledger", checkpointed(done("e10", at="2026-10-03T00:00:00Z")),
     "duplicate_completion", "/events/1", "e10")
case("checkpoint-tail-completes-a-cancelled-task", "ledger",
     checkpointed(chat("e10", at="2026-10-03T00:00:00Z", task="t2"), done("e11", at="2026-10-03T01:00:00Z", task="t2")),
     "completion_after_cancellation", "/events/2", "e11")
case("checkpoint-tail-chat-after-completion", "ledger", checkpointed(chat("e10", at="2026-10-03T00:00:00Z")),
     "usage_after_completion", "/events/1/at", "e10")


def main():
    for name in os.listdir(HERE):
        if name[:3].isdigit() and (name.endswith(".json") or name.endswith(".bin")):
            os.remove(os.path.join(HERE, name))
    manifest = []
    for number, (name, kind, content, code, pointer, event_id, extra) in enumerate(CASES, 1):
        entry = {"name": "%03d-%s" % (number, name), "kind": kind}
        if isinstance(content, dict) and "generate" in content:
            entry["file"] = None
            entry["generate"] = content["generate"]
        else:
            data = content if isinstance(content, bytes) else dumps(content)
            try:
                data.decode("utf-8")
                binary = b"\x00" in data
            except UnicodeDecodeError:
                binary = True
            entry["file"] = entry["name"] + (".bin" if binary else ".json")
            with open(os.path.join(HERE, entry["file"]), "wb") as f:
                f.write(data)
        entry["expected_code"] = code
        entry["expected_pointer"] = pointer
        entry["expected_event_id"] = event_id
        entry.update(extra)
        manifest.append(entry)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"description": __doc__.strip().split("\n\n")[0].replace("\n", " "),
                   "pointer_note": "rule-set and catalog pointers carry the /rules or /catalog prefix of Engine::create",
                   "generate_note": "text = concatenation of the parts: {text} as is, {repeat, count} repeated",
                   "cases": manifest}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d cases (%d generated)" % (len(manifest), sum(1 for m in manifest if m["file"] is None)))


def write_table():
    """Rewrites the catalog table of docs/reliability.md (between its bad-inputs markers) from the manifest."""
    with open(os.path.join(HERE, "manifest.json")) as f:
        cases = json.load(f)["cases"]
    rows = ["| # | case | kind | first error | pointer | event |", "| --- | --- | --- | --- | --- | --- |"]
    for c in cases:
        number, name = c["name"].split("-", 1)
        if c["file"] is None:
            name += " (generated)"
        if c.get("slow"):
            name += " (slow)"
        pointer = c["expected_pointer"]
        if len(pointer) > 40:
            pointer = pointer[:24] + "…(%d segments)" % pointer.count("/")
        code = c["expected_code"]
        if "expected_count" in c:
            code += " … %s (%d errors)" % (c.get("expected_last_code", ""), c["expected_count"])
        rows.append("| %s | %s | %s | `%s` | `%s` | %s |" % (
            number, name, c["kind"], code, pointer or '""', c["expected_event_id"] or ""))
    doc_path = os.path.join(HERE, "..", "..", "docs", "reliability.md")
    with open(doc_path) as f:
        doc = f.read()
    begin, end = "<!-- bad-inputs:begin -->", "<!-- bad-inputs:end -->"
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(doc_path, "w") as f:
        f.write(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail)
    print("rewrote the table of docs/reliability.md (%d cases)" % len(cases))


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--table"]:
        write_table()
    else:
        main()
        if os.path.exists(os.path.join(HERE, "..", "..", "docs", "reliability.md")):
            write_table()
