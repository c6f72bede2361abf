// Internal to the core: LedgerBuilder, the state shared by the ledger's two
// readers while they read one document. The strict reader (add_event, over
// nlohmann's DOM) and the fast reader (add_flat_event, over the bytes; see
// fast_reader.cpp) decode each event with the same code (grants.cpp,
// usage.cpp, sessions.cpp, templated over the reader) into one of the
// *Input values below, and the builder applies it the same way for both.
// Once every event is read, finish() reads the header (header.cpp), runs the
// document-wide checks (checks.cpp, sessions.cpp) and puts the ledger in
// application order (order.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "credits/documents.h"
#include "credits/errors.h"
#include "credits/json_input.h"
#include "credits/ledger.h"
#include "credits/provider_usage.h"
#include "ledger/event_table.h"
#include "ledger/index.h"

namespace credits::ledger_reading {

class StrictEventReader;  // strict_event.h
struct FlatEvent;         // fast_event.h
struct FragmentBase;      // append.h: the loaded ledger a fragment is checked against
struct AppendIndex;       // append.h
class CheckpointReader;   // checkpoint_reader.cpp

// What one valid event of each family adds to the ledger. Views stay valid
// until the builder has applied the value (the reader's document or DOM).
struct UsageInput {
    Service service = Service::agent_chat;
    std::string_view project_id;
    std::optional<std::string_view> task_id;
    std::optional<std::string_view> session_id;
    std::optional<std::string_view> model;
    TokenCounts counts;
};
struct CompletionInput {
    std::string_view project_id;
    std::string_view task_id;
    std::string_view session_id;
};
struct CancellationInput {
    std::string_view project_id;
    std::string_view task_id;
    std::optional<std::string_view> reason;
};
struct GrantInput {
    bool opens_account = false;
    std::optional<GrantRecord> grant;      // id set when applied
    std::optional<FailedBilling> failed;   // id set when applied
};

// The decoders, one per family, written once for both readers (explicitly
// instantiated for StrictEventReader and FlatEventReader in their files).
// They report each problem to the reader and return nullopt when the event
// adds nothing.
template <typename Reader>
std::optional<GrantInput> decode_grant(Reader& r, const Instant& at, const Rules& rules, const Catalog& catalog);
template <typename Reader>
std::optional<UsageInput> decode_usage(Reader& r);
template <typename Reader>
std::optional<CompletionInput> decode_completion(Reader& r);
template <typename Reader>
std::optional<CancellationInput> decode_cancellation(Reader& r);

struct Completion {
    std::int64_t at_ns = 0;
    EventRef ref;
};

struct Cancellation {
    std::int64_t at_ns = 0;
    EventRef ref;
    std::optional<std::string> reason;
};

std::string event_pointer(std::size_t index);

// The application order (order.cpp), shared by a whole document's build_actions
// and append's merge: grants by (granted_at, id), failed billings by (at, id),
// usage by (at, event id), actions in the order of spec §10.
bool grant_before(const GrantRecord& a, const GrantRecord& b);
bool failed_billing_before(const FailedBilling& a, const FailedBilling& b);
bool usage_before(const Ledger& l, const UsageRecord& a, const UsageRecord& b);
bool action_before(const Ledger& l, const Action& a, const Action& b);

// A fragment event whose id a loaded event already has (append.cpp): an exact
// repeat is ignored, anything else is a conflict. `canonical` holds the
// strict reader's dump of the fragment event (the fast reader's is found
// again from its bytes).
struct LoadedRepeat {
    std::uint32_t loaded_event = 0;  // into AppendIndex::events
    std::uint32_t index = 0;         // in the fragment's events array
    std::string id;
    std::string canonical;
};

// Limits for parsing one element of the events array on its own: an event
// sits two levels down in the document (root object, events array), so it may
// nest two levels less; the other limits are the document's.
ParseLimits event_parse_limits(const LedgerLimits& limits);

class LedgerBuilder {
public:
    LedgerBuilder(const Rules& rules, const Catalog& catalog, const LedgerLimits& limits, ErrorList& errors)
        : rules_(rules), catalog_(catalog), limits_(limits), errors_(errors) {}

