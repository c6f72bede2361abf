// The account service in process (server/accounts.h) on a SQLite temporary
// file: ingest checked against the whole stored history, the checkpoint the
// service keeps and re-derives, and reports equal to the CLI's for the same
// document (docs/server.md, "Same bytes as the CLI").
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accounts.h"
#include "auth.h"
#include "credits/api.h"
#include "credits/instant.h"
#include "metrics.h"
#include "store.h"

using namespace credits::server;
using Json = nlohmann::json;

namespace {

constexpr const char* account_id = "acct_test";
constexpr int offset_minutes = 8 * 60;  // +08:00: months start at 16:00Z the day before

// A temporary SQLite database, removed with its WAL files afterwards.
struct TempDatabase {
    std::filesystem::path folder;
    std::unique_ptr<Store> store;
    TempDatabase() {
        std::random_device device;
        folder = std::filesystem::temp_directory_path() / ("credits-accounts-test-" + std::to_string(device()));
        std::filesystem::create_directories(folder);
        store = Store::open("sqlite:" + (folder / "credits.db").string());
        store->migrate();
    }
    ~TempDatabase() {
        store.reset();
        std::error_code ignored;
        std::filesystem::remove_all(folder, ignored);
    }
};

std::string at_text(std::int64_t ns) { return credits::format_instant(ns); }
std::int64_t instant(const char* text) { return credits::parse_instant(text)->ns; }

Json usage(const std::string& id, std::int64_t at_ns, const std::string& project, const std::string& task,
           const std::string& session, std::int64_t output_tokens = 2753) {
    return Json{{"id", id},           {"type", "usage"},     {"at", at_text(at_ns)}, {"project_id", project},
                {"service", "agent_chat"}, {"task_id", task}, {"session_id", session}, {"model", "gpt-5"},
                {"provider_usage",
                 {{"format", "openai_responses"},
                  {"usage",
                   {{"input_tokens", 6726},
                    {"input_tokens_details", {{"cached_tokens", 2816}}},
                    {"output_tokens", output_tokens},
                    {"output_tokens_details", {{"reasoning_tokens", 673}}},
                    {"total_tokens", 6726 + output_tokens}}}}}};
}

Json completion(const std::string& id, std::int64_t at_ns, const std::string& project, const std::string& task,
                const std::string& session) {
    return Json{{"id", id},           {"type", "session_completed"}, {"at", at_text(at_ns)},
                {"project_id", project}, {"task_id", task},          {"session_id", session}};
}

Json purchase(const std::string& id, std::int64_t at_ns) {
    return Json{{"id", id}, {"type", "credits_purchased"}, {"at", at_text(at_ns)}, {"account_id", account_id},
                {"credits", 1000}, {"pack", "pack_1000"}};
}

// Days of work from 2026-01-01: per day two sessions of two usage records and a
// completion, and a purchase every tenth day.
std::vector<Json> history(int days) {
    std::vector<Json> events;
    const std::int64_t start = instant("2026-01-01T00:00:00Z");
    events.push_back(Json{{"id", "open"}, {"type", "account_opened"}, {"at", at_text(start)}});
    for (int day = 0; day < days; ++day) {
        const std::int64_t base = start + day * credits::nanos_per_day + 3600 * credits::nanos_per_second;
        if (day % 10 == 0) events.push_back(purchase("buy" + std::to_string(day), base));
        for (int k = 0; k < 2; ++k) {
            const std::string s = "s" + std::to_string(day) + "_" + std::to_string(k);
            const std::string t = "t" + std::to_string(day);
            const std::string p = k == 0 ? "p1" : "p2";
            const std::int64_t at = base + (k + 1) * 600 * credits::nanos_per_second;
            events.push_back(usage("u" + s + "a", at, p, t, s));
            events.push_back(usage("u" + s + "b", at + 60 * credits::nanos_per_second, p, t, s));
            events.push_back(completion("c" + s, at + 120 * credits::nanos_per_second, p, t, s));
        }
    }
    return events;
}

std::string fragment(const std::vector<Json>& events, std::size_t begin, std::size_t end) {
    Json doc{{"format", "easycoda.ledger/1"},
             {"account", {{"id", account_id}, {"utc_offset", "+08:00"}}},
             {"projects", Json::array({{{"id", "p1"}, {"name", "One"}}, {{"id", "p2"}, {"name", "Two"}}})},
             {"events", Json::array()}};
    for (std::size_t i = begin; i < end && i < events.size(); ++i) doc["events"].push_back(events[i]);
    return doc.dump();
}

Json body_of(const Reply& reply) { return Json::parse(reply.body); }

std::string export_of(AccountService& service) {
    std::string text;
    REQUIRE(service.document(account_id, [&](std::string_view piece) {
        text += piece;
        return true;
    }));
    return text;
}

// The report of a document as the CLI computes it (`credits report --at T FILE`).
std::string cli_report(const std::string& document, const std::string& at) {
    std::string errors;
    std::optional<credits::LoadedLedger> loaded = credits::Engine::with_defaults().load(std::string(document), &errors);
    REQUIRE(loaded.has_value());
    const credits::Answer answer = loaded->report(at);
    REQUIRE(answer.ok);
    return answer.json;
}

// Every member but the two a checkpointed report words differently (spec'd in
// docs/checkpoint-format.md): its ledger[] begins at the checkpoint, and it says so.
Json figures_of(const std::string& report) {
    Json value = Json::parse(report);
    value.erase("ledger");
    value.erase("checkpoint_at");
    return value;
}

ServiceLimits test_limits() {
    ServiceLimits limits;
    limits.checkpoint_events_min = 300;  // a smaller account than production's 1,000 reaches it
    return limits;
}

void ingest_all(AccountService& service, const std::vector<Json>& events, std::size_t batch) {
    for (std::size_t i = 0; i < events.size(); i += batch) {
        const Reply reply = service.ingest(fragment(events, i, i + batch));
        INFO(reply.body);
        REQUIRE(reply.status == 200);
        REQUIRE(body_of(reply)["cursor"] == static_cast<std::int64_t>(std::min(i + batch, events.size())));
    }
}

}  // namespace

