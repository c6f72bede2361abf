// The account service's cache and ingest (accounts.h). Reads are in
// accounts_read.cpp, loading and checkpoints in accounts_load.cpp.
#include <algorithm>
#include <unordered_set>

#include "accounts_internal.h"
#include "credits/errors.h"
#include "credits/instant.h"
#include "credits/json_writer.h"

namespace credits::server {

std::string error_body(std::string_view error_code, std::string_view message, std::string_view pointer) {
    return errors_json({Error{std::string(error_code), std::nullopt, std::string(pointer), std::string(message)}});
}

bool valid_account_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == ':' || c == '~' || c == '-';
    });
}

std::string session_key_of(const nlohmann::json& event) {
    const auto type = event.find("type");
    if (type == event.end() || !type->is_string()) return {};
    const bool names_session = *type == "session_completed" || (*type == "usage" && event.contains("session_id"));
    if (!names_session) return {};
    const std::string* ids[3] = {};
    int i = 0;
    for (const char* member : {"project_id", "task_id", "session_id"}) {
        const auto value = event.find(member);
        if (value == event.end() || !value->is_string()) return {};
        ids[i++] = &value->get_ref<const std::string&>();
    }
    return session_key(*ids[0], *ids[1], *ids[2]);
}

// A JSON array of the three ids: ids may hold any character (a newline too), and
// a joined text would let "p" + "t\ns" and "p\nt" + "s" name the same session.
std::string session_key(const std::string& project_id, const std::string& task_id, const std::string& session_id) {
    return nlohmann::json::array({project_id, task_id, session_id})
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool stored_past_cursor(const std::vector<StoredEvent>& stored, std::int64_t cursor) {
    return std::any_of(stored.begin(), stored.end(), [cursor](const StoredEvent& event) { return event.seq > cursor; });
}

std::optional<std::pair<std::int64_t, std::int64_t>> append_counts(const std::string& answer) {
    const nlohmann::json value = nlohmann::json::parse(answer, nullptr, false);
    if (!value.is_object()) return std::nullopt;
    const auto accepted = value.find("accepted");
    const auto duplicates = value.find("duplicates_ignored");
    if (accepted == value.end() || duplicates == value.end() || !accepted->is_number_integer() ||
        !duplicates->is_number_integer()) {
        return std::nullopt;
    }
    return std::pair{accepted->get<std::int64_t>(), duplicates->get<std::int64_t>()};
}

namespace {

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

}  // namespace

std::int64_t previous_month_start_ns(std::int64_t ns, int utc_offset_minutes) {
    std::int64_t year = 0;
    unsigned month = 1;
    civil_from_days(local_day(ns, utc_offset_minutes), year, month);
    if (month == 1) {
        --year;
        month = 12;
    } else {
        --month;
    }
    return days_from_civil(year, month, 1) * nanos_per_day - std::int64_t{utc_offset_minutes} * nanos_per_minute;
}

AccountService::AccountService(Store& store, Engine engine, Metrics& metrics, ServiceLimits limits)
    : store_(store), engine_(std::move(engine)), metrics_(metrics), limits_(limits) {}

std::shared_ptr<AccountService::Entry> AccountService::entry(const std::string& account_id) {
    const std::lock_guard lock(cache_mutex_);
    const auto found = cache_.find(account_id);
    if (found != cache_.end()) {
        lru_.splice(lru_.begin(), lru_, found->second.second);
        return found->second.first;
    }
    lru_.push_front(account_id);
    auto made = std::make_shared<Entry>();
    cache_.emplace(account_id, std::pair{made, lru_.begin()});
    // An evicted entry still in use lives on with its holder; a second entry for the
    // same account is safe because every commit is checked against the store's cursor.
    while (cache_.size() > std::max<std::size_t>(limits_.cached_accounts_max, 1)) {
        cache_.erase(lru_.back());
        lru_.pop_back();
    }
    return made;
}

void AccountService::evict(const std::string& account_id, const Entry* which) {
    const std::lock_guard lock(cache_mutex_);
    const auto found = cache_.find(account_id);
    if (found == cache_.end() || found->second.first.get() != which) return;
    lru_.erase(found->second.second);
    cache_.erase(found);
}

std::size_t AccountService::cached_accounts() const {
    const std::lock_guard lock(cache_mutex_);
    return cache_.size();
}

std::optional<std::int64_t> AccountService::cached_checkpoint_at(const std::string& account_id) {
    const std::shared_ptr<Entry> e = entry(account_id);
    const std::lock_guard lock(e->mutex);
    return e->checkpoint_at_ns;
}

// What ingest reads from a body before the core checks it: the account, the
// projects and, per event, what the fast-path decision and the store need.
// Anything missing or malformed is left for the core to reject.
struct FragmentEvent {
    std::string id;
    std::optional<std::int64_t> at_ns;
    std::string session_key;
    bool first = false;         // the first event of its id within the body
    const nlohmann::json* value = nullptr;
};

struct AccountService::IngestAttempt {
    nlohmann::json document;
    std::string account_id;
    std::string header;
    std::vector<ProjectRow> projects;
    std::vector<FragmentEvent> events;
};

namespace {

std::string canonical(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether the body's brackets nest at most `depth_max` deep (strings skipped): a
// deeper body is left to the core, which rejects it without building a tree, while
// a general JSON parser would build millions of nested values first.
bool nesting_within(std::string_view text, int depth_max) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > depth_max) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

// The rejection of a body that does not even name its account: the core's
// errors for it (the single source of error texts).
Reply rejected_by_core(const Engine& engine, const std::string& body) {
    const Answer checked = engine.check(body);
    if (!checked.ok) return Reply{422, checked.json};
    return Reply{422, error_body(code::missing_field, "The document must name its account in account.id.", "/account/id")};
}

}  // namespace

Reply AccountService::ingest(std::string body) {
    // Ledger documents nest a few levels (events, provider usage); far deeper is no document.
    constexpr int nesting_max = 64;
    if (!nesting_within(body, nesting_max)) {
        metrics_.record_ingest(false, 0, 0);
        return rejected_by_core(engine_, body);
    }
    IngestAttempt attempt;
    attempt.document = nlohmann::json::parse(body, nullptr, false);
    const nlohmann::json& doc = attempt.document;
    const nlohmann::json* account = doc.is_object() && doc.contains("account") ? &doc["account"] : nullptr;
    if (account == nullptr || !account->is_object() || !account->contains("id") || !(*account)["id"].is_string()) {
        metrics_.record_ingest(false, 0, 0);
        return rejected_by_core(engine_, body);
    }
    attempt.account_id = (*account)["id"].get<std::string>();
    if (!valid_account_id(attempt.account_id)) {
        metrics_.record_ingest(false, 0, 0);
        return Reply{422, error_body("unsupported_account_id",
                                     "Account ids are 1 to 128 characters of A-Z a-z 0-9 . _ : ~ - on this server.",
                                     "/account/id")};
    }
    attempt.header = canonical(*account);
    const auto events = doc.find("events");
    if (events != doc.end() && events->is_array() && events->size() > limits_.batch_events_max) {
        return Reply{413, error_body(code::too_many_events,
                                     "A batch holds at most " + std::to_string(limits_.batch_events_max) + " events.",
                                     "/events")};
    }
    if (const auto projects = doc.find("projects"); projects != doc.end() && projects->is_array()) {
        for (const nlohmann::json& project : *projects) {
            if (project.is_object() && project.contains("id") && project["id"].is_string()) {
                attempt.projects.push_back(ProjectRow{project["id"].get<std::string>(), canonical(project)});
            }
        }
    }
    if (events != doc.end() && events->is_array()) {
        std::unordered_set<std::string> seen;
        for (const nlohmann::json& event : *events) {
            FragmentEvent fe;
            fe.value = &event;
            if (event.is_object()) {
                if (const auto id = event.find("id"); id != event.end() && id->is_string()) fe.id = id->get<std::string>();
                if (const auto at = event.find("at"); at != event.end() && at->is_string()) {
                    if (const auto instant = parse_instant(at->get_ref<const std::string&>())) fe.at_ns = instant->ns;
                }
                fe.session_key = session_key_of(event);
            }
            fe.first = seen.insert(fe.id).second;
            attempt.events.push_back(std::move(fe));
        }
    }
    return ingest_with_retries(attempt, body);
}

Reply AccountService::ingest_with_retries(const IngestAttempt& attempt, const std::string& body) {
    // A stale cursor means another writer committed first: catch up and check again.
    constexpr int attempts_max = 3;
    for (int tries = 0; tries < attempts_max; ++tries) {
        const std::shared_ptr<Entry> e = entry(attempt.account_id);
        const std::lock_guard lock(e->mutex);
        try {
            std::optional<Reply> reply = ingest_once(*e, attempt.account_id, body, attempt);
            if (!reply) continue;
            if (reply->status == 200) notify(attempt.account_id);
            return *reply;
        } catch (const StoreError&) {
            e->reset();  // memory may be ahead of the database
            evict(attempt.account_id, e.get());
            return Reply{503, error_body("database_unavailable", "The database did not answer; nothing was stored.")};
        } catch (...) {
            e->reset();
            evict(attempt.account_id, e.get());
            throw;
        }
    }
    return Reply{503, error_body("overloaded", "Other writers kept moving the account on; nothing was stored. Try again.")};
}

// Whether the checkpointed ledger can judge the batch alone: nothing in it is
// dated before the checkpoint, repeats an event from before it, or names a
// session the checkpoint forgot (docs/checkpoint-format.md).
bool AccountService::fast_path_holds(const Entry& e, const IngestAttempt& attempt,
                                     const std::vector<StoredEvent>& stored) {
    if (!e.checkpoint_at_ns) return true;
    const std::int64_t s_ns = *e.checkpoint_at_ns;
    for (const FragmentEvent& fe : attempt.events) {
        if (!fe.at_ns || *fe.at_ns < s_ns) return false;
    }
    for (const StoredEvent& event : stored) {
        if (event.at_ns < s_ns) return false;
    }
    std::unordered_set<std::string> known;  // the sessions the checkpointed ledger still has
    bool known_built = false;
    for (const FragmentEvent& fe : attempt.events) {
        if (fe.session_key.empty() || !fe.first) continue;
        if (!known_built) {
            const Ledger& l = e.ledger->ledger();
            for (const Session& session : l.sessions) {
                known.insert(session_key(l.projects[session.project].id, l.tasks[session.task].task_id,
                                         session.session_id));
            }
            known_built = true;
        }
        if (known.count(fe.session_key) == 0 && store_.session_seen_before(attempt.account_id, fe.session_key, s_ns)) {
            return false;
        }
    }
    return true;
}

std::optional<Reply> AccountService::ingest_once(Entry& e, const std::string& account_id, const std::string& body,
                                                 const IngestAttempt& attempt) {
    const std::optional<AccountRow> row = store_.account(account_id);
    if (!row) return ingest_new_account(e, body, attempt);
    sync(e, *row);
    std::vector<std::string> ids;
    ids.reserve(attempt.events.size());
    for (const FragmentEvent& fe : attempt.events) {
        if (fe.first && !fe.id.empty()) ids.push_back(fe.id);
    }
    const std::vector<StoredEvent> stored = ids.empty() ? std::vector<StoredEvent>{} : store_.find_events(account_id, ids);
    if (stored_past_cursor(stored, e.cursor)) {  // another writer committed since sync: check again
        e.reset();
        return std::nullopt;
    }
    std::optional<LoadedLedger> whole;
    if (!fast_path_holds(e, attempt, stored)) {
        std::int64_t whole_cursor = 0;
        whole = load_whole(*row, &whole_cursor);
        if (whole_cursor != e.cursor) {  // the store moved between the two reads
            e.reset();
            return std::nullopt;
        }
    }
    LoadedLedger& target = whole ? *whole : *e.ledger;
    const Answer answer = target.append(body);
    if (!answer.ok) {
        metrics_.record_ingest(false, 0, 0);
        return Reply{422, answer.json};
    }
    return commit(e, account_id, attempt, stored, answer, std::move(whole));
}

std::optional<Reply> AccountService::commit(Entry& e, const std::string& account_id, const IngestAttempt& attempt,
                                            const std::vector<StoredEvent>& stored, const Answer& answer,
                                            std::optional<LoadedLedger> whole) {
    const auto counts = append_counts(answer.json);
    std::unordered_set<std::string> stored_ids;
    for (const StoredEvent& event : stored) stored_ids.insert(event.event_id);
    Batch batch;
    batch.account_id = account_id;
    batch.expected_last_seq = e.cursor;
    bool late = false;
    for (const FragmentEvent& fe : attempt.events) {
        if (!fe.first || stored_ids.count(fe.id) != 0) continue;
        if (fe.id.empty() || !fe.at_ns) throw std::logic_error("the core accepted an event without an id or instant");
        late = late || (e.checkpoint_at_ns && *fe.at_ns < *e.checkpoint_at_ns);
        batch.new_events.push_back(NewEvent{fe.id, *fe.at_ns, fe.session_key, canonical(*fe.value)});
    }
    if (!counts || counts->first != static_cast<std::int64_t>(batch.new_events.size())) {
        // The server and the core disagree on what is new: store nothing, forget the
        // (appended) entry, and say so rather than store a wrong history.
        e.reset();
        return Reply{500, error_body(code::internal_error, "The server could not tell the batch's new events; nothing was stored.")};
    }
    std::unordered_set<std::string> stored_projects;
    for (const ProjectRow& project : store_.projects(account_id)) stored_projects.insert(project.project_id);
    for (const ProjectRow& project : attempt.projects) {
        if (stored_projects.insert(project.project_id).second) batch.new_projects.push_back(project);
    }
    if (batch.new_events.empty() && batch.new_projects.empty()) {
        // Nothing new (every event a repeat): nothing to store. The fast path's ledger
        // counted the repeats (see refresh_after_commit) and is dropped, to be loaded
        // again when next used; the slow path did not touch the entry.
        Reply reply{200, "{\"accepted\":0,\"duplicates_ignored\":" + std::to_string(counts->second) +
                             ",\"cursor\":" + std::to_string(e.cursor) + "}"};
        if (!whole && counts->second > 0) e.reset();
        metrics_.record_ingest(true, counts->first, counts->second);
        return reply;
    }
    const std::optional<std::int64_t> moved = store_.append(batch);
    if (!moved) {
        e.reset();
        return std::nullopt;
    }
    const std::int64_t cursor = *moved;
    metrics_.record_ingest(true, counts->first, counts->second);
    if (counts->second > 0) {
        refresh_after_commit(e, account_id);
    } else {
        if (!whole) e.cursor = cursor;
        checkpoint_after_commit(e, account_id, std::move(whole), cursor, late);
    }
    return Reply{200, "{\"accepted\":" + std::to_string(counts->first) +
                          ",\"duplicates_ignored\":" + std::to_string(counts->second) +
                          ",\"cursor\":" + std::to_string(cursor) + "}"};
}

// The core counts a batch's repeats in the loaded ledger (a report's
// "duplicates_ignored"), but the store keeps none of them: the stored account's
// report, the CLI's of its export, says 0. So after a batch with repeats the entry
// is loaded again from the store -- which also re-derives the checkpoint if the
// batch was late -- and a checkpoint written from it never carries them. Should
// that fail, the entry is dropped and loaded when next used: the batch is committed.
void AccountService::refresh_after_commit(Entry& e, const std::string& account_id) {
    try {
        const std::optional<AccountRow> row = store_.account(account_id);
        e.reset();
        if (!row) return;
        reload(e, *row);
        checkpoint_after_commit(e, account_id, std::nullopt, e.cursor, false);
    } catch (const std::exception&) {
        e.reset();
    }
}

std::optional<Reply> AccountService::ingest_new_account(Entry& e, const std::string& body, const IngestAttempt& attempt) {
    // The store keeps events, never a checkpoint's summary of the ones before it: a
    // checkpointed document as the first batch would lose that history. It is refused as
    // the core refuses a checkpoint in a fragment, which every later batch is.
    if (attempt.document.is_object() && attempt.document.contains("checkpoint")) {
        metrics_.record_ingest(false, 0, 0);
        return Reply{422, error_body(code::unknown_field, message::fragment_checkpoint, "/checkpoint")};
    }
    std::string errors;
    std::optional<LoadedLedger> loaded = engine_.load(std::string(body), &errors);
    if (!loaded) {
        metrics_.record_ingest(false, 0, 0);
        return Reply{422, errors};
    }
    Batch batch;
    batch.account_id = attempt.account_id;
    batch.header = attempt.header;
    batch.new_projects = attempt.projects;
    for (const FragmentEvent& fe : attempt.events) {
        if (!fe.first) continue;
        if (fe.id.empty() || !fe.at_ns) throw std::logic_error("the core accepted an event without an id or instant");
        batch.new_events.push_back(NewEvent{fe.id, *fe.at_ns, fe.session_key, canonical(*fe.value)});
    }
    const auto accepted = static_cast<std::int64_t>(batch.new_events.size());
    const auto duplicates = static_cast<std::int64_t>(loaded->ledger().duplicates_ignored);
    if (accepted + duplicates != static_cast<std::int64_t>(attempt.events.size())) {
        e.reset();
        return Reply{500, error_body(code::internal_error, "The server could not tell the batch's new events; nothing was stored.")};
    }
    const std::optional<std::int64_t> cursor = store_.append(batch);
    if (!cursor) {  // another writer created the account first: check against it
        e.reset();
        return std::nullopt;
    }
    e.ledger = std::move(loaded);
    e.checkpoint_at_ns.reset();
    e.cursor = *cursor;
    metrics_.record_ingest(true, accepted, duplicates);
    if (duplicates > 0) {
        refresh_after_commit(e, attempt.account_id);
    } else {
        checkpoint_after_commit(e, attempt.account_id, std::nullopt, *cursor, false);
    }
    return Reply{200, "{\"accepted\":" + std::to_string(accepted) + ",\"duplicates_ignored\":" +
                          std::to_string(duplicates) + ",\"cursor\":" + std::to_string(*cursor) + "}"};
}

}  // namespace credits::server
