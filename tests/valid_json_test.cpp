// Every answer is valid JSON in strict UTF-8, whatever bytes a question holds:
// the writer replaces ill-formed UTF-8 (one U+FFFD per maximal subpart) and
// messages quote at most excerpt_bytes_max bytes of the input.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/api.h"
#include "credits/json_writer.h"
#include "ledger_fixtures.h"

namespace {

const std::string fffd = "\xEF\xBF\xBD";

// A ledger with a project "p1" and some usage, in the default engine.
credits::LoadedLedger sample_account() {
    using namespace fixtures;
    return load(ledger_text({opened("o", "2026-01-01T00:00:00Z"),
                             chat("u", "2026-01-02T00:00:00Z", "t1", "s1", Tokens{1000, 2000, 300})}),
                default_engine());
}

// nlohmann's reader rejects ill-formed UTF-8 (overlong forms, surrogates, > U+10FFFF).
bool parses_strictly(const std::string& text) {
    try {
        return !nlohmann::json::parse(text).is_discarded();
    } catch (const nlohmann::json::parse_error&) {
        return false;
    }
}

std::string written(std::string_view text) {
    credits::JsonWriter w;
    w.begin_array().value(text).end_array();
    return w.take();
}

std::string decoded(std::string_view text) { return nlohmann::json::parse(written(text))[0].get<std::string>(); }

// Well-formed UTF-8 by the definition of Unicode's table 3-7, written out independently.
bool well_formed(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = [&](std::size_t k) -> unsigned { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0U; };
        const auto in = [](unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
        const unsigned c0 = b(0);
        std::size_t n = 0;
        if (c0 < 0x80) n = 1;
        else if (in(c0, 0xC2, 0xDF) && in(b(1), 0x80, 0xBF)) n = 2;
        else if (c0 == 0xE0 && in(b(1), 0xA0, 0xBF) && in(b(2), 0x80, 0xBF)) n = 3;
        else if ((in(c0, 0xE1, 0xEC) || in(c0, 0xEE, 0xEF)) && in(b(1), 0x80, 0xBF) && in(b(2), 0x80, 0xBF)) n = 3;
        else if (c0 == 0xED && in(b(1), 0x80, 0x9F) && in(b(2), 0x80, 0xBF)) n = 3;
        else if (c0 == 0xF0 && in(b(1), 0x90, 0xBF) && in(b(2), 0x80, 0xBF) && in(b(3), 0x80, 0xBF)) n = 4;
        else if (in(c0, 0xF1, 0xF3) && in(b(1), 0x80, 0xBF) && in(b(2), 0x80, 0xBF) && in(b(3), 0x80, 0xBF)) n = 4;
        else if (c0 == 0xF4 && in(b(1), 0x80, 0x8F) && in(b(2), 0x80, 0xBF) && in(b(3), 0x80, 0xBF)) n = 4;
        if (n == 0 || i + n > s.size()) return false;
        i += n;
    }
    return true;
}

// Bytes that are not UTF-8, one kind each: a lone continuation byte, bytes never
// used, a truncated sequence, an overlong '/', a UTF-16 surrogate, beyond U+10FFFF.
const std::vector<std::string> hostile = {"\x80", "\xFF\xFE", "2026-12-01T00:00:00Z\xE2\x82", "\xC0\xAF",
                                          "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3", "x\x01\"\\\x7F\xF0\x9F\x98"};

}  // namespace