TEST_CASE("accounts: the checkpoint moves to the month before the newest event's, and reports equal the CLI's",
          "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(140);  // 2026-01-01 .. 2026-05-20
    ingest_all(service, events, 97);
    // Newest event in May (+08:00): the checkpoint is at April 1 00:00 +08:00; it was at March 1 before.
    CHECK(service.cached_checkpoint_at(account_id) == instant("2026-04-01T00:00:00+08:00"));
    const std::optional<CheckpointRow> stored = db.store->checkpoint(account_id);
    REQUIRE(stored.has_value());
    CHECK(stored->at_ns == instant("2026-03-31T16:00:00Z"));
    CHECK(metrics.checkpoints_written() >= 2);

    const std::string at = "2026-05-21T00:00:00Z";
    ReportQuestion question;
    question.at = at;
    const Reply report = service.report(account_id, question);
    REQUIRE(report.status == 200);
    // The whole history, as exported, gives the same figures ...
    const std::string exported = export_of(service);
    CHECK(Json::parse(exported)["events"].size() == events.size());
    CHECK(figures_of(report.body) == figures_of(cli_report(exported, at)));
    // ... and the console's document the same bytes.
    const Reply console = service.console_ledger(account_id);
    REQUIRE(console.status == 200);
    CHECK(Json::parse(console.body).contains("checkpoint"));
    CHECK(report.body == cli_report(console.body, at));
    // A question before the checkpoint is answered from the whole history.
    question.at = "2026-02-15T00:00:00Z";
    const Reply early = service.report(account_id, question);
    REQUIRE(early.status == 200);
    CHECK(early.body == cli_report(exported, question.at));
}

