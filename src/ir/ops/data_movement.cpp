// Data movement family: schemas, shared helpers, and the small ops (Concat,
// Shape, Identity). Shuffle, Gather, Slice/Pad and Resize have their own files.
#include "data_movement.h"

#include <cstring>

#include "op_families.h"

namespace kiln::ir {
namespace movement {

Status requireInput(const Node& node, const std::vector<TensorDesc>& in, size_t i, const char* what) {
    if (!hasInput(node, in, i)) return Status::Error("input " + std::to_string(i) + " (" + what + ") is required");
    return Status::Ok();
}

Status readIntTensor(const TensorDesc& t, size_t i, std::vector<int64_t>& out) {
    const std::string name = "input " + std::to_string(i);
    if (t.dtype != DType::kI32 && t.dtype != DType::kI64)
        return Status::Error(name + " must be int32 or int64, got " + std::string(dtypeName(t.dtype)));
    if (!isStatic(t.shape)) return Status::Error(name + " has a dynamic shape " + shapeToString(t.shape));
    const int64_t n = volume(t.shape);
    out.clear();
    if (n == 0) return Status::Ok();
    // Checked before sizing `out`: without values, the shape alone may claim any size.
    if (!t.data) return Status::Error("needs the values of " + name + " at build time");
    out.assign(size_t(n), 0);
    for (int64_t k = 0; k < n; ++k) {
        if (t.dtype == DType::kI64) {
            std::memcpy(&out[k], static_cast<const uint8_t*>(t.data) + k * 8, 8);
        } else {
            int32_t v;
            std::memcpy(&v, static_cast<const uint8_t*>(t.data) + k * 4, 4);
            out[k] = v;
        }
    }
    return Status::Ok();
}

Status checkPerm(const std::vector<int64_t>& perm, size_t rank, const char* what) {
    if (perm.size() != rank)
        return Status::Error(std::string(what) + " has " + std::to_string(perm.size()) +
                             " entries, expected " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (int64_t p : perm) {
        if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
            return Status::Error(std::string(what) + " " + shapeToString(perm) + " is not a permutation of 0.." +
                                 std::to_string(int64_t(rank) - 1));
        seen[size_t(p)] = true;
    }
    return Status::Ok();
}

int64_t sampleCoord(int64_t x, int64_t d, SampleMode mode) {
    if (x >= 0 && x < d) return x;
    switch (mode) {
        case SampleMode::kStrict:
        case SampleMode::kFill: return -1;
        case SampleMode::kClamp: return x < 0 ? 0 : d - 1;
        case SampleMode::kWrap: return ((x % d) + d) % d;
        case SampleMode::kReflect: {
            if (d == 1) return 0;  // a single pixel reflects onto itself
            const int64_t period = 2 * d - 2;
            // |x| without overflow for INT64_MIN: reduce first, then negate.
            int64_t c = x % period;
            if (c < 0) c = -c;
            return c >= d ? period - c : c;
        }
    }
    return -1;
}

// ---- Concat ----

Status inferConcat(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    for (size_t i = 0; i < in.size(); ++i)
        if (!hasInput(node, in, i)) return Status::Error("input " + std::to_string(i) + " is missing");
    if (!node.attrs.has("axis")) return Status::Error("missing attribute 'axis'");
    const TensorDesc& first = in[0];
    const int64_t rank = int64_t(first.shape.size());
    if (rank == 0) return Status::Error("cannot concatenate scalars (rank 0)");
    int64_t axis = node.attrs.getInt("axis");
    if (!normalizeAxis(axis, rank))
        return Status::Error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
    Shape shape = first.shape;
    for (size_t i = 1; i < in.size(); ++i) {
        const TensorDesc& t = in[i];
        if (t.dtype != first.dtype)
            return Status::Error("input " + std::to_string(i) + " has dtype " + std::string(dtypeName(t.dtype)) +
                                 ", input 0 has " + std::string(dtypeName(first.dtype)));
        if (int64_t(t.shape.size()) != rank)
            return Status::Error("input " + std::to_string(i) + " has shape " + shapeToString(t.shape) +
                                 ", rank differs from input 0 " + shapeToString(first.shape));
        for (int64_t d = 0; d < rank; ++d) {
            const int64_t a = shape[d], b = t.shape[d];
            if (d == axis) {
                if (a < 0 || b < 0)
                    shape[d] = -1;
                else if (__builtin_add_overflow(a, b, &shape[d]))  // mutated extents may be 2^63 - 1
                    return Status::Error("input " + std::to_string(i) + ": the concatenated extent of dim " +
                                         std::to_string(d) + " overflows int64");
            } else if (a >= 0 && b >= 0 && a != b) {
                return Status::Error("input " + std::to_string(i) + " has shape " + shapeToString(t.shape) +
                                     ", dim " + std::to_string(d) + " differs from input 0 " +
                                     shapeToString(first.shape));
            } else if (a < 0) {
                shape[d] = b;  // a known extent resolves an unknown one
            }
        }
    }
    out[0] = {first.dtype, shape, nullptr};
    return Status::Ok();
}

// ---- Shape ----

void shapeRange(const Node& node, int64_t rank, int64_t& start, int64_t& end) {
    auto clampAxis = [rank](int64_t a) {
        if (a < 0) a += rank;
        return a < 0 ? 0 : a > rank ? rank : a;
    };
    start = clampAxis(node.attrs.getInt("start", 0));
    end = clampAxis(node.attrs.getInt("end", rank));
    if (end < start) end = start;
}

Status inferShape(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    int64_t start, end;
    shapeRange(node, int64_t(in[0].shape.size()), start, end);
    out[0] = {DType::kI64, {end - start}, nullptr};
    return Status::Ok();
}

// ---- Identity ----

Status inferIdentity(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    out[0] = {in[0].dtype, in[0].shape, nullptr};
    return Status::Ok();
}

}  // namespace movement

void registerDataMovementOps(std::vector<OpSchema>& t) {
    using namespace movement;
    t.push_back({"Concat", 1, -1, 1, 1, &inferConcat});
    t.push_back({"Shuffle", 1, 2, 1, 1, &inferShuffle});
    t.push_back({"Gather", 2, 2, 1, 1, &inferGather});
    t.push_back({"Slice", 1, 5, 1, 1, &inferSlice});
    t.push_back({"Pad", 1, 3, 1, 1, &inferPad});
    t.push_back({"Resize", 1, 4, 1, 1, &inferResize});
    t.push_back({"Shape", 1, 1, 1, 1, &inferShape});
    t.push_back({"Identity", 1, 1, 1, 1, &inferIdentity});
}

}  // namespace kiln::ir
