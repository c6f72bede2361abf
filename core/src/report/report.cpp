#include "credits/report.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>

#include "credits/billing_period.h"
#include "credits/json_writer.h"

namespace credits {

namespace {

std::string_view status_name(SessionStatus status) {
    switch (status) {
        case SessionStatus::completed: return "completed";
        case SessionStatus::cancelled: return "cancelled";
        case SessionStatus::in_progress: return "in_progress";
    }
    return "in_progress";
}

// The records of the query's range, in (at, id) order.
template <typename Visit>
void for_each_record_in_range(const Ledger& ledger, const Query& query, Visit&& visit) {
    auto it = std::lower_bound(ledger.usage.begin(), ledger.usage.end(), query.from_ns,
                               [](const UsageRecord& r, std::int64_t from) { return r.at_ns < from; });
    for (; it != ledger.usage.end(); ++it) {
        if (query.to_inclusive ? it->at_ns > query.to_ns : it->at_ns >= query.to_ns) break;
        visit(*it);
    }
}

// The checkpoint's history rows in the query's range, in (at, project) order:
// a row counts when the range holds its earliest instant (docs/checkpoint-format.md).
template <typename Visit>
void for_each_history_in_range(const Ledger& ledger, const Query& query, Visit&& visit) {
    if (!ledger.checkpoint) return;
    const std::vector<HistoryUsage>& rows = ledger.checkpoint->usage;
    auto it = std::lower_bound(rows.begin(), rows.end(), query.from_ns,
                               [](const HistoryUsage& r, std::int64_t from) { return r.at_ns < from; });
    for (; it != rows.end(); ++it) {
        if (query.to_inclusive ? it->at_ns > query.to_ns : it->at_ns >= query.to_ns) break;
        visit(*it);
    }
}

void write_figures(JsonWriter& w, const Figures& f) {
    w.amount("charged", f.charged_tokens);
    w.key("free").begin_object();
    w.amount("cache_hit", f.cache_hit_tokens);
    w.amount("summarization", f.summarization_tokens);
    w.amount("other_service", f.other_service_tokens);
    w.amount("cancelled", f.cancelled_tokens);
    w.amount("pending", f.pending_tokens);
    w.end_object();
    w.amount("free", f.free_tokens());
    w.amount("total", f.total_tokens());
}

void write_header(JsonWriter& w, const Ledger& ledger, const Query& query, std::string_view kind) {
    w.member("format", "easycoda.report/1").member("kind", kind);
    w.member("account_id", ledger.account_id).member("utc_offset", format_utc_offset(query.utc_offset_minutes));
    w.instant("at", query.at_ns).instant("from", query.from_ns).instant("to", query.to_ns);
    w.member("to_inclusive", query.to_inclusive);
    // Only for a checkpointed ledger: where its detail starts.
    if (ledger.checkpoint) w.instant("checkpoint_at", ledger.checkpoint->at_ns);
    // Only when asked for, so every answer to a question without it keeps its bytes.
    if (!query.zone_given) return;
    w.key("utc_offsets").begin_array();
    w.begin_object().key("from").null().member("offset", format_utc_offset(query.zone.initial_minutes));
    w.end_object();
    for (const UtcOffsetChange& change : query.zone.changes) {
        w.begin_object().instant("from", change.from_ns).member("offset", format_utc_offset(change.offset_minutes));
        w.end_object();
    }
    w.end_array();
}

void write_daily(JsonWriter& w, const Ledger& ledger, const Query& query, std::uint32_t project_filter) {
    // Records come in time order, so local days mostly come in ascending
    // order; only a zone turning its clocks back across midnight (from
    // 00:30 to 23:30, say) revisits the day before, so a day found earlier
    // than the last one is looked up among those already open.
    struct Day {
        std::int64_t day = 0;
        Figures figures;
    };
    std::vector<Day> days;
    ZoneCursor zone(query.zone);
    // History rows first: they are all dated before the records.
    const auto add = [&](std::int64_t at_ns, const Figures& figures) {
        const std::int64_t record_day = local_day(at_ns, zone.offset_at(at_ns));
        Day* day = nullptr;
        if (days.empty() || record_day > days.back().day) {
            day = &days.emplace_back(Day{record_day, Figures{}});
        } else if (record_day == days.back().day) {
            day = &days.back();
        } else {
            auto at = std::lower_bound(days.begin(), days.end(), record_day,
                                       [](const Day& d, std::int64_t value) { return d.day < value; });
            if (at == days.end() || at->day != record_day) at = days.insert(at, Day{record_day, Figures{}});
            day = &*at;
        }
        day->figures += figures;
    };
    for_each_history_in_range(ledger, query, [&](const HistoryUsage& row) {
        if (project_filter == no_index || row.project == project_filter) add(row.at_ns, classify(ledger, row, query.at_ns));
    });
    for_each_record_in_range(ledger, query, [&](const UsageRecord& record) {
        if (project_filter == no_index || record.project == project_filter) add(record.at_ns, classify(ledger, record, query.at_ns));
    });
    w.key("daily").begin_array();
    for (const Day& d : days) {
        if (d.figures.total_tokens() == 0) continue;
        w.begin_object().member("date", format_day(d.day));
        write_figures(w, d.figures);
        w.end_object();
    }
    w.end_array();
}

// A charge's members after "at": the session, its tokens, what it took from
// which grant, the overdraft. `allocations` is [begin, end) of Allocation or
// HistoryAllocation (a checkpoint's), both {grant, tokens}.
template <typename AllocationT>
void write_charge_fields(JsonWriter& w, const Ledger& ledger, const Session& session, std::int64_t charged_tokens,
                         const AllocationT* begin, const AllocationT* end, std::int64_t overdraft_tokens) {
    w.member("event_id", session.completion_event_id);
    w.member("project_id", ledger.projects[session.project].id);
    w.member("task_id", ledger.tasks[session.task].task_id).member("session_id", session.session_id);
    w.amount("output", session.output_tokens).amount("input_cache_miss", session.input_cache_miss_tokens);
    w.amount("charged", charged_tokens);
    w.key("allocations").begin_array();
    for (const AllocationT* allocation = begin; allocation != end; ++allocation) {
        const GrantRecord& grant = ledger.grants[allocation->grant];
        w.begin_object().member("grant_id", grant.id).member("source", grant_source_name(grant.source));
        w.amount_plain(allocation->tokens).end_object();
    }
    w.end_array();
    w.amount("overdraft", overdraft_tokens);
}

void write_charge_entry_body(JsonWriter& w, const Ledger& ledger, const BurnDownState& state, const LedgerEntry& entry) {
    const Allocation* allocations = state.allocations.data();
    write_charge_fields(w, ledger, ledger.sessions[entry.index], entry.tokens, allocations + entry.allocations_begin,
                        allocations + entry.allocations_end, entry.overdraft_tokens);
}

// The charge entry of a session completed before the checkpoint, as the
// whole history's report writes it (docs/checkpoint-format.md).
void write_history_charge(JsonWriter& w, const Ledger& ledger, const Session& session) {
    const Checkpoint& checkpoint = *ledger.checkpoint;
    const HistoryCharge& charge = checkpoint.charges[session.history_charge];
    const HistoryAllocation* allocations = checkpoint.allocations.data();
    w.begin_object().member("kind", "charge").instant("at", session.completed_at_ns);
    write_charge_fields(w, ledger, session, charge.charged_tokens, allocations + charge.allocations_begin,
                        allocations + charge.allocations_end, charge.overdraft_tokens);
    w.amount("balance", charge.balance_tokens);
    w.end_object();
}

void write_entry(JsonWriter& w, const Ledger& ledger, const BurnDownState& state, const LedgerEntry& entry) {
    w.begin_object();
    switch (entry.kind) {
        case EntryKind::grant: {
            const GrantRecord& grant = ledger.grants[entry.index];
            w.member("kind", "grant").instant("at", entry.at_ns).member("grant_id", grant.id);
            w.member("source", grant_source_name(grant.source)).amount_plain(entry.tokens);
            break;
        }
        case EntryKind::repayment:
            w.member("kind", "repayment").instant("at", entry.at_ns).member("grant_id", ledger.grants[entry.index].id);
            w.amount_plain(entry.tokens);
            break;
        case EntryKind::expiry:
            w.member("kind", "expiry").instant("at", entry.at_ns).member("grant_id", ledger.grants[entry.index].id);
            w.amount_plain(entry.tokens);
            break;
        case EntryKind::billing_failed: {
            const FailedBilling& billing = ledger.failed_billings[entry.index];
            w.member("kind", "billing_failed").instant("at", entry.at_ns).member("event_id", billing.id);
            w.member("plan", billing.plan);
            break;
        }
        case EntryKind::charge:
            w.member("kind", "charge").instant("at", entry.at_ns);
            write_charge_entry_body(w, ledger, state, entry);
            break;
        case EntryKind::opening: {
            w.member("kind", "opening").instant("at", entry.at_ns);
            if (entry.index == no_index) {
                w.key("grant_id").null().key("source").null();
            } else {
                const GrantRecord& grant = ledger.grants[entry.index];
                w.member("grant_id", grant.id).member("source", grant_source_name(grant.source));
            }
            w.amount_plain(entry.tokens).amount("overdraft", entry.overdraft_tokens);
            break;
        }
    }
    w.amount("balance", entry.balance_tokens);
    w.end_object();
}

void write_grants(JsonWriter& w, const Ledger& ledger, const BurnDownState& state) {
    w.begin_array();
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantState& s = state.grants[g];
        if (!s.granted) continue;
        const GrantRecord& grant = ledger.grants[g];
        w.begin_object().member("id", grant.id).member("source", grant_source_name(grant.source));
        w.instant("granted_at", grant.granted_at_ns);
        w.instant("expires_at", grant.expires() ? std::optional<std::int64_t>(grant.expires_at_ns) : std::nullopt);
        w.amount("granted", grant.tokens).amount("used", s.used_tokens).amount("expired", s.expired_tokens);
        w.amount("remaining", s.remaining_tokens).member("active", s.active);
        w.member("plan", grant.plan).member("pack", grant.pack).member("reason", grant.reason);
        w.instant("period_start", grant.period_start_ns).instant("period_end", grant.period_end_ns);
        w.end_object();
    }
    w.end_array();
}

void write_balance(JsonWriter& w, const Ledger& ledger, const BurnDownState& state) {
    w.amount("balance", state.balance_tokens()).amount("overdraft", state.overdraft_tokens);
    w.member("can_start_agent_chat", state.balance_tokens() > 0);
    w.amount("lifetime_charged", state.lifetime_charged_tokens);
    constexpr std::array<GrantSource, 4> sources = {GrantSource::signup, GrantSource::promotion, GrantSource::plan,
                                                    GrantSource::purchase};
    std::array<std::int64_t, 4> by_source{};
    std::int64_t next_expiry_ns = instant_never_ns;
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantState& s = state.grants[g];
        if (!s.active) continue;
        by_source[static_cast<std::size_t>(ledger.grants[g].source)] += s.remaining_tokens;
        if (s.remaining_tokens > 0 && ledger.grants[g].expires())
            next_expiry_ns = std::min(next_expiry_ns, ledger.grants[g].expires_at_ns);
    }
    w.key("balance_by_source").begin_object();
    for (const GrantSource source : sources) {
        w.key(grant_source_name(source)).begin_object();
        w.amount("remaining", by_source[static_cast<std::size_t>(source)]).end_object();
    }
    w.end_object();
    w.key("expires_next");
    if (next_expiry_ns == instant_never_ns) {
        w.null();
        return;
    }
    std::int64_t expiring = 0;
    w.begin_object().instant("expires_at", next_expiry_ns);
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        if (state.grants[g].active && ledger.grants[g].expires_at_ns == next_expiry_ns)
            expiring += state.grants[g].remaining_tokens;
    }
    w.amount("remaining", expiring).key("grant_ids").begin_array();
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        if (state.grants[g].active && state.grants[g].remaining_tokens > 0 && ledger.grants[g].expires_at_ns == next_expiry_ns)
            w.value(ledger.grants[g].id);
    }
    w.end_array().end_object();
}

}  // namespace

