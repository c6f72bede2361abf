#include "credits/ledger.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "credits/json_input.h"
#include "credits/provider_usage.h"

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

// Where an event was first seen, for errors found after the whole document is read.
struct EventRef {
    std::string event_id;
    std::size_t document_index = 0;
};

std::string event_pointer(std::size_t index) { return pointer_join("/events", index); }

// Interns strings to dense indices, remembering the first event naming each.
class Interner {
public:
    std::uint32_t intern(const std::string& key, const EventRef& ref) {
        const auto [it, inserted] = index_.try_emplace(key, static_cast<std::uint32_t>(first_refs_.size()));
        if (inserted) {
            keys_.push_back(key);
            first_refs_.push_back(ref);
        }
        return it->second;
    }
    [[nodiscard]] std::size_t size() const { return keys_.size(); }
    [[nodiscard]] const std::string& key(std::uint32_t i) const { return keys_[i]; }
    [[nodiscard]] const EventRef& first_ref(std::uint32_t i) const { return first_refs_[i]; }

private:
    std::unordered_map<std::string, std::uint32_t> index_;
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

class LedgerBuilder {
public:
    LedgerBuilder(const Rules& rules, const Catalog& catalog, const LedgerLimits& limits, ErrorList& errors)
        : rules_(rules), catalog_(catalog), limits_(limits), errors_(errors) {}