TEST_CASE("accounts: a late event is checked against the whole history and the checkpoint is re-derived",
          "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(140);
    ingest_all(service, events, 250);
    const std::int64_t s_ns = instant("2026-03-31T16:00:00Z");
    REQUIRE(service.cached_checkpoint_at(account_id) == s_ns);
    const std::string at = "2026-05-21T00:00:00Z";
    ReportQuestion question;
    question.at = at;
    const std::string before = service.report(account_id, question).body;
    const std::int64_t written = metrics.checkpoints_written();

    const Reply late = service.ingest(fragment({purchase("late_buy", instant("2026-02-10T05:00:00Z"))}, 0, 1));
    INFO(late.body);
    REQUIRE(late.status == 200);
    CHECK(body_of(late)["accepted"] == 1);
    CHECK(body_of(late)["cursor"] == static_cast<std::int64_t>(events.size() + 1));
    CHECK(metrics.checkpoints_written() == written + 1);
    const std::optional<CheckpointRow> stored = db.store->checkpoint(account_id);
    REQUIRE(stored.has_value());
    CHECK(stored->at_ns == s_ns);
    CHECK(stored->cursor == static_cast<std::int64_t>(events.size() + 1));

    const Reply report = service.report(account_id, question);
    REQUIRE(report.status == 200);
    CHECK(report.body != before);  // the purchase counts
    CHECK(figures_of(report.body) == figures_of(cli_report(export_of(service), at)));
    CHECK(report.body == cli_report(service.console_ledger(account_id).body, at));
    // The stored checkpoint itself holds the late purchase: a fresh service reads the same.
    Metrics other_metrics;
    AccountService restarted(*db.store, credits::Engine::with_defaults(), other_metrics, test_limits());
    CHECK(restarted.report(account_id, question).body == report.body);
}

TEST_CASE("accounts: what a checkpoint forgets is still checked", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(140);
    ingest_all(service, events, 500);
    REQUIRE(service.cached_checkpoint_at(account_id) == instant("2026-03-31T16:00:00Z"));
    const std::string console = service.console_ledger(account_id).body;

    // Usage after S for a session completed in February: the checkpointed document alone
    // accepts it (it forgot the session), the server checks the whole history and does not.
    const std::string forgotten =
        fragment({usage("u_after", instant("2026-05-20T10:00:00Z"), "p1", "t35", "s35_0")}, 0, 1);
    std::string errors;
    std::optional<credits::LoadedLedger> checkpointed = credits::Engine::with_defaults().load(std::string(console), &errors);
    REQUIRE(checkpointed.has_value());
    CHECK(checkpointed->append(forgotten).ok);
    const Reply rejected = service.ingest(forgotten);
    REQUIRE(rejected.status == 422);
    CHECK(body_of(rejected)["errors"][0]["code"] == "usage_after_completion");

    // A February usage id: an exact repeat is ignored, other content is a conflict.
    const auto found = std::find_if(events.begin(), events.end(), [](const Json& e) { return e["id"] == "us36_0a"; });
    REQUIRE(found != events.end());  // a usage record of 2026-02-06
    const auto february = static_cast<std::size_t>(found - events.begin());
    const Reply repeat = service.ingest(fragment(events, february, february + 1));
    REQUIRE(repeat.status == 200);
    CHECK(body_of(repeat) == Json{{"accepted", 0}, {"duplicates_ignored", 1}, {"cursor", events.size()}});
    Json changed = events[february];
    changed["provider_usage"]["usage"]["output_tokens"] = 1;
    changed["provider_usage"]["usage"]["total_tokens"] = 6727;
    const Reply conflict = service.ingest(fragment({changed}, 0, 1));
    REQUIRE(conflict.status == 422);
    CHECK(body_of(conflict)["errors"][0]["code"] == "duplicate_id_conflict");
    CHECK(db.store->account(account_id)->last_seq == static_cast<std::int64_t>(events.size()));
}

