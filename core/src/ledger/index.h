// Internal to the core: the ledger builder's memory tools. Ids and names of a
// million-event ledger are found again without an allocation per entry
// (IndexMap, Interner, StringArena), and the small or rare sorts share one
// std::sort instantiation (sort_cold), because in the WebAssembly module each
// instantiation is several KB to download.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "input/fast_json.h"

namespace credits::ledger_reading {

// Where an event was first seen, for errors found after the whole document is
// read. The id views the document or the builder's StringArena (both outlive
// the builder's work), never a JSON value that is gone.
struct EventRef {
    std::string_view event_id;
    std::size_t document_index = 0;
};

// Sorts `order` by `less(context, a, b)`: the one std::sort instantiation
// behind sort_cold. `less` must be a strict total order (every use breaks ties
// by a unique id), so the result is the one std::sort gives.
void sort_positions(std::vector<std::uint32_t>& order, bool (*less)(const void*, std::uint32_t, std::uint32_t),
                    const void* context);

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
    std::string_view keep(std::string_view text);

private:
    std::vector<std::unique_ptr<char[]>> chunks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
};

// 64 well-mixed bits of (tag, key). Inline: every id lookup hashes.
inline std::uint64_t hash_key(std::uint32_t tag, std::string_view key) {
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
inline constexpr int repeat_position_bits = 21;
inline constexpr std::uint64_t repeat_position_mask = (std::uint64_t{1} << repeat_position_bits) - 1;

// Sorts keys by their bits 21..63 (LSD radix, 4 passes of 11 bits): groups
// equal hashes without a comparison sort (LedgerBuilder::find_repeats).
void radix_sort_high_bits(std::vector<std::uint64_t>& keys);

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
        const std::uint64_t h = hash_key(tag, key);
        Slot& slot = slots_[probe(h, tag, key)];
        if (slot.entry != 0) return {entries_[slot.entry - 1].value, false};
        // Entry numbers are 1 + an index below UINT32_MAX: the builder holds at
        // most events_max (< 2^21) entries of a kind.
        assert(entries_.size() < UINT32_MAX - 1);
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
        const Slot& slot = slots_[probe(hash_key(tag, key), tag, key)];
        if (slot.entry == 0) return nullptr;
        last_ = &entries_[slot.entry - 1];
        return &last_->value;
    }
    void reserve(std::size_t entries);

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

    // The slot holding the key, or the empty slot where it would go. The table
    // is at most half full (try_emplace grows it first), so the probe ends.
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
    void grow(std::size_t size);

    std::vector<Slot> slots_;
    std::vector<Entry> entries_;
    mutable const Entry* last_ = nullptr;
};

// Interns strings to dense indices, remembering the first event naming each.
class Interner {
public:
    std::uint32_t intern(std::string_view key, const EventRef& ref) {
        assert(first_refs_.size() < UINT32_MAX);
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

}  // namespace credits::ledger_reading
