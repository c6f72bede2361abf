#include "credits/ledger.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "credits/json_input.h"
#include "credits/provider_usage.h"
#include "attributes.h"
#include "fast_json.h"

namespace credits {

std::string_view grant_source_name(GrantSource source) {
    switch (source) {
        case GrantSource::signup: return "signup";
        case GrantSource::promotion: return "promotion";
        case GrantSource::plan: return "plan";
        case GrantSource::purchase: return "purchase";
    }
    return "signup";
}

bool burns_before(const GrantRecord& a, const GrantRecord& b) {
    if (a.expires_at_ns != b.expires_at_ns) return a.expires_at_ns < b.expires_at_ns;
    const bool a_free = grant_source_is_free(a.source);
    const bool b_free = grant_source_is_free(b.source);
    if (a_free != b_free) return a_free;
    if (a.granted_at_ns != b.granted_at_ns) return a.granted_at_ns < b.granted_at_ns;
    return a.id < b.id;  // std::string compares bytes (char_traits<char> compares as unsigned char)
}

std::uint32_t Ledger::find_project(std::string_view id) const {
    const auto it = std::lower_bound(projects.begin(), projects.end(), id,
                                     [](const Project& p, std::string_view key) { return p.id < key; });
    if (it == projects.end() || it->id != id) return no_index;
    return static_cast<std::uint32_t>(it - projects.begin());
}

namespace {

// Where an event was first seen, for errors found after the whole document is
// read. The id views the document or the builder's StringArena (both outlive
// the builder's work), never a JSON value that is gone.
struct EventRef {
    std::string_view event_id;
    std::size_t document_index = 0;
};

std::string event_pointer(std::size_t index) { return pointer_join("/events", index); }

// One std::sort instantiation for the sorts that are small or rare (issue 6:
// each instantiation is several KB of WebAssembly). `less` must be a strict
// total order (every use breaks ties by a unique id), so the result is the
// one std::sort gives.
void sort_positions(std::vector<std::uint32_t>& order, bool (*less)(const void*, std::uint32_t, std::uint32_t),
                    const void* context) {
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return less(context, a, b); });
}

template <typename T, typename Less>
void sort_cold(std::vector<T>& items, const Less& less) {
    if (items.size() < 2) return;
    using Context = std::pair<const std::vector<T>*, const Less*>;
    const Context context{&items, &less};
    std::vector<std::uint32_t> order(items.size());
    std::iota(order.begin(), order.end(), std::uint32_t{0});
    sort_positions(
        order,
        [](const void* c, std::uint32_t a, std::uint32_t b) {
            const auto* p = static_cast<const Context*>(c);
            return (*p->second)((*p->first)[a], (*p->first)[b]);
        },
        &context);
    std::vector<T> sorted;
    sorted.reserve(items.size());
    for (const std::uint32_t i : order) sorted.push_back(std::move(items[i]));
    items = std::move(sorted);
}

// Copies of strings that must outlive the JSON value they were read from,
// in big chunks (no allocation per string; freed all at once).
class StringArena {
public:
    std::string_view keep(std::string_view text) {
        constexpr std::size_t chunk_bytes = 64 * 1024;
        if (text.size() > chunk_bytes / 8) {
            chunks_.push_back(std::make_unique<char[]>(text.size()));
            std::memcpy(chunks_.back().get(), text.data(), text.size());
            return {chunks_.back().get(), text.size()};
        }
        if (left_ < text.size() || next_ == nullptr) {
            chunks_.push_back(std::make_unique<char[]>(chunk_bytes));
            next_ = chunks_.back().get();
            left_ = chunk_bytes;
        }
        if (!text.empty()) std::memcpy(next_, text.data(), text.size());
        const std::string_view kept(next_, text.size());
        next_ += text.size();
        left_ -= text.size();
        return kept;
    }

private:
    std::vector<std::unique_ptr<char[]>> chunks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
};

// 64 well-mixed bits of (tag, key).
std::uint64_t hash_key(std::uint32_t tag, std::string_view key) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (std::uint64_t{tag} << 32) ^ key.size();
    const char* p = key.data();
    std::size_t n = key.size();
    const auto mix = [&h](std::uint64_t word) {
        h = (h ^ word) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    };
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, 8);
        mix(word);
    }
    std::uint64_t tail = 0;
    for (std::size_t i = 0; i < n; ++i) tail |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    mix(tail);
    h = (h ^ (h >> 29)) * 0x94D049BB133111EBull;
    return h ^ (h >> 32);
}

// Positions of ids in find_repeats' keys: < 2^21 (read_ledger_fast checks events_max).
constexpr int repeat_position_bits = 21;
constexpr std::uint64_t repeat_position_mask = (std::uint64_t{1} << repeat_position_bits) - 1;

// Sorts keys by their bits 21..63 (LSD radix, 4 passes of 11 bits): groups
// equal hashes without a comparison sort (find_repeats).
void radix_sort_high_bits(std::vector<std::uint64_t>& keys) {
    std::vector<std::uint64_t> buffer(keys.size());
    for (int shift = 21; shift < 64; shift += 11) {
        std::vector<std::uint32_t> start(2048, 0);
        for (const std::uint64_t k : keys) ++start[(k >> shift) & 2047];
        std::uint32_t sum = 0;
        for (std::uint32_t& c : start) {
            const std::uint32_t n = c;
            c = sum;
            sum += n;
        }
        for (const std::uint64_t k : keys) buffer[start[(k >> shift) & 2047]++] = k;
        keys.swap(buffer);
    }
}

// Open-addressing hash table from (tag, string) to an index: the id and name
// lookups of a million-event ledger without an allocation per entry. The
// probed array holds only 8 bytes a slot (part of the hash and the entry
// number), so a miss -- most lookups of event ids -- touches little memory;
// the keys, views that must outlive the table (document or arena), are read
// only when the hash matches.
class IndexMap {
public:
    // The index stored for the key, or `value` (now stored) when it was new.
    std::pair<std::uint32_t, bool> try_emplace(std::uint32_t tag, std::string_view key, std::uint32_t value) {
        if ((entries_.size() + 1) * 2 > slots_.size()) grow(slots_.empty() ? 64 : slots_.size() * 2);
        const std::uint64_t h = hash(tag, key);
        Slot& slot = slots_[probe(h, tag, key)];
        if (slot.entry != 0) return {entries_[slot.entry - 1].value, false};
        entries_.push_back(Entry{key, tag, value});
        last_ = nullptr;  // entries_ may have moved
        slot = Slot{static_cast<std::uint32_t>(h >> 32), static_cast<std::uint32_t>(entries_.size())};
        return {value, true};
    }
    [[nodiscard]] const std::uint32_t* find(std::uint32_t tag, std::string_view key) const {
        // The entry found last time first: the records of a session or a
        // task often come one after the other.
        if (last_ != nullptr && last_->tag == tag && fast_json::equals(last_->key, key)) return &last_->value;
        if (slots_.empty()) return nullptr;
        const Slot& slot = slots_[probe(hash(tag, key), tag, key)];
        if (slot.entry == 0) return nullptr;
        last_ = &entries_[slot.entry - 1];
        return &last_->value;
    }
    void reserve(std::size_t entries) {
        std::size_t size = 64;
        while (size < entries * 2) size *= 2;
        if (size > slots_.size()) grow(size);
        entries_.reserve(entries);
    }

private:
    struct Slot {
        std::uint32_t hash_high = 0;
        std::uint32_t entry = 0;  // 1 + index into entries_; 0: empty
    };
    struct Entry {
        std::string_view key;
        std::uint32_t tag = 0;
        std::uint32_t value = 0;
    };

