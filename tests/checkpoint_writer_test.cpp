// The checkpoint writer (docs/checkpoint-format.md): a hand-made ledger whose
// checkpointed document is worked out by hand, member by member, and the
// questions a checkpoint refuses.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "credits/api.h"
#include "ledger_fixtures.h"

namespace {

using fixtures::json;

// The small rule set: signup 100 tokens, standard plan 1,000 a month, pack_small 500.
// The account is at +08:00. Worked by hand, in time order (UTC):
//   09-01 00:00  e1 opened: signup e1 100 (never expires); e2 promotion 200, expires 09-10
//   09-02 10:00  u1 p1/t1/s1 chat 50/30/1000;  11:00 c1 charges 80: e2 (soonest expiry) 200 -> 120
//   09-05 00:00  b2 standard: 1,000 until 10-05 00:00 (exactly S: not expired before S)
//   09-10 00:00  e2 expires its 120
//   09-15 00:00  b1 failed billing (period 09-15 .. 10-15)
//   09-20 17:00  u2 p1/t1/s2 chat 900/300/0 (09-21 01:00 local); 18:00 c2 charges 1,200:
//                b2 1,000, e1 100, overdraft 100, balance -100; 18:30 u3 summarization 10 for s2
//   09-25 00:00  e3 pack_small 500: repays the 100
//   09-26 02:00  u7 p2/t4/s1 chat 40/40/5; 03:00 u8 build 7;  09-27 x1 cancels p2/t4: 80 cancelled
//   09-28 00:00  u10 hosting, all zero: still a row (a record was there)
//   09-30 15:00  u4 p2/t2/s1 chat 400/100/20; 10-01 00:00 c4 charges 500: e3 400, overdraft 100
//   10-03 15:00  u5 p1/t3/s1 chat 10/5/7 (10-03 23:00 local); 16:30 u6 20/0/3 (10-04 00:30 local)
//   S = 10-05 00:00; after it: u11 (at S), u9 summarization for the completed s2 (twice: an
//   exact repeat), c6 completing the open p1/t3/s1.
// The forecast's window before S is (09-05, 10-05): c2 and c4 are recent, c1 is not.
const std::vector<std::string> history_events = {
    R"({"id":"e1","type":"account_opened","at":"2026-09-01T00:00:00Z"})",
    R"({"id":"e2","type":"credits_granted","at":"2026-09-01T00:00:00Z","credits":"0.02","expires_at":"2026-09-10T00:00:00Z"})",
    R"({"id":"u1","type":"usage","at":"2026-09-02T10:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","tokens":{"output":50,"input_cache_miss":30,"input_cache_hit":1000}})",
    R"({"id":"c1","type":"session_completed","at":"2026-09-02T11:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1"})",
    R"({"id":"b2","type":"subscription_billed","at":"2026-09-05T00:00:00Z","plan":"standard","outcome":"succeeded"})",
    R"({"id":"b1","type":"subscription_billed","at":"2026-09-15T00:00:00Z","plan":"standard","outcome":"failed"})",
    R"({"id":"u2","type":"usage","at":"2026-09-20T17:00:00Z","project_id":"p1","task_id":"t1","session_id":"s2","service":"agent_chat","tokens":{"output":900,"input_cache_miss":300,"input_cache_hit":0}})",
    R"({"id":"c2","type":"session_completed","at":"2026-09-20T18:00:00Z","project_id":"p1","task_id":"t1","session_id":"s2"})",
    R"({"id":"u3","type":"usage","at":"2026-09-20T18:30:00Z","project_id":"p1","task_id":"t1","session_id":"s2","service":"summarization","tokens":{"output":10,"input_cache_miss":0,"input_cache_hit":0}})",
    R"({"id":"e3","type":"credits_purchased","at":"2026-09-25T00:00:00Z","credits":"0.05","pack":"pack_small"})",
    R"({"id":"u7","type":"usage","at":"2026-09-26T02:00:00Z","project_id":"p2","task_id":"t4","session_id":"s1","service":"agent_chat","tokens":{"output":40,"input_cache_miss":40,"input_cache_hit":5}})",
    R"({"id":"u8","type":"usage","at":"2026-09-26T03:00:00Z","project_id":"p2","service":"build","tokens":{"output":7,"input_cache_miss":0,"input_cache_hit":0}})",
    R"({"id":"x1","type":"task_cancelled","at":"2026-09-27T00:00:00Z","project_id":"p2","task_id":"t4","reason":"stopped by the user"})",
    R"({"id":"u10","type":"usage","at":"2026-09-28T00:00:00Z","project_id":"p1","service":"hosting","tokens":{"output":0,"input_cache_miss":0,"input_cache_hit":0}})",
    R"({"id":"u4","type":"usage","at":"2026-09-30T15:00:00Z","project_id":"p2","task_id":"t2","session_id":"s1","service":"agent_chat","tokens":{"output":400,"input_cache_miss":100,"input_cache_hit":20}})",
    R"({"id":"c4","type":"session_completed","at":"2026-10-01T00:00:00Z","project_id":"p2","task_id":"t2","session_id":"s1"})",
    R"({"id":"u5","type":"usage","at":"2026-10-03T15:00:00Z","project_id":"p1","task_id":"t3","session_id":"s1","service":"agent_chat","tokens":{"output":10,"input_cache_miss":5,"input_cache_hit":7}})",
    R"({"id":"u6","type":"usage","at":"2026-10-03T16:30:00Z","project_id":"p1","task_id":"t3","session_id":"s1","service":"agent_chat","tokens":{"output":20,"input_cache_miss":0,"input_cache_hit":3}})",
};
// Written with spaces and another offset: the tail must keep these bytes as they are.
const std::string u11 = R"({"id": "u11", "type": "usage", "at": "2026-10-05T00:00:00Z", "project_id": "p1", "task_id": "t3", "session_id": "s1", "service": "agent_chat", "tokens": {"output": 1}})";
const std::string u9 = R"({ "id":"u9","type":"usage","at":"2026-10-06T08:00:00+08:00","project_id":"p1","task_id":"t1","session_id":"s2","service":"summarization","tokens":{"output":5} })";
const std::string c6 = R"({"id":"c6","type":"session_completed","at":"2026-10-07T00:00:00Z","project_id":"p1","task_id":"t3","session_id":"s1"})";

std::string hand_ledger() {
    std::vector<std::string> events = history_events;
    // Not in time order, and the repeat of u9 first: the tail keeps the document's order.
    events.insert(events.begin() + 3, c6);
    events.insert(events.begin() + 5, u9);
    events.push_back(u11);
    events.push_back(u9);
    return fixtures::ledger_text_raw(events, json{{"id", "acct_7"}, {"utc_offset", "+08:00"}},
                                     json::array({json{{"id", "p1"}, {"name", "Shop"}}, json{{"id", "p2"}, {"name", "Docs"}}}));
}

// The whole document, written by hand from the timeline above.
const std::string expected_checkpoint =
    R"({"format":"easycoda.ledger/1","account":{"id":"acct_7","utc_offset":"+08:00"},)"
    R"("projects":[{"id":"p1","name":"Shop"},{"id":"p2","name":"Docs"}],)"
    R"("checkpoint":{"format":"easycoda.checkpoint/1","at":"2026-10-05T00:00:00Z","opened_at":"2026-09-01T00:00:00Z",)"
    R"("events":18,"duplicates_ignored":1,"charged_tokens":1780,"overdraft_tokens":100,)"
    R"("grants":[)"
    R"({"id":"e1","source":"signup","granted_at":"2026-09-01T00:00:00Z","expires_at":null,"granted_tokens":100,"used_tokens":100,"expired_tokens":0,"remaining_tokens":0},)"
    R"({"id":"e2","source":"promotion","granted_at":"2026-09-01T00:00:00Z","expires_at":"2026-09-10T00:00:00Z","granted_tokens":200,"used_tokens":80,"expired_tokens":120,"remaining_tokens":0},)"
    R"({"id":"b2","source":"plan","granted_at":"2026-09-05T00:00:00Z","expires_at":"2026-10-05T00:00:00Z","granted_tokens":1000,"used_tokens":1000,"expired_tokens":0,"remaining_tokens":0,"plan":"standard","period_start":"2026-09-05T00:00:00Z","period_end":"2026-10-05T00:00:00Z"},)"
    R"({"id":"e3","source":"purchase","granted_at":"2026-09-25T00:00:00Z","expires_at":null,"granted_tokens":500,"used_tokens":500,"expired_tokens":0,"remaining_tokens":0,"pack":"pack_small"}],)"
    R"("failed_billings":[{"id":"b1","at":"2026-09-15T00:00:00Z","plan":"standard","period_start":"2026-09-15T00:00:00Z","period_end":"2026-10-15T00:00:00Z"}],)"
    R"("cancelled_tasks":[{"project_id":"p2","task_id":"t4","cancelled_at":"2026-09-27T00:00:00Z","event_id":"x1","reason":"stopped by the user"}],)"
    R"("open_sessions":[{"project_id":"p1","task_id":"t3","session_id":"s1","output_tokens":30,"input_cache_miss_tokens":5,"input_cache_hit_tokens":10,)"
    R"("days":[{"at":"2026-10-03T15:00:00Z","tokens":15},{"at":"2026-10-03T16:30:00Z","tokens":20}]}],)"
    R"("completed_sessions":[{"project_id":"p1","task_id":"t1","session_id":"s2","completed_at":"2026-09-20T18:00:00Z","event_id":"c2",)"
    R"("output_tokens":900,"input_cache_miss_tokens":300,"charged_tokens":1200,"overdraft_tokens":100,"balance_tokens":-100,)"
    R"("allocations":[{"grant_id":"b2","tokens":1000},{"grant_id":"e1","tokens":100}]}],)"
    R"("recent_completions":[{"at":"2026-09-20T18:00:00Z","output_tokens":900,"input_cache_miss_tokens":300,"input_cache_hit_tokens":0},)"
    R"({"at":"2026-10-01T00:00:00Z","output_tokens":400,"input_cache_miss_tokens":100,"input_cache_hit_tokens":20}],)"
    R"("usage":[)"
    R"({"at":"2026-09-02T10:00:00Z","project_id":"p1","charged_tokens":80,"cache_hit_tokens":1000,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0},)"
    R"({"at":"2026-09-20T17:00:00Z","project_id":"p1","charged_tokens":1200,"cache_hit_tokens":0,"summarization_tokens":10,"other_service_tokens":0,"cancelled_tokens":0},)"
    R"({"at":"2026-09-26T02:00:00Z","project_id":"p2","charged_tokens":0,"cache_hit_tokens":5,"summarization_tokens":0,"other_service_tokens":7,"cancelled_tokens":80},)"
    R"({"at":"2026-09-28T00:00:00Z","project_id":"p1","charged_tokens":0,"cache_hit_tokens":0,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0},)"
    R"({"at":"2026-09-30T15:00:00Z","project_id":"p2","charged_tokens":500,"cache_hit_tokens":20,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0},)"
    R"({"at":"2026-10-03T15:00:00Z","project_id":"p1","charged_tokens":0,"cache_hit_tokens":7,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0},)"
    R"({"at":"2026-10-03T16:30:00Z","project_id":"p1","charged_tokens":0,"cache_hit_tokens":3,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0}]},)"
    R"("events":[)" + c6 + "," + u9 + "," + u11 + "]}";

json errors_of(const credits::Answer& answer) {
    REQUIRE_FALSE(answer.ok);
    const json parsed = json::parse(answer.json);
    REQUIRE(parsed.at("errors").size() == 1);
    return parsed["errors"][0];
}

}  // namespace

