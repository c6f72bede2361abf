// credits: the server's command-line entry point to the credit-rule core.
// Reports go to stdout as JSON; a rejected document prints {"errors": [...]}
// and exits 1; a wrong command line prints usage to stderr and exits 2.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/amount.h"
#include "credits/api.h"
#include "credits/default_data.h"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_rejected = 1;
constexpr int exit_usage = 2;

constexpr std::string_view usage_text = R"(usage:
  credits report   --at T [--from T] [--to T] [--utc-offset Z | --utc-offsets ZONE] [--without-entries] [options] LEDGER
                                                                  account report (Usage panel)
  credits entries  --at T [--offset N] [--limit N] [--kind K,...] [--order oldest|newest] [options] LEDGER
                                                                  a page of the report's ledger[]
  credits project  ID --at T [--from T] [--to T] [--utc-offset Z | --utc-offsets ZONE] [options] LEDGER
                                                                  project report
  credits forecast --at T [options] LEDGER                        when credits run out
  credits checkpoint --at S [options] LEDGER                      the state before S and the events from S on,
                                                                  a ledger document (docs/checkpoint-format.md)
  credits check    [options] LEDGER                               validate only
  credits quote    [options] QUOTE                                Pricing calculator
  credits convert  --credits X | --tokens N                       exact conversion
  credits catalog  [options]                                      the catalog in use

options:
  --rules FILE     rule set (default: the shipped core/data/rules.default.json)
  --catalog FILE   catalog (default: the shipped core/data/catalog.example.json)
  --pretty         indent the JSON output for people (the bytes differ; the values do not)
  --without-entries  the report without its ledger[] ("ledger_entries" counts it)
  --offset N, --limit N, --kind K, --order O   the page of `entries` (default 0, 40, every kind, oldest)

LEDGER and QUOTE are file paths, or - for standard input. T is an RFC 3339
instant such as 2026-12-01T00:00:00Z; Z an offset such as +00:00 that draws the
daily rows in another zone than the account's; ZONE a zone whose offset changes,
as the offset before the first change then each change INSTANT=OFFSET, in time
order, e.g. "+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00"
(Europe/Berlin in 2026; docs/report-format.md). --from also takes last_30_days (the
forecast's window) and --from/--to a date such as 2026-11-30: whole days in the
question's zone, the last one cut at T. Exit status: 0 answered, 1 the document
or question was rejected (errors on stdout), 2 wrong command line or unreadable file.
)";

struct Options {
    std::string command;
    std::vector<std::string> positional;
    std::string at, from, to, utc_offset, utc_offsets, rules_path, catalog_path, credits, tokens;
    std::string offset = "0", limit = "40", kind, order;
    bool pretty = false;
    bool without_entries = false;
};

int usage_error(const std::string& message) {
    std::cerr << "credits: " << message << "\n\n" << usage_text;
    return exit_usage;
}

// A fresh process (docs/benchmarks.md, "CLI whole process"). The CLI runs once and
// exits, so every page it touches is touched for the first time: a page fault and a
// zeroed page, ~3 µs each on the benchmark machine -- 18-33 thousand of them for a
// 100k-event ledger, a third of the process's CPU. Two things multiplied them: glibc
// serves blocks over 128 KiB (the ledger's large vectors, the report text as it
// grows) from mappings of their own, so each growth maps fresh pages, copies into
// them and unmaps the old ones; and the pages are 4 KiB. So, for this process only:
//   - every block comes from the heap (M_MMAP_MAX 0) and freed memory stays there
//     (M_TRIM_THRESHOLD): a vector's old storage is reused by later allocations;
//   - before the ledger is read, the heap grows once by room for the document and
//     what loading and the report need (M_TOP_PAD, 8x the document, bounded), and
//     that range is advised for transparent huge pages (MADV_HUGEPAGE) before any of
//     it is touched. A hint: where THP is off or the advice fails, pages are 4 KiB.
// Untouched room costs address space, not memory. None of this changes what is
// computed or printed. Outside glibc on Linux the functions do nothing.
namespace fresh_heap {

#if defined(__GLIBC__) && defined(__linux__)
char* heap_start = nullptr;

void tune_for_one_run() {
    heap_start = static_cast<char*>(sbrk(0));
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

// Advises the heap as it is now (from where it was at the start to its end) for
// huge pages. A 2 MiB range already touched keeps its 4 KiB pages. Safe to repeat.
void advise_huge_pages() {
    if (heap_start == nullptr || heap_start == reinterpret_cast<char*>(-1)) return;
    const long page_bytes = sysconf(_SC_PAGESIZE);
    if (page_bytes <= 0) return;
    const auto page = static_cast<std::uintptr_t>(page_bytes);
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(heap_start) + page - 1) / page * page;
    const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(sbrk(0)) / page * page;
    if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Grows the heap by room for a document of `document_bytes` and the work on it:
// 8x the document (peak memory is 2-4x it, and the report's text grows by
// doubling), at most 1 GiB and an eighth of the RAM, so that the growth cannot
// fail for want of room the process would not use. A 1 MiB probe, more than the
// heap has left at this point, makes it grow; malloc writes only the probe's
// header and the new top's, within 1 MiB of the old end, so the range beyond is
// advised untouched; freed, the probe returns to the top, where the document's
// buffer is cut next. Later growths (a larger report) take the same room again.
void grow_for_document(std::size_t document_bytes) {
    constexpr std::size_t room_bytes_max = std::size_t{1} << 30;
    constexpr std::size_t probe_bytes = std::size_t{1} << 20;
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_bytes = sysconf(_SC_PAGESIZE);
    const std::size_t ram_bytes =
        pages > 0 && page_bytes > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_bytes) : 0;
    const std::size_t room_bytes = std::min({document_bytes * 8, room_bytes_max, ram_bytes / 8});
    mallopt(M_TOP_PAD, static_cast<int>(room_bytes));
    void* volatile probe = std::malloc(probe_bytes);  // volatile: a malloc/free pair may be left out
    advise_huge_pages();
    std::free(probe);
}
#else
void tune_for_one_run() {}
void advise_huge_pages() {}
void grow_for_document(std::size_t) {}
#endif

}  // namespace fresh_heap