    static std::uint64_t hash(std::uint32_t tag, std::string_view key) { return hash_key(tag, key); }
    // The slot holding the key, or the empty slot where it would go.
    [[nodiscard]] std::size_t probe(std::uint64_t h, std::uint32_t tag, std::string_view key) const {
        const std::size_t mask = slots_.size() - 1;
        const auto high = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            const Slot& slot = slots_[i];
            if (slot.entry == 0) return i;
            if (slot.hash_high == high) {
                const Entry& entry = entries_[slot.entry - 1];
                if (entry.tag == tag && fast_json::equals(entry.key, key)) return i;
            }
        }
    }
    void grow(std::size_t size) {
        slots_.assign(size, Slot{});
        const std::size_t mask = size - 1;
        for (std::uint32_t e = 0; e < entries_.size(); ++e) {
            const std::uint64_t h = hash(entries_[e].tag, entries_[e].key);
            std::size_t i = static_cast<std::size_t>(h) & mask;
            while (slots_[i].entry != 0) i = (i + 1) & mask;
            slots_[i] = Slot{static_cast<std::uint32_t>(h >> 32), e + 1};
        }
    }

    std::vector<Slot> slots_;
    std::vector<Entry> entries_;
    mutable const Entry* last_ = nullptr;
};

// Interns strings to dense indices, remembering the first event naming each.
class Interner {
public:
    std::uint32_t intern(std::string_view key, const EventRef& ref) {
        const auto [index, inserted] = index_.try_emplace(0, key, static_cast<std::uint32_t>(first_refs_.size()));
        if (inserted) {
            keys_.emplace_back(key);
            first_refs_.push_back(ref);
        }
        return index;
    }
    [[nodiscard]] const std::uint32_t* find(std::string_view key) const { return index_.find(0, key); }
    [[nodiscard]] std::size_t size() const { return keys_.size(); }
    [[nodiscard]] const std::string& key(std::uint32_t i) const { return keys_[i]; }
    [[nodiscard]] const EventRef& first_ref(std::uint32_t i) const { return first_refs_[i]; }

private:
    IndexMap index_;  // keys: stable views (see LedgerBuilder::stable)
    std::vector<std::string> keys_;
    std::vector<EventRef> first_refs_;
};

struct Completion {
    std::int64_t at_ns = 0;
    EventRef ref;
};

struct Cancellation {
    std::int64_t at_ns = 0;
    EventRef ref;
    std::optional<std::string> reason;
};

// ---------------------------------------------------------------------------
// The fast path (issue 6). Most events of a real ledger are usage records,
// completions and cancellations written plainly: ASCII strings without
// escapes and whole numbers. Those are read straight from the bytes into a
// FlatEvent and, when every check of the strict reader passes, added with the
// same apply_* functions. Anything else -- another event type, an escape, a
// null, a problem of any kind -- goes to the strict reader (add_event) for
// that event, and a document with any problem at all is read again entirely
// by the strict path (parse_ledger), so errors are always the strict path's.
// ---------------------------------------------------------------------------
enum FlatKey : std::uint8_t {
    k_id, k_type, k_at, k_account_id, k_project_id, k_service, k_task_id, k_session_id, k_model, k_reason,
    k_string_keys,  // the keys above have string values
    k_tokens = k_string_keys, k_provider_usage, k_key_count
};
constexpr std::uint32_t bit(FlatKey key) { return std::uint32_t{1} << key; }

int flat_key(std::string_view key) {
    static constexpr std::string_view names[k_key_count] = {
        "id", "type", "at", "account_id", "project_id", "service", "task_id", "session_id", "model", "reason",
        "tokens", "provider_usage"};
    // The one candidate with this length and first letter, then a compare.
    int k = -1;
    switch (key.size()) {
        case 2: k = key[0] == 'i' ? k_id : k_at; break;
        case 4: k = k_type; break;
        case 5: k = k_model; break;
        case 6: k = key[0] == 'r' ? k_reason : k_tokens; break;
        case 7: k = key[0] == 's' ? k_service : k_task_id; break;
        case 10: k = key[0] == 'a' ? k_account_id : key[0] == 'p' ? k_project_id : k_session_id; break;
        case 14: k = k_provider_usage; break;
        default: return -1;
    }
    return fast_json::equals(names[k], key) ? k : -1;
}

struct FlatEvent {
    static constexpr std::size_t usage_members_max = 24;
    std::uint32_t present = 0;                   // bit(key) for each member read
    std::string_view text[k_string_keys];        // string members, viewing the document
    std::int64_t tokens[3] = {0, 0, 0};          // tokens.output, .input_cache_miss, .input_cache_hit
    std::string_view provider_format;
    bool provider_has_format = false;
    bool provider_has_usage = false;
    std::size_t usage_count = 0;
    UsageMember usage[usage_members_max];

    // Only `present`, the counts and the flags need clearing: a text or a usage
    // member is read only when present says it was written.
    void reset() {
        present = 0;
        tokens[0] = tokens[1] = tokens[2] = 0;
        provider_has_format = provider_has_usage = false;
        usage_count = 0;
    }
    [[nodiscard]] bool has(FlatKey key) const { return (present & bit(key)) != 0; }
    [[nodiscard]] std::optional<std::string_view> optional(FlatKey key) const {
        return has(key) ? std::optional<std::string_view>(text[key]) : std::nullopt;
    }
};

