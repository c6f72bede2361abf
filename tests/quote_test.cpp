// Spec §12 "Quote" (the Pricing page calculator): hit = floor(input x bp /
// 10000), needed = output + miss; the free, packs-only and per-plan options,
// the pack choice and the recommendation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/pack_mix.h"
#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

json quote(const credits::Engine& engine, const json& input) {
    const credits::Answer answer = engine.quote(input.dump());
    INFO(answer.json);
    REQUIRE(answer.ok);
    json q = json::parse(answer.json);
    CHECK(q["format"] == "easycoda.report/1");
    CHECK(q["kind"] == "quote");
    // Every amount the quote computes has its _credits sibling. The `input` member
    // echoes the question as asked (output_tokens, input_tokens without _credits),
    // so it is left out of this check.
    json computed = q;
    computed.erase("input");
    check_amounts_agree(computed);
    // Exactly the recommended option is flagged, and it covers the month.
    int flagged = 0;
    for (const json& o : q["options"]) {
        if (o["recommended"] == true) {
            ++flagged;
            CHECK(o["key"] == q["recommended"]);
            CHECK(o["covers_month"] == true);
        }
    }
    CHECK(flagged == (q["recommended"].is_null() ? 0 : 1));
    return q;
}

json quote(const json& input) { return quote(default_engine(), input); }

json need(std::int64_t output, std::int64_t input = 0, std::int64_t bp = 0) {
    return json{{"output_tokens", output}, {"input_tokens", input}, {"cache_hit_rate_bp", bp}};
}

json option(const json& q, std::string_view key) {
    for (const json& o : q["options"])
        if (o["key"] == key) return o;
    FAIL("no option " << key);
    return nullptr;
}

std::vector<std::string> keys(const json& q) {
    std::vector<std::string> out;
    for (const json& o : q["options"]) out.push_back(o["key"]);
    return out;
}

// The packs bought, in catalog order ("a x2 + b x1"), or "none".
std::string pack_choice(const json& o) {
    std::string out;
    for (const json& line : o["packs"]) {
        if (!out.empty()) out += " + ";
        out += line["id"].get<std::string>() + " x" + std::to_string(line["count"].get<std::int64_t>());
    }
    return out.empty() ? "none" : out;
}

credits::Engine engine_with(std::string_view signup_credits, const json& plans, const json& packs) {
    const std::string rules = R"({"format":"easycoda.rules/1","tokens_per_credit":10000,"signup_credits":)" +
                              std::string(signup_credits) + "}";
    const json catalog{{"format", "easycoda.catalog/1"}, {"currency", "EUR"}, {"plans", plans}, {"packs", packs}};
    return make_engine(rules, catalog.dump());
}

json error_of(const credits::Engine& engine, const json& input) {
    const credits::Answer answer = engine.quote(input.dump());
    REQUIRE_FALSE(answer.ok);
    return json::parse(answer.json)["errors"][0];
}

constexpr std::int64_t credit = 10000;  // tokens

}  // namespace

TEST_CASE("§12 quote: hit = floor(input x bp / 10000), miss = input - hit, needed = output + miss") {
    const json q = quote(need(1000, 12345, 3333));  // 12345 x 0.3333 = 4114.5885
    CHECK(tokens(q["input_cache_hit_tokens"]) == 4114);
    CHECK(tokens(q["input_cache_miss_tokens"]) == 8231);
    CHECK(tokens(q["needed_tokens"]) == 9231);
    CHECK(q["input"] == json{{"output_tokens", 1000}, {"output_credits", "0.1000"}, {"input_tokens", 12345},
                             {"input_credits", "1.2345"}, {"cache_hit_rate_bp", 3333}, {"plan", nullptr}});
    CHECK(q["currency"] == "USD");

    CHECK(tokens(quote(need(0, 9999, 1))["input_cache_hit_tokens"]) == 0);       // 0.9999 floors to 0
    CHECK(tokens(quote(need(0, 3, 5000))["input_cache_hit_tokens"]) == 1);       // 1.5 floors to 1
    CHECK(tokens(quote(need(0, 12345, 10000))["input_cache_miss_tokens"]) == 0);  // every input token a hit
    CHECK(tokens(quote(need(7, 12345, 0))["needed_tokens"]) == 12352);           // no hits
}

TEST_CASE("§12 quote: intermediate products do not overflow (128-bit)") {
    // input x bp = 9007199254740991 x 9999 is far beyond int64.
    const json q = quote(need(0, credits::amount_tokens_max, 9999));
    CHECK(tokens(q["input_cache_hit_tokens"]) == 9006298534815516);  // floor(9007199254740991 x 0.9999)
    CHECK(tokens(q["input_cache_miss_tokens"]) == 900719925475);
}

