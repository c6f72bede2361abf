// The tasks and sessions of a checkpoint (cancelled tasks, open and completed
// sessions with their days and allocations), its recent completions and its
// usage rows: read into the builder's tasks and sessions, which the events
// after S then find as they would find the whole history's. See
// checkpoint_reader.h.
#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "credits/forecast.h"
#include "credits/json_writer.h"
#include "ledger/checkpoint_reader.h"

namespace credits::ledger_reading {

void CheckpointReader::read_cancelled_tasks(ObjectReader& r) {
    each_item(r, "cancelled_tasks", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"project_id", "task_id", "cancelled_at", "event_id", "reason"});
        const auto projects = project(item);
        const auto key = read_key(item, false);
        const auto at = item.instant("cancelled_at", true);
        const auto event_id = item.id("event_id", true);
        auto reason = item.string("reason", false, spec_of(Member::reason).bytes_max);
        if (!projects || !key || !at || !event_id) return;
        if (!dated(item, "cancelled_at", at->ns) || !claim_id(*event_id, item.member_pointer("event_id"))) return;
        if (!in_order(cancelled_keys_.empty() ? std::nullopt : std::optional(cancelled_keys_.back()), *key, item.pointer(),
                      "cancelled_tasks"))
            return;
        cancelled_keys_.push_back(*key);
        cancelled_at_ns_.push_back(at->ns);
        // The task's earliest cancellation, taking part in check_sessions like
        // an event's: sessions of the task first seen after S are cancelled.
        const std::uint32_t task = b_.intern_task(projects->first, key->task_id);
        b_.cancellations_[task].push_back(Cancellation{at->ns, EventRef{b_.arena_.keep(*event_id), 0}, std::move(reason)});
    });
}

void CheckpointReader::read_open_sessions(ObjectReader& r) {
    each_item(r, "open_sessions", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"project_id", "task_id", "session_id", "output_tokens", "input_cache_miss_tokens",
                             "input_cache_hit_tokens", "days"});
        const auto projects = project(item);
        const auto key = read_key(item, true);
        const auto output = item.count("output_tokens", true);
        const auto miss = item.count("input_cache_miss_tokens", true);
        const auto hit = item.count("input_cache_hit_tokens", true);
        if (!projects || !key || !output || !miss || !hit) return;
        if (!in_order(open_keys_.empty() ? std::nullopt : std::optional(open_keys_.back()), *key, item.pointer(), "open_sessions"))
            return;
        open_keys_.push_back(*key);
        if (std::binary_search(cancelled_keys_.begin(), cancelled_keys_.end(), Key{key->project_id, key->task_id, ""})) {
            inconsistent(item.member_pointer("task_id"),
                         sentence({"The session \"", quote(key->session_id), "\" cannot be open: its task \"",
                                   quote(key->task_id), "\" is in \"cancelled_tasks\"."}));
            return;
        }
        const std::uint32_t session = b_.intern_session(b_.intern_task(projects->first, key->task_id), key->session_id);
        Wide day_tokens = 0;
        if (!read_days(item, projects->second, session, day_tokens)) return;
        if (day_tokens != Wide{*output} + *miss) {
            inconsistent(item.member_pointer("days"),
                         sentence({"The session's output_tokens + input_cache_miss_tokens (", figure(Wide{*output} + *miss),
                                   ") must equal its days' tokens (", figure(day_tokens), ")."}));
            return;
        }
        Session& s = b_.ledger_.sessions[session];
        // The tail's agent_chat records were added already; bounded like them.
        b_.add_bounded(s.output_tokens, *output);
        b_.add_bounded(s.input_cache_miss_tokens, *miss);
        s.history_output_tokens = *output;
        s.history_input_cache_miss_tokens = *miss;
        s.history_input_cache_hit_tokens = *hit;
        session_hit_tokens_ += *hit;
    });
}

bool CheckpointReader::read_days(ObjectReader& r, std::uint32_t project_index, std::uint32_t session, Wide& tokens) {
    bool ok = true;
    std::optional<std::int64_t> previous_day;
    const std::size_t first_row = cp_.usage.size();
    each_item(r, "days", [&](ObjectReader& day, const Json&) {
        day.reject_unknown({"at", "tokens"});
        const auto at = day.instant("at", true);
        const auto day_tokens = day.count("tokens", true);
        if (!at || !day_tokens || !dated(day, "at", at->ns)) {
            ok = false;
            return;
        }
        const std::int64_t local = local_day(at->ns, b_.ledger_.utc_offset_minutes);
        if (previous_day && *previous_day >= local) {
            inconsistent(day.pointer(), "This day comes out of order or repeats a day: \"days\" holds one item per day of the "
                                        "account's offset, sorted by at.");
            ok = false;
            return;
        }
        previous_day = local;
        b_.add_to_amount_sum(*day_tokens);
        tokens += *day_tokens;
        HistoryUsage row;
        row.at_ns = at->ns;
        row.project = project_index;
        row.session = session;
        row.open_tokens = *day_tokens;
        cp_.usage.push_back(row);
    });
    if (const Json* days = r.get("days", false); days == nullptr || !days->is_array()) ok = false;  // reported
    if (!ok) cp_.usage.resize(first_row);
    return ok;
}