// {"output": n, "input_cache_miss": n, "input_cache_hit": n}, each optional.
bool read_flat_tokens(fast_json::Cursor& c, FlatEvent& e) {
    using namespace fast_json;
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

// A provider `usage` object: members that are counts, plain strings, or
// objects of counts and plain strings (one level).
bool read_flat_usage_object(fast_json::Cursor& c, FlatEvent& e, std::string_view object_key) {
    using namespace fast_json;
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    const std::size_t first = e.usage_count;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        for (std::size_t i = first; i < e.usage_count; ++i)
            if (equals(e.usage[i].key, key) && equals(e.usage[i].object_key, object_key)) return false;  // repeated member
        if (e.usage_count == FlatEvent::usage_members_max) return false;
        UsageMember& member = e.usage[e.usage_count++];
        member.object_key = object_key;
        member.key = key;
        skip_ws(c);
        const char next = c.peek();
        if (next == '"') {
            std::string_view ignored;
            if (!plain_string(c, ignored) || ignored.size() > 1024) return false;
            member.kind = UsageMember::Kind::other;
        } else if (next == '{' && object_key.empty()) {
            member.kind = UsageMember::Kind::object;
            if (!read_flat_usage_object(c, e, key)) return false;
        } else {
            member.kind = UsageMember::Kind::count;
            if (!plain_count(c, member.value)) return false;
        }
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

// {"format": "...", "usage": {...}}
bool read_flat_provider_usage(fast_json::Cursor& c, FlatEvent& e) {
    using namespace fast_json;
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

// One event object; false as soon as something is outside the fast subset.
bool read_flat_event(fast_json::Cursor& c, FlatEvent& e) {
    using namespace fast_json;
    if (!expect(c, '{')) return false;
    if (expect(c, '}')) return true;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return false;
        const int k = flat_key(key);
        if (k < 0 || e.has(static_cast<FlatKey>(k))) return false;
        e.present |= bit(static_cast<FlatKey>(k));
        if (k == k_tokens) {
            if (!read_flat_tokens(c, e)) return false;
        } else if (k == k_provider_usage) {
            if (!read_flat_provider_usage(c, e)) return false;
        } else if (!plain_string(c, e.text[k])) {
            return false;
        }
        if (expect(c, ',')) continue;
        return expect(c, '}');
    }
}

// ObjectReader::id: a non-empty string of at most 256 bytes.
bool valid_id(std::string_view text) { return !text.empty() && text.size() <= 256; }

// Limits for parsing one element of the events array on its own: an event
// sits two levels down in the document (root object, events array), so it may
// nest two levels less; the other limits are the document's.
ParseLimits event_parse_limits(const LedgerLimits& limits) {
    ParseLimits parse_limits{limits.document_bytes_max};
    parse_limits.depth_max -= 2;
    return parse_limits;
}

class LedgerBuilder {
public:
    LedgerBuilder(const Rules& rules, const Catalog& catalog, const LedgerLimits& limits, ErrorList& errors)
        : rules_(rules), catalog_(catalog), limits_(limits), errors_(errors) {}

    void add_event(std::size_t index, Json&& event);
    // The fast path: adds the event and returns true only when the strict
    // reader would accept it without a problem (see FlatEvent); otherwise
    // changes nothing and returns false.
    bool add_flat_event(std::size_t index, const FlatEvent& event);
    // Where each event is in the document (fast path), so repeated ids are
    // compared without parsing the whole document again.
    void set_event_ranges(std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges) { event_ranges_ = std::move(ranges); }
    // The fast path's document: strings read from it need no copy. The
    // per-event vectors are sized for it at once (about 250 bytes an event):
    // regrowing them copied as much again.
    void set_document(std::string_view text) {
        document_ = text;
        const std::size_t expected_events = text.size() / 256;
        event_stamps_.reserve(expected_events);
        ledger_.usage.reserve(expected_events);
        ledger_.usage_event_ids.reserve(expected_events);
    }

    // How repeated event ids are found (issue 6). The strict path looks every
    // id up in a hash table as it comes (RepeatMode::lookup). The fast path's
    // first pass only records each id with its position and groups equal ids
    // once at the end with a radix sort (find_repeats): a million random probes
    // into a table larger than the caches cost more than the rest of the pass.
    // When that finds repeats, the document is read again knowing which events
    // repeat which (RepeatMode::known), so every event is handled as the strict
    // path handles it.
    enum class RepeatMode : std::uint8_t { lookup, deferred, known };
    void defer_repeats(std::size_t expected_events) {
        repeat_mode_ = RepeatMode::deferred;
        deferred_ids_.reserve(expected_events);
        deferred_keys_.reserve(expected_events);
    }
    // `repeats`: (later, first) document indices, sorted by `later`.
    void use_known_repeats(std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats) {
        repeat_mode_ = RepeatMode::known;
        known_repeats_ = std::move(repeats);
    }
    // After a deferred pass: (later, first) document indices of the events
    // whose id an earlier event already has, sorted by `later`.
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint32_t>> find_repeats();
    void finish(const Json& root, std::string_view text);
    Ledger take() { return std::move(ledger_); }

private:
    void read_grant_events(ObjectReader& reader, const std::string& type, const EventRef& ref, const Instant& at);
    void read_usage(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    void read_session_completed(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    void read_task_cancelled(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    std::optional<TokenCounts> read_tokens(ObjectReader& reader, const std::string& event_id);
    // What a valid event adds to the ledger, shared by the strict reader above
    // and the fast one (add_flat_event), so both build the same records.
    void apply_usage(const EventRef& ref, std::int64_t at_ns, Service service, std::string_view project_id,
                     std::optional<std::string_view> task_id, std::optional<std::string_view> session_id,
                     std::optional<std::string_view> model, const TokenCounts& counts);
    void apply_completion(const EventRef& ref, std::int64_t at_ns, std::string_view project_id, std::string_view task_id,
                          std::string_view session_id);
    void apply_cancellation(const EventRef& ref, std::int64_t at_ns, std::string_view project_id, std::string_view task_id,
                            std::optional<std::string> reason);
    void add_to_amount_sum(std::int64_t tokens);
    std::uint32_t intern_project(std::string_view id, const EventRef& ref) {
        if (const std::uint32_t* found = project_refs_.find(id)) return *found;
        return project_refs_.intern(arena_.keep(id), ref);
    }
    std::uint32_t intern_task(std::uint32_t project, std::string_view task_id, const EventRef& ref);
    std::uint32_t intern_session(std::uint32_t task, std::string_view session_id, const EventRef& ref);

    void read_header(const Json& root);
    void resolve_projects();
    void check_duplicates(std::string_view text);
    void check_opening();
    void check_sessions();
    void build_actions();

    const Rules& rules_;
    const Catalog& catalog_;
    const LedgerLimits& limits_;
    ErrorList& errors_;
    Ledger ledger_;

    std::size_t events_seen_ = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> event_ranges_;  // [begin, end) byte offsets, fast path
    // Views into the document (fast path) or arena_ stay valid while the builder works.
    std::string_view stable(std::string_view text) {
        if (text.data() >= document_.data() && text.data() + text.size() <= document_.data() + document_.size() &&
            !document_.empty())
            return text;
        return arena_.keep(text);
    }
    std::string_view document_;
    StringArena arena_;
    IndexMap first_index_by_id_;  // event id -> document index of its first occurrence (lookup mode)
    RepeatMode repeat_mode_ = RepeatMode::lookup;
    std::vector<std::pair<std::string_view, std::uint32_t>> deferred_ids_;  // (id, document index), deferred mode
    std::vector<std::uint64_t> deferred_keys_;  // per deferred id: high hash bits | its position in deferred_ids_
    std::vector<std::pair<std::uint32_t, std::uint32_t>> known_repeats_;   // (later, first), known mode
    std::size_t next_known_repeat_ = 0;
    // The index of the earlier event with this id, if any (per the repeat mode).
    std::optional<std::uint32_t> repeat_of(std::string_view id, std::size_t index) {
        switch (repeat_mode_) {
            case RepeatMode::lookup:
                if (const std::uint32_t* first = first_index_by_id_.find(0, id)) return *first;
                return std::nullopt;
            case RepeatMode::deferred: return std::nullopt;
            case RepeatMode::known:
                if (next_known_repeat_ < known_repeats_.size() && known_repeats_[next_known_repeat_].first == index)
                    return known_repeats_[next_known_repeat_++].second;
                return std::nullopt;
        }
        return std::nullopt;
    }
    // Remembers the first event with this id (a stable view).
    void first_occurrence(std::string_view id, std::size_t index) {
        if (repeat_mode_ == RepeatMode::lookup) first_index_by_id_.try_emplace(0, id, static_cast<std::uint32_t>(index));
        if (repeat_mode_ == RepeatMode::deferred) {
            // Hashed now, while the id is in cache; find_repeats sorts these keys.
            deferred_keys_.push_back((hash_key(0, id) & ~repeat_position_mask) | deferred_ids_.size());
            deferred_ids_.emplace_back(id, static_cast<std::uint32_t>(index));
        }
    }
    std::vector<std::pair<std::size_t, std::size_t>> repeated_;  // (first, later) document indices
    std::vector<EventRef> openings_;
    std::vector<std::pair<std::int64_t, EventRef>> event_stamps_;  // (at, ref) of distinct events
    std::unordered_map<std::string, EventRef> named_accounts_;     // account_id value -> first event naming it
    Interner project_refs_;
    IndexMap task_index_;     // (project, task id) -> task
    IndexMap session_index_;  // (task, session id) -> session
    IndexMap model_index_;    // model -> index into Ledger::models
    std::vector<std::vector<Completion>> completions_;   // per session
    std::vector<std::vector<Cancellation>> cancellations_;  // per task
    std::int64_t amount_sum_ = 0;
    bool amount_sum_exceeded_ = false;
};

void LedgerBuilder::add_to_amount_sum(std::int64_t tokens) {
    assert(amount_in_range(tokens));
    if (amount_sum_exceeded_) return;
    if (tokens > amount_tokens_max - amount_sum_) {
        amount_sum_exceeded_ = true;
        errors_.add(code::amount_out_of_range, std::nullopt, "/events",
                    "The document's token counts and granted credits add up to more than 9007199254740991 "
                    "(2^53 - 1) tokens, the most the core can account for exactly.");
        return;
    }
    amount_sum_ += tokens;
}

std::uint32_t LedgerBuilder::intern_task(std::uint32_t project, std::string_view task_id, const EventRef&) {
    if (const std::uint32_t* found = task_index_.find(project, task_id)) return *found;
    const auto index = static_cast<std::uint32_t>(ledger_.tasks.size());
    task_index_.try_emplace(project, arena_.keep(task_id), index);  // compact keys: hits compare in cache
    ledger_.tasks.push_back(Task{project, std::string(task_id), std::nullopt, {}, std::nullopt});
    cancellations_.emplace_back();
    return index;
}

std::uint32_t LedgerBuilder::intern_session(std::uint32_t task, std::string_view session_id, const EventRef&) {
    if (const std::uint32_t* found = session_index_.find(task, session_id)) return *found;
    const auto index = static_cast<std::uint32_t>(ledger_.sessions.size());
    session_index_.try_emplace(task, arena_.keep(session_id), index);
    Session session;
    session.project = ledger_.tasks[task].project;
    session.task = task;
    session.session_id = session_id;
    ledger_.sessions.push_back(std::move(session));
    completions_.emplace_back();
    return index;
}

CREDITS_COLD void LedgerBuilder::add_event(std::size_t index, Json&& event) {
    ++events_seen_;
    if (events_seen_ > limits_.events_max) {
        if (events_seen_ == limits_.events_max + 1) {
            errors_.add(code::too_many_events, std::nullopt, event_pointer(index),
                        "The ledger has more than " + std::to_string(limits_.events_max) + " events, the most one document may hold.");
        }
        return;
    }
    const std::string pointer = event_pointer(index);
    if (!event.is_object()) {
        errors_.add(code::wrong_type, std::nullopt, pointer, "An event must be a JSON object, found " + describe_type(event) + ".");
        return;
    }
    ObjectReader probe(event, pointer, std::nullopt, errors_);
    const std::optional<std::string> id = probe.id("id", true);
    if (!id) return;
    if (const std::optional<std::uint32_t> first = repeat_of(*id, index)) {
        // Same id again: an exact duplicate is ignored, anything else is a
        // conflict. Decided after the first pass, comparing the two values.
        repeated_.emplace_back(*first, index);
        return;
    }
    const EventRef ref{stable(*id), index};
    first_occurrence(ref.event_id, index);
    ObjectReader reader(event, pointer, *id, errors_);
    const std::optional<std::string> type = reader.string("type", true, 64);
    const std::optional<Instant> at = reader.instant("at", true);
    if (const std::optional<std::string> account_id = reader.id("account_id", false)) {
        named_accounts_.try_emplace(*account_id, ref);
    }
    if (!type) return;  // (Json path)
    if (at) event_stamps_.emplace_back(at->ns, ref);
    if (*type == "credits_transferred") {
        reader.add_error(code::not_transferable, reader.member_pointer("type"),
                         "Credits belong to one account and cannot be transferred to another.");
        return;
    }
    if (*type == "credits_redeemed") {
        reader.add_error(code::not_redeemable, reader.member_pointer("type"),
                         "Credits cannot be redeemed for cash.");
        return;
    }
    // A bad `at` was reported above; the rest of the event is still checked
    // (against a stand-in instant) so one pass reports every problem.
    const Instant at_or_epoch = at.value_or(Instant{});
    if (*type == "account_opened" || *type == "subscription_billed" || *type == "credits_purchased" ||
        *type == "credits_granted") {
        read_grant_events(reader, *type, ref, at_or_epoch);
    } else if (*type == "usage") {
        read_usage(reader, ref, at_or_epoch.ns);
    } else if (*type == "session_completed") {
        read_session_completed(reader, ref, at_or_epoch.ns);
    } else if (*type == "task_cancelled") {
        read_task_cancelled(reader, ref, at_or_epoch.ns);
    } else {
        reader.add_error(code::unknown_event_type, reader.member_pointer("type"),
                         "Unknown event type \"" + *type + "\".");
    }
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> LedgerBuilder::find_repeats() {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats;
    const std::size_t n = deferred_ids_.size();
    constexpr std::uint64_t position_bits = repeat_position_bits;
    constexpr std::uint64_t position_mask = repeat_position_mask;
    if (n < 2) return repeats;
    std::vector<std::uint64_t> keys = std::move(deferred_keys_);
    radix_sort_high_bits(keys);
    std::vector<std::uint32_t> group;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && (keys[j] >> position_bits) == (keys[i] >> position_bits)) ++j;
        if (j - i > 1) {
            // Equal hashes (almost always equal ids): the earliest event of each id is
            // the first occurrence, every later one repeats it.
            group.clear();
            for (std::size_t k = i; k < j; ++k) group.push_back(static_cast<std::uint32_t>(keys[k] & position_mask));
            std::sort(group.begin(), group.end());  // positions follow document order
            for (std::size_t a = 0; a < group.size(); ++a) {
                if (group[a] == UINT32_MAX) continue;
                const auto& [id, first] = deferred_ids_[group[a]];
                for (std::size_t b = a + 1; b < group.size(); ++b) {
                    if (group[b] != UINT32_MAX && deferred_ids_[group[b]].first == id) {
                        repeats.emplace_back(deferred_ids_[group[b]].second, first);
                        group[b] = UINT32_MAX;
                    }
                }
            }
        }
        i = j;
    }
    std::sort(repeats.begin(), repeats.end());
    return repeats;
}

bool LedgerBuilder::add_flat_event(std::size_t index, const FlatEvent& e) {
    if (events_seen_ >= limits_.events_max || !e.has(k_id) || !valid_id(e.text[k_id])) return false;
    const std::string_view id = e.text[k_id];
    if (const std::optional<std::uint32_t> first = repeat_of(id, index)) {
        // A repeated id: the strict reader only records it (compared in check_duplicates).
        ++events_seen_;
        repeated_.emplace_back(*first, index);
        return true;
    }
    // Every check of add_event and read_usage / read_session_completed /
    // read_task_cancelled, for the valid case only.
    if (!e.has(k_type) || !e.has(k_at) || e.text[k_at].size() > 64) return false;
    const std::string_view type = e.text[k_type];
    if (e.has(k_account_id) && !valid_id(e.text[k_account_id])) return false;
    const std::optional<Instant> at = parse_instant(e.text[k_at]);
    if (!at) return false;
    constexpr std::uint32_t common = bit(k_id) | bit(k_type) | bit(k_at) | bit(k_account_id);
    const auto only = [&](std::uint32_t allowed) { return (e.present & ~(common | allowed)) == 0; };
    const auto id_member = [&](FlatKey key) { return e.has(key) && valid_id(e.text[key]); };
    const auto optional_id = [&](FlatKey key) { return !e.has(key) || valid_id(e.text[key]); };
    enum class Kind { usage, completion, cancellation } kind;
    Service service = Service::agent_chat;
    TokenCounts counts;
    if (fast_json::equals(type, "usage")) {
        kind = Kind::usage;
        if (!only(bit(k_project_id) | bit(k_service) | bit(k_tokens) | bit(k_provider_usage) | bit(k_task_id) |
                  bit(k_session_id) | bit(k_model)))
            return false;
        if (!id_member(k_project_id) || !id_member(k_service) || !optional_id(k_task_id) || !optional_id(k_session_id))
            return false;
        if (e.has(k_model) && e.text[k_model].size() > 256) return false;
        if (e.has(k_tokens) == e.has(k_provider_usage)) return false;
        if (e.has(k_tokens)) {
            counts = TokenCounts{e.tokens[0], e.tokens[1], e.tokens[2]};
        } else {
            if (!e.provider_has_format || !e.provider_has_usage || e.provider_format.size() > 64) return false;
            const std::optional<TokenCounts> normalized =
                normalize_provider_usage_fast(e.provider_format, e.usage, e.usage_count);
            if (!normalized) return false;
            counts = *normalized;
        }
        const std::string_view service_name = e.text[k_service];
        service = fast_json::equals(service_name, "agent_chat")      ? Service::agent_chat
                  : fast_json::equals(service_name, "summarization") ? Service::summarization
                                                    : Service::other;
        if (service == Service::agent_chat && (!e.has(k_task_id) || !e.has(k_session_id))) return false;
        if (e.has(k_session_id) && !e.has(k_task_id)) return false;
    } else if (fast_json::equals(type, "session_completed")) {
        kind = Kind::completion;
        if (!only(bit(k_project_id) | bit(k_task_id) | bit(k_session_id))) return false;
        if (!id_member(k_project_id) || !id_member(k_task_id) || !id_member(k_session_id)) return false;
    } else if (fast_json::equals(type, "task_cancelled")) {
        kind = Kind::cancellation;
        if (!only(bit(k_project_id) | bit(k_task_id) | bit(k_reason))) return false;
        if (!id_member(k_project_id) || !id_member(k_task_id)) return false;
        if (e.has(k_reason) && e.text[k_reason].size() > 1024) return false;
    } else {
        return false;  // grants and anything unusual: the strict reader
    }
    // Valid: the same changes add_event makes.
    ++events_seen_;
    const EventRef ref{stable(id), index};
    first_occurrence(ref.event_id, index);
    if (e.has(k_account_id)) named_accounts_.try_emplace(std::string(e.text[k_account_id]), ref);
    event_stamps_.emplace_back(at->ns, ref);
    switch (kind) {
        case Kind::usage:
            apply_usage(ref, at->ns, service, e.text[k_project_id], e.optional(k_task_id), e.optional(k_session_id),
                        e.optional(k_model), counts);
            break;
        case Kind::completion:
            apply_completion(ref, at->ns, e.text[k_project_id], e.text[k_task_id], e.text[k_session_id]);
            break;
        case Kind::cancellation:
            apply_cancellation(ref, at->ns, e.text[k_project_id], e.text[k_task_id],
                               e.has(k_reason) ? std::optional<std::string>(e.text[k_reason]) : std::nullopt);
            break;
    }
    return true;
}

CREDITS_COLD void LedgerBuilder::read_grant_events(ObjectReader& reader, const std::string& type, const EventRef& ref,
                                      const Instant& at) {
    GrantRecord grant;
    grant.id = ref.event_id;
    grant.granted_at_ns = at.ns;
    if (type == "account_opened") {
        reader.reject_unknown({"id", "type", "at", "account_id"});
        openings_.push_back(ref);
        grant.source = GrantSource::signup;
        grant.tokens = rules_.signup_tokens;
    } else if (type == "credits_purchased") {
        reader.reject_unknown({"id", "type", "at", "account_id", "credits", "pack"});
        grant.source = GrantSource::purchase;
        grant.pack = reader.id("pack", false);
        const auto tokens = reader.credit_tokens("credits", true, false);
        if (!tokens) return;
        grant.tokens = *tokens;
    } else if (type == "credits_granted") {
        reader.reject_unknown({"id", "type", "at", "account_id", "credits", "expires_at", "reason"});
        grant.source = GrantSource::promotion;
        grant.reason = reader.string("reason", false, 1024);
        const auto tokens = reader.credit_tokens("credits", true, false);
        const auto expires_at = reader.instant("expires_at", false);
        if (expires_at) {
            if (expires_at->ns <= at.ns) {
                reader.add_error(code::not_after_event, reader.member_pointer("expires_at"),
                                 "expires_at must come after the event's at.");
                return;
            }
            grant.expires_at_ns = expires_at->ns;
        }
        if (!tokens) return;
        grant.tokens = *tokens;
    } else {  // subscription_billed
        reader.reject_unknown({"id", "type", "at", "account_id", "plan", "outcome", "period_start", "period_end", "credits"});
        const auto plan_id = reader.id("plan", true);
        const auto outcome = reader.string("outcome", true, 64);
        const auto period_start = reader.instant("period_start", false);
        const auto period_end = reader.instant("period_end", false);
        const auto override_tokens = reader.credit_tokens("credits", false, false);
        const Plan* plan = plan_id ? catalog_.find_plan(*plan_id) : nullptr;
        if (plan_id && plan == nullptr) {
            reader.add_error(code::unknown_plan, reader.member_pointer("plan"),
                             "The plan \"" + *plan_id + "\" is not in the catalog.");
        }
        if (outcome && *outcome != "succeeded" && *outcome != "failed") {
            reader.add_error(code::invalid_value, reader.member_pointer("outcome"),
                             "outcome must be \"succeeded\" or \"failed\", found \"" + *outcome + "\".");
        }
        const Instant start = period_start.value_or(at);
        std::int64_t end_ns = 0;
        if (period_end) {
            end_ns = period_end->ns;
        } else {
            end_ns = add_one_month_ns(start);
            if (end_ns >= instant_end_ns) {
                reader.add_error(code::instant_out_of_range, reader.member_pointer("period_start"),
                                 "The billing period would end after 2200-01-01T00:00:00Z.");
                return;
            }
        }
        if (end_ns <= at.ns) {
            reader.add_error(code::not_after_event, reader.member_pointer("period_end"),
                             "period_end must come after the event's at.");
            return;
        }
        if (end_ns <= start.ns) {
            reader.add_error(code::invalid_value, reader.member_pointer("period_end"),
                             "period_end must come after period_start.");
            return;
        }
        if (!plan || !outcome || (*outcome != "succeeded" && *outcome != "failed")) return;
        if (reader.get("credits", false) != nullptr && !override_tokens) return;
        if (*outcome == "failed") {
            ledger_.failed_billings.push_back(FailedBilling{std::string(ref.event_id), at.ns, plan->id, start.ns, end_ns});
            return;
        }
        grant.source = GrantSource::plan;
        grant.plan = plan->id;
        grant.tokens = override_tokens.value_or(plan->monthly_tokens);
        grant.period_start_ns = start.ns;
        grant.period_end_ns = end_ns;
        grant.expires_at_ns = end_ns;
    }
    add_to_amount_sum(grant.tokens);
    ledger_.grants.push_back(std::move(grant));
}

CREDITS_COLD std::optional<TokenCounts> LedgerBuilder::read_tokens(ObjectReader& reader, const std::string& event_id) {
    const Json* tokens = reader.get("tokens", false);
    const Json* provider = reader.get("provider_usage", false);
    if (tokens != nullptr && provider != nullptr) {
        reader.add_error(code::ambiguous_usage, reader.member_pointer("provider_usage"),
                         "A usage record carries either \"tokens\" or \"provider_usage\", never both.");
        return std::nullopt;
    }
    if (tokens == nullptr && provider == nullptr) {
        reader.add_error(code::missing_field, reader.member_pointer("tokens"),
                         "A usage record needs \"tokens\" or \"provider_usage\".");
        return std::nullopt;
    }
    if (tokens != nullptr) {
        const std::string where = reader.member_pointer("tokens");
        if (!tokens->is_object()) {
            reader.add_error(code::wrong_type, where, "\"tokens\" must be an object, found " + describe_type(*tokens) + ".");
            return std::nullopt;
        }
        ObjectReader counts(*tokens, where, event_id, errors_);
        counts.reject_unknown({"output", "input_cache_miss", "input_cache_hit"});
        const auto output = counts.count("output", false);
        const auto miss = counts.count("input_cache_miss", false);
        const auto hit = counts.count("input_cache_hit", false);
        const auto present = [&](std::string_view key, const std::optional<std::int64_t>& v) {
            return v.has_value() || counts.get(key, false) == nullptr;
        };
        if (!present("output", output) || !present("input_cache_miss", miss) || !present("input_cache_hit", hit))
            return std::nullopt;
        return TokenCounts{output.value_or(0), miss.value_or(0), hit.value_or(0)};
    }
    const std::string where = reader.member_pointer("provider_usage");
    if (!provider->is_object()) {
        reader.add_error(code::wrong_type, where, "\"provider_usage\" must be an object, found " + describe_type(*provider) + ".");
        return std::nullopt;
    }
    ObjectReader wrapper(*provider, where, event_id, errors_);
    wrapper.reject_unknown({"format", "usage"});
    const auto format = wrapper.string("format", true, 64);
    const Json* usage = wrapper.get("usage", true);
    if (!format || usage == nullptr) return std::nullopt;
    return normalize_provider_usage(*format, *usage, wrapper.member_pointer("usage"), event_id, errors_);
}

CREDITS_COLD void LedgerBuilder::read_usage(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "service", "tokens", "provider_usage",
                           "task_id", "session_id", "model"});
    const auto project_id = reader.id("project_id", true);
    const auto service_name = reader.id("service", true);
    const auto task_id = reader.id("task_id", false);
    const auto session_id = reader.id("session_id", false);
    const auto model = reader.string("model", false, 256);
    const std::optional<TokenCounts> counts = read_tokens(reader, std::string(ref.event_id));
    UsageRecord record;
    record.at_ns = at_ns;
    record.document_index = static_cast<std::uint32_t>(ref.document_index);
    if (service_name) {
        record.service = *service_name == "agent_chat"      ? Service::agent_chat
                         : *service_name == "summarization" ? Service::summarization
                                                            : Service::other;
    }
    if (service_name && record.service == Service::agent_chat) {
        if (!task_id && reader.get("task_id", false) == nullptr)
            reader.add_error(code::missing_field, reader.member_pointer("task_id"), "An agent_chat record needs a task_id.");
        if (!session_id && reader.get("session_id", false) == nullptr)
            reader.add_error(code::missing_field, reader.member_pointer("session_id"), "An agent_chat record needs a session_id.");
        if (!task_id || !session_id) return;
    }
    if (session_id && !task_id && reader.get("task_id", false) == nullptr) {
        reader.add_error(code::missing_field, reader.member_pointer("task_id"),
                         "A usage record that names a session_id must also name its task_id.");
        return;
    }
    if (!project_id || !service_name || !counts) return;
    const auto view = [](const std::optional<std::string>& text) {
        return text ? std::optional<std::string_view>(*text) : std::nullopt;
    };
    apply_usage(ref, at_ns, record.service, *project_id, view(task_id), view(session_id), view(model), *counts);
}

void LedgerBuilder::apply_usage(const EventRef& ref, std::int64_t at_ns, Service service, std::string_view project_id,
                                std::optional<std::string_view> task_id, std::optional<std::string_view> session_id,
                                std::optional<std::string_view> model, const TokenCounts& counts) {
    UsageRecord record;
    record.at_ns = at_ns;
    record.document_index = static_cast<std::uint32_t>(ref.document_index);
    record.service = service;
    add_to_amount_sum(counts.output_tokens);
    add_to_amount_sum(counts.input_cache_miss_tokens);
    add_to_amount_sum(counts.input_cache_hit_tokens);
    record.project = intern_project(project_id, ref);
    if (task_id) record.task = intern_task(record.project, *task_id, ref);
    if (task_id && session_id) record.session = intern_session(record.task, *session_id, ref);
    if (model) {
        if (const std::uint32_t* found = model_index_.find(0, *model)) {
            record.model = *found;
        } else {
            record.model = static_cast<std::uint32_t>(ledger_.models.size());
            model_index_.try_emplace(0, arena_.keep(*model), record.model);
            ledger_.models.emplace_back(*model);
        }
    }
    record.output_tokens = counts.output_tokens;
    record.input_cache_miss_tokens = counts.input_cache_miss_tokens;
    record.input_cache_hit_tokens = counts.input_cache_hit_tokens;
    record.event = static_cast<std::uint32_t>(ledger_.usage_event_ids.size());
    ledger_.usage_event_ids.emplace_back(ref.event_id);
    if (record.service == Service::agent_chat) {
        Session& session = ledger_.sessions[record.session];
        session.output_tokens += record.output_tokens;  // bounded by the document's amount sum
        session.input_cache_miss_tokens += record.input_cache_miss_tokens;
    }
    ledger_.usage.push_back(record);
}

CREDITS_COLD void LedgerBuilder::read_session_completed(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "task_id", "session_id"});
    const auto project_id = reader.id("project_id", true);
    const auto task_id = reader.id("task_id", true);
    const auto session_id = reader.id("session_id", true);
    if (!project_id || !task_id || !session_id) return;
    apply_completion(ref, at_ns, *project_id, *task_id, *session_id);
}