TEST_CASE("§12 quote: a small need — free covers it, with the whole months the one-time allowance lasts") {
    const json q = quote(need(1000, 12345, 3333));  // needs 9,231 tokens
    CHECK(keys(q) == std::vector<std::string>{"free", "packs", "plan:standard", "plan:premium"});
    const json free = option(q, "free");
    CHECK(free["option"] == "free");
    CHECK(free["plan_id"].is_null());
    CHECK(tokens(free["included_tokens"]) == 500 * credit);
    CHECK(tokens(free["shortfall_tokens"]) == 0);
    CHECK(tokens(free["left_over_tokens"]) == 500 * credit - 9231);
    CHECK(tokens(free["expiring_unused_tokens"]) == 0);
    CHECK(free["monthly_cost_minor"] == 0);
    CHECK(free["covers_month"] == true);
    CHECK(free["months_covered"] == 541);  // floor(5,000,000 / 9,231)
    CHECK(free["packs"] == json::array());

    const json packs = option(q, "packs");
    CHECK(pack_choice(packs) == "pack_500 x1");
    CHECK(tokens(packs["purchased_tokens"]) == 500 * credit);
    CHECK(tokens(packs["left_over_tokens"]) == 500 * credit - 9231);
    CHECK(packs["monthly_cost_minor"] == 750);
    CHECK(packs["months_covered"].is_null());

    const json standard = option(q, "plan:standard");
    CHECK(standard["plan_id"] == "standard");
    CHECK(standard["plan_name"] == "Standard");
    CHECK(tokens(standard["included_tokens"]) == 2000 * credit);
    CHECK(tokens(standard["shortfall_tokens"]) == 0);
    CHECK(standard["packs"] == json::array());
    CHECK(standard["packs_cost_minor"] == 0);
    CHECK(tokens(standard["expiring_unused_tokens"]) == 2000 * credit - 9231);
    CHECK(tokens(standard["left_over_tokens"]) == 0);
    CHECK(standard["monthly_cost_minor"] == 2000);
    CHECK(tokens(option(q, "plan:premium")["expiring_unused_tokens"]) == 6000 * credit - 9231);
    CHECK(q["recommended"] == "free");
}

TEST_CASE("§12 quote: a large need — free does not cover it; a plan's shortfall is bought as packs") {
    const json q = quote(need(2500 * credit));
    const json free = option(q, "free");
    CHECK(free["covers_month"] == false);
    CHECK(free["months_covered"] == 0);
    CHECK(tokens(free["shortfall_tokens"]) == 2000 * credit);
    CHECK_FALSE(free["recommended"].get<bool>());

    // Packs only: 2 x pack_1000 + 1 x pack_500 = 3,150 beats 3 x pack_1000 = 3,600,
    // 5 x pack_500 = 3,750 and 1 x pack_5000 = 5,000.
    const json packs = option(q, "packs");
    CHECK(tokens(packs["shortfall_tokens"]) == 2500 * credit);
    CHECK(pack_choice(packs) == "pack_500 x1 + pack_1000 x2");
    const json& line = packs["packs"][1];
    CHECK(line["name"] == "1,000 credits");
    CHECK(tokens(line["credits_each_tokens"]) == 1000 * credit);
    CHECK(line["price_each_minor"] == 1200);
    CHECK(tokens(line["purchased_tokens"]) == 2000 * credit);
    CHECK(line["cost_minor"] == 2400);
    CHECK(packs["packs_cost_minor"] == 3150);
    CHECK(tokens(packs["purchased_tokens"]) == 2500 * credit);
    CHECK(tokens(packs["left_over_tokens"]) == 0);
    CHECK(tokens(packs["expiring_unused_tokens"]) == 0);
    CHECK(packs["monthly_cost_minor"] == 3150);

    // Standard: 2,000 included, 500 short, bought as one pack_500: 2,000 + 750.
    const json standard = option(q, "plan:standard");
    CHECK(tokens(standard["shortfall_tokens"]) == 500 * credit);
    CHECK(pack_choice(standard) == "pack_500 x1");
    CHECK(tokens(standard["left_over_tokens"]) == 0);
    CHECK(tokens(standard["expiring_unused_tokens"]) == 0);
    CHECK(standard["packs_cost_minor"] == 750);
    CHECK(standard["monthly_cost_minor"] == 2750);
    CHECK(standard["covers_month"] == true);

    // Premium: 6,000 included, 3,500 expire unused.
    const json premium = option(q, "plan:premium");
    CHECK(tokens(premium["expiring_unused_tokens"]) == 3500 * credit);
    CHECK(premium["monthly_cost_minor"] == 5000);
    CHECK(q["recommended"] == "plan:standard");
}

