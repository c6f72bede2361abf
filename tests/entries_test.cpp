// The account report without its ledger[] and that array a page at a time
// (LoadedLedger::report_summary, LoadedLedger::entries): what a page showing a few
// entries asks for instead of the whole array. Every page must hold exactly
// the entries, and the bytes, the whole report's ledger[] holds.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
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

json page(credits::LoadedLedger& account, std::int64_t offset, std::int64_t limit, std::string_view kinds = {},
          std::string_view order = {}) {
    const credits::Answer answer = account.entries(demo_at, offset, limit, kinds, order);
    REQUIRE(answer.ok);
    return json::parse(answer.json);
}

std::string first_error_pointer(const credits::Answer& answer) {
    REQUIRE_FALSE(answer.ok);
    return json::parse(answer.json).at("errors").at(0).at("pointer").get<std::string>();
}

}  // namespace

TEST_CASE("entries: pages of 7 in ledger order put together are the report's ledger[]") {
    credits::LoadedLedger account = load(demo_text(), default_engine());
    const json report = json::parse(account.report(demo_at).json);
    const json& all = report.at("ledger");
    REQUIRE(all.size() > 20);
    json joined = json::array();
    for (std::int64_t offset = 0; offset < static_cast<std::int64_t>(all.size()) + 7; offset += 7) {
        const json p = page(account, offset, 7);
        CHECK(p.at("total") == all.size());
        CHECK(p.at("offset") == offset);
        CHECK(p.at("at") == demo_at);
        CHECK(p.at("entries").size() <= 7);
        for (const json& e : p.at("entries")) joined.push_back(e);
    }
    CHECK(joined == all);
}

TEST_CASE("entries: newest first is ledger[] reversed, and a kind filter keeps only those kinds") {
    credits::LoadedLedger account = load(demo_text(), default_engine());
    const json all = json::parse(account.report(demo_at).json).at("ledger");
    const json newest = page(account, 0, 10000, {}, "newest").at("entries");
    REQUIRE(newest.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) CHECK(newest[i] == all[all.size() - 1 - i]);

    json not_charges = json::array();
    for (const json& e : all) {
        if (e.at("kind") != "charge") not_charges.push_back(e);
    }
    REQUIRE_FALSE(not_charges.empty());
    const json p = page(account, 0, 10000, "grant,repayment,expiry,billing_failed");
    CHECK(p.at("total") == not_charges.size());
    CHECK(p.at("entries") == not_charges);
    const json charges = page(account, 3, 5, "charge", "newest");
    CHECK(charges.at("total") == all.size() - not_charges.size());
    REQUIRE(charges.at("entries").size() == 5);
    for (const json& e : charges.at("entries")) CHECK(e.at("kind") == "charge");
}

TEST_CASE("entries: an entry's bytes are the same as in the whole report") {
    credits::LoadedLedger account = load(demo_text(), default_engine());
    const std::string whole = account.report(demo_at).json;
    const std::string one = account.entries(demo_at, 5, 1).json;
    const std::size_t open = one.find("\"entries\":[") + 11;
    const std::string entry = one.substr(open, one.size() - open - 2);
    REQUIRE(entry.front() == '{');
    CHECK(whole.find(entry) != std::string::npos);
}

TEST_CASE("entries: past the end is an empty page with the total; limits and names are checked") {
    credits::LoadedLedger account = load(demo_text(), default_engine());
    const json p = page(account, 100000, 40);
    CHECK(p.at("entries").empty());
    CHECK(p.at("total").get<std::int64_t>() > 0);
    CHECK(first_error_pointer(account.entries(demo_at, 0, 0)) == "/limit");
    CHECK(first_error_pointer(account.entries(demo_at, 0, credits::LoadedLedger::entries_limit_max + 1)) == "/limit");
    CHECK(first_error_pointer(account.entries(demo_at, -1, 5)) == "/offset");
    CHECK(first_error_pointer(account.entries(demo_at, 0, 5, "charge,refund")) == "/kind");
    CHECK(first_error_pointer(account.entries(demo_at, 0, 5, "charge,")) == "/kind");
    CHECK(first_error_pointer(account.entries(demo_at, 0, 5, {}, "latest")) == "/order");
    CHECK(first_error_pointer(account.entries("yesterday", 0, 5)) == "/at");
    // Every problem of the question is named, not only the first.
    const json errors = json::parse(account.entries("", -1, 0, "x", "y").json).at("errors");
    std::vector<std::string> pointers;
    for (const json& e : errors) pointers.push_back(e.at("pointer").get<std::string>());
    CHECK(pointers == std::vector<std::string>{"/at", "/offset", "/limit", "/kind", "/order"});
}

TEST_CASE("report_summary: the whole report without ledger[], which ledger_entries counts") {
    credits::LoadedLedger account = load(demo_text(), default_engine());
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"", ""},
                                   {"2026-11-01T00:00:00+08:00", "2026-11-20T00:00:00Z"}}) {
        json whole = json::parse(account.report(demo_at, from, to).json);
        const credits::Answer summary = account.report_summary(demo_at, from, to);
        REQUIRE(summary.ok);
        json parsed = json::parse(summary.json);
        CHECK(parsed.at("ledger_entries") == whole.at("ledger").size());
        whole.erase("ledger");
        parsed.erase("ledger_entries");
        CHECK(parsed == whole);
    }
    CHECK_FALSE(account.report_summary("2026-12-01").ok);
}