void LedgerBuilder::apply_completion(const EventRef& ref, std::int64_t at_ns, std::string_view project_id,
                                     std::string_view task_id, std::string_view session_id) {
    const std::uint32_t project = intern_project(project_id, ref);
    const std::uint32_t session = intern_session(intern_task(project, task_id, ref), session_id, ref);
    completions_[session].push_back(Completion{at_ns, ref});
}

CREDITS_COLD void LedgerBuilder::read_task_cancelled(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "task_id", "reason"});
    const auto project_id = reader.id("project_id", true);
    const auto task_id = reader.id("task_id", true);
    const auto reason = reader.string("reason", false, 1024);
    if (!project_id || !task_id) return;
    apply_cancellation(ref, at_ns, *project_id, *task_id, reason);
}

void LedgerBuilder::apply_cancellation(const EventRef& ref, std::int64_t at_ns, std::string_view project_id,
                                       std::string_view task_id, std::optional<std::string> reason) {
    const std::uint32_t task = intern_task(intern_project(project_id, ref), task_id, ref);
    cancellations_[task].push_back(Cancellation{at_ns, ref, std::move(reason)});
}

CREDITS_COLD void LedgerBuilder::read_header(const Json& root) {
    ObjectReader reader(root, "", std::nullopt, errors_);
    reader.reject_unknown({"format", "account", "projects", "events"});
    if (const auto format = reader.string("format", true, 64); format && *format != "easycoda.ledger/1") {
        reader.add_error(code::unsupported_format, "/format",
                         "The format \"" + *format + "\" is not supported; expected \"easycoda.ledger/1\".");
    }
    if (const Json* events = reader.get("events", true); events != nullptr && !events->is_array()) {
        reader.add_error(code::wrong_type, "/events", "\"events\" must be an array, found " + describe_type(*events) + ".");
    }
    if (const Json* account = reader.get("account", true)) {
        if (!account->is_object()) {
            reader.add_error(code::wrong_type, "/account", "\"account\" must be an object, found " + describe_type(*account) + ".");
        } else {
            ObjectReader account_reader(*account, "/account", std::nullopt, errors_);
            account_reader.reject_unknown({"id", "utc_offset"});
            ledger_.account_id = account_reader.id("id", true).value_or("");
            if (const auto offset = account_reader.string("utc_offset", false, 16)) {
                const std::optional<int> minutes = parse_utc_offset(*offset);
                if (!minutes) {
                    account_reader.add_error(code::invalid_offset, "/account/utc_offset",
                                             "utc_offset must look like \"+08:00\" or \"-05:30\", within +-14:00; found \"" +
                                                 *offset + "\".");
                }
                ledger_.utc_offset_minutes = minutes.value_or(0);
            }
        }
    }
    if (const Json* projects = reader.get("projects", false)) {
        if (!projects->is_array()) {
            reader.add_error(code::wrong_type, "/projects", "\"projects\" must be an array, found " + describe_type(*projects) + ".");
            return;
        }
        if (projects->size() > limits_.projects_max) {
            reader.add_error(code::too_many_events, "/projects",
                             "The ledger lists more than " + std::to_string(limits_.projects_max) + " projects.");
            return;
        }
        std::set<std::string> seen;
        for (std::size_t i = 0; i < projects->size(); ++i) {
            const std::string where = pointer_join("/projects", i);
            const Json& item = (*projects)[i];
            if (!item.is_object()) {
                errors_.add(code::wrong_type, std::nullopt, where, "A project must be an object, found " + describe_type(item) + ".");
                continue;
            }
            ObjectReader project_reader(item, where, std::nullopt, errors_);
            project_reader.reject_unknown({"id", "name"});
            const auto id = project_reader.id("id", true);
            const auto name = project_reader.string("name", true, 256);
            if (!id || !name) continue;
            if (!seen.insert(*id).second) {
                project_reader.add_error(code::duplicate_project, where + "/id", "The project id \"" + *id + "\" is listed twice.");
                continue;
            }
            ledger_.projects.push_back(Project{*id, *name});
        }
        sort_cold(ledger_.projects, [](const Project& a, const Project& b) { return a.id < b.id; });
    }
}

