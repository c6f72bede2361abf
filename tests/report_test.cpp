// Spec §12-§13, the account report (the Usage panel) and the project report
// (the project detail page): the usage range, daily rows in the account's
// offset, what expires next, per-project, per-task and per-session figures.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

const std::string opening = "2026-01-01T00:00:00Z";

json error_of(const credits::Answer& answer) {
    REQUIRE_FALSE(answer.ok);
    const json parsed = json::parse(answer.json);
    REQUIRE(parsed.at("errors").size() >= 1);
    return parsed.at("errors")[0];
}

std::vector<std::string> dates(const json& report) {
    std::vector<std::string> out;
    for (const json& d : report.at("daily")) out.push_back(d.at("date").get<std::string>());
    return out;
}

// Three sessions of output 1, 10 and 100 tokens at 10:00, 11:00 and 12:00, each completed at once.
credits::LoadedLedger three_records() {
    return load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-02T10:00:00Z", "t1", "s1", {.output = 1}),
        completed("c1", "2026-01-02T10:00:00Z", "t1", "s1"),
        chat("u2", "2026-01-02T11:00:00Z", "t1", "s2", {.output = 10}),
        completed("c2", "2026-01-02T11:00:00Z", "t1", "s2"),
        chat("u3", "2026-01-02T12:00:00Z", "t1", "s3", {.output = 100}),
        completed("c3", "2026-01-02T12:00:00Z", "t1", "s3"),
    }));
}

}  // namespace

TEST_CASE("§12 range: from defaults to the opening, to to T, and records at T count") {
    credits::LoadedLedger account = three_records();
    const json r = account_report(account, "2026-01-02T12:00:00Z");
    CHECK(r["at"] == "2026-01-02T12:00:00Z");
    CHECK(r["from"] == opening);
    CHECK(r["to"] == "2026-01-02T12:00:00Z");
    CHECK(r["to_inclusive"] == true);
    CHECK(tokens(r["usage"]["charged_tokens"]) == 111);
}

TEST_CASE("§12 range: an explicit [from, to) includes from and excludes to") {
    credits::LoadedLedger account = three_records();
    const json r = account_report(account, "2026-01-02T12:00:00Z", "2026-01-02T11:00:00Z", "2026-01-02T12:00:00Z");
    CHECK(r["from"] == "2026-01-02T11:00:00Z");
    CHECK(r["to"] == "2026-01-02T12:00:00Z");
    CHECK(r["to_inclusive"] == false);
    CHECK(tokens(r["usage"]["charged_tokens"]) == 10);
    // The balance is at T whatever the range: the ledger is not limited by it.
    CHECK(tokens(r["balance_tokens"]) == 100 - 111);
    CHECK(entries(r, "charge").size() == 3);
    CHECK(tokens(r["lifetime_charged_tokens"]) == 111);

    CHECK(tokens(account_report(account, "2026-01-02T12:00:00Z", "2026-01-02T10:00:00.000000001Z")["usage"]["charged_tokens"]) == 110);
    CHECK(tokens(account_report(account, "2026-01-02T12:00:00Z", {}, "2026-01-02T11:00:00.000000001Z")["usage"]["charged_tokens"]) == 11);
    // An empty range [x, x) is allowed and counts nothing.
    CHECK(tokens(account_report(account, "2026-01-02T12:00:00Z", "2026-01-02T11:00:00Z", "2026-01-02T11:00:00Z")["usage"]["total_tokens"]) == 0);
}

TEST_CASE("§12 range: a record counts by its own at, in the category its session has at T") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-02T10:00:00Z", "t1", "s1", {.output = 30}),
        completed("c1", "2026-01-02T11:00:00Z", "t1", "s1"),
    }));
    // The range ends before the completion, but at T the session is completed: charged.
    const json r = account_report(account, "2026-01-02T12:00:00Z", "2026-01-02T09:00:00Z", "2026-01-02T10:30:00Z");
    CHECK(tokens(r["usage"]["charged_tokens"]) == 30);
    CHECK(tokens(r["usage"]["free"]["pending_tokens"]) == 0);
}

