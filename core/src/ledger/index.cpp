#include "ledger/index.h"

#include <algorithm>
#include <cassert>

namespace credits::ledger_reading {

void sort_positions(std::vector<std::uint32_t>& order, bool (*less)(const void*, std::uint32_t, std::uint32_t),
                    const void* context) {
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return less(context, a, b); });
}

std::string_view StringArena::keep(std::string_view text) {
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

void radix_sort_high_bits(std::vector<std::uint64_t>& keys) {
    // Bucket starts are uint32: the keys are at most events_max (< 2^21).
    assert(keys.size() < UINT32_MAX);
    std::vector<std::uint64_t> buffer(keys.size());
    for (int shift = repeat_position_bits; shift < 64; shift += 11) {
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

void IndexMap::reserve(std::size_t entries) {
    std::size_t size = 64;
    while (size < entries * 2) size *= 2;
    if (size > slots_.size()) grow(size);
    entries_.reserve(entries);
    last_ = nullptr;  // entries_ may have moved (append reserves a table it has searched)
}

void IndexMap::grow(std::size_t size) {
    slots_.assign(size, Slot{});
    const std::size_t mask = size - 1;
    for (std::uint32_t e = 0; e < entries_.size(); ++e) {
        const std::uint64_t h = hash_key(entries_[e].tag, entries_[e].key);
        std::size_t i = static_cast<std::size_t>(h) & mask;
        while (slots_[i].entry != 0) i = (i + 1) & mask;
        slots_[i] = Slot{static_cast<std::uint32_t>(h >> 32), e + 1};
    }
}

}  // namespace credits::ledger_reading