void LedgerBuilder::resolve_projects() {
    std::vector<std::uint32_t> final_index(project_refs_.size(), no_index);
    for (std::uint32_t i = 0; i < project_refs_.size(); ++i) {
        final_index[i] = ledger_.find_project(project_refs_.key(i));
        if (final_index[i] == no_index) {
            const EventRef& ref = project_refs_.first_ref(i);
            errors_.add(code::unknown_project, std::string(ref.event_id), event_pointer(ref.document_index) + "/project_id",
                        "The project \"" + project_refs_.key(i) + "\" is not listed in \"projects\".");
        }
    }
    if (!errors_.empty()) return;  // indices stay as interned; the ledger is rejected anyway
    for (UsageRecord& record : ledger_.usage) record.project = final_index[record.project];
    for (Task& task : ledger_.tasks) task.project = final_index[task.project];
    for (Session& session : ledger_.sessions) session.project = final_index[session.project];
}

// The canonical dump of a first event, read back and compared as JSON. Read
// with the strict parser the events were read with (no second nlohmann parser
// in the WebAssembly module: issue 6, size).
bool reparsed_equal(const std::string& canonical, const Json& element) {
    Json value;
    ErrorList ignored;
    return parse_json_document(canonical, ParseLimits{canonical.size() + 1, 1024, canonical.size() + 1}, value, ignored) &&
           value == element;
}

