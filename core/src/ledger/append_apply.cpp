// Applying an accepted fragment (append.h): what check_fragment found is
// added to the loaded ledger, which cannot fail. Its records are put where a
// whole document would have them (order.cpp's comparators): new records
// dated after the loaded ones -- the common case -- are merged in moving only
// the suffix from the first new record's place, so the cost follows the
// fragment, not the history. Records dated earlier move what follows them.
#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

#include "ledger/append.h"
#include "ledger/builder.h"

namespace credits::ledger_reading {
namespace {

struct Merged {
    std::size_t position = 0;               // items before it did not move
    std::vector<std::uint32_t> moved;       // old index - position -> new index, for the items that moved
    std::vector<std::uint32_t> added;       // new index of each added item, in their sorted order
};

// Merges `added` into `items`, both sorted by `less` afterwards (a strict
// total order: ties between old and new items cannot happen).
template <typename T, typename Less>
Merged merge_sorted(std::vector<T>& items, std::vector<T>&& added, const Less& less) {
    Merged m;
    m.position = items.size();
    if (added.empty()) return m;
    sort_cold(added, less);
    assert(items.size() + added.size() < no_index);
    m.position = static_cast<std::size_t>(std::upper_bound(items.begin(), items.end(), added.front(), less) - items.begin());
    std::vector<T> tail(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(m.position)),
                        std::make_move_iterator(items.end()));
    items.resize(m.position);
    items.reserve(m.position + tail.size() + added.size());
    m.moved.reserve(tail.size());
    m.added.reserve(added.size());
    std::size_t i = 0;
    std::size_t j = 0;
    // Each pass moves one item: bounded by the two lists' lengths.
    while (i < tail.size() || j < added.size()) {
        const auto next = static_cast<std::uint32_t>(items.size());
        if (j == added.size() || (i < tail.size() && less(tail[i], added[j]))) {
            m.moved.push_back(next);
            items.push_back(std::move(tail[i++]));
        } else {
            m.added.push_back(next);
            items.push_back(std::move(added[j++]));
        }
    }
    return m;
}

std::uint32_t moved_index(const Merged& m, std::uint32_t index) {
    assert(index < m.position || index - m.position < m.moved.size());
    return index < m.position ? index : m.moved[index - m.position];
}

// Grants and failed billings that moved: the actions (and a checkpoint's
// allocations) name them by index.
void remap_actions(Ledger& l, const Merged& grants, const Merged& failed) {
    if (grants.moved.empty() && failed.moved.empty()) return;
    for (Action& a : l.actions) {
        if (a.kind == ActionKind::grant || a.kind == ActionKind::expiry) a.index = moved_index(grants, a.index);
        if (a.kind == ActionKind::billing_failed) a.index = moved_index(failed, a.index);
    }
    if (l.checkpoint && !grants.moved.empty()) {
        // A checkpoint's grants are dated before it and every appended one at or after it.
        assert(grants.position >= l.checkpoint->grants.size());
        for (HistoryAllocation& a : l.checkpoint->allocations) a.grant = moved_index(grants, a.grant);
    }
}

}  // namespace

void LedgerBuilder::apply_fragment_grants(Ledger& l, std::vector<Action>& added) {
    const Merged grants = merge_sorted(l.grants, std::move(ledger_.grants),
                                       [](const GrantRecord& a, const GrantRecord& b) { return grant_before(a, b); });
    const Merged failed = merge_sorted(l.failed_billings, std::move(ledger_.failed_billings),
                                       [](const FailedBilling& a, const FailedBilling& b) { return failed_billing_before(a, b); });
    remap_actions(l, grants, failed);
    for (const std::uint32_t g : grants.added) {
        added.push_back(Action{l.grants[g].granted_at_ns, ActionKind::grant, g});
        if (l.grants[g].expires()) added.push_back(Action{l.grants[g].expires_at_ns, ActionKind::expiry, g});
    }
    for (const std::uint32_t f : failed.added) added.push_back(Action{l.failed_billings[f].at_ns, ActionKind::billing_failed, f});
}

// New projects keep Ledger::projects sorted by id; when one sorts before a
// loaded project, every project index after it moves (a pass over the
// records: new projects are rare). Returns each interned project's index.
std::vector<std::uint32_t> LedgerBuilder::apply_fragment_projects(Ledger& l, AppendIndex& index) {
    const Merged merged = merge_sorted(l.projects, std::move(new_projects_),
                                       [](const Project& a, const Project& b) { return a.id < b.id; });
    if (!merged.moved.empty()) {
        for (UsageRecord& r : l.usage) r.project = moved_index(merged, r.project);
        for (Task& t : l.tasks) t.project = moved_index(merged, t.project);
        for (Session& s : l.sessions) s.project = moved_index(merged, s.project);
        if (l.checkpoint)
            for (HistoryUsage& u : l.checkpoint->usage) u.project = moved_index(merged, u.project);
        index.index_tasks(l);
    }
    std::vector<std::uint32_t> project(project_refs_.size());
    for (std::uint32_t i = 0; i < project_refs_.size(); ++i) {
        project[i] = l.find_project(project_refs_.key(i));
        assert(project[i] != no_index);  // check_fragment found every one
    }
    return project;
}

