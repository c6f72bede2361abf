// §14 parity: every vector in tests/vectors/expected/index.json (written by
// the native CLI through scripts/make-vectors) is answered here by the core's
// API with exactly the same bytes. This suite runs in the native and the
// WebAssembly builds, so both are held to the CLI's bytes.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "credits/api.h"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string field(const nlohmann::json& c, const char* name) { return c.contains(name) ? c[name].get<std::string>() : ""; }

credits::Answer answer(const credits::Engine& engine, const nlohmann::json& c) {
    const std::string command = c["command"];
    if (command == "quote") return engine.quote(read_file(c["input"]));
    const std::string text = read_file(c["ledger"]);
    if (command == "check") return engine.check(text);
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
    if (!account) return credits::Answer{false, errors};
    if (command == "report" && c.value("without_entries", false)) {
        return account->report_summary(field(c, "at"), field(c, "from"), field(c, "to"), field(c, "utc_offset"),
                                       field(c, "utc_offsets"));
    }
    if (command == "report") return account->report(field(c, "at"), field(c, "from"), field(c, "to"), field(c, "utc_offset"),
                                                       field(c, "utc_offsets"));
    if (command == "entries") {
        return account->entries(field(c, "at"), c["offset"].get<std::int64_t>(), c["limit"].get<std::int64_t>(),
                                field(c, "kind"), field(c, "order"));
    }
    if (command == "project") {
        return account->project(field(c, "project"), field(c, "at"), field(c, "from"), field(c, "to"), field(c, "utc_offset"),
                                field(c, "utc_offsets"));
    }
    if (command == "checkpoint") return account->checkpoint(field(c, "at"));
    REQUIRE(command == "forecast");
    return account->forecast(field(c, "at"));
}

}  // namespace

TEST_CASE("§14 parity: the core answers every vector with the CLI's exact bytes") {
    const nlohmann::json index = nlohmann::json::parse(read_file("tests/vectors/expected/index.json"));
    REQUIRE(index.size() >= 20);
    const credits::Engine engine = credits::Engine::with_defaults();
    for (const auto& [name, c] : index.items()) {
        CAPTURE(name);
        const credits::Answer got = answer(engine, c);
        CHECK(got.ok == c["ok"].get<bool>());
        CHECK(got.json == read_file("tests/vectors/expected/" + name + ".json"));
    }
}
