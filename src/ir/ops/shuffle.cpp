// Shuffle: TensorRT's IShuffleLayer, transpose(perm1) -> reshape -> transpose(perm2).
#include "data_movement.h"

namespace kiln::ir::movement {

namespace {

std::vector<int64_t> identityPerm(size_t rank) {
    std::vector<int64_t> p(rank);
    for (size_t i = 0; i < rank; ++i) p[i] = int64_t(i);
    return p;
}

Shape permute(const Shape& s, const std::vector<int64_t>& perm) {
    Shape r(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) r[i] = s[size_t(perm[i])];
    return r;
}

// Resolves 0 placeholders and the one -1 of a reshape spec against `from`.
Status resolveReshape(const Shape& from, const std::vector<int64_t>& spec, bool zeroIsPlaceholder, Shape& to) {
    if (spec.size() > size_t(kMaxRank))
        return Status::Error("reshape to rank " + std::to_string(spec.size()) + " exceeds the maximum rank " +
                             std::to_string(kMaxRank));
    to.assign(spec.size(), 0);
    int inferred = -1;
    for (size_t i = 0; i < spec.size(); ++i) {
        const int64_t v = spec[i];
        if (v == 0 && zeroIsPlaceholder) {
            if (i >= from.size())
                return Status::Error("reshape " + shapeToString(spec) + ": placeholder 0 at index " +
                                     std::to_string(i) + " has no input dim (input " + shapeToString(from) + ")");
            to[i] = from[i];
        } else if (v == -1) {
            if (inferred >= 0) return Status::Error("reshape " + shapeToString(spec) + " has more than one -1");
            inferred = int(i);
        } else if (v < -1) {
            return Status::Error("reshape " + shapeToString(spec) + " has invalid dim " + std::to_string(v) +
                                 " at index " + std::to_string(i));
        } else {
            to[i] = v;
        }
    }
    // Dims copied by placeholders appear on both sides and cancel, so -1 can
    // be inferred even when those dims are dynamic (or zero).
    auto copied = [&](size_t i) { return i < spec.size() && spec[i] == 0 && zeroIsPlaceholder; };
    int64_t inKnown = 1, outKnown = 1;
    bool inUnknown = false;
    for (size_t i = 0; i < from.size(); ++i) {
        if (copied(i)) continue;
        if (from[i] < 0) inUnknown = true;
        else if (__builtin_mul_overflow(inKnown, from[i], &inKnown))
            return Status::Error("input " + shapeToString(from) + ": volume overflows int64");
    }
    for (size_t i = 0; i < to.size(); ++i) {
        if (int(i) == inferred || copied(i)) continue;
        if (__builtin_mul_overflow(outKnown, to[i], &outKnown))
            return Status::Error("reshape " + shapeToString(spec) + ": volume overflows int64");
    }
    if (inferred >= 0) {
        if (inUnknown) {
            to[inferred] = -1;  // resolved at run time
        } else if (outKnown == 0) {
            return Status::Error("reshape " + shapeToString(spec) + ": cannot infer -1 when other dims are 0 (input " +
                                 shapeToString(from) + ")");
        } else if (inKnown % outKnown != 0) {
            return Status::Error("cannot reshape " + shapeToString(from) + " to " + shapeToString(spec) +
                                 ": volume is not a multiple of " + std::to_string(outKnown));
        } else {
            to[inferred] = inKnown / outKnown;
        }
    } else if (!inUnknown && inKnown != outKnown) {
        return Status::Error("cannot reshape " + shapeToString(from) + " to " + shapeToString(to) +
                             ": volumes differ");
    }
    return Status::Ok();
}

}  // namespace

bool isIdentityPerm(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != int64_t(i)) return false;
    return true;
}

Status resolveShuffle(const Node& node, const std::vector<TensorDesc>& in, ShuffleParams& p) {
    KILN_RETURN_IF_ERROR(requireInput(node, in, 0, "X"));
    const Shape& xs = in[0].shape;
    p.perm1 = node.attrs.getInts("perm1");
    if (p.perm1.empty()) p.perm1 = identityPerm(xs.size());
    KILN_RETURN_IF_ERROR(checkPerm(p.perm1, xs.size(), "perm1"));
    p.transposed = permute(xs, p.perm1);

    std::vector<int64_t> spec;
    bool reshape = false;
    if (hasInput(node, in, 1)) {
        const TensorDesc& s = in[1];
        if (s.shape.size() != 1)
            return Status::Error("input 1 (Shape) must be 1-D, got shape " + shapeToString(s.shape));
        if (s.dtype != DType::kI32 && s.dtype != DType::kI64)
            return Status::Error("input 1 (Shape) must be int32 or int64, got " + std::string(dtypeName(s.dtype)));
        if (!s.data && s.shape[0] > 0) {
            // The new dims are known at run time only; the rank is known.
            if (s.shape[0] > int64_t(kMaxRank))
                return Status::Error("reshape to rank " + std::to_string(s.shape[0]) + " exceeds the maximum rank " +
                                     std::to_string(kMaxRank));
            p.reshaped.assign(size_t(s.shape[0]), -1);
        } else {
        KILN_RETURN_IF_ERROR(readIntTensor(s, 1, spec));
        reshape = true;
        }
    } else if (node.attrs.has("reshape")) {
        spec = node.attrs.getInts("reshape");
        reshape = true;
    }
    if (reshape) {
        const bool placeholder = node.attrs.getInt("zero_is_placeholder", 1) != 0;
        KILN_RETURN_IF_ERROR(resolveReshape(p.transposed, spec, placeholder, p.reshaped));
    } else if (!hasInput(node, in, 1)) {
        p.reshaped = p.transposed;
    }

    p.perm2 = node.attrs.getInts("perm2");
    if (p.perm2.empty()) p.perm2 = identityPerm(p.reshaped.size());
    return checkPerm(p.perm2, p.reshaped.size(), "perm2");
}

Status inferShuffle(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    ShuffleParams p;
    KILN_RETURN_IF_ERROR(resolveShuffle(node, in, p));
    out[0] = {in[0].dtype, permute(p.reshaped, p.perm2), nullptr};
    return Status::Ok();
}

}  // namespace kiln::ir::movement
