// The append property over seeded random valid ledgers (tests/ledger_generator.h):
// for a ledger L (with exact repeats added, members sometimes reordered),
// loading L whole gives every byte that loading a prefix of its events and
// appending the rest as random fragments, in any order, gives -- the account
// report, the forecast, every project report and the summary, at several
// instants. The split may separate a repeat from its original, a completion
// from its usage (the completion first), a project's events from its listing.
// Along the way one fragment that must be rejected (a conflict, an unknown
// project, an event before the opening, another account, a second opening)
// is tried: it is rejected and changes no byte, and the good fragments after
// it are added as if it had never come.
//
// The number of ledgers is CREDITS_PROPERTY_LEDGERS, as for the other
// properties (10,000 by default natively and in the WebAssembly build, 300
// under sanitizers); a failure names its seed: rerun it alone with
//   CREDITS_PROPERTY_SEED=<seed> CREDITS_PROPERTY_LEDGERS=1 build/native/credits_tests "[append]"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/api.h"
#include "credits/instant.h"
#include "ledger_generator.h"

namespace {

using ledger_generator::Event;
using ledger_generator::Generated;
using ledger_generator::OJson;
using ledger_generator::Rng;

const credits::Engine& engine() {
    static const credits::Engine e = credits::Engine::with_defaults();
    return e;
}

credits::LoadedLedger load(const std::string& text) {
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine().load(text, &errors);
    if (!account) FAIL("a generated ledger was rejected: " << errors.substr(0, 2000) << "\nledger: " << text.substr(0, 4000));
    return std::move(*account);
}

std::vector<std::string> answers(credits::LoadedLedger& ledger, const std::vector<std::string>& instants,
                                 const std::vector<std::string>& projects) {
    std::vector<std::string> all{ledger.summary_json()};
    for (const std::string& at : instants) {
        all.push_back(ledger.report(at).json);
        all.push_back(ledger.forecast(at).json);
        for (const std::string& p : projects) all.push_back(ledger.project(p, at).json);
    }
    return all;
}

// The members of an event in another order: the same JSON value.
OJson reordered(const OJson& event) {
    OJson out = OJson::object();
    for (auto it = event.rbegin(); it != event.rend(); ++it) out[it.key()] = it.value();
    return out;
}

std::string fragment_text(const OJson& account, const OJson& projects, const std::vector<const Event*>& events) {
    std::string text = OJson{{"format", "easycoda.ledger/1"}, {"account", account}}.dump();
    text.pop_back();
    if (!projects.empty()) text += ",\"projects\":" + projects.dump();
    text += ",\"events\":[";
    for (std::size_t i = 0; i < events.size(); ++i) text += (i > 0 ? "," : "") + events[i]->text;
    return text + "]}";
}

// A fragment the loaded ledger must reject, made from the ledger itself.
std::string bad_fragment(Rng& rng, const Generated& g, const std::vector<Event>& loaded, const OJson& account) {
    OJson event;
    OJson other_account = account;
    switch (rng.below(5)) {
        case 0: {  // a loaded id with different content
            event = rng.pick(loaded).json;
            event["at"] = credits::format_instant(g.last_ns + credits::nanos_per_day);
            break;
        }
        case 1:
            event = {{"id", "bad-1"}, {"type", "usage"}, {"at", credits::format_instant(g.last_ns)}, {"project_id", "no-such-project"},
                     {"service", "other"}, {"tokens", OJson::object()}};
            break;
        case 2:
            event = {{"id", "bad-1"}, {"type", "credits_granted"}, {"at", credits::format_instant(g.opened_ns - 1)}, {"credits", 1}};
            break;
        case 3:
            other_account["id"] = "someone-else";
            event = {{"id", "bad-1"}, {"type", "credits_granted"}, {"at", credits::format_instant(g.last_ns)}, {"credits", 1}};
            break;
        default:
            event = {{"id", "bad-1"}, {"type", "account_opened"}, {"at", credits::format_instant(g.last_ns)}};
            break;
    }
    Event bad;
    bad.text = event.dump();
    return fragment_text(other_account, OJson::array(), {&bad});
}

void check_split(std::uint64_t seed) {
    const Generated g = ledger_generator::Generator(seed).make();
    Rng rng(seed ^ 0xA99E4D5EEDULL);
    std::vector<Event> events = g.events;
    // Exact repeats, anywhere, some with their members in another order.
    for (std::int64_t r = rng.chance(40) ? rng.between(1, 3) : 0; r > 0; --r) {
        Event repeat = rng.pick(g.events);
        if (rng.chance(50)) repeat.json = reordered(repeat.json);
        repeat.text = repeat.json.dump();
        events.insert(events.begin() + static_cast<std::ptrdiff_t>(rng.below(static_cast<std::int64_t>(events.size()) + 1)), repeat);
    }
    // The prefix holds the opening (a loaded ledger is an account).
    const auto n = static_cast<std::int64_t>(events.size());
    const auto prefix = static_cast<std::size_t>(rng.between(1, n));
    std::size_t opening = 0;
    while (events[opening].json["type"] != "account_opened") ++opening;
    if (opening >= prefix) std::swap(events[opening], events[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(prefix)))]);
    const std::string whole_text = g.text(events);

    // Projects: the prefix lists what its events need and some more; each
    // fragment what its own events need that is not loaded yet (sometimes a
    // loaded one again); the last fragment whatever is left.
    std::map<std::string, OJson> project_items;
    for (const auto& p : g.header["projects"]) project_items[p["id"].get<std::string>()] = p;
    std::set<std::string> listed;
    const auto needs = [&](const std::vector<const Event*>& list, bool all_left) {
        OJson projects = OJson::array();
        std::set<std::string> wanted;
        for (const Event* e : list)
            if (e->json.contains("project_id")) wanted.insert(e->json["project_id"].get<std::string>());
        for (const auto& [id, item] : project_items) {
            const bool is_listed = listed.count(id) > 0;
            if ((!is_listed && (wanted.count(id) > 0 || all_left || rng.chance(20))) || (is_listed && rng.chance(10))) {
                projects.push_back(item);
                listed.insert(id);
            }
        }
        return projects;
    };
    std::vector<const Event*> loaded_events;
    for (std::size_t i = 0; i < prefix; ++i) loaded_events.push_back(&events[i]);
    const OJson loaded_projects = needs(loaded_events, false);
    OJson prefix_header = g.header;
    prefix_header["projects"] = loaded_projects;
    ledger_generator::Generated prefix_doc = g;
    prefix_doc.header = prefix_header;
    std::vector<Event> prefix_list(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(prefix));
    credits::LoadedLedger split = load(prefix_doc.text(prefix_list));

    std::vector<const Event*> rest;
    for (std::size_t i = prefix; i < events.size(); ++i) rest.push_back(&events[i]);
    rng.shuffle(rest);
    std::vector<std::vector<const Event*>> fragments;
    for (std::size_t i = 0; i < rest.size();) {
        if (rng.chance(5)) fragments.emplace_back();  // an empty fragment now and then
        const auto size = static_cast<std::size_t>(rng.between(1, 6));
        fragments.emplace_back(rest.begin() + static_cast<std::ptrdiff_t>(i),
                               rest.begin() + static_cast<std::ptrdiff_t>(std::min(rest.size(), i + size)));
        i += size;
    }
    if (fragments.empty()) fragments.emplace_back();
    const std::size_t bad_before = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(fragments.size())));
    OJson account = g.header["account"];
    const std::vector<std::string> probe{credits::format_instant(g.last_ns)};
    std::int64_t accepted = 0;
    for (std::size_t f = 0; f < fragments.size(); ++f) {
        if (f == bad_before) {
            const std::vector<std::string> before = answers(split, probe, g.projects);
            const std::string bad = bad_fragment(rng, g, prefix_list, account);
            const credits::Answer rejected = split.append(bad);
            INFO("bad fragment " << bad);
            REQUIRE_FALSE(rejected.ok);
            REQUIRE(answers(split, probe, g.projects) == before);
        }
        OJson fragment_account = account;
        if (rng.chance(50)) fragment_account.erase("utc_offset");
        const std::string text = fragment_text(fragment_account, needs(fragments[f], f + 1 == fragments.size()), fragments[f]);
        const credits::Answer answer = split.append(text);
        INFO("fragment " << text);
        INFO("answer " << answer.json);
        REQUIRE(answer.ok);
        const nlohmann::json counts = nlohmann::json::parse(answer.json);
        REQUIRE(counts.at("accepted").get<std::int64_t>() + counts.at("duplicates_ignored").get<std::int64_t>() ==
                static_cast<std::int64_t>(fragments[f].size()));
        accepted += counts.at("accepted").get<std::int64_t>();
    }

    credits::LoadedLedger whole = load(whole_text);
    const std::int64_t span = std::max<std::int64_t>(g.last_ns - g.opened_ns, 1);
    const std::vector<std::string> instants{credits::format_instant(g.opened_ns),
                                            credits::format_instant(g.opened_ns + rng.below(span)),
                                            credits::format_instant(g.last_ns),
                                            credits::format_instant(g.last_ns + 40 * credits::nanos_per_day)};
    const std::vector<std::string> expected = answers(whole, instants, g.projects);
    const std::vector<std::string> got = answers(split, instants, g.projects);
    REQUIRE(expected.size() == got.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("answer " << i << "; whole ledger " << whole_text.substr(0, 6000));
        REQUIRE(got[i] == expected[i]);
    }
    const nlohmann::json loaded_summary = nlohmann::json::parse(load(prefix_doc.text(prefix_list)).summary_json());
    REQUIRE(loaded_summary.at("events").get<std::int64_t>() + accepted ==
            nlohmann::json::parse(whole.summary_json()).at("events").get<std::int64_t>());
}

}  // namespace

TEST_CASE("loading a ledger whole equals loading a prefix and appending the rest in random fragments",
          "[property][append]") {
#if defined(__EMSCRIPTEN__) && defined(NDEBUG)
    // 10,000 in the WebAssembly build too (about 30 s under Node): the property holds in both builds.
    const std::uint64_t count = ledger_generator::env_number("CREDITS_PROPERTY_LEDGERS", 10'000);
#else
    const std::uint64_t count = ledger_generator::ledger_count();  // 10,000 native; fewer under sanitizers
#endif
    const std::uint64_t first = ledger_generator::first_seed();
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t seed = first + i;
        INFO("seed " << seed << " (rerun: CREDITS_PROPERTY_SEED=" << seed
                     << " CREDITS_PROPERTY_LEDGERS=1 credits_tests \"[property][append]\")");
        check_split(seed);
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "append property: " << count << " ledgers in " << seconds << " s\n";
}