CREDITS_COLD void LedgerBuilder::check_duplicates(std::string_view text) {
    if (repeated_.empty()) return;
    // Second pass over the events involved. Each repeat is compared with the first event
    // of its id as it comes by, so memory follows the distinct repeated events, not the
    // number of repeats (2,000,000 exact repeats used to be kept as as many DOM copies,
    // several GB for a 200 MB document). A first event is kept as its canonical dump:
    // nlohmann::json sorts object members, so the text's member order does not matter.
    struct First {
        std::string canonical;
        std::string id;
    };
    std::unordered_map<std::size_t, First> firsts;
    for (const auto& [first, later] : repeated_) firsts.emplace(first, First{});
    std::vector<char> equal(repeated_.size(), 0);  // parallel to repeated_ (in document order of the repeats)
    std::size_t next = 0;
    const auto visit = [&](std::size_t index, const Json& element) {
        if (const auto it = firsts.find(index); it != firsts.end()) {
            it->second.canonical = element.dump();
            it->second.id = element.at("id").get<std::string>();  // read as a string in the first pass
            return;
        }
        if (next < repeated_.size() && repeated_[next].second == index) {
            const std::string& canonical = firsts.at(repeated_[next].first).canonical;
            // Equal dumps are equal values; unequal dumps may still be (1 and 1.0): compare as JSON then.
            equal[next] = canonical == element.dump() || reparsed_equal(canonical, element);
            ++next;
        }
    };
    ErrorList reparse_errors;
    if (!event_ranges_.empty()) {
        // The fast path knows where each event is: parse just those, in document order.
        std::vector<std::size_t> wanted;
        wanted.reserve(firsts.size() + repeated_.size());
        for (const auto& entry : firsts) wanted.push_back(entry.first);
        for (const auto& [first, later] : repeated_) wanted.push_back(later);
        std::sort(wanted.begin(), wanted.end());
        for (const std::size_t index : wanted) {
            const auto [begin, end] = event_ranges_[index];
            Json element;
            parse_json_document(text.substr(begin, end - begin), event_parse_limits(limits_), element, reparse_errors);
            visit(index, element);
        }
    } else {
        Json root;
        parse_json_document(text, ParseLimits{limits_.document_bytes_max}, root, reparse_errors, "events",
                            [&](std::size_t index, Json&& element) { visit(index, element); });
    }
    assert(reparse_errors.empty());
    assert(next == repeated_.size());
    std::vector<std::size_t> order(repeated_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    sort_cold(order, [&](std::size_t a, std::size_t b) { return repeated_[a] < repeated_[b]; });
    for (const std::size_t k : order) {
        const auto& [first, later] = repeated_[k];
        if (equal[k] != 0) {
            ++ledger_.duplicates_ignored;
        } else {
            const std::string& id = firsts.at(first).id;
            errors_.add(code::duplicate_id_conflict, id, event_pointer(later),
                        "The event id \"" + id + "\" is used by two different events (first at " + event_pointer(first) +
                            "); an exact repeat would be ignored, a different one is a conflict.");
        }
    }
}

void LedgerBuilder::check_opening() {
    if (openings_.empty()) {
        errors_.add(code::missing_account_opened, std::nullopt, "/events",
                    "The ledger has no account_opened event; every account starts with exactly one.");
        return;
    }
    sort_cold(openings_, [](const EventRef& a, const EventRef& b) { return a.document_index < b.document_index; });
    for (std::size_t i = 1; i < openings_.size(); ++i) {
        errors_.add(code::duplicate_account_opened, std::string(openings_[i].event_id), event_pointer(openings_[i].document_index) + "/type",
                    "The account is opened more than once (also by \"" + std::string(openings_[0].event_id) + "\").");
    }
    std::int64_t opened_at_ns = instant_never_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        // The same event (ids are distinct here), found without comparing strings.
        if (ref.document_index == openings_[0].document_index) opened_at_ns = at_ns;
    }
    if (opened_at_ns == instant_never_ns) return;  // its `at` was invalid, already reported
    ledger_.opened_at_ns = opened_at_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < opened_at_ns) {
            errors_.add(code::event_before_opening, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        "This event is dated before the account was opened (" + format_instant(opened_at_ns) + ").");
        }
    }
    // In document order: a hash map's order differs between the native and
    // the WebAssembly standard libraries, and both must give the same bytes.
    std::vector<std::pair<const std::string*, const EventRef*>> foreign;
    for (const auto& [account_id, ref] : named_accounts_) {
        if (account_id != ledger_.account_id) foreign.emplace_back(&account_id, &ref);
    }
    std::sort(foreign.begin(), foreign.end(),
              [](const auto& a, const auto& b) { return a.second->document_index < b.second->document_index; });
    for (const auto& [account_id, ref] : foreign) {
        errors_.add(code::account_mismatch, std::string(ref->event_id), event_pointer(ref->document_index) + "/account_id",
                    "This event belongs to account \"" + *account_id + "\", not to \"" + ledger_.account_id +
                        "\"; credits cannot move between accounts.");
    }
}

