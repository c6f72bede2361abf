// A checkpointed document's `checkpoint` member (docs/checkpoint-format.md):
// the account's state just before an instant S, read as strictly as an event
// and checked for figures that agree with each other, into Ledger::checkpoint
// and the ledger's records (grants, failed billings, the tasks cancelled and
// the sessions open or completed before S), so that the events after S are
// read against it as they would be against the whole history. Everything here
// runs once per document, from finish(): a document without a checkpoint
// pays nothing per event.
#include <algorithm>
#include <cassert>
#include <string>
#include <tuple>
#include <utility>

#include "attributes.h"
#include "credits/forecast.h"
#include "credits/json_writer.h"
#include "ledger/builder.h"

namespace credits::ledger_reading {
namespace {

// Sums of many counts (a grant's figures, a list's tokens): each count is at
// most 2^53 - 1, so a sum of up to 2^64 of them fits.
__extension__ using Wide = __int128;

constexpr std::string_view checkpoint_format = "easycoda.checkpoint/1";

std::string tokens_text(Wide tokens) {
    // Sums compared here stay far below 2^127; printed exactly in decimal.
    if (tokens >= INT64_MIN && tokens <= INT64_MAX) return std::to_string(static_cast<std::int64_t>(tokens));
    std::string digits;
    const bool negative = tokens < 0;
    for (Wide v = negative ? -tokens : tokens; v > 0; v /= 10) digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    return (negative ? "-" : "") + digits;
}

std::optional<GrantSource> source_named(std::string_view name) {
    for (const GrantSource s : {GrantSource::signup, GrantSource::promotion, GrantSource::plan, GrantSource::purchase})
        if (grant_source_name(s) == name) return s;
    return std::nullopt;
}

}  // namespace

// The reading of one checkpoint member, with the builder's state it fills.
class CheckpointReader {
public:
    CheckpointReader(LedgerBuilder& builder, Checkpoint& checkpoint)
        : b_(builder), cp_(checkpoint), errors_(builder.errors_) {}

    void read(const Json& object);

private:
    void read_figures(ObjectReader& r);
    std::optional<GrantRecord> read_grant(ObjectReader& r, const Json& value, GrantOpening& opening);
    bool check_grant(ObjectReader& r, const GrantRecord& grant, const GrantOpening& opening);
    void read_failed_billings(ObjectReader& r);
    void read_cancelled_tasks(ObjectReader& r);
    void read_open_sessions(ObjectReader& r);
    bool read_days(ObjectReader& r, std::uint32_t project, std::uint32_t session, Wide& tokens);
    void read_completed_sessions(ObjectReader& r);
    bool read_allocations(ObjectReader& r, std::int64_t completed_at_ns, Wide& tokens);
    void read_recent_completions(ObjectReader& r);
    void read_usage(ObjectReader& r);
    void check_account();

    // The items of a required array member, each an object (others reported).
    template <typename Visit>
    void each_item(ObjectReader& r, std::string_view key, const Visit& visit);
    void inconsistent(const std::string& pointer, std::string message) {
        errors_.add(code::checkpoint_inconsistent, std::nullopt, pointer, std::move(message));
    }
    // An instant of the state: at or after the opening and before S.
    bool dated(ObjectReader& r, std::string_view key, std::int64_t ns);
    // An event id the checkpoint holds: once in the whole checkpoint.
    bool claim_id(const std::string& id, const std::string& pointer);
    // The project an item names: (interned, listed) indices, or nullopt (reported).
    std::optional<std::pair<std::uint32_t, std::uint32_t>> project(ObjectReader& r);
    // The (project, task[, session]) key of an item, in byte order of its parts.
    struct Key {
        std::string project_id, task_id, session_id;
        friend bool operator<(const Key& a, const Key& b) {
            return std::tie(a.project_id, a.task_id, a.session_id) < std::tie(b.project_id, b.task_id, b.session_id);
        }
    };
    std::optional<Key> read_key(ObjectReader& r, bool with_session);
    bool in_order(const std::optional<Key>& previous, const Key& key, const std::string& where, std::string_view list);

