// Property tests over seeded random valid ledgers (spec §14).
//
// A generator (tests/ledger_generator.h, shared with the checkpoint's
// property tests) builds valid ledger documents from a seed: a few projects,
// tasks and sessions; every grant kind (signup, purchases, promotions with and
// without expiry, plan billings with default and explicit periods and credit
// overrides, failed billings); completions, pending sessions, cancellations
// (some repeated), summarization and other services, provider usage objects of
// every format, instants written in other offsets and with fractions, several
// events at one instant, ids that sort in surprising byte orders; and usage
// large enough for overdrafts to happen. For every ledger it checks:
//
//   conservation      every report's figures (the fuzz targets' checks, tests/fuzz/fuzz_checks.h)
//   idempotence       an exact duplicate of any event (members reordered or not) changes no figure
//   order             any shuffle of the events gives the same bytes
//   monotonicity      a charged usage never raises the balance; a grant never lowers it
//   truncation        the report at T equals the report of the document cut to events <= T
//
// The number of ledgers is CREDITS_PROPERTY_LEDGERS (env) or, by default,
// 10,000 in optimized native builds and fewer under sanitizers/Debug/WebAssembly.
// The first seed is CREDITS_PROPERTY_SEED (default 20260901); ledger i uses
// seed + i. A failure names its seed: rerun it alone with
//   CREDITS_PROPERTY_SEED=<seed> CREDITS_PROPERTY_LEDGERS=1 build/native/credits_tests "[property]"
//
// Native/WASM parity on a sample: tests/vectors/generated/ holds 20 generated
// ledgers with the native report (NAME.ledger.json, NAME.query.json {"at"},
// NAME.report.json). "generated parity vectors" checks this build gives those
// exact bytes (so the wasm build is held to the native output); the hidden
// test "[.write-generated]" rewrites them from a native build.
#define CREDITS_FUZZ_THROW 1
#include "fuzz/fuzz_checks.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/api.h"
#include "credits/instant.h"
#include "ledger_generator.h"