std::string ledger_entries_json(const Ledger& ledger, const BurnDownState& state) {
    JsonWriter w;
    // About 450 bytes a charge entry: one allocation instead of a dozen regrowths.
    w.reserve(state.entries.size() * 480 + 16);
    w.begin_array();
    for (const LedgerEntry& entry : state.entries) write_entry(w, ledger, state, entry);
    w.end_array();
    return w.take();
}

std::string grants_json(const Ledger& ledger, const BurnDownState& state) {
    JsonWriter w;
    // About 400 bytes a grant.
    w.reserve(ledger.grants.size() * 420 + 16);
    write_grants(w, ledger, state);
    return w.take();
}

namespace {

// What `write_members` writes into an object, without the braces.
template <typename Write>
std::string members_json(Write&& write_members) {
    JsonWriter w;
    w.begin_object();
    write_members(w);
    w.end_object();
    std::string text = w.take();
    assert(text.size() >= 2 && text.front() == '{' && text.back() == '}');
    return text.substr(1, text.size() - 2);
}

void write_failed_billings(JsonWriter& w, const Ledger& ledger, std::int64_t at_ns) {
    w.key("failed_billings").begin_array();
    for (const FailedBilling& billing : ledger.failed_billings) {
        if (billing.at_ns > at_ns) break;
        w.begin_object().member("id", billing.id).instant("at", billing.at_ns).member("plan", billing.plan);
        w.instant("period_start", billing.period_start_ns).instant("period_end", billing.period_end_ns).end_object();
    }
    w.end_array();
}

// Members written elsewhere (`"key":value,...`, not empty) into the open object.
void write_members(JsonWriter& w, std::string_view members) {
    assert(!members.empty() && members.front() == '"');
    w.raw_value(members);  // after the header's members: a comma, then the text as it is
}

}  // namespace

