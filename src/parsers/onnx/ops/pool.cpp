// MaxPool / AveragePool / LpPool -> IPoolingLayer; Global*Pool -> IReduceLayer.
#include "ops.h"

namespace kiln::onnx {
namespace {

bool convertPool(ConverterContext& ctx, PoolingType type, std::vector<ITensor*>& outputs) {
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const bool wantIndices = ctx.node().output_size() > 1 && !ctx.node().output(1).empty();
    if (wantIndices && type != PoolingType::kMAX)
        return ctx.fail(ErrorCode::kINVALID_NODE, "only MaxPool has an Indices output");
    const auto kernelShape = ctx.attrInts("kernel_shape");
    const int32_t k = static_cast<int32_t>(kernelShape.size());
    if (k < 1 || k > 3) return ctx.fail(ErrorCode::kINVALID_NODE, "kernel_shape must have 1 to 3 entries");
    const int64_t storageOrder = ctx.attrInt("storage_order", 0);
    if (storageOrder != 0 && storageOrder != 1)
        return ctx.fail(ErrorCode::kINVALID_VALUE, "storage_order must be 0 or 1");
    IPoolingLayer* pool = ctx.network().addPoolingNd(*x, type, toDims(kernelShape));
    if (!pool) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the pooling layer");
    auto strides = ctx.attrInts("strides");
    if (strides.empty()) strides.assign(k, 1);
    if (static_cast<int32_t>(strides.size()) != k)
        return ctx.fail(ErrorCode::kINVALID_NODE, "strides must have one entry per spatial dim");
    pool->setStrideNd(toDims(strides));
    auto dilations = ctx.attrInts("dilations");
    if (!dilations.empty()) {
        if (static_cast<int32_t>(dilations.size()) != k)
            return ctx.fail(ErrorCode::kINVALID_NODE, "dilations must have one entry per spatial dim");
        pool->setDilationNd(toDims(dilations));
    }
    if (type == PoolingType::kLP) {
        // LpPool-1 has a float p; from opset 2 on it is an int.
        const float p = ctx.opset() < 2 ? ctx.attrFloat("p", 2.f) : static_cast<float>(ctx.attrInt("p", 2));
        if (!(p > 0.f)) return ctx.fail(ErrorCode::kINVALID_VALUE, "p must be > 0");
        pool->setLpNormOrder(p);
    }
    const bool ceil = ctx.attrInt("ceil_mode", 0) != 0;
    const std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
    if (autoPad == "SAME_UPPER") {
        pool->setPaddingMode(PaddingMode::kSAME_UPPER);
    } else if (autoPad == "SAME_LOWER") {
        pool->setPaddingMode(PaddingMode::kSAME_LOWER);
    } else if (autoPad == "NOTSET" || autoPad == "VALID") {
        auto pads = ctx.attrInts("pads");
        if (autoPad == "VALID" || pads.empty()) pads.assign(2 * k, 0);
        if (static_cast<int32_t>(pads.size()) != 2 * k)
            return ctx.fail(ErrorCode::kINVALID_NODE, "pads must have 2 entries per spatial dim");
        pool->setPrePadding(toDims({pads.begin(), pads.begin() + k}));
        pool->setPostPadding(toDims({pads.begin() + k, pads.end()}));
        pool->setPaddingMode(ceil ? PaddingMode::kEXPLICIT_ROUND_UP : PaddingMode::kEXPLICIT_ROUND_DOWN);
    } else {
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown auto_pad '" + autoPad + "'");
    }
    if (type == PoolingType::kAVERAGE)
        pool->setAverageCountExcludesPadding(ctx.attrInt("count_include_pad", 0) == 0);
    ctx.nameLayer(pool);
    outputs.push_back(pool->getOutput(0));
    if (wantIndices) {
        pool->setIndicesColumnMajor(storageOrder == 1);
        ITensor* indices = pool->addIndicesOutput();
        if (!indices) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the Indices output");
        outputs.push_back(indices);
    }
    return true;
}

bool convertGlobalPool(ConverterContext& ctx, ReduceOperation op, std::vector<ITensor*>& outputs) {
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const int32_t rank = x->getDimensions().nbDims;
    if (rank < 3) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be [N, C, spatial...]");
    uint32_t axes = 0;
    for (int i = 2; i < rank; ++i) axes |= 1u << i;  // every spatial axis, kept as extent 1
    return pushLayer(ctx, ctx.network().addReduce(*x, op, axes, true), outputs);
}

}  // namespace

KILN_ONNX_CONVERTER(convertMaxPool) {
    (void)node;
    (void)inputs;
    return convertPool(ctx, PoolingType::kMAX, outputs);
}

KILN_ONNX_CONVERTER(convertAveragePool) {
    (void)node;
    (void)inputs;
    return convertPool(ctx, PoolingType::kAVERAGE, outputs);
}

KILN_ONNX_CONVERTER(convertLpPool) {
    (void)node;
    (void)inputs;
    return convertPool(ctx, PoolingType::kLP, outputs);
}

KILN_ONNX_CONVERTER(convertGlobalAveragePool) {
    (void)node;
    (void)inputs;
    return convertGlobalPool(ctx, ReduceOperation::kAVG, outputs);
}

KILN_ONNX_CONVERTER(convertGlobalMaxPool) {
    (void)node;
    (void)inputs;
    return convertGlobalPool(ctx, ReduceOperation::kMAX, outputs);
}

}  // namespace kiln::onnx