void CheckpointReader::read_completed_sessions(ObjectReader& r) {
    std::optional<Key> previous;
    each_item(r, "completed_sessions", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"project_id", "task_id", "session_id", "completed_at", "event_id", "output_tokens",
                             "input_cache_miss_tokens", "charged_tokens", "overdraft_tokens", "balance_tokens", "allocations"});
        const auto projects = project(item);
        const auto key = read_key(item, true);
        const auto at = item.instant("completed_at", true);
        const auto event_id = item.id("event_id", true);
        const auto output = item.count("output_tokens", true);
        const auto miss = item.count("input_cache_miss_tokens", true);
        const auto charged = item.count("charged_tokens", true);
        const auto overdraft = item.count("overdraft_tokens", true);
        const auto balance = item.count("balance_tokens", true);
        if (!projects || !key || !at || !event_id || !output || !miss || !charged || !overdraft || !balance) return;
        if (!dated(item, "completed_at", at->ns) || !claim_id(*event_id, item.member_pointer("event_id"))) return;
        if (!in_order(previous, *key, item.pointer(), "completed_sessions")) return;
        previous = *key;
        if (std::binary_search(open_keys_.begin(), open_keys_.end(), *key)) {
            inconsistent(item.pointer(),
                         sentence({"The session \"", quote(key->session_id), "\" is listed as open and as completed."}));
            return;
        }
        const Key task_key{key->project_id, key->task_id, ""};
        if (const auto it = std::lower_bound(cancelled_keys_.begin(), cancelled_keys_.end(), task_key);
            it != cancelled_keys_.end() && !(task_key < *it) &&
            at->ns > cancelled_at_ns_[static_cast<std::size_t>(it - cancelled_keys_.begin())]) {
            inconsistent(
                item.member_pointer("completed_at"),
                sentence({"The session \"", quote(key->session_id), "\" cannot complete after its task was cancelled at ",
                          when(cancelled_at_ns_[static_cast<std::size_t>(it - cancelled_keys_.begin())]), "."}));
            return;
        }
        if (Wide{*output} + *miss != *charged) {
            inconsistent(item.member_pointer("charged_tokens"),
                         sentence({"A completion charges output_tokens + input_cache_miss_tokens (",
                                   figure(Wide{*output} + *miss), "); found ", figure(*charged), "."}));
            return;
        }
        const auto allocations_begin = static_cast<std::uint32_t>(cp_.allocations.size());
        Wide allocated = 0;
        if (!read_allocations(item, at->ns, allocated)) return;
        if (allocated + *overdraft != *charged) {
            inconsistent(item.member_pointer("allocations"),
                         sentence({"The charge of ", figure(*charged), " tokens must equal its allocations (", figure(allocated),
                                   ") + overdraft_tokens (", figure(*overdraft), ")."}));
            cp_.allocations.resize(allocations_begin);
            return;
        }
        const std::uint32_t session = b_.intern_session(b_.intern_task(projects->first, key->task_id), key->session_id);
        Session& s = b_.ledger_.sessions[session];
        s.completed_at_ns = at->ns;
        s.completion_event_id = *event_id;
        s.output_tokens = *output;
        s.input_cache_miss_tokens = *miss;
        assert(cp_.charges.size() < no_index && cp_.allocations.size() < no_index);
        s.history_charge = static_cast<std::uint32_t>(cp_.charges.size());
        cp_.charges.push_back(HistoryCharge{session, *charged, *overdraft, *balance, allocations_begin,
                                            static_cast<std::uint32_t>(cp_.allocations.size())});
        completed_charged_tokens_ += *charged;
    });
}

bool CheckpointReader::read_allocations(ObjectReader& r, std::int64_t completed_at_ns, Wide& tokens) {
    const Json* list = r.get("allocations", false);
    bool ok = list != nullptr && list->is_array();  // otherwise reported by each_item
    const std::size_t first = cp_.allocations.size();
    each_item(r, "allocations", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"grant_id", "tokens"});
        const auto grant_id = item.id("grant_id", true);
        const auto allocated = item.count("tokens", true);
        if (!grant_id || !allocated) {
            ok = false;
            return;
        }
        const std::uint32_t* position = grant_positions_.find(0, *grant_id);
        if (position == nullptr || grants_[*position].granted_at_ns > completed_at_ns) {
            inconsistent(item.member_pointer("grant_id"), sentence({"The allocation names \"", quote(*grant_id),
                                                                    "\", which is not a grant of "
                                                                    "the checkpoint made at or before the completion."}));
            ok = false;
            return;
        }
        tokens += *allocated;
        cp_.allocations.push_back(HistoryAllocation{*position, *allocated});
    });
    if (!ok) cp_.allocations.resize(first);
    return ok;
}

