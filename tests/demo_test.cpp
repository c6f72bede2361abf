// The demo ledger (web/public/demo/ledger.json, see its README) reported at
// 2026-12-01T00:00:00Z with the shipped rule set and example catalog: every
// §13 field, conservation, and figures pinned by hand. The grants follow from
// the ledger's own events (500 signup credits, Standard = 2,000 credits a
// month in the example catalog, a 1,000-credit pack, promotions of 25.5 and 60
// credits); the charged and balance figures were worked independently of the
// core (a separate script applying §2-§8 to the same events) and agree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

const std::string demo_at = "2026-12-01T00:00:00Z";

std::string demo_text() {
    std::ifstream file("web/public/demo/ledger.json", std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

credits::LoadedLedger& demo() {
    static credits::LoadedLedger account = load(demo_text(), default_engine());
    return account;
}

struct GrantRow {
    std::string id, source;
    std::int64_t granted, used, expired, remaining;
    std::string expires_at;  // "" when it never expires
    bool active;
    friend bool operator==(const GrantRow&, const GrantRow&) = default;
};

std::vector<GrantRow> grant_rows(const json& report) {
    std::vector<GrantRow> rows;
    for (const json& g : report["grants"]) {
        rows.push_back(GrantRow{g["id"], g["source"], tokens(g["granted_tokens"]), tokens(g["used_tokens"]),
                                tokens(g["expired_tokens"]), tokens(g["remaining_tokens"]),
                                g["expires_at"].is_null() ? "" : g["expires_at"].get<std::string>(), g["active"]});
    }
    return rows;
}

json session_row(const json& project_report, const std::string& task, const std::string& session) {
    for (const json& t : project_report["tasks"]) {
        if (t["task_id"] != task) continue;
        for (const json& s : t["sessions"])
            if (s["session_id"] == session) return s;
    }
    FAIL("no session " << task << "/" << session);
    return nullptr;
}

json task_row(const json& project_report, const std::string& task) {
    for (const json& t : project_report["tasks"])
        if (t["task_id"] == task) return t;
    FAIL("no task " << task);
    return nullptr;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<GrantRow> {
    static std::string convert(const GrantRow& g) {
        return "{" + g.id + " " + g.source + " granted " + std::to_string(g.granted) + " used " + std::to_string(g.used) +
               " expired " + std::to_string(g.expired) + " remaining " + std::to_string(g.remaining) + " expires '" +
               g.expires_at + "'" + (g.active ? " active}" : " inactive}");
    }
};
}  // namespace Catch

TEST_CASE("§13 demo ledger: the account report at 2026-12-01 has every field and conserves") {
    const json r = account_report(demo(), demo_at);  // checks conservation and tokens/credits agreement
    CHECK(r["account_id"] == "acct_demo");
    CHECK(r["utc_offset"] == "+08:00");
    CHECK(r["at"] == demo_at);
    CHECK(r["from"] == "2026-09-01T02:15:00Z");
    CHECK(r["to"] == demo_at);
    CHECK(r["to_inclusive"] == true);
    CHECK(r["duplicates_ignored"] == 0);
    CHECK(r["events_after_at"] == 0);
    for (const char* member : {"balance_tokens", "overdraft_tokens", "can_start_agent_chat", "grants", "usage", "projects"})
        CHECK(r.contains(member));
    for (const char* member : {"cache_hit_tokens", "summarization_tokens", "other_service_tokens", "cancelled_tokens",
                               "pending_tokens"})
        CHECK(r["usage"]["free"].contains(member));
}

TEST_CASE("§13 demo ledger: balance 3,442.04 credits, no overdraft, 453.47 credits charged") {
    const json r = account_report(demo(), demo_at);
    CHECK(tokens(r["balance_tokens"]) == 34'420'400);
    CHECK(r["balance_credits"] == "3442.0400");
    CHECK(tokens(r["overdraft_tokens"]) == 0);
    CHECK(r["can_start_agent_chat"] == true);
    CHECK(tokens(r["lifetime_charged_tokens"]) == 4'534'700);
    CHECK(tokens(r["usage"]["charged_tokens"]) == 4'534'700);
    // signup 493.85 + purchase 1,000 + November plan 1,894.15 + Black Friday promotion 54.04
    CHECK(tokens(r["balance_by_source"]["signup"]["remaining_tokens"]) == 4'938'500);
    CHECK(tokens(r["balance_by_source"]["purchase"]["remaining_tokens"]) == 10'000'000);
    CHECK(tokens(r["balance_by_source"]["plan"]["remaining_tokens"]) == 18'941'500);
    CHECK(tokens(r["balance_by_source"]["promotion"]["remaining_tokens"]) == 540'400);
}

TEST_CASE("§4 demo ledger: the grants, what they gave, and what expired") {
    const json r = account_report(demo(), demo_at);
    const std::vector<GrantRow> expected{
        // 500 signup credits, never expire.
        {"e0001", "signup", 5'000'000, 61'500, 0, 4'938'500, "", true},
        // September's Standard grant (2,000 credits) used ~141.37 and expired at the period's end.
        {"e0010", "plan", 20'000'000, 1'413'700, 18'586'300, 0, "2026-10-03T00:00:00Z", false},
        // The 1,000-credit pack is never touched: free and plan credits burn first.
        {"e0047", "purchase", 10'000'000, 0, 0, 10'000'000, "", true},
        // October's billing written 2026-10-03T08:00:00+08:00 without period_end: one month in +08:00.
        {"e0160", "plan", 20'000'000, 1'892'400, 18'107'600, 0, "2026-11-03T00:00:00Z", false},
        // The 25.5-credit goodwill promotion: ~4.9 used, ~20.6 expired.
        {"e0345", "promotion", 255'000, 49'000, 206'000, 0, "2026-11-09T16:00:00Z", false},
        // November's billing with credits: 2000 on the event.
        {"e0346", "plan", 20'000'000, 1'058'500, 0, 18'941'500, "2026-12-05T00:00:00Z", true},
        // The 60-credit Black Friday promotion.
        {"e0461", "promotion", 600'000, 59'600, 0, 540'400, "2026-12-03T16:00:00Z", true},
    };
    CHECK(grant_rows(r) == expected);
    CHECK(grant(r, "e0160")["period_start"] == "2026-10-03T00:00:00Z");
    CHECK(grant(r, "e0160")["period_end"] == "2026-11-03T00:00:00Z");
    CHECK(grant(r, "e0047")["pack"] == "pack_1000");

    const std::vector<json> expiries = entries(r, "expiry");
    REQUIRE(expiries.size() == 3);
    CHECK(expiries[0]["grant_id"] == "e0010");
    CHECK(tokens(expiries[0]["tokens"]) == 18'586'300);
    // The September grant expires at the instant the October grant arrives: expiry first.
    const std::vector<json> ledger(r["ledger"].begin(), r["ledger"].end());
    const auto expiry_at = std::find_if(ledger.begin(), ledger.end(),
                                        [](const json& e) { return e["kind"] == "expiry" && e["grant_id"] == "e0010"; });
    REQUIRE(expiry_at != ledger.end());
    REQUIRE(expiry_at + 1 != ledger.end());
    CHECK((*(expiry_at + 1))["kind"] == "grant");
    CHECK((*(expiry_at + 1))["grant_id"] == "e0160");
    CHECK((*(expiry_at + 1))["at"] == "2026-10-03T00:00:00Z");
}

TEST_CASE("§4 demo ledger: the failed November renewal granted nothing and is listed") {
    const json r = account_report(demo(), demo_at);
    REQUIRE(r["failed_billings"].size() == 1);
    CHECK(r["failed_billings"][0] ==
          json{{"id", "e0339"}, {"at", "2026-11-03T00:00:00Z"}, {"plan", "standard"},
               {"period_start", "2026-11-03T00:00:00Z"}, {"period_end", "2026-12-03T00:00:00Z"}});
    CHECK(entries(r, "billing_failed").size() == 1);
}

TEST_CASE("§12 demo ledger: what expires next is the Black Friday promotion") {
    const json r = account_report(demo(), demo_at);
    CHECK(r["expires_next"] == json{{"expires_at", "2026-12-03T16:00:00Z"},
                                    {"remaining_tokens", 540'400},
                                    {"remaining_credits", "54.0400"},
                                    {"grant_ids", {"e0461"}}});
}

TEST_CASE("§2 demo ledger: usage in every category, per project and per day in +08:00") {
    const json r = account_report(demo(), demo_at);
    const json& free = r["usage"]["free"];
    CHECK(tokens(free["cache_hit_tokens"]) == 32'574'698);
    CHECK(tokens(free["summarization_tokens"]) == 2'025'249);
    CHECK(tokens(free["other_service_tokens"]) == 3'123'967);
    CHECK(tokens(free["cancelled_tokens"]) == 137'000);
    CHECK(tokens(free["pending_tokens"]) == 138'000);
    CHECK(tokens(r["usage"]["total_tokens"]) == 42'533'614);

    REQUIRE(r["projects"].size() == 5);
    CHECK(project_row(r, "prj_docs")["name"] == "Docs & \"Guides\" <beta>");
    CHECK(tokens(project_row(r, "prj_docs")["charged_tokens"]) == 1'171'500);
    CHECK(tokens(project_row(r, "prj_mobile")["charged_tokens"]) == 1'643'400);
    CHECK(tokens(project_row(r, "prj_shop")["free"]["cancelled_tokens"]) == 64'000);

    // The pipeline session in progress runs past local midnight: local date 2026-12-01.
    REQUIRE(r["daily"].size() == 61);
    CHECK(r["daily"][0]["date"] == "2026-09-01");
    CHECK(r["daily"].back()["date"] == "2026-12-01");
    CHECK(tokens(r["daily"].back()["free"]["pending_tokens"]) > 0);
}

TEST_CASE("§8 demo ledger: cancelled, charged and pending sessions in the project reports") {
    const json shop = project_report(demo(), "prj_shop", demo_at);
    CHECK(task_row(shop, "t2")["status"] == "cancelled");
    CHECK(task_row(shop, "t2")["cancelled_at"] == "2026-09-22T06:36:18.35Z");
    CHECK(session_row(shop, "t2", "s1")["status"] == "cancelled");
    CHECK(session_row(shop, "t2", "s1")["charge"].is_null());
    CHECK(tokens(session_row(shop, "t2", "s1")["free"]["cancelled_tokens"]) == 64'000);

    const json mobile = project_report(demo(), "prj_mobile", demo_at);
    CHECK(session_row(mobile, "t8", "s1")["status"] == "completed");
    CHECK(tokens(session_row(mobile, "t8", "s1")["charge"]["charged_tokens"]) == 118'000);
    CHECK(session_row(mobile, "t8", "s2")["status"] == "cancelled");
    CHECK(tokens(session_row(mobile, "t8", "s2")["free"]["cancelled_tokens"]) == 73'000);

    CHECK(session_row(project_report(demo(), "prj_docs", demo_at), "t9", "s1")["status"] == "in_progress");
    const json pipeline = project_report(demo(), "prj_pipeline", demo_at);
    CHECK(session_row(pipeline, "t6", "s1")["status"] == "in_progress");
    CHECK(tokens(session_row(pipeline, "t6", "s1")["free"]["pending_tokens"]) == 96'000);
}

TEST_CASE("§12 demo ledger: the forecast at 2026-12-01, worked by hand") {
    const json f = forecast(demo(), demo_at);
    // 1,202,700 tokens charged in November's 30 days.
    CHECK(tokens(f["window_charged_tokens"]) == 1'202'700);
    CHECK(f["rate_tokens_per_day"] == 40'090);
    CHECK(tokens(f["balance_tokens"]) == 34'420'400);
    // The promotion burns first: floor(1,202,700 x 230,400 s / 2,592,000 s) = 106,906 by its expiry.
    REQUIRE(f["grants"].size() == 2);
    CHECK(f["grants"][1]["id"] == "e0461");
    CHECK(tokens(f["grants"][1]["likely_unused_tokens"]) == 540'400 - 106'906);
    // Then the plan until 2026-12-05: 160,360 consumed in all, 53,454 from it.
    CHECK(f["grants"][0]["id"] == "e0346");
    CHECK(tokens(f["grants"][0]["likely_unused_tokens"]) == 18'941'500 - 53'454);
    // Then signup and the pack, 14,938,500 tokens: ceil(15,098,860 x 2,592,000 / 1,202,700) s after T.
    CHECK(f["runs_out_at"] == "2027-12-12T14:58:42Z");
}

TEST_CASE("§14 demo ledger: listing the events backwards, or twice, changes no figure") {
    json doc = json::parse(demo_text());
    json reversed = doc;
    std::reverse(reversed["events"].begin(), reversed["events"].end());
    credits::LoadedLedger backwards = load(reversed.dump(), default_engine());
    CHECK(backwards.report(demo_at).json == demo().report(demo_at).json);

    json twice = doc;
    for (const json& e : doc["events"]) twice["events"].push_back(e);
    credits::LoadedLedger doubled = load(twice.dump(), default_engine());
    json with_duplicates = account_report(doubled, demo_at);
    CHECK(with_duplicates["duplicates_ignored"] == 481);
    with_duplicates["duplicates_ignored"] = 0;
    CHECK(with_duplicates == json::parse(demo().report(demo_at).json));
}
