#include "attrs.h"

namespace kiln::ir {

int64_t Attrs::getInt(const std::string& k, int64_t dflt) const {
    auto it = m_.find(k);
    if (it == m_.end()) return dflt;
    if (auto p = std::get_if<int64_t>(&it->second)) return *p;
    if (auto p = std::get_if<double>(&it->second)) return int64_t(*p);
    return dflt;
}

double Attrs::getFloat(const std::string& k, double dflt) const {
    auto it = m_.find(k);
    if (it == m_.end()) return dflt;
    if (auto p = std::get_if<double>(&it->second)) return *p;
    if (auto p = std::get_if<int64_t>(&it->second)) return double(*p);
    return dflt;
}

std::string Attrs::getString(const std::string& k, const std::string& dflt) const {
    auto it = m_.find(k);
    if (it == m_.end()) return dflt;
    if (auto p = std::get_if<std::string>(&it->second)) return *p;
    return dflt;
}

std::vector<int64_t> Attrs::getInts(const std::string& k, std::vector<int64_t> dflt) const {
    auto it = m_.find(k);
    if (it == m_.end()) return dflt;
    if (auto p = std::get_if<std::vector<int64_t>>(&it->second)) return *p;
    if (auto p = std::get_if<int64_t>(&it->second)) return {*p};
    return dflt;
}

std::vector<double> Attrs::getFloats(const std::string& k, std::vector<double> dflt) const {
    auto it = m_.find(k);
    if (it == m_.end()) return dflt;
    if (auto p = std::get_if<std::vector<double>>(&it->second)) return *p;
    if (auto p = std::get_if<std::vector<int64_t>>(&it->second)) return {p->begin(), p->end()};
    if (auto p = std::get_if<double>(&it->second)) return {*p};
    return dflt;
}

}  // namespace kiln::ir
