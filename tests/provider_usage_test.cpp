// Spec §3: provider usage objects normalized to output / cache-miss input /
// cache-hit input. Payload shapes follow the providers' API references; see
// docs/provider-formats.md. The shared vectors under tests/vectors/provider/
// are read from the repository root (the tests' working directory).
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "credits/errors.h"
#include "credits/json_input.h"
#include "credits/provider_usage.h"

namespace Catch {
template <>
struct StringMaker<credits::TokenCounts> {
    static std::string convert(const credits::TokenCounts& counts) {
        return "{output " + std::to_string(counts.output_tokens) + ", miss " +
               std::to_string(counts.input_cache_miss_tokens) + ", hit " +
               std::to_string(counts.input_cache_hit_tokens) + "}";
    }
};
}  // namespace Catch

namespace {

using credits::Error;
using credits::ErrorList;
using credits::Json;
using credits::TokenCounts;
namespace code = credits::code;

const std::string usage_pointer = "/events/4/provider_usage/usage";
const std::string event_id = "e5";

struct Outcome {
    std::optional<TokenCounts> counts;
    std::vector<Error> errors;
};

Outcome normalize_json(std::string_view format, const Json& usage,
                       const std::string& pointer = usage_pointer) {
    ErrorList errors;
    Outcome outcome;
    outcome.counts = credits::normalize_provider_usage(format, usage, pointer, event_id, errors);
    outcome.errors = errors.take();
    return outcome;
}

Outcome normalize(std::string_view format, const char* usage_text,
                  const std::string& pointer = usage_pointer) {
    return normalize_json(format, Json::parse(usage_text), pointer);
}

std::string describe(const std::vector<Error>& errors) {
    std::string text;
    for (const Error& error : errors) {
        text += error.code + " at " + error.pointer + ": " + error.message + "\n";
    }
    return text;
}

TokenCounts counts_of(const Outcome& outcome) {
    INFO(describe(outcome.errors));
    REQUIRE(outcome.errors.empty());
    REQUIRE(outcome.counts.has_value());
    return *outcome.counts;
}

// The one error of a rejected usage object; its event id is always carried.
Error only_error(const Outcome& outcome) {
    INFO(describe(outcome.errors));
    REQUIRE_FALSE(outcome.counts.has_value());
    REQUIRE(outcome.errors.size() == 1);
    CHECK(outcome.errors[0].event_id == std::optional<std::string>(event_id));
    CHECK_FALSE(outcome.errors[0].message.empty());
    return outcome.errors[0];
}

void check_only_error(const Outcome& outcome, std::string_view error_code,
                      const std::string& pointer) {
    const Error error = only_error(outcome);
    CHECK(error.code == error_code);
    CHECK(error.pointer == pointer);
}

std::string at(std::string_view member) { return usage_pointer + "/" + std::string(member); }

std::string read_text_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    INFO("opening " << path << " (tests run from the repository root)");
    REQUIRE(file.good());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("§3 every shared provider vector normalizes to its expected counts") {
    for (const std::string_view format : credits::provider_formats) {
        const std::string path = "tests/vectors/provider/" + std::string(format) + ".json";
        SECTION(path) {
            const Json vector = Json::parse(read_text_file(path));
            REQUIRE(vector.at("format") == format);
            const Json& expected = vector.at("expected");
            const TokenCounts wanted{expected.at("output").get<std::int64_t>(),
                                     expected.at("input_cache_miss").get<std::int64_t>(),
                                     expected.at("input_cache_hit").get<std::int64_t>()};
            CHECK(counts_of(normalize_json(format, vector.at("usage"))) == wanted);
        }
    }
}

TEST_CASE("§3 openai_chat: output is completion_tokens, cached tokens are taken out of the prompt") {
    SECTION("a reasoning model with a prompt-cache hit (reasoning is inside completion_tokens)") {
        const auto outcome = normalize("openai_chat", R"({
            "prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}})");
        CHECK(counts_of(outcome) == TokenCounts{300, 86, 1920});
    }
    SECTION("the API reference's example, nothing cached") {
        const auto outcome = normalize("openai_chat", R"({
            "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}})");
        CHECK(counts_of(outcome) == TokenCounts{10, 19, 0});
    }
    SECTION("everything cached") {
        const auto outcome = normalize(
            "openai_chat",
            R"({"prompt_tokens": 1024, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 1024}})");
        CHECK(counts_of(outcome) == TokenCounts{1, 0, 1024});
    }
}

TEST_CASE("§3 openai_responses: output is output_tokens, cached tokens are taken out of the input") {
    const auto outcome = normalize("openai_responses", R"({
        "input_tokens": 12033, "input_tokens_details": {"cached_tokens": 11904},
        "output_tokens": 1035, "output_tokens_details": {"reasoning_tokens": 832},
        "total_tokens": 13068})");
    CHECK(counts_of(outcome) == TokenCounts{1035, 129, 11904});

