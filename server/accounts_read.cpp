// The account service's reads: reports, the document, the console's ledger,
// the long-poll of changes, and quotes (accounts.h; docs/server.md).
#include <chrono>

#include "accounts_internal.h"
#include "credits/instant.h"

namespace credits::server {

namespace {

Reply not_found() {
    return Reply{404, error_body("account_not_found", "No such account, or this token may not read it.")};
}

std::string now_text() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    return format_instant(seconds * nanos_per_second);
}

Answer ask(LoadedLedger& ledger, const ReportQuestion& q, const std::string& at) {
    switch (q.kind) {
        case ReportKind::project:
            return ledger.project(q.project_id, at, q.from, q.to, q.utc_offset, q.utc_offsets);
        case ReportKind::forecast:
            return ledger.forecast(at);
        case ReportKind::account:
            break;
    }
    return ledger.report(at, q.from, q.to, q.utc_offset, q.utc_offsets);
}

}  // namespace

bool AccountService::account_exists(const std::string& account_id) {
    return store_.account(account_id).has_value();
}

Reply AccountService::report(const std::string& account_id, const ReportQuestion& question) {
    const std::string at = question.at.empty() ? now_text() : question.at;
    AccountRow snapshot;
    {
        const std::shared_ptr<Entry> e = entry(account_id);
        const std::lock_guard lock(e->mutex);
        const std::optional<AccountRow> row = store_.account(account_id);
        if (!row) return not_found();
        sync(*e, *row);
        const std::optional<Instant> instant = parse_instant(at);
        if (!instant || !e->checkpoint_at_ns || instant->ns >= *e->checkpoint_at_ns) {
            const Answer answer = ask(*e->ledger, question, at);
            return Reply{answer.ok ? 200 : 422, answer.json};
        }
        snapshot = *row;
        snapshot.last_seq = e->cursor;  // the events the entry holds: the same account as its answers
    }
    // Before the checkpoint only the whole history can answer (rare, and not cached). It
    // is loaded outside the account's lock, so ingest goes on meanwhile, and only a few
    // at once: each holds a whole history in memory.
    if (whole_loads_.fetch_add(1) >= std::max(limits_.whole_loads_max, 1)) {
        whole_loads_.fetch_sub(1);
        Reply busy{503, error_body("overloaded", "Too many reports before the checkpoint are being computed; ask again later.")};
        busy.retry_after_s = 1;
        return busy;
    }
    struct Leave {
        std::atomic<int>& count;
        ~Leave() { count.fetch_sub(1); }
    } leave{whole_loads_};
    std::int64_t cursor = 0;
    LoadedLedger whole = load_whole(snapshot, &cursor, snapshot.last_seq);
    const Answer answer = ask(whole, question, at);
    return Reply{answer.ok ? 200 : 422, answer.json};
}

std::optional<Reply> AccountService::document(const std::string& account_id,
                                              const std::function<bool(std::string_view)>& write) {
    const std::optional<AccountRow> row = store_.account(account_id);
    if (!row) return std::nullopt;
    // The export is the account as it was when asked: events up to this cursor.
    const std::int64_t snapshot = row->last_seq;
    std::string head = fragment(*row, store_.projects(account_id), {});
    head.resize(head.size() - 2);  // reopen the empty events array
    if (!write(head)) return Reply{200, {}};
    std::int64_t after = 0;
    bool first = true;
    for (int page = 0; page < store_pages_max && after < snapshot; ++page) {
        const std::vector<StoredEvent> events = store_.events_after(account_id, after, store_page_events);
        if (events.empty()) break;
        std::string chunk;
        for (const StoredEvent& event : events) {
            if (event.seq > snapshot) break;
            if (!first) chunk += ',';
            first = false;
            chunk += event.body;
        }
        after = events.back().seq;
        if (!write(chunk)) return Reply{200, {}};
    }
    write("]}");
    Reply reply{200, {}};
    reply.cursor = snapshot;  // the console follows /changes from here
    return reply;
}

