// credits_bench: the native side of scripts/bench (docs/benchmarks.md). In-process timings
// of the core's public API (core/include/credits/api.h) with steady_clock:
//   load    Engine::load (parse + validate + index the ledger document)
//   report  LoadedLedger::report on a freshly loaded account (simulation + report JSON,
//           the whole account report including its ledger[] of every charge)
//   rerun   LoadedLedger::report again on the same account, same instant, another range
//   rerun_parts / rerun_summary  the same range as the WASM layer asks it: report_parts
//           (the report without its cached grants[] and ledger[] texts) and report_summary
//           (without ledger[]); this thread's CPU time
//   quote   Engine::quote, each call timed, median of the calls
//   forecast  LoadedLedger::forecast on a generated ledger of N grants that expire an
//           hour apart and are drained slowly (every expiry is a step of the
//           simulation: the worst case for the forecast's cost)
// Prints one JSON object on stdout; scripts/bench reads it. Not a test: ctest
// does not run it.
//
//   credits_bench --ledger FILE --at T --from T --to T [--runs N] [--quote-calls N]
//   credits_bench --quote-only [--quote-calls N]
//   credits_bench --forecast-grants N [--runs N]
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/api.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// This thread's CPU time in ms: on a shared machine the steadier figure (it
// leaves out the time other processes had the core).
double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// FNV-1a over the bytes: the Node and Chromium runs print the same figure for
// the same report, which shows the three builds wrote identical bytes.
std::string fnv1a(std::string_view bytes) {
    std::uint32_t h = 2166136261u;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    char out[9];
    std::snprintf(out, sizeof out, "%08x", h);
    return out;
}

std::string json_list(const std::vector<double>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.4f", i ? "," : "", values[i]);
        out += buf;
    }
    return out + "]";
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

long max_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

int fail(const std::string& message) {
    std::cerr << "credits_bench: " << message << '\n';
    return 1;
}

constexpr const char* forecast_at = "2026-03-01T00:00:00Z";

// A ledger of `grants` promotions of 1 credit, the k-th expiring k hours after
// forecast_at, and a charge of 1 token a second over the 30 days before it.
std::string forecast_ledger(int grants) {
    std::string text = R"({"format":"easycoda.ledger/1","account":{"id":"acct_bench"},)"
                       R"("projects":[{"id":"p1","name":"Bench"}],"events":[)"
                       R"({"id":"open","type":"account_opened","at":"2026-01-01T00:00:00Z"},)"
                       R"({"id":"buy","type":"credits_purchased","at":"2026-01-01T01:00:00Z","credits":300},)"
                       R"({"id":"u1","type":"usage","at":"2026-02-15T00:00:00Z","project_id":"p1","task_id":"t1",)"
                       R"("session_id":"s1","service":"agent_chat","tokens":{"output":2592000}},)"
                       R"({"id":"c1","type":"session_completed","at":"2026-02-15T00:00:00Z","project_id":"p1",)"
                       R"("task_id":"t1","session_id":"s1"})";
    const std::int64_t at_s = 1772323200;  // forecast_at in seconds since the epoch
    for (int k = 0; k < grants; ++k) {
        const std::int64_t expires_s = at_s + std::int64_t{k + 1} * 3600;
        const std::int64_t days = expires_s / 86400, rest = expires_s % 86400;
        // Civil date from days since the epoch (Howard Hinnant's algorithm).
        const std::int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
        const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
        char event[200];
        std::snprintf(event, sizeof event,
                      R"(,{"id":"g%d","type":"credits_granted","at":"2026-02-20T00:00:00Z","credits":1,)"
                      R"("expires_at":"%04lld-%02lld-%02lldT%02lld:00:00Z"})",
                      k, static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                      static_cast<long long>(rest / 3600));
        text += event;
    }
    return text + "]}";
}

int forecast_bench(const credits::Engine& engine, int grants, int runs) {
    const std::string text = forecast_ledger(grants);
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
    if (!account) return fail("the forecast ledger was rejected: " + errors.substr(0, 2000));
    std::vector<double> ms;
    std::string hash;
    std::size_t bytes = 0;
    for (int run = 0; run <= runs; ++run) {
        // A new instant each run (1 ns apart) so no cached state is reused.
        const std::string at = "2026-03-01T00:00:00." + std::to_string(100000000 + run) + "Z";
        const auto t = Clock::now();
        const credits::Answer answer = account->forecast(run == 0 ? std::string(forecast_at) : at);
        const double elapsed = ms_since(t);
        if (!answer.ok) return fail("forecast failed: " + answer.json.substr(0, 2000));
        if (run > 0) ms.push_back(elapsed);
        if (run == 0) {
            hash = fnv1a(answer.json);
            bytes = answer.json.size();
        }
    }
    std::printf("{\"forecast_grants\":%d,\"forecast_ms_median\":%.4f,\"forecast_ms\":%s,\"forecast_bytes\":%zu,"
                "\"forecast_fnv\":\"%s\"}\n",
                grants, median(ms), json_list(ms).c_str(), bytes, hash.c_str());
    return 0;
}