    const auto uncached = normalize("openai_responses", R"({
        "input_tokens": 9, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 19})");
    CHECK(counts_of(uncached) == TokenCounts{10, 9, 0});
}

TEST_CASE("§3 anthropic_messages: input_tokens excludes the cache, cache writes are misses") {
    SECTION("a cache read plus a cache write, with the newer nested and server-tool fields") {
        const auto outcome = normalize("anthropic_messages", R"({
            "input_tokens": 2095, "cache_creation_input_tokens": 2051,
            "cache_read_input_tokens": 40960,
            "cache_creation": {"ephemeral_5m_input_tokens": 2051, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 503,
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
            "service_tier": "standard"})");
        CHECK(counts_of(outcome) == TokenCounts{503, 2095 + 2051, 40960});
    }
    SECTION("the first request of a cached prompt: everything is written, nothing read") {
        const auto outcome = normalize("anthropic_messages", R"({
            "input_tokens": 21, "cache_creation_input_tokens": 188086,
            "cache_read_input_tokens": 0, "output_tokens": 393})");
        CHECK(counts_of(outcome) == TokenCounts{393, 188107, 0});
    }
    SECTION("older responses carry null cache counts") {
        const auto outcome = normalize("anthropic_messages", R"({
            "input_tokens": 25, "output_tokens": 14,
            "cache_creation_input_tokens": null, "cache_read_input_tokens": null})");
        CHECK(counts_of(outcome) == TokenCounts{14, 25, 0});
    }
}

TEST_CASE("§3 gemini: thoughts are output, tool-use prompts are misses, cached content is a hit") {
    SECTION("thinking model with implicit caching and a tool call") {
        const auto outcome = normalize("gemini", R"({
            "promptTokenCount": 12500, "candidatesTokenCount": 850, "totalTokenCount": 14860,
            "cachedContentTokenCount": 10240,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12500}],
            "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 10240}],
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 850}],
            "toolUsePromptTokenCount": 310,
            "toolUsePromptTokensDetails": [{"modality": "TEXT", "tokenCount": 310}],
            "thoughtsTokenCount": 1200})");
        CHECK(counts_of(outcome) == TokenCounts{850 + 1200, 12500 - 10240 + 310, 10240});
    }
    SECTION("a plain request reports only prompt, candidates and total") {
        const auto outcome = normalize("gemini", R"({
            "promptTokenCount": 8, "candidatesTokenCount": 31, "totalTokenCount": 39,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]})");
        CHECK(counts_of(outcome) == TokenCounts{31, 8, 0});
    }
    SECTION("Vertex AI adds trafficType, which is ignored") {
        const auto outcome = normalize("gemini", R"({
            "promptTokenCount": 100, "candidatesTokenCount": 5, "thoughtsTokenCount": 7,
            "totalTokenCount": 112, "trafficType": "ON_DEMAND"})");
        CHECK(counts_of(outcome) == TokenCounts{12, 100, 0});
    }
}