// One bulk read into a string sized from the file (istreambuf_iterator walks the
// text a byte at a time through the stream buffer: a sixth of the whole process
// for a 25 MB ledger). Standard input and other files whose size is not known
// are read in 1 MiB blocks. Reading stops one byte over the cap. `ledger`: the
// document the command is about, whose buffer grows the heap (fresh_heap).
std::optional<std::string> read_input(const std::string& path, bool ledger = false) {
    constexpr std::size_t input_bytes_max = std::size_t{1} << 30;
    constexpr std::size_t block_bytes = std::size_t{1} << 20;
    std::FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (file == nullptr) return std::nullopt;
    struct stat info {};
    std::size_t expected = block_bytes;
    if (fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode) && info.st_size >= 0) {
        expected = std::min(static_cast<std::size_t>(info.st_size), input_bytes_max) + 1;  // +1: sees the end
    }
    if (ledger) fresh_heap::grow_for_document(expected);
    std::string text(expected, '\0');
    std::size_t length = 0;
    while (length <= input_bytes_max) {  // each pass reads at least one byte or ends
        if (length == text.size()) text.resize(std::min(text.size() + block_bytes, input_bytes_max + 1));
        const std::size_t got = std::fread(text.data() + length, 1, text.size() - length, file);
        length += got;
        if (got == 0 || std::feof(file) || std::ferror(file)) break;
    }
    const bool failed = std::ferror(file) != 0;
    if (path != "-") std::fclose(file);
    if (failed) return std::nullopt;
    text.resize(std::min(length, input_bytes_max + 1));  // over the cap: the core reports it as too large
    return text;
}

// A whole number of at most 12 digits (the core checks the range), or nullopt.
std::optional<std::int64_t> whole_number(const std::string& text) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(text);
}

int emit(const credits::Answer& answer, bool pretty) {
    // The core's answers are valid JSON in UTF-8; should one ever not be, it is printed
    // as it is rather than aborting on an exception (the exit status stays 0 or 1).
    const nlohmann::ordered_json value = pretty ? nlohmann::ordered_json::parse(answer.json, nullptr, false)
                                                : nlohmann::ordered_json();
    if (pretty && !value.is_discarded()) {
        std::cout << value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    } else {
        std::cout << answer.json << '\n';
    }
    return answer.ok ? exit_ok : exit_rejected;
}

std::optional<Options> parse_arguments(int argc, char** argv, std::string& error) {
    Options options;
    if (argc < 2) {
        error = "missing command";
        return std::nullopt;
    }
    options.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value_of = [&](std::string& target) {
            if (i + 1 >= argc) {
                error = std::string(arg) + " needs a value";
                return false;
            }
            target = argv[++i];
            return true;
        };
        bool ok = true;
        if (arg == "--at") ok = value_of(options.at);
        else if (arg == "--from") ok = value_of(options.from);
        else if (arg == "--to") ok = value_of(options.to);
        else if (arg == "--utc-offset") ok = value_of(options.utc_offset);
        else if (arg == "--utc-offsets") ok = value_of(options.utc_offsets);
        else if (arg == "--rules") ok = value_of(options.rules_path);
        else if (arg == "--catalog") ok = value_of(options.catalog_path);
        else if (arg == "--credits") ok = value_of(options.credits);
        else if (arg == "--tokens") ok = value_of(options.tokens);
        else if (arg == "--offset") ok = value_of(options.offset);
        else if (arg == "--limit") ok = value_of(options.limit);
        else if (arg == "--kind") ok = value_of(options.kind);
        else if (arg == "--order") ok = value_of(options.order);
        else if (arg == "--without-entries") options.without_entries = true;
        else if (arg == "--pretty") options.pretty = true;
        else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            error = "unknown option " + std::string(arg);
            return std::nullopt;
        } else {
            options.positional.emplace_back(arg);
        }
        if (!ok) return std::nullopt;
    }
    return options;
}

