#include "guarded_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace credits::server {

namespace {

using Clock = std::chrono::steady_clock;

// Waits at most `timeout` for `events` on `sock`; true when ready.
bool wait_for(socket_t sock, short events, std::chrono::milliseconds timeout) {
    pollfd p{sock, events, 0};
    const int timeout_ms = static_cast<int>(std::max<std::int64_t>(timeout.count(), 0));
    int ready = 0;
    for (int tries = 0; tries < 100; ++tries) {  // EINTR retries, bounded
        ready = ::poll(&p, 1, timeout_ms);
        if (ready >= 0 || errno != EINTR) break;
    }
    return ready > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int got = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length)
                         : ::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length);
    if (got != 0) return;
    std::array<char, NI_MAXHOST> host{};
    std::array<char, NI_MAXSERV> service{};
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host.data(), host.size(), service.data(),
                      service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        ip = host.data();
        port = std::atoi(service.data());
    }
}

// A socket stream like the library's own (buffered reads, per-operation timeouts)
// that, while the head is read, hands out at most `head_bytes_max` bytes and
// none after the head's deadline.
class GuardedStream final : public httplib::Stream {
public:
    GuardedStream(socket_t sock, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
        : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

    void start_head(std::size_t bytes_max, Clock::time_point deadline) {
        in_head_ = true;
        head_bytes_left_ = bytes_max;
        head_deadline_ = deadline;
    }
    void end_head() { in_head_ = false; }
    // Whether a head went past its bound: the rest of it must not be read as a next request.
    bool cut() const { return cut_; }
    bool in_head() const { return in_head_; }
    // Bytes of a next (pipelined) request already read from the socket.
    bool has_buffered() const { return buffered() > 0; }

    bool is_readable() const override { return buffered() > 0 || wait_for(sock_, POLLIN, read_wait()); }
    bool is_writable() const override { return wait_for(sock_, POLLOUT, write_timeout_); }

    ssize_t read(char* ptr, std::size_t size) override {
        if (in_head_) {
            if (head_bytes_left_ == 0 || Clock::now() >= head_deadline_) {
                cut_ = true;
                return -1;
            }
            size = std::min(size, head_bytes_left_);
        }
        const ssize_t n = read_some(ptr, size);
        if (in_head_ && n > 0) head_bytes_left_ -= static_cast<std::size_t>(n);
        return n;
    }

    ssize_t write(const char* ptr, std::size_t size) override {
        if (!is_writable()) return -1;
        for (int tries = 0; tries < 100; ++tries) {
            const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
            if (n >= 0 || errno != EINTR) return n;
        }
        return -1;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, true, ip, port); }
    void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, false, ip, port); }
    socket_t socket() const override { return sock_; }

private:
    std::size_t buffered() const { return buffer_end_ - buffer_begin_; }

    std::chrono::milliseconds read_wait() const {
        if (!in_head_) return read_timeout_;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline_ - Clock::now());
        return std::min(read_timeout_, left);
    }

    // The library reads a head one byte at a time: serve those from a buffer.
    ssize_t read_some(char* ptr, std::size_t size) {
        if (buffered() == 0) {
            if (!wait_for(sock_, POLLIN, read_wait())) return -1;
            ssize_t n = -1;
            for (int tries = 0; tries < 100; ++tries) {
                n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
                if (n >= 0 || errno != EINTR) break;
            }
            if (n <= 0) return n;
            buffer_begin_ = 0;
            buffer_end_ = static_cast<std::size_t>(n);
        }
        const std::size_t n = std::min(size, buffered());
        std::memcpy(ptr, buffer_.data() + buffer_begin_, n);
        buffer_begin_ += n;
        return static_cast<ssize_t>(n);
    }

    socket_t sock_;
    std::chrono::milliseconds read_timeout_;
    std::chrono::milliseconds write_timeout_;
    std::array<char, 4096> buffer_{};
    std::size_t buffer_begin_ = 0;
    std::size_t buffer_end_ = 0;
    bool in_head_ = false;
    bool cut_ = false;
    std::size_t head_bytes_left_ = 0;
    Clock::time_point head_deadline_{};
};

thread_local GuardedStream* current_stream = nullptr;

std::chrono::milliseconds millis(time_t seconds, time_t micros) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds) * 1000 + micros / 1000);
}

}  // namespace

void GuardedServer::head_read() {
    if (current_stream != nullptr) current_stream->end_head();
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
    GuardedStream stream(sock, millis(read_timeout_sec_, read_timeout_usec_), millis(write_timeout_sec_, write_timeout_usec_));
    current_stream = &stream;
    bool ok = false;
    // The library's keep-alive rules: at most keep_alive_max_count_ requests, each
    // begun within keep_alive_timeout_sec_ of the last, until the server stops.
    for (std::size_t count = std::max<std::size_t>(keep_alive_max_count_, 1); count > 0; --count) {
        const auto idle_until = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
        bool readable = false;
        // Slices of 100 ms, so a server stopping is seen while a connection idles.
        for (int slice = 0; slice < 100'000 && svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until; ++slice) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(idle_until - Clock::now());
            readable = stream.has_buffered() || wait_for(sock, POLLIN, std::min(std::chrono::milliseconds(100), left));
            if (readable) break;
        }
        if (!readable || svr_sock_ == INVALID_SOCKET) break;
        stream.start_head(head_bytes_max, Clock::now() + head_deadline);
        bool connection_closed = false;
        ok = process_request(stream, count == 1, connection_closed, nullptr);
        // A head never read to its end (cut, timed out, malformed: the library's own 400)
        // leaves the connection at an unknown place: its rest is not a next request.
        const bool head_unfinished = stream.in_head();
        stream.end_head();
        if (after_request) after_request();
        if (!ok || connection_closed || stream.cut() || head_unfinished) break;
    }
    current_stream = nullptr;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace credits::server