TEST_CASE("§3 deepseek: hit and miss come from their own fields and must add up to prompt_tokens") {
    SECTION("deepseek-reasoner: reasoning is inside completion_tokens; the OpenAI-style details are ignored") {
        const auto outcome = normalize("deepseek", R"({
            "prompt_tokens": 1570, "completion_tokens": 912, "total_tokens": 2482,
            "prompt_tokens_details": {"cached_tokens": 1536},
            "completion_tokens_details": {"reasoning_tokens": 745},
            "prompt_cache_hit_tokens": 1536, "prompt_cache_miss_tokens": 34})");
        CHECK(counts_of(outcome) == TokenCounts{912, 34, 1536});
    }
    SECTION("hit and miss differ from prompt_tokens") {
        const auto outcome = normalize("deepseek", R"({
            "prompt_tokens": 1570, "completion_tokens": 912,
            "prompt_cache_hit_tokens": 1536, "prompt_cache_miss_tokens": 30})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::inconsistent_usage);
        CHECK(error.pointer == at("prompt_tokens"));
        CHECK_THAT(error.message, Catch::Contains("1536") && Catch::Contains("30") &&
                                      Catch::Contains("1566") && Catch::Contains("1570") &&
                                      Catch::Contains("prompt_tokens"));
    }
    SECTION("prompt_tokens without the cache fields would drop tokens, so it is rejected") {
        const auto outcome = normalize("deepseek", R"({"prompt_tokens": 9, "completion_tokens": 12})");
        check_only_error(outcome, code::inconsistent_usage, at("prompt_tokens"));
    }
    SECTION("an absent or null prompt_tokens means there is nothing to check against") {
        CHECK(counts_of(normalize("deepseek", R"({
            "completion_tokens": 5, "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 3})")) ==
              TokenCounts{5, 3, 64});
        CHECK(counts_of(normalize("deepseek", R"({"prompt_tokens": null,
            "completion_tokens": 5, "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 3})")) ==
              TokenCounts{5, 3, 64});
    }
    SECTION("prompt_tokens 0 with no cache fields adds up") {
        CHECK(counts_of(normalize("deepseek", R"({"prompt_tokens": 0, "completion_tokens": 4})")) ==
              TokenCounts{4, 0, 0});
    }
}

