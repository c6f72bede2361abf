#include "credits/checkpoint.h"

#include <algorithm>
#include <cassert>
#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "credits/burn_down.h"
#include "credits/charge.h"
#include "credits/forecast.h"
#include "credits/instant.h"
#include "credits/json_writer.h"
#include "credits/query.h"
#include "credits/usage.h"
#include "ledger/source_events.h"

namespace credits {
namespace {

// The settled usage of one local day (the account's offset) and project.
struct UsageRow {
    std::int64_t at_ns = instant_never_ns;  // the earliest record it sums
    std::uint32_t project = 0;
    Figures figures;                         // never pending: settled before S
};

struct OpenDay {
    std::int64_t at_ns = instant_never_ns;
    std::int64_t tokens = 0;  // agent_chat output + cache-miss
};

// A session still open just before S: its agent_chat tokens dated before S.
struct OpenSession {
    bool open = false;
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
    std::map<std::int64_t, OpenDay> days;  // by local day
};

// The charge entry of a completed session, from the burn-down or carried from
// the ledger's own checkpoint.
struct ChargeView {
    std::int64_t charged_tokens = 0;
    std::int64_t overdraft_tokens = 0;
    std::int64_t balance_tokens = 0;
    std::vector<std::pair<std::uint32_t, std::int64_t>> allocations;  // grant index, tokens
};

// What the history before S leaves: the burn-down just before S, and the usage
// summed per day from the records before S merged with the ledger's own
// checkpoint rows (a re-checkpoint carries them forward unchanged, so its
// figures are the whole history's).
class Summary {
public:
    Summary(const Ledger& ledger, std::int64_t at_ns)
        : ledger_(ledger), at_ns_(at_ns), state_(burn_down(ledger, at_ns - 1)) {  // every action dated before S
        const std::size_t sessions = ledger.sessions.size();
        status_.reserve(sessions);
        for (const Session& s : ledger.sessions) status_.push_back(session_status(ledger, s, at_ns - 1));
        open_.resize(sessions);
        hits_.assign(sessions, 0);
        named_after_.assign(sessions, false);
        if (ledger.checkpoint) carry_history(*ledger.checkpoint);
        add_records();
    }

    void write(JsonWriter& w) const;

private:
    UsageRow& row(std::int64_t at_ns, std::uint32_t project) {
        UsageRow& r = rows_[{local_day(at_ns, ledger_.utc_offset_minutes), project}];
        r.project = project;
        r.at_ns = std::min(r.at_ns, at_ns);
        return r;
    }
    void add_open_day(std::uint32_t session, std::int64_t at_ns, std::int64_t tokens) {
        OpenSession& open = open_[session];
        open.open = true;
        OpenDay& day = open.days[local_day(at_ns, ledger_.utc_offset_minutes)];
        day.at_ns = std::min(day.at_ns, at_ns);
        day.tokens += tokens;
    }

    void carry_history(const Checkpoint& checkpoint);
    void add_records();
    [[nodiscard]] std::optional<ChargeView> charge_of(std::uint32_t session) const;
    void write_grants(JsonWriter& w) const;
    void write_tasks_and_billings(JsonWriter& w) const;
    void write_open_sessions(JsonWriter& w) const;
    void write_completed_sessions(JsonWriter& w) const;
    void write_recent_completions(JsonWriter& w) const;
    void write_usage(JsonWriter& w) const;
    [[nodiscard]] std::vector<std::uint32_t> sessions_in_key_order(const std::vector<bool>& keep) const;

