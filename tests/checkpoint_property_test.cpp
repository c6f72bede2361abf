// The checkpoint's equivalence (docs/checkpoint-format.md), over seeded random
// valid ledgers (tests/ledger_generator.h, the same ones as property_test.cpp).
// For each ledger L, a random S after the opening and T >= S, with
// C = checkpoint(L, S):
//
//   load        C is an accepted ledger document
//   report      report(C, T) equals report(L, T) in every member but ledger[]
//               (and C's checkpoint_at); C's ledger[] is the opening entries,
//               then exactly L's entries dated at or after S
//   ranges      the reports for from = S, and for from/to on account-day
//               boundaries after S, are equal (ledger[] aside)
//   forecast    forecast(C, T) == forecast(L, T), byte for byte
//   projects    each project report for from = S is equal (its "before_checkpoint"
//               figures are zero); for the default range its totals and daily rows are
//   again       checkpoint(C, S2) == checkpoint(L, S2) for S <= S2 <= T, byte for byte
//
// The count is CREDITS_PROPERTY_LEDGERS, as in property_test.cpp, but 10,000 by
// default in the WebAssembly build too (the contract asks for 10,000 in both
// builds; measured about 40 s of CPU under Node); 300 under sanitizers/Debug.
// A failure names its seed: rerun it alone with
//   CREDITS_PROPERTY_SEED=<seed> CREDITS_PROPERTY_LEDGERS=1 build/native/credits_tests "[checkpoint][property]"
#define CREDITS_FUZZ_THROW 1
#include "fuzz/fuzz_checks.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/api.h"
#include "credits/instant.h"
#include "ledger_generator.h"