TEST_CASE("§12 quote: nothing needed — free covers it, months_covered is null") {
    const json q = quote(need(0, 500, 10000));
    CHECK(tokens(q["needed_tokens"]) == 0);
    CHECK(option(q, "free")["covers_month"] == true);
    CHECK(option(q, "free")["months_covered"].is_null());
    CHECK(pack_choice(option(q, "packs")) == "none");
    CHECK(option(q, "packs")["monthly_cost_minor"] == 0);
    CHECK(q["recommended"] == "free");  // a tie at cost 0 with packs: free comes first
}

TEST_CASE("§12 quote: packs — the cheapest mix, then fewer left-over credits, then the earlier of twin packs") {
    SECTION("lowest total price, then catalog order between equal packs") {
        const credits::Engine engine =
            engine_with("0", json::array(),
                        json::array({json{{"id", "a_small"}, {"credits", 100}, {"price_minor", 100}},
                                     json{{"id", "b_mid"}, {"credits", 300}, {"price_minor", 250}},
                                     json{{"id", "c_mid_twin"}, {"credits", 300}, {"price_minor", 250}},
                                     json{{"id", "d_big"}, {"credits", 1000}, {"price_minor", 900}}}));
        // 250 credits: 3 x a = 300, 1 x b = 250, 1 x c = 250, 1 x d = 900.
        CHECK(pack_choice(option(quote(engine, need(250 * credit)), "packs")) == "b_mid x1");
        // 600 credits: 6 x a = 600, 2 x b = 500 (b + c too: the earlier twin wins), 1 x d = 900.
        CHECK(pack_choice(option(quote(engine, need(600 * credit)), "packs")) == "b_mid x2");
        // 1,000 credits: 1 x a + 3 x b = 850 beats 1 x d = 900 and 4 x b = 1,000.
        CHECK(pack_choice(option(quote(engine, need(1000 * credit)), "packs")) == "a_small x1 + b_mid x3");
        CHECK(option(quote(engine, need(1000 * credit)), "packs")["monthly_cost_minor"] == 850);
        // One token more than a pack holds needs a whole pack more.
        CHECK(pack_choice(option(quote(engine, need(100 * credit + 1)), "packs")) == "a_small x2");
        const json q = quote(engine, need(100 * credit + 1));
        CHECK(q["currency"] == "EUR");
        CHECK(keys(q) == std::vector<std::string>{"free", "packs"});
    }
    SECTION("on a price tie, fewer left-over credits beats catalog order") {
        const credits::Engine engine =
            engine_with("0", json::array(),
                        json::array({json{{"id", "f_loose"}, {"credits", 250}, {"price_minor", 200}},
                                     json{{"id", "e_exact"}, {"credits", 200}, {"price_minor", 200}}}));
        CHECK(pack_choice(option(quote(engine, need(200 * credit)), "packs")) == "e_exact x1");
        CHECK(tokens(option(quote(engine, need(200 * credit)), "packs")["left_over_tokens"]) == 0);
        CHECK(pack_choice(option(quote(engine, need(400 * credit)), "packs")) == "e_exact x2");
        // 450 credits: 1 x f + 1 x e = 400 ties 2 x f = 400 on price and leaves nothing over.
        CHECK(pack_choice(option(quote(engine, need(450 * credit)), "packs")) == "f_loose x1 + e_exact x1");
        CHECK(tokens(option(quote(engine, need(450 * credit)), "packs")["left_over_tokens"]) == 0);
    }
}

