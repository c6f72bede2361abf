// Appending a fragment (append.h): the loaded ledger's indexes, and every
// check of a whole document (spec §10) run for the loaded ledger plus the
// fragment -- reading the loaded ledger only, so a rejected fragment changes
// nothing. Errors point into the fragment (/events/i/...).
#include "ledger/append.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "attributes.h"
#include "ledger/builder.h"
#include "ledger/source_events.h"

namespace credits::ledger_reading {

void AppendIndex::index_tasks(const Ledger& ledger) {
    tasks = IndexMap{};
    tasks.reserve(ledger.tasks.size());
    for (std::uint32_t t = 0; t < ledger.tasks.size(); ++t) tasks.try_emplace(ledger.tasks[t].project, task_keys[t], t);
}

void AppendIndex::build(const Ledger& l, const Sources& sources) {
    assert(l.tasks.size() < no_index && l.sessions.size() < no_index && l.models.size() < no_index);
    for (std::size_t s = 0; s < sources.size(); ++s) add_source(sources, s);
    if (l.checkpoint) {
        // Ids the checkpoint holds without their events: dated before it.
        const auto held = [&](std::string_view id) {
            if (event_ids.find(0, id) == nullptr) {
                event_ids.try_emplace(0, arena.keep(id), static_cast<std::uint32_t>(events.size()));
                events.push_back(LoadedEvent{});
            }
        };
        const std::int64_t s = l.checkpoint->at_ns;
        for (std::size_t g = 0; g < l.checkpoint->grants.size() && g < l.grants.size(); ++g) held(l.grants[g].id);
        for (const FailedBilling& f : l.failed_billings)
            if (f.at_ns < s) held(f.id);
        for (const Task& t : l.tasks)
            if (t.cancelled_at_ns && *t.cancelled_at_ns < s) held(t.cancel_event_id);
        for (const Session& session : l.sessions)
            if (session.completed_at_ns && *session.completed_at_ns < s) held(session.completion_event_id);
    }
    task_keys.reserve(l.tasks.size());
    for (const Task& t : l.tasks) task_keys.push_back(arena.keep(t.task_id));
    index_tasks(l);
    sessions.reserve(l.sessions.size());
    for (std::uint32_t s = 0; s < l.sessions.size(); ++s)
        sessions.try_emplace(l.sessions[s].task, arena.keep(l.sessions[s].session_id), s);
    for (std::uint32_t m = 0; m < l.models.size(); ++m) models.try_emplace(0, arena.keep(l.models[m]), m);
    session_last_agent_chat_ns.assign(l.sessions.size(), instant_never_ns);
    for (const UsageRecord& r : l.usage) {
        if (r.service != Service::agent_chat) continue;
        std::int64_t& last = session_last_agent_chat_ns[r.session];
        if (last == instant_never_ns || r.at_ns > last) last = r.at_ns;
    }
    task_last_completion_ns.assign(l.tasks.size(), instant_never_ns);
    task_last_completion_session.assign(l.tasks.size(), no_index);
    for (std::uint32_t s = 0; s < l.sessions.size(); ++s) {
        const Session& session = l.sessions[s];
        if (!session.completed_at_ns) continue;
        std::int64_t& last = task_last_completion_ns[session.task];
        if (last == instant_never_ns || *session.completed_at_ns > last) {
            last = *session.completed_at_ns;
            task_last_completion_session[session.task] = s;
        }
    }
}

void AppendIndex::add_source(const Sources& sources, std::size_t source) {
    assert(source < sources.size() && source < no_index);
    const std::vector<SourceEvent> found = source_events(*sources[source], decoded_ids);
    event_ids.reserve(events.size() + found.size());
    for (const SourceEvent& e : found) {
        // Repeats within a source are exact (it was accepted): the first stands for them.
        if (event_ids.try_emplace(0, e.id, static_cast<std::uint32_t>(events.size())).second)
            events.push_back(LoadedEvent{static_cast<std::uint32_t>(source), e.begin, e.end});
    }
    sources_indexed = source + 1;
}

void LedgerBuilder::set_base(const FragmentBase& base) {
    base_ = &base;
    // The whole history's limits: events and the amount sum count what is loaded.
    events_seen_ = base.ledger.event_instants_ns.size();
    amount_sum_ = base.ledger.amount_sum_tokens;
}

bool LedgerBuilder::repeats_loaded_event(std::string_view id, std::size_t index, const Json* event) {
    const std::uint32_t* loaded = base_->index.event_ids.find(0, id);
    if (loaded == nullptr) return false;
    assert(index < no_index);
    loaded_repeats_.push_back(LoadedRepeat{*loaded, static_cast<std::uint32_t>(index), std::string(id),
                                           event != nullptr ? event->dump() : std::string()});
    return true;
}

CREDITS_COLD void LedgerBuilder::check_fragment_header(const Json& root) {
    const Ledger& loaded = base_->ledger;
    if (root.contains("checkpoint")) {
        const bool reported = std::any_of(errors_.items().begin(), errors_.items().end(),
                                          [](const Error& e) { return e.pointer == "/checkpoint"; });
        if (!reported)
            errors_.add(code::unknown_field, std::nullopt, "/checkpoint", std::string(message::fragment_checkpoint));
    }
    if (!ledger_.account_id.empty() && ledger_.account_id != loaded.account_id) {
        errors_.add(code::account_mismatch, std::nullopt, "/account/id",
                    "The fragment is for account \"" + ledger_.account_id + "\", not for the loaded \"" +
                        loaded.account_id + "\".");
    }
    const Json* account = root.contains("account") ? &root.at("account") : nullptr;
    if (account != nullptr && account->is_object() && account->contains("utc_offset") && account->at("utc_offset").is_string()) {
        const std::optional<int> minutes = parse_utc_offset(account->at("utc_offset").get<std::string>());
        if (minutes && *minutes != loaded.utc_offset_minutes) {
            errors_.add(code::account_mismatch, std::nullopt, "/account/utc_offset",
                        "The fragment gives the account the offset " + format_utc_offset(*minutes) + "; it was loaded with " +
                            format_utc_offset(loaded.utc_offset_minutes) + ", and a fragment cannot change it.");
        }
    }
    // A project listed again must be the same project; a new one is added.
    const Json* projects = root.contains("projects") ? &root.at("projects") : nullptr;
    if (projects != nullptr && projects->is_array()) {
        for (std::size_t i = 0; i < projects->size(); ++i) {
            const Json& item = (*projects)[i];
            if (!item.is_object() || !item.contains("id") || !item.contains("name") || !item.at("id").is_string() ||
                !item.at("name").is_string())
                continue;  // reported by read_header
            const std::uint32_t p = loaded.find_project(item.at("id").get<std::string>());
            if (p != no_index && loaded.projects[p].name != item.at("name").get<std::string>()) {
                errors_.add(code::duplicate_project, std::nullopt, pointer_join("/projects", i) + "/name",
                            "The project \"" + loaded.projects[p].id + "\" is already loaded with the name \"" +
                                loaded.projects[p].name + "\"; a fragment lists it again only with the same name.");
            }
        }
    }
    for (const Project& p : ledger_.projects)
        if (loaded.find_project(p.id) == no_index) new_projects_.push_back(p);
    if (loaded.projects.size() + new_projects_.size() > limits_.projects_max) {
        errors_.add(code::too_many_events, std::nullopt, "/projects",
                    "The ledger would list more than " + std::to_string(limits_.projects_max) + " projects.");
    }
}

// A fragment event with a loaded event's id: the same JSON value (member order
// aside) is an exact repeat, ignored; anything else is a conflict.
CREDITS_COLD void LedgerBuilder::check_loaded_repeats(std::string_view text) {
    const ParseLimits parse_limits = event_parse_limits(limits_);
    for (const LoadedRepeat& repeat : loaded_repeats_) {
        const LoadedEvent& loaded = base_->index.events[repeat.loaded_event];
        bool equal = false;
        if (loaded.source != no_index) {
            Json fragment_event;
            Json loaded_event;
            ErrorList ignored;
            const std::string_view fragment_text =
                repeat.canonical.empty() ? text.substr(event_ranges_[repeat.index].first,
                                                       event_ranges_[repeat.index].second - event_ranges_[repeat.index].first)
                                         : std::string_view(repeat.canonical);
            const std::string_view loaded_text =
                std::string_view(*base_->sources[loaded.source]).substr(loaded.begin, loaded.end - loaded.begin);
            equal = parse_json_document(fragment_text, parse_limits, fragment_event, ignored) &&
                    parse_json_document(loaded_text, parse_limits, loaded_event, ignored) && fragment_event == loaded_event;
        }
        if (equal) {
            ++loaded_duplicates_;
            continue;
        }
        errors_.add(code::duplicate_id_conflict, repeat.id, event_pointer(repeat.index) + "/id",
                    loaded.source == no_index
                        ? "This event id is already used by an event the loaded checkpoint summarizes; an id names one event."
                        : "This event id is already used by a different loaded event; an exact repeat would be ignored, "
                          "a different one is a conflict.");
    }
}

// The loaded account is opened once, before every event; a checkpointed one
// takes no event dated before its checkpoint; every event is of its account.
CREDITS_COLD void LedgerBuilder::check_fragment_events() {
    const Ledger& loaded = base_->ledger;
    sort_cold(openings_, [](const EventRef& a, const EventRef& b) { return a.document_index < b.document_index; });
    for (const EventRef& ref : openings_) {
        errors_.add(code::duplicate_account_opened, std::string(ref.event_id), event_pointer(ref.document_index) + "/type",
                    "The loaded account is already open (since " + format_instant(loaded.opened_at_ns) +
                        "); it is opened once.");
    }
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < loaded.opened_at_ns) {
            errors_.add(code::event_before_opening, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        "This event is dated before the account was opened (" + format_instant(loaded.opened_at_ns) + ").");
        } else if (loaded.checkpoint && at_ns < loaded.checkpoint->at_ns) {
            errors_.add(code::before_checkpoint, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        "This event is dated before the loaded ledger's checkpoint (" +
                            format_instant(loaded.checkpoint->at_ns) + "), whose state already sums up that time.");
        }
    }
    std::vector<std::pair<const std::string*, const EventRef*>> foreign;  // in document order (see check_opening)
    for (const auto& [account_id, ref] : named_accounts_)
        if (account_id != loaded.account_id) foreign.emplace_back(&account_id, &ref);
    std::sort(foreign.begin(), foreign.end(),
              [](const auto& a, const auto& b) { return a.second->document_index < b.second->document_index; });
    for (const auto& [account_id, ref] : foreign) {
        errors_.add(code::account_mismatch, std::string(ref->event_id), event_pointer(ref->document_index) + "/account_id",
                    "This event belongs to account \"" + *account_id + "\", not to \"" + loaded.account_id +
                        "\"; credits cannot move between accounts.");
    }
}

