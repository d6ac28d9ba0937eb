#include "timing_cache.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kiln::builder {
namespace {

constexpr std::string_view kHeader = "kiln-timing-cache 1\n";

std::string escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        if (c == '\\')
            o += "\\\\";
        else if (c == '\t')
            o += "\\t";
        else if (c == '\n')
            o += "\\n";
        else
            o += c;
    }
    return o;
}

bool unescape(std::string_view s, std::string& o) {
    o.clear();
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            o += s[i];
            continue;
        }
        if (++i == s.size()) return false;
        if (s[i] == '\\')
            o += '\\';
        else if (s[i] == 't')
            o += '\t';
        else if (s[i] == 'n')
            o += '\n';
        else
            return false;
    }
    return true;
}

}  // namespace

TimingCacheData::TimingCacheData(const TimingCacheData& o) {
    std::lock_guard lock(o.mu_);
    entries_ = o.entries_;
}

TimingCacheData& TimingCacheData::operator=(const TimingCacheData& o) {
    if (this == &o) return *this;
    std::map<Key, double> copy;
    {
        std::lock_guard lock(o.mu_);
        copy = o.entries_;
    }
    std::lock_guard lock(mu_);
    entries_ = std::move(copy);
    return *this;
}

bool TimingCacheData::lookup(const std::string& device, const std::string& problem, const std::string& tactic,
                             double& ms) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(Key{device, problem, tactic});
    if (it == entries_.end()) return false;
    ms = it->second;
    return true;
}

void TimingCacheData::insert(const std::string& device, const std::string& problem, const std::string& tactic,
                             double ms) {
    std::lock_guard lock(mu_);
    entries_[Key{device, problem, tactic}] = ms < 0 ? -1.0 : ms;
}

void TimingCacheData::combine(const TimingCacheData& other) {
    if (this == &other) return;
    std::map<Key, double> add;
    {
        std::lock_guard lock(other.mu_);
        add = other.entries_;
    }
    std::lock_guard lock(mu_);
    entries_.insert(add.begin(), add.end());  // keeps existing entries
}

void TimingCacheData::reset() {
    std::lock_guard lock(mu_);
    entries_.clear();
}

size_t TimingCacheData::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::set<std::string> TimingCacheData::devices() const {
    std::lock_guard lock(mu_);
    std::set<std::string> d;
    for (const auto& [k, v] : entries_) d.insert(std::get<0>(k));
    return d;
}

std::string TimingCacheData::serialize() const {
    std::lock_guard lock(mu_);
    std::string s(kHeader);
    char ms[64];
    for (const auto& [k, v] : entries_) {
        // %.17g round-trips a double exactly, so a reloaded cache decides as the original.
        std::snprintf(ms, sizeof ms, "%.17g", v);
        s += escape(std::get<0>(k)) + '\t' + escape(std::get<1>(k)) + '\t' + escape(std::get<2>(k)) + '\t' + ms + '\n';
    }
    return s;
}

Status TimingCacheData::deserialize(const void* blob, size_t size, TimingCacheData& out) {
    out.reset();
    if (size == 0)
        return Status::Ok();  // an empty blob makes an empty cache (TensorRT's createTimingCache(nullptr, 0))
    if (!blob) return Status::Error("timing cache: null data with a non-zero size");
    const std::string_view s(static_cast<const char*>(blob), size);
    if (s.substr(0, kHeader.size()) != kHeader)
        return Status::Error(
            "timing cache: not a kiln timing cache (or another version of one): the first line must be '" +
            std::string(kHeader.substr(0, kHeader.size() - 1)) + "'");
    std::map<Key, double> entries;
    size_t pos = kHeader.size(), line = 2;
    for (; pos < s.size(); ++line) {
        const size_t end = s.find('\n', pos);
        if (end == std::string_view::npos)
            return Status::Error("timing cache: line " + std::to_string(line) + " has no end (truncated file?)");
        const std::string_view l = s.substr(pos, end - pos);
        pos = end + 1;
        std::string_view f[4];
        size_t at = 0, n = 0;
        for (; n < 4; ++n) {
            const size_t tab = l.find('\t', at);
            f[n] = l.substr(at, tab == std::string_view::npos ? std::string_view::npos : tab - at);
            if (tab == std::string_view::npos) break;
            at = tab + 1;
        }
        if (n != 3)
            return Status::Error("timing cache: line " + std::to_string(line) +
                                 " does not have 4 tab-separated fields (device, problem, tactic, ms)");
        std::string device, problem, tactic;
        if (!unescape(f[0], device) || !unescape(f[1], problem) || !unescape(f[2], tactic) || device.empty() ||
            problem.empty() || tactic.empty())
            return Status::Error("timing cache: line " + std::to_string(line) + " has an empty or badly escaped field");
        const std::string num(f[3]);
        char* endp = nullptr;
        const double ms = std::strtod(num.c_str(), &endp);
        if (num.empty() || endp != num.c_str() + num.size() || !std::isfinite(ms) || (ms < 0 && ms != -1.0))
            return Status::Error("timing cache: line " + std::to_string(line) + ": '" + num +
                                 "' is not a time in milliseconds (or -1 for a failed tactic)");
        entries[Key{std::move(device), std::move(problem), std::move(tactic)}] = ms;
    }
    std::lock_guard lock(out.mu_);
    out.entries_ = std::move(entries);
    return Status::Ok();
}

std::string problemKey(const ir::Graph& g, const ir::Node& n) {
    std::string s = n.op + "|";
    for (const auto& [k, v] : n.attrs.all()) {
        s += k + "=";
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>)
                    s += x;
                else if constexpr (std::is_arithmetic_v<T>)
                    s += std::to_string(x);
                else
                    for (auto e : x) s += std::to_string(e) + ",";
            },
            v);
        s += ";";
    }
    for (int v : n.inputs) {
        if (v < 0) {
            s += "|-";
            continue;
        }
        const auto& val = g.values[size_t(v)];
        s += "|" + std::string(ir::dtypeName(val.dtype)) + ir::shapeToString(val.shape) + (val.isConstant() ? "c" : "");
    }
    return s;
}

Status checkTimingCacheDevice(const TimingCacheData& cache, const std::string& device, bool ignoreMismatch) {
    if (ignoreMismatch) return Status::Ok();
    for (const auto& d : cache.devices())
        if (d != device)
            return Status::Error("the timing cache holds timings measured on '" + d + "', and this build is for '" +
                                 device +
                                 "': use a cache made on this device, or set it with ignoreMismatch = true (the "
                                 "other device's entries are then kept but not used)");
    return Status::Ok();
}

}  // namespace kiln::builder
