// The account service in process (server/accounts.h) on a SQLite temporary
// file: ingest checked against the whole stored history, the checkpoint the
// service keeps and re-derives, and reports equal to the CLI's for the same
// document (docs/server.md, "Same bytes as the CLI").
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
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

TEST_CASE("accounts: a checkpointed document is refused as an account's first batch, as the core refuses it in a fragment",
          "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    ingest_all(service, history(140), 500);
    const std::string console = service.console_ledger(account_id).body;
    REQUIRE(Json::parse(console).contains("checkpoint"));

    // The core's own refusal of a checkpoint in a fragment, the words the server must reuse.
    std::string errors;
    std::optional<credits::LoadedLedger> loaded = credits::Engine::with_defaults().load(std::string(console), &errors);
    REQUIRE(loaded.has_value());
    const credits::Answer appended = loaded->append(console);
    REQUIRE_FALSE(appended.ok);
    Json core_error;
    const Json core_errors = Json::parse(appended.json)["errors"];
    for (const Json& error : core_errors) {
        if (error["pointer"] == "/checkpoint") core_error = error;
    }
    INFO(appended.json.substr(0, 600));
    REQUIRE(core_error.is_object());

    TempDatabase fresh;
    AccountService other(*fresh.store, credits::Engine::with_defaults(), metrics, test_limits());
    const Reply refused = other.ingest(console);
    REQUIRE(refused.status == 422);
    const Json error = body_of(refused)["errors"][0];
    CHECK(error["code"] == "unknown_field");
    CHECK(error["pointer"] == "/checkpoint");
    CHECK(error["message"] == core_error["message"]);
    CHECK_FALSE(fresh.store->account(account_id).has_value());
}

TEST_CASE("accounts: session keys cannot collide, whatever characters the ids hold", "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    AccountService service(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    // ("p", "t\ns", "x") and ("p\nt", "s", "x") are two sessions; joined with newlines
    // they would be one text.
    const auto batch = [](const std::vector<Json>& events, std::size_t begin, std::size_t end) {
        Json doc = Json::parse(fragment(events, begin, end));
        doc["projects"].push_back({{"id", "p"}, {"name", "P"}});
        doc["projects"].push_back({{"id", "p\nt"}, {"name", "P newline T"}});
        return doc.dump();
    };
    std::vector<Json> events = history(140);
    const std::int64_t february = instant("2026-02-10T03:00:00Z");
    events.insert(events.begin() + 1, {usage("old_a", february, "p", "t\ns", "x"),
                                       completion("old_done", february + 60 * credits::nanos_per_second, "p", "t\ns", "x")});
    events.push_back(usage("new_a", instant("2026-05-19T03:00:00Z"), "p\nt", "s", "x"));
    for (std::size_t i = 0; i < events.size(); i += 500) {
        const Reply reply = service.ingest(batch(events, i, i + 500));
        INFO(reply.body);
        REQUIRE(reply.status == 200);
    }
    REQUIRE(service.cached_checkpoint_at(account_id) == instant("2026-03-31T16:00:00Z"));

    // Usage after the February completion: the checkpoint forgot that session, the one
    // it still knows only looks alike, so the whole history is asked and refuses it.
    const Reply rejected = service.ingest(batch({usage("late_a", instant("2026-05-20T10:00:00Z"), "p", "t\ns", "x")}, 0, 1));
    REQUIRE(rejected.status == 422);
    CHECK(body_of(rejected)["errors"][0]["code"] == "usage_after_completion");
    CHECK(db.store->account(account_id)->last_seq == static_cast<std::int64_t>(events.size()));
}

namespace {

// The store with hooks, to stop a service at a chosen point while another writer
// or reader goes on (the rest is the real store).
struct HookedStore final : Store {
    Store& inner;
    std::function<void()> before_find_events;             // runs once, then is cleared
    std::function<void(std::int64_t)> before_events_after;  // runs on every call, with after_seq
    explicit HookedStore(Store& s) : inner(s) {}