void CheckpointReader::read_recent_completions(ObjectReader& r) {
    Wide charged = 0;
    Wide hit = 0;
    each_item(r, "recent_completions", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"at", "output_tokens", "input_cache_miss_tokens", "input_cache_hit_tokens"});
        const auto at = item.instant("at", true);
        const auto output = item.count("output_tokens", true);
        const auto miss = item.count("input_cache_miss_tokens", true);
        const auto hits = item.count("input_cache_hit_tokens", true);
        if (!at || !output || !miss || !hits || !dated(item, "at", at->ns)) return;
        if (instants_known_ && at->ns <= cp_.at_ns - forecast_window_ns) {
            inconsistent(item.member_pointer("at"),
                         sentence({"A recent completion lies in the 30 days before the checkpoint, after ",
                                   when(cp_.at_ns - forecast_window_ns), "; found ", when(at->ns), "."}));
            return;
        }
        if (!cp_.completions.empty() && cp_.completions.back().at_ns >= at->ns) {
            inconsistent(item.pointer(), "\"recent_completions\" holds one item per instant, sorted by at.");
            return;
        }
        cp_.completions.push_back(HistoryCompletion{at->ns, *output, *miss, *hits});
        charged += Wide{*output} + *miss;
        hit += *hits;
    });
    // Every charge is part of the lifetime charged tokens (and every cache hit
    // is on a day of usage, checked with the rows): so what the forecast sums
    // stays within the document's amount sum.
    if (charged > cp_.charged_tokens) {
        inconsistent("/checkpoint/recent_completions",
                     sentence({"The recent completions charge ", figure(charged),
                               " tokens, more than the checkpoint's charged_tokens (", figure(cp_.charged_tokens), ")."}));
    }
    session_hit_tokens_ += hit;
}

void CheckpointReader::read_usage(ObjectReader& r) {
    Wide charged = 0;
    Wide cache_hit = 0;
    std::optional<std::pair<std::int64_t, std::string>> previous;  // (at, project_id)
    // Per listed project (at most LedgerLimits::projects_max): the day of its latest row.
    std::vector<std::int64_t> last_day(b_.ledger_.projects.size(), INT64_MIN);
    each_item(r, "usage", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"at", "project_id", "charged_tokens", "cache_hit_tokens", "summarization_tokens",
                             "other_service_tokens", "cancelled_tokens"});
        const auto at = item.instant("at", true);
        const auto projects = project(item);
        HistoryUsage row;
        const std::optional<std::int64_t> figures[] = {item.count("charged_tokens", true), item.count("cache_hit_tokens", true),
                                                       item.count("summarization_tokens", true),
                                                       item.count("other_service_tokens", true), item.count("cancelled_tokens", true)};
        if (!at || !projects || !dated(item, "at", at->ns)) return;
        for (const auto& figure : figures)
            if (!figure) return;
        const std::string& project_id = b_.ledger_.projects[projects->second].id;
        if (previous && *previous >= std::pair{at->ns, project_id}) {
            inconsistent(item.pointer(), "This row comes out of order: \"usage\" is sorted by at, then project_id.");
            return;
        }
        previous = std::pair{at->ns, project_id};
        const std::int64_t day = local_day(at->ns, b_.ledger_.utc_offset_minutes);
        // Rows are sorted by at, so a second row of a (day, project) follows
        // the project's latest row: compare with that one.
        if (last_day[projects->second] == day) {
            inconsistent(item.pointer(),
                         sentence({"\"usage\" holds one row per day (in the account's offset) and project; the day ",
                                   format_day(day), " of \"", quote(project_id), "\" is listed twice."}));
            return;
        }
        last_day[projects->second] = day;
        row.at_ns = at->ns;
        row.project = projects->second;
        row.charged_tokens = *figures[0];
        row.cache_hit_tokens = *figures[1];
        row.summarization_tokens = *figures[2];
        row.other_service_tokens = *figures[3];
        row.cancelled_tokens = *figures[4];
        for (const auto& figure : figures) b_.add_to_amount_sum(*figure);
        charged += row.charged_tokens;
        cache_hit += row.cache_hit_tokens;
        cp_.usage.push_back(row);
    });
    if (charged != cp_.charged_tokens) {
        inconsistent("/checkpoint/charged_tokens",
                     sentence({"charged_tokens (", figure(cp_.charged_tokens), ") must equal the usage rows' charged tokens (",
                               figure(charged), "): every charged token is on a day."}));
    }
    if (session_hit_tokens_ > cache_hit) {
        inconsistent("/checkpoint/usage",
                     sentence({"The open sessions and recent completions hold ", figure(session_hit_tokens_),
                               " cache-hit tokens, more than the usage rows' cache_hit_tokens (", figure(cache_hit), ")."}));
    }
}

}  // namespace credits::ledger_reading