// Every project a fragment event names is loaded or listed by the fragment;
// its tasks and sessions are found among the loaded ones.
void LedgerBuilder::resolve_fragment_projects() {
    const Ledger& loaded = base_->ledger;
    loaded_project_.assign(project_refs_.size(), no_index);
    for (std::uint32_t i = 0; i < project_refs_.size(); ++i) {
        loaded_project_[i] = loaded.find_project(project_refs_.key(i));
        if (loaded_project_[i] == no_index && ledger_.find_project(project_refs_.key(i)) == no_index) {
            const EventRef& ref = project_refs_.first_ref(i);
            errors_.add(code::unknown_project, std::string(ref.event_id), event_pointer(ref.document_index) + "/project_id",
                        "The project \"" + project_refs_.key(i) +
                            "\" is neither loaded nor listed in the fragment's \"projects\".");
        }
    }
    loaded_task_.assign(ledger_.tasks.size(), no_index);
    for (std::size_t t = 0; t < ledger_.tasks.size(); ++t) {
        const std::uint32_t p = loaded_project_[ledger_.tasks[t].project];
        if (p == no_index) continue;
        if (const std::uint32_t* found = base_->index.tasks.find(p, ledger_.tasks[t].task_id)) loaded_task_[t] = *found;
    }
    loaded_session_.assign(ledger_.sessions.size(), no_index);
    for (std::size_t s = 0; s < ledger_.sessions.size(); ++s) {
        const std::uint32_t t = loaded_task_[ledger_.sessions[s].task];
        if (t == no_index) continue;
        if (const std::uint32_t* found = base_->index.sessions.find(t, ledger_.sessions[s].session_id)) loaded_session_[s] = *found;
    }
}