    LedgerBuilder& b_;
    Checkpoint& cp_;
    ErrorList& errors_;
    std::optional<std::int64_t> opened_at_ns_;
    bool instants_known_ = false;       // S and the opening read, and in order
    std::size_t ids_claimed_ = 0;
    std::vector<Key> cancelled_keys_;   // sorted (the list's order is checked)
    std::vector<std::int64_t> cancelled_at_ns_;  // parallel to cancelled_keys_
    std::vector<Key> open_keys_;        // sorted, likewise
    std::vector<GrantRecord> grants_;   // the checkpoint's grants, in its (canonical) order
    Wide granted_tokens_ = 0;
    Wide used_tokens_ = 0;
    Wide remaining_tokens_ = 0;
    Wide session_hit_tokens_ = 0;       // cache hits of open sessions and recent completions
    Wide completed_charged_tokens_ = 0;
};

template <typename Visit>
void CheckpointReader::each_item(ObjectReader& r, std::string_view key, const Visit& visit) {
    const Json* list = r.get(key, true);
    if (list == nullptr) return;
    const std::string where = r.member_pointer(key);
    if (!list->is_array()) {
        r.add_error(code::wrong_type, where, "\"" + std::string(key) + "\" must be an array, found " + describe_type(*list) + ".");
        return;
    }
    // Bounded by the document's size (LedgerLimits::document_bytes_max).
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string item_pointer = pointer_join(where, i);
        const Json& item = (*list)[i];
        if (!item.is_object()) {
            errors_.add(code::wrong_type, std::nullopt, item_pointer,
                        "An item of \"" + std::string(key) + "\" must be an object, found " + describe_type(item) + ".");
            continue;
        }
        ObjectReader item_reader(item, item_pointer, std::nullopt, errors_);
        visit(item_reader, item);
    }
}

bool CheckpointReader::dated(ObjectReader& r, std::string_view key, std::int64_t ns) {
    if (!instants_known_) return true;  // S or the opening did not read: reported already
    if (ns < *opened_at_ns_ || ns >= cp_.at_ns) {
        inconsistent(r.member_pointer(key), "\"" + std::string(key) + "\" (" + format_instant(ns) +
                                                ") must lie between the account's opening (" + format_instant(*opened_at_ns_) +
                                                ") and the checkpoint's instant (" + format_instant(cp_.at_ns) +
                                                "), which it does not include.");
        return false;
    }
    return true;
}