    const Ledger& ledger_;
    std::int64_t at_ns_;
    BurnDownState state_;
    std::vector<SessionStatus> status_;            // per session, just before S
    std::map<std::pair<std::int64_t, std::uint32_t>, UsageRow> rows_;  // by (local day, project)
    std::vector<OpenSession> open_;                // per session
    std::vector<std::int64_t> hits_;               // per session: agent_chat cache hits before S
    std::vector<bool> named_after_;                // per session: a record at or after S names it
};

void Summary::carry_history(const Checkpoint& checkpoint) {
    assert(checkpoint.at_ns <= at_ns_);
    for (const HistoryUsage& h : checkpoint.usage) {
        // A day of a session open at the old checkpoint stays open while the
        // session is; every other row settles as the reports classify it.
        if (h.session != no_index && status_[h.session] == SessionStatus::in_progress) {
            add_open_day(h.session, h.at_ns, h.open_tokens);
            continue;
        }
        const Figures f = classify(ledger_, h, at_ns_ - 1);
        assert(f.pending_tokens == 0);
        row(h.at_ns, h.project).figures += f;
    }
    for (std::size_t s = 0; s < ledger_.sessions.size(); ++s) {
        const Session& session = ledger_.sessions[s];
        hits_[s] = session.history_input_cache_hit_tokens;  // already in the old checkpoint's rows
        if (status_[s] != SessionStatus::in_progress) continue;
        open_[s].output_tokens += session.history_output_tokens;
        open_[s].input_cache_miss_tokens += session.history_input_cache_miss_tokens;
        open_[s].input_cache_hit_tokens += session.history_input_cache_hit_tokens;
    }
}

void Summary::add_records() {
    // Records are sorted by instant: those before S are summed, those at or
    // after S only say which completed sessions are still named.
    for (const UsageRecord& r : ledger_.usage) {
        if (r.at_ns >= at_ns_) {
            if (r.session != no_index) named_after_[r.session] = true;
            continue;
        }
        const bool agent_chat = r.service == Service::agent_chat;
        if (agent_chat) hits_[r.session] += r.input_cache_hit_tokens;
        if (agent_chat && status_[r.session] == SessionStatus::in_progress) {
            // Its cache hits are settled (never charged); output + cache-miss
            // wait for the session's outcome, on the session's own day.
            row(r.at_ns, r.project).figures.cache_hit_tokens += r.input_cache_hit_tokens;
            OpenSession& open = open_[r.session];
            open.output_tokens += r.output_tokens;
            open.input_cache_miss_tokens += r.input_cache_miss_tokens;
            open.input_cache_hit_tokens += r.input_cache_hit_tokens;
            add_open_day(r.session, r.at_ns, charged_tokens(r.output_tokens, r.input_cache_miss_tokens));
            continue;
        }
        const Figures f = classify(ledger_, r, at_ns_ - 1);
        assert(f.pending_tokens == 0);  // settled: not an open session's agent_chat
        row(r.at_ns, r.project).figures += f;
    }
}

// The charge entry of a session completed before S: the burn-down's, or the
// one the ledger's own checkpoint carried.
std::optional<ChargeView> Summary::charge_of(std::uint32_t session) const {
    ChargeView view;
    const std::uint32_t entry = state_.charge_entry_by_session[session];
    if (entry != no_index) {
        const LedgerEntry& e = state_.entries[entry];
        view.charged_tokens = e.tokens;
        view.overdraft_tokens = e.overdraft_tokens;
        view.balance_tokens = e.balance_tokens;
        for (std::uint32_t a = e.allocations_begin; a < e.allocations_end; ++a)
            view.allocations.emplace_back(state_.allocations[a].grant, state_.allocations[a].tokens);
        return view;
    }
    const std::uint32_t carried = ledger_.sessions[session].history_charge;
    if (carried == no_index || !ledger_.checkpoint) return std::nullopt;
    const Checkpoint& checkpoint = *ledger_.checkpoint;
    const HistoryCharge& c = checkpoint.charges[carried];
    view.charged_tokens = c.charged_tokens;
    view.overdraft_tokens = c.overdraft_tokens;
    view.balance_tokens = c.balance_tokens;
    for (std::uint32_t a = c.allocations_begin; a < c.allocations_end; ++a)
        view.allocations.emplace_back(checkpoint.allocations[a].grant, checkpoint.allocations[a].tokens);
    return view;
}

void Summary::write_grants(JsonWriter& w) const {
    w.key("grants").begin_array();
    for (std::size_t g = 0; g < ledger_.grants.size(); ++g) {
        const GrantRecord& grant = ledger_.grants[g];
        if (grant.granted_at_ns >= at_ns_) break;  // sorted by granted_at
        const GrantState& figures = state_.grants[g];
        assert(figures.granted);
        w.begin_object().member("id", grant.id).member("source", grant_source_name(grant.source));
        w.instant("granted_at", grant.granted_at_ns);
        w.instant("expires_at", grant.expires() ? std::optional(grant.expires_at_ns) : std::nullopt);
        w.member("granted_tokens", grant.tokens).member("used_tokens", figures.used_tokens);
        w.member("expired_tokens", figures.expired_tokens).member("remaining_tokens", figures.remaining_tokens);
        if (grant.plan) w.member("plan", *grant.plan);
        if (grant.pack) w.member("pack", *grant.pack);
        if (grant.reason) w.member("reason", *grant.reason);
        if (grant.period_start_ns) w.instant("period_start", *grant.period_start_ns);
        if (grant.period_end_ns) w.instant("period_end", *grant.period_end_ns);
        w.end_object();
    }
    w.end_array();
}

void Summary::write_tasks_and_billings(JsonWriter& w) const {
    w.key("failed_billings").begin_array();
    for (const FailedBilling& f : ledger_.failed_billings) {
        if (f.at_ns >= at_ns_) break;  // sorted by instant
        w.begin_object().member("id", f.id).instant("at", f.at_ns).member("plan", f.plan);
        w.instant("period_start", f.period_start_ns).instant("period_end", f.period_end_ns).end_object();
    }
    w.end_array();
    std::vector<const Task*> cancelled;
    for (const Task& t : ledger_.tasks)
        if (t.cancelled_at_ns && *t.cancelled_at_ns < at_ns_) cancelled.push_back(&t);
    std::sort(cancelled.begin(), cancelled.end(), [&](const Task* a, const Task* b) {
        return std::tie(ledger_.projects[a->project].id, a->task_id) < std::tie(ledger_.projects[b->project].id, b->task_id);
    });
    w.key("cancelled_tasks").begin_array();
    for (const Task* t : cancelled) {
        w.begin_object().member("project_id", ledger_.projects[t->project].id).member("task_id", t->task_id);
        w.instant("cancelled_at", *t->cancelled_at_ns).member("event_id", t->cancel_event_id);
        if (t->cancel_reason) w.member("reason", *t->cancel_reason);
        w.end_object();
    }
    w.end_array();
}

// The sessions kept, by (project_id, task_id, session_id) in byte order.
std::vector<std::uint32_t> Summary::sessions_in_key_order(const std::vector<bool>& keep) const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t s = 0; s < keep.size(); ++s)
        if (keep[s]) out.push_back(s);
    const auto key = [&](std::uint32_t s) {
        const Session& session = ledger_.sessions[s];
        return std::tie(ledger_.projects[session.project].id, ledger_.tasks[session.task].task_id, session.session_id);
    };
    std::sort(out.begin(), out.end(), [&](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
    return out;
}

void Summary::write_open_sessions(JsonWriter& w) const {
    std::vector<bool> keep(open_.size());
    for (std::size_t s = 0; s < open_.size(); ++s) keep[s] = open_[s].open;
    w.key("open_sessions").begin_array();
    for (const std::uint32_t s : sessions_in_key_order(keep)) {
        const Session& session = ledger_.sessions[s];
        const OpenSession& open = open_[s];
        assert(status_[s] == SessionStatus::in_progress);
        w.begin_object().member("project_id", ledger_.projects[session.project].id);
        w.member("task_id", ledger_.tasks[session.task].task_id).member("session_id", session.session_id);
        w.member("output_tokens", open.output_tokens).member("input_cache_miss_tokens", open.input_cache_miss_tokens);
        w.member("input_cache_hit_tokens", open.input_cache_hit_tokens);
        w.key("days").begin_array();
        for (const auto& [day, d] : open.days) w.begin_object().instant("at", d.at_ns).member("tokens", d.tokens).end_object();
        w.end_array().end_object();
    }
    w.end_array();
}

void Summary::write_completed_sessions(JsonWriter& w) const {
    std::vector<bool> keep(named_after_.size());
    for (std::size_t s = 0; s < keep.size(); ++s) keep[s] = named_after_[s] && status_[s] == SessionStatus::completed;
    w.key("completed_sessions").begin_array();
    for (const std::uint32_t s : sessions_in_key_order(keep)) {
        const Session& session = ledger_.sessions[s];
        const std::optional<ChargeView> charge = charge_of(s);
        assert(charge && session.completed_at_ns);
        w.begin_object().member("project_id", ledger_.projects[session.project].id);
        w.member("task_id", ledger_.tasks[session.task].task_id).member("session_id", session.session_id);
        w.instant("completed_at", *session.completed_at_ns).member("event_id", session.completion_event_id);
        w.member("output_tokens", session.output_tokens).member("input_cache_miss_tokens", session.input_cache_miss_tokens);
        w.member("charged_tokens", charge->charged_tokens).member("overdraft_tokens", charge->overdraft_tokens);
        w.member("balance_tokens", charge->balance_tokens);
        w.key("allocations").begin_array();
        for (const auto& [grant, tokens] : charge->allocations)
            w.begin_object().member("grant_id", ledger_.grants[grant].id).member("tokens", tokens).end_object();
        w.end_array().end_object();
    }
    w.end_array();
}

void Summary::write_recent_completions(JsonWriter& w) const {
    // The forecast's window at any T >= S reaches back to (T - 30 days): what
    // completed in (S - 30 days, S) is still in it for a while.
    const std::int64_t after_ns = at_ns_ - forecast_window_ns;
    std::map<std::int64_t, HistoryCompletion> by_instant;
    if (ledger_.checkpoint) {
        for (const HistoryCompletion& c : ledger_.checkpoint->completions) {
            if (c.at_ns <= after_ns) continue;
            HistoryCompletion& sum = by_instant[c.at_ns];
            sum.output_tokens += c.output_tokens;
            sum.input_cache_miss_tokens += c.input_cache_miss_tokens;
            sum.input_cache_hit_tokens += c.input_cache_hit_tokens;
        }
    }
    for (const LedgerEntry& e : state_.entries) {
        if (e.kind != EntryKind::charge || e.at_ns <= after_ns) continue;
        const Session& session = ledger_.sessions[e.index];
        HistoryCompletion& sum = by_instant[e.at_ns];
        sum.output_tokens += session.output_tokens;
        sum.input_cache_miss_tokens += session.input_cache_miss_tokens;
        sum.input_cache_hit_tokens += hits_[e.index];
    }
    w.key("recent_completions").begin_array();
    for (const auto& [at_ns, c] : by_instant) {
        w.begin_object().instant("at", at_ns).member("output_tokens", c.output_tokens);
        w.member("input_cache_miss_tokens", c.input_cache_miss_tokens).member("input_cache_hit_tokens", c.input_cache_hit_tokens);
        w.end_object();
    }
    w.end_array();
}

void Summary::write_usage(JsonWriter& w) const {
    std::vector<const UsageRow*> rows;
    rows.reserve(rows_.size());
    for (const auto& [key, r] : rows_) rows.push_back(&r);
    std::sort(rows.begin(), rows.end(), [&](const UsageRow* a, const UsageRow* b) {
        if (a->at_ns != b->at_ns) return a->at_ns < b->at_ns;
        return ledger_.projects[a->project].id < ledger_.projects[b->project].id;
    });
    w.key("usage").begin_array();
    for (const UsageRow* r : rows) {
        w.begin_object().instant("at", r->at_ns).member("project_id", ledger_.projects[r->project].id);
        const Figures& f = r->figures;
        w.member("charged_tokens", f.charged_tokens).member("cache_hit_tokens", f.cache_hit_tokens);
        w.member("summarization_tokens", f.summarization_tokens).member("other_service_tokens", f.other_service_tokens);
        w.member("cancelled_tokens", f.cancelled_tokens).end_object();
    }
    w.end_array();
}

void Summary::write(JsonWriter& w) const {
    w.member("charged_tokens", state_.lifetime_charged_tokens).member("overdraft_tokens", state_.overdraft_tokens);
    write_grants(w);
    write_tasks_and_billings(w);
    write_open_sessions(w);
    write_completed_sessions(w);
    write_recent_completions(w);
    write_usage(w);
}

// The events of the sources, each distinct one once (an id seen again is an
// exact repeat of an accepted event): those dated at or after S, to be copied
// as they were written, in their order, and how many are dated before S.
struct Tail {
    struct Piece {
        const std::string* text = nullptr;
        std::uint32_t begin = 0;
        std::uint32_t end = 0;
    };
    std::vector<Piece> events;
    std::int64_t events_before = 0;
};

Tail find_tail(const std::vector<std::shared_ptr<const std::string>>& sources, std::int64_t at_ns) {
    Tail tail;
    std::deque<std::string> storage;  // ids that had to be decoded; `seen` points into it
    std::unordered_set<std::string_view> seen;
    for (const std::shared_ptr<const std::string>& source : sources) {
        assert(source);
        const std::vector<ledger_reading::SourceEvent> events = ledger_reading::source_events(*source, storage);
        seen.reserve(seen.size() + events.size());
        for (const ledger_reading::SourceEvent& e : events) {
            if (!seen.insert(e.id).second) continue;
            if (e.at_ns < at_ns) ++tail.events_before;
            else tail.events.push_back(Tail::Piece{source.get(), e.begin, e.end});
        }
    }
    return tail;
}

}  // namespace

Result<std::string> checkpoint_json(const Ledger& ledger, const std::vector<std::shared_ptr<const std::string>>& sources,
                                    std::string_view at) {
    const Result<Query> query = make_query(ledger, at);
    if (!query.ok()) return Result<std::string>::failure(query.errors);
    const std::int64_t at_ns = query.value->at_ns;
    ErrorList errors;
    if (at_ns <= ledger.opened_at_ns) {
        errors.add(code::invalid_query, std::nullopt, "/at",
                   "A checkpoint holds what happened before \"at\", which must come after the account's opening (" +
                       format_instant(ledger.opened_at_ns) + "); found " + format_instant(at_ns) + ".");
    } else if (ledger.checkpoint && at_ns < ledger.checkpoint->at_ns) {
        errors.add(code::before_checkpoint, std::nullopt, "/at",
                   "The ledger is already a checkpoint at " + format_instant(ledger.checkpoint->at_ns) +
                       ": it can be checkpointed at that instant or later, not at " + format_instant(at_ns) + ".");
    }
    if (!errors.empty()) return Result<std::string>::failure(errors.take());

    const Summary summary(ledger, at_ns);
    JsonWriter w;
    w.begin_object().member("format", "easycoda.ledger/1");
    w.key("account").begin_object().member("id", ledger.account_id);
    w.member("utc_offset", format_utc_offset(ledger.utc_offset_minutes)).end_object();
    w.key("projects").begin_array();
    for (const Project& p : ledger.projects) w.begin_object().member("id", p.id).member("name", p.name).end_object();
    w.end_array();
    const Tail tail = find_tail(sources, at_ns);
    std::size_t tail_bytes = 0;
    for (const Tail::Piece& e : tail.events) tail_bytes += e.end - e.begin + 1;
    w.reserve(tail_bytes + 4096);
    w.key("checkpoint").begin_object().member("format", "easycoda.checkpoint/1");
    w.instant("at", at_ns).instant("opened_at", ledger.opened_at_ns);
    w.member("events", (ledger.checkpoint ? ledger.checkpoint->events : 0) + tail.events_before);
    w.member("duplicates_ignored", static_cast<std::int64_t>(ledger.duplicates_ignored));
    summary.write(w);
    w.end_object();
    w.key("events").begin_array();
    for (const Tail::Piece& e : tail.events) w.raw_value(std::string_view(*e.text).substr(e.begin, e.end - e.begin));
    w.end_array().end_object();
    std::string out = w.take();
    return Result<std::string>::success(std::move(out));
}

}  // namespace credits