void LedgerBuilder::check_sessions() {
    const auto earlier = [](const auto& a, const auto& b) {
        return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.ref.event_id < b.ref.event_id;
    };
    for (std::size_t t = 0; t < ledger_.tasks.size(); ++t) {
        auto& cancels = cancellations_[t];
        if (cancels.empty()) continue;
        // The earliest cancellation governs; ties go to the smaller id.
        const Cancellation& first = *std::min_element(cancels.begin(), cancels.end(), earlier);
        Task& task = ledger_.tasks[t];
        task.cancelled_at_ns = first.at_ns;
        task.cancel_event_id = first.ref.event_id;
        task.cancel_reason = first.reason;
    }
    for (std::size_t s = 0; s < ledger_.sessions.size(); ++s) {
        auto& completions = completions_[s];
        if (completions.empty()) continue;
        sort_cold(completions, earlier);
        Session& session = ledger_.sessions[s];
        for (std::size_t i = 1; i < completions.size(); ++i) {
            errors_.add(code::duplicate_completion, std::string(completions[i].ref.event_id), event_pointer(completions[i].ref.document_index),
                        "The session \"" + session.session_id + "\" was already completed by \"" +
                            std::string(completions[0].ref.event_id) + "\"; a session completes once.");
        }
        const Task& task = ledger_.tasks[session.task];
        if (task.cancelled_at_ns && completions[0].at_ns > *task.cancelled_at_ns) {
            errors_.add(code::completion_after_cancellation, std::string(completions[0].ref.event_id),
                        event_pointer(completions[0].ref.document_index),
                        "The session \"" + session.session_id + "\" cannot complete: its task \"" + task.task_id +
                            "\" was cancelled at " + format_instant(*task.cancelled_at_ns) + " by \"" +
                            task.cancel_event_id + "\".");
        }
        session.completed_at_ns = completions[0].at_ns;
        session.completion_event_id = completions[0].ref.event_id;
    }
    for (const UsageRecord& record : ledger_.usage) {
        if (record.service != Service::agent_chat) continue;
        const Session& session = ledger_.sessions[record.session];
        if (session.completed_at_ns && record.at_ns > *session.completed_at_ns) {
            errors_.add(code::usage_after_completion, ledger_.usage_event_ids[record.event],
                        event_pointer(record.document_index) + "/at",
                        "This agent_chat usage is dated after its session \"" + session.session_id + "\" completed at " +
                            format_instant(*session.completed_at_ns) + ".");
        }
    }
}

