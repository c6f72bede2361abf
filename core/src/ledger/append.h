// Internal to the core: appending a fragment to a loaded ledger
// (LoadedLedger::append). A fragment is read by the document's readers and
// decoders in the builder's fragment mode, checked against the loaded ledger
// through the indexes below without changing anything, and only then applied
// -- which cannot fail -- so a rejected fragment leaves the ledger as it was.
//
// The loaded ledger does not keep these indexes (a whole document does not
// need them once it is read); they are built once, on the first append, in
// one pass over the loaded ledger (O(events)), and kept current by every
// append after it, so an append costs what its own events cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "credits/documents.h"
#include "credits/errors.h"
#include "credits/ledger.h"
#include "credits/result.h"
#include "ledger/index.h"

namespace credits::ledger_reading {

using Sources = std::vector<std::shared_ptr<const std::string>>;

// Where a loaded event's bytes are: sources[source][begin, end). An id a
// checkpoint holds (its events are summarized, not kept) has no bytes:
// source == no_index, and any event reusing it is a conflict.
struct LoadedEvent {
    std::uint32_t source = no_index;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

struct AppendIndex {
    // Built from the ledger and every source so far (O(events) once).
    void build(const Ledger& ledger, const Sources& sources);
    // Adds the event ids of sources[source], an accepted fragment.
    void add_source(const Sources& sources, std::size_t source);
    // (project, task id) -> task, rebuilt when new projects shift project indices.
    void index_tasks(const Ledger& ledger);

    StringArena arena;                   // keys that are not views into a source
    std::deque<std::string> decoded_ids;  // ids written with escapes (source_events' storage)
    IndexMap event_ids;                  // event id -> index into events (the first occurrence)
    std::vector<LoadedEvent> events;
    IndexMap tasks;                      // tag: project index
    std::vector<std::string_view> task_keys;  // per task: its id, in arena
    IndexMap sessions;                   // tag: task index
    IndexMap models;
    std::vector<std::int64_t> session_last_agent_chat_ns;  // per session; instant_never_ns: none
    std::vector<std::int64_t> task_last_completion_ns;     // per task: its sessions' latest completion
    std::vector<std::uint32_t> task_last_completion_session;
    std::size_t sources_indexed = 0;
};

// What a fragment is checked against.
struct FragmentBase {
    const Ledger& ledger;
    const AppendIndex& index;
    const Sources& sources;
};

struct AppendCounts {
    std::size_t accepted = 0;            // distinct new events added
    std::size_t duplicates_ignored = 0;  // exact repeats (of loaded events or within the fragment)
};

// Checks `fragment` against `ledger`; when it is accepted, adds it (and its
// events to `index`; the caller keeps the text, as sources[sources.size()]).
// On failure nothing is changed.
Result<AppendCounts> append_fragment(Ledger& ledger, AppendIndex& index, const Sources& sources,
                                     std::string_view fragment, const Rules& rules, const Catalog& catalog,
                                     const LedgerLimits& limits);

}  // namespace credits::ledger_reading