TEST_CASE("accounts: a late event stored without its re-derived checkpoint (a crash) is repaired on load",
          "[accounts]") {
    TempDatabase db;
    const std::vector<Json> events = history(140);
    {
        Metrics metrics;
        AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
        ingest_all(service, events, 1000);
    }
    const std::optional<CheckpointRow> old = db.store->checkpoint(account_id);
    REQUIRE(old.has_value());
    // What a server killed between committing a late event and re-deriving leaves behind.
    const Json late = purchase("late_buy", instant("2026-02-10T05:00:00Z"));
    Batch batch;
    batch.account_id = account_id;
    batch.expected_last_seq = static_cast<std::int64_t>(events.size());
    batch.new_events.push_back(NewEvent{"late_buy", instant("2026-02-10T05:00:00Z"), "", late.dump()});
    REQUIRE(db.store->append(batch) == static_cast<std::int64_t>(events.size() + 1));

    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    ReportQuestion question;
    question.at = "2026-05-21T00:00:00Z";
    const Reply report = service.report(account_id, question);
    REQUIRE(report.status == 200);
    CHECK(metrics.checkpoints_written() == 1);
    CHECK(db.store->checkpoint(account_id)->cursor == static_cast<std::int64_t>(events.size() + 1));
    CHECK(figures_of(report.body) == figures_of(cli_report(export_of(service), question.at)));
}

TEST_CASE("accounts: ingest is all or nothing, and rejections are the core's", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(3);

    const Reply no_opening = service.ingest(fragment(events, 1, 4));
    REQUIRE(no_opening.status == 422);
    CHECK(body_of(no_opening)["errors"][0]["code"] == "missing_account_opened");
    CHECK_FALSE(db.store->account(account_id).has_value());

    const Reply invalid = service.ingest("{\"format\": ");
    REQUIRE(invalid.status == 422);
    CHECK(body_of(invalid)["errors"][0]["code"] == "invalid_json");

    std::string bad_id = fragment(events, 0, 2);
    bad_id.replace(bad_id.find(account_id), std::string(account_id).size(), "acct/../x");
    const Reply unsupported = service.ingest(bad_id);
    REQUIRE(unsupported.status == 422);
    CHECK(body_of(unsupported)["errors"][0]["code"] == "unsupported_account_id");

    REQUIRE(service.ingest(fragment(events, 0, 4)).status == 200);
    // One bad event among good ones: nothing of the batch is stored.
    std::vector<Json> mixed(events.begin() + 4, events.end());
    mixed.push_back(usage("u_unknown_project", instant("2026-01-03T12:00:00Z"), "nope", "t9", "s9"));
    const Reply rejected = service.ingest(fragment(mixed, 0, mixed.size()));
    REQUIRE(rejected.status == 422);
    CHECK(body_of(rejected)["errors"][0]["code"] == "unknown_project");
    CHECK(db.store->account(account_id)->last_seq == 4);

    ServiceLimits small = test_limits();
    small.batch_events_max = 2;
    AccountService limited(*db.store, credits::Engine::with_defaults(), metrics, small);
    const Reply too_many = limited.ingest(fragment(events, 4, 7));
    CHECK(too_many.status == 413);
    CHECK(body_of(too_many)["errors"][0]["code"] == "too_many_events");
}

TEST_CASE("accounts: changes answers the events after a cursor, as a fragment that appends", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(5);
    REQUIRE(service.ingest(fragment(events, 0, 10)).status == 200);
    CHECK(service.changes(account_id, 10, 0).status == 204);
    CHECK(service.changes("acct_missing", 0, 0).status == 404);
    REQUIRE(service.ingest(fragment(events, 10, events.size())).status == 200);
    const Reply changes = service.changes(account_id, 10, 0);
    REQUIRE(changes.status == 200);
    CHECK(changes.cursor == static_cast<std::int64_t>(events.size()));
    std::string errors;
    std::optional<credits::LoadedLedger> console =
        credits::Engine::with_defaults().load(fragment(events, 0, 10), &errors);
    REQUIRE(console.has_value());
    const credits::Answer appended = console->append(changes.body);
    REQUIRE(appended.ok);
    CHECK(Json::parse(appended.json)["accepted"] == static_cast<std::int64_t>(events.size() - 10));
}

