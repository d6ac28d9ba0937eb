#include "convert.h"

#include <algorithm>
#include <cstring>

namespace kiln::api {

bool validDataType(DataType t) { return ir::dtypeValid(int(t)); }

ir::Shape toShape(const Dims& d) {
    if (!dimsValid(d)) return {};
    return ir::Shape(d.d, d.d + d.nbDims);
}

Dims toDims(const ir::Shape& s) {
    Dims d;
    d.nbDims = int32_t(std::min<size_t>(s.size(), Dims::MAX_DIMS));
    for (int i = 0; i < d.nbDims; ++i) d.d[i] = s[i];
    return d;
}

std::vector<int64_t> dimsToVector(const Dims& d) { return toShape(d); }

bool dimsValid(const Dims& d) { return d.nbDims >= 0 && d.nbDims <= Dims::MAX_DIMS; }

Dims invalidDims() {
    Dims d;
    d.nbDims = -1;
    return d;
}

std::vector<int64_t> maskToAxes(uint32_t mask, int offset) {
    std::vector<int64_t> axes;
    for (int i = 0; i < 32; ++i)
        if (mask & (1u << i)) axes.push_back(i + offset);
    return axes;
}

uint32_t axesToMask(const std::vector<int64_t>& axes, int offset) {
    uint32_t m = 0;
    for (int64_t a : axes)
        if (a - offset >= 0 && a - offset < 32) m |= 1u << (a - offset);
    return m;
}

ir::ConstData copyWeights(const Weights& w, std::string& error) {
    if (w.count < 0) {
        error = "weights have a negative count (" + std::to_string(w.count) + ")";
        return nullptr;
    }
    if (!validDataType(w.type)) {
        error = "weights have an invalid data type";
        return nullptr;
    }
    if (w.count > 0 && !w.values) {
        error = "weights have count " + std::to_string(w.count) + " but a null values pointer";
        return nullptr;
    }
    const size_t bytes = size_t(w.count) * ir::dtypeSize(toIR(w.type));
    auto blob = std::make_shared<ir::Bytes>(bytes);
    if (bytes) std::memcpy(blob->data(), w.values, bytes);
    return blob;
}

}  // namespace kiln::api