TEST_CASE("§12 quote: recommended — lowest cost, then fewer expiring tokens, then free, packs, plans in catalog order") {
    SECTION("a cost tie between packs and plans goes to packs") {
        const credits::Engine engine =
            engine_with("0",
                        json::array({json{{"id", "x"}, {"monthly_credits", 100}, {"monthly_price_minor", 1000}},
                                     json{{"id", "y"}, {"monthly_credits", 100}, {"monthly_price_minor", 1000}}}),
                        json::array({json{{"id", "p"}, {"credits", 100}, {"price_minor", 1000}}}));
        CHECK(quote(engine, need(100 * credit))["recommended"] == "packs");
        // 50 credits: same cost, but plan x would let 50 credits expire.
        CHECK(quote(engine, need(50 * credit))["recommended"] == "packs");
        CHECK(option(quote(engine, need(50 * credit)), "free")["covers_month"] == false);  // signup is 0
    }
    SECTION("fewer expiring tokens beats catalog order") {
        const credits::Engine engine =
            engine_with("0",
                        json::array({json{{"id", "big"}, {"monthly_credits", 200}, {"monthly_price_minor", 1000}},
                                     json{{"id", "small"}, {"monthly_credits", 100}, {"monthly_price_minor", 1000}}}),
                        json::array({json{{"id", "p"}, {"credits", 100}, {"price_minor", 1500}}}));
        const json q = quote(engine, need(100 * credit));
        CHECK(tokens(option(q, "plan:big")["expiring_unused_tokens"]) == 100 * credit);
        CHECK(q["recommended"] == "plan:small");
    }
    SECTION("between equal plans, catalog order") {
        const credits::Engine engine =
            engine_with("0",
                        json::array({json{{"id", "y"}, {"monthly_credits", 100}, {"monthly_price_minor", 1000}},
                                     json{{"id", "x"}, {"monthly_credits", 100}, {"monthly_price_minor", 1000}}}),
                        json::array());
        const json q = quote(engine, need(100 * credit));
        CHECK(keys(q) == std::vector<std::string>{"free", "plan:y", "plan:x"});  // no packs option without packs
        CHECK(q["recommended"] == "plan:y");
    }
    SECTION("a cost tie between free and a free plan goes to free") {
        const credits::Engine engine = engine_with(
            "100", json::array({json{{"id", "zero"}, {"monthly_credits", 100}, {"monthly_price_minor", 0}}}), json::array());
        CHECK(quote(engine, need(100 * credit))["recommended"] == "free");
        CHECK(quote(engine, need(50 * credit))["recommended"] == "free");
    }
    SECTION("no option covers the month: nothing is recommended") {
        const credits::Engine engine = engine_with(
            "0", json::array({json{{"id", "tiny"}, {"monthly_credits", 1}, {"monthly_price_minor", 100}}}), json::array());
        const json q = quote(engine, need(2 * credit));
        CHECK(option(q, "plan:tiny")["covers_month"] == false);
        CHECK(tokens(option(q, "plan:tiny")["shortfall_tokens"]) == 1 * credit);
        CHECK(q["recommended"].is_null());
    }
}

TEST_CASE("§12 quote: plan limits the plan options to that plan") {
    json input = need(1000);
    input["plan"] = "premium";
    const json q = quote(input);
    CHECK(keys(q) == std::vector<std::string>{"free", "packs", "plan:premium"});
    CHECK(q["input"]["plan"] == "premium");

    input["plan"] = "gold";
    const json error = error_of(default_engine(), input);
    CHECK(error["code"] == "unknown_plan");
    CHECK(error["pointer"] == "/plan");
}

TEST_CASE("§12 quote: invalid input is rejected with an explained error") {
    const credits::Engine& engine = default_engine();
    CHECK(error_of(engine, need(1, 1, 10001))["code"] == "invalid_value");
    CHECK(error_of(engine, need(1, 1, 10001))["pointer"] == "/cache_hit_rate_bp");
    CHECK(error_of(engine, need(1, 1, -1))["code"] == "invalid_number");
    CHECK(error_of(engine, json{{"output_tokens", 1}, {"input_tokens", 1}, {"cache_hit_rate_bp", 12.5}})["code"] == "invalid_number");
    CHECK(error_of(engine, json{{"output_tokens", 1}, {"input_tokens", 1}, {"cache_hit_rate_bp", "50"}})["code"] == "wrong_type");
    CHECK(error_of(engine, json{{"output_tokens", 1}, {"input_tokens", 1}})["code"] == "missing_field");
    CHECK(error_of(engine, json{{"output_tokens", 1}, {"input_tokens", 1}, {"cache_hit_rate_bp", 0}, {"tip", 1}})["code"] == "unknown_field");
    CHECK(error_of(engine, need(-5, 1, 0))["pointer"] == "/output_tokens");
    CHECK(error_of(engine, need(credits::amount_tokens_max, 1, 0))["code"] == "amount_out_of_range");
    CHECK(quote(need(0, 0, 10000))["recommended"] == "free");  // bp 10000 (100%) is allowed
    const credits::Answer not_json = engine.quote("{\"output_tokens\": 1,");
    CHECK_FALSE(not_json.ok);
    CHECK_THAT(not_json.json, Catch::Contains("invalid_json"));
}

