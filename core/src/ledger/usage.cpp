// Usage records (spec §2, §3): a service's tokens, in `tokens` or in a
// provider's `usage` object (normalized by provider_usage.cpp). agent_chat
// records belong to a task's session and are charged when it completes;
// summarization and other services are free. One decoder for both readers.
#include <cassert>
#include <string>

#include "attributes.h"
#include "ledger/builder.h"
#include "ledger/fast_event.h"
#include "ledger/strict_event.h"

namespace credits::ledger_reading {

template <typename Reader>
std::optional<UsageInput> decode_usage(Reader& r) {
    const auto project_id = r.id(Member::project_id);
    const auto service_name = r.id(Member::service);
    const auto task_id = r.id(Member::task_id);
    const auto session_id = r.id(Member::session_id);
    const auto model = r.text(Member::model);
    const std::optional<TokenCounts> counts = r.usage_tokens();
    const Service service = service_name ? service_of(*service_name) : Service::agent_chat;
    if (service_name && service == Service::agent_chat) {
        if (!task_id && !r.given(Member::task_id))
            r.problem(code::missing_field, Member::task_id, [&] { return std::string("An agent_chat record needs a task_id."); });
        if (!session_id && !r.given(Member::session_id))
            r.problem(code::missing_field, Member::session_id, [&] { return std::string("An agent_chat record needs a session_id."); });
        if (!task_id || !session_id) return std::nullopt;
    }
    if (session_id && !task_id && !r.given(Member::task_id)) {
        r.problem(code::missing_field, Member::task_id,
                  [&] { return std::string("A usage record that names a session_id must also name its task_id."); });
        return std::nullopt;
    }
    if (!project_id || !service_name || !counts) return std::nullopt;
    return UsageInput{service, *project_id, task_id, session_id, model, *counts};
}

template std::optional<UsageInput> decode_usage(StrictEventReader&);
template std::optional<UsageInput> decode_usage(FlatEventReader&);

CREDITS_COLD std::optional<TokenCounts> StrictEventReader::usage_tokens() {
    const Json* tokens = reader_.get("tokens", false);
    const Json* provider = reader_.get("provider_usage", false);
    if (tokens != nullptr && provider != nullptr) {
        reader_.add_error(code::ambiguous_usage, reader_.member_pointer("provider_usage"),
                          "A usage record carries either \"tokens\" or \"provider_usage\", never both.");
        return std::nullopt;
    }
    if (tokens == nullptr && provider == nullptr) {
        reader_.add_error(code::missing_field, reader_.member_pointer("tokens"),
                          "A usage record needs \"tokens\" or \"provider_usage\".");
        return std::nullopt;
    }
    if (tokens != nullptr) {
        const std::string where = reader_.member_pointer("tokens");
        if (!tokens->is_object()) {
            reader_.add_error(code::wrong_type, where, "\"tokens\" must be an object, found " + describe_type(*tokens) + ".");
            return std::nullopt;
        }
        ObjectReader counts(*tokens, where, event_id_, errors_);
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
    const std::string where = reader_.member_pointer("provider_usage");
    if (!provider->is_object()) {
        reader_.add_error(code::wrong_type, where,
                          "\"provider_usage\" must be an object, found " + describe_type(*provider) + ".");
        return std::nullopt;
    }
    ObjectReader wrapper(*provider, where, event_id_, errors_);
    wrapper.reject_unknown({"format", "usage"});
    const auto format = wrapper.string("format", true, provider_format_bytes_max);
    const Json* usage = wrapper.get("usage", true);
    if (!format || usage == nullptr) return std::nullopt;
    return normalize_provider_usage(*format, *usage, wrapper.member_pointer("usage"), event_id_, errors_);
}

void LedgerBuilder::add_bounded(std::int64_t& sum, std::int64_t tokens) {
    assert(amount_in_range(sum) && amount_in_range(tokens));
    if (tokens > amount_tokens_max - sum) {
        // sum is part of the document's amount sum, so that is over the limit too.
        assert(amount_sum_exceeded_);
        return;
    }
    sum += tokens;
}

std::uint32_t LedgerBuilder::intern_model(std::string_view model) {
    if (const std::uint32_t* found = model_index_.find(0, model)) return *found;
    assert(ledger_.models.size() < no_index);
    const auto index = static_cast<std::uint32_t>(ledger_.models.size());
    model_index_.try_emplace(0, arena_.keep(model), index);
    ledger_.models.emplace_back(model);
    return index;
}

void LedgerBuilder::apply_usage(const EventRef& ref, std::int64_t at_ns, const UsageInput& input) {
    UsageRecord record;
    record.at_ns = at_ns;
    assert(ref.document_index < no_index);
    record.document_index = static_cast<std::uint32_t>(ref.document_index);
    record.service = input.service;
    const TokenCounts& counts = input.counts;
    add_to_amount_sum(counts.output_tokens);
    add_to_amount_sum(counts.input_cache_miss_tokens);
    add_to_amount_sum(counts.input_cache_hit_tokens);
    record.project = intern_project(input.project_id, ref);
    if (input.task_id && input.session_id) {
        record.session = intern_task_session(record.project, *input.task_id, *input.session_id);
        record.task = ledger_.sessions[record.session].task;
    } else if (input.task_id) {
        record.task = intern_task(record.project, *input.task_id);
    }
    if (input.model) record.model = intern_model(*input.model);
    record.output_tokens = counts.output_tokens;
    record.input_cache_miss_tokens = counts.input_cache_miss_tokens;
    record.input_cache_hit_tokens = counts.input_cache_hit_tokens;
    assert(ledger_.usage_event_ids.size() < no_index);
    record.event = static_cast<std::uint32_t>(ledger_.usage_event_ids.size());
    ledger_.usage_event_ids.emplace_back(ref.event_id);
    if (record.service == Service::agent_chat) {
        Session& session = ledger_.sessions[record.session];
        // Checked before adding: a session of ~1,025 maximal records passes
        // INT64_MAX long after the document is over its limit.
        add_bounded(session.output_tokens, record.output_tokens);
        add_bounded(session.input_cache_miss_tokens, record.input_cache_miss_tokens);
    }
    ledger_.usage.push_back(record);
}

}  // namespace credits::ledger_reading