// append: a prefix loaded (untimed), then each fragment appended in turn and
// timed; the first append builds the indexes (one pass over the loaded
// ledger), the others are the steady state. Then the report after the last
// append (the burn-down runs again). The same files as the Chromium run
// (tests/bench/append.mjs writes them).
int append_bench(const credits::Engine& engine, const std::string& prefix_path, const std::vector<std::string>& fragment_paths,
                 const std::string& at, int runs) {
    const auto read = [](const std::string& path) {
        std::ifstream file(path, std::ios::binary);
        return std::string{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    };
    const std::string prefix = read(prefix_path);
    std::vector<std::string> fragments;
    for (const std::string& path : fragment_paths) fragments.push_back(read(path));
    if (prefix.empty() || fragments.size() < 2) return fail("--append needs a prefix and at least two fragments");
    std::vector<double> first_ms, steady_ms, report_ms;
    std::string hash;
    std::size_t events = 0;
    for (int run = 0; run <= runs; ++run) {
        std::string errors;
        std::optional<credits::LoadedLedger> account = engine.load(prefix, &errors);
        if (!account) return fail("the prefix was rejected: " + errors.substr(0, 2000));
        if (!account->report(at).ok) return fail("report failed");
        for (std::size_t f = 0; f < fragments.size(); ++f) {
            const auto t = Clock::now();
            const credits::Answer answer = account->append(fragments[f]);
            const double ms = ms_since(t);
            if (!answer.ok) return fail("a fragment was rejected: " + answer.json.substr(0, 2000));
            if (run > 0) (f == 0 ? first_ms : steady_ms).push_back(ms);
        }
        const auto t = Clock::now();
        const credits::Answer report = account->report(at);
        if (run > 0) report_ms.push_back(ms_since(t));
        hash = fnv1a(report.json);
        events = account->ledger().event_instants_ns.size();
    }
    std::printf("{\"events\":%zu,\"fragments\":%zu,\"first_append_ms\":%s,\"first_append_ms_median\":%.4f,"
                "\"append_ms\":%s,\"append_ms_median\":%.4f,\"report_after_ms_median\":%.4f,\"report_fnv\":\"%s\"}\n",
                events, fragments.size(), json_list(first_ms).c_str(), median(first_ms), json_list(steady_ms).c_str(),
                median(steady_ms), median(report_ms), hash.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string ledger_path, at, from, to;
    int runs = 5;
    int quote_calls = 10000;
    bool quote_only = false;
    int forecast_grants = 0;
    std::string append_prefix;
    std::vector<std::string> append_fragments;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--ledger") ledger_path = next();
        else if (arg == "--at") at = next();
        else if (arg == "--from") from = next();
        else if (arg == "--to") to = next();
        else if (arg == "--runs") runs = std::stoi(next());
        else if (arg == "--quote-calls") quote_calls = std::stoi(next());
        else if (arg == "--quote-only") quote_only = true;
        else if (arg == "--forecast-grants") forecast_grants = std::stoi(next());
        else if (arg == "--append") append_prefix = next();
        else if (arg == "--fragment") append_fragments.push_back(next());
        else return fail("unknown argument " + std::string(arg));
    }
#if defined(__GLIBC__)
    // Steady state, as in a long-running server (and as the WASM module, whose
    // memory stays grown): freed memory is kept for the next run instead of
    // going back to the kernel, which would zero every page again.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
    const credits::Engine engine = credits::Engine::with_defaults();

    if (forecast_grants > 0) return forecast_bench(engine, forecast_grants, runs);
    if (!append_prefix.empty()) return append_bench(engine, append_prefix, append_fragments, at, runs);

    if (quote_only) {
        // Same input as the WASM runs: a heavy month on every plan.
        const std::string input = R"({"output_tokens": 4000000, "input_tokens": 40000000, "cache_hit_rate_bp": 9000})";
        std::vector<double> us;
        us.reserve(static_cast<std::size_t>(quote_calls));
        std::size_t bytes = 0;
        for (int i = 0; i < quote_calls; ++i) {
            const auto t = Clock::now();
            const credits::Answer answer = engine.quote(input);
            us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
            bytes += answer.json.size();
        }
        std::printf("{\"quote_us_median\":%.4f,\"quote_calls\":%d,\"quote_bytes\":%zu}\n", median(us), quote_calls,
                    bytes / static_cast<std::size_t>(quote_calls));
        return 0;
    }

    if (ledger_path.empty() || at.empty()) return fail("--ledger and --at are required");
    std::ifstream file(ledger_path, std::ios::binary);
    if (!file) return fail("cannot read " + ledger_path);
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    const long rss_before_kb = max_rss_kb();

    std::vector<double> load_ms, report_ms, rerun_ms, load_cpu_ms, report_cpu_ms, rerun_parts_cpu_ms, rerun_summary_cpu_ms;
    double cold_load_ms = 0, cold_report_ms = 0;
    std::string report_hash, rerun_hash;
    std::size_t report_bytes = 0, rerun_bytes = 0, events = 0;
    long rss_after_first_kb = 0;
    // Run 0 warms up (first touch of memory, caches) and is reported apart, as
    // in the WASM runs, where it is also the baseline-compiled code's run.
    for (int run = 0; run <= runs; ++run) {
        std::string errors;
        auto t = Clock::now();
        double cpu = cpu_ms();
        std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
        const double load = ms_since(t);
        const double load_cpu = cpu_ms() - cpu;
        if (!account) return fail("the ledger was rejected: " + errors.substr(0, 2000));
        t = Clock::now();
        cpu = cpu_ms();
        const credits::Answer report = account->report(at);
        const double report_time = ms_since(t);
        const double report_cpu = cpu_ms() - cpu;
        if (run == 0) {
            cold_load_ms = load;
            cold_report_ms = report_time;
        } else {
            load_ms.push_back(load);
            report_ms.push_back(report_time);
            load_cpu_ms.push_back(load_cpu);
            report_cpu_ms.push_back(report_cpu);
        }
        if (!report.ok) return fail("report failed: " + report.json.substr(0, 2000));
        // Another range on the loaded ledger, same instant (the state is kept).
        for (int k = 0; k < 3; ++k) {
            t = Clock::now();
            const credits::Answer rerun = account->report(at, from, to);
            if (run > 0) rerun_ms.push_back(ms_since(t));
            if (!rerun.ok) return fail("re-run failed: " + rerun.json.substr(0, 2000));
            rerun_hash = fnv1a(rerun.json);
            rerun_bytes = rerun.json.size();
        }
        for (int k = 0; k < 3; ++k) {
            double c = cpu_ms();
            const credits::LoadedLedger::ReportParts parts = account->report_parts(at, from, to);
            if (run > 0) rerun_parts_cpu_ms.push_back(cpu_ms() - c);
            if (!parts.rest.ok) return fail("re-run (parts) failed: " + parts.rest.json.substr(0, 2000));
            c = cpu_ms();
            const credits::Answer summary = account->report_summary(at, from, to);
            if (run > 0) rerun_summary_cpu_ms.push_back(cpu_ms() - c);
            if (!summary.ok) return fail("re-run (summary) failed: " + summary.json.substr(0, 2000));
        }
        report_hash = fnv1a(report.json);
        report_bytes = report.json.size();
        events = account->ledger().event_instants_ns.size();
        if (run == 0) rss_after_first_kb = max_rss_kb();
    }
    std::printf(
        "{\"events\":%zu,\"document_bytes\":%zu,\"cold_load_ms\":%.4f,\"cold_report_ms\":%.4f,"
        "\"load_ms\":%s,\"report_ms\":%s,\"rerun_ms\":%s,\"rerun_parts_cpu_ms\":%s,\"rerun_summary_cpu_ms\":%s,\"load_cpu_ms\":%s,\"report_cpu_ms\":%s,"
        "\"report_bytes\":%zu,\"report_fnv\":\"%s\",\"rerun_bytes\":%zu,\"rerun_fnv\":\"%s\","
        "\"rss_document_kb\":%ld,\"max_rss_kb\":%ld}\n",
        events, text.size(), cold_load_ms, cold_report_ms, json_list(load_ms).c_str(), json_list(report_ms).c_str(), json_list(rerun_ms).c_str(),
        json_list(rerun_parts_cpu_ms).c_str(), json_list(rerun_summary_cpu_ms).c_str(),
        json_list(load_cpu_ms).c_str(), json_list(report_cpu_ms).c_str(),
        report_bytes, report_hash.c_str(), rerun_bytes, rerun_hash.c_str(), rss_before_kb, rss_after_first_kb);
    return 0;
}
