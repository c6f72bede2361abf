// The account service's cache entries made current with the store, and the
// checkpoint policy (accounts.h; docs/server.md, "Same bytes as the CLI").
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "accounts_internal.h"
#include "credits/instant.h"

namespace credits::server {

namespace {

// Stored data the core no longer reads would be a broken database, not bad input.
[[noreturn]] void unreadable(const std::string& account_id, const std::string& what, const std::string& errors) {
    throw std::runtime_error("stored " + what + " of account " + account_id + " does not load: " + errors.substr(0, 400));
}

}  // namespace

std::vector<StoredEvent> AccountService::events_after(const std::string& account_id, std::int64_t after_seq) {
    std::vector<StoredEvent> all;
    for (int page = 0; page < store_pages_max; ++page) {
        std::vector<StoredEvent> got = store_.events_after(account_id, after_seq, store_page_events);
        const bool full = static_cast<std::int64_t>(got.size()) == store_page_events;
        if (!got.empty()) after_seq = got.back().seq;
        all.insert(all.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
        if (!full) return all;
    }
    throw std::runtime_error("account " + account_id + " holds more events than the server reads at once");
}

std::string AccountService::fragment(const AccountRow& row, const std::vector<ProjectRow>& projects,
                                     const std::vector<StoredEvent>& events) const {
    std::size_t size = 96 + row.header.size();
    for (const ProjectRow& project : projects) size += project.body.size() + 1;
    for (const StoredEvent& event : events) size += event.body.size() + 1;
    std::string out;
    out.reserve(size);
    out += "{\"format\":\"";
    out += ledger_format;
    out += "\",\"account\":";
    out += row.header;
    out += ",\"projects\":[";
    for (std::size_t i = 0; i < projects.size(); ++i) {
        if (i != 0) out += ',';
        out += projects[i].body;
    }
    out += "],\"events\":[";
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i != 0) out += ',';
        out += events[i].body;
    }
    out += "]}";
    return out;
}

LoadedLedger AccountService::load_whole(const AccountRow& row, std::int64_t* cursor, std::optional<std::int64_t> up_to_seq) {
    std::vector<StoredEvent> events = events_after(row.account_id, 0);
    if (up_to_seq) {  // a consistent read: the events other writers stored since are left out
        events.erase(std::find_if(events.begin(), events.end(), [&](const StoredEvent& event) { return event.seq > *up_to_seq; }),
                     events.end());
    }
    *cursor = events.empty() ? 0 : events.back().seq;
    std::string errors;
    std::optional<LoadedLedger> loaded = engine_.load(fragment(row, store_.projects(row.account_id), events), &errors);
    if (!loaded) unreadable(row.account_id, "history", errors);
    return std::move(*loaded);
}

void AccountService::sync(Entry& e, const AccountRow& row) {
    if (!e.ledger || e.cursor > row.last_seq) {
        reload(e, row);
    } else if (e.cursor < row.last_seq) {
        catch_up(e, row);
    }
}

// Appends the events other writers stored after the entry's cursor. Should they
// not append (another replica re-derived the checkpoint for a late event, so
// one is dated before ours), the entry is loaded again from the store.
void AccountService::catch_up(Entry& e, const AccountRow& row) {
    const std::vector<StoredEvent> events = events_after(row.account_id, e.cursor);
    if (events.empty()) return;
    const bool late = e.checkpoint_at_ns && std::any_of(events.begin(), events.end(), [&](const StoredEvent& event) {
                          return event.at_ns < *e.checkpoint_at_ns;
                      });
    if (!late) {
        const Answer answer = e.ledger->append(fragment(row, store_.projects(row.account_id), events));
        const auto counts = answer.ok ? append_counts(answer.json) : std::nullopt;
        if (counts && counts->first == static_cast<std::int64_t>(events.size()) && counts->second == 0) {
            e.cursor = events.back().seq;
            return;
        }
    }
    reload(e, row);
}