TEST_CASE("a checkpoint is the state before S worked out by hand, and the events from S on verbatim", "[checkpoint]") {
    credits::LoadedLedger account = fixtures::load(hand_ledger());
    const credits::Answer answer = account.checkpoint("2026-10-05T08:00:00+08:00");  // S, written in another offset
    REQUIRE(answer.ok);
    CHECK(answer.json == expected_checkpoint);
    CHECK(answer.json.back() == '}');  // compact, no newline, like every answer
}

TEST_CASE("a checkpoint one nanosecond later summarizes the event at S too", "[checkpoint]") {
    credits::LoadedLedger account = fixtures::load(hand_ledger());
    const credits::Answer answer = account.checkpoint("2026-10-05T00:00:00.000000001Z");
    REQUIRE(answer.ok);
    const json doc = json::parse(answer.json);
    const json& cp = doc["checkpoint"];
    CHECK(cp["events"] == 19);
    // u11 (1 output token, 10-05 08:00 local) is a third local day of the open session.
    REQUIRE(cp["open_sessions"].size() == 1);
    CHECK(cp["open_sessions"][0]["output_tokens"] == 31);
    CHECK(cp["open_sessions"][0]["days"] ==
          json::parse(R"([{"at":"2026-10-03T15:00:00Z","tokens":15},{"at":"2026-10-03T16:30:00Z","tokens":20},)"
                      R"({"at":"2026-10-05T00:00:00Z","tokens":1}])"));
    CHECK(cp["usage"].back() == json::parse(R"({"at":"2026-10-05T00:00:00Z","project_id":"p1","charged_tokens":0,"cache_hit_tokens":0,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0})"));
    // The plan grant b2 expired at S: it had nothing left, so it expired nothing.
    CHECK(cp["grants"][2]["expired_tokens"] == 0);
    CHECK(doc["events"].size() == 2);
}

