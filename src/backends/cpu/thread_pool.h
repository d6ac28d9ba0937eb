// A small fixed pool for data-parallel loops inside one kernel call. Each
// execution context owns one, so contexts on different threads never contend.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::cpu {

class ThreadPool {
public:
    // threads <= 0 means one per hardware thread.
    explicit ThreadPool(int threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(workers_.size()) + 1; }
    // Calls fn(begin, end) on disjoint chunks covering [0, n); blocks until done.
    // Chunks are at least `grain` long. Runs inline when n is small.
    void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain = 1);

private:
    void workerLoop(int index);

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable cv_, doneCv_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t n_ = 0, chunk_ = 0;
    int64_t nextChunk_ = 0, numChunks_ = 0;
    int pending_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
};

}  // namespace kiln::cpu