TEST_CASE("§12 quote: a need so large that an option would buy more than 2^53 - 1 tokens is rejected") {
    // 2^53 - 1 tokens need 180,143,986 x pack_5000 = 9,007,199,300,000,000 tokens: past the bound.
    const credits::Answer answer = default_engine().quote(need(credits::amount_tokens_max).dump());
    CHECK_FALSE(answer.ok);
    CHECK_THAT(answer.json, Catch::Contains("amount_out_of_range"));
}

// ---------------------------------------------------------------------------
// The cheapest mix of packs (credits/pack_mix.h), against references that
// search every mix.
// ---------------------------------------------------------------------------

namespace {

using credits::WideInt;

credits::Pack pack_of(std::string id, std::int64_t credits_tokens, std::int64_t price_minor) {
    return credits::Pack{std::move(id), std::nullopt, credits_tokens, price_minor};
}

// The spec's order on mixes that cover a need: cost, then purchased (left
// over), then number of packs, then the counts read in catalog order, the
// greater first. true when `a` comes first.
struct Scored {
    std::vector<std::int64_t> counts;
    WideInt cost = 0, purchased = 0, packs = 0;
};
bool comes_first(const Scored& a, const Scored& b) {
    if (a.cost != b.cost) return a.cost < b.cost;
    if (a.purchased != b.purchased) return a.purchased < b.purchased;
    if (a.packs != b.packs) return a.packs < b.packs;
    return a.counts > b.counts;  // std::vector compares lexicographically
}
Scored score(const std::vector<credits::Pack>& packs, std::vector<std::int64_t> counts) {
    Scored s{std::move(counts)};
    for (std::size_t i = 0; i < packs.size(); ++i) {
        s.cost += WideInt{s.counts[i]} * packs[i].price_minor;
        s.purchased += WideInt{s.counts[i]} * packs[i].credits_tokens;
        s.packs += s.counts[i];
    }
    return s;
}

// Reference 1: every vector of counts whose purchase is below need + the
// largest pack (a mix buying more still covers without one of its packs, for
// no more money), scored by the order above.
Scored brute_force(const std::vector<credits::Pack>& packs, std::int64_t need_tokens) {
    std::int64_t largest = 0;
    for (const auto& p : packs) largest = std::max(largest, p.credits_tokens);
    std::optional<Scored> best;
    std::vector<std::int64_t> counts(packs.size(), 0);
    auto visit = [&](auto&& self, std::size_t i, std::int64_t total) -> void {
        if (i == packs.size()) {
            if (total < need_tokens) return;
            Scored s = score(packs, counts);
            if (!best || comes_first(s, *best)) best = std::move(s);
            return;
        }
        for (counts[i] = 0; total + counts[i] * packs[i].credits_tokens < need_tokens + largest; ++counts[i])
            self(self, i + 1, total + counts[i] * packs[i].credits_tokens);
        counts[i] = 0;
    };
    visit(visit, 0, 0);
    REQUIRE(best.has_value());
    return *best;
}

// Reference 2, for needs too large to enumerate: the best mix of every exact
// total up to need + the largest pack, each kept as a whole vector and
// compared by the full order (no grid, no anchor pack, no window). Sizes in
// tokens must be small.
Scored table_reference(const std::vector<credits::Pack>& packs, std::int64_t need_tokens) {
    std::int64_t largest = 0;
    for (const auto& p : packs) largest = std::max(largest, p.credits_tokens);
    const std::size_t top = static_cast<std::size_t>(need_tokens + largest);
    std::vector<std::optional<Scored>> best(top);
    best[0] = score(packs, std::vector<std::int64_t>(packs.size(), 0));
    for (std::size_t t = 1; t < top; ++t) {
        for (std::size_t i = 0; i < packs.size(); ++i) {
            const auto w = static_cast<std::size_t>(packs[i].credits_tokens);
            if (w > t || !best[t - w]) continue;
            std::vector<std::int64_t> counts = best[t - w]->counts;
            ++counts[i];
            Scored s = score(packs, std::move(counts));
            if (!best[t] || comes_first(s, *best[t])) best[t] = std::move(s);
        }
    }
    std::optional<Scored> answer;
    for (std::size_t t = static_cast<std::size_t>(need_tokens); t < top; ++t)
        if (best[t] && (!answer || comes_first(*best[t], *answer))) answer = best[t];
    REQUIRE(answer.has_value());
    return *answer;
}

std::string wide_text(WideInt v) {
    std::string out = v == 0 ? "0" : "";
    for (; v > 0; v /= 10) out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    return out;
}

void check_mix(const std::vector<credits::Pack>& packs, std::int64_t need_tokens, const Scored& expected) {
    std::string described;
    for (const auto& p : packs) described += p.id + ": " + std::to_string(p.credits_tokens) + " tokens for " + std::to_string(p.price_minor) + "; ";
    INFO(described);
    const credits::PackMix mix = credits::cheapest_pack_mix(packs, need_tokens);
    CHECK(mix.counts == expected.counts);
    CHECK(wide_text(mix.cost_minor) == wide_text(expected.cost));
    CHECK(wide_text(mix.purchased_tokens) == wide_text(expected.purchased));
    CHECK(wide_text(mix.packs_bought) == wide_text(expected.packs));
    CHECK(mix.covers);
    CHECK(mix.search_entries <= credits::pack_search_entries_max);
}

// splitmix64: one sequence on every platform, so a seed means one catalog everywhere.
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
};

