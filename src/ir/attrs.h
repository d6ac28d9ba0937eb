// Node attributes: a sorted map so that serialization is deterministic.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace kiln::ir {

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

class Attrs {
public:
    void set(const std::string& k, int64_t v) { m_[k] = v; }
    void set(const std::string& k, int v) { m_[k] = int64_t(v); }
    void set(const std::string& k, bool v) { m_[k] = int64_t(v ? 1 : 0); }
    void set(const std::string& k, double v) { m_[k] = v; }
    void set(const std::string& k, float v) { m_[k] = double(v); }
    void set(const std::string& k, std::string v) { m_[k] = std::move(v); }
    void set(const std::string& k, const char* v) { m_[k] = std::string(v); }
    void set(const std::string& k, std::vector<int64_t> v) { m_[k] = std::move(v); }
    void set(const std::string& k, std::vector<double> v) { m_[k] = std::move(v); }
    void erase(const std::string& k) { m_.erase(k); }

    bool has(const std::string& k) const { return m_.count(k) != 0; }
    int64_t getInt(const std::string& k, int64_t dflt = 0) const;
    double getFloat(const std::string& k, double dflt = 0.0) const;  // accepts ints too
    std::string getString(const std::string& k, const std::string& dflt = {}) const;
    std::vector<int64_t> getInts(const std::string& k, std::vector<int64_t> dflt = {}) const;
    std::vector<double> getFloats(const std::string& k, std::vector<double> dflt = {}) const;

    const std::map<std::string, AttrValue>& all() const { return m_; }
    std::map<std::string, AttrValue>& all() { return m_; }
    bool operator==(const Attrs& o) const { return m_ == o.m_; }

private:
    std::map<std::string, AttrValue> m_;
};

}  // namespace kiln::ir
