// Conversions between public API types and IR types.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "kiln/types.h"

namespace kiln::api {

inline ir::DType toIR(DataType t) { return static_cast<ir::DType>(static_cast<int32_t>(t)); }
inline DataType fromIR(ir::DType t) { return static_cast<DataType>(static_cast<int32_t>(t)); }
bool validDataType(DataType t);

ir::Shape toShape(const Dims& d);  // nbDims outside [0, MAX_DIMS] gives an empty shape
Dims toDims(const ir::Shape& s);   // shapes longer than MAX_DIMS are cut (never happens for valid IR)
std::vector<int64_t> dimsToVector(const Dims& d);
bool dimsValid(const Dims& d);     // 0 <= nbDims <= MAX_DIMS
Dims invalidDims();                // nbDims = -1: what getters return on error

// Axes bitmask <-> axis list; `offset` shifts axes (1 for implicit-batch networks).
std::vector<int64_t> maskToAxes(uint32_t mask, int offset);
uint32_t axesToMask(const std::vector<int64_t>& axes, int offset);

// Copies weights into an immutable blob. Returns nullptr and sets `error` for
// null values with a non-zero count, negative counts or invalid types.
ir::ConstData copyWeights(const Weights& w, std::string& error);

}  // namespace kiln::api
