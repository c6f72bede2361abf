// A bounded pool of database connections, shared by the two Store implementations.
//
// A connection serves one thread at a time (libsqlite3 opened without its own mutex, a PGconn is
// not thread-safe): acquire() lends an idle one, opens a new one while fewer than `max` exist, or
// waits for one to come back. A lease whose connection broke is discard()ed, so the next
// acquire() opens a fresh connection instead of handing out a dead one.
#pragma once

#include <cassert>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace credits::server::detail {

template <class Connection>
class ConnectionPool {
public:
    using Factory = std::function<std::unique_ptr<Connection>()>;

    ConnectionPool(Factory make, int max) : make_(std::move(make)), max_(max) { assert(max_ >= 1); }
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection, bool reused)
            : pool_(&pool), connection_(std::move(connection)), reused_(reused) {}
        Lease(Lease&& other) noexcept
            : pool_(other.pool_), connection_(std::move(other.connection_)), reused_(other.reused_) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (connection_) pool_->give_back(std::move(connection_));
        }
        Connection& operator*() const { return *connection_; }
        Connection* operator->() const { return connection_.get(); }
        // Whether the connection served an earlier lease (and so may have died while idle).
        bool reused() const { return reused_; }
        // Closes the connection instead of returning it to the pool.
        void discard() {
            connection_.reset();
            pool_->forget_one();
        }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
        bool reused_;
    };

    Lease acquire() {
        std::unique_lock lock(mutex_);
        returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
        if (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection), true);
        }
        ++open_;  // counted before opening, so concurrent acquires never exceed max_
        lock.unlock();
        try {
            return Lease(*this, make_(), false);
        } catch (...) {
            forget_one();
            throw;
        }
    }

private:
    void give_back(std::unique_ptr<Connection> connection) {
        {
            std::lock_guard lock(mutex_);
            idle_.push_back(std::move(connection));
        }
        returned_.notify_one();
    }
    void forget_one() {
        {
            std::lock_guard lock(mutex_);
            assert(open_ >= 1);
            --open_;
        }
        returned_.notify_one();
    }

    Factory make_;
    const int max_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Connection>> idle_;
    int open_ = 0;
};

}  // namespace credits::server::detail
