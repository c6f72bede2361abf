// A checkpointed document's `checkpoint` member (docs/checkpoint-format.md):
// the account's state just before an instant S, read as strictly as an event
// and checked for figures that agree with each other, into Ledger::checkpoint
// and the ledger's records (grants, failed billings, the tasks cancelled and
// the sessions open or completed before S), so that the events after S are
// read against it as they would be against the whole history. Everything here
// runs once per document, from finish(): a document without a checkpoint
// pays nothing per event.
#include "ledger/checkpoint_reader.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "attributes.h"
#include "credits/json_writer.h"

namespace credits::ledger_reading {
namespace {

constexpr std::string_view checkpoint_format = "easycoda.checkpoint/1";

std::optional<GrantSource> source_named(std::string_view name) {
    for (const GrantSource s : {GrantSource::signup, GrantSource::promotion, GrantSource::plan, GrantSource::purchase})
        if (grant_source_name(s) == name) return s;
    return std::nullopt;
}

}  // namespace

namespace {

// A sum in decimal (sums compared here stay far below 2^127).
void append_decimal(std::string& out, Wide tokens) {
    if (tokens >= INT64_MIN && tokens <= INT64_MAX) {
        out += std::to_string(static_cast<std::int64_t>(tokens));
        return;
    }
    std::string digits;
    const bool negative = tokens < 0;
    for (Wide v = negative ? -tokens : tokens; v > 0; v /= 10)
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    if (negative) out += '-';
    out += digits;
}

}  // namespace

CREDITS_COLD std::string sentence(std::initializer_list<Piece> pieces) {
    std::string out;
    for (const Piece& piece : pieces) {
        switch (piece.kind_) {
            case Piece::Kind::text: out += piece.text_; break;
            case Piece::Kind::figure: append_decimal(out, piece.number_); break;
            case Piece::Kind::instant: out += format_instant(static_cast<std::int64_t>(piece.number_)); break;
            case Piece::Kind::quoted: out += excerpt(piece.text_); break;
        }
    }
    return out;
}

bool CheckpointReader::dated(ObjectReader& r, std::string_view key, std::int64_t ns) {
    if (!instants_known_) return true;  // S or the opening did not read: reported already
    if (ns < *opened_at_ns_ || ns >= cp_.at_ns) {
        inconsistent(r.member_pointer(key),
                     sentence({"\"", key, "\" (", when(ns), ") must lie between the account's opening (", when(*opened_at_ns_),
                               ") and the checkpoint's instant (", when(cp_.at_ns), "), which it does not include."}));
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
        inconsistent(pointer, sentence({"The event id \"", quote(id), "\" appears twice in the checkpoint (also at ",
                                        b_.checkpoint_id_pointers_[first], "); each summarized event has its own id."}));
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
                    sentence({"The project \"", quote(*id), "\" is not listed in \"projects\"."}));
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
    inconsistent(where, sentence({key < *previous ? "This item comes out of order: " : "This item repeats the key before it: ",
                                  "\"", list, "\" is sorted by project_id, task_id",
                                  (list == "cancelled_tasks" ? "" : ", session_id"), " in byte order, each key once."}));
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
            assert(grants_.size() < no_index);
            grant_positions_.try_emplace(0, b_.arena_.keep(grant->id), static_cast<std::uint32_t>(grants_.size()));
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
        r.add_error(
            code::unsupported_format, "/checkpoint/format",
            sentence({"The checkpoint format \"", quote(*format), "\" is not supported; expected \"", checkpoint_format, "\"."}));
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
            inconsistent("/checkpoint/opened_at",
                         sentence({"The account's opening (", when(opened_at->ns),
                                   ") must come before the checkpoint's instant (", when(at->ns), ")."}));
        }
    }
    cp_.events = r.count("events", true).value_or(0);
    // Counted in a size_t, 32 bits in the WebAssembly module: with the tail's
    // duplicates (at most events_max) the sum must fit there too.
    const std::int64_t duplicates = r.count("duplicates_ignored", true).value_or(0);
    const std::int64_t duplicates_max = std::int64_t{UINT32_MAX} - static_cast<std::int64_t>(b_.limits_.events_max);
    if (duplicates > duplicates_max) {
        inconsistent("/checkpoint/duplicates_ignored",
                     sentence({"duplicates_ignored (", figure(duplicates), ") is more than the engine counts: at most ",
                               figure(duplicates_max), "."}));
    } else {
        b_.ledger_.duplicates_ignored += static_cast<std::size_t>(duplicates);
    }
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
                        sentence({"\"source\" must be \"signup\", \"promotion\", \"plan\" or \"purchase\"; found \"",
                                  quote(*source_text), "\"."}));
    }
    if (!id || !source || !granted_at || !granted || !used || !expired || !remaining || expires_value == nullptr ||
        (expires_given && !expires_at))
        return std::nullopt;
    if (grant.plan && b_.catalog_.find_plan(*grant.plan) == nullptr) {
        r.add_error(code::unknown_plan, r.member_pointer("plan"),
                    sentence({"The plan \"", quote(*grant.plan), "\" is not in the catalog."}));
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
        inconsistent(r.member_pointer(key), sentence({"A ", source, " grant ", why}));
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
        return misfit("expires_at", sentence({"expires at the end of its billing period (", when(*g.period_end_ns), ")."}));
    if (g.expires() && g.expires_at_ns <= g.granted_at_ns) return misfit("expires_at", "expires after it was granted.");
    if (is_plan && *g.period_end_ns <= *g.period_start_ns) return misfit("period_end", "has a period_end after its period_start.");
    if (!dated(r, "granted_at", g.granted_at_ns) || !claim_id(g.id, r.member_pointer("id"))) return false;
    if (instants_known_ && g.source == GrantSource::signup && g.granted_at_ns != *opened_at_ns_)
        return misfit("granted_at", sentence({"is granted when the account opens (", when(*opened_at_ns_), ")."}));
    const Wide sum = Wide{o.used_tokens} + o.expired_tokens + o.remaining_tokens;
    if (sum != g.tokens)
        return misfit("granted_tokens", sentence({"conserves its tokens: granted ", figure(g.tokens), " must equal used ",
                                                  figure(o.used_tokens), " + expired ", figure(o.expired_tokens), " + remaining ",
                                                  figure(o.remaining_tokens), " = ", figure(sum), "."}));
    if (g.expires_at_ns < cp_.at_ns && o.remaining_tokens != 0)
        return misfit("remaining_tokens", sentence({"that expired at ", when(g.expires_at_ns),
                                                    ", before the checkpoint, has nothing remaining; found ",
                                                    figure(o.remaining_tokens), " tokens."}));
    if (g.expires_at_ns >= cp_.at_ns && o.expired_tokens != 0)
        return misfit("expired_tokens", sentence({"that has not expired by the checkpoint has expired nothing yet; found ",
                                                  figure(o.expired_tokens), " tokens."}));
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
            item.add_error(code::unknown_plan, item.member_pointer("plan"),
                           sentence({"The plan \"", quote(*plan), "\" is not in the catalog."}));
            return;
        }
        if (end->ns <= at->ns || end->ns <= start->ns) {
            inconsistent(item.member_pointer("period_end"), sentence({"A failed billing's period_end (", when(end->ns),
                                                                      ") must come after its at and its period_start."}));
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

void CheckpointReader::check_account() {
    const Wide charged = used_tokens_ + cp_.overdraft_tokens;
    if (charged != cp_.charged_tokens) {
        inconsistent("/checkpoint/charged_tokens",
                     sentence({"charged_tokens (", figure(cp_.charged_tokens), ") must equal the grants' used tokens (",
                               figure(used_tokens_), ") + overdraft_tokens (", figure(cp_.overdraft_tokens), ")."}));
    }
    if (cp_.overdraft_tokens > 0 && remaining_tokens_ > 0) {
        inconsistent("/checkpoint/overdraft_tokens",
                     sentence({"An overdraft of ", figure(cp_.overdraft_tokens),
                               " tokens is outstanding only while no grant has tokens remaining; the "
                               "grants have ",
                               figure(remaining_tokens_), " remaining."}));
    }
    if (completed_charged_tokens_ > cp_.charged_tokens) {
        inconsistent("/checkpoint/completed_sessions",
                     sentence({"The completed sessions charge ", figure(completed_charged_tokens_),
                               " tokens, more than the checkpoint's charged_tokens (", figure(cp_.charged_tokens), ")."}));
    }
    for (const HistoryCharge& charge : cp_.charges) {
        if (charge.balance_tokens > granted_tokens_) {
            inconsistent("/checkpoint/completed_sessions",
                         sentence({"A completed session's balance_tokens (", figure(charge.balance_tokens),
                                   ") is more than every grant of the checkpoint together (", figure(granted_tokens_), ")."}));
            break;
        }
    }
    if (static_cast<std::int64_t>(ids_claimed_) > cp_.events) {
        inconsistent("/checkpoint/events", sentence({"The checkpoint summarizes ", figure(cp_.events), " events but lists ",
                                                     figure(ids_claimed_), " event ids."}));
    }
}

CREDITS_COLD void LedgerBuilder::read_checkpoint(const Json& root) {
    ObjectReader reader(root, "", std::nullopt, errors_);
    const Json* object = reader.get("checkpoint", false);
    if (object == nullptr) return;
    checkpoint_given_ = true;
    if (!object->is_object()) {
        reader.add_error(code::wrong_type, "/checkpoint",
                         sentence({"\"checkpoint\" must be an object, found ", describe_type(*object), "."}));
        return;
    }
    ledger_.checkpoint.emplace();
    CheckpointReader(*this, *ledger_.checkpoint).read(*object);
}

// The events after the checkpoint, checked against it as against the whole
// history: none dated before S, none with an id the checkpoint holds, and no
// second opening (the checkpoint's `opened_at` is the account's opening).
CREDITS_COLD void LedgerBuilder::check_against_checkpoint() {
    if (!ledger_.checkpoint) return;  // not an object: reported, and nothing to check against
    const std::string opened = checkpoint_opened_at_ns_ ? sentence({" at ", when(*checkpoint_opened_at_ns_)}) : std::string();
    for (const EventRef& opening : openings_) {
        errors_.add(code::duplicate_account_opened, std::string(opening.event_id),
                    event_pointer(opening.document_index) + "/type",
                    sentence({"The account is opened once; the checkpoint already holds its opening", opened, "."}));
    }
    if (checkpoint_opened_at_ns_) ledger_.opened_at_ns = *checkpoint_opened_at_ns_;
    const std::int64_t s_ns = ledger_.checkpoint->at_ns;
    const bool any_ids = !checkpoint_id_pointers_.empty();
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < s_ns) {
            errors_.add(code::before_checkpoint, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        sentence({"This event is dated ", when(at_ns), ", before the checkpoint's instant ", when(s_ns),
                                  ": the checkpoint already sums up everything before it."}));
        }
        if (!any_ids) continue;
        if (const std::uint32_t* held = checkpoint_ids_.find(0, ref.event_id)) {
            errors_.add(code::duplicate_id_conflict, std::string(ref.event_id), event_pointer(ref.document_index),
                        sentence({"The event id \"", quote(ref.event_id), "\" is already used by an event the checkpoint holds (",
                                  checkpoint_id_pointers_[*held], ")."}));
        }
    }
}

}  // namespace credits::ledger_reading