TEST_CASE("§12 range: to later than T, from later than to, or a bad instant is rejected (invalid_query)") {
    credits::LoadedLedger account = three_records();
    const json later = error_of(account.report("2026-01-02T12:00:00Z", {}, "2026-01-02T12:00:00.000000001Z"));
    CHECK(later["code"] == "invalid_query");
    CHECK(later["pointer"] == "/to");
    CHECK(later["event_id"].is_null());
    CHECK(account.report("2026-01-02T12:00:00Z", {}, "2026-01-02T12:00:00Z").ok);  // to == T is fine

    const json reversed = error_of(account.report("2026-01-02T12:00:00Z", "2026-01-02T11:00:00Z", "2026-01-02T10:00:00Z"));
    CHECK(reversed["code"] == "invalid_query");
    CHECK(reversed["pointer"] == "/from");

    CHECK(error_of(account.report("2026-01-02T12:00:00"))["code"] == "invalid_query");  // no zone
    CHECK(error_of(account.report("2026-01-02T12:00:00Z", "yesterday"))["pointer"] == "/from");
    CHECK(error_of(account.report({}))["pointer"] == "/at");  // the instant is required
    CHECK(error_of(account.project("p1", "2026-01-02T12:00:00Z", {}, "2026-01-03T00:00:00Z"))["code"] == "invalid_query");
    CHECK(error_of(account.forecast("2026-02-30T00:00:00Z"))["code"] == "invalid_query");
}

TEST_CASE("§12 daily rows: dates in the account's utc_offset, ascending, only days with tokens") {
    const std::vector<json> events{
        opened("open", "2026-09-01T00:00:00Z"),
        chat("u1", "2026-09-12T15:59:59Z", "t1", "s1", {.output = 1}),   // 09-12 23:59:59 +08:00
        chat("u2", "2026-09-12T20:00:00Z", "t1", "s1", {.output = 10}),  // 09-13 04:00 +08:00
        chat("u3", "2026-09-12T16:00:00Z", "t1", "s1", {.output = 100}), // 09-13 00:00 +08:00
        completed("c1", "2026-09-12T20:00:00Z", "t1", "s1"),
        service("u4", "2026-09-20T01:00:00Z", "hosting", {.output = 1000}, "p2"),
        service("u5", "2026-09-21T01:00:00Z", "hosting", {}, "p2"),     // a record of 0 tokens
    };
    const json r = report_of(ledger_text(events, json{{"id", "acct_1"}, {"utc_offset", "+08:00"}}), "2026-10-01T00:00:00Z");
    CHECK(r["utc_offset"] == "+08:00");
    CHECK(dates(r) == std::vector<std::string>{"2026-09-12", "2026-09-13", "2026-09-20"});
    CHECK(tokens(r["daily"][0]["charged_tokens"]) == 1);
    CHECK(tokens(r["daily"][1]["charged_tokens"]) == 110);
    CHECK(tokens(r["daily"][2]["free"]["other_service_tokens"]) == 1000);

    // The same records in UTC and at -05:00.
    const json utc = report_of(ledger_text(events), "2026-10-01T00:00:00Z");
    CHECK(utc["utc_offset"] == "+00:00");
    CHECK(dates(utc) == std::vector<std::string>{"2026-09-12", "2026-09-20"});
    CHECK(tokens(utc["daily"][0]["charged_tokens"]) == 111);
    const json west = report_of(ledger_text(events, json{{"id", "acct_1"}, {"utc_offset", "-05:00"}}), "2026-10-01T00:00:00Z");
    CHECK(dates(west) == std::vector<std::string>{"2026-09-12", "2026-09-19"});
}

