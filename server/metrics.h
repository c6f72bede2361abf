// The server's Prometheus metrics (docs/server.md, "GET /metrics"): counters
// and a latency histogram kept in memory, written in the text exposition format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace credits::server {

class Metrics {
public:
    // Upper bounds of the latency histogram's buckets, in seconds.
    static constexpr std::array<double, 12> duration_buckets_seconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                        0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

    // `route` is the route's pattern ("/v1/accounts/{id}/report"), never the path
    // itself, so a client cannot make the label set grow.
    void record_request(const std::string& route, int status, std::int64_t duration_us);
    void record_ingest(bool accepted, std::int64_t events_accepted, std::int64_t duplicates);
    void record_checkpoint() { checkpoints_written_.fetch_add(1, std::memory_order_relaxed); }
    void add_waiter(int delta) { longpoll_waiters_.fetch_add(delta, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t checkpoints_written() const { return checkpoints_written_.load(); }

    // The exposition text; `cached_accounts` is read from the account service at scrape time.
    [[nodiscard]] std::string render(std::size_t cached_accounts) const;

private:
    struct Histogram {
        std::array<std::int64_t, duration_buckets_seconds.size()> buckets{};
        std::int64_t count = 0;
        std::int64_t sum_us = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::int64_t> requests_;
    std::map<std::string, Histogram> durations_;
    std::atomic<std::int64_t> events_accepted_{0};
    std::atomic<std::int64_t> events_duplicate_{0};
    std::atomic<std::int64_t> batches_accepted_{0};
    std::atomic<std::int64_t> batches_rejected_{0};
    std::atomic<std::int64_t> checkpoints_written_{0};
    std::atomic<std::int64_t> longpoll_waiters_{0};
};

}  // namespace credits::server