TEST_CASE("§3 a missing count is 0") {
    for (const std::string_view format : credits::provider_formats) {
        SECTION(std::string(format) + ": an empty usage object") {
            CHECK(counts_of(normalize(format, "{}")) == TokenCounts{0, 0, 0});
        }
    }
    SECTION("openai_chat without prompt_tokens_details: nothing cached") {
        CHECK(counts_of(normalize("openai_chat", R"({"prompt_tokens": 50, "completion_tokens": 7})")) ==
              TokenCounts{7, 50, 0});
    }
    SECTION("openai_chat details without cached_tokens") {
        CHECK(counts_of(normalize("openai_chat", R"({"prompt_tokens": 50,
            "prompt_tokens_details": {"audio_tokens": 3}})")) == TokenCounts{0, 50, 0});
    }
    SECTION("openai_responses without output_tokens") {
        CHECK(counts_of(normalize("openai_responses", R"({"input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 2}})")) == TokenCounts{0, 3, 2});
    }
    SECTION("anthropic_messages with only output_tokens") {
        CHECK(counts_of(normalize("anthropic_messages", R"({"output_tokens": 8})")) ==
              TokenCounts{8, 0, 0});
    }
    SECTION("gemini without thoughts or tool use") {
        CHECK(counts_of(normalize("gemini", R"({"promptTokenCount": 40,
            "cachedContentTokenCount": 32, "candidatesTokenCount": 2})")) == TokenCounts{2, 8, 32});
    }
}

TEST_CASE("§3 a null count is 0") {
    SECTION("a null usage object is missing, not zero (spec §10: a required member given as null)") {
        for (const std::string_view format : credits::provider_formats) {
            const Outcome outcome = normalize(format, "null");
            CHECK_FALSE(outcome.counts.has_value());
            REQUIRE(outcome.errors.size() == 1);
            CHECK(outcome.errors[0].code == "missing_field");
        }
    }
    SECTION("openai_chat with null details and null counts") {
        CHECK(counts_of(normalize("openai_chat", R"({"prompt_tokens": 12,
            "completion_tokens": null, "prompt_tokens_details": null,
            "completion_tokens_details": null})")) == TokenCounts{0, 12, 0});
        CHECK(counts_of(normalize("openai_chat", R"({"prompt_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": null}})")) == TokenCounts{0, 12, 0});
    }
    SECTION("openai_responses with null details") {
        CHECK(counts_of(normalize("openai_responses", R"({"input_tokens": 3,
            "input_tokens_details": null, "output_tokens": 4})")) == TokenCounts{4, 3, 0});
    }
    SECTION("gemini with null counts") {
        CHECK(counts_of(normalize("gemini", R"({"promptTokenCount": 6,
            "candidatesTokenCount": null, "thoughtsTokenCount": null,
            "cachedContentTokenCount": null, "toolUsePromptTokenCount": null})")) ==
              TokenCounts{0, 6, 0});
    }
    SECTION("deepseek with null cache counts") {
        CHECK(counts_of(normalize("deepseek", R"({"completion_tokens": 2,
            "prompt_cache_hit_tokens": null, "prompt_cache_miss_tokens": 7, "prompt_tokens": 7})")) ==
              TokenCounts{2, 7, 0});
    }
}

TEST_CASE("§3 the members a formula uses must be counts of the right type") {
    SECTION("a count written as a string") {
        check_only_error(normalize("openai_chat", R"({"prompt_tokens": "2006"})"), code::wrong_type,
                         at("prompt_tokens"));
    }
    SECTION("a count written as a boolean, an object or an array") {
        check_only_error(normalize("anthropic_messages", R"({"output_tokens": true})"),
                         code::wrong_type, at("output_tokens"));
        check_only_error(normalize("gemini", R"({"thoughtsTokenCount": {"n": 1}})"),
                         code::wrong_type, at("thoughtsTokenCount"));
        check_only_error(normalize("deepseek", R"({"prompt_cache_hit_tokens": [64]})"),
                         code::wrong_type, at("prompt_cache_hit_tokens"));
    }
    SECTION("a nested count of the wrong type") {
        check_only_error(
            normalize("openai_responses", R"({"input_tokens_details": {"cached_tokens": "all"}})"),
            code::wrong_type, at("input_tokens_details/cached_tokens"));
    }
    SECTION("a details object that is not an object") {
        const auto outcome = normalize(
            "openai_chat", R"({"prompt_tokens": 5, "prompt_tokens_details": [{"cached_tokens": 5}]})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::wrong_type);
        CHECK(error.pointer == at("prompt_tokens_details"));
        CHECK_THAT(error.message,
                   Catch::Contains("prompt_tokens_details") && Catch::Contains("an array"));
        check_only_error(normalize("openai_responses", R"({"input_tokens_details": 0})"),
                         code::wrong_type, at("input_tokens_details"));
    }
    SECTION("a usage value that is not an object") {
        const auto outcome = normalize("gemini", R"([{"promptTokenCount": 1}])");
        const Error error = only_error(outcome);
        CHECK(error.code == code::wrong_type);
        CHECK(error.pointer == usage_pointer);
        CHECK_THAT(error.message, Catch::Contains("gemini") && Catch::Contains("an array"));
        check_only_error(normalize("deepseek", R"("1570")"), code::wrong_type, usage_pointer);
        check_only_error(normalize("anthropic_messages", "42"), code::wrong_type, usage_pointer);
    }
    SECTION("every problem is reported, not only the first") {
        const auto outcome = normalize("anthropic_messages", R"({"input_tokens": "x",
            "output_tokens": -3, "cache_creation_input_tokens": 1.5, "cache_read_input_tokens": 7})");
        INFO(describe(outcome.errors));
        CHECK_FALSE(outcome.counts.has_value());
        REQUIRE(outcome.errors.size() == 3);
        std::vector<std::string> pointers;
        for (const Error& error : outcome.errors) {
            pointers.push_back(error.pointer);
            CHECK(error.event_id == std::optional<std::string>(event_id));
        }
        CHECK_THAT(pointers, Catch::UnorderedEquals(std::vector<std::string>{
                                 at("input_tokens"), at("output_tokens"),
                                 at("cache_creation_input_tokens")}));
    }
    SECTION("a type error is not followed by a consistency error") {
        // cached_tokens is fine but prompt_tokens is not: only the type error is reported.
        check_only_error(normalize("openai_chat", R"({"prompt_tokens": "10",
            "prompt_tokens_details": {"cached_tokens": 64}})"),
                         code::wrong_type, at("prompt_tokens"));
    }
}

TEST_CASE("§3 negative and fractional counts are rejected") {
    SECTION("negative") {
        check_only_error(normalize("openai_chat", R"({"completion_tokens": -1})"),
                         code::invalid_number, at("completion_tokens"));
        check_only_error(normalize("deepseek", R"({"prompt_cache_miss_tokens": -34})"),
                         code::invalid_number, at("prompt_cache_miss_tokens"));
        check_only_error(
            normalize("openai_chat", R"({"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": -5}})"),
            code::invalid_number, at("prompt_tokens_details/cached_tokens"));
    }
    SECTION("a fraction or an exponent, even of a whole number") {
        check_only_error(normalize("gemini", R"({"candidatesTokenCount": 12.5})"),
                         code::invalid_number, at("candidatesTokenCount"));
        check_only_error(normalize("gemini", R"({"promptTokenCount": 12.0})"),
                         code::invalid_number, at("promptTokenCount"));
        check_only_error(normalize("openai_responses", R"({"output_tokens": 1e3})"),
                         code::invalid_number, at("output_tokens"));
    }
}

TEST_CASE("§3 counts and sums stay within 2^53 - 1") {
    SECTION("the largest count is accepted") {
        CHECK(counts_of(normalize("openai_chat", R"({"completion_tokens": 9007199254740991})")) ==
              TokenCounts{9007199254740991, 0, 0});
    }
    SECTION("a count above it is rejected") {
        check_only_error(normalize("openai_chat", R"({"completion_tokens": 9007199254740992})"),
                         code::amount_out_of_range, at("completion_tokens"));
        check_only_error(normalize("deepseek", R"({"prompt_tokens": 18446744073709551615})"),
                         code::amount_out_of_range, at("prompt_tokens"));
    }
    SECTION("anthropic: input_tokens + cache_creation_input_tokens") {
        CHECK(counts_of(normalize("anthropic_messages", R"({"input_tokens": 9007199254740990,
            "cache_creation_input_tokens": 1})")) == TokenCounts{0, 9007199254740991, 0});
        const auto outcome = normalize("anthropic_messages", R"({"input_tokens": 9007199254740991,
            "cache_creation_input_tokens": 1})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::amount_out_of_range);
        CHECK(error.pointer == usage_pointer);
        CHECK_THAT(error.message, Catch::Contains("input_tokens") &&
                                      Catch::Contains("cache_creation_input_tokens") &&
                                      Catch::Contains("9007199254740992"));
    }
    SECTION("gemini: candidates + thoughts, and prompt - cached + tool use") {
        check_only_error(normalize("gemini", R"({"candidatesTokenCount": 9007199254740991,
            "thoughtsTokenCount": 9007199254740991})"),
                         code::amount_out_of_range, usage_pointer);
        check_only_error(normalize("gemini", R"({"promptTokenCount": 9007199254740991,
            "cachedContentTokenCount": 1, "toolUsePromptTokenCount": 2})"),
                         code::amount_out_of_range, usage_pointer);
        CHECK(counts_of(normalize("gemini", R"({"promptTokenCount": 9007199254740991,
            "cachedContentTokenCount": 1, "toolUsePromptTokenCount": 1})")) ==
              TokenCounts{0, 9007199254740991, 1});
    }
    SECTION("both gemini sums out of range: both are reported") {
        const auto outcome = normalize("gemini", R"({"candidatesTokenCount": 9007199254740991,
            "thoughtsTokenCount": 1, "promptTokenCount": 1, "toolUsePromptTokenCount": 9007199254740991})");
        CHECK_FALSE(outcome.counts.has_value());
        REQUIRE(outcome.errors.size() == 2);
        CHECK(outcome.errors[0].code == code::amount_out_of_range);
        CHECK(outcome.errors[1].code == code::amount_out_of_range);
    }
}