TEST_CASE("accounts: a second service on the same database sees the first one's events", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService one(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    AccountService two(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(20);
    ReportQuestion question;
    question.at = "2026-01-21T00:00:00Z";
    REQUIRE(one.ingest(fragment(events, 0, 50)).status == 200);
    REQUIRE(two.report(account_id, question).status == 200);  // `two` caches the account
    REQUIRE(one.ingest(fragment(events, 50, events.size())).status == 200);
    const Reply seen = two.report(account_id, question);
    CHECK(seen.body == cli_report(fragment(events, 0, events.size()), question.at));
    // `two` ingests on top of a cursor it has to catch up to first.
    const Reply more = two.ingest(fragment({purchase("buy_more", instant("2026-01-20T12:00:00Z"))}, 0, 1));
    REQUIRE(more.status == 200);
    CHECK(body_of(more)["cursor"] == static_cast<std::int64_t>(events.size() + 1));
}

TEST_CASE("auth: tokens are random, prefixed by kind, and found by their hash", "[auth]") {
    TempDatabase db;
    const std::string service_token = generate_token(TokenKind::service);
    const std::string account_token = generate_token(TokenKind::account);
    CHECK(service_token.rfind("ecs_", 0) == 0);
    CHECK(account_token.rfind("eca_", 0) == 0);
    CHECK(service_token.size() == 4 + 43);  // 32 bytes in unpadded base64url
    CHECK(service_token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4) ==
          std::string::npos);
    CHECK(generate_token(TokenKind::service) != service_token);
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    db.store->add_token(sha256_hex(service_token), Principal{TokenKind::service, ""});
    db.store->add_token(sha256_hex(account_token), Principal{TokenKind::account, account_id});
    REQUIRE(authenticate(*db.store, service_token).has_value());
    CHECK(authenticate(*db.store, service_token)->kind == TokenKind::service);
    CHECK(authenticate(*db.store, account_token)->account_id == account_id);
    CHECK_FALSE(authenticate(*db.store, service_token.substr(0, service_token.size() - 1)).has_value());
    CHECK_FALSE(authenticate(*db.store, "eca_" + service_token.substr(4)).has_value());
    CHECK(bearer_token("Bearer abc") == std::optional<std::string_view>("abc"));
    CHECK_FALSE(bearer_token("Basic abc").has_value());
    CHECK_FALSE(bearer_token("Bearer ").has_value());
}

TEST_CASE("accounts: repeats are not stored, so the report counts none of them", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    std::vector<Json> events = history(140);
    const std::string at = "2026-05-21T00:00:00Z";
    ReportQuestion question;
    question.at = at;
    // A new account whose first document repeats an event, then a resent batch (a client's
    // retry), then a batch of new events with a repeat among them -- checkpointed by then.
    std::vector<Json> first(events.begin(), events.begin() + 20);
    first.push_back(events[5]);
    REQUIRE(body_of(service.ingest(fragment(first, 0, first.size())))["duplicates_ignored"] == 1);
    CHECK(body_of(service.ingest(fragment(events, 0, 20))) == Json{{"accepted", 0}, {"duplicates_ignored", 20}, {"cursor", 20}});
    CHECK(body_of(service.ingest(fragment(events, 0, 20))) == Json{{"accepted", 0}, {"duplicates_ignored", 20}, {"cursor", 20}});
    ingest_all(service, std::vector<Json>(events.begin(), events.end()), 1000);
    std::vector<Json> last(events.end() - 5, events.end());
    last.push_back(purchase("buy_last", instant("2026-05-20T20:00:00Z")));
    const Reply mixed = service.ingest(fragment(last, 0, last.size()));
    REQUIRE(mixed.status == 200);
    CHECK(body_of(mixed)["duplicates_ignored"] == 5);
    REQUIRE(service.cached_checkpoint_at(account_id).has_value());
    const Reply report = service.report(account_id, question);
    REQUIRE(report.status == 200);
    CHECK(Json::parse(report.body)["duplicates_ignored"] == 0);
    CHECK(report.body == cli_report(service.console_ledger(account_id).body, at));
    CHECK(figures_of(report.body) == figures_of(cli_report(export_of(service), at)));
}