    // The strict reader: one event of the document, every problem explained.
    void add_event(std::size_t index, Json&& event);
    // The fast reader: adds the event and returns true only when the strict
    // reader would accept it without a problem (see FlatEvent); otherwise
    // changes nothing and returns false.
    bool add_flat_event(std::size_t index, const FlatEvent& event);
    // Where each event is in the document (fast path), so repeated ids are
    // compared without parsing the whole document again.
    void set_event_ranges(std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges) { event_ranges_ = std::move(ranges); }
    // The fast path's document: strings read from it need no copy. The
    // per-event vectors are sized for it at once (about 250 bytes an event):
    // regrowing them copied as much again.
    void set_document(std::string_view text) {
        document_ = text;
        const std::size_t expected_events = text.size() / 256;
        event_stamps_.reserve(expected_events);
        ledger_.usage.reserve(expected_events);
        ledger_.usage_event_ids.reserve(expected_events);
    }

    // How repeated event ids are found. The strict path looks every id up in a
    // hash table as it comes (RepeatMode::lookup). The fast path's first pass
    // only records each id with its position and groups equal ids once at the
    // end with a radix sort (find_repeats): a million random probes into a
    // table larger than the caches cost more than the rest of the pass. When
    // that finds repeats, the document is read again knowing which events
    // repeat which (RepeatMode::known), so every event is handled as the strict
    // path handles it.
    enum class RepeatMode : std::uint8_t { lookup, deferred, known };
    void defer_repeats(std::size_t expected_events) {
        repeat_mode_ = RepeatMode::deferred;
        deferred_ids_.reserve(expected_events);
        deferred_keys_.reserve(expected_events);
    }
    // `repeats`: (later, first) document indices, sorted by `later`.
    void use_known_repeats(std::vector<std::pair<std::uint32_t, std::uint32_t>> repeats) {
        repeat_mode_ = RepeatMode::known;
        known_repeats_ = std::move(repeats);
    }
    // After a deferred pass: (later, first) document indices of the events
    // whose id an earlier event already has, sorted by `later`.
    [[nodiscard]] std::vector<std::pair<std::uint32_t, std::uint32_t>> find_repeats();
    // After a deferred pass without errors: takes back what the repeating
    // events (`repeats` from find_repeats) added and records them as the
    // known pass would, so the document need not be read a second time. The
    // fast path succeeds only when every repeat is an exact duplicate of its
    // first event (check_duplicates), which then interned the same projects,
    // tasks, sessions and models earlier: a repeat's own additions are its
    // stamp, its record (usage, grant, failed billing, completion,
    // cancellation, opening) and its amounts, and those are removed here.
    void drop_repeats(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& repeats);
    void finish(const Json& root, std::string_view text);
    Ledger take() { return std::move(ledger_); }

