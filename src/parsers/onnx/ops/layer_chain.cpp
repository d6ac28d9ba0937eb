// LayerChain: see layer_chain.h.
#include "layer_chain.h"

#include <algorithm>

namespace kiln::onnx {

bool isFloatType(DataType type) {
    return type == DataType::kFLOAT || type == DataType::kHALF || type == DataType::kBF16 || type == DataType::kDOUBLE;
}

ITensor* LayerChain::fail(const std::string& message) {
    if (!mFailed) mCtx.fail(ErrorCode::kINVALID_NODE, message);
    mFailed = true;
    return nullptr;
}

std::vector<int64_t> LayerChain::dims(const ITensor* x) {
    if (!x) return {};
    const Dims d = x->getDimensions();
    return std::vector<int64_t>(d.d, d.d + std::max(d.nbDims, 0));  // -1: a tensor the network could not shape
}

ITensor* LayerChain::finish(ILayer* layer, const char* what) {
    if (!layer) return fail(std::string("the network rejected the ") + what + " layer (see the log)");
    mCtx.nameLayer(layer, ("_" + std::to_string(mCount++)).c_str());
    return layer->getOutput(0);
}

namespace {

Permutation toPermutation(const std::vector<int32_t>& perm) {
    Permutation p;
    for (size_t i = 0; i < perm.size() && i < size_t(Dims::MAX_DIMS); ++i) p.order[i] = perm[i];
    return p;
}

}  // namespace

ITensor* LayerChain::reshape(ITensor* x, const std::vector<int64_t>& d) {
    if (!x || mFailed) return nullptr;
    if (d.size() > size_t(Dims::MAX_DIMS)) return fail("an intermediate tensor needs more than 8 dimensions");
    IShuffleLayer* s = mCtx.network().addShuffle(*x);
    if (s) {
        s->setReshapeDimensions(toDims(d));
        s->setZeroIsPlaceholder(false);
    }
    return finish(s, "reshape");
}

ITensor* LayerChain::transpose(ITensor* x, const std::vector<int32_t>& perm) {
    if (!x || mFailed) return nullptr;
    IShuffleLayer* s = mCtx.network().addShuffle(*x);
    if (s) s->setFirstTranspose(toPermutation(perm));
    return finish(s, "transpose");
}

ITensor* LayerChain::reshapeTranspose(ITensor* x, const std::vector<int64_t>& d, const std::vector<int32_t>& perm) {
    if (!x || mFailed) return nullptr;
    if (d.size() > size_t(Dims::MAX_DIMS)) return fail("an intermediate tensor needs more than 8 dimensions");
    IShuffleLayer* s = mCtx.network().addShuffle(*x);
    if (s) {
        s->setReshapeDimensions(toDims(d));
        s->setZeroIsPlaceholder(false);
        s->setSecondTranspose(toPermutation(perm));
    }
    return finish(s, "reshape_transpose");
}

ITensor* LayerChain::transposeReshape(ITensor* x, const std::vector<int32_t>& perm, const std::vector<int64_t>& d) {
    if (!x || mFailed) return nullptr;
    if (d.size() > size_t(Dims::MAX_DIMS)) return fail("an intermediate tensor needs more than 8 dimensions");
    IShuffleLayer* s = mCtx.network().addShuffle(*x);
    if (s) {
        s->setFirstTranspose(toPermutation(perm));
        s->setReshapeDimensions(toDims(d));
        s->setZeroIsPlaceholder(false);
    }
    return finish(s, "transpose_reshape");
}

ITensor* LayerChain::identity(ITensor* x) {
    if (!x || mFailed) return nullptr;
    return finish(mCtx.network().addIdentity(*x), "identity");
}

ITensor* LayerChain::binary(ITensor* a, ITensor* b, ElementWiseOperation op) {
    if (!a || !b || mFailed) return nullptr;
    return finish(mCtx.network().addElementWise(*a, *b, op), "element-wise");
}

ITensor* LayerChain::unary(ITensor* x, UnaryOperation op) {
    if (!x || mFailed) return nullptr;
    return finish(mCtx.network().addUnary(*x, op), "unary");
}

ITensor* LayerChain::activation(ITensor* x, ActivationType type, float alpha, float beta) {
    if (!x || mFailed) return nullptr;
    IActivationLayer* l = mCtx.network().addActivation(*x, type);
    if (l) {
        l->setAlpha(alpha);
        l->setBeta(beta);
    }
    return finish(l, "activation");
}

ITensor* LayerChain::cast(ITensor* x, DataType type) {
    if (!x || mFailed) return nullptr;
    if (x->getType() == type) return x;
    return finish(mCtx.network().addCast(*x, type), "cast");
}

ITensor* LayerChain::matmul(ITensor* a, bool transA, ITensor* b, bool transB) {
    if (!a || !b || mFailed) return nullptr;
    return finish(mCtx.network().addMatrixMultiply(*a, transA ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE,
                                                   *b, transB ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE),
                  "matrix multiply");
}

ITensor* LayerChain::softmax(ITensor* x, int32_t axis) {
    if (!x || mFailed) return nullptr;
    ISoftMaxLayer* l = mCtx.network().addSoftMax(*x);
    if (l) l->setAxes(1u << axis);
    return finish(l, "softmax");
}

ITensor* LayerChain::reduce(ITensor* x, ReduceOperation op, uint32_t axes, bool keepDims) {
    if (!x || mFailed) return nullptr;
    return finish(mCtx.network().addReduce(*x, op, axes, keepDims), "reduce");
}

ITensor* LayerChain::select(ITensor* cond, ITensor* thenValue, ITensor* elseValue) {
    if (!cond || !thenValue || !elseValue || mFailed) return nullptr;
    return finish(mCtx.network().addSelect(*cond, *thenValue, *elseValue), "select");
}

ITensor* LayerChain::concat(const std::vector<ITensor*>& xs, int32_t axis) {
    if (mFailed) return nullptr;
    for (ITensor* x : xs)
        if (!x) return nullptr;
    IConcatenationLayer* l = mCtx.network().addConcatenation(xs.data(), int32_t(xs.size()));
    if (l) l->setAxis(axis);
    return finish(l, "concatenation");
}

ITensor* LayerChain::slice(ITensor* x, const std::vector<int64_t>& start, const std::vector<int64_t>& size,
                           const std::vector<int64_t>& stride) {
    if (!x || mFailed) return nullptr;
    return finish(mCtx.network().addSlice(*x, toDims(start), toDims(size), toDims(stride)), "slice");
}

ITensor* LayerChain::sliceAxis(ITensor* x, int32_t axis, int64_t begin, int64_t end, int64_t step) {
    if (!x || mFailed) return nullptr;
    const std::vector<int64_t> d = dims(x);
    if (axis < 0 || axis >= int32_t(d.size()) || step <= 0) return fail("internal: bad slice axis or step");
    std::vector<int64_t> start(d.size(), 0), size = d, stride(d.size(), 1);
    start[axis] = begin;
    size[axis] = end > begin ? (end - begin + step - 1) / step : 0;
    stride[axis] = step;
    return slice(x, start, size, stride);
}

ITensor* LayerChain::gather(ITensor* data, ITensor* indices, int32_t axis, GatherMode mode) {
    if (!data || !indices || mFailed) return nullptr;
    IGatherLayer* l = mCtx.network().addGatherV2(*data, *indices, mode);
    if (l) l->setGatherAxis(axis);
    return finish(l, "gather");
}

ITensor* LayerChain::constant(const std::vector<int64_t>& d, const std::vector<float>& values, DataType type) {
    if (mFailed) return nullptr;
    ITensor* c = mCtx.addConstantTensor(Constant::fromFloats(d, values));
    if (!c) {
        mFailed = true;
        return nullptr;
    }
    return cast(c, type);
}

ITensor* LayerChain::scalar(float value, int32_t rank, DataType type) {
    return constant(std::vector<int64_t>(size_t(std::max(rank, 0)), 1), {value}, type);
}

ITensor* LayerChain::constantInt64(const std::vector<int64_t>& d, const std::vector<int64_t>& values) {
    if (mFailed) return nullptr;
    ITensor* c = mCtx.addConstantTensor(Constant::fromInt64s(d, values));
    if (!c) mFailed = true;
    return c;
}

bool LayerChain::tableFits(int64_t rows, int64_t cols) {
    if (!mFailed && onnx::tableFits(mCtx, rows, cols)) return true;
    mFailed = true;
    return false;
}

ITensor* LayerChain::iota(int64_t n, const std::vector<int64_t>& d) {
    if (!tableFits(1, n)) return nullptr;
    std::vector<int64_t> v(size_t(std::max<int64_t>(n, 0)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = int64_t(i);
    return constantInt64(d, v);
}

}  // namespace kiln::onnx