TEST_CASE("§12 daily rows: the extreme offsets +14:00 and -14:00") {
    const std::vector<json> events{
        opened("open", "2026-09-01T00:00:00Z"),
        service("u1", "2026-09-12T09:59:59Z", "build", {.output = 1}),
        service("u2", "2026-09-12T10:00:00Z", "build", {.output = 2}),
        service("u3", "2026-09-12T13:59:59Z", "build", {.output = 4}),
        service("u4", "2026-09-12T14:00:00Z", "build", {.output = 8}),
    };
    const json east = report_of(ledger_text(events, json{{"id", "acct_1"}, {"utc_offset", "+14:00"}}), "2026-10-01T00:00:00Z");
    CHECK(dates(east) == std::vector<std::string>{"2026-09-12", "2026-09-13"});
    CHECK(tokens(east["daily"][1]["total_tokens"]) == 14);
    const json west = report_of(ledger_text(events, json{{"id", "acct_1"}, {"utc_offset", "-14:00"}}), "2026-10-01T00:00:00Z");
    CHECK(dates(west) == std::vector<std::string>{"2026-09-11", "2026-09-12"});
    CHECK(tokens(west["daily"][0]["total_tokens"]) == 7);
}

TEST_CASE("§12 daily rows: limited to the range") {
    credits::LoadedLedger account = three_records();
    const json r = account_report(account, "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z");
    CHECK(r["daily"].empty());
    CHECK(tokens(r["usage"]["total_tokens"]) == 0);
}

TEST_CASE("§12 expires next: the earliest expires_at after T among grants with tokens left, summed") {
    const std::vector<json> events{
        opened("open", opening),
        granted("g_used", "2026-01-01T01:00:00Z", "0.001", "2026-01-05T00:00:00Z"),  // 10: used up below
        granted("g_a", "2026-01-01T01:00:00Z", "0.002", "2026-01-10T00:00:00Z"),     // 20
        granted("g_b", "2026-01-01T02:00:00Z", "0.003", "2026-01-10T00:00:00Z"),     // 30
        granted("g_late", "2026-01-01T01:00:00Z", "0.004", "2026-01-20T00:00:00Z"),  // 40
        purchased("buy", "2026-01-01T01:00:00Z", 1),                                 // never expires
        chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 15}),
        completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
    };
    credits::LoadedLedger account = load(ledger_text(events));
    // The charge of 15 used g_used's 10 and 5 of g_a.
    const json r = account_report(account, "2026-01-03T00:00:00Z");
    REQUIRE(r["expires_next"].is_object());
    CHECK(r["expires_next"]["expires_at"] == "2026-01-10T00:00:00Z");
    CHECK(tokens(r["expires_next"]["remaining_tokens"]) == 15 + 30);
    CHECK(r["expires_next"]["grant_ids"] == json::array({"g_a", "g_b"}));

    // At the expiry instant itself those grants are gone: the next one is later.
    const json at_expiry = account_report(account, "2026-01-10T00:00:00Z");
    CHECK(at_expiry["expires_next"]["expires_at"] == "2026-01-20T00:00:00Z");
    CHECK(tokens(at_expiry["expires_next"]["remaining_tokens"]) == 40);
    CHECK(at_expiry["expires_next"]["grant_ids"] == json::array({"g_late"}));

    // Nothing left that expires: null.
    CHECK(account_report(account, "2026-01-20T00:00:00Z")["expires_next"].is_null());
    CHECK(report_of(ledger_text({opened("open", opening)}), "2026-01-02T00:00:00Z")["expires_next"].is_null());
}

TEST_CASE("§12 expires next: a grant given after T does not count") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 granted("g", "2026-01-05T00:00:00Z", 1, "2026-01-10T00:00:00Z"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(r["expires_next"].is_null());
}

TEST_CASE("§13 account report: the header and every member the contract names") {
    const json r = report_of(ledger_text({opened("open", opening)}, json{{"id", "acct_7"}, {"utc_offset", "+05:30"}}),
                             "2026-01-02T00:00:00Z");
    for (const char* member : {"format", "kind", "account_id", "utc_offset", "at", "from", "to", "to_inclusive",
                               "balance_tokens", "balance_credits", "overdraft_tokens", "overdraft_credits",
                               "can_start_agent_chat", "lifetime_charged_tokens", "balance_by_source", "expires_next",
                               "grants", "failed_billings", "usage", "projects", "daily", "ledger",
                               "duplicates_ignored", "events_after_at"}) {
        CHECK(r.contains(member));
    }
    CHECK(r["account_id"] == "acct_7");
    CHECK(r["utc_offset"] == "+05:30");
    for (const char* source : {"signup", "promotion", "plan", "purchase"}) CHECK(r["balance_by_source"].contains(source));
    const json g = grant(r, "open");
    for (const char* member : {"id", "source", "granted_at", "expires_at", "granted_tokens", "used_tokens", "expired_tokens",
                               "remaining_tokens", "active", "plan", "pack", "reason", "period_start", "period_end"}) {
        CHECK(g.contains(member));
    }
    // Every project is listed, by id, even without usage.
    REQUIRE(r["projects"].size() == 2);
    CHECK(r["projects"][0]["id"] == "p1");
    CHECK(r["projects"][0]["name"] == "Project one");
    CHECK(r["projects"][1]["id"] == "p2");
}