// 1-5 packs of 1-`steps_max` steps of a random unit, prices that tie often:
// equal prices per credit, twins of an earlier pack, free packs, odd prices.
std::vector<credits::Pack> random_packs(SplitMix& rng, std::int64_t unit, std::int64_t steps_max) {
    std::vector<credits::Pack> packs;
    const auto n = static_cast<std::size_t>(rng.between(1, 5));
    const std::int64_t rate = rng.between(1, 4);
    while (packs.size() < n) {
        const std::string id = "p" + std::to_string(packs.size());
        const std::int64_t steps = rng.between(1, steps_max);
        switch (rng.between(0, 5)) {
            case 0: packs.push_back(pack_of(id, steps * unit, steps * rate)); break;  // the same price per credit
            case 1:  // a twin of an earlier pack
                if (!packs.empty()) {
                    credits::Pack twin = packs[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(packs.size()) - 1))];
                    twin.id = id;
                    packs.push_back(twin);
                    break;
                }
                [[fallthrough]];
            case 2: packs.push_back(pack_of(id, steps * unit, rng.between(0, 3))); break;  // cheap, even free
            default: packs.push_back(pack_of(id, steps * unit, rng.between(1, 60))); break;
        }
    }
    return packs;
}

constexpr std::uint64_t pack_seed = 20261201;

}  // namespace

TEST_CASE("§12 quote: 1,400 credits with the example catalog are 1 x 1,000 + 1 x 500 = 19.50, the recommended option") {
    const json q = quote(need(1400 * credit));
    const json packs = option(q, "packs");
    CHECK(pack_choice(packs) == "pack_500 x1 + pack_1000 x1");
    CHECK(packs["monthly_cost_minor"] == 1950);  // not 3 x 500 = 22.50
    CHECK(packs["packs_cost_minor"] == 1950);
    CHECK(tokens(packs["purchased_tokens"]) == 1500 * credit);
    CHECK(tokens(packs["left_over_tokens"]) == 100 * credit);
    CHECK(option(q, "plan:standard")["monthly_cost_minor"] == 2000);
    CHECK(q["recommended"] == "packs");  // cheaper than Standard at 20.00
    CHECK(option(q, "packs")["recommended"] == true);
}

TEST_CASE("§12 quote: a plan's shortfall is the cheapest mix too") {
    // Standard includes 2,000; 3,400 credits leave 1,400 short: 1 x 1,000 + 1 x 500.
    const json standard = option(quote(need(3400 * credit)), "plan:standard");
    CHECK(pack_choice(standard) == "pack_500 x1 + pack_1000 x1");
    CHECK(standard["packs_cost_minor"] == 1950);
    CHECK(standard["monthly_cost_minor"] == 2000 + 1950);
}

