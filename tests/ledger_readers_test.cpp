// Spec §10: the ledger document is read by two readers -- a fast one for
// plainly written events and the strict one that explains problems -- which
// must give the same ledger. A document whose root "format" member name is
// written with an escape ("f\u006frmat") is the same JSON value but never
// taken by the fast reader, so it is read by the strict reader alone.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ledger_fixtures.h"
#include "ledger/source_events.h"
#include <deque>
#include "credits/api.h"
#include "credits/instant.h"

using namespace fixtures;

namespace {

std::string strict_only(std::string text) {
    const std::string key = "\"format\"";
    const std::size_t at = text.find(key);
    REQUIRE(at != std::string::npos);
    return text.replace(at, key.size(), "\"f\\u006frmat\"");
}

// Every event type and every provider format, written plainly, with the
// members a provider formula ignores in every plain shape (null, booleans,
// strings, arrays, nested objects).
const std::vector<std::string> plain_events = {
    R"({"id":"open","type":"account_opened","at":"2026-01-01T00:00:00Z","account_id":"acct_1"})",
    R"({"id":"bill1","type":"subscription_billed","at":"2026-01-02T00:00:00Z","plan":"standard","outcome":"succeeded","period_start":"2026-01-02T00:00:00+08:00"})",
    R"({"id":"bill2","type":"subscription_billed","at":"2026-02-02T00:00:00Z","plan":"premium","outcome":"failed","period_start":"2026-02-02T00:00:00Z","period_end":"2026-03-02T00:00:00Z"})",
    R"({"id":"bill3","type":"subscription_billed","at":"2026-02-03T00:00:00Z","plan":"standard","outcome":"succeeded","credits":"0.05"})",
    R"({"id":"buy1","type":"credits_purchased","at":"2026-01-03T00:00:00Z","credits":1,"pack":"pack_small"})",
    R"({"id":"buy2","type":"credits_purchased","at":"2026-01-04T00:00:00Z","credits":"0.0125"})",
    R"({"id":"promo","type":"credits_granted","at":"2026-01-05T00:00:00Z","credits":"0.02","expires_at":"2026-01-20t00:00:00z","reason":"goodwill"})",
    R"({"id":"u1","type":"usage","at":"2026-01-06T00:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","model":"m","tokens":{"output":10,"input_cache_miss":20,"input_cache_hit":300}})",
    R"({"id":"u2","type":"usage","at":"2026-01-06T00:01:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","provider_usage":{"format":"openai_chat","usage":{"prompt_tokens":50,"completion_tokens":5,"total_tokens":55,"prompt_tokens_details":{"cached_tokens":30,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"accepted_prediction_tokens":null}}}})",
    R"({"id":"u3","type":"usage","at":"2026-01-06T00:02:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","provider_usage":{"usage":{"input_tokens":40,"output_tokens":4,"input_tokens_details":null},"format":"openai_responses"}})",
    R"({"id":"u4","type":"usage","at":"2026-01-06T00:03:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","provider_usage":{"format":"anthropic_messages","usage":{"input_tokens":3,"cache_creation_input_tokens":7,"cache_read_input_tokens":11,"output_tokens":2,"service_tier":"standard","server_tool_use":null,"cache_creation":{"ephemeral_5m_input_tokens":7}}}})",
    R"({"id":"u5","type":"usage","at":"2026-01-06T00:04:00Z","project_id":"p2","task_id":"t2","session_id":"s2","service":"agent_chat","provider_usage":{"format":"gemini","usage":{"promptTokenCount":60,"candidatesTokenCount":6,"cachedContentTokenCount":20,"thoughtsTokenCount":1,"promptTokensDetails":[{"modality":"TEXT","tokenCount":60}],"trafficType":"ON_DEMAND","cacheHit":true}}})",
    R"({"id":"u6","type":"usage","at":"2026-01-06T00:05:00Z","project_id":"p2","task_id":"t2","session_id":"s2","service":"agent_chat","provider_usage":{"format":"deepseek","usage":{"completion_tokens":3,"prompt_cache_hit_tokens":9,"prompt_cache_miss_tokens":1}}})",
    R"({"id":"u7","type":"usage","at":"2026-01-06T00:06:00Z","project_id":"p2","task_id":"t2","session_id":"s2","service":"summarization","tokens":{"output":5}})",
    R"({"id":"u8","type":"usage","at":"2026-01-06T00:07:00Z","project_id":"p2","service":"build","tokens":{}})",
    R"({"id":"c1","type":"session_completed","at":"2026-01-07T00:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1"})",
    R"({"id":"x2","type":"task_cancelled","at":"2026-01-08T00:00:00Z","project_id":"p2","task_id":"t2","reason":"user stopped it"})",
    R"({"id":"open","type":"account_opened","at":"2026-01-01T00:00:00Z","account_id":"acct_1"})",
};

// The fast reader's ledger and the strict reader's answer the same bytes, before, during and after
// the events.
void require_same_reports(credits::LoadedLedger& fast, credits::LoadedLedger&& strict) {
    for (const char* at : {"2026-01-06T00:03:00Z", "2026-01-10T00:00:00Z", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"}) {
        INFO(at);
        const credits::Answer a = fast.report(at, {}, {});
        const credits::Answer b = strict.report(at, {}, {});
        REQUIRE(a.ok);
        CHECK(a.json == b.json);
    }
}

}  // namespace

TEST_CASE("§10 both readers: every event type and provider format, written plainly, reads as the strict reader reads it") {
    const std::string text = ledger_text_raw(plain_events);
    credits::LoadedLedger fast = load(text);
    require_same_reports(fast, load(strict_only(text)));
    const json report = account_report(fast, "2027-01-01T00:00:00Z");
    CHECK(report["duplicates_ignored"] == 1);
}

TEST_CASE("§10 both readers: one problem in a plain document is explained the same by both") {
    std::vector<std::string> events = plain_events;
    events.push_back(R"({"id":"bad","type":"credits_granted","at":"2026-01-09T00:00:00Z","credits":"0.02","expires_at":"2026-01-09T00:00:00Z"})");
    events.push_back(R"({"id":"u9","type":"usage","at":"2026-01-06T00:05:00Z","project_id":"p2","task_id":"t2","session_id":"s2","service":"agent_chat","provider_usage":{"format":"deepseek","usage":{"prompt_tokens":5,"prompt_cache_hit_tokens":9,"prompt_cache_miss_tokens":1}}})");
    const std::string text = ledger_text_raw(events);
    const json a = rejection(text);
    const json b = rejection(strict_only(text));
    CHECK(a == b);
    CHECK(has_error(a, "not_after_event", std::string("bad")));
    CHECK(has_error(a, "inconsistent_usage", std::string("u9")));
}

TEST_CASE("source_events finds every event of an accepted document, escapes and repeats included", "[readers]") {
    const std::string text = std::string(R"({"format":"easycoda.ledger/1","account":{"id":"a"},"projects":[{"id":"p","name":"P"}],)") +
                             R"("ev\u0065nts":[{"id":"o","type":"account_opened","at":"2026-01-01T00:00:00Z"},)" +
                             R"( {"type":"credits_purchased","at":"2026-01-02t00:00:00+01:00","credits":5,"id":"b\u0031"},)" +
                             R"({"id":"o","at":"2026-01-01T00:00:00Z","type":"account_opened"}]})";
    credits::Engine engine = credits::Engine::with_defaults();
    std::string errors;
    const std::optional<credits::LoadedLedger> ledger = engine.load(text, &errors);
    REQUIRE(ledger);
    REQUIRE(ledger->sources().size() == 1);
    CHECK(*ledger->sources()[0] == text);
    std::deque<std::string> storage;
    const auto events = credits::ledger_reading::source_events(*ledger->sources()[0], storage);
    REQUIRE(events.size() == 3);
    CHECK(events[0].id == "o");
    CHECK(events[1].id == "b1");
    CHECK(events[1].at_ns == credits::parse_instant("2026-01-01T23:00:00Z")->ns);
    CHECK(events[2].id == "o");
    CHECK(text.substr(events[1].begin, events[1].end - events[1].begin).rfind("{\"type\"", 0) == 0);
    CHECK(text[events[2].end - 1] == '}');
}

// The fast reader takes back what a repeated event added in its first pass
// instead of reading the document again (LedgerBuilder::drop_repeats): every
// kind of event repeated exactly, some more than once, one with its members in
// another order, must read as the strict reader reads it.
TEST_CASE("§10 both readers: exact repeats of every event kind read as the strict reader reads them") {
    std::vector<std::string> events = plain_events;
    const std::size_t distinct = plain_events.size() - 1;  // the last one repeats "open" already
    for (std::size_t i = distinct; i-- > 1;) events.push_back(plain_events[i]);
    events.push_back(plain_events[7]);   // u1 a third time
    events.push_back(plain_events[15]);  // c1 a third time
    events.push_back(R"({"type":"credits_purchased","credits":1,"id":"buy1","pack":"pack_small","at":"2026-01-03T00:00:00Z"})");
    const std::string text = ledger_text_raw(events);
    credits::LoadedLedger fast = load(text);
    require_same_reports(fast, load(strict_only(text)));
    const json report = account_report(fast, "2027-01-01T00:00:00Z");
    CHECK(report["duplicates_ignored"] == events.size() - distinct);
}

TEST_CASE("§10 both readers: a repeated id with another value is the same conflict for both") {
    std::vector<std::string> events = plain_events;
    events.push_back(R"({"id":"u1","type":"usage","at":"2026-01-06T00:00:00Z","project_id":"p9","task_id":"t9","session_id":"s9","service":"agent_chat","tokens":{"output":11}})");
    events.push_back(plain_events[4]);  // buy1, exactly
    const std::string text = ledger_text_raw(events);
    const json a = rejection(text);
    const json b = rejection(strict_only(text));
    CHECK(a == b);
    CHECK(has_error(a, "duplicate_id_conflict", std::string("u1")));
}
