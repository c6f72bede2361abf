// LedgerBuilder's own work: the strict reader's entry for one event (the
// members every event has, then its type's decoder), the repeated-id
// bookkeeping of both readers, the document's amount sum, and finish().
#include "ledger/builder.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "attributes.h"
#include "ledger/strict_event.h"

namespace credits::ledger_reading {

std::string event_pointer(std::size_t index) { return pointer_join("/events", index); }

ParseLimits event_parse_limits(const LedgerLimits& limits) {
    ParseLimits parse_limits{limits.document_bytes_max};
    parse_limits.depth_max -= 2;
    return parse_limits;
}

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

std::optional<std::uint32_t> LedgerBuilder::repeat_of(std::string_view id, std::size_t index) {
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

void LedgerBuilder::first_occurrence(std::string_view id, std::size_t index) {
    assert(index < no_index);
    if (repeat_mode_ == RepeatMode::lookup) first_index_by_id_.try_emplace(0, id, static_cast<std::uint32_t>(index));
    if (repeat_mode_ == RepeatMode::deferred) {
        // Hashed now, while the id is in cache; find_repeats sorts these keys.
        // The position must fit below the hash bits (read_ledger_fast checks events_max).
        assert(deferred_ids_.size() <= repeat_position_mask);
        deferred_keys_.push_back((hash_key(0, id) & ~repeat_position_mask) | deferred_ids_.size());
        deferred_ids_.emplace_back(id, static_cast<std::uint32_t>(index));
    }
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
    const std::optional<std::string> id = probe.id(name_of(Member::id), true);
    if (!id) return;
    if (base_ != nullptr && repeats_loaded_event(*id, index, &event)) return;
    if (const std::optional<std::uint32_t> first = repeat_of(*id, index)) {
        // Same id again: an exact duplicate is ignored, anything else is a
        // conflict. Decided after the first pass, comparing the two values.
        repeated_.emplace_back(*first, index);
        return;
    }
    const EventRef ref{stable(*id), index};
    first_occurrence(ref.event_id, index);
    ObjectReader reader(event, pointer, *id, errors_);
    const std::optional<std::string> type = reader.string(name_of(Member::type), true, spec_of(Member::type).bytes_max);
    const std::optional<Instant> at = reader.instant(name_of(Member::at), true);
    if (const std::optional<std::string> account_id = reader.id(name_of(Member::account_id), false)) {
        named_accounts_.try_emplace(*account_id, ref);
    }
    if (!type) return;
    if (at) event_stamps_.emplace_back(at->ns, ref);
    if (*type == "credits_transferred") {
        reader.add_error(code::not_transferable, reader.member_pointer("type"),
                         "Credits belong to one account and cannot be transferred to another.");
        return;
    }
    if (*type == "credits_redeemed") {
        reader.add_error(code::not_redeemable, reader.member_pointer("type"), "Credits cannot be redeemed for cash.");
        return;
    }
    const EventSpec* spec = find_event_spec(*type);
    if (spec == nullptr) {
        reader.add_error(code::unknown_event_type, reader.member_pointer("type"), "Unknown event type \"" + *type + "\".");
        return;
    }
    // A bad `at` was reported above; the rest of the event is still checked
    // (against a stand-in instant) so one pass reports every problem.
    add_typed_event(reader, *spec, ref, at.value_or(Instant{}));
}

CREDITS_COLD void LedgerBuilder::add_typed_event(ObjectReader& reader, const EventSpec& spec, const EventRef& ref,
                                                 const Instant& at) {
    StrictEventReader r(reader, spec, errors_, std::string(ref.event_id));
    r.reject_unknown();
    switch (spec.family) {
        case EventFamily::grant:
            if (std::optional<GrantInput> input = decode_grant(r, at, rules_, catalog_)) apply_grant(ref, std::move(*input));
            return;
        case EventFamily::usage:
            if (const std::optional<UsageInput> input = decode_usage(r)) apply_usage(ref, at.ns, *input);
            return;
        case EventFamily::session:
            if (spec.type == EventType::session_completed) {
                if (const std::optional<CompletionInput> input = decode_completion(r)) apply_completion(ref, at.ns, *input);
            } else if (const std::optional<CancellationInput> input = decode_cancellation(r)) {
                apply_cancellation(ref, at.ns, *input);
            }
            return;
    }
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> LedgerBuilder::find_repeats() {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats;
    const std::size_t n = deferred_ids_.size();
    if (n < 2) return repeats;
    std::vector<std::uint64_t> keys = std::move(deferred_keys_);
    radix_sort_high_bits(keys);
    std::vector<std::uint32_t> group;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && (keys[j] >> repeat_position_bits) == (keys[i] >> repeat_position_bits)) ++j;
        if (j - i > 1) {
            // Equal hashes (almost always equal ids): the earliest event of each id is
            // the first occurrence, every later one repeats it.
            group.clear();
            for (std::size_t k = i; k < j; ++k) group.push_back(static_cast<std::uint32_t>(keys[k] & repeat_position_mask));
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

void LedgerBuilder::drop_repeats(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& repeats) {
    if (repeats.empty()) return;  // nothing to take back (and a document with problems may get here)
    // Only after a first pass without problems: then every repeat is an exact duplicate of a valid
    // event whose first copy made everything it refers to (the reader reads the document again otherwise).
    assert(repeat_mode_ == RepeatMode::deferred && repeated_.empty() && errors_.empty() && !amount_sum_exceeded_);
    std::vector<char> repeat(static_cast<std::size_t>(repeats.back().first) + 1, 0);  // by document index
    for (const auto& [later, first] : repeats) {
        repeat[later] = 1;
        repeated_.emplace_back(first, later);
    }
    const auto repeats_event = [&](std::size_t index) { return index < repeat.size() && repeat[index] != 0; };
    // The repeated ids (grants and failed billings keep only their id).
    std::vector<std::string_view> ids;
    std::vector<std::pair<std::int64_t, EventRef>> stamps;
    stamps.reserve(event_stamps_.size());
    for (const auto& stamp : event_stamps_) {
        if (repeats_event(stamp.second.document_index)) {
            ids.push_back(stamp.second.event_id);
        } else {
            stamps.push_back(stamp);
        }
    }
    event_stamps_ = std::move(stamps);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    // Per repeated id: whether its first event's grant (or failed billing) was seen.
    std::vector<char> seen(ids.size(), 0);
    const auto later_copy = [&](std::string_view id) {
        const auto it = std::lower_bound(ids.begin(), ids.end(), id);
        if (it == ids.end() || *it != id) return false;
        char& s = seen[static_cast<std::size_t>(it - ids.begin())];
        const bool again = s != 0;
        s = 1;
        return again;
    };
    std::size_t kept = 0;
    for (std::size_t g = 0; g < ledger_.grants.size(); ++g) {
        if (later_copy(ledger_.grants[g].id)) {
            amount_sum_ -= ledger_.grants[g].tokens;
            continue;
        }
        if (kept != g) ledger_.grants[kept] = std::move(ledger_.grants[g]);
        ++kept;
    }
    ledger_.grants.resize(kept);
    std::fill(seen.begin(), seen.end(), 0);
    kept = 0;
    for (std::size_t f = 0; f < ledger_.failed_billings.size(); ++f) {
        if (later_copy(ledger_.failed_billings[f].id)) continue;
        if (kept != f) ledger_.failed_billings[kept] = std::move(ledger_.failed_billings[f]);
        ++kept;
    }
    ledger_.failed_billings.resize(kept);
    // Usage records are in the order they were added, parallel to usage_event_ids.
    kept = 0;
    for (std::size_t u = 0; u < ledger_.usage.size(); ++u) {
        UsageRecord record = ledger_.usage[u];
        assert(record.event == u);
        if (repeats_event(record.document_index)) {
            amount_sum_ -= record.output_tokens + record.input_cache_miss_tokens + record.input_cache_hit_tokens;
            if (record.service == Service::agent_chat) {
                Session& session = ledger_.sessions[record.session];
                session.output_tokens -= record.output_tokens;
                session.input_cache_miss_tokens -= record.input_cache_miss_tokens;
            }
            continue;
        }
        record.event = static_cast<std::uint32_t>(kept);
        if (kept != u) ledger_.usage_event_ids[kept] = std::move(ledger_.usage_event_ids[u]);
        ledger_.usage[kept++] = record;
    }
    ledger_.usage.resize(kept);
    ledger_.usage_event_ids.resize(kept);
    const auto drop_by_index = [&](auto& items) {
        items.erase(std::remove_if(items.begin(), items.end(), [&](const auto& item) { return repeats_event(item.ref.document_index); }),
                    items.end());
    };
    for (auto& completions : completions_) drop_by_index(completions);
    for (auto& cancellations : cancellations_) drop_by_index(cancellations);
    openings_.erase(std::remove_if(openings_.begin(), openings_.end(),
                                   [&](const EventRef& ref) { return repeats_event(ref.document_index); }),
                    openings_.end());
}

void LedgerBuilder::finish(const Json& root, std::string_view text) {
    if (!root.is_object()) {
        errors_.add(code::wrong_type, std::nullopt, "", "The ledger must be a JSON object, found " + describe_type(root) + ".");
        return;
    }
    read_header(root);
    if (base_ != nullptr) {  // a fragment: checked against the loaded ledger (append.cpp)
        check_duplicates(text);
        check_fragment(root);
        return;
    }
    read_checkpoint(root);
    check_duplicates(text);
    check_opening();
    resolve_projects();
    check_sessions();
    if (!errors_.empty()) return;
    build_actions();
}

}  // namespace credits::ledger_reading
