#include "ledger/source_events.h"

#include <cassert>

#include "credits/instant.h"
#include "credits/json_input.h"
#include "input/fast_json.h"

namespace credits::ledger_reading {
namespace {

using fast_json::Cursor;

// The id and instant of one accepted event, read from its bytes when its
// members are plain; otherwise (an escape somewhere) by the strict parser.
SourceEvent read_event(std::string_view document, const char* begin, const char* end, std::deque<std::string>& storage) {
    SourceEvent event;
    event.begin = static_cast<std::uint32_t>(begin - document.data());
    event.end = static_cast<std::uint32_t>(end - document.data());
    Cursor c{begin, end};
    bool id_found = false;
    bool at_found = false;
    bool plain = fast_json::expect(c, '{');
    // Each pass consumes one member: bounded by the event's bytes.
    while (plain && !(id_found && at_found)) {
        std::string_view key;
        if (!fast_json::plain_string(c, key) || !fast_json::expect(c, ':')) {
            plain = false;
            break;
        }
        if (key == "id" || key == "at") {
            std::string_view value;
            if (!fast_json::plain_string(c, value)) {
                plain = false;
                break;
            }
            if (key == "id") {
                event.id = value;
                id_found = true;
            } else {
                const std::optional<Instant> at = parse_instant(value);
                assert(at);  // the document was accepted
                event.at_ns = at ? at->ns : 0;
                at_found = true;
            }
        } else if (!fast_json::skip_value(c)) {
            plain = false;
            break;
        }
        if (!fast_json::expect(c, ',')) break;
    }
    if (plain && id_found && at_found) return event;
    Json value;
    ErrorList errors;
    const std::string_view text(begin, static_cast<std::size_t>(end - begin));
    const bool parsed = parse_json_document(text, ParseLimits{text.size() + 1}, value, errors);
    assert(parsed && value.is_object());
    if (!parsed || !value.is_object()) return event;
    storage.push_back(value.at("id").get<std::string>());
    event.id = storage.back();
    const std::optional<Instant> at = parse_instant(value.at("at").get<std::string>());
    assert(at);
    event.at_ns = at ? at->ns : 0;
    return event;
}

}  // namespace

std::vector<SourceEvent> source_events(std::string_view document, std::deque<std::string>& storage) {
    std::vector<SourceEvent> events;
    Cursor c{document.data(), document.data() + document.size()};
    [[maybe_unused]] bool ok = fast_json::expect(c, '{');
    assert(ok);
    // Each pass consumes one member of the root; an accepted document has an events array.
    while (c.p < c.end) {
        std::string_view key;
        std::string decoded;
        fast_json::skip_ws(c);
        const char* key_begin = c.p;
        if (!fast_json::plain_string(c, key)) {
            // A member name written with escapes ("ev\u0065nts" is "events" too).
            c.p = key_begin;
            if (c.peek() != '"' || !fast_json::skip_string(c)) break;
            Json name;
            ErrorList errors;
            const std::string_view token(key_begin, static_cast<std::size_t>(c.p - key_begin));
            if (!parse_json_document(token, ParseLimits{token.size() + 1}, name, errors) || !name.is_string()) break;
            decoded = name.get<std::string>();
            key = decoded;
        }
        if (!fast_json::expect(c, ':')) break;
        if (key == "events") {
            if (!fast_json::expect(c, '[')) break;
            fast_json::skip_ws(c);
            if (c.peek() == ']') break;
            for (;;) {
                fast_json::skip_ws(c);
                const char* begin = c.p;
                if (!fast_json::skip_value(c)) break;
                events.push_back(read_event(document, begin, c.p, storage));
                if (!fast_json::expect(c, ',')) break;
            }
            break;
        } else if (!fast_json::skip_value(c)) {
            break;
        }
        if (!fast_json::expect(c, ',')) break;
    }
    return events;
}

}  // namespace credits::ledger_reading
