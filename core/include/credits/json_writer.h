// Deterministic JSON output: members in the order written, no whitespace,
// strings escaped per RFC 8259 (UTF-8 passed through; input strings were
// validated as UTF-8 by the parser). The same calls give the same bytes in
// the native and WebAssembly builds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/amount.h"
#include "credits/errors.h"

namespace credits {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(bool flag);
    JsonWriter& null();
    JsonWriter& value(const std::optional<std::string>& text);

    // Writes "<name>_tokens": n, "<name>_credits": "x.xxxx" (docs/report-format.md).
    JsonWriter& amount(std::string_view name, std::int64_t tokens);
    // Writes "tokens": n, "credits": "x.xxxx".
    JsonWriter& amount_plain(std::int64_t tokens) { return amount("", tokens); }
    JsonWriter& member(std::string_view name, std::string_view text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, const char* text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, const std::string& text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, std::int64_t number) { return key(name).value(number); }
    JsonWriter& member(std::string_view name, bool flag) { return key(name).value(flag); }
    JsonWriter& member(std::string_view name, const std::optional<std::string>& text) { return key(name).value(text); }
    JsonWriter& instant(std::string_view name, std::int64_t ns);
    JsonWriter& instant(std::string_view name, const std::optional<std::int64_t>& ns);

    std::string take() { return std::move(out_); }
    [[nodiscard]] const std::string& text() const { return out_; }

private:
    void separate();
    std::string out_;
    std::vector<bool> first_;  // per open container: no member written yet
    bool after_key_ = false;
};

void write_json_string(std::string& out, std::string_view text);

// {"errors":[{code, event_id, pointer, message}, ...]}
std::string errors_json(const std::vector<Error>& errors);

}  // namespace credits
