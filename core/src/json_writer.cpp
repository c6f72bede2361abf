#include "credits/json_writer.h"

#include <cassert>

#include "credits/instant.h"

namespace credits {

void write_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (byte < 0x20) {
                    out += "\\u00";
                    out += hex[byte >> 4];
                    out += hex[byte & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    assert(!first_.empty() && !after_key_);
    first_.pop_back();
    out_ += '}';
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    separate();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    assert(!first_.empty() && !after_key_);
    first_.pop_back();
    out_ += ']';
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    assert(!after_key_);
    separate();
    write_json_string(out_, name);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    separate();
    write_json_string(out_, text);
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
    separate();
    out_ += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::value(const std::optional<std::string>& text) {
    return text ? value(std::string_view(*text)) : null();
}

JsonWriter& JsonWriter::amount(std::string_view name, std::int64_t tokens) {
    std::string tokens_key = name.empty() ? "tokens" : std::string(name) + "_tokens";
    std::string credits_key = name.empty() ? "credits" : std::string(name) + "_credits";
    key(tokens_key).value(tokens);
    key(credits_key).value(format_credits(tokens));
    return *this;
}

JsonWriter& JsonWriter::instant(std::string_view name, std::int64_t ns) {
    return key(name).value(format_instant(ns));
}

JsonWriter& JsonWriter::instant(std::string_view name, const std::optional<std::int64_t>& ns) {
    key(name);
    return ns ? value(format_instant(*ns)) : null();
}

std::string errors_json(const std::vector<Error>& errors) {
    JsonWriter w;
    w.begin_object().key("errors").begin_array();
    for (const Error& e : errors) {
        w.begin_object().member("code", e.code).member("event_id", e.event_id).member("pointer", e.pointer);
        w.member("message", e.message).end_object();
    }
    w.end_array().end_object();
    return w.take();
}

}  // namespace credits