    // Fragment mode (append.cpp): the document is a fragment for `base`, read
    // by the same readers and decoders; finish() checks it against the loaded
    // ledger instead of on its own, and apply_fragment adds what it read.
    void set_base(const FragmentBase& base);
    // After a finish() without errors: adds the fragment to `loaded` (which
    // cannot fail) and keeps `index` current; returns the distinct events added.
    std::size_t apply_fragment(Ledger& loaded, AppendIndex& index);
    [[nodiscard]] std::size_t fragment_duplicates() const { return ledger_.duplicates_ignored + loaded_duplicates_; }

private:
    // What a decoded event adds (both readers).
    void apply_grant(const EventRef& ref, GrantInput&& input);
    void apply_usage(const EventRef& ref, std::int64_t at_ns, const UsageInput& input);
    void apply_completion(const EventRef& ref, std::int64_t at_ns, const CompletionInput& input);
    void apply_cancellation(const EventRef& ref, std::int64_t at_ns, const CancellationInput& input);
    // The strict reader's dispatch by type, once the common members are read.
    void add_typed_event(ObjectReader& reader, const EventSpec& spec, const EventRef& ref, const Instant& at);
    // The fast reader's bookkeeping of a valid event, as add_event does it.
    void accept_flat_event(const FlatEvent& e, const EventRef& ref, std::int64_t at_ns);
    void add_to_amount_sum(std::int64_t tokens);
    // sum += tokens, unless that would pass amount_tokens_max; then the
    // document's amount sum is over the limit already (sum is part of it) and
    // the document is rejected, so sum stays where it is.
    void add_bounded(std::int64_t& sum, std::int64_t tokens);
    std::uint32_t intern_project(std::string_view id, const EventRef& ref) {
        if (const std::uint32_t* found = project_refs_.find(id)) return *found;
        return project_refs_.intern(arena_.keep(id), ref);
    }
    std::uint32_t intern_task(std::uint32_t project, std::string_view task_id);
    std::uint32_t intern_session(std::uint32_t task, std::string_view session_id);
    // intern_session(intern_task(project, task_id), session_id) in one lookup
    // (session_by_ids_): in a shuffled document the two tables' lookups were
    // cache misses for nearly every record.
    std::uint32_t intern_task_session(std::uint32_t project, std::string_view task_id, std::string_view session_id);
    std::uint32_t intern_model(std::string_view model);

    void read_header(const Json& root);      // header.cpp
    void resolve_projects();                 // header.cpp
    // A checkpointed document's state before S (checkpoint_reader.cpp): read
    // after the header (its projects) and before resolve_projects (its tasks
    // and sessions are interned like the events' own).
    void read_checkpoint(const Json& root);
    // The events after S against the checkpoint (checkpoint_reader.cpp).
    void check_against_checkpoint();
    void check_duplicates(std::string_view text);  // checks.cpp
    void check_opening();                    // checks.cpp
    bool check_opening_event();              // checks.cpp: the account_opened event of a whole history
    void check_accounts();                   // checks.cpp
    void check_sessions();                   // sessions.cpp
    void build_actions();                    // order.cpp
    // Fragment mode (append.cpp, append_apply.cpp).
    bool repeats_loaded_event(std::string_view id, std::size_t index, const Json* event);
    void check_fragment(const Json& root);
    void check_fragment_header(const Json& root);
    void check_loaded_repeats(std::string_view text);
    void check_fragment_events();
    void resolve_fragment_projects();
    void check_fragment_sessions();
    void check_fragment_usage();
    std::vector<std::uint32_t> apply_fragment_projects(Ledger& l, AppendIndex& index);
    void apply_fragment_records(Ledger& l, AppendIndex& index, const std::vector<std::uint32_t>& project,
                                std::vector<Action>& added);
    std::vector<std::uint32_t> apply_fragment_tasks(Ledger& l, AppendIndex& index, const std::vector<std::uint32_t>& project);
    std::vector<std::uint32_t> apply_fragment_sessions(Ledger& l, AppendIndex& index, const std::vector<std::uint32_t>& task,
                                                       std::vector<Action>& added);
    void apply_fragment_grants(Ledger& l, std::vector<Action>& added);

    // Views into the document (fast path) or arena_ stay valid while the builder works.
    std::string_view stable(std::string_view text) {
        if (text.data() >= document_.data() && text.data() + text.size() <= document_.data() + document_.size() &&
            !document_.empty())
            return text;
        return arena_.keep(text);
    }
    // The index of the earlier event with this id, if any (per the repeat mode).
    std::optional<std::uint32_t> repeat_of(std::string_view id, std::size_t index);
    // Remembers the first event with this id (a stable view).
    void first_occurrence(std::string_view id, std::size_t index);

