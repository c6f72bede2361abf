// Sessions and tasks (spec §8): session_completed charges a session's
// agent_chat records, once; task_cancelled frees the sessions of a task that
// never completed (the earliest cancellation governs). The decoders serve both
// readers; check_sessions runs once the whole document is read.
#include <algorithm>
#include <cassert>
#include <string>

#include "ledger/builder.h"
#include "ledger/fast_event.h"
#include "ledger/strict_event.h"

namespace credits::ledger_reading {

template <typename Reader>
std::optional<CompletionInput> decode_completion(Reader& r) {
    const auto project_id = r.id(Member::project_id);
    const auto task_id = r.id(Member::task_id);
    const auto session_id = r.id(Member::session_id);
    if (!project_id || !task_id || !session_id) return std::nullopt;
    return CompletionInput{*project_id, *task_id, *session_id};
}

template <typename Reader>
std::optional<CancellationInput> decode_cancellation(Reader& r) {
    const auto project_id = r.id(Member::project_id);
    const auto task_id = r.id(Member::task_id);
    const auto reason = r.text(Member::reason);
    if (!project_id || !task_id) return std::nullopt;
    return CancellationInput{*project_id, *task_id, reason};
}

template std::optional<CompletionInput> decode_completion(StrictEventReader&);
template std::optional<CompletionInput> decode_completion(FlatEventReader&);
template std::optional<CancellationInput> decode_cancellation(StrictEventReader&);
template std::optional<CancellationInput> decode_cancellation(FlatEventReader&);

std::uint32_t LedgerBuilder::intern_task(std::uint32_t project, std::string_view task_id) {
    if (const std::uint32_t* found = task_index_.find(project, task_id)) return *found;
    assert(ledger_.tasks.size() < no_index);
    const auto index = static_cast<std::uint32_t>(ledger_.tasks.size());
    task_index_.try_emplace(project, arena_.keep(task_id), index);  // compact keys: hits compare in cache
    ledger_.tasks.push_back(Task{project, std::string(task_id), std::nullopt, {}, std::nullopt});
    cancellations_.emplace_back();
    return index;
}

std::uint32_t LedgerBuilder::intern_session(std::uint32_t task, std::string_view session_id) {
    if (const std::uint32_t* found = session_index_.find(task, session_id)) return *found;
    assert(ledger_.sessions.size() < no_index);
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

std::uint32_t LedgerBuilder::intern_task_session(std::uint32_t project, std::string_view task_id, std::string_view session_id) {
    // Two bytes of the task id's length first: ids may hold any byte, and no
    // two (task id, session id) pairs give the same key.
    static_assert(id_bytes_max < 65536, "the task id's length fits two bytes");
    assert(task_id.size() <= id_bytes_max);
    session_key_.clear();
    session_key_.push_back(static_cast<char>(task_id.size() & 0xFF));
    session_key_.push_back(static_cast<char>(task_id.size() >> 8));
    session_key_.append(task_id);
    session_key_.append(session_id);
    if (const std::uint32_t* found = session_by_ids_.find(project, session_key_)) return *found;
    const std::uint32_t session = intern_session(intern_task(project, task_id), session_id);
    session_by_ids_.try_emplace(project, arena_.keep(session_key_), session);
    return session;
}

void LedgerBuilder::apply_completion(const EventRef& ref, std::int64_t at_ns, const CompletionInput& input) {
    const std::uint32_t project = intern_project(input.project_id, ref);
    const std::uint32_t session = intern_task_session(project, input.task_id, input.session_id);
    completions_[session].push_back(Completion{at_ns, ref});
}

void LedgerBuilder::apply_cancellation(const EventRef& ref, std::int64_t at_ns, const CancellationInput& input) {
    const std::uint32_t task = intern_task(intern_project(input.project_id, ref), input.task_id);
    std::optional<std::string> reason;
    if (input.reason) reason.emplace(*input.reason);
    cancellations_[task].push_back(Cancellation{at_ns, ref, std::move(reason)});
}

// After the whole document: which cancellation governs each task, which
// completion each session has (once), and no agent_chat record after it.
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
        if (session.history_charge != no_index) {
            // Completed before the checkpoint: every completion after it is a second one.
            for (const Completion& again : completions) {
                errors_.add(code::duplicate_completion, std::string(again.ref.event_id), event_pointer(again.ref.document_index),
                            "The session \"" + session.session_id + "\" was already completed at " +
                                format_instant(*session.completed_at_ns) + " by \"" + session.completion_event_id +
                                "\" (in the checkpoint); a session completes once.");
            }
            continue;
        }
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

}  // namespace credits::ledger_reading