namespace {

using namespace ledger_generator;

// A rejection fails this ledger (and the run goes on with the next one).
std::optional<credits::LoadedLedger> load_or_fail(const std::string& text, const char* what) {
    std::string errors;
    std::optional<credits::LoadedLedger> account = credits_fuzz::default_engine().load(text, &errors);
    if (!account) FAIL_CHECK(what << " was rejected: " << errors.substr(0, 2000) << "\ndocument: " << text.substr(0, 6000));
    return account;
}

std::string answer_of(const credits::Answer& answer) {
    INFO(answer.json.substr(0, 2000));
    REQUIRE(answer.ok);
    return answer.json;
}

// A report without the members a checkpoint may change: its ledger[] (compared
// on its own) and "checkpoint_at" (only a checkpointed document has it).
OJson without_detail(const std::string& report) {
    OJson value = OJson::parse(report);
    value.erase("ledger");
    value.erase("checkpoint_at");
    return value;
}

std::int64_t instant_ns(const OJson& text) {
    const std::optional<credits::Instant> instant = credits::parse_instant(text.get<std::string>());
    REQUIRE(instant);
    return instant->ns;
}

// C's ledger[]: its "opening" entries first, then L's entries dated at or after S.
void check_entries(const std::string& whole_report, const std::string& checkpointed_report, std::int64_t s_ns) {
    const OJson whole = OJson::parse(whole_report).at("ledger");
    const OJson checkpointed = OJson::parse(checkpointed_report).at("ledger");
    std::size_t openings = 0;
    while (openings < checkpointed.size() && checkpointed[openings].at("kind") == "opening") ++openings;
    OJson after = OJson::array();
    for (const OJson& e : whole)
        if (instant_ns(e.at("at")) >= s_ns) after.push_back(e);
    OJson rest = OJson::array();
    for (std::size_t i = openings; i < checkpointed.size(); ++i) rest.push_back(checkpointed[i]);
    CHECK(rest.dump() == after.dump());
}

// The same question to both documents: equal, ledger[] aside.
void check_same_report(credits::LoadedLedger& whole, credits::LoadedLedger& checkpointed, const std::string& at,
                       const std::string& from, const std::string& to) {
    INFO("report at " << at << " from " << from << " to " << to);
    const std::string a = answer_of(whole.report(at, from, to));
    const std::string b = answer_of(checkpointed.report(at, from, to));
    CHECK(without_detail(b).dump() == without_detail(a).dump());
}

void check_projects(credits::LoadedLedger& whole, credits::LoadedLedger& checkpointed, const Generated& g,
                    const std::string& at, const std::string& s_text) {
    for (const std::string& p : g.projects) {
        INFO("project " << p << " at " << at);
        const std::string a = answer_of(whole.project(p, at, s_text));
        OJson b = without_detail(answer_of(checkpointed.project(p, at, s_text)));
        // A range from S holds no history: the summarized figures are all zero.
        REQUIRE(b.contains("before_checkpoint"));
        CHECK(b["before_checkpoint"]["total_tokens"] == 0);
        b.erase("before_checkpoint");
        CHECK(b.dump() == without_detail(a).dump());
        const OJson all_a = OJson::parse(answer_of(whole.project(p, at)));
        const OJson all_b = OJson::parse(answer_of(checkpointed.project(p, at)));
        CHECK(all_b.at("usage").dump() == all_a.at("usage").dump());
        CHECK(all_b.at("daily").dump() == all_a.at("daily").dump());
    }
}

// A random instant in (lo, hi]: often one of the events' (S at an event is
// the boundary that matters), else a random second or nanosecond.
std::int64_t instant_after(Rng& rng, const Generated& g, std::int64_t lo, std::int64_t hi) {
    if (rng.chance(40)) {
        const std::int64_t t = rng.pick(g.events).at_ns;
        if (t > lo && t <= hi) return t;
    }
    if (rng.chance(10)) return std::min(hi, lo + 1);
    return lo + 1 + rng.below(hi - lo);
}

void check_checkpoint(std::uint64_t seed) {
    const Generated g = Generator(seed).make();
    Rng rng(seed ^ 0xC4EC4017ULL);
    std::optional<credits::LoadedLedger> whole_or = load_or_fail(g.text(), "a generated ledger");
    if (!whole_or) return;
    credits::LoadedLedger& whole = *whole_or;
    const std::int64_t end_ns = g.last_ns + rng.between(0, 45) * credits::nanos_per_day;
    const std::int64_t s_ns = instant_after(rng, g, g.opened_ns, end_ns);
    const std::int64_t t_ns = rng.chance(15) ? s_ns : instant_after(rng, g, s_ns - 1, end_ns + credits::nanos_per_day);
    const std::string s_text = credits::format_instant(s_ns);
    const std::string t_text = credits::format_instant(t_ns);
    INFO("S = " << s_text << ", T = " << t_text);

    const std::string c_text = answer_of(whole.checkpoint(s_text));
    INFO("checkpoint: " << c_text.substr(0, 6000));
    std::optional<credits::LoadedLedger> checkpointed_or = load_or_fail(c_text, "the checkpointed document");
    if (!checkpointed_or) return;
    credits::LoadedLedger& checkpointed = *checkpointed_or;

    const std::string a = answer_of(whole.report(t_text));
    const std::string b = answer_of(checkpointed.report(t_text));
    CHECK(without_detail(b).dump() == without_detail(a).dump());
    check_entries(a, b, s_ns);
    CHECK(answer_of(checkpointed.forecast(t_text)) == answer_of(whole.forecast(t_text)));

    check_same_report(whole, checkpointed, t_text, s_text, "");
    const int offset = whole.ledger().utc_offset_minutes;
    const std::int64_t first_day = credits::local_day(s_ns, offset) + 1;  // starts after S
    const std::int64_t last_day = credits::local_day(t_ns, offset);
    if (first_day <= last_day) {
        const std::int64_t from_day = first_day + rng.below(last_day - first_day + 1);
        const std::int64_t to_day = from_day + rng.below(last_day - from_day + 1);
        check_same_report(whole, checkpointed, t_text, credits::format_day(from_day), "");
        check_same_report(whole, checkpointed, t_text, credits::format_day(from_day), credits::format_day(to_day));
    }
    check_projects(whole, checkpointed, g, t_text, s_text);

    const std::int64_t s2_ns = rng.chance(20) ? s_ns : instant_after(rng, g, s_ns - 1, t_ns);
    const std::string s2_text = credits::format_instant(s2_ns);
    INFO("S2 = " << s2_text);
    CHECK(answer_of(checkpointed.checkpoint(s2_text)) == answer_of(whole.checkpoint(s2_text)));
}

}  // namespace

TEST_CASE("a checkpointed document answers like the whole history", "[property][checkpoint]") {
#if defined(__EMSCRIPTEN__) && defined(NDEBUG)
    const std::uint64_t count = env_number("CREDITS_PROPERTY_LEDGERS", 10'000);
#else
    const std::uint64_t count = ledger_count();
#endif
    const std::uint64_t seed0 = first_seed();
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t seed = seed0 + i;
        INFO("seed " << seed << " (rerun: CREDITS_PROPERTY_SEED=" << seed
                     << " CREDITS_PROPERTY_LEDGERS=1 credits_tests \"[checkpoint][property]\")");
        check_checkpoint(seed);
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("checkpoint equivalence: " << count << " ledgers from seed " << seed0 << " in " << seconds << " s");
}
