// The fast reader (spec §10 input, read quickly). Most events of a real
// ledger are written plainly: ASCII strings without escapes, whole numbers,
// provider usage objects of counts, strings, booleans and small arrays. Those
// are read straight from the document bytes into a FlatEvent and decoded by
// the same code as the strict reader's (builder.h), then applied the same way.
// Anything else -- an escape, a null, a fraction, a problem of any kind --
// goes to the strict reader (add_event) for that event, and a document with
// any problem at all is read again entirely by the strict path
// (parse_ledger), so errors are always the strict path's.
#include <cassert>
#include <string>

#include "input/fast_json.h"
#include "ledger/builder.h"
#include "ledger/fast_event.h"

namespace credits::ledger_reading {
namespace {

using namespace fast_json;

// The longest member name or ignored string the fast reader takes inside a
// provider usage object; longer ones (valid up to the strict reader's string
// limit) are read strictly.
constexpr std::size_t usage_text_bytes_max = 1024;
// Members of one object the fast reader checks for repeats itself.
constexpr std::size_t skipped_members_max = 16;

bool literal(Cursor& c, std::string_view word) {
    skip_ws(c);
    if (static_cast<std::size_t>(c.end - c.p) < word.size() || !equals(std::string_view(c.p, word.size()), word))
        return false;
    c.p += word.size();
    return true;
}

// A value a provider's formula ignores: a plain string, a count, true, false,
// null, or an array or object of those (`depth` levels of nesting at most),
// with no member name repeated. False for anything else -- a fraction or a
// negative number included, which is valid JSON: the strict reader reads it.
bool skip_plain_value(Cursor& c, int depth) {
    skip_ws(c);
    switch (c.peek()) {
        case '"': {
            std::string_view text;
            return plain_string(c, text) && text.size() <= usage_text_bytes_max;
        }
        case 't': return literal(c, "true");
        case 'f': return literal(c, "false");
        case 'n': return literal(c, "null");
        case '[': {
            if (depth == 0) return false;
            ++c.p;
            if (expect(c, ']')) return true;
            for (;;) {
                if (!skip_plain_value(c, depth - 1)) return false;
                if (expect(c, ',')) continue;
                return expect(c, ']');
            }
        }
        case '{': {
            if (depth == 0) return false;
            ++c.p;
            if (expect(c, '}')) return true;
            std::string_view keys[skipped_members_max];
            std::size_t key_count = 0;
            for (;;) {
                std::string_view key;
                if (!plain_string(c, key) || key.size() > usage_text_bytes_max || !expect(c, ':')) return false;
                for (std::size_t i = 0; i < key_count; ++i)
                    if (equals(keys[i], key)) return false;  // a repeated member: the strict reader's error
                if (key_count == skipped_members_max) return false;
                keys[key_count++] = key;
                if (!skip_plain_value(c, depth - 1)) return false;
                if (expect(c, ',')) continue;
                return expect(c, '}');
            }
        }
        default: {
            std::int64_t ignored = 0;
            return plain_count(c, ignored);
        }
    }
}

// {"output": n, "input_cache_miss": n, "input_cache_hit": n}, each optional.
bool read_flat_tokens(Cursor& c, FlatEvent& e) {
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    unsigned seen = 0;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        const int k = equals(key, "output") ? 0 : equals(key, "input_cache_miss") ? 1 : equals(key, "input_cache_hit") ? 2 : -1;
        if (k < 0 || (seen & (1u << k)) != 0) return false;
        seen |= 1u << k;
        if (!plain_count(c, e.tokens[k])) return false;
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

// One member value of a provider `usage` object (or of an object inside it).
bool read_flat_usage_value(Cursor& c, FlatEvent& e, UsageMember& member, bool nested);

// A provider `usage` object: its members and, one level down, the members of
// its objects, as UsageMembers; anything deeper is skipped (skip_plain_value).
bool read_flat_usage_object(Cursor& c, FlatEvent& e, std::string_view object_key) {
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    const std::size_t first = e.usage_count;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || key.size() > usage_text_bytes_max || !expect(c, ':')) return false;
        for (std::size_t i = first; i < e.usage_count; ++i)
            if (equals(e.usage[i].key, key) && equals(e.usage[i].object_key, object_key)) return false;  // repeated member
        if (e.usage_count == FlatEvent::usage_members_max) return false;
        UsageMember& member = e.usage[e.usage_count++];
        member.object_key = object_key;
        member.key = key;
        if (!read_flat_usage_value(c, e, member, !object_key.empty())) return false;
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

bool read_flat_usage_value(Cursor& c, FlatEvent& e, UsageMember& member, bool nested) {
    skip_ws(c);
    const char next = c.peek();
    if (next == '{' && !nested) {
        member.kind = UsageMember::Kind::object;
        return read_flat_usage_object(c, e, member.key);
    }
    if (next == 'n') {
        member.kind = UsageMember::Kind::null;
        return literal(c, "null");
    }
    if ((next >= '0' && next <= '9') || next == '-') {
        member.kind = UsageMember::Kind::count;
        return plain_count(c, member.value);
    }
    member.kind = UsageMember::Kind::other;
    return skip_plain_value(c, 2);
}

// {"format": "...", "usage": {...}}
bool read_flat_provider_usage(Cursor& c, FlatEvent& e) {
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        if (equals(key, "format") && !e.provider_has_format) {
            e.provider_has_format = true;
            if (!plain_string(c, e.provider_format)) return false;
        } else if (equals(key, "usage") && !e.provider_has_usage) {
            e.provider_has_usage = true;
            if (!read_flat_usage_object(c, e, {})) return false;
        } else {
            return false;
        }
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

// `credits`: a count or a plain string (a decimal, checked when decoded).
bool read_flat_credits(Cursor& c, FlatEvent& e) {
    skip_ws(c);
    if (c.peek() == '"') return plain_string(c, e.text[static_cast<std::size_t>(Member::credits)]);
    e.credits_is_count = true;
    return plain_count(c, e.credits_count);
}

// One event object; false as soon as something is outside the fast subset.
bool read_flat_event(Cursor& c, FlatEvent& e) {
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        const Member m = find_member(key);
        if (m == Member::count || e.has(m)) return false;
        e.present |= bit(m);
        bool read = false;
        switch (spec_of(m).kind) {
            case ValueKind::tokens: read = read_flat_tokens(c, e); break;
            case ValueKind::provider_usage: read = read_flat_provider_usage(c, e); break;
            case ValueKind::credits: read = read_flat_credits(c, e); break;
            case ValueKind::id:
            case ValueKind::text:
            case ValueKind::instant: read = plain_string(c, e.text[static_cast<std::size_t>(m)]); break;
        }
        if (!read) return false;
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

bool valid_id(std::string_view text) { return !text.empty() && text.size() <= id_bytes_max; }

}  // namespace

void LedgerBuilder::accept_flat_event(const FlatEvent& e, const EventRef& ref, std::int64_t at_ns) {
    ++events_seen_;
    first_occurrence(ref.event_id, ref.document_index);
    if (e.has(Member::account_id)) named_accounts_.try_emplace(std::string(e.at(Member::account_id)), ref);
    event_stamps_.emplace_back(at_ns, ref);
}

// The checks of add_event for the members every event has, then the type's
// decoder over the FlatEvent; the event is applied only when nothing failed.
bool LedgerBuilder::add_flat_event(std::size_t index, const FlatEvent& e) {
    if (events_seen_ >= limits_.events_max || !e.has(Member::id) || !valid_id(e.at(Member::id))) return false;
    const std::string_view id = e.at(Member::id);
    if (base_ != nullptr && repeats_loaded_event(id, index, nullptr)) {
        ++events_seen_;
        return true;
    }
    if (const std::optional<std::uint32_t> first = repeat_of(id, index)) {
        // A repeated id: the strict reader only records it (compared in check_duplicates).
        ++events_seen_;
        repeated_.emplace_back(*first, index);
        return true;
    }
    if (!e.has(Member::type) || !e.has(Member::at) || e.at(Member::at).size() > instant_text_bytes_max) return false;
    const EventSpec* spec = find_event_spec(e.at(Member::type));
    if (spec == nullptr || (e.present & ~spec->allowed) != 0) return false;  // unknown type or member: strict
    if (e.has(Member::account_id) && !valid_id(e.at(Member::account_id))) return false;
    const std::optional<Instant> at = parse_instant(e.at(Member::at));
    if (!at) return false;
    FlatEventReader r(e, *spec);
    const auto ref = [&] { return EventRef{stable(id), index}; };
    switch (spec->family) {
        case EventFamily::grant: {
            std::optional<GrantInput> input = decode_grant(r, *at, rules_, catalog_);
            if (!input || r.failed()) return false;
            const EventRef event = ref();
            accept_flat_event(e, event, at->ns);
            apply_grant(event, std::move(*input));
            return true;
        }
        case EventFamily::usage: {
            const std::optional<UsageInput> input = decode_usage(r);
            if (!input || r.failed()) return false;
            const EventRef event = ref();
            accept_flat_event(e, event, at->ns);
            apply_usage(event, at->ns, *input);
            return true;
        }
        case EventFamily::session: {
            const EventRef event = ref();
            if (spec->type == EventType::session_completed) {
                const std::optional<CompletionInput> input = decode_completion(r);
                if (!input || r.failed()) return false;
                accept_flat_event(e, event, at->ns);
                apply_completion(event, at->ns, *input);
            } else {
                const std::optional<CancellationInput> input = decode_cancellation(r);
                if (!input || r.failed()) return false;
                accept_flat_event(e, event, at->ns);
                apply_cancellation(event, at->ns, *input);
            }
            return true;
        }
    }
    return false;
}

namespace {

// The events array, the cursor on its '['. Plain events go through
// add_flat_event; any other element is parsed strictly on its own (exactly
// as the strict path would see it streamed) and goes through add_event.
// False when the array is not well-formed (the strict path will say why).
bool read_events(fast_json::Cursor& c, std::string_view text, const LedgerLimits& limits, LedgerBuilder& builder) {
    using namespace fast_json;
    ++c.p;  // '['
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    // Roughly one event per 250 bytes: fewer reallocations for big documents.
    ranges.reserve(static_cast<std::size_t>(c.end - c.p) / 256);
    if (expect(c, ']')) return true;
    const ParseLimits element_limits = event_parse_limits(limits);
    FlatEvent event;  // reused: reset() clears what the next event needs cleared
    for (std::size_t index = 0;; ++index) {
        skip_ws(c);
        const char* begin = c.p;
        event.reset();
        bool added = false;
        if (read_flat_event(c, event)) {
            skip_ws(c);
            if (c.peek() != ',' && c.peek() != ']') return false;
            added = builder.add_flat_event(index, event);
        }
        if (!added) {
            c.p = begin;
            if (!skip_value(c)) return false;
            Json element;
            ErrorList parse_errors;
            if (!parse_json_document(std::string_view(begin, static_cast<std::size_t>(c.p - begin)), element_limits, element,
                                     parse_errors))
                return false;
            builder.add_event(index, std::move(element));
        }
        // Offsets fit in uint32: read_ledger_fast takes documents under UINT32_MAX bytes only.
        assert(c.p >= begin && begin >= text.data() && c.p <= text.data() + text.size() && text.size() < UINT32_MAX);
        ranges.emplace_back(static_cast<std::uint32_t>(begin - text.data()), static_cast<std::uint32_t>(c.p - text.data()));
        if (expect(c, ',')) continue;
        if (!expect(c, ']')) return false;
        builder.set_event_ranges(std::move(ranges));
        return true;
    }
}

// The document's root object: the events array goes to read_events, the other
// members are skipped (and read strictly afterwards); [events_begin, events_end)
// is where the events array is. False when the fast path cannot read it.
bool read_root(std::string_view text, const LedgerLimits& limits, LedgerBuilder& builder, const char*& events_begin,
               const char*& events_end) {
    using namespace fast_json;
    Cursor c{text.data(), text.data() + text.size()};
    if (!expect(c, '{') || expect(c, '}')) return false;
    events_begin = events_end = nullptr;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        skip_ws(c);
        if (equals(key, "events")) {
            if (events_begin != nullptr || c.peek() != '[') return false;
            events_begin = c.p;
            if (!read_events(c, text, limits, builder)) return false;
            events_end = c.p;
        } else if (!skip_value(c)) {
            return false;
        }
        if (expect(c, ',')) continue;
        if (!expect(c, '}')) return false;
        break;
    }
    skip_ws(c);
    return c.at_end() && events_begin != nullptr;
}

}  // namespace

namespace {

// Everything but the events, read strictly (the document with its events
// array emptied, which is the DOM the strict path keeps), then finish().
bool finish_fast(std::string_view text, const LedgerLimits& limits, LedgerBuilder& builder, const ErrorList& errors,
                 const char* events_begin, const char* events_end) {
    if (!errors.empty()) return false;
    std::string rest;
    rest.reserve(text.size() - static_cast<std::size_t>(events_end - events_begin) + 2);
    rest.append(text.data(), static_cast<std::size_t>(events_begin - text.data()));
    rest += "[]";
    rest.append(events_end, static_cast<std::size_t>(text.data() + text.size() - events_end));
    Json root;
    ErrorList parse_errors;
    if (!parse_json_document(rest, ParseLimits{limits.document_bytes_max}, root, parse_errors)) return false;
    builder.finish(root, text);
    return errors.empty();
}

bool fast_path_fits(std::string_view text, const LedgerLimits& limits) {
    return text.size() <= limits.document_bytes_max && text.size() < UINT32_MAX && limits.events_max < (1u << 21);
}

}  // namespace

bool read_fast_into(std::string_view text, const LedgerLimits& limits, LedgerBuilder& builder, const ErrorList& errors) {
    if (!fast_path_fits(text, limits)) return false;
    const char* events_begin = nullptr;
    const char* events_end = nullptr;
    if (!read_root(text, limits, builder, events_begin, events_end)) return false;
    return finish_fast(text, limits, builder, errors, events_begin, events_end);
}

// The whole document by the fast path, or nullopt: then the strict path reads
// it again from the start (and explains what is wrong, if anything is).
std::optional<Ledger> read_ledger_fast(std::string_view text, const Rules& rules, const Catalog& catalog,
                                       const LedgerLimits& limits) {
    if (!fast_path_fits(text, limits)) return std::nullopt;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats;
    for (int pass = 0; pass < 2; ++pass) {
        ErrorList errors;
        LedgerBuilder builder(rules, catalog, limits, errors);
        builder.set_document(text);
        if (pass == 0) {
            builder.defer_repeats(text.size() / 256);
        } else {
            builder.use_known_repeats(std::move(repeats));
        }
        const char* events_begin = nullptr;
        const char* events_end = nullptr;
        if (!read_root(text, limits, builder, events_begin, events_end)) return std::nullopt;
        if (pass == 0) {
            repeats = builder.find_repeats();
            // Read again, knowing which events repeat an earlier id, only when
            // the first pass found a problem (then the repeats may not be
            // exact duplicates of valid events, and drop_repeats could not
            // take back all they added); otherwise take the repeats back.
            if (!repeats.empty() && !errors.empty()) continue;
            builder.drop_repeats(repeats);
        }
        if (!finish_fast(text, limits, builder, errors, events_begin, events_end)) return std::nullopt;
        return builder.take();
    }
    return std::nullopt;
}

}  // namespace credits::ledger_reading
