// LayerChain: a thin helper over the network API for converters that decompose
// one ONNX node into many kiln layers (the transformer ops: Attention,
// RotaryEmbedding, RMSNormalization, ...).
//
// Every call returns the new layer's output, or null after recording one error
// naming the node. A null input propagates (no second error), so a converter
// chains calls freely and checks ok() (or the final tensor) once.
#pragma once
#include <string>
#include <vector>

#include "ops.h"

namespace kiln::onnx {

class LayerChain {
public:
    explicit LayerChain(ConverterContext& ctx) : mCtx(ctx) {}

    bool ok() const { return !mFailed; }
    //! Records `message` (once) and returns null.
    ITensor* fail(const std::string& message);
    ConverterContext& ctx() { return mCtx; }

    //! Dims of `x` as a vector (empty for null).
    static std::vector<int64_t> dims(const ITensor* x);

    ITensor* reshape(ITensor* x, const std::vector<int64_t>& dims);
    //! Transposes with `perm` (output dim i = input dim perm[i]).
    ITensor* transpose(ITensor* x, const std::vector<int32_t>& perm);
    //! Reshape, then transpose the reshaped tensor (one shuffle layer).
    ITensor* reshapeTranspose(ITensor* x, const std::vector<int64_t>& dims, const std::vector<int32_t>& perm);
    //! Transpose, then reshape (one shuffle layer).
    ITensor* transposeReshape(ITensor* x, const std::vector<int32_t>& perm, const std::vector<int64_t>& dims);

    ITensor* identity(ITensor* x);
    ITensor* binary(ITensor* a, ITensor* b, ElementWiseOperation op);
    ITensor* add(ITensor* a, ITensor* b) { return binary(a, b, ElementWiseOperation::kSUM); }
    ITensor* sub(ITensor* a, ITensor* b) { return binary(a, b, ElementWiseOperation::kSUB); }
    ITensor* mul(ITensor* a, ITensor* b) { return binary(a, b, ElementWiseOperation::kPROD); }
    ITensor* div(ITensor* a, ITensor* b) { return binary(a, b, ElementWiseOperation::kDIV); }
    ITensor* unary(ITensor* x, UnaryOperation op);
    ITensor* activation(ITensor* x, ActivationType type, float alpha = 0.f, float beta = 0.f);
    //! Casts to `type`; returns `x` itself when it already has that type.
    ITensor* cast(ITensor* x, DataType type);
    ITensor* matmul(ITensor* a, bool transA, ITensor* b, bool transB);
    ITensor* softmax(ITensor* x, int32_t axis);
    ITensor* reduce(ITensor* x, ReduceOperation op, uint32_t axes, bool keepDims);
    ITensor* select(ITensor* cond, ITensor* thenValue, ITensor* elseValue);
    ITensor* concat(const std::vector<ITensor*>& xs, int32_t axis);
    ITensor* slice(ITensor* x, const std::vector<int64_t>& start, const std::vector<int64_t>& size,
                   const std::vector<int64_t>& stride);
    //! x[..., begin:end:step] along one axis (static extents).
    ITensor* sliceAxis(ITensor* x, int32_t axis, int64_t begin, int64_t end, int64_t step = 1);
    ITensor* gather(ITensor* data, ITensor* indices, int32_t axis, GatherMode mode = GatherMode::kDEFAULT);

    //! A constant of `type` (a float type, computed in float32 then cast) shaped `dims`.
    ITensor* constant(const std::vector<int64_t>& dims, const std::vector<float>& values, DataType type);
    //! A scalar of `type` with rank `rank` (all extents 1), broadcastable to anything of that rank.
    ITensor* scalar(float value, int32_t rank, DataType type);
    ITensor* constantInt64(const std::vector<int64_t>& dims, const std::vector<int64_t>& values);
    //! int64 0, 1, .., n-1 shaped `dims` (whose product is n).
    ITensor* iota(int64_t n, const std::vector<int64_t>& dims);
    //! tableFits (ops.h) for a constant table the caller is about to make; fails the chain when not.
    bool tableFits(int64_t rows, int64_t cols);

private:
    //! Names the layer after the node with a running suffix, fails when null.
    ITensor* finish(ILayer* layer, const char* what);

    ConverterContext& mCtx;
    bool mFailed = false;
    int32_t mCount = 0;
};

//! x * sigmoid(alpha * x) (swiglu.cpp).
ITensor* addSwish(LayerChain& c, ITensor* x, float alpha);

//! True for float32, float16 and bfloat16.
bool isFloatType(DataType type);

}  // namespace kiln::onnx
