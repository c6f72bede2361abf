#include "metrics.h"

#include <cstdio>

namespace credits::server {
namespace {

std::string seconds_text(double seconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", seconds);
    return buffer;
}

// Microseconds as seconds with six decimals: exact, no float summing.
std::string micros_as_seconds(std::int64_t us) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%lld.%06lld", static_cast<long long>(us / 1'000'000),
                  static_cast<long long>(us % 1'000'000));
    return buffer;
}

void counter_header(std::string& out, const char* name, const char* help, const char* type = "counter") {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string& out, const std::string& name_and_labels, std::int64_t value) {
    out += name_and_labels;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

void Metrics::record_request(const std::string& route, int status, std::int64_t duration_us) {
    if (duration_us < 0) duration_us = 0;
    const std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
    Histogram& histogram = durations_[route];
    ++histogram.count;
    histogram.sum_us += duration_us;
    for (std::size_t i = 0; i < duration_buckets_seconds.size(); ++i) {
        if (static_cast<double>(duration_us) <= duration_buckets_seconds[i] * 1e6) ++histogram.buckets[i];
    }
}

void Metrics::record_ingest(bool accepted, std::int64_t events_accepted, std::int64_t duplicates) {
    (accepted ? batches_accepted_ : batches_rejected_).fetch_add(1, std::memory_order_relaxed);
    events_accepted_.fetch_add(events_accepted, std::memory_order_relaxed);
    events_duplicate_.fetch_add(duplicates, std::memory_order_relaxed);
}

std::string Metrics::render(std::size_t cached_accounts) const {
    std::string out;
    const std::lock_guard lock(mutex_);
    counter_header(out, "credits_http_requests_total", "HTTP requests answered, by route pattern and status.");
    for (const auto& [key, count] : requests_) {
        sample(out, "credits_http_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"}",
               count);
    }
    counter_header(out, "credits_http_request_duration_seconds", "Time to answer a request, by route pattern.",
                   "histogram");
    for (const auto& [route, histogram] : durations_) {
        const std::string base = "credits_http_request_duration_seconds";
        for (std::size_t i = 0; i < duration_buckets_seconds.size(); ++i) {
            sample(out, base + "_bucket{route=\"" + route + "\",le=\"" + seconds_text(duration_buckets_seconds[i]) + "\"}",
                   histogram.buckets[i]);
        }
        sample(out, base + "_bucket{route=\"" + route + "\",le=\"+Inf\"}", histogram.count);
        out += base + "_sum{route=\"" + route + "\"} " + micros_as_seconds(histogram.sum_us) + "\n";
        sample(out, base + "_count{route=\"" + route + "\"}", histogram.count);
    }
    counter_header(out, "credits_ingest_events_total", "Events of accepted batches: stored, or ignored as exact repeats.");
    sample(out, "credits_ingest_events_total{result=\"accepted\"}", events_accepted_.load());
    sample(out, "credits_ingest_events_total{result=\"duplicate\"}", events_duplicate_.load());
    counter_header(out, "credits_ingest_batches_total", "Ingest requests, accepted or rejected (422).");
    sample(out, "credits_ingest_batches_total{result=\"accepted\"}", batches_accepted_.load());
    sample(out, "credits_ingest_batches_total{result=\"rejected\"}", batches_rejected_.load());
    counter_header(out, "credits_longpoll_waiters", "Long-polls waiting now.", "gauge");
    sample(out, "credits_longpoll_waiters", longpoll_waiters_.load());
    counter_header(out, "credits_checkpoints_written_total", "Checkpoints written (moved on, or re-derived after a late event).");
    sample(out, "credits_checkpoints_written_total", checkpoints_written_.load());
    counter_header(out, "credits_cached_accounts", "Accounts whose loaded ledger is in memory.", "gauge");
    sample(out, "credits_cached_accounts", static_cast<std::int64_t>(cached_accounts));
    return out;
}

}  // namespace credits::server