void AccountService::reload(Entry& e, const AccountRow& row) {
    e.reset();
    const std::optional<CheckpointRow> checkpoint = store_.checkpoint(row.account_id);
    if (!checkpoint) {
        std::int64_t cursor = 0;
        e.ledger = load_whole(row, &cursor);
        e.cursor = cursor;
        return;
    }
    const std::vector<StoredEvent> tail = events_after(row.account_id, checkpoint->cursor);
    const bool late = std::any_of(tail.begin(), tail.end(),
                                  [&](const StoredEvent& event) { return event.at_ns < checkpoint->at_ns; });
    if (late) {
        // A late event was stored but the checkpoint not re-derived (a crash between
        // the two): re-derive it now from the whole history.
        std::int64_t cursor = 0;
        const LoadedLedger whole = load_whole(row, &cursor);
        write_checkpoint(e, row.account_id, whole, checkpoint->at_ns, cursor);
        return;
    }
    std::string errors;
    std::optional<LoadedLedger> loaded = engine_.load(std::string(checkpoint->document), &errors);
    if (!loaded) unreadable(row.account_id, "checkpoint", errors);
    if (!tail.empty()) {
        const Answer answer = loaded->append(fragment(row, store_.projects(row.account_id), tail));
        const auto counts = answer.ok ? append_counts(answer.json) : std::nullopt;
        if (!counts || counts->first != static_cast<std::int64_t>(tail.size())) {
            unreadable(row.account_id, "events after the checkpoint", answer.json);
        }
    }
    e.ledger = std::move(loaded);
    e.checkpoint_at_ns = checkpoint->at_ns;
    e.cursor = tail.empty() ? checkpoint->cursor : tail.back().seq;
}

// Where the account's checkpoint belongs now: the start of the calendar month
// before its newest event's month, once enough events are dated before it.
std::optional<std::int64_t> AccountService::checkpoint_target(const Ledger& l) const {
    if (l.event_instants_ns.empty()) return std::nullopt;
    const std::int64_t target = previous_month_start_ns(l.event_instants_ns.back(), l.utc_offset_minutes);
    if (target <= l.opened_at_ns) return std::nullopt;
    const auto after_checkpoint_before_target = std::lower_bound(l.event_instants_ns.begin(), l.event_instants_ns.end(),
                                                                 target) - l.event_instants_ns.begin();
    const std::int64_t before = (l.checkpoint ? l.checkpoint->events : 0) + after_checkpoint_before_target;
    if (before < limits_.checkpoint_events_min) return std::nullopt;
    return target;
}

void AccountService::write_checkpoint(Entry& e, const std::string& account_id, const LoadedLedger& source,
                                      std::int64_t at_ns, std::int64_t cursor) {
    const Answer document = source.checkpoint(format_instant(at_ns));
    if (!document.ok) throw std::logic_error("the core wrote no checkpoint: " + document.json.substr(0, 400));
    std::string errors;
    std::optional<LoadedLedger> loaded = engine_.load(std::string(document.json), &errors);
    if (!loaded) unreadable(account_id, "checkpoint just written", errors);
    store_.save_checkpoint(account_id, CheckpointRow{at_ns, cursor, document.json});
    e.ledger = std::move(loaded);
    e.checkpoint_at_ns = at_ns;
    e.cursor = cursor;
    metrics_.record_checkpoint();
}

// After a commit at `cursor`. `whole` is the whole history with the batch when
// it was checked there (the slow path): the entry's own ledger was not
// appended to, so the checkpoint is written again from `whole` -- at the same
// instant (which re-derives it when the batch held a late event) or later.
// On the fast path the checkpoint moves on when the policy says so.
void AccountService::checkpoint_after_commit(Entry& e, const std::string& account_id, std::optional<LoadedLedger> whole,
                                             std::int64_t cursor, bool late) {
    try {
        if (whole) {
            const std::int64_t current = e.checkpoint_at_ns.value_or(0);
            const std::optional<std::int64_t> target = checkpoint_target(whole->ledger());
            const std::int64_t at_ns = target ? std::max(current, *target) : current;
            if (at_ns == 0 && !late) {  // no checkpoint to keep: the whole history is the entry
                e.ledger = std::move(whole);
                e.cursor = cursor;
                return;
            }
            write_checkpoint(e, account_id, *whole, at_ns, cursor);
            return;
        }
        const std::optional<std::int64_t> target = checkpoint_target(e.ledger->ledger());
        if (target && (!e.checkpoint_at_ns || *target > *e.checkpoint_at_ns)) {
            write_checkpoint(e, account_id, *e.ledger, *target, cursor);
        }
    } catch (const std::exception& failure) {
        // The batch is committed; a checkpoint not written is only work undone. The
        // entry is dropped, so the next use loads what the store holds.
        const std::string line = nlohmann::json{{"level", "error"}, {"message", "checkpoint not written"},
                                                {"account_id", account_id}, {"detail", failure.what()}}
                                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        std::fprintf(stderr, "%s\n", line.c_str());
        e.reset();
    }
}

}  // namespace credits::server
