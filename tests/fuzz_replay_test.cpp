// Replays every fuzz seed and every crash regression (tests/fuzz/corpus/<target>/,
// tests/fuzz/regressions/<target>/) through the fuzz targets' own checks
// (tests/fuzz/fuzz_checks.h), so the native, sanitized and WebAssembly builds
// all keep what fuzzing established, without clang or libFuzzer.
#define CREDITS_FUZZ_THROW 1
#include "fuzz/fuzz_checks.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file()) files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void replay(const std::string& target, void (*check)(std::string_view)) {
    std::size_t count = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        for (const std::string& path : files_in("tests/fuzz/" + std::string(kind) + "/" + target)) {
            CAPTURE(path);
            const std::string data = read_file(path);
            try {
                check(data);
            } catch (const std::exception& e) {
                FAIL(e.what());
            }
            ++count;
        }
    }
    CHECK(count > 0);
}

void ledger(std::string_view text) { credits_fuzz::check_ledger_text(text); }
void quote(std::string_view text) { credits_fuzz::check_quote_text(text); }

}  // namespace

TEST_CASE("fuzz seeds and crash regressions: ledger", "[fuzz]") { replay("ledger", ledger); }
TEST_CASE("fuzz seeds and crash regressions: rules", "[fuzz]") { replay("rules", credits_fuzz::check_rules_text); }
TEST_CASE("fuzz seeds and crash regressions: catalog", "[fuzz]") { replay("catalog", credits_fuzz::check_catalog_text); }
TEST_CASE("fuzz seeds and crash regressions: quote", "[fuzz]") { replay("quote", quote); }
TEST_CASE("fuzz seeds and crash regressions: provider usage", "[fuzz]") {
    replay("provider_usage", credits_fuzz::check_provider_usage_bytes);
}
TEST_CASE("fuzz seeds and crash regressions: query", "[fuzz]") { replay("query", credits_fuzz::check_query_bytes); }
