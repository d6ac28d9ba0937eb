// Helpers shared by the reduction family's reference kernels (Softmax,
// Reduce, Normalization, TopK). A reduction over any set of axes is expressed
// as independent "rows": each row is one combination of the kept axes (in
// row-major order of the kept axes, i.e. the order of the reduced output), and
// its elements are the combinations of the reduced axes.
#pragma once
#include <string>
#include <vector>

#include "../kernel.h"

namespace kiln::cpu::ref::detail {

inline bool isFloatType(ir::DType t) { return ir::dtypeIsArithmeticFloat(t); }

// Offsets (with the given strides) of every combination of `dims`, enumerated
// row-major over those dims. Empty if any of those extents is 0.
inline std::vector<int64_t> offsetsOver(const ir::Shape& shape, const std::vector<int64_t>& strides,
                                        const std::vector<int>& dims) {
    int64_t count = 1;
    for (int d : dims) count *= shape[size_t(d)];
    std::vector<int64_t> offs;
    if (count <= 0) return offs;
    offs.reserve(size_t(count));
    std::vector<int64_t> idx(dims.size(), 0);
    int64_t off = 0;
    for (int64_t n = 0; n < count; ++n) {
        offs.push_back(off);
        // Odometer increment from the innermost listed dim.
        for (int i = int(dims.size()) - 1; i >= 0; --i) {
            const int d = dims[size_t(i)];
            off += strides[size_t(d)];
            if (++idx[size_t(i)] < shape[size_t(d)]) break;
            off -= strides[size_t(d)] * shape[size_t(d)];
            idx[size_t(i)] = 0;
        }
    }
    return offs;
}

struct RowLayout {
    std::vector<int64_t> rowBase;  // offset of element 0 of each row
    std::vector<int64_t> inRow;    // offsets of a row's elements relative to its base
};

// Splits `shape` into rows reducing over the dims marked in `reduced`, with
// the given strides (row-major strides of `shape`, or broadcast strides).
inline RowLayout makeRowLayout(const ir::Shape& shape, const std::vector<bool>& reduced,
                               const std::vector<int64_t>& strides) {
    std::vector<int> kept, red;
    for (size_t i = 0; i < shape.size(); ++i) (reduced[i] ? red : kept).push_back(int(i));
    return {offsetsOver(shape, strides, kept), offsetsOver(shape, strides, red)};
}

inline RowLayout makeRowLayout(const ir::Shape& shape, const std::vector<bool>& reduced) {
    return makeRowLayout(shape, reduced, ir::stridesOf(shape));
}

// Reads and normalizes the axes attribute at run time; inference already
// validated it, but a kernel must not index out of bounds on a bad node.
inline Status reducedMask(const std::vector<int64_t>& axes, size_t rank, bool emptyMeansAll,
                          std::vector<bool>& mask) {
    mask.assign(rank, emptyMeansAll && axes.empty());
    for (int64_t a : axes) {
        if (!ir::normalizeAxis(a, int64_t(rank)) || mask[size_t(a)])
            return Status::Error("invalid or repeated axis " + std::to_string(a) + " for rank " +
                                 std::to_string(rank));
        mask[size_t(a)] = true;
    }
    return Status::Ok();
}

inline Status unsupportedDType(const char* op, ir::DType t) {
    return Status::Error(std::string(op) + ": unsupported dtype " + std::string(ir::dtypeName(t)));
}

}  // namespace kiln::cpu::ref::detail