// The session rules of spec §8 across the loaded ledger and the fragment, both
// ways: a new cancellation before a loaded completion, a new completion before
// loaded agent_chat usage, new usage after a loaded completion.
void LedgerBuilder::check_fragment_sessions() {
    const Ledger& loaded = base_->ledger;
    const AppendIndex& index = base_->index;
    const auto earlier = [](const auto& a, const auto& b) {
        return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.ref.event_id < b.ref.event_id;
    };
    struct Governing {
        std::int64_t at_ns = 0;
        std::string_view event_id;
    };
    std::vector<std::optional<Governing>> cancelled(ledger_.tasks.size());  // per fragment task
    for (std::size_t t = 0; t < ledger_.tasks.size(); ++t) {
        const std::uint32_t lt = loaded_task_[t];
        if (lt != no_index && loaded.tasks[lt].cancelled_at_ns)
            cancelled[t] = Governing{*loaded.tasks[lt].cancelled_at_ns, loaded.tasks[lt].cancel_event_id};
        const auto& cancels = cancellations_[t];
        if (cancels.empty()) continue;
        const Cancellation& first = *std::min_element(cancels.begin(), cancels.end(), earlier);
        if (cancelled[t] && (cancelled[t]->at_ns != first.at_ns ? cancelled[t]->at_ns < first.at_ns
                                                                 : cancelled[t]->event_id < first.ref.event_id))
            continue;  // the loaded cancellation still governs
        cancelled[t] = Governing{first.at_ns, first.ref.event_id};
        if (lt != no_index && index.task_last_completion_ns[lt] != instant_never_ns &&
            index.task_last_completion_ns[lt] > first.at_ns) {
            const Session& done = loaded.sessions[index.task_last_completion_session[lt]];
            errors_.add(code::completion_after_cancellation, std::string(first.ref.event_id), event_pointer(first.ref.document_index) + "/at",
                        "This cancellation of task \"" + ledger_.tasks[t].task_id + "\" is dated before its session \"" +
                            done.session_id + "\" completed (" + format_instant(*done.completed_at_ns) + " by \"" +
                            done.completion_event_id + "\"); a session of a cancelled task cannot complete.");
        }
    }
    for (std::size_t s = 0; s < ledger_.sessions.size(); ++s) {
        auto& completions = completions_[s];
        if (completions.empty()) continue;
        sort_cold(completions, earlier);
        const Session& session = ledger_.sessions[s];
        const std::uint32_t ls = loaded_session_[s];
        const bool completed_before = ls != no_index && loaded.sessions[ls].completed_at_ns.has_value();
        const std::string_view by = completed_before ? std::string_view(loaded.sessions[ls].completion_event_id)
                                                     : completions[0].ref.event_id;
        for (std::size_t i = completed_before ? 0 : 1; i < completions.size(); ++i) {
            errors_.add(code::duplicate_completion, std::string(completions[i].ref.event_id), event_pointer(completions[i].ref.document_index),
                        "The session \"" + session.session_id + "\" was already completed by \"" + std::string(by) +
                            "\"; a session completes once.");
        }
        if (completed_before) continue;
        const Completion& first = completions[0];
        if (const std::optional<Governing>& cancel = cancelled[session.task]; cancel && first.at_ns > cancel->at_ns) {
            errors_.add(code::completion_after_cancellation, std::string(first.ref.event_id), event_pointer(first.ref.document_index),
                        "The session \"" + session.session_id + "\" cannot complete: its task \"" +
                            ledger_.tasks[session.task].task_id + "\" was cancelled at " + format_instant(cancel->at_ns) +
                            " by \"" + std::string(cancel->event_id) + "\".");
        }
        if (ls != no_index && index.session_last_agent_chat_ns[ls] != instant_never_ns &&
            index.session_last_agent_chat_ns[ls] > first.at_ns) {
            errors_.add(code::usage_after_completion, std::string(first.ref.event_id), event_pointer(first.ref.document_index) + "/at",
                        "This completion of session \"" + session.session_id +
                            "\" is dated before agent_chat usage already loaded for it (at " +
                            format_instant(index.session_last_agent_chat_ns[ls]) + ").");
        }
    }
}