void LedgerBuilder::build_actions() {
    Ledger& l = ledger_;
    sort_cold(l.grants, [](const GrantRecord& a, const GrantRecord& b) {
        return a.granted_at_ns != b.granted_at_ns ? a.granted_at_ns < b.granted_at_ns : a.id < b.id;
    });
    sort_cold(l.failed_billings, [](const FailedBilling& a, const FailedBilling& b) {
        return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.id < b.id;
    });
    std::sort(l.usage.begin(), l.usage.end(), [&](const UsageRecord& a, const UsageRecord& b) {
        return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : l.usage_event_ids[a.event] < l.usage_event_ids[b.event];
    });
    for (std::uint32_t g = 0; g < l.grants.size(); ++g) {
        l.actions.push_back(Action{l.grants[g].granted_at_ns, ActionKind::grant, g});
        if (l.grants[g].expires()) l.actions.push_back(Action{l.grants[g].expires_at_ns, ActionKind::expiry, g});
    }
    for (std::uint32_t f = 0; f < l.failed_billings.size(); ++f)
        l.actions.push_back(Action{l.failed_billings[f].at_ns, ActionKind::billing_failed, f});
    for (std::uint32_t s = 0; s < l.sessions.size(); ++s)
        if (l.sessions[s].completed_at_ns) l.actions.push_back(Action{*l.sessions[s].completed_at_ns, ActionKind::completion, s});
    std::sort(l.actions.begin(), l.actions.end(), [&](const Action& a, const Action& b) {
        if (a.at_ns != b.at_ns) return a.at_ns < b.at_ns;
        if (a.kind != b.kind) return a.kind < b.kind;
        switch (a.kind) {
            case ActionKind::expiry:
            case ActionKind::grant: return burns_before(l.grants[a.index], l.grants[b.index]);
            case ActionKind::billing_failed: return l.failed_billings[a.index].id < l.failed_billings[b.index].id;
            case ActionKind::completion:
                return l.sessions[a.index].completion_event_id < l.sessions[b.index].completion_event_id;
        }
        return false;
    });
    l.event_instants_ns.reserve(event_stamps_.size());
    for (const auto& stamp : event_stamps_) l.event_instants_ns.push_back(stamp.first);
    std::sort(l.event_instants_ns.begin(), l.event_instants_ns.end());
}

void LedgerBuilder::finish(const Json& root, std::string_view text) {
    if (!root.is_object()) {
        errors_.add(code::wrong_type, std::nullopt, "", "The ledger must be a JSON object, found " + describe_type(root) + ".");
        return;
    }
    read_header(root);
    check_duplicates(text);
    check_opening();
    resolve_projects();
    check_sessions();
    if (!errors_.empty()) return;
    build_actions();
}

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

// The whole document by the fast path, or nullopt: then the strict path reads
// it again from the start (and explains what is wrong, if anything is).
std::optional<Ledger> read_ledger_fast(std::string_view text, const Rules& rules, const Catalog& catalog,
                                       const LedgerLimits& limits) {
    if (text.size() > limits.document_bytes_max || text.size() >= UINT32_MAX || limits.events_max >= (1u << 21))
        return std::nullopt;
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
            if (!repeats.empty()) continue;  // read again, knowing which events repeat an earlier id
        }
        if (!errors.empty()) return std::nullopt;
        // Everything but the events, read strictly: the document with its events
        // array emptied, which is the DOM the strict path keeps.
        std::string rest;
        rest.reserve(text.size() - static_cast<std::size_t>(events_end - events_begin) + 2);
        rest.append(text.data(), static_cast<std::size_t>(events_begin - text.data()));
        rest += "[]";
        rest.append(events_end, static_cast<std::size_t>(text.data() + text.size() - events_end));
        Json root;
        ErrorList parse_errors;
        if (!parse_json_document(rest, ParseLimits{limits.document_bytes_max}, root, parse_errors)) return std::nullopt;
        builder.finish(root, text);
        if (!errors.empty()) return std::nullopt;
        return builder.take();
    }
    return std::nullopt;
}

}  // namespace

namespace {

// The strict path: the whole document through the strict JSON reader and
// add_event, explaining every problem.
CREDITS_COLD Result<Ledger> parse_ledger_strict(std::string_view text, const Rules& rules, const Catalog& catalog,
                                                const LedgerLimits& limits) {
    ErrorList errors;
    LedgerBuilder builder(rules, catalog, limits, errors);
    Json root;
    const ParseLimits parse_limits{limits.document_bytes_max};
    const bool parsed = parse_json_document(text, parse_limits, root, errors, "events",
                                            [&](std::size_t index, Json&& event) { builder.add_event(index, std::move(event)); });
    if (!parsed) {
        // A JSON-level error makes everything else noise: report it alone.
        std::vector<Error> all = errors.take();
        std::vector<Error> json_errors;
        for (Error& e : all)
            if (e.code == code::invalid_json || e.code == code::document_too_large || e.code == code::nesting_too_deep ||
                e.code == code::string_too_long || e.code == code::duplicate_member)
                json_errors.push_back(std::move(e));
        return Result<Ledger>::failure(json_errors.empty() ? std::move(all) : std::move(json_errors));
    }
    builder.finish(root, text);
    if (!errors.empty()) return Result<Ledger>::failure(errors.take());
    return Result<Ledger>::success(builder.take());
}

}  // namespace

Result<Ledger> parse_ledger(std::string_view text, const Rules& rules, const Catalog& catalog, const LedgerLimits& limits) {
    if (std::optional<Ledger> fast = read_ledger_fast(text, rules, catalog, limits)) {
        return Result<Ledger>::success(std::move(*fast));
    }
    return parse_ledger_strict(text, rules, catalog, limits);
}

}  // namespace credits