std::string balance_members_json(const Ledger& ledger, const BurnDownState& state) {
    return members_json([&](JsonWriter& w) { write_balance(w, ledger, state); });
}

std::string billing_members_json(const Ledger& ledger, const BurnDownState& state) {
    return members_json([&](JsonWriter& w) {
        write_failed_billings(w, ledger, state.at_ns);
        write_billing_period(w, ledger, state);
    });
}

std::string account_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query) {
    const std::string grants = grants_json(ledger, state);
    const std::string entries = ledger_entries_json(ledger, state);
    AccountReportParts parts;
    parts.grants = grants;
    parts.ledger_entries = entries;
    return account_report_json(ledger, state, query, parts);
}

namespace {

// An array written elsewhere, or left out with its place in `*offset`.
void write_part(JsonWriter& w, std::string_view key, std::string_view json, std::size_t* offset) {
    w.key(key);
    if (offset != nullptr) *offset = w.size();
    w.raw_value(json);
}

}  // namespace

std::string account_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query,
                                const AccountReportParts& parts) {
    assert(state.at_ns == query.at_ns);
    JsonWriter w;
    w.reserve(parts.grants.size() + parts.ledger_entries.size() + ledger.projects.size() * 700 + 64 * 1024);
    w.begin_object();
    write_header(w, ledger, query, "account");
    if (parts.balance_members.empty()) write_balance(w, ledger, state);
    else write_members(w, parts.balance_members);
    write_part(w, "grants", parts.grants, parts.grants_offset);
    if (parts.billing_members.empty()) {
        write_failed_billings(w, ledger, query.at_ns);
        write_billing_period(w, ledger, state);
    } else {
        write_members(w, parts.billing_members);
    }

    Figures total;
    std::vector<Figures> per_project(ledger.projects.size());
    for_each_history_in_range(ledger, query, [&](const HistoryUsage& row) {
        const Figures f = classify(ledger, row, query.at_ns);
        total += f;
        per_project[row.project] += f;
    });
    for_each_record_in_range(ledger, query, [&](const UsageRecord& record) {
        const Figures f = classify(ledger, record, query.at_ns);
        total += f;
        per_project[record.project] += f;
    });
    w.key("usage").begin_object();
    write_figures(w, total);
    w.end_object();
    w.key("projects").begin_array();
    for (std::size_t p = 0; p < ledger.projects.size(); ++p) {
        w.begin_object().member("id", ledger.projects[p].id).member("name", ledger.projects[p].name);
        write_figures(w, per_project[p]);
        w.end_object();
    }
    w.end_array();
    write_daily(w, ledger, query, no_index);
    if (parts.count_entries) {
        w.member("ledger_entries", static_cast<std::int64_t>(state.entries.size()));
    } else {
        write_part(w, "ledger", parts.ledger_entries, parts.ledger_entries_offset);
    }
    w.member("duplicates_ignored", static_cast<std::int64_t>(ledger.duplicates_ignored));
    const auto after = ledger.event_instants_ns.end() -
                       std::upper_bound(ledger.event_instants_ns.begin(), ledger.event_instants_ns.end(), query.at_ns);
    w.member("events_after_at", static_cast<std::int64_t>(after));
    w.end_object();
    return w.take();
}