// New agent_chat usage after its session's completion, loaded or in the fragment
// (sorted by check_fragment_sessions).
void LedgerBuilder::check_fragment_usage() {
    const Ledger& loaded = base_->ledger;
    for (const UsageRecord& record : ledger_.usage) {
        if (record.service != Service::agent_chat) continue;
        const std::uint32_t ls = loaded_session_[record.session];
        std::optional<std::int64_t> completed;
        if (ls != no_index) completed = loaded.sessions[ls].completed_at_ns;
        if (!completed && !completions_[record.session].empty()) completed = completions_[record.session][0].at_ns;
        if (completed && record.at_ns > *completed) {
            errors_.add(code::usage_after_completion, ledger_.usage_event_ids[record.event], event_pointer(record.document_index) + "/at",
                        "This agent_chat usage is dated after its session \"" + ledger_.sessions[record.session].session_id +
                            "\" completed at " + format_instant(*completed) + ".");
        }
    }
}

void LedgerBuilder::check_fragment(const Json& root) {
    assert(base_ != nullptr);
    check_fragment_header(root);
    check_loaded_repeats(document_);
    check_fragment_events();
    resolve_fragment_projects();
    check_fragment_sessions();
    check_fragment_usage();
}

Result<AppendCounts> append_fragment(Ledger& ledger, AppendIndex& index, const Sources& sources, std::string_view fragment,
                                     const Rules& rules, const Catalog& catalog, const LedgerLimits& limits) {
    std::size_t loaded_bytes = 0;
    for (const auto& source : sources) loaded_bytes += source->size();
    if (fragment.size() > limits.document_bytes_max - std::min(loaded_bytes, limits.document_bytes_max)) {
        return Result<AppendCounts>::failure(
            {Error{std::string(code::document_too_large), std::nullopt, "",
                   "The loaded ledger and this fragment together are larger than " +
                       std::to_string(limits.document_bytes_max) + " bytes, the most one ledger may hold."}});
    }
    const FragmentBase base{ledger, index, sources};
    {
        ErrorList errors;
        LedgerBuilder builder(rules, catalog, limits, errors);
        builder.set_document(fragment);
        builder.set_base(base);
        if (read_fast_into(fragment, limits, builder, errors)) {
            const std::size_t accepted = builder.apply_fragment(ledger, index);
            return Result<AppendCounts>::success(AppendCounts{accepted, builder.fragment_duplicates()});
        }
    }
    // The strict path explains what is wrong (or accepts what the fast one does not read).
    ErrorList errors;
    LedgerBuilder builder(rules, catalog, limits, errors);
    builder.set_base(base);
    if (std::optional<std::vector<Error>> json_errors = read_strict_into(fragment, limits, builder, errors))
        return Result<AppendCounts>::failure(std::move(*json_errors));
    if (!errors.empty()) return Result<AppendCounts>::failure(errors.take());
    const std::size_t accepted = builder.apply_fragment(ledger, index);
    return Result<AppendCounts>::success(AppendCounts{accepted, builder.fragment_duplicates()});
}

}  // namespace credits::ledger_reading