Reply AccountService::console_ledger(const std::string& account_id) {
    std::string body;
    {
        const std::shared_ptr<Entry> e = entry(account_id);
        const std::lock_guard lock(e->mutex);
        const std::optional<AccountRow> row = store_.account(account_id);
        if (!row) return not_found();
        sync(*e, *row);
        if (e->checkpoint_at_ns) {
            const Answer answer = e->ledger->checkpoint(format_instant(*e->checkpoint_at_ns));
            Reply reply{answer.ok ? 200 : 500, answer.json};
            reply.cursor = e->cursor;  // the events the checkpointed document holds: up to here
            return reply;
        }
    }
    // No checkpoint: the console loads the whole history, which is the export.
    const std::optional<Reply> reply = document(account_id, [&](std::string_view piece) {
        body += piece;
        return true;
    });
    if (!reply) return not_found();
    Reply whole{200, std::move(body)};
    whole.cursor = reply->cursor;
    return whole;
}

std::shared_ptr<AccountService::Notifier> AccountService::notifier(const std::string& account_id) {
    const std::lock_guard lock(notifier_mutex_);
    std::weak_ptr<Notifier>& slot = notifiers_[account_id];
    std::shared_ptr<Notifier> held = slot.lock();
    if (!held) {
        held = std::make_shared<Notifier>();
        slot = held;
    }
    // Forget the accounts nobody waits on any more, so the map stays as small as the waiters.
    for (auto it = notifiers_.begin(); it != notifiers_.end();) {
        it = it->second.expired() ? notifiers_.erase(it) : std::next(it);
    }
    return held;
}

void AccountService::notify(const std::string& account_id) {
    std::shared_ptr<Notifier> held;
    {
        const std::lock_guard lock(notifier_mutex_);
        const auto found = notifiers_.find(account_id);
        if (found != notifiers_.end()) held = found->second.lock();
    }
    if (!held) return;
    {
        const std::lock_guard lock(held->mutex);
        ++held->generation;
    }
    held->changed.notify_all();
}

void AccountService::stop_waiting() {
    stopping_ = true;
    std::vector<std::shared_ptr<Notifier>> held;
    {
        const std::lock_guard lock(notifier_mutex_);
        for (auto& [id, weak] : notifiers_) {
            if (auto n = weak.lock()) held.push_back(std::move(n));
        }
    }
    for (const auto& n : held) {
        { const std::lock_guard lock(n->mutex); }  // a waiter between its check and its wait sees the flag
        n->changed.notify_all();
    }
}

Reply AccountService::changes(const std::string& account_id, std::int64_t after, int wait_s) {
    const std::optional<AccountRow> row = store_.account(account_id);
    if (!row) return not_found();
    const auto answer_events = [&]() -> std::optional<Reply> {
        const std::vector<StoredEvent> events = store_.events_after(account_id, after, limits_.changes_events_max);
        if (events.empty()) return std::nullopt;
        Reply reply{200, fragment(*row, store_.projects(account_id), events)};
        reply.cursor = events.back().seq;
        reply.more = static_cast<std::int64_t>(events.size()) == limits_.changes_events_max;
        return reply;
    };
    const Reply nothing{204, {}, after};
    if (std::optional<Reply> reply = answer_events()) return *reply;
    if (wait_s <= 0 || stopping_) return nothing;
    if (waiters_.fetch_add(1) >= limits_.waiters_max) {
        waiters_.fetch_sub(1);
        Reply busy{429, error_body("too_many_waiters", "Too many long-polls are waiting; ask again later.")};
        busy.retry_after_s = 1;
        return busy;
    }
    metrics_.add_waiter(1);
    struct Leave {
        AccountService& service;
        ~Leave() {
            service.waiters_.fetch_sub(1);
            service.metrics_.add_waiter(-1);
        }
    } leave{*this};
    const std::shared_ptr<Notifier> n = notifier(account_id);
    std::uint64_t seen = 0;
    {
        const std::lock_guard lock(n->mutex);
        seen = n->generation;
    }
    // A commit between the first look and taking `seen` is found by this one.
    if (std::optional<Reply> reply = answer_events()) return *reply;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    // Woken by a commit here, or every second to see other replicas' commits.
    for (int slice = 0; slice <= wait_s + 1; ++slice) {
        {
            std::unique_lock lock(n->mutex);
            const auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
            n->changed.wait_until(lock, until, [&] { return stopping_.load() || n->generation != seen; });
            seen = n->generation;
        }
        if (stopping_) return nothing;
        if (std::optional<Reply> reply = answer_events()) return *reply;
        if (std::chrono::steady_clock::now() >= deadline) break;
    }
    return nothing;
}

Reply AccountService::quote(std::string_view body) const {
    const Answer answer = engine_.quote(body);
    return Reply{answer.ok ? 200 : 422, answer.json};
}

}  // namespace credits::server