TEST_CASE("§12 project report: tasks and sessions with their status, figures and charge") {
    json build = service("u9", "2026-01-02T09:00:00Z", "build", {.output = 3, .miss = 4});
    json slow = chat("u5", "2026-01-02T12:00:00Z", "t2", "s2", {.output = 7, .miss = 1, .hit = 2});
    slow["model"] = "m-small";
    json first = chat("u1", "2026-01-02T10:00:00Z", "t1", "s1", {.output = 30, .miss = 20, .hit = 500});
    first["model"] = "m-large";
    json second = chat("u2", "2026-01-02T10:05:00Z", "t1", "s1", {.output = 10, .miss = 5, .hit = 100});
    second["model"] = "m-fast";
    json cancel = cancelled("x2", "2026-01-02T12:30:00Z", "t2");
    cancel["reason"] = "requirements changed";
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        first,
        second,
        summarization("u3", "2026-01-02T10:06:00Z", "t1", "s1", {.output = 9}),
        completed("c1", "2026-01-02T10:10:00Z", "t1", "s1"),
        chat("u4", "2026-01-02T11:00:00Z", "t2", "s1", {.output = 40}),
        slow,
        cancel,
        chat("u6", "2026-01-02T13:00:00Z", "t3", "s1", {.output = 5}),
        build,
        chat("u7", "2026-01-02T13:00:00Z", "t1", "s1", {.output = 1000}, "p2"),  // another project
    }));
    const json r = project_report(account, "p1", "2026-01-03T00:00:00Z");
    CHECK(r["kind"] == "project");
    CHECK(r["project"] == json{{"id", "p1"}, {"name", "Project one"}});
    CHECK(tokens(r["usage"]["charged_tokens"]) == 65);
    CHECK(tokens(r["usage"]["free"]["cancelled_tokens"]) == 48);
    CHECK(tokens(r["usage"]["free"]["pending_tokens"]) == 5);
    CHECK(tokens(r["usage"]["free"]["cache_hit_tokens"]) == 602);
    CHECK(tokens(r["usage"]["free"]["summarization_tokens"]) == 9);
    CHECK(tokens(r["usage"]["free"]["other_service_tokens"]) == 7);
    CHECK(tokens(r["untasked"]["total_tokens"]) == 7);

    REQUIRE(r["tasks"].size() == 3);
    const json t1 = r["tasks"][0];
    CHECK(t1["task_id"] == "t1");
    CHECK(t1["status"] == "active");
    CHECK(t1["cancelled_at"].is_null());
    CHECK(t1["cancel_reason"].is_null());
    REQUIRE(t1["sessions"].size() == 1);
    const json s1 = t1["sessions"][0];
    CHECK(s1["session_id"] == "s1");
    CHECK(s1["status"] == "completed");
    CHECK(s1["completed_at"] == "2026-01-02T10:10:00Z");
    CHECK(s1["first_usage_at"] == "2026-01-02T10:00:00Z");
    CHECK(s1["last_usage_at"] == "2026-01-02T10:06:00Z");
    CHECK(s1["models"] == json::array({"m-fast", "m-large"}));
    CHECK(tokens(s1["output_tokens"]) == 40);
    CHECK(tokens(s1["input_cache_miss_tokens"]) == 25);
    CHECK(tokens(s1["input_cache_hit_tokens"]) == 600);
    CHECK(tokens(s1["charged_tokens"]) == 65);
    CHECK(tokens(s1["free"]["summarization_tokens"]) == 9);
    REQUIRE(s1["charge"].is_object());
    CHECK(s1["charge"]["kind"] == "charge");
    CHECK(s1["charge"]["event_id"] == "c1");
    CHECK(tokens(s1["charge"]["charged_tokens"]) == 65);
    CHECK(allocations(s1["charge"]) == Allocations{{"open", 65}});

    const json t2 = r["tasks"][1];
    CHECK(t2["task_id"] == "t2");
    CHECK(t2["status"] == "cancelled");
    CHECK(t2["cancelled_at"] == "2026-01-02T12:30:00Z");
    CHECK(t2["cancel_reason"] == "requirements changed");
    REQUIRE(t2["sessions"].size() == 2);
    CHECK(t2["sessions"][0]["session_id"] == "s1");
    CHECK(t2["sessions"][0]["status"] == "cancelled");
    CHECK(t2["sessions"][0]["completed_at"].is_null());
    CHECK(t2["sessions"][0]["charge"].is_null());
    CHECK(t2["sessions"][0]["models"].empty());
    CHECK(tokens(t2["sessions"][0]["free"]["cancelled_tokens"]) == 40);
    CHECK(tokens(t2["sessions"][1]["free"]["cancelled_tokens"]) == 8);
    CHECK(tokens(t2["sessions"][1]["free"]["cache_hit_tokens"]) == 2);

    const json t3 = r["tasks"][2];
    CHECK(t3["status"] == "active");
    CHECK(t3["sessions"][0]["status"] == "in_progress");
    CHECK(tokens(t3["sessions"][0]["free"]["pending_tokens"]) == 5);
    CHECK(t3["sessions"][0]["charge"].is_null());

    // Before the cancellation, t2's sessions are in progress and the task active.
    const json earlier = project_report(account, "p1", "2026-01-02T12:00:00Z");
    CHECK(earlier["tasks"][1]["status"] == "active");
    CHECK(earlier["tasks"][1]["sessions"][0]["status"] == "in_progress");
    CHECK(earlier["tasks"].size() == 2);  // t3 has no usage by then
}

