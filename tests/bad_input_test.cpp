// The bad-input catalog (every rejection pinned to its first error): tests/bad/manifest.json lists rejected
// documents, each with the FIRST error it must get (code, JSON pointer, event
// id). Every case is loaded through credits::Engine, in every build (native,
// sanitized, WebAssembly); the answer must be a well-formed errors document,
// never a report. The giants (100,000 levels of nesting, a 100 MB string,
// 2,000,001 events) are generated here from the manifest's "generate" parts.
// Cases marked "slow" (2,000,001 events, the 100 MB string) run in optimized
// builds (native Release, WebAssembly) and, with CREDITS_BAD_SLOW=1, anywhere.
//
// The limits themselves (docs/reliability.md) are also checked with small
// LedgerLimits, so document_too_large is tested without a 512 MiB document.
#define CREDITS_FUZZ_THROW 1
#include "fuzz/fuzz_checks.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "credits/api.h"
#include "credits/default_data.h"
#include "credits/documents.h"
#include "credits/json_input.h"
#include "credits/ledger.h"

namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string generate(const json& parts) {
    std::size_t size = 0;
    for (const json& part : parts)
        size += part.contains("text") ? part["text"].get<std::string>().size()
                                      : part["repeat"].get<std::string>().size() * part["count"].get<std::size_t>();
    std::string text;
    text.reserve(size);
    for (const json& part : parts) {
        if (part.contains("text")) {
            text += part["text"].get<std::string>();
        } else {
            const std::string unit = part["repeat"].get<std::string>();
            const auto count = part["count"].get<std::size_t>();
            if (unit.size() == 1) {
                text.append(count, unit[0]);
            } else {
                for (std::size_t i = 0; i < count; ++i) text += unit;
            }
        }
    }
    return text;
}

// Slow cases run in optimized builds (native Release, WebAssembly), not under
// Debug + ASan/UBSan, where the lexer takes a minute over 100 MB.
bool run_slow_cases() {
    if (const char* v = std::getenv("CREDITS_BAD_SLOW")) return v[0] == '1';
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    return false;
#endif
#endif
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
    return true;
#else
    return false;
#endif
}

// The errors answer for one case, or nullopt when (wrongly) accepted.
std::optional<std::string> reject(const std::string& kind, const std::string& text) {
    const credits::Engine& engine = credits_fuzz::default_engine();
    std::string errors;
    if (kind == "ledger") {
        if (engine.load(text, &errors)) return std::nullopt;
        const credits::Answer check = engine.check(text);
        CHECK_FALSE(check.ok);
        CHECK(check.json == errors);
        return errors;
    }
    if (kind == "rules" || kind == "catalog") {
        const bool rules = kind == "rules";
        if (credits::Engine::create(rules ? std::string_view(text) : credits::default_rules_json,
                                    rules ? credits::default_catalog_json : std::string_view(text), &errors))
            return std::nullopt;
        return errors;
    }
    REQUIRE(kind == "quote");
    const credits::Answer answer = engine.quote(text);
    if (answer.ok) return std::nullopt;
    return answer.json;
}

}  // namespace

TEST_CASE("bad inputs: every catalog case gets its error", "[bad]") {
    const json manifest = json::parse(read_file("tests/bad/manifest.json"));
    const json& cases = manifest.at("cases");
    REQUIRE(cases.size() >= 60);
    const bool slow = run_slow_cases();
    std::size_t ran = 0;
    for (const json& c : cases) {
        const std::string name = c.at("name");
        CAPTURE(name);
        if (c.value("slow", false) && !slow) {
            WARN("skipped slow case " << name << " (set CREDITS_BAD_SLOW=1 to run it)");
            continue;
        }
        std::optional<std::string> errors;
        {
            const std::string text = c.at("file").is_null() ? generate(c.at("generate")) : read_file("tests/bad/" + c.at("file").get<std::string>());
            errors = reject(c.at("kind"), text);
        }
        REQUIRE(errors.has_value());
        try {
            credits_fuzz::check_errors(*errors);
        } catch (const std::exception& e) {
            FAIL(e.what());
        }
        const json list = json::parse(*errors).at("errors");
        CAPTURE(list[0]);
        CHECK(list[0].at("code") == c.at("expected_code"));
        CHECK(list[0].at("pointer") == c.at("expected_pointer"));
        CHECK(list[0].at("event_id") == c.at("expected_event_id"));
        if (c.contains("expected_count")) CHECK(list.size() == c.at("expected_count").get<std::size_t>());
        if (c.contains("expected_last_code")) CHECK(list.back().at("code") == c.at("expected_last_code"));
        ++ran;
    }
    CHECK(ran >= 60);
}