bool CheckpointReader::claim_id(const std::string& id, const std::string& pointer) {
    const std::string_view kept = b_.arena_.keep(id);
    assert(b_.checkpoint_id_pointers_.size() < no_index);
    const auto [first, inserted] =
        b_.checkpoint_ids_.try_emplace(0, kept, static_cast<std::uint32_t>(b_.checkpoint_id_pointers_.size()));
    if (!inserted) {
        inconsistent(pointer, "The event id \"" + excerpt(id) + "\" appears twice in the checkpoint (also at " +
                                  b_.checkpoint_id_pointers_[first] + "); each summarized event has its own id.");
        return false;
    }
    b_.checkpoint_id_pointers_.push_back(pointer);
    ++ids_claimed_;
    return true;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> CheckpointReader::project(ObjectReader& r) {
    const std::optional<std::string> id = r.id("project_id", true);
    if (!id) return std::nullopt;
    const std::uint32_t listed = b_.ledger_.find_project(*id);
    if (listed == no_index) {
        r.add_error(code::unknown_project, r.member_pointer("project_id"),
                    "The project \"" + excerpt(*id) + "\" is not listed in \"projects\".");
        return std::nullopt;
    }
    // Interned like an event's project, so the tail's tasks and sessions find
    // the same ones; a listed project never becomes an unknown_project error.
    return std::pair{b_.intern_project(*id, EventRef{}), listed};
}

std::optional<CheckpointReader::Key> CheckpointReader::read_key(ObjectReader& r, bool with_session) {
    const auto project_id = r.id("project_id", true);
    const auto task_id = r.id("task_id", true);
    const auto session_id = with_session ? r.id("session_id", true) : std::optional<std::string>("");
    if (!project_id || !task_id || !session_id) return std::nullopt;
    return Key{*project_id, *task_id, *session_id};
}

bool CheckpointReader::in_order(const std::optional<Key>& previous, const Key& key, const std::string& where,
                                std::string_view list) {
    if (!previous || *previous < key) return true;
    inconsistent(where, std::string(key < *previous ? "This item comes out of order: " : "This item repeats the key before it: ") +
                            "\"" + std::string(list) + "\" is sorted by project_id, task_id" +
                            (list == "cancelled_tasks" ? "" : ", session_id") + " in byte order, each key once.");
    return false;
}

CREDITS_COLD void CheckpointReader::read(const Json& object) {
    ObjectReader r(object, "/checkpoint", std::nullopt, errors_);
    r.reject_unknown({"format", "at", "opened_at", "events", "duplicates_ignored", "charged_tokens", "overdraft_tokens",
                      "grants", "failed_billings", "cancelled_tasks", "open_sessions", "completed_sessions",
                      "recent_completions", "usage"});
    read_figures(r);
    each_item(r, "grants", [&](ObjectReader& item, const Json& value) {
        GrantOpening opening;
        if (std::optional<GrantRecord> grant = read_grant(item, value, opening)) {
            grants_.push_back(*grant);
            b_.ledger_.grants.push_back(std::move(*grant));
            cp_.grants.push_back(opening);
        }
    });
    // The grants are in canonical order (checked), all before S, and every
    // grant of the tail is at or after S: after build_actions sorts
    // Ledger::grants they are its first grants, in this order, so an index
    // into the checkpoint's grants is an index into Ledger::grants.
    read_failed_billings(r);
    read_cancelled_tasks(r);
    read_open_sessions(r);
    read_completed_sessions(r);
    read_recent_completions(r);
    read_usage(r);
    check_account();
    sort_cold(cp_.usage, [](const HistoryUsage& a, const HistoryUsage& c) {
        return std::tie(a.at_ns, a.project, a.session) < std::tie(c.at_ns, c.project, c.session);
    });
}

void CheckpointReader::read_figures(ObjectReader& r) {
    if (const auto format = r.string("format", true, 64); format && *format != checkpoint_format) {
        r.add_error(code::unsupported_format, "/checkpoint/format",
                    "The checkpoint format \"" + excerpt(*format) + "\" is not supported; expected \"" +
                        std::string(checkpoint_format) + "\".");
    }
    const std::optional<Instant> at = r.instant("at", true);
    const std::optional<Instant> opened_at = r.instant("opened_at", true);
    if (at) cp_.at_ns = at->ns;
    if (opened_at) {
        opened_at_ns_ = opened_at->ns;
        b_.checkpoint_opened_at_ns_ = opened_at->ns;
    }
    if (at && opened_at) {
        if (opened_at->ns < at->ns) {
            instants_known_ = true;
        } else {
            inconsistent("/checkpoint/opened_at", "The account's opening (" + format_instant(opened_at->ns) +
                                                      ") must come before the checkpoint's instant (" + format_instant(at->ns) + ").");
        }
    }
    cp_.events = r.count("events", true).value_or(0);
    b_.ledger_.duplicates_ignored += static_cast<std::size_t>(r.count("duplicates_ignored", true).value_or(0));
    cp_.charged_tokens = r.count("charged_tokens", true).value_or(0);
    cp_.overdraft_tokens = r.count("overdraft_tokens", true).value_or(0);
}

std::optional<GrantRecord> CheckpointReader::read_grant(ObjectReader& r, const Json& value, GrantOpening& opening) {
    r.reject_unknown({"id", "source", "granted_at", "expires_at", "granted_tokens", "used_tokens", "expired_tokens",
                      "remaining_tokens", "plan", "pack", "reason", "period_start", "period_end"});
    const auto id = r.id("id", true);
    const auto source_text = r.string("source", true, 32);
    const auto granted_at = r.instant("granted_at", true);
    // `expires_at` is always written: null for a grant that never expires.
    const Json* expires_value = nullptr;
    if (const auto it = value.find("expires_at"); it != value.end()) {
        expires_value = &*it;
    } else {
        r.add_error(code::missing_field, r.member_pointer("expires_at"),
                    "The required field \"expires_at\" is missing (null for a grant that never expires).");
    }
    const bool expires_given = expires_value != nullptr && !expires_value->is_null();
    std::optional<Instant> expires_at;
    if (expires_given) expires_at = r.instant("expires_at", true);
    const auto granted = r.count("granted_tokens", true);
    const auto used = r.count("used_tokens", true);
    const auto expired = r.count("expired_tokens", true);
    const auto remaining = r.count("remaining_tokens", true);
    GrantRecord grant;
    grant.plan = r.id("plan", false);
    grant.pack = r.id("pack", false);
    grant.reason = r.string("reason", false, spec_of(Member::reason).bytes_max);
    const auto period_start = r.instant("period_start", false);
    const auto period_end = r.instant("period_end", false);
    std::optional<GrantSource> source;
    if (source_text) {
        source = source_named(*source_text);
        if (!source)
            r.add_error(code::invalid_value, r.member_pointer("source"),
                        "\"source\" must be \"signup\", \"promotion\", \"plan\" or \"purchase\"; found \"" + excerpt(*source_text) + "\".");
    }
    if (!id || !source || !granted_at || !granted || !used || !expired || !remaining || expires_value == nullptr ||
        (expires_given && !expires_at))
        return std::nullopt;
    if (grant.plan && b_.catalog_.find_plan(*grant.plan) == nullptr) {
        r.add_error(code::unknown_plan, r.member_pointer("plan"), "The plan \"" + excerpt(*grant.plan) + "\" is not in the catalog.");
        return std::nullopt;
    }
    grant.id = *id;
    grant.source = *source;
    grant.granted_at_ns = granted_at->ns;
    grant.expires_at_ns = expires_at ? expires_at->ns : instant_never_ns;
    grant.tokens = *granted;
    if (period_start) grant.period_start_ns = period_start->ns;
    if (period_end) grant.period_end_ns = period_end->ns;
    opening = GrantOpening{*used, *expired, *remaining};
    if (!check_grant(r, grant, opening)) return std::nullopt;
    b_.add_to_amount_sum(grant.tokens);
    granted_tokens_ += grant.tokens;
    used_tokens_ += opening.used_tokens;
    remaining_tokens_ += opening.remaining_tokens;
    return grant;
}

// The grant's own figures: its members fit its source (as the event that
// made it would have them), it conserves, and it is in canonical order.
bool CheckpointReader::check_grant(ObjectReader& r, const GrantRecord& g, const GrantOpening& o) {
    const std::string source(grant_source_name(g.source));
    const bool is_plan = g.source == GrantSource::plan;
    const auto misfit = [&](std::string_view key, std::string why) {
        inconsistent(r.member_pointer(key), "A " + source + " grant " + why);
        return false;
    };
    if (is_plan != g.plan.has_value()) return misfit("plan", is_plan ? "names its plan." : "has no plan.");
    if (is_plan != g.period_start_ns.has_value()) return misfit("period_start", is_plan ? "has a billing period_start." : "has no billing period.");
    if (is_plan != g.period_end_ns.has_value()) return misfit("period_end", is_plan ? "has a billing period_end." : "has no billing period.");
    if (g.pack && g.source != GrantSource::purchase) return misfit("pack", "has no pack: only purchases do.");
    if (g.reason && g.source != GrantSource::promotion) return misfit("reason", "has no reason: only promotions do.");
    if (g.expires() && (g.source == GrantSource::signup || g.source == GrantSource::purchase))
        return misfit("expires_at", "never expires.");
    if (is_plan && g.expires_at_ns != *g.period_end_ns)
        return misfit("expires_at", "expires at the end of its billing period (" + format_instant(*g.period_end_ns) + ").");
    if (g.expires() && g.expires_at_ns <= g.granted_at_ns) return misfit("expires_at", "expires after it was granted.");
    if (is_plan && *g.period_end_ns <= *g.period_start_ns) return misfit("period_end", "has a period_end after its period_start.");
    if (!dated(r, "granted_at", g.granted_at_ns) || !claim_id(g.id, r.member_pointer("id"))) return false;
    if (instants_known_ && g.source == GrantSource::signup && g.granted_at_ns != *opened_at_ns_)
        return misfit("granted_at", "is granted when the account opens (" + format_instant(*opened_at_ns_) + ").");
    const Wide sum = Wide{o.used_tokens} + o.expired_tokens + o.remaining_tokens;
    if (sum != g.tokens)
        return misfit("granted_tokens", "conserves its tokens: granted " + std::to_string(g.tokens) + " must equal used " +
                                            std::to_string(o.used_tokens) + " + expired " + std::to_string(o.expired_tokens) +
                                            " + remaining " + std::to_string(o.remaining_tokens) + " = " + tokens_text(sum) + ".");
    if (g.expires_at_ns < cp_.at_ns && o.remaining_tokens != 0)
        return misfit("remaining_tokens", "that expired at " + format_instant(g.expires_at_ns) +
                                              ", before the checkpoint, has nothing remaining; found " +
                                              std::to_string(o.remaining_tokens) + " tokens.");
    if (g.expires_at_ns >= cp_.at_ns && o.expired_tokens != 0)
        return misfit("expired_tokens", "that has not expired by the checkpoint has expired nothing yet; found " +
                                            std::to_string(o.expired_tokens) + " tokens.");
    if (!grants_.empty()) {
        const GrantRecord& p = grants_.back();
        if (std::tie(p.granted_at_ns, p.id) >= std::tie(g.granted_at_ns, g.id)) {
            inconsistent(r.pointer(), "This grant comes out of order: \"grants\" is sorted by granted_at, then id.");
            return false;
        }
    }
    return true;
}

void CheckpointReader::read_failed_billings(ObjectReader& r) {
    std::optional<std::pair<std::int64_t, std::string>> previous;
    each_item(r, "failed_billings", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"id", "at", "plan", "period_start", "period_end"});
        const auto id = item.id("id", true);
        const auto at = item.instant("at", true);
        const auto plan = item.id("plan", true);
        const auto start = item.instant("period_start", true);
        const auto end = item.instant("period_end", true);
        if (!id || !at || !plan || !start || !end) return;
        if (b_.catalog_.find_plan(*plan) == nullptr) {
            item.add_error(code::unknown_plan, item.member_pointer("plan"), "The plan \"" + excerpt(*plan) + "\" is not in the catalog.");
            return;
        }
        if (end->ns <= at->ns || end->ns <= start->ns) {
            inconsistent(item.member_pointer("period_end"), "A failed billing's period_end (" + format_instant(end->ns) +
                                                                ") must come after its at and its period_start.");
            return;
        }
        if (!dated(item, "at", at->ns) || !claim_id(*id, item.member_pointer("id"))) return;
        if (previous && *previous >= std::pair{at->ns, *id}) {
            inconsistent(item.pointer(), "This failed billing comes out of order: \"failed_billings\" is sorted by at, then id.");
            return;
        }
        previous = std::pair{at->ns, *id};
        b_.ledger_.failed_billings.push_back(FailedBilling{*id, at->ns, *plan, start->ns, end->ns});
    });
}

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
            inconsistent(item.member_pointer("task_id"), "The session \"" + excerpt(key->session_id) + "\" cannot be open: its task \"" +
                                                             excerpt(key->task_id) + "\" is in \"cancelled_tasks\".");
            return;
        }
        const std::uint32_t session = b_.intern_session(b_.intern_task(projects->first, key->task_id), key->session_id);
        Wide day_tokens = 0;
        if (!read_days(item, projects->second, session, day_tokens)) return;
        if (day_tokens != Wide{*output} + *miss) {
            inconsistent(item.member_pointer("days"), "The session's output_tokens + input_cache_miss_tokens (" +
                                                          tokens_text(Wide{*output} + *miss) + ") must equal its days' tokens (" +
                                                          tokens_text(day_tokens) + ").");
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
    if (!r.get("days", false)) ok = false;
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
            inconsistent(item.pointer(), "The session \"" + excerpt(key->session_id) + "\" is listed as open and as completed.");
            return;
        }
        const Key task_key{key->project_id, key->task_id, ""};
        if (const auto it = std::lower_bound(cancelled_keys_.begin(), cancelled_keys_.end(), task_key);
            it != cancelled_keys_.end() && !(task_key < *it) &&
            at->ns > cancelled_at_ns_[static_cast<std::size_t>(it - cancelled_keys_.begin())]) {
            inconsistent(item.member_pointer("completed_at"), "The session \"" + excerpt(key->session_id) +
                                                                  "\" cannot complete after its task was cancelled at " +
                                                                  format_instant(cancelled_at_ns_[static_cast<std::size_t>(it - cancelled_keys_.begin())]) + ".");
            return;
        }
        if (Wide{*output} + *miss != *charged) {
            inconsistent(item.member_pointer("charged_tokens"), "A completion charges output_tokens + input_cache_miss_tokens (" +
                                                                    tokens_text(Wide{*output} + *miss) + "); found " + std::to_string(*charged) + ".");
            return;
        }
        const auto allocations_begin = static_cast<std::uint32_t>(cp_.allocations.size());
        Wide allocated = 0;
        if (!read_allocations(item, at->ns, allocated)) return;
        if (allocated + *overdraft != *charged) {
            inconsistent(item.member_pointer("allocations"), "The charge of " + std::to_string(*charged) +
                                                                 " tokens must equal its allocations (" + tokens_text(allocated) +
                                                                 ") + overdraft_tokens (" + std::to_string(*overdraft) + ").");
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
    bool ok = r.get("allocations", false) != nullptr;
    const std::size_t first = cp_.allocations.size();
    each_item(r, "allocations", [&](ObjectReader& item, const Json&) {
        item.reject_unknown({"grant_id", "tokens"});
        const auto grant_id = item.id("grant_id", true);
        const auto allocated = item.count("tokens", true);
        if (!grant_id || !allocated) {
            ok = false;
            return;
        }
        const auto it = std::find_if(grants_.begin(), grants_.end(), [&](const GrantRecord& g) { return g.id == *grant_id; });
        if (it == grants_.end() || it->granted_at_ns > completed_at_ns) {
            inconsistent(item.member_pointer("grant_id"), "The allocation names \"" + excerpt(*grant_id) + "\", which is not a grant of "
                                                          "the checkpoint made at or before the completion.");
            ok = false;
            return;
        }
        tokens += *allocated;
        cp_.allocations.push_back(HistoryAllocation{static_cast<std::uint32_t>(it - grants_.begin()), *allocated});
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
            inconsistent(item.member_pointer("at"), "A recent completion lies in the 30 days before the checkpoint, after " +
                                                        format_instant(cp_.at_ns - forecast_window_ns) + "; found " +
                                                        format_instant(at->ns) + ".");
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
        inconsistent("/checkpoint/recent_completions", "The recent completions charge " + tokens_text(charged) +
                                                           " tokens, more than the checkpoint's charged_tokens (" +
                                                           std::to_string(cp_.charged_tokens) + ").");
    }
    session_hit_tokens_ += hit;
}

void CheckpointReader::read_usage(ObjectReader& r) {
    Wide charged = 0;
    Wide cache_hit = 0;
    std::optional<std::pair<std::int64_t, std::string>> previous;  // (at, project_id)
    std::vector<std::pair<std::uint32_t, std::int64_t>> last_day;  // per listed project: its latest day (sorted rows)
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
        auto seen = std::find_if(last_day.begin(), last_day.end(), [&](const auto& p) { return p.first == projects->second; });
        if (seen != last_day.end() && seen->second == day) {
            inconsistent(item.pointer(), "\"usage\" holds one row per day (in the account's offset) and project; the day " +
                                             format_day(day) + " of \"" + excerpt(project_id) + "\" is listed twice.");
            return;
        }
        if (seen == last_day.end()) last_day.emplace_back(projects->second, day);
        else seen->second = day;
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
        inconsistent("/checkpoint/charged_tokens", "charged_tokens (" + std::to_string(cp_.charged_tokens) +
                                                       ") must equal the usage rows' charged tokens (" + tokens_text(charged) +
                                                       "): every charged token is on a day.");
    }
    if (session_hit_tokens_ > cache_hit) {
        inconsistent("/checkpoint/usage", "The open sessions and recent completions hold " + tokens_text(session_hit_tokens_) +
                                              " cache-hit tokens, more than the usage rows' cache_hit_tokens (" +
                                              tokens_text(cache_hit) + ").");
    }
}

