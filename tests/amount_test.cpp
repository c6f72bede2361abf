// Spec §1 units: every amount is a whole number of tokens; a credit is 10,000
// tokens, written as an exact decimal with four fractional digits. No binary
// floating point anywhere.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "credits/amount.h"
#include "credits/api.h"

using credits::amount_tokens_max;
using credits::format_credits;
using credits::parse_credit_string;

namespace {

// parse_credit_string's verdict in one value: tokens, "invalid" or "out of range".
std::string parse(const std::string& text) {
    bool out_of_range = true;  // must be reset by every call
    const std::optional<std::int64_t> tokens = parse_credit_string(text, &out_of_range);
    if (tokens) {
        REQUIRE_FALSE(out_of_range);
        return std::to_string(*tokens);
    }
    return out_of_range ? "out of range" : "invalid";
}

}  // namespace

TEST_CASE("§1 units: one credit is 10,000 tokens and 2^53 - 1 is the largest amount") {
    STATIC_REQUIRE(credits::tokens_per_credit == 10000);
    STATIC_REQUIRE(amount_tokens_max == 9007199254740991);
    CHECK(credits::amount_in_range(0));
    CHECK(credits::amount_in_range(amount_tokens_max));
    CHECK_FALSE(credits::amount_in_range(amount_tokens_max + 1));
    CHECK_FALSE(credits::amount_in_range(-1));
}

TEST_CASE("§1 format_credits: tokens as an exact decimal with four fractional digits") {
    CHECK(format_credits(0) == "0.0000");
    CHECK(format_credits(1) == "0.0001");
    CHECK(format_credits(9) == "0.0009");
    CHECK(format_credits(10) == "0.0010");
    CHECK(format_credits(4200) == "0.4200");
    CHECK(format_credits(10000) == "1.0000");
    CHECK(format_credits(12345678) == "1234.5678");
    CHECK(format_credits(255000) == "25.5000");
    CHECK(format_credits(5000000) == "500.0000");
}

TEST_CASE("§1 format_credits: negative amounts (an overdrawn balance) keep the sign in front") {
    CHECK(format_credits(-1) == "-0.0001");
    CHECK(format_credits(-4200) == "-0.4200");
    CHECK(format_credits(-10000) == "-1.0000");
    CHECK(format_credits(-12345678) == "-1234.5678");
}

TEST_CASE("§1 format_credits: exact at the extremes, 2^53 - 1 and every int64") {
    CHECK(format_credits(amount_tokens_max) == "900719925474.0991");
    CHECK(format_credits(-amount_tokens_max) == "-900719925474.0991");
    CHECK(format_credits(std::numeric_limits<std::int64_t>::max()) == "922337203685477.5807");
    CHECK(format_credits(std::numeric_limits<std::int64_t>::min()) == "-922337203685477.5808");
}

TEST_CASE("§1 parse_credit_string: valid credit amounts") {
    CHECK(parse("0") == "0");
    CHECK(parse("1") == "10000");
    CHECK(parse("25") == "250000");
    CHECK(parse("25.5") == "255000");
    CHECK(parse("0.0001") == "1");
    CHECK(parse("0.1") == "1000");
    CHECK(parse("0.42") == "4200");
    CHECK(parse("1234.5678") == "12345678");
    CHECK(parse("10.0000") == "100000");
    CHECK(parse("0.0") == "0");
}

TEST_CASE("§1 parse_credit_string: anything but (0|[1-9][0-9]*)(\\.[0-9]{1,4})? is invalid") {
    CHECK(parse("") == "invalid");
    CHECK(parse("01") == "invalid");      // leading zero
    CHECK(parse("00") == "invalid");
    CHECK(parse("00.5") == "invalid");
    CHECK(parse("1.") == "invalid");      // point without digits
    CHECK(parse(".5") == "invalid");      // digits without a whole part
    CHECK(parse("1.23456") == "invalid"); // finer than a token
    CHECK(parse("-1") == "invalid");      // negative
    CHECK(parse("+1") == "invalid");
    CHECK(parse(" 1") == "invalid");      // whitespace
    CHECK(parse("1 ") == "invalid");
    CHECK(parse("1e3") == "invalid");     // exponent
    CHECK(parse("1.2.3") == "invalid");
    CHECK(parse("1,5") == "invalid");
    CHECK(parse("NaN") == "invalid");
    CHECK(parse("Infinity") == "invalid");
    CHECK(parse("0x10") == "invalid");
    CHECK(parse("１") == "invalid");      // a full-width digit is not a digit
}

TEST_CASE("§1 parse_credit_string: amounts above 2^53 - 1 tokens are out of range, not invalid") {
    CHECK(parse("900719925474.0991") == "9007199254740991");
    CHECK(parse("900719925474.0992") == "out of range");
    CHECK(parse("900719925475") == "out of range");
    CHECK(parse("9999999999999") == "out of range");
    CHECK(parse("99999999999999999999999999999") == "out of range");  // would overflow int64
    // The out-of-range verdict is optional to ask for.
    CHECK_FALSE(parse_credit_string("900719925475").has_value());
}

TEST_CASE("§1 parse and format agree: format_credits(parse(x)) gives x back with four decimals") {
    for (const char* text : {"0.0000", "0.0001", "0.4200", "25.5000", "1234.5678", "900719925474.0991"}) {
        const std::optional<std::int64_t> tokens = parse_credit_string(text);
        REQUIRE(tokens.has_value());
        CHECK(format_credits(*tokens) == text);
    }
}

TEST_CASE("§1 credits_to_tokens: whole credits, checked against 2^53 - 1") {
    CHECK(credits::credits_to_tokens(0) == 0);
    CHECK(credits::credits_to_tokens(500) == 5000000);
    CHECK(credits::credits_to_tokens(900719925474) == 9007199254740000);
    CHECK_FALSE(credits::credits_to_tokens(900719925475).has_value());
    CHECK_FALSE(credits::credits_to_tokens(-1).has_value());
}

TEST_CASE("§1 calculator conversions: credits to tokens and back, errors explained") {
    const credits::Answer ok = credits::credits_to_tokens_json("12.5");
    CHECK(ok.ok);
    CHECK(ok.json == "125000");
    CHECK(credits::tokens_to_credits(4200) == "0.4200");

    const credits::Answer invalid = credits::credits_to_tokens_json("1.23456");
    CHECK_FALSE(invalid.ok);
    CHECK_THAT(invalid.json, Catch::Contains("\"code\":\"invalid_amount\""));

    const credits::Answer too_big = credits::credits_to_tokens_json("900719925474.0992");
    CHECK_FALSE(too_big.ok);
    CHECK_THAT(too_big.json, Catch::Contains("\"code\":\"amount_out_of_range\""));
}
