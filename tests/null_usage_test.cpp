// Spec §10: a required member given as null is missing. A usage event's
// provider_usage.usage is required, so "usage": null is rejected as missing_field
// (providers do send it on streaming chunks, but such a chunk reports nothing to bill;
// docs/provider-formats.md), and an empty object is the way to say "no tokens".
#include <catch2/catch.hpp>

#include <string>

#include "credits/provider_usage.h"
#include "ledger_fixtures.h"

namespace {

using fixtures::json;

json provider_event(const json& provider_usage) {
    return json{{"id", "u1"},        {"type", "usage"},          {"at", "2026-01-02T00:00:00Z"}, {"project_id", "p1"},
                {"task_id", "t1"},   {"session_id", "s1"},       {"service", "agent_chat"},
                {"provider_usage", provider_usage}};
}

std::string ledger_with(const json& provider_usage) {
    return fixtures::ledger_text({fixtures::opened("o", "2026-01-01T00:00:00Z"), provider_event(provider_usage)});
}

}  // namespace

TEST_CASE("§10 a null provider usage object is a missing field, in every format", "[provider][null]") {
    for (const std::string_view format : credits::provider_formats) {
        INFO(format);
        const json errors = fixtures::rejection(ledger_with(json{{"format", format}, {"usage", nullptr}}),
                                                fixtures::default_engine());
        REQUIRE(errors.size() == 1);
        CHECK(errors[0]["code"] == "missing_field");
        CHECK(errors[0]["event_id"] == "u1");
        CHECK(errors[0]["pointer"] == "/events/1/provider_usage/usage");
        CHECK(errors[0]["message"] == "The required field \"usage\" is missing.");

        // Left out, the same answer; an empty object is accepted and reports nothing.
        CHECK(fixtures::rejection(ledger_with(json{{"format", format}}), fixtures::default_engine()) == errors);
        credits::LoadedLedger account =
            fixtures::load(ledger_with(json{{"format", format}, {"usage", json::object()}}), fixtures::default_engine());
        const json report = json::parse(account.report("2026-01-03T00:00:00Z").json);
        CHECK(report["usage"]["total_tokens"] == 0);
    }
}

TEST_CASE("§10 a null provider usage format is a missing field", "[provider][null]") {
    const json errors =
        fixtures::rejection(ledger_with(json{{"format", nullptr}, {"usage", json::object()}}), fixtures::default_engine());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]["code"] == "missing_field");
    CHECK(errors[0]["pointer"] == "/events/1/provider_usage/format");
}