TEST_CASE("§12 project report: only tasks and sessions with usage in the range are listed") {
    credits::LoadedLedger account = three_records();
    const json r = project_report(account, "p1", "2026-01-02T12:00:00Z", "2026-01-02T10:30:00Z", "2026-01-02T11:30:00Z");
    REQUIRE(r["tasks"].size() == 1);
    REQUIRE(r["tasks"][0]["sessions"].size() == 1);
    CHECK(r["tasks"][0]["sessions"][0]["session_id"] == "s2");
    CHECK(tokens(r["usage"]["charged_tokens"]) == 10);
    CHECK(r["from"] == "2026-01-02T10:30:00Z");
    CHECK(r["to_inclusive"] == false);
    // A project without usage has empty lists.
    const json empty = project_report(account, "p2", "2026-01-02T12:00:00Z");
    CHECK(empty["tasks"].empty());
    CHECK(empty["daily"].empty());
    CHECK(tokens(empty["usage"]["total_tokens"]) == 0);
}

TEST_CASE("§12 project report: an unknown project id is an error (unknown_project)") {
    credits::LoadedLedger account = three_records();
    const json error = error_of(account.project("p_missing", "2026-01-02T12:00:00Z"));
    CHECK(error["code"] == "unknown_project");
    CHECK(error["pointer"] == "/project_id");
    CHECK(error["event_id"].is_null());
    CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("p_missing"));
}

TEST_CASE("§12 project report: daily rows of the project only, in the account's offset") {
    credits::LoadedLedger account = load(ledger_text(
        {
            opened("open", "2026-09-01T00:00:00Z"),
            service("u1", "2026-09-12T20:00:00Z", "build", {.output = 5}, "p1"),
            service("u2", "2026-09-14T20:00:00Z", "build", {.output = 6}, "p2"),
        },
        json{{"id", "acct_1"}, {"utc_offset", "+08:00"}}));
    const json r = project_report(account, "p1", "2026-10-01T00:00:00Z");
    CHECK(dates(r) == std::vector<std::string>{"2026-09-13"});
}
