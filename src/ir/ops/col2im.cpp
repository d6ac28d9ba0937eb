// Col2Im: rearranges column blocks into an image, summing overlaps (ONNX
// Col2Im-18, the inverse layout of im2col); docs/ops.md.
#include "col2im.h"

#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

Status readShapeInput(const TensorDesc& t, const char* what, std::vector<int64_t>& v) {
    if (t.dtype != DType::kI64 && t.dtype != DType::kI32)
        return Status::Error(std::string(what) + " must be int64 or int32");
    if (t.shape.size() != 1 || t.shape[0] < 1)
        return Status::Error(std::string(what) + " must be 1-D and not empty, got " + shapeToString(t.shape));
    if (t.shape[0] > kMaxRank - 2) return Status::Error("output rank exceeds the maximum rank");
    if (!t.data)
        return Status::Error(std::string("the output shape needs the values of ") + what + ", known only at run time");
    v.resize(size_t(t.shape[0]));
    for (size_t i = 0; i < v.size(); ++i) v[i] = int64_t(loadAsDouble(t.data, t.dtype, int64_t(i)));
    return Status::Ok();
}

std::string list(const std::vector<int64_t>& v) { return shapeToString(v); }

}  // namespace

Status resolveCol2Im(const Node& node, const std::vector<TensorDesc>& in, Col2ImParams& p) {
    const Attrs& a = node.attrs;
    const TensorDesc& x = in[0];
    if (x.shape.size() != 3)
        return Status::Error("input must be [N, C * prod(block_shape), L], got " + shapeToString(x.shape));
    if (hasInput(node, in, 1))
        KILN_RETURN_IF_ERROR(readShapeInput(in[1], "input 1 (image_shape)", p.image));
    else
        p.image = a.getInts("image_shape");
    if (hasInput(node, in, 2))
        KILN_RETURN_IF_ERROR(readShapeInput(in[2], "input 2 (block_shape)", p.block));
    else
        p.block = a.getInts("block_shape");
    const size_t k = p.image.size();
    if (k == 0 || p.block.size() != k)
        return Status::Error("image_shape " + list(p.image) + " and block_shape " + list(p.block) +
                             " need the same, non-zero length");
    p.strides = a.getInts("strides", std::vector<int64_t>(k, 1));
    p.dilations = a.getInts("dilations", std::vector<int64_t>(k, 1));
    std::vector<int64_t> pads = a.getInts("pads", std::vector<int64_t>(2 * k, 0));
    if (p.strides.size() != k || p.dilations.size() != k || pads.size() != 2 * k)
        return Status::Error("strides and dilations need " + std::to_string(k) + " entries, pads " +
                             std::to_string(2 * k));
    p.padsBegin.assign(pads.begin(), pads.begin() + int64_t(k));
    p.padsEnd.assign(pads.begin() + int64_t(k), pads.end());
    constexpr int64_t kMax = int64_t(1) << 31;
    int64_t blockVolume = 1, count = 1;
    p.blocks.clear();
    for (size_t i = 0; i < k; ++i) {
        if (p.image[i] < 1 || p.block[i] < 1 || p.strides[i] < 1 || p.dilations[i] < 1 || p.padsBegin[i] < 0 ||
            p.padsEnd[i] < 0 || p.image[i] > kMax || p.block[i] > kMax || p.strides[i] > kMax ||
            p.dilations[i] > kMax || p.padsBegin[i] > kMax || p.padsEnd[i] > kMax)
            return Status::Error("spatial dim " + std::to_string(i) +
                                 ": image/block/strides/dilations must be in [1, 2^31], pads in [0, 2^31]");
        const int64_t span = p.image[i] + p.padsBegin[i] + p.padsEnd[i] - (p.dilations[i] * (p.block[i] - 1) + 1);
        if (span < 0)
            return Status::Error("spatial dim " + std::to_string(i) +
                                 ": the dilated block is larger than the padded image");
        p.blocks.push_back(span / p.strides[i] + 1);
        if (__builtin_mul_overflow(blockVolume, p.block[i], &blockVolume) ||
            __builtin_mul_overflow(count, p.blocks.back(), &count))
            return Status::Error("prod(block_shape) or the number of blocks overflows int64");
    }
    if (x.shape[1] >= 0 && x.shape[1] % blockVolume != 0)
        return Status::Error("dim 1 of the input (" + std::to_string(x.shape[1]) +
                             ") is not a multiple of prod(block_shape) = " + std::to_string(blockVolume));
    if (x.shape[2] >= 0 && x.shape[2] != count)
        return Status::Error("dim 2 of the input (" + std::to_string(x.shape[2]) +
                             ") must equal the number of blocks " + std::to_string(count));
    p.channels = x.shape[1] < 0 ? -1 : x.shape[1] / blockVolume;
    p.outShape = {x.shape[0], p.channels};
    p.outShape.insert(p.outShape.end(), p.image.begin(), p.image.end());
    if (p.outShape.size() > size_t(kMaxRank)) return Status::Error("output rank exceeds the maximum rank");
    return Status::Ok();
}

namespace {

Status inferCol2Im(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const DType t = in[0].dtype;
    if (t != DType::kF32 && t != DType::kF16 && t != DType::kBF16 && t != DType::kI32)
        return Status::Error("unsupported dtype " + std::string(dtypeName(t)));
    if ((hasInput(node, in, 1) && !in[1].data) || (hasInput(node, in, 2) && !in[2].data)) {
        // The image extents (and the channels) follow from values known at run time only.
        const TensorDesc& img = hasInput(node, in, 1) ? in[1] : in[2];
        if (in[0].shape.size() != 3 || img.shape.size() != 1 || img.shape[0] < 1)
            return Status::Error("input must be [N, C * prod(block_shape), L] with 1-D image_shape/block_shape");
        const int64_t k = hasInput(node, in, 1) ? in[1].shape[0] : int64_t(node.attrs.getInts("image_shape").size());
        // k comes from a declared shape (a mutated one may say 2^62): check it before sizing the shape.
        if (k > kMaxRank - 2) return Status::Error("output rank exceeds the maximum rank");
        Shape s = {in[0].shape[0], -1};
        s.insert(s.end(), size_t(k), -1);
        out[0] = {t, s, nullptr};
        return Status::Ok();
    }
    Col2ImParams p;
    KILN_RETURN_IF_ERROR(resolveCol2Im(node, in, p));
    out[0] = {t, p.outShape, nullptr};
    return Status::Ok();
}

}  // namespace

void registerCol2ImOp(std::vector<OpSchema>& t) { t.push_back({"Col2Im", 1, 3, 1, 1, &inferCol2Im}); }

}  // namespace kiln::ir