std::string ledger_entries_page_json(const BurnDownState& state, const Ledger& ledger, const EntryPage& page) {
    assert(page.offset >= 0 && page.limit >= 0);
    const auto kept = [&](const LedgerEntry& e) { return (page.kinds >> static_cast<unsigned>(e.kind) & 1u) != 0; };
    JsonWriter w;
    w.reserve(static_cast<std::size_t>(std::min<std::int64_t>(page.limit, 4096)) * 480 + 128);
    w.begin_object().instant("at", state.at_ns);
    std::int64_t total = 0;
    for (const LedgerEntry& e : state.entries) total += kept(e) ? 1 : 0;
    w.member("total", total).member("offset", page.offset).key("entries").begin_array();
    // One pass over the entries in the page's order; stops once the page is full.
    const std::size_t n = state.entries.size();
    std::int64_t seen = 0;
    const std::int64_t end = page.offset + std::min(page.limit, total);
    for (std::size_t i = 0; i < n && seen < end; ++i) {
        const LedgerEntry& e = state.entries[page.newest_first ? n - 1 - i : i];
        if (!kept(e)) continue;
        if (seen >= page.offset) write_entry(w, ledger, state, e);
        ++seen;
    }
    w.end_array().end_object();
    return w.take();
}

namespace {

struct SessionRow {
    Figures figures;
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
    std::int64_t first_usage_ns = instant_never_ns;
    std::int64_t last_usage_ns = 0;
    std::vector<std::uint32_t> models;
};

struct TaskRow {
    Figures figures;
    std::map<std::string, std::uint32_t> sessions;  // session id -> session index, sorted by id bytes
};

// One session of a task: its status at T, usage span, models, token counts,
// figures and the charge entry its completion made (null before it).
void write_session(JsonWriter& w, const Ledger& ledger, const BurnDownState& state, const Query& query,
                   std::string_view session_id, std::uint32_t s, const SessionRow& row) {
    const Session& session = ledger.sessions[s];
    const SessionStatus status = session_status(ledger, session, query.at_ns);
    w.begin_object().member("session_id", session_id).member("status", status_name(status));
    w.instant("completed_at", status == SessionStatus::completed ? session.completed_at_ns : std::nullopt);
    w.instant("first_usage_at", row.first_usage_ns).instant("last_usage_at", row.last_usage_ns);
    std::vector<std::string_view> models;
    for (const std::uint32_t m : row.models) models.push_back(ledger.models[m]);
    std::sort(models.begin(), models.end());
    w.key("models").begin_array();
    for (const std::string_view m : models) w.value(m);
    w.end_array();
    w.amount("output", row.output_tokens).amount("input_cache_miss", row.input_cache_miss_tokens);
    w.amount("input_cache_hit", row.input_cache_hit_tokens);
    write_figures(w, row.figures);
    w.key("charge");
    const std::uint32_t entry = state.charge_entry_by_session[s];
    if (entry != no_index) {
        write_entry(w, ledger, state, state.entries[entry]);
    } else if (session.history_charge != no_index) {
        write_history_charge(w, ledger, session);
    } else {
        w.null();
    }
    w.end_object();
}

}  // namespace