void CheckpointReader::check_account() {
    const Wide charged = used_tokens_ + cp_.overdraft_tokens;
    if (charged != cp_.charged_tokens) {
        inconsistent("/checkpoint/charged_tokens", "charged_tokens (" + std::to_string(cp_.charged_tokens) +
                                                       ") must equal the grants' used tokens (" + tokens_text(used_tokens_) +
                                                       ") + overdraft_tokens (" + std::to_string(cp_.overdraft_tokens) + ").");
    }
    if (cp_.overdraft_tokens > 0 && remaining_tokens_ > 0) {
        inconsistent("/checkpoint/overdraft_tokens", "An overdraft of " + std::to_string(cp_.overdraft_tokens) +
                                                         " tokens is outstanding only while no grant has tokens remaining; the "
                                                         "grants have " + tokens_text(remaining_tokens_) + " remaining.");
    }
    if (completed_charged_tokens_ > cp_.charged_tokens) {
        inconsistent("/checkpoint/completed_sessions", "The completed sessions charge " + tokens_text(completed_charged_tokens_) +
                                                           " tokens, more than the checkpoint's charged_tokens (" +
                                                           std::to_string(cp_.charged_tokens) + ").");
    }
    for (const HistoryCharge& charge : cp_.charges) {
        if (charge.balance_tokens > granted_tokens_) {
            inconsistent("/checkpoint/completed_sessions", "A completed session's balance_tokens (" + std::to_string(charge.balance_tokens) +
                                                               ") is more than every grant of the checkpoint together (" +
                                                               tokens_text(granted_tokens_) + ").");
            break;
        }
    }
    if (static_cast<std::int64_t>(ids_claimed_) > cp_.events) {
        inconsistent("/checkpoint/events", "The checkpoint summarizes " + std::to_string(cp_.events) +
                                               " events but lists " + std::to_string(ids_claimed_) + " event ids.");
    }
}