TEST_CASE("the writer replaces each maximal subpart of ill-formed UTF-8 with one U+FFFD", "[json][utf8]") {
    // Unicode 15, section 3.9, table 3-8 (U+FFFD for maximal subparts).
    CHECK(decoded("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
          "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d");
    CHECK(decoded("\xC0\xAF") == fffd + fffd);                  // overlong: C0 never starts a character
    CHECK(decoded("\xE0\x80\xAF") == fffd + fffd + fffd);       // overlong: E0 needs A0..BF next
    CHECK(decoded("\xED\xA0\x80") == fffd + fffd + fffd);       // a surrogate
    CHECK(decoded("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
    CHECK(decoded("\xF0\x9F\x98") == fffd);                     // truncated at the end: one subpart
    CHECK(decoded("\xF0\x9F\x98!") == fffd + "!");
    CHECK(decoded("\xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\xA9") == "\xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\xA9");  // kept
    CHECK(written("\x01\"\\\x7F") == "[\"\\u0001\\\"\\\\\x7F\"]");
    // Long strings (past the writer's 128-byte fast path) get the same treatment.
    const std::string long_text = std::string(200, 'a') + "\xFF" + std::string(200, 'b') + "\xC3\xA9";
    CHECK(decoded(long_text) == std::string(200, 'a') + fffd + std::string(200, 'b') + "\xC3\xA9");
    std::string direct;
    credits::write_json_string(direct, "\x80z");
    CHECK(direct == "\"" + fffd + "z\"");
}

TEST_CASE("any bytes written as a string parse as strict JSON and keep well-formed text", "[json][utf8]") {
    std::mt19937 random(20261201);
    // Bytes weighted toward the interesting ones: lead bytes, continuations, quotes, controls.
    const std::string alphabet = std::string("\x80\x8F\x90\x9F\xA0\xBF\xC0\xC1\xC2\xDF\xE0\xE1\xED\xEE\xEF\xF0\xF1\xF4\xF5\xFF", 20) +
                                 std::string("\0\x01\x1F\"\\/aZ~\x7F", 10);
    std::size_t kept = 0;
    for (int round = 0; round < 4000; ++round) {
        std::string text(static_cast<std::size_t>(random() % 300), '\0');
        for (char& c : text) c = alphabet[random() % alphabet.size()];
        const std::string json = written(text);
        INFO("round " << round);
        REQUIRE(parses_strictly(json));
        REQUIRE(well_formed(nlohmann::json::parse(json)[0].get<std::string>()));
        if (well_formed(text)) {
            ++kept;
            REQUIRE(nlohmann::json::parse(json)[0].get<std::string>() == text);
        }
    }
    CHECK(kept > 0);  // short strings of plain bytes do come up
}

TEST_CASE("utf8_unit gives the maximal subpart's length", "[json][utf8]") {
    using credits::utf8_unit;
    CHECK(utf8_unit("a").bytes == 1);
    CHECK(utf8_unit("\xC3\xA9").bytes == 2);
    CHECK(utf8_unit("\xC3\xA9").well_formed);
    CHECK(utf8_unit("\xF0\x9F\x98\x80").bytes == 4);
    CHECK(utf8_unit("\xF0\x9F\x98").bytes == 3);
    CHECK_FALSE(utf8_unit("\xF0\x9F\x98").well_formed);
    CHECK(utf8_unit("\xE1\x80\xC2").bytes == 2);
    CHECK(utf8_unit("\xED\xA0\x80").bytes == 1);
    CHECK(utf8_unit("\xFF").bytes == 1);
    CHECK_FALSE(utf8_unit("\x80").well_formed);
}

TEST_CASE("a quoted input is cut between characters to excerpt_bytes_max", "[json][utf8]") {
    using credits::excerpt;
    CHECK(excerpt("short") == "short");
    CHECK(excerpt(std::string(100, 'x')) == std::string(100, 'x'));
    CHECK(excerpt(std::string(101, 'x')) == std::string(100, 'x') + "\xE2\x80\xA6");
    // 'é' is two bytes: 50 of them fill 100 bytes; with one ASCII byte first, only 49 fit.
    std::string accents;
    for (int i = 0; i < 80; ++i) accents += "\xC3\xA9";
    CHECK(excerpt(accents) == accents.substr(0, 100) + "\xE2\x80\xA6");
    CHECK(excerpt("x" + accents) == "x" + accents.substr(0, 98) + "\xE2\x80\xA6");
    // An ill-formed byte is one unit of its own.
    CHECK(excerpt(std::string(99, 'x') + "\xFF\xFF") == std::string(99, 'x') + "\xFF\xE2\x80\xA6");
    CHECK(excerpt(std::string(99, 'x') + "\xF0\x9F\x98\x80") == std::string(99, 'x') + "\xE2\x80\xA6");
}

TEST_CASE("invalid UTF-8 in every query parameter is answered with valid JSON", "[json][utf8][query]") {
    std::optional<credits::LoadedLedger> account = sample_account();
    const std::string at = "2026-12-01T00:00:00Z";
    const auto check_rejected = [](const credits::Answer& answer, const std::string& code, const std::string& pointer) {
        INFO(answer.json);
        REQUIRE_FALSE(answer.ok);
        REQUIRE(parses_strictly(answer.json));
        const nlohmann::json doc = nlohmann::json::parse(answer.json);
        REQUIRE(doc.at("errors").size() == 1);
        CHECK(doc["errors"][0]["code"] == code);
        CHECK(doc["errors"][0]["pointer"] == pointer);
        CHECK(doc["errors"][0]["message"].get<std::string>().size() < 400);
    };
    for (const std::string& bad : hostile) {
        INFO("bytes " << nlohmann::json(bad).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        check_rejected(account->report(bad), "invalid_query", "/at");
        check_rejected(account->report(at, bad), "invalid_query", "/from");
        check_rejected(account->report(at, "", bad), "invalid_query", "/to");
        check_rejected(account->report(at, "", "", bad), "invalid_query", "/utc_offset");
        check_rejected(account->forecast(bad), "invalid_query", "/at");
        check_rejected(account->project(bad, at), "unknown_project", "/project_id");
        check_rejected(account->project("p1", at, "", "", bad), "invalid_query", "/utc_offset");
        const credits::LoadedLedger::ReportParts parts = account->report_parts(at, "", "", bad);
        check_rejected(parts.rest, "invalid_query", "/utc_offset");
    }
    // The replacement shows where the bad bytes were.
    const credits::Answer answer = account->report("2026-12-01\xFFT00:00:00Z");
    const std::string message = nlohmann::json::parse(answer.json)["errors"][0]["message"];
    CHECK(message.find("found \"2026-12-01" + fffd + "T00:00:00Z\"") != std::string::npos);
}

TEST_CASE("messages quote at most excerpt_bytes_max bytes of a query's input", "[json][utf8][query]") {
    std::optional<credits::LoadedLedger> account = sample_account();
    std::string huge;
    for (int i = 0; i < 50000; ++i) huge += "\xC3\xA9";  // 100 KB of 'é'
    for (const credits::Answer& answer :
         {account->report(huge), account->report("2026-12-01T00:00:00Z", "", "", huge), account->project(huge, "2026-12-01T00:00:00Z")}) {
        INFO(answer.json.substr(0, 400));
        REQUIRE(parses_strictly(answer.json));
        const std::string message = nlohmann::json::parse(answer.json)["errors"][0]["message"];
        CHECK(message.size() < 300);
        CHECK(message.find(huge.substr(0, 100) + "\xE2\x80\xA6\"") != std::string::npos);
    }
}

TEST_CASE("invalid UTF-8 in quote fields, documents and error parts still gives valid JSON", "[json][utf8]") {
    const credits::Engine engine = credits::Engine::with_defaults();
    for (const std::string& bad : hostile) {
        for (const std::string& quote : {R"({"output_tokens":1,"input_tokens":1,"cache_hit_rate_bp":0,"plan":")" + bad + "\"}",
                                         R"({"output_tokens":")" + bad + R"(","input_tokens":1,"cache_hit_rate_bp":0})",
                                         "{\"" + bad + "\":1}"}) {
            const credits::Answer answer = engine.quote(quote);
            INFO(answer.json);
            CHECK_FALSE(answer.ok);
            CHECK(parses_strictly(answer.json));
        }
        std::string errors;
        CHECK_FALSE(engine.load(R"({"format":"easycoda.ledger/1","account":{"id":")" + bad + "\"}}", &errors));
        CHECK(parses_strictly(errors));
        const std::string json = credits::errors_json({credits::Error{bad, bad, "/" + bad, bad}});
        INFO(json);
        REQUIRE(parses_strictly(json));
        const nlohmann::json e = nlohmann::json::parse(json)["errors"][0];
        CHECK(e["code"] == e["message"]);
        CHECK(e["event_id"] == e["message"]);
    }
}