TEST_CASE("bad inputs: the limits hold with small bounds too", "[bad]") {
    const credits::Engine& engine = credits_fuzz::default_engine();
    const std::string doc =
        R"({"format":"easycoda.ledger/1","account":{"id":"a"},"projects":[{"id":"p","name":"P"},{"id":"q","name":"Q"}],"events":[)"
        R"({"id":"o","type":"account_opened","at":"2026-09-01T08:00:00Z"},)"
        R"({"id":"x1","type":"task_cancelled","at":"2026-09-02T08:00:00Z","project_id":"p","task_id":"t"},)"
        R"({"id":"x2","type":"task_cancelled","at":"2026-09-03T08:00:00Z","project_id":"p","task_id":"t"},)"
        R"({"id":"x3","type":"task_cancelled","at":"2026-09-04T08:00:00Z","project_id":"p","task_id":"t"}]})";
    const auto first = [](const credits::Result<credits::Ledger>& r) {
        REQUIRE_FALSE(r.ok());
        return std::make_pair(r.errors.front().code, r.errors.front().pointer);
    };
    REQUIRE(credits::parse_ledger(doc, engine.rules(), engine.catalog()).ok());

    SECTION("document bytes") {
        credits::LedgerLimits limits;
        limits.document_bytes_max = doc.size() - 1;
        CHECK(first(credits::parse_ledger(doc, engine.rules(), engine.catalog(), limits)) ==
              std::make_pair(std::string("document_too_large"), std::string("")));
        limits.document_bytes_max = doc.size();
        CHECK(credits::parse_ledger(doc, engine.rules(), engine.catalog(), limits).ok());
    }
    SECTION("events") {
        credits::LedgerLimits limits;
        limits.events_max = 3;
        CHECK(first(credits::parse_ledger(doc, engine.rules(), engine.catalog(), limits)) ==
              std::make_pair(std::string("too_many_events"), std::string("/events/3")));
        limits.events_max = 4;
        CHECK(credits::parse_ledger(doc, engine.rules(), engine.catalog(), limits).ok());
    }
    SECTION("projects") {
        credits::LedgerLimits limits;
        limits.projects_max = 1;
        CHECK(first(credits::parse_ledger(doc, engine.rules(), engine.catalog(), limits)) ==
              std::make_pair(std::string("too_many_events"), std::string("/projects")));
    }
    SECTION("nesting: 64 levels are fine, 65 are not") {
        const std::string deep64 = R"({"format":"easycoda.ledger/1","x":)" + std::string(63, '[') + std::string(63, ']') + "}";
        std::string errors;
        CHECK_FALSE(engine.load(deep64, &errors));
        CHECK(json::parse(errors)["errors"][0]["code"] == "unknown_field");  // parsed: only the member is wrong
        const std::string deep65 = R"({"format":"easycoda.ledger/1","x":)" + std::string(64, '[') + std::string(64, ']') + "}";
        CHECK_FALSE(engine.load(deep65, &errors));
        CHECK(json::parse(errors)["errors"][0]["code"] == "nesting_too_deep");
    }
    SECTION("strings: 65,536 bytes are fine, 65,537 are not") {
        const auto with_name = [](std::size_t n) {
            return R"({"format":"easycoda.ledger/1","x":")" + std::string(n, 'n') + R"("})";
        };
        std::string errors;
        CHECK_FALSE(engine.load(with_name(65536), &errors));
        CHECK(json::parse(errors)["errors"][0]["code"] == "unknown_field");
        CHECK_FALSE(engine.load(with_name(65537), &errors));
        CHECK(json::parse(errors)["errors"][0]["code"] == "string_too_long");
    }
    SECTION("ids: 256 bytes are fine, 257 are not") {
        const auto with_id = [](std::size_t n) {
            return R"({"format":"easycoda.ledger/1","account":{"id":")" + std::string(n, 'a') +
                   R"("},"events":[{"id":"o","type":"account_opened","at":"2026-09-01T08:00:00Z"}]})";
        };
        std::string errors;
        CHECK(engine.load(with_id(256), &errors));
        CHECK_FALSE(engine.load(with_id(257), &errors));
        CHECK(json::parse(errors)["errors"][0]["code"] == "string_too_long");
    }
}