TEST_CASE("§12 quote: pack ties go to fewer left over, then fewer packs, then the greater counts in catalog order") {
    SECTION("equal cost: fewer left-over credits") {
        const std::vector<credits::Pack> packs{pack_of("three", 3, 2), pack_of("two", 2, 2)};
        CHECK(credits::cheapest_pack_mix(packs, 2).counts == std::vector<std::int64_t>{0, 1});
        CHECK(credits::cheapest_pack_mix(packs, 4).counts == std::vector<std::int64_t>{0, 2});  // not 3 + 2 or 3 + 3
        CHECK(credits::cheapest_pack_mix(packs, 5).counts == std::vector<std::int64_t>{1, 1});
    }
    SECTION("equal cost and left over: fewer packs, even against catalog order") {
        const std::vector<credits::Pack> packs{pack_of("small", 2, 2), pack_of("big", 4, 4)};
        CHECK(credits::cheapest_pack_mix(packs, 4).counts == std::vector<std::int64_t>{0, 1});
        CHECK(credits::cheapest_pack_mix(packs, 10).counts == std::vector<std::int64_t>{1, 2});
        CHECK(credits::cheapest_pack_mix(packs, 4'000'001).counts == std::vector<std::int64_t>{1, 1'000'000});
    }
    SECTION("all else equal: the counts that read greatest in catalog order") {
        const std::vector<credits::Pack> twins{pack_of("first", 2, 2), pack_of("second", 2, 2)};
        CHECK(credits::cheapest_pack_mix(twins, 4).counts == std::vector<std::int64_t>{2, 0});
        CHECK(credits::cheapest_pack_mix(twins, 9'000'000'000'001).counts == std::vector<std::int64_t>{4'500'000'000'001, 0});
        // 4 as 1 + 3 or 2 + 2: two packs each, the same cost; (1, 1, 0) reads greater than (0, 0, 2).
        const std::vector<credits::Pack> mixed{pack_of("one", 1, 1), pack_of("three", 3, 3), pack_of("two", 2, 2)};
        CHECK(credits::cheapest_pack_mix(mixed, 4).counts == std::vector<std::int64_t>{1, 1, 0});
    }
    SECTION("nothing needed, or no packs") {
        const std::vector<credits::Pack> packs{pack_of("a", 2, 2)};
        CHECK(credits::cheapest_pack_mix(packs, 0).empty());
        CHECK(credits::cheapest_pack_mix(packs, 0).covers);
        CHECK(credits::cheapest_pack_mix({}, 0).covers);
        CHECK_FALSE(credits::cheapest_pack_mix({}, 1).covers);
    }
}

TEST_CASE("§12 quote: the cheapest mix equals a search of every mix, on thousands of random catalogs") {
    // Needs up to 30 steps of the grid (enumerated) and, below, up to 400 steps
    // (so far past (w_b - 1) * w_max that most packs b are fixed ahead).
    const std::vector<std::int64_t> units{1, 3, 7, 9999, 10000, 12345, 5000000};
    for (std::uint64_t i = 0; i < 3000; ++i) {
        const std::uint64_t seed = pack_seed + i;
        SplitMix rng{seed};
        const std::int64_t unit = units[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(units.size()) - 1))];
        const std::vector<credits::Pack> packs = random_packs(rng, unit, 12);
        const std::int64_t need_tokens = rng.between(0, 30) * unit - rng.between(0, std::min<std::int64_t>(unit - 1, 2));
        INFO("seed " << seed << ", need " << need_tokens << " tokens, unit " << unit);
        check_mix(packs, std::max<std::int64_t>(need_tokens, 0), brute_force(packs, std::max<std::int64_t>(need_tokens, 0)));
    }
    for (std::uint64_t i = 0; i < 1000; ++i) {
        const std::uint64_t seed = pack_seed + 1'000'000 + i;
        SplitMix rng{seed};
        const std::vector<credits::Pack> packs = random_packs(rng, 1, 12);
        const std::int64_t need_tokens = rng.between(0, 400);
        INFO("seed " << seed << ", need " << need_tokens << " tokens");
        check_mix(packs, need_tokens, table_reference(packs, need_tokens));
    }
}

TEST_CASE("§12 quote: the mix search is bounded at the catalog limits, for any need") {
    // 16 packs up to 1,000 steps of a 1-token grid (999 and 1,000 are coprime):
    // the worst grid the limits allow.
    std::vector<credits::Pack> packs;
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(credits::packs_max); ++i)
        packs.push_back(pack_of("p" + std::to_string(i), 1000 - i, 1000 - i + 1 + i % 3));
    packs[0].price_minor = 999;  // the 1,000-token pack is the best value: (w_b - 1) * w_max is largest
    REQUIRE(credits::pack_grid_tokens(packs) == 1);
    std::string where;
    REQUIRE_FALSE(credits::pack_limits_problem(packs, where).has_value());
    std::size_t largest_table = 0;
    for (const std::int64_t need_tokens : {credits::amount_tokens_max, credits::amount_tokens_max - 1234567, std::int64_t{999999},
                                           std::int64_t{1000999}, std::int64_t{1}}) {
        const credits::PackMix mix = credits::cheapest_pack_mix(packs, need_tokens);
        INFO("need " << need_tokens);
        CHECK(mix.search_entries <= credits::pack_search_entries_max);
        CHECK(mix.purchased_tokens >= need_tokens);
        CHECK(mix.purchased_tokens - need_tokens < 1000);  // less than the largest pack over
        largest_table = std::max(largest_table, mix.search_entries);
    }
    CHECK(largest_table > 990'000);  // the bound is nearly reached, and holds
    CHECK(credits::pack_search_entries_max == 1'001'000);
}