CREDITS_COLD void LedgerBuilder::read_checkpoint(const Json& root) {
    ObjectReader reader(root, "", std::nullopt, errors_);
    const Json* object = reader.get("checkpoint", false);
    if (object == nullptr) return;
    checkpoint_given_ = true;
    if (!object->is_object()) {
        reader.add_error(code::wrong_type, "/checkpoint", "\"checkpoint\" must be an object, found " + describe_type(*object) + ".");
        return;
    }
    ledger_.checkpoint.emplace();
    CheckpointReader(*this, *ledger_.checkpoint).read(*object);
}

// The events after the checkpoint, checked against it as against the whole
// history: none dated before S, none with an id the checkpoint holds, and no
// second opening (the checkpoint's `opened_at` is the account's opening).
CREDITS_COLD void LedgerBuilder::check_against_checkpoint() {
    for (const EventRef& opening : openings_) {
        errors_.add(code::duplicate_account_opened, std::string(opening.event_id), event_pointer(opening.document_index) + "/type",
                    "The account is opened once; the checkpoint already holds its opening" +
                        (checkpoint_opened_at_ns_ ? " at " + format_instant(*checkpoint_opened_at_ns_) : std::string()) + ".");
    }
    if (checkpoint_opened_at_ns_) ledger_.opened_at_ns = *checkpoint_opened_at_ns_;
    if (!ledger_.checkpoint) return;
    const std::int64_t s_ns = ledger_.checkpoint->at_ns;
    const bool any_ids = !checkpoint_id_pointers_.empty();
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < s_ns) {
            errors_.add(code::before_checkpoint, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        "This event is dated " + format_instant(at_ns) + ", before the checkpoint's instant " +
                            format_instant(s_ns) + ": the checkpoint already sums up everything before it.");
        }
        if (!any_ids) continue;
        if (const std::uint32_t* held = checkpoint_ids_.find(0, ref.event_id)) {
            errors_.add(code::duplicate_id_conflict, std::string(ref.event_id), event_pointer(ref.document_index),
                        "The event id \"" + excerpt(ref.event_id) + "\" is already used by an event the checkpoint holds (" +
                            checkpoint_id_pointers_[*held] + ").");
        }
    }
}

}  // namespace credits::ledger_reading