namespace {

using namespace ledger_generator;
using credits::nanos_per_day;
using credits::nanos_per_second;

const credits::Engine& engine() { return credits_fuzz::default_engine(); }

credits::LoadedLedger load(const std::string& text) {
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine().load(text, &errors);
    if (!account) FAIL("a generated ledger was rejected: " << errors.substr(0, 2000) << "\nledger: " << text.substr(0, 4000));
    return std::move(*account);
}

// Everything asked at T: the account report, the forecast and each project report.
struct Answers {
    std::string report;
    std::string forecast;
    std::vector<std::string> projects;
    friend bool operator==(const Answers&, const Answers&) = default;
};

Answers ask(credits::LoadedLedger& account, const std::string& at, const std::vector<std::string>& projects) {
    Answers a;
    const credits::Answer report = account.report(at);
    REQUIRE(report.ok);
    a.report = report.json;
    const credits::Answer forecast = account.forecast(at);
    REQUIRE(forecast.ok);
    a.forecast = forecast.json;
    for (const std::string& p : projects) {
        const credits::Answer project = account.project(p, at);
        REQUIRE(project.ok);
        a.projects.push_back(project.json);
    }
    return a;
}

// An account report ends with ..."duplicates_ignored":N,"events_after_at":M} (docs/report-format.md);
// splits it there, without parsing (the reports are compared thousands of times).
struct Tail {
    std::string body;  // everything before ,"duplicates_ignored"
    std::int64_t duplicates_ignored = 0;
    std::int64_t events_after_at = 0;
};
Tail split_tail(const std::string& report) {
    const std::string key = ",\"duplicates_ignored\":";
    const std::size_t at = report.rfind(key);
    REQUIRE(at != std::string::npos);
    Tail t;
    t.body = report.substr(0, at);
    const std::string rest = report.substr(at + key.size());
    t.duplicates_ignored = std::stoll(rest);
    const std::string key2 = ",\"events_after_at\":";
    const std::size_t at2 = rest.find(key2);
    REQUIRE(at2 != std::string::npos);
    t.events_after_at = std::stoll(rest.substr(at2 + key2.size()));
    REQUIRE(report.back() == '}');
    return t;
}

// The account's balance: the first "balance_tokens" member is the report's own
// (the header before it holds no such member).
std::int64_t balance(const std::string& report) {
    const std::string key = "\"balance_tokens\":";
    const std::size_t at = report.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoll(report.substr(at + key.size(), 24));
}

// The same event with its members in reverse order: still an exact duplicate (spec §10).
OJson reordered(const OJson& value) {
    if (!value.is_object()) return value;
    OJson out = OJson::object();
    std::vector<std::pair<std::string, OJson>> members;
    for (const auto& [k, v] : value.items()) members.emplace_back(k, reordered(v));
    for (auto it = members.rbegin(); it != members.rend(); ++it) out[it->first] = it->second;
    return out;
}

void check_report(const std::string& json, bool default_range = true) {
    credits_fuzz::check_account_report(credits_fuzz::OJson::parse(json), default_range);
}

// One ledger through every property.
void check_properties(std::uint64_t seed) {
    Generator generator(seed);
    const Generated g = generator.make();
    Rng rng(seed ^ 0x5EEDULL);
    const std::string text = g.text();
    credits::LoadedLedger account = load(text);

    // Instants: one inside the history (often exactly an event's), one after it.
    const std::int64_t inside = rng.chance(50) ? rng.pick(g.events).at_ns
                                               : g.opened_ns + rng.below((g.last_ns - g.opened_ns) / nanos_per_second + 1) * nanos_per_second;
    const std::int64_t after = g.last_ns + rng.between(0, 60) * nanos_per_day;
    const std::string at_inside = credits::format_instant(inside);
    const std::string at_after = credits::format_instant(after);

    // Conservation and every figure's sums, at both instants.
    const Answers base_inside = ask(account, at_inside, g.projects);
    const Answers base_after = ask(account, at_after, g.projects);
    check_report(base_inside.report);
    check_report(base_after.report);
    if (seed % 25 == 0) credits_fuzz::check_account(account);

    {   // Idempotence: an exact duplicate of any event changes no figure.
        std::vector<Event> events = g.events;
        const Event& original = rng.pick(g.events);
        Event copy{rng.chance(50) ? reordered(original.json) : original.json, original.at_ns, {}};
        events.insert(events.begin() + static_cast<std::ptrdiff_t>(rng.below(static_cast<std::int64_t>(events.size()) + 1)), copy);
        credits::LoadedLedger dup = load(g.text(events));
        const Answers a = ask(dup, at_inside, g.projects);
        INFO("duplicated event " << original.json.dump());
        const Tail got = split_tail(a.report);
        const Tail want = split_tail(base_inside.report);
        CHECK(got.body == want.body);
        CHECK(got.events_after_at == want.events_after_at);  // counts distinct events only
        CHECK(got.duplicates_ignored == 1);
        CHECK(a.forecast == base_inside.forecast);
        CHECK(a.projects == base_inside.projects);
    }
    {   // Order independence: any shuffle gives the same bytes.
        std::vector<Event> events = g.events;
        rng.shuffle(events);
        credits::LoadedLedger shuffled = load(g.text(events));
        CHECK(ask(shuffled, at_after, g.projects) == base_after);
    }
    {   // Monotonicity: a charged usage never raises the balance.
        const std::int64_t used_at = g.opened_ns + rng.below((inside - g.opened_ns) / nanos_per_second + 1) * nanos_per_second;
        const std::int64_t done_at = used_at + rng.below((inside - used_at) / nanos_per_second + 1) * nanos_per_second;
        std::vector<Event> events = g.events;
        OJson u{{"id", "mono-u"}, {"type", "usage"}, {"at", credits::format_instant(used_at)}, {"project_id", g.projects[0]},
                {"task_id", "mono-task"}, {"session_id", "mono-s"}, {"service", "agent_chat"},
                {"tokens", {{"output", rng.between(1, 5'000'000)}, {"input_cache_miss", rng.below(5'000'000)}}}};
        OJson c{{"id", "mono-c"}, {"type", "session_completed"}, {"at", credits::format_instant(done_at)},
                {"project_id", g.projects[0]}, {"task_id", "mono-task"}, {"session_id", "mono-s"}};
        events.push_back({u, used_at, {}});
        events.push_back({c, done_at, {}});
        credits::LoadedLedger more = load(g.text(events));
        const credits::Answer r = more.report(at_inside);
        REQUIRE(r.ok);
        if (seed % 10 == 0) check_report(r.json);
        INFO("charged usage at " << u["at"] << ", completed at " << c["at"]);
        CHECK(balance(r.json) <= balance(base_inside.report));
    }
    {   // Monotonicity: a grant never lowers the balance.
        const std::int64_t granted_at = g.opened_ns + rng.below((inside - g.opened_ns) / nanos_per_second + 1) * nanos_per_second;
        OJson e{{"id", "mono-g"}, {"at", credits::format_instant(granted_at)}};
        switch (rng.below(3)) {
            case 0: e["type"] = "credits_purchased"; e["credits"] = rng.between(1, 500); break;
            case 1:
                e["type"] = "credits_granted";
                e["credits"] = "0." + std::to_string(rng.between(1000, 9999));
                e["expires_at"] = credits::format_instant(granted_at + rng.between(1, 40 * 86400) * nanos_per_second);
                break;
            default:
                e["type"] = "subscription_billed";
                e["plan"] = "standard";
                e["outcome"] = "succeeded";
                break;
        }
        std::vector<Event> events = g.events;
        events.push_back({e, granted_at, {}});
        credits::LoadedLedger more = load(g.text(events));
        const credits::Answer r = more.report(at_inside);
        REQUIRE(r.ok);
        if (seed % 10 == 0) check_report(r.json);
        INFO("added grant " << e.dump());
        CHECK(balance(r.json) >= balance(base_inside.report));
    }
    {   // Truncation: the report at T equals the report of the document cut to events <= T.
        // Only `events_after_at` (what was cut) and `duplicates_ignored` (duplicates after T
        // are cut too) may differ; these ledgers hold no duplicates, so it is equal here.
        std::vector<Event> events;
        for (const Event& e : g.events)
            if (e.at_ns <= inside) events.push_back(e);
        credits::LoadedLedger cut = load(g.text(events));
        const Answers a = ask(cut, at_inside, g.projects);
        const Tail got = split_tail(a.report);
        const Tail want = split_tail(base_inside.report);
        CHECK(got.body == want.body);
        CHECK(got.events_after_at == 0);
        CHECK(want.events_after_at == static_cast<std::int64_t>(g.events.size() - events.size()));
        CHECK(a.forecast == base_inside.forecast);
        CHECK(a.projects == base_inside.projects);
    }
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

constexpr int generated_vectors = 20;
constexpr std::uint64_t generated_first_seed = 7000;

std::string vector_name(int i) {
    std::string n = std::to_string(i);
    return "tests/vectors/generated/gen-" + std::string(3 - n.size(), '0') + n;
}

// The instant a vector is asked at: inside its history, so events after T exist too.
std::string vector_at(const Generated& g, std::uint64_t seed) {
    Rng rng(seed);
    return credits::format_instant(g.opened_ns + rng.below((g.last_ns - g.opened_ns) / nanos_per_second + 1) * nanos_per_second);
}

}  // namespace

TEST_CASE("properties hold for seeded random valid ledgers", "[property]") {
    const std::uint64_t count = ledger_count();
    const std::uint64_t seed0 = first_seed();
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t seed = seed0 + i;
        INFO("seed " << seed << " (rerun: CREDITS_PROPERTY_SEED=" << seed << " CREDITS_PROPERTY_LEDGERS=1 credits_tests \"[property]\")");
        check_properties(seed);
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("property tests: " << count << " ledgers from seed " << seed0 << " in " << seconds << " s");
}

TEST_CASE("the ledger generator covers what the properties need", "[property]") {
    // Over the first 200 seeds: overdrafts, expiries, repayments, cancellations, pending
    // sessions, failed billings and every provider format all happen.
    int overdrafts = 0, expiries = 0, repayments = 0, cancelled = 0, pending = 0, failed = 0, formats = 0;
    for (std::uint64_t seed = first_seed(); seed < first_seed() + 200; ++seed) {
        const Generated g = Generator(seed).make();
        const std::string text = g.text();
        credits::LoadedLedger account = load(text);
        const OJson r = OJson::parse(account.report(credits::format_instant(g.last_ns)).json);
        for (const OJson& e : r["ledger"]) {
            overdrafts += e["kind"] == "charge" && e["overdraft_tokens"] > 0;
            expiries += e["kind"] == "expiry";
            repayments += e["kind"] == "repayment";
            failed += e["kind"] == "billing_failed";
        }
        cancelled += r["usage"]["free"]["cancelled_tokens"] > 0;
        pending += r["usage"]["free"]["pending_tokens"] > 0;
        formats += text.find("\"gemini\"") != std::string::npos;
    }
    CHECK(overdrafts > 20);
    CHECK(expiries > 20);
    CHECK(repayments > 10);
    CHECK(cancelled > 20);
    CHECK(pending > 20);
    CHECK(failed > 10);
    CHECK(formats > 20);
}

TEST_CASE("generated parity vectors: this build gives the native bytes", "[property][parity]") {
    for (int i = 0; i < generated_vectors; ++i) {
        const std::string name = vector_name(i);
        CAPTURE(name);
        const std::string ledger = read_file(name + ".ledger.json");
        const OJson query = OJson::parse(read_file(name + ".query.json"));
        credits::LoadedLedger account = load(ledger);
        const credits::Answer report = account.report(query.at("at").get<std::string>());
        REQUIRE(report.ok);
        CHECK(report.json == read_file(name + ".report.json"));
        // The vectors are still what the generator makes (the generator is portable).
        const Generated g = Generator(generated_first_seed + static_cast<std::uint64_t>(i)).make();
        CHECK(g.text() == ledger);
    }
}

TEST_CASE("write the generated parity vectors (native only, on request)", "[.write-generated]") {
#ifdef __EMSCRIPTEN__
    FAIL("write the vectors from a native build");
#endif
    for (int i = 0; i < generated_vectors; ++i) {
        const std::uint64_t seed = generated_first_seed + static_cast<std::uint64_t>(i);
        const Generated g = Generator(seed).make();
        const std::string text = g.text();
        const std::string at = vector_at(g, seed);
        credits::LoadedLedger account = load(text);
        const credits::Answer report = account.report(at);
        REQUIRE(report.ok);
        const std::string name = vector_name(i);
        std::ofstream(name + ".ledger.json", std::ios::binary) << text;
        std::ofstream(name + ".query.json", std::ios::binary) << OJson{{"at", at}}.dump();
        std::ofstream(name + ".report.json", std::ios::binary) << report.json;
    }
}