std::optional<std::string> project_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query,
                                               std::string_view project_id) {
    const std::uint32_t project = ledger.find_project(project_id);
    if (project == no_index) return std::nullopt;
    Figures total;
    Figures untasked;
    Figures before_checkpoint;  // a checkpointed ledger's history rows in the range
    for_each_history_in_range(ledger, query, [&](const HistoryUsage& row) {
        if (row.project == project) before_checkpoint += classify(ledger, row, query.at_ns);
    });
    total += before_checkpoint;
    std::map<std::string, std::uint32_t> task_order;  // task id -> task index
    std::map<std::uint32_t, TaskRow> tasks;
    std::map<std::uint32_t, SessionRow> sessions;
    for_each_record_in_range(ledger, query, [&](const UsageRecord& record) {
        if (record.project != project) return;
        const Figures f = classify(ledger, record, query.at_ns);
        total += f;
        if (record.task == no_index) {
            untasked += f;
            return;
        }
        task_order.emplace(ledger.tasks[record.task].task_id, record.task);
        TaskRow& task = tasks[record.task];
        task.figures += f;
        if (record.session == no_index) return;
        task.sessions.emplace(ledger.sessions[record.session].session_id, record.session);
        SessionRow& row = sessions[record.session];
        row.figures += f;
        if (record.service == Service::agent_chat) {
            row.output_tokens += record.output_tokens;
            row.input_cache_miss_tokens += record.input_cache_miss_tokens;
            row.input_cache_hit_tokens += record.input_cache_hit_tokens;
        }
        row.first_usage_ns = std::min(row.first_usage_ns, record.at_ns);
        row.last_usage_ns = std::max(row.last_usage_ns, record.at_ns);
        if (record.model != no_index && std::find(row.models.begin(), row.models.end(), record.model) == row.models.end())
            row.models.push_back(record.model);
    });

    JsonWriter w;
    w.begin_object();
    write_header(w, ledger, query, "project");
    w.key("project").begin_object().member("id", ledger.projects[project].id);
    w.member("name", ledger.projects[project].name).end_object();
    w.key("usage").begin_object();
    write_figures(w, total);
    w.end_object();
    write_daily(w, ledger, query, project);
    w.key("tasks").begin_array();
    for (const auto& [task_id, t] : task_order) {
        const Task& task = ledger.tasks[t];
        const bool cancelled = task.cancelled_at_ns && *task.cancelled_at_ns <= query.at_ns;
        w.begin_object().member("task_id", task_id).member("status", cancelled ? "cancelled" : "active");
        w.instant("cancelled_at", cancelled ? task.cancelled_at_ns : std::nullopt);
        w.member("cancel_reason", cancelled ? task.cancel_reason : std::nullopt);
        write_figures(w, tasks[t].figures);
        w.key("sessions").begin_array();
        for (const auto& [session_id, s] : tasks[t].sessions)
            write_session(w, ledger, state, query, session_id, s, sessions[s]);
        w.end_array().end_object();
    }
    w.end_array();
    w.key("untasked").begin_object();
    write_figures(w, untasked);
    w.end_object();
    if (ledger.checkpoint) {
        w.key("before_checkpoint").begin_object();
        write_figures(w, before_checkpoint);
        w.end_object();
    }
    w.end_object();
    return w.take();
}

}  // namespace credits