// The fragment's tasks: a loaded one, or added; the earliest cancellation governs.
std::vector<std::uint32_t> LedgerBuilder::apply_fragment_tasks(Ledger& l, AppendIndex& index,
                                                               const std::vector<std::uint32_t>& project) {
    std::vector<std::uint32_t> task(ledger_.tasks.size());
    for (std::size_t t = 0; t < ledger_.tasks.size(); ++t) {
        task[t] = loaded_task_[t];
        if (task[t] == no_index) {
            task[t] = static_cast<std::uint32_t>(l.tasks.size());
            Task added_task{project[ledger_.tasks[t].project], std::move(ledger_.tasks[t].task_id), std::nullopt, {}, std::nullopt};
            index.task_keys.push_back(index.arena.keep(added_task.task_id));
            index.tasks.try_emplace(added_task.project, index.task_keys.back(), task[t]);
            index.task_last_completion_ns.push_back(instant_never_ns);
            index.task_last_completion_session.push_back(no_index);
            l.tasks.push_back(std::move(added_task));
        }
        const auto& cancels = cancellations_[t];
        if (cancels.empty()) continue;
        const Cancellation& first = *std::min_element(cancels.begin(), cancels.end(), [](const auto& a, const auto& b) {
            return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.ref.event_id < b.ref.event_id;
        });
        Task& target = l.tasks[task[t]];
        if (!target.cancelled_at_ns || first.at_ns < *target.cancelled_at_ns ||
            (first.at_ns == *target.cancelled_at_ns && first.ref.event_id < target.cancel_event_id)) {
            target.cancelled_at_ns = first.at_ns;
            target.cancel_event_id = first.ref.event_id;
            target.cancel_reason = first.reason;
        }
    }
    return task;
}

// The fragment's sessions: a loaded one, or added; their tokens and completion.
std::vector<std::uint32_t> LedgerBuilder::apply_fragment_sessions(Ledger& l, AppendIndex& index,
                                                                  const std::vector<std::uint32_t>& task,
                                                                  std::vector<Action>& added) {
    std::vector<std::uint32_t> session(ledger_.sessions.size());
    for (std::size_t s = 0; s < ledger_.sessions.size(); ++s) {
        const Session& local = ledger_.sessions[s];
        session[s] = loaded_session_[s];
        if (session[s] == no_index) {
            session[s] = static_cast<std::uint32_t>(l.sessions.size());
            Session added_session;
            added_session.task = task[local.task];
            added_session.project = l.tasks[added_session.task].project;
            added_session.session_id = local.session_id;
            index.sessions.try_emplace(added_session.task, index.arena.keep(added_session.session_id), session[s]);
            index.session_last_agent_chat_ns.push_back(instant_never_ns);
            l.sessions.push_back(std::move(added_session));
        }
        Session& target = l.sessions[session[s]];
        // Both are parts of the document's amount sum, which is within bounds.
        target.output_tokens += local.output_tokens;
        target.input_cache_miss_tokens += local.input_cache_miss_tokens;
        if (completions_[s].empty()) continue;
        const Completion& first = completions_[s].front();  // sorted by check_fragment_sessions
        assert(!target.completed_at_ns);
        target.completed_at_ns = first.at_ns;
        target.completion_event_id = first.ref.event_id;
        added.push_back(Action{first.at_ns, ActionKind::completion, session[s]});
        std::int64_t& last = index.task_last_completion_ns[target.task];
        if (last == instant_never_ns || first.at_ns > last) {
            last = first.at_ns;
            index.task_last_completion_session[target.task] = session[s];
        }
    }
    return session;
}

void LedgerBuilder::apply_fragment_records(Ledger& l, AppendIndex& index, const std::vector<std::uint32_t>& project,
                                           std::vector<Action>& added) {
    std::vector<std::uint32_t> model(ledger_.models.size());
    for (std::size_t m = 0; m < ledger_.models.size(); ++m) {
        if (const std::uint32_t* found = index.models.find(0, ledger_.models[m])) {
            model[m] = *found;
            continue;
        }
        model[m] = static_cast<std::uint32_t>(l.models.size());
        index.models.try_emplace(0, index.arena.keep(ledger_.models[m]), model[m]);
        l.models.push_back(std::move(ledger_.models[m]));
    }
    const std::vector<std::uint32_t> task = apply_fragment_tasks(l, index, project);
    const std::vector<std::uint32_t> session = apply_fragment_sessions(l, index, task, added);
    const auto first_event = static_cast<std::uint32_t>(l.usage_event_ids.size());
    for (std::string& id : ledger_.usage_event_ids) l.usage_event_ids.push_back(std::move(id));
    for (UsageRecord& r : ledger_.usage) {
        r.project = project[r.project];
        if (r.task != no_index) r.task = task[r.task];
        if (r.session != no_index) r.session = session[r.session];
        if (r.model != no_index) r.model = model[r.model];
        r.event += first_event;
        if (r.service == Service::agent_chat) {
            std::int64_t& last = index.session_last_agent_chat_ns[r.session];
            if (last == instant_never_ns || r.at_ns > last) last = r.at_ns;
        }
    }
    merge_sorted(l.usage, std::move(ledger_.usage), [&l](const UsageRecord& a, const UsageRecord& b) { return usage_before(l, a, b); });
}

std::size_t LedgerBuilder::apply_fragment(Ledger& l, AppendIndex& index) {
    assert(base_ != nullptr && errors_.empty() && &base_->ledger == &l);
    std::vector<Action> added;
    apply_fragment_grants(l, added);
    const std::vector<std::uint32_t> project = apply_fragment_projects(l, index);
    apply_fragment_records(l, index, project, added);
    merge_sorted(l.actions, std::move(added), [&l](const Action& a, const Action& b) { return action_before(l, a, b); });
    std::vector<std::int64_t> instants;
    instants.reserve(event_stamps_.size());
    for (const auto& stamp : event_stamps_) instants.push_back(stamp.first);
    merge_sorted(l.event_instants_ns, std::move(instants), [](std::int64_t a, std::int64_t b) { return a < b; });
    l.duplicates_ignored += fragment_duplicates();
    l.amount_sum_tokens = amount_sum_;
    return event_stamps_.size();
}

}  // namespace credits::ledger_reading
