// The HTTP server's worker pool (server/http.cpp).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace credits::server {

// A worker pool that grows as connections wait: a thread per connection is how the
// library serves, so a fixed pool lets as many slow clients (a slow-loris dribbling
// its headers) as it has threads hold every one. This pool starts a thread whenever
// no idle one is left, up to `threads_max`, and keeps the threads it started.
class ElasticPool final : public httplib::TaskQueue {
public:
    explicit ElasticPool(std::size_t threads_max) : threads_max_(threads_max) {}
    ~ElasticPool() override = default;

    void enqueue(std::function<void()> job) override {
        const std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        // Idle threads already woken for earlier jobs count once: spawn whenever the
        // queued jobs outnumber the idle threads.
        if (jobs_.size() > idle_ && threads_.size() < threads_max_) {
            threads_.emplace_back([this] { work(); });
        } else {
            ready_.notify_one();
        }
    }

    void shutdown() override {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        // Joined outside the lock: a worker finishing its job takes it. No thread is
        // started once stopping_ is set, because the listener has stopped enqueueing.
        for (std::thread& thread : threads_) thread.join();
    }

private:
    void work() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ++idle_;
            ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            --idle_;
            if (jobs_.empty()) return;  // stopping, and every queued connection served
            std::function<void()> job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            lock.lock();
        }
    }

    const std::size_t threads_max_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace credits::server