TEST_CASE("a checkpoint after every event keeps no event and settles every session", "[checkpoint]") {
    credits::LoadedLedger account = fixtures::load(hand_ledger());
    const credits::Answer answer = account.checkpoint("2026-12-01T00:00:00Z");
    REQUIRE(answer.ok);
    const json doc = json::parse(answer.json);
    const json& cp = doc["checkpoint"];
    CHECK(doc["events"] == json::array());
    CHECK(cp["events"] == 21);  // 18 + u11, u9 (its repeat counted once) and c6
    CHECK(cp["open_sessions"] == json::array());
    CHECK(cp["completed_sessions"] == json::array());  // nothing after S names a session
    // c6 charged the open session's 36 tokens (35 before S, u11's 1) to the overdraft: nothing has tokens left.
    CHECK(cp["charged_tokens"] == 1780 + 36);
    CHECK(cp["overdraft_tokens"] == 100 + 36);
    // The forecast's window (11-01, 12-01) holds no completion.
    CHECK(cp["recent_completions"] == json::array());
    // The open session's two local days became charged in their rows.
    CHECK(cp["usage"][5] == json::parse(R"({"at":"2026-10-03T15:00:00Z","project_id":"p1","charged_tokens":15,"cache_hit_tokens":7,"summarization_tokens":0,"other_service_tokens":0,"cancelled_tokens":0})"));
    CHECK(cp["usage"][6]["charged_tokens"] == 20);
    CHECK(cp["usage"][7]["charged_tokens"] == 1);
    CHECK(cp["usage"][8] == json::parse(R"({"at":"2026-10-06T00:00:00Z","project_id":"p1","charged_tokens":0,"cache_hit_tokens":0,"summarization_tokens":5,"other_service_tokens":0,"cancelled_tokens":0})"));
}

