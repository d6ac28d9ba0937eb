#include "thread_pool.h"

#include <algorithm>

namespace kiln::cpu {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    const int64_t maxChunks = std::max<int64_t>(1, n / grain);
    const int64_t chunks = std::min<int64_t>(maxChunks, int64_t(size()) * 4);
    if (workers_.empty() || chunks <= 1) {
        fn(0, n);
        return;
    }
    std::unique_lock<std::mutex> lk(mu_);
    job_ = &fn;
    n_ = n;
    numChunks_ = chunks;
    chunk_ = (n + chunks - 1) / chunks;
    nextChunk_ = 0;
    pending_ = int(workers_.size());
    ++generation_;
    lk.unlock();
    cv_.notify_all();
    // The calling thread takes chunks too.
    for (;;) {
        lk.lock();
        const int64_t c = nextChunk_ < numChunks_ ? nextChunk_++ : -1;
        lk.unlock();
        if (c < 0) break;
        fn(c * chunk_, std::min(n, (c + 1) * chunk_));
    }
    lk.lock();
    doneCv_.wait(lk, [this] { return pending_ == 0; });
    job_ = nullptr;
}

void ThreadPool::workerLoop(int) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        while (nextChunk_ < numChunks_) {
            const int64_t c = nextChunk_++;
            const auto* fn = job_;
            const int64_t b = c * chunk_, e = std::min(n_, (c + 1) * chunk_);
            lk.unlock();
            (*fn)(b, e);
            lk.lock();
        }
        if (--pending_ == 0) doneCv_.notify_all();
    }
}

}  // namespace kiln::cpu