    const Rules& rules_;
    const Catalog& catalog_;
    const LedgerLimits& limits_;
    ErrorList& errors_;
    Ledger ledger_;

    std::size_t events_seen_ = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> event_ranges_;  // [begin, end) byte offsets, fast path
    std::string_view document_;
    StringArena arena_;
    IndexMap first_index_by_id_;  // event id -> document index of its first occurrence (lookup mode)
    RepeatMode repeat_mode_ = RepeatMode::lookup;
    std::vector<std::pair<std::string_view, std::uint32_t>> deferred_ids_;  // (id, document index), deferred mode
    std::vector<std::uint64_t> deferred_keys_;  // per deferred id: high hash bits | its position in deferred_ids_
    std::vector<std::pair<std::uint32_t, std::uint32_t>> known_repeats_;   // (later, first), known mode
    std::size_t next_known_repeat_ = 0;
    std::vector<std::pair<std::size_t, std::size_t>> repeated_;  // (first, later) document indices
    std::vector<EventRef> openings_;
    std::vector<std::pair<std::int64_t, EventRef>> event_stamps_;  // (at, ref) of distinct events
    std::unordered_map<std::string, EventRef> named_accounts_;     // account_id value -> first event naming it
    Interner project_refs_;
    IndexMap task_index_;     // (project, task id) -> task
    IndexMap session_index_;  // (task, session id) -> session
    IndexMap session_by_ids_;  // (project, task id's length, task id, session id) -> session
    std::string session_key_;  // scratch: the key of session_by_ids_ being looked up
    IndexMap model_index_;    // model -> index into Ledger::models
    std::vector<std::vector<Completion>> completions_;   // per session
    std::vector<std::vector<Cancellation>> cancellations_;  // per task
    std::int64_t amount_sum_ = 0;
    bool amount_sum_exceeded_ = false;

    // Fragment mode: the loaded ledger, the fragment's repeats of its events,
    // and what check_fragment found each fragment name to be in it.
    const FragmentBase* base_ = nullptr;
    std::vector<LoadedRepeat> loaded_repeats_;
    std::size_t loaded_duplicates_ = 0;
    std::vector<std::uint32_t> loaded_project_;  // per interned project: the loaded index, or no_index (new)
    std::vector<std::uint32_t> loaded_task_;     // per fragment task: the loaded task, or no_index
    std::vector<std::uint32_t> loaded_session_;  // per fragment session: the loaded session, or no_index
    std::vector<Project> new_projects_;          // listed by the fragment, not loaded; sorted by id
    // A checkpointed document (read by CheckpointReader): the event ids its
    // state holds, each with the pointer of the item holding it.
    friend class CheckpointReader;
    bool checkpoint_given_ = false;
    std::optional<std::int64_t> checkpoint_opened_at_ns_;
    IndexMap checkpoint_ids_;  // id -> index into checkpoint_id_pointers_
    std::vector<std::string> checkpoint_id_pointers_;
};

// The fast path into a builder already set up (set_document, a repeat mode,
// a base): the events, then finish(). False when the strict path must read
// the document (the builder is then spent).
bool read_fast_into(std::string_view text, const LedgerLimits& limits, LedgerBuilder& builder, const ErrorList& errors);
// The strict path into a builder, finish() included (ledger.cpp): the errors
// to answer when the text is not well-formed JSON (the JSON-level ones alone),
// else nullopt, and `errors` holds every other problem.
std::optional<std::vector<Error>> read_strict_into(std::string_view text, const LedgerLimits& limits,
                                                   LedgerBuilder& builder, ErrorList& errors);

// The whole document by the fast path, or nullopt: then the strict path reads
// it again from the start (and explains what is wrong, if anything is).
std::optional<Ledger> read_ledger_fast(std::string_view text, const Rules& rules, const Catalog& catalog,
                                       const LedgerLimits& limits);

}  // namespace credits::ledger_reading
