// The builder's timing cache: measured tactic times kept across builds (and
// written to a file by the user), so that a rebuild skips the timing and
// chooses the same tactics, giving a byte-identical engine.
//
// An entry is keyed by the device (the engine header's fingerprint: GPU name
// and SM version, or the CPU's features), the problem (op, attributes, input
// types and shapes: problemKey()) and the tactic's name; its value is the
// median time in milliseconds, or -1 when the tactic failed on the problem.
//
// Serialized form (text, one entry a line, fields separated by tabs; tab,
// newline and backslash inside a field are written \t, \n and \\):
//   kiln-timing-cache 1
//   <device>\t<problem>\t<tactic>\t<ms>
// Entries are sorted, so the same contents always serialize to the same bytes.
#pragma once
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ir/graph.h"

namespace kiln::builder {

class TimingCacheData {
public:
    using Key = std::tuple<std::string, std::string, std::string>;  // device, problem, tactic

    TimingCacheData() = default;
    TimingCacheData(const TimingCacheData& o);
    TimingCacheData& operator=(const TimingCacheData& o);

    bool lookup(const std::string& device, const std::string& problem, const std::string& tactic, double& ms) const;
    void insert(const std::string& device, const std::string& problem, const std::string& tactic, double ms);
    // Adds the entries of `other` this cache lacks; existing entries stay.
    void combine(const TimingCacheData& other);
    void reset();
    size_t size() const;
    std::set<std::string> devices() const;

    std::string serialize() const;
    static Status deserialize(const void* blob, size_t size, TimingCacheData& out);

private:
    mutable std::mutex mu_;
    std::map<Key, double> entries_;
};

// The problem a tactic is timed on: op, attributes, and each input's type,
// shape and whether it is a constant (not its values).
std::string problemKey(const ir::Graph& g, const ir::Node& n);

// Build-time use of a cache: checks the devices (unless mismatches are
// ignored) and counts hits and new measurements for the log.
Status checkTimingCacheDevice(const TimingCacheData& cache, const std::string& device, bool ignoreMismatch);

}  // namespace kiln::builder