    void add_event(std::size_t index, Json&& event);
    void finish(const Json& root, std::string_view text);
    Ledger take() { return std::move(ledger_); }

private:
    void read_grant_events(ObjectReader& reader, const std::string& type, const EventRef& ref, const Instant& at);
    void read_usage(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    void read_session_completed(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    void read_task_cancelled(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns);
    std::optional<TokenCounts> read_tokens(ObjectReader& reader, const std::string& event_id);
    void add_to_amount_sum(std::int64_t tokens);
    std::uint32_t intern_project(const std::string& id, const EventRef& ref) { return project_refs_.intern(id, ref); }
    std::uint32_t intern_task(std::uint32_t project, const std::string& task_id, const EventRef& ref);
    std::uint32_t intern_session(std::uint32_t task, const std::string& session_id, const EventRef& ref);

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
    std::unordered_map<std::string, std::size_t> first_index_by_id_;
    std::vector<std::pair<std::size_t, std::size_t>> repeated_;  // (first, later) document indices
    std::vector<EventRef> openings_;
    std::vector<std::pair<std::int64_t, EventRef>> event_stamps_;  // (at, ref) of distinct events
    std::unordered_map<std::string, EventRef> named_accounts_;     // account_id value -> first event naming it
    Interner project_refs_;
    std::unordered_map<std::string, std::uint32_t> task_index_;
    std::unordered_map<std::string, std::uint32_t> session_index_;
    std::unordered_map<std::string, std::uint32_t> model_index_;
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

std::uint32_t LedgerBuilder::intern_task(std::uint32_t project, const std::string& task_id, const EventRef&) {
    std::string key = std::to_string(project);
    key += '\0';
    key += task_id;
    const auto [it, inserted] = task_index_.try_emplace(std::move(key), static_cast<std::uint32_t>(ledger_.tasks.size()));
    if (inserted) {
        ledger_.tasks.push_back(Task{project, task_id, std::nullopt, {}, std::nullopt});
        cancellations_.emplace_back();
    }
    return it->second;
}

std::uint32_t LedgerBuilder::intern_session(std::uint32_t task, const std::string& session_id, const EventRef&) {
    std::string key = std::to_string(task);
    key += '\0';
    key += session_id;
    const auto [it, inserted] =
        session_index_.try_emplace(std::move(key), static_cast<std::uint32_t>(ledger_.sessions.size()));
    if (inserted) {
        Session session;
        session.project = ledger_.tasks[task].project;
        session.task = task;
        session.session_id = session_id;
        ledger_.sessions.push_back(std::move(session));
        completions_.emplace_back();
    }
    return it->second;
}

void LedgerBuilder::add_event(std::size_t index, Json&& event) {
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
    const auto [first, inserted] = first_index_by_id_.try_emplace(*id, index);
    if (!inserted) {
        // Same id again: an exact duplicate is ignored, anything else is a
        // conflict. Decided after the first pass, comparing the two values.
        repeated_.emplace_back(first->second, index);
        return;
    }
    const EventRef ref{*id, index};
    ObjectReader reader(event, pointer, *id, errors_);
    const std::optional<std::string> type = reader.string("type", true, 64);
    const std::optional<Instant> at = reader.instant("at", true);
    if (const std::optional<std::string> account_id = reader.id("account_id", false)) {
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

void LedgerBuilder::read_grant_events(ObjectReader& reader, const std::string& type, const EventRef& ref,
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
            ledger_.failed_billings.push_back(FailedBilling{ref.event_id, at.ns, plan->id, start.ns, end_ns});
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

std::optional<TokenCounts> LedgerBuilder::read_tokens(ObjectReader& reader, const std::string& event_id) {
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

void LedgerBuilder::read_usage(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "service", "tokens", "provider_usage",
                           "task_id", "session_id", "model"});
    const auto project_id = reader.id("project_id", true);
    const auto service_name = reader.id("service", true);
    const auto task_id = reader.id("task_id", false);
    const auto session_id = reader.id("session_id", false);
    const auto model = reader.string("model", false, 256);
    const std::optional<TokenCounts> counts = read_tokens(reader, ref.event_id);
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
    add_to_amount_sum(counts->output_tokens);
    add_to_amount_sum(counts->input_cache_miss_tokens);
    add_to_amount_sum(counts->input_cache_hit_tokens);
    record.project = intern_project(*project_id, ref);
    if (task_id) record.task = intern_task(record.project, *task_id, ref);
    if (task_id && session_id) record.session = intern_session(record.task, *session_id, ref);
    if (model) {
        const auto [it, inserted] = model_index_.try_emplace(*model, static_cast<std::uint32_t>(ledger_.models.size()));
        if (inserted) ledger_.models.push_back(*model);
        record.model = it->second;
    }
    record.output_tokens = counts->output_tokens;
    record.input_cache_miss_tokens = counts->input_cache_miss_tokens;
    record.input_cache_hit_tokens = counts->input_cache_hit_tokens;
    record.event = static_cast<std::uint32_t>(ledger_.usage_event_ids.size());
    ledger_.usage_event_ids.push_back(ref.event_id);
    if (record.service == Service::agent_chat) {
        Session& session = ledger_.sessions[record.session];
        session.output_tokens += record.output_tokens;  // bounded by the document's amount sum
        session.input_cache_miss_tokens += record.input_cache_miss_tokens;
    }
    ledger_.usage.push_back(record);
}

void LedgerBuilder::read_session_completed(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "task_id", "session_id"});
    const auto project_id = reader.id("project_id", true);
    const auto task_id = reader.id("task_id", true);
    const auto session_id = reader.id("session_id", true);
    if (!project_id || !task_id || !session_id) return;
    const std::uint32_t project = intern_project(*project_id, ref);
    const std::uint32_t session = intern_session(intern_task(project, *task_id, ref), *session_id, ref);
    completions_[session].push_back(Completion{at_ns, ref});
}

void LedgerBuilder::read_task_cancelled(ObjectReader& reader, const EventRef& ref, std::int64_t at_ns) {
    reader.reject_unknown({"id", "type", "at", "account_id", "project_id", "task_id", "reason"});
    const auto project_id = reader.id("project_id", true);
    const auto task_id = reader.id("task_id", true);
    const auto reason = reader.string("reason", false, 1024);
    if (!project_id || !task_id) return;
    const std::uint32_t task = intern_task(intern_project(*project_id, ref), *task_id, ref);
    cancellations_[task].push_back(Cancellation{at_ns, ref, reason});
}

void LedgerBuilder::read_header(const Json& root) {
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
        std::sort(ledger_.projects.begin(), ledger_.projects.end(),
                  [](const Project& a, const Project& b) { return a.id < b.id; });
    }
}

void LedgerBuilder::resolve_projects() {
    std::vector<std::uint32_t> final_index(project_refs_.size(), no_index);
    for (std::uint32_t i = 0; i < project_refs_.size(); ++i) {
        final_index[i] = ledger_.find_project(project_refs_.key(i));
        if (final_index[i] == no_index) {
            const EventRef& ref = project_refs_.first_ref(i);
            errors_.add(code::unknown_project, ref.event_id, event_pointer(ref.document_index) + "/project_id",
                        "The project \"" + project_refs_.key(i) + "\" is not listed in \"projects\".");
        }
    }
    if (!errors_.empty()) return;  // indices stay as interned; the ledger is rejected anyway
    for (UsageRecord& record : ledger_.usage) record.project = final_index[record.project];
    for (Task& task : ledger_.tasks) task.project = final_index[task.project];
    for (Session& session : ledger_.sessions) session.project = final_index[session.project];
}

void LedgerBuilder::check_duplicates(std::string_view text) {
    if (repeated_.empty()) return;
    // Second pass over the text, keeping only the events involved.
    std::unordered_set<std::size_t> wanted;
    for (const auto& [first, later] : repeated_) {
        wanted.insert(first);
        wanted.insert(later);
    }
    std::unordered_map<std::size_t, Json> values;
    ErrorList reparse_errors;
    Json root;
    parse_json_document(text, ParseLimits{limits_.document_bytes_max}, root, reparse_errors, "events",
                        [&](std::size_t index, Json&& element) {
                            if (wanted.count(index) != 0) values.emplace(index, std::move(element));
                        });
    assert(reparse_errors.empty());
    std::sort(repeated_.begin(), repeated_.end());
    for (const auto& [first, later] : repeated_) {
        if (values.at(first) == values.at(later)) {
            ++ledger_.duplicates_ignored;
        } else {
            const std::string id = values.at(first).at("id").get<std::string>();
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
    std::sort(openings_.begin(), openings_.end(),
              [](const EventRef& a, const EventRef& b) { return a.document_index < b.document_index; });
    for (std::size_t i = 1; i < openings_.size(); ++i) {
        errors_.add(code::duplicate_account_opened, openings_[i].event_id, event_pointer(openings_[i].document_index) + "/type",
                    "The account is opened more than once (also by \"" + openings_[0].event_id + "\").");
    }
    std::int64_t opened_at_ns = instant_never_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (ref.event_id == openings_[0].event_id) opened_at_ns = at_ns;
    }
    if (opened_at_ns == instant_never_ns) return;  // its `at` was invalid, already reported
    ledger_.opened_at_ns = opened_at_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < opened_at_ns) {
            errors_.add(code::event_before_opening, ref.event_id, event_pointer(ref.document_index) + "/at",
                        "This event is dated before the account was opened (" + format_instant(opened_at_ns) + ").");
        }
    }
    for (const auto& [account_id, ref] : named_accounts_) {
        if (account_id != ledger_.account_id) {
            errors_.add(code::account_mismatch, ref.event_id, event_pointer(ref.document_index) + "/account_id",
                        "This event belongs to account \"" + account_id + "\", not to \"" + ledger_.account_id +
                            "\"; credits cannot move between accounts.");
        }
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
        std::sort(completions.begin(), completions.end(), earlier);
        Session& session = ledger_.sessions[s];
        for (std::size_t i = 1; i < completions.size(); ++i) {
            errors_.add(code::duplicate_completion, completions[i].ref.event_id, event_pointer(completions[i].ref.document_index),
                        "The session \"" + session.session_id + "\" was already completed by \"" +
                            completions[0].ref.event_id + "\"; a session completes once.");
        }
        const Task& task = ledger_.tasks[session.task];
        if (task.cancelled_at_ns && completions[0].at_ns > *task.cancelled_at_ns) {
            errors_.add(code::completion_after_cancellation, completions[0].ref.event_id,
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
    std::sort(l.grants.begin(), l.grants.end(), [](const GrantRecord& a, const GrantRecord& b) {
        return a.granted_at_ns != b.granted_at_ns ? a.granted_at_ns < b.granted_at_ns : a.id < b.id;
    });
    std::sort(l.failed_billings.begin(), l.failed_billings.end(), [](const FailedBilling& a, const FailedBilling& b) {
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

}  // namespace

Result<Ledger> parse_ledger(std::string_view text, const Rules& rules, const Catalog& catalog, const LedgerLimits& limits) {
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

}  // namespace credits