TEST_CASE("a checkpoint refuses an instant that is not after the opening", "[checkpoint]") {
    credits::LoadedLedger account = fixtures::load(hand_ledger());
    for (const char* at : {"2026-09-01T00:00:00Z", "2026-09-01T08:00:00+08:00", "2026-08-01T00:00:00Z"}) {
        CAPTURE(at);
        const json error = errors_of(account.checkpoint(at));
        CHECK(error["code"] == "invalid_query");
        CHECK(error["pointer"] == "/at");
        CHECK(error["message"].get<std::string>().find("opening (2026-09-01T00:00:00Z)") != std::string::npos);
    }
    for (const char* at : {"", "yesterday", "2026-10-05", "2026-10-05T00:00:00"}) {
        CAPTURE(at);
        const json error = errors_of(account.checkpoint(at));
        CHECK(error["code"] == "invalid_query");
        CHECK(error["pointer"] == "/at");
    }
    CHECK(account.checkpoint("2026-09-01T00:00:00.000000001Z").ok);
}

TEST_CASE("a checkpointed document checkpoints again at a later S, never an earlier one", "[checkpoint]") {
    credits::LoadedLedger account = fixtures::load(hand_ledger());
    const credits::Answer first = account.checkpoint("2026-10-05T00:00:00Z");
    REQUIRE(first.ok);
    credits::LoadedLedger checkpointed = fixtures::load(first.json);
    // Again at S itself: the same bytes.
    const credits::Answer same = checkpointed.checkpoint("2026-10-05T00:00:00Z");
    REQUIRE(same.ok);
    CHECK(same.json == first.json);
    // At a later S: the checkpoint of the whole history at that S.
    for (const char* later : {"2026-10-05T00:00:00.000000001Z", "2026-10-06T00:00:00Z", "2026-10-07T00:00:00.5Z", "2027-01-01T00:00:00Z"}) {
        CAPTURE(later);
        const credits::Answer again = checkpointed.checkpoint(later);
        const credits::Answer whole = account.checkpoint(later);
        REQUIRE(again.ok);
        REQUIRE(whole.ok);
        CHECK(again.json == whole.json);
    }
    const json error = errors_of(checkpointed.checkpoint("2026-10-04T23:59:59.999999999Z"));
    CHECK(error["code"] == "before_checkpoint");
    CHECK(error["pointer"] == "/at");
}

TEST_CASE("the checkpointed demo of the parity vectors is the writer's bytes", "[checkpoint]") {
    // tests/vectors/checkpoint/demo-2026-11-01.ledger.json is an input of parity vectors
    // (reports of a checkpointed document, a checkpoint of it): it must stay what the writer prints.
    const auto read = [](const std::string& path) {
        std::ifstream file(path, std::ios::binary);
        REQUIRE(file.good());
        return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    };
    credits::LoadedLedger demo = fixtures::load(read("web/public/demo/ledger.json"), fixtures::default_engine());
    const credits::Answer answer = demo.checkpoint("2026-11-01T00:00:00+08:00");
    REQUIRE(answer.ok);
    CHECK(answer.json == read("tests/vectors/checkpoint/demo-2026-11-01.ledger.json"));
}