    int migrate() override { return inner.migrate(); }
    void add_token(std::string_view hash, const Principal& p) override { inner.add_token(hash, p); }
    std::optional<Principal> find_token(std::string_view hash) override { return inner.find_token(hash); }
    std::optional<AccountRow> account(std::string_view id) override { return inner.account(id); }
    std::vector<ProjectRow> projects(std::string_view id) override { return inner.projects(id); }
    std::vector<StoredEvent> events_after(std::string_view id, std::int64_t after_seq, std::int64_t limit) override {
        if (before_events_after) before_events_after(after_seq);
        return inner.events_after(id, after_seq, limit);
    }
    std::vector<StoredEvent> find_events(std::string_view id, const std::vector<std::string>& ids) override {
        if (before_find_events) std::exchange(before_find_events, nullptr)();
        return inner.find_events(id, ids);
    }
    bool session_seen_before(std::string_view id, std::string_view key, std::int64_t before_ns) override {
        return inner.session_seen_before(id, key, before_ns);
    }
    std::optional<std::int64_t> append(const Batch& batch) override { return inner.append(batch); }
    std::optional<CheckpointRow> checkpoint(std::string_view id) override { return inner.checkpoint(id); }
    void save_checkpoint(std::string_view id, const CheckpointRow& c) override { inner.save_checkpoint(id, c); }
};

}  // namespace

TEST_CASE("accounts: a batch another writer commits while it is checked is answered as repeats, not 500",
          "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    HookedStore hooked(*db.store);
    AccountService one(hooked, credits::Engine::with_defaults(), metrics, test_limits());
    AccountService two(*db.store, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(20);
    REQUIRE(one.ingest(fragment(events, 0, 50)).status == 200);
    const std::string batch = fragment(events, 50, events.size());
    // `one` has made its entry current and looks up the batch's ids: `two` commits them first.
    Reply raced;
    hooked.before_find_events = [&] { raced = two.ingest(batch); };
    const Reply answer = one.ingest(batch);
    REQUIRE(raced.status == 200);
    INFO(answer.body);
    REQUIRE(answer.status == 200);
    const auto newer = static_cast<std::int64_t>(events.size() - 50);
    CHECK(body_of(answer) == Json{{"accepted", 0}, {"duplicates_ignored", newer}, {"cursor", events.size()}});
    CHECK(db.store->account(account_id)->last_seq == static_cast<std::int64_t>(events.size()));
}

TEST_CASE("accounts: reports before the checkpoint load outside the account's lock, and only a few at once",
          "[accounts]") {
    TempDatabase db;
    Metrics metrics;
    HookedStore hooked(*db.store);
    AccountService service(hooked, credits::Engine::with_defaults(), metrics, test_limits());
    const std::vector<Json> events = history(140);
    ingest_all(service, events, 500);
    REQUIRE(service.cached_checkpoint_at(account_id) == instant("2026-03-31T16:00:00Z"));

    // Whole-history loads (events after seq 0) wait for the test's word.
    std::mutex mutex;
    std::condition_variable changed;
    int loading = 0;
    bool release = false;
    hooked.before_events_after = [&](std::int64_t after_seq) {
        if (after_seq != 0) return;
        std::unique_lock lock(mutex);
        ++loading;
        changed.notify_all();
        changed.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
    };
    const auto let_go = [&] {
        const std::lock_guard lock(mutex);
        release = true;
        changed.notify_all();
    };
    ReportQuestion early;
    early.at = "2026-01-15T00:00:00Z";  // before the checkpoint
    auto first = std::async(std::launch::async, [&] { return service.report(account_id, early); });
    auto second = std::async(std::launch::async, [&] { return service.report(account_id, early); });
    {
        std::unique_lock lock(mutex);
        REQUIRE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return loading == 2; }));
    }
    // Both are loading: a third is refused at once, and an ingest is not held up.
    auto third = std::async(std::launch::async, [&] { return service.report(account_id, early); });
    const Json late_purchase = purchase("buy_late", instant("2026-05-21T00:00:00Z"));
    auto ingest = std::async(std::launch::async, [&] { return service.ingest(fragment({late_purchase}, 0, 1)); });
    const bool third_answered = third.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    const bool ingest_answered = ingest.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    let_go();
    CHECK(third_answered);
    CHECK(ingest_answered);
    const Reply refused = third.get();
    CHECK(refused.status == 503);
    CHECK(refused.retry_after_s > 0);
    CHECK(body_of(refused)["errors"][0]["code"] == "overloaded");
    CHECK(ingest.get().status == 200);
    // The two loads answer for the account as it was when they were asked: without the purchase.
    const std::string expected = cli_report(fragment(events, 0, events.size()), early.at);
    CHECK(first.get().body == expected);
    CHECK(second.get().body == expected);
    CHECK(service.report(account_id, early).body == cli_report(
              fragment([&] { auto all = events; all.push_back(late_purchase); return all; }(), 0, events.size() + 1),
              early.at));
}
