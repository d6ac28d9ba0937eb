// Small helpers shared by the layer implementations.
#pragma once
#include "../network_impl.h"

namespace kiln::api {

// Dims <-> attribute lists.
inline void setIntsAttr(ir::Node& n, const char* key, const Dims& d) { n.attrs.set(key, dimsToVector(d)); }
inline Dims intsAttr(const ir::Node& n, const char* key, int rank, int64_t dflt) {
    auto v = n.attrs.getInts(key);
    if (v.empty()) v.assign(size_t(rank), dflt);
    return toDims(v);
}
// Weights view of a constant value (empty when the input slot is unset).
Weights weightsOf(const NetworkImpl& net, int value);
// Replaces the constant behind input slot `slot` of `node` with new weights
// (or clears an optional slot when the count is 0).
void replaceWeights(NetworkImpl& net, int nodeIndex, int slot, const Weights& w, const char* role, bool optional);

}  // namespace kiln::api