TEST_CASE("§11 catalog: at most 16 packs, none more than 1,000 steps of the packs' common step") {
    auto catalog_errors = [](const json& packs) {
        const json catalog{{"format", "easycoda.catalog/1"}, {"currency", "USD"}, {"plans", json::array()}, {"packs", packs}};
        std::string errors;
        const std::optional<credits::Engine> engine = credits::Engine::create(
            R"({"format":"easycoda.rules/1","tokens_per_credit":10000,"signup_credits":0})", catalog.dump(), &errors);
        CHECK(engine.has_value() == errors.empty());
        return errors.empty() ? json::array() : json::parse(errors)["errors"];
    };
    json packs = json::array();
    for (int i = 0; i < 16; ++i) packs.push_back(json{{"id", "p" + std::to_string(i)}, {"credits", 100 * (i + 1)}, {"price_minor", 1}});
    CHECK(catalog_errors(packs).empty());
    packs.push_back(json{{"id", "p16"}, {"credits", 1700}, {"price_minor", 1}});
    const json too_many = catalog_errors(packs);
    REQUIRE(too_many.size() == 1);
    CHECK(too_many[0]["code"] == "too_many_packs");
    CHECK_THAT(too_many[0]["pointer"].get<std::string>(), Catch::EndsWith("/packs"));

    // 1,000 credits on a grid of 1 credit: at the limit; 1,000.0001 on a grid of 0.0001: past it.
    CHECK(catalog_errors(json::array({json{{"id", "a"}, {"credits", 1}, {"price_minor", 1}},
                                      json{{"id", "b"}, {"credits", 1000}, {"price_minor", 900}}})).empty());
    const json fine = catalog_errors(json::array({json{{"id", "a"}, {"credits", 1000}, {"price_minor", 1}},
                                                  json{{"id", "b"}, {"credits", "1000.0001"}, {"price_minor", 900}}}));
    REQUIRE(fine.size() == 1);
    CHECK(fine[0]["code"] == "pack_too_fine");
    CHECK_THAT(fine[0]["pointer"].get<std::string>(), Catch::EndsWith("/packs/0/credits"));
    CHECK_THAT(fine[0]["message"].get<std::string>(), Catch::Contains("0.0001 credits"));
}

TEST_CASE("§12 quote input: written plainly or not, the same answer and the same errors") {
    // The escaped forms (\u0067 is "g", 1e0 style numbers are refused either way) go to the strict
    // reader; the plain forms are read straight from the bytes. The values meet one set of checks.
    const credits::Engine& engine = default_engine();
    const std::vector<std::pair<std::string, std::string>> pairs{
        {R"({"output_tokens":1,"input_tokens":1,"cache_hit_rate_bp":10001,"plan":"gold"})",
         R"({"output_tokens":1,"input_tokens":1,"cache_hit_rate_bp":10001,"plan":"\u0067old"})"},
        {R"({"output_tokens":9007199254740991,"input_tokens":1,"cache_hit_rate_bp":0})",
         R"({"output_tokens":9007199254740991,"input_tokens":1,"cache_hit_rate_bp":0,"plan":null})"},
        {R"({"output_tokens":14000000,"input_tokens":0,"cache_hit_rate_bp":0,"plan":"standard"})",
         R"({"output_tokens":14000000,"input_tokens":0,"cache_hit_rate_bp":0,"plan":"st\u0061ndard"})"},
    };
    for (const auto& [plain, escaped] : pairs) {
        INFO(plain);
        const credits::Answer a = engine.quote(plain);
        const credits::Answer b = engine.quote(escaped);
        CHECK(a.ok == b.ok);
        CHECK(a.json == b.json);
    }
    const json errors = json::parse(engine.quote(pairs[0].first).json)["errors"];
    REQUIRE(errors.size() == 2);
    CHECK(errors[0]["code"] == "invalid_value");
    CHECK(errors[1]["code"] == "unknown_plan");
    CHECK(json::parse(engine.quote(pairs[1].first).json)["errors"][0]["code"] == "amount_out_of_range");
}
