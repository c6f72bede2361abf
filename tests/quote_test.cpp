// Spec §12 "Quote" (the Pricing page calculator): hit = floor(input x bp /
// 10000), needed = output + miss; the free, packs-only and per-plan options,
// the pack choice and the recommendation.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// The chosen pack's id and count, or "none".
std::string pack_choice(const json& o) {
    if (o["pack"].is_null()) return "none";
    return o["pack"]["id"].get<std::string>() + " x" + std::to_string(o["pack"]["count"].get<std::int64_t>());
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
    CHECK(free["pack"].is_null());

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
    CHECK(standard["pack"].is_null());
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

    // Packs only: 5 x pack_500 = 3,750; 3 x pack_1000 = 3,600; 1 x pack_5000 = 5,000.
    const json packs = option(q, "packs");
    CHECK(tokens(packs["shortfall_tokens"]) == 2500 * credit);
    CHECK(pack_choice(packs) == "pack_1000 x3");
    CHECK(packs["pack"]["name"] == "1,000 credits");
    CHECK(tokens(packs["pack"]["credits_each_tokens"]) == 1000 * credit);
    CHECK(packs["pack"]["price_each_minor"] == 1200);
    CHECK(tokens(packs["purchased_tokens"]) == 3000 * credit);
    CHECK(tokens(packs["left_over_tokens"]) == 500 * credit);  // purchased credits never expire
    CHECK(tokens(packs["expiring_unused_tokens"]) == 0);
    CHECK(packs["monthly_cost_minor"] == 3600);

    // Standard: 2,000 included, 500 short, bought as one pack_500: 2,000 + 750.
    const json standard = option(q, "plan:standard");
    CHECK(tokens(standard["shortfall_tokens"]) == 500 * credit);
    CHECK(pack_choice(standard) == "pack_500 x1");
    CHECK(tokens(standard["left_over_tokens"]) == 0);
    CHECK(tokens(standard["expiring_unused_tokens"]) == 0);
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

TEST_CASE("§12 quote: packs — the lowest total price, then fewer left-over credits, then catalog order") {
    SECTION("lowest total price, then catalog order between equal packs") {
        const credits::Engine engine =
            engine_with("0", json::array(),
                        json::array({json{{"id", "a_small"}, {"credits", 100}, {"price_minor", 100}},
                                     json{{"id", "b_mid"}, {"credits", 300}, {"price_minor", 250}},
                                     json{{"id", "c_mid_twin"}, {"credits", 300}, {"price_minor", 250}},
                                     json{{"id", "d_big"}, {"credits", 1000}, {"price_minor", 900}}}));
        // 250 credits: 3 x a = 300, 1 x b = 250, 1 x c = 250, 1 x d = 900.
        CHECK(pack_choice(option(quote(engine, need(250 * credit)), "packs")) == "b_mid x1");
        // 600 credits: 6 x a = 600, 2 x b = 500, 1 x d = 900.
        CHECK(pack_choice(option(quote(engine, need(600 * credit)), "packs")) == "b_mid x2");
        // 1,000 credits: 10 x a = 1,000, 4 x b = 1,000, 1 x d = 900.
        CHECK(pack_choice(option(quote(engine, need(1000 * credit)), "packs")) == "d_big x1");
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
        // 450 credits: 2 x f = 400 beats 3 x e = 600 on price.
        CHECK(pack_choice(option(quote(engine, need(450 * credit)), "packs")) == "f_loose x2");
        CHECK(tokens(option(quote(engine, need(450 * credit)), "packs")["left_over_tokens"]) == 50 * credit);
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