TEST_CASE("§3 cached tokens above the prompt count are inconsistent") {
    SECTION("openai_chat") {
        const auto outcome = normalize("openai_chat", R"({"prompt_tokens": 1000,
            "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 1200}})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::inconsistent_usage);
        CHECK(error.pointer == at("prompt_tokens_details/cached_tokens"));
        CHECK_THAT(error.message, Catch::Contains("1200") && Catch::Contains("1000") &&
                                      Catch::Contains("prompt_tokens_details.cached_tokens") &&
                                      Catch::Contains("prompt_tokens"));
    }
    SECTION("openai_chat with cached tokens but no prompt_tokens") {
        check_only_error(
            normalize("openai_chat", R"({"prompt_tokens_details": {"cached_tokens": 64}})"),
            code::inconsistent_usage, at("prompt_tokens_details/cached_tokens"));
    }
    SECTION("openai_responses") {
        check_only_error(normalize("openai_responses", R"({"input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 11}, "output_tokens": 1})"),
                         code::inconsistent_usage, at("input_tokens_details/cached_tokens"));
    }
    SECTION("gemini") {
        const auto outcome = normalize("gemini", R"({"promptTokenCount": 4096,
            "cachedContentTokenCount": 4097, "toolUsePromptTokenCount": 100})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::inconsistent_usage);
        CHECK(error.pointer == at("cachedContentTokenCount"));
        CHECK_THAT(error.message, Catch::Contains("4097") && Catch::Contains("4096"));
    }
    SECTION("equal counts are fine") {
        CHECK(counts_of(normalize("openai_responses", R"({"input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 10}})")) == TokenCounts{0, 0, 10});
    }
}