std::optional<credits::Engine> make_engine(const Options& options, int& exit_code) {
    if (options.rules_path.empty() && options.catalog_path.empty()) return credits::Engine::with_defaults();
    std::string rules_text, catalog_text;
    if (!options.rules_path.empty()) {
        const auto text = read_input(options.rules_path);
        if (!text) {
            exit_code = usage_error("cannot read rules file " + options.rules_path);
            return std::nullopt;
        }
        rules_text = *text;
    }
    if (!options.catalog_path.empty()) {
        const auto text = read_input(options.catalog_path);
        if (!text) {
            exit_code = usage_error("cannot read catalog file " + options.catalog_path);
            return std::nullopt;
        }
        catalog_text = *text;
    }
    std::string errors;
    std::optional<credits::Engine> engine =
        credits::Engine::create(options.rules_path.empty() ? std::string(credits::default_rules_json) : rules_text,
                                options.catalog_path.empty() ? std::string(credits::default_catalog_json) : catalog_text,
                                &errors);
    if (!engine) exit_code = emit(credits::Answer{false, errors}, options.pretty);
    return engine;
}

}  // namespace

int main(int argc, char** argv) {
    fresh_heap::tune_for_one_run();
    std::string error;
    const std::optional<Options> parsed = parse_arguments(argc, argv, error);
    if (!parsed) return usage_error(error);
    const Options& options = *parsed;
    const std::string& command = options.command;
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << usage_text;
        return exit_ok;
    }
    if (command == "convert") {
        if (options.credits.empty() == options.tokens.empty()) return usage_error("convert takes --credits X or --tokens N");
        if (!options.credits.empty()) return emit(credits::credits_to_tokens_json(options.credits), false);
        const std::string& t = options.tokens;
        const bool digits = !t.empty() && t.size() <= 16 && t.find_first_not_of("0123456789") == std::string::npos &&
                            (t.size() == 1 || t[0] != '0');
        if (!digits || std::stoll(t) > credits::amount_tokens_max) {
            return usage_error("--tokens takes a whole number of tokens, 0 to 9007199254740991");
        }
        std::cout << '"' << credits::tokens_to_credits(std::stoll(options.tokens)) << "\"\n";
        return exit_ok;
    }
    const bool takes_ledger = command == "report" || command == "project" || command == "forecast" || command == "check" ||
                              command == "entries" || command == "checkpoint";
    if (!takes_ledger && command != "quote" && command != "catalog") return usage_error("unknown command " + command);
    const std::size_t positional_expected = command == "project" ? 2 : command == "catalog" ? 0 : 1;
    if (options.positional.size() != positional_expected) {
        return usage_error(command + " takes " + std::to_string(positional_expected) + " argument(s)");
    }
    if ((command == "report" || command == "project" || command == "forecast" || command == "entries" ||
         command == "checkpoint") &&
        options.at.empty()) {
        return usage_error(command + " needs --at T");
    }
    int exit_code = exit_ok;
    std::optional<credits::Engine> engine = make_engine(options, exit_code);
    if (!engine) return exit_code;
    if (command == "catalog") {
        std::cout << engine->catalog_json() << '\n';
        return exit_ok;
    }
    const std::string& input_path = options.positional.back();
    std::optional<std::string> input = read_input(input_path, true);
    if (!input) return usage_error("cannot read " + input_path);
    if (command == "quote") return emit(engine->quote(*input), options.pretty);
    if (command == "check") return emit(engine->check(*input), options.pretty);
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine->load(std::move(*input), &errors);  // kept, not copied
    if (!account) return emit(credits::Answer{false, errors}, options.pretty);
    fresh_heap::advise_huge_pages();  // where loading grew the heap further
    if (command == "report") {
        if (options.without_entries) {
            return emit(account->report_summary(options.at, options.from, options.to, options.utc_offset,
                                                options.utc_offsets),
                        options.pretty);
        }
        return emit(account->report(options.at, options.from, options.to, options.utc_offset, options.utc_offsets), options.pretty);
    }
    if (command == "entries") {
        const std::optional<std::int64_t> offset = whole_number(options.offset);
        const std::optional<std::int64_t> limit = whole_number(options.limit);
        if (!offset || !limit) return usage_error("--offset and --limit take whole numbers");
        return emit(account->entries(options.at, *offset, *limit, options.kind, options.order), options.pretty);
    }
    if (command == "project") {
        return emit(account->project(options.positional[0], options.at, options.from, options.to, options.utc_offset,
                                     options.utc_offsets),
                    options.pretty);
    }
    if (command == "checkpoint") return emit(account->checkpoint(options.at), options.pretty);
    return emit(account->forecast(options.at), options.pretty);
}