TEST_CASE("§3 fields the formula does not use are ignored, whatever they hold") {
    SECTION("openai_chat") {
        CHECK(counts_of(normalize("openai_chat", R"({"prompt_tokens": 20, "completion_tokens": 3,
            "total_tokens": "lots", "completion_tokens_details": "n/a",
            "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": -1, "future": [1]},
            "new_provider_field": {"x": 1.5}})")) == TokenCounts{3, 16, 4});
    }
    SECTION("openai_responses") {
        CHECK(counts_of(normalize("openai_responses", R"({"input_tokens": 20, "output_tokens": 3,
            "output_tokens_details": 7, "total_tokens": -1})")) == TokenCounts{3, 20, 0});
    }
    SECTION("anthropic_messages: cache_creation, server_tool_use and service_tier are not counts") {
        CHECK(counts_of(normalize("anthropic_messages", R"({"input_tokens": 1, "output_tokens": 2,
            "cache_creation": "bad", "server_tool_use": null, "service_tier": 5,
            "inference_geo": "us"})")) == TokenCounts{2, 1, 0});
    }
    SECTION("gemini: the modality breakdowns are not read") {
        CHECK(counts_of(normalize("gemini", R"({"promptTokenCount": 3,
            "promptTokensDetails": "TEXT", "cacheTokensDetails": 1, "totalTokenCount": 2.5})")) ==
              TokenCounts{0, 3, 0});
    }
    SECTION("deepseek: the OpenAI-style prompt_tokens_details is not read") {
        CHECK(counts_of(normalize("deepseek", R"({"prompt_tokens": 4, "prompt_cache_miss_tokens": 4,
            "prompt_tokens_details": {"cached_tokens": 999}})")) == TokenCounts{0, 4, 0});
    }
}

TEST_CASE("§3 an unknown provider format is an error at the sibling format member") {
    SECTION("an unsupported provider") {
        const auto outcome = normalize("mistral_chat", R"({"prompt_tokens": 1})");
        const Error error = only_error(outcome);
        CHECK(error.code == code::unknown_provider_format);
        CHECK(error.pointer == "/events/4/provider_usage/format");
        CHECK_THAT(error.message, Catch::Contains("\"mistral_chat\"") &&
                                      Catch::Contains("openai_chat") && Catch::Contains("deepseek"));
    }
    SECTION("formats are matched exactly") {
        check_only_error(normalize("OpenAI_Chat", "{}"), code::unknown_provider_format,
                         "/events/4/provider_usage/format");
        check_only_error(normalize("gemini ", "{}"), code::unknown_provider_format,
                         "/events/4/provider_usage/format");
        check_only_error(normalize("", "{}"), code::unknown_provider_format,
                         "/events/4/provider_usage/format");
    }
    SECTION("the usage object is not examined for an unknown format") {
        check_only_error(normalize("usage_v2", R"("not an object")"),
                         code::unknown_provider_format, "/events/4/provider_usage/format");
    }
    SECTION("the pointer is built from whatever pointer the caller gives") {
        check_only_error(normalize("x", "{}", "/usage"), code::unknown_provider_format, "/format");
        check_only_error(normalize("x", "{}", "/records/0/pu/usage"), code::unknown_provider_format,
                         "/records/0/pu/format");
    }
}

TEST_CASE("§3 every listed provider format is accepted") {
    CHECK(std::size(credits::provider_formats) == 5);
    for (const std::string_view format : credits::provider_formats) {
        INFO(format);
        CHECK(normalize(format, "{}").errors.empty());
    }
}
