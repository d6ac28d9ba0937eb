// The random generators: RandomUniform, RandomNormal (a shape attribute),
// RandomUniformLike, RandomNormalLike (the input's shape), Bernoulli
// (uniform < p) and Multinomial (inverse CDF of softmax(x)), all on
// IFillLayer's seeded random fills. A node without a `seed` gets one derived
// from its output's name, so engines stay deterministic and two generators of
// one model draw different streams. The values cannot equal another
// framework's generator (ONNX leaves the algorithm open).
#include <cstring>
#include <functional>

#include "importer.h"
#include "ops.h"

namespace kiln::onnx {

namespace {

int64_t seedOf(ConverterContext& ctx) {
    if (ctx.hasAttr("seed")) {
        const float s = ctx.attrFloat("seed", 0.f);
        uint32_t bits = 0;
        std::memcpy(&bits, &s, sizeof bits);  // every float seed its own stream
        return int64_t(bits);
    }
    const auto& node = ctx.node();
    return int64_t(std::hash<std::string>{}(node.output_size() ? node.output(0) : node.name()) >> 1);
}

// The `dtype` attribute, else `fallback`; float types only.
bool randomType(ConverterContext& ctx, DataType fallback, DataType& type) {
    type = fallback;
    if (ctx.hasAttr("dtype") && !onnxTypeToKiln(static_cast<int32_t>(ctx.attrInt("dtype", 1)), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "dtype " + std::to_string(ctx.attrInt("dtype", 1)) + " is not supported");
    if (type != DataType::kFLOAT && type != DataType::kHALF && type != DataType::kBF16 && type != DataType::kDOUBLE)
        return ctx.fail(ErrorCode::kINVALID_NODE, "dtype must be a float type");
    return true;
}

// A seeded random fill of `like`'s shape (taken at run time when it is dynamic)
// or of `dims`; uniform in [a, b) or normal with mean a and deviation b.
ITensor* randomFill(ConverterContext& ctx, ITensor* like, const std::vector<int64_t>& dims, FillOperation op, double a,
                    double b, DataType type, const char* suffix) {
    std::vector<int64_t> d = like ? dimsOf(*like) : dims;
    bool dynamic = false;
    for (int64_t e : d) dynamic |= e < 0;
    Dims fd{0, {}};
    if (!dynamic) {
        if (d.size() > size_t(Dims::MAX_DIMS)) {
            ctx.fail(ErrorCode::kINVALID_NODE, "shape has more than 8 dims");
            return nullptr;
        }
        fd.nbDims = int32_t(d.size());
        for (size_t i = 0; i < d.size(); ++i) fd.d[i] = d[i];
    }
    IFillLayer* f = ctx.network().addFill(fd, op, type);
    if (!f) {
        ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the random fill");
        return nullptr;
    }
    if (dynamic) {
        ITensor* shape = layerOutput(ctx, ctx.network().addShape(*like), "_shape");
        if (!shape) return nullptr;
        f->setInput(0, *shape);
    }
    f->setAlpha(a);
    f->setBeta(b);
    f->setSeed(seedOf(ctx));
    return layerOutput(ctx, f, suffix);
}

bool isNormal(const pb::NodeProto& node) {
    return node.op_type() == "RandomNormal" || node.op_type() == "RandomNormalLike";
}

}  // namespace

// RandomUniform / RandomNormal: the `shape` attribute.
KILN_ONNX_CONVERTER(convertRandom) {
    (void)inputs;
    DataType type;
    if (!randomType(ctx, DataType::kFLOAT, type)) return false;
    if (!ctx.hasAttr("shape")) return ctx.fail(ErrorCode::kINVALID_NODE, "attribute 'shape' is required");
    const std::vector<int64_t> shape = ctx.attrInts("shape");
    for (int64_t e : shape)
        if (e < 0) return ctx.fail(ErrorCode::kINVALID_VALUE, "shape holds a negative extent");
    const bool normal = isNormal(node);
    ITensor* y = normal ? randomFill(ctx, nullptr, shape, FillOperation::kRANDOM_NORMAL, ctx.attrFloat("mean", 0.f),
                                     ctx.attrFloat("scale", 1.f), type, "")
                        : randomFill(ctx, nullptr, shape, FillOperation::kRANDOM_UNIFORM, ctx.attrFloat("low", 0.f),
                                     ctx.attrFloat("high", 1.f), type, "");
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

// RandomUniformLike / RandomNormalLike: the input's shape, its type by default.
KILN_ONNX_CONVERTER(convertRandomLike) {
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    DataType type;
    if (!randomType(ctx, x->getType(), type)) return false;
    const bool normal = isNormal(node);
    ITensor* y = normal ? randomFill(ctx, x, {}, FillOperation::kRANDOM_NORMAL, ctx.attrFloat("mean", 0.f),
                                     ctx.attrFloat("scale", 1.f), type, "")
                        : randomFill(ctx, x, {}, FillOperation::kRANDOM_UNIFORM, ctx.attrFloat("low", 0.f),
                                     ctx.attrFloat("high", 1.f), type, "");
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

// Bernoulli: 1 where a uniform draw in [0, 1) is below the probability.
KILN_ONNX_CONVERTER(convertBernoulli) {
    (void)node;
    (void)inputs;
    ITensor* p = ctx.tensor(0);
    if (!p) return false;
    DataType type = p->getType();
    if (ctx.hasAttr("dtype") && !onnxTypeToKiln(static_cast<int32_t>(ctx.attrInt("dtype", 1)), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE,
                        "dtype " + std::to_string(ctx.attrInt("dtype", 1)) + " is not supported");
    ITensor* u = randomFill(ctx, p, {}, FillOperation::kRANDOM_UNIFORM, 0.0, 1.0, p->getType(), "_uniform");
    ITensor* hit = u ? binary(ctx, *u, *p, ElementWiseOperation::kLESS, "_less") : nullptr;
    ITensor* y = hit ? castTo(ctx, *hit, type, "") : nullptr;
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

// Multinomial: x [batch, classes] holds unnormalized log-probabilities; each of
// `sample_size` draws is the number of CDF entries at or below a uniform draw.
KILN_ONNX_CONVERTER(convertMultinomial) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::vector<int64_t> d = dimsOf(*x);
    if (d.size() != 2) return ctx.fail(ErrorCode::kINVALID_NODE, "input must be 2-D [batch, classes]");
    if (d[0] < 0 || d[1] < 1)
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "the batch and class count must be static (classes >= 1)");
    const int64_t samples = ctx.attrInt("sample_size", 1);
    if (samples < 1) return ctx.fail(ErrorCode::kINVALID_VALUE, "sample_size must be >= 1");
    DataType type = DataType::kINT32;
    if (ctx.hasAttr("dtype") && !onnxTypeToKiln(static_cast<int32_t>(ctx.attrInt("dtype", 6)), type))
        return ctx.fail(ErrorCode::kUNSUPPORTED_NODE, "dtype is not supported");
    if (type != DataType::kINT32 && type != DataType::kINT64)
        return ctx.fail(ErrorCode::kINVALID_NODE, "dtype must be int32 or int64");
    // The CDF, computed in float32 at least.
    ITensor* xf = x->getType() == DataType::kDOUBLE ? x : castTo(ctx, *x, DataType::kFLOAT, "_f32");
    if (!xf) return false;
    ISoftMaxLayer* sm = ctx.network().addSoftMax(*xf);
    if (sm) sm->setAxes(1u << 1);
    ITensor* prob = layerOutput(ctx, sm, "_softmax");
    ITensor* axis = prob ? ctx.addConstantTensor(Constant::fromInt64s({}, {1})) : nullptr;
    ITensor* cdf =
        axis ? layerOutput(ctx, ctx.network().addCumulative(*prob, *axis, CumulativeOperation::kSUM, false, false),
                           "_cdf")
             : nullptr;
    // [batch, 1, classes] against draws [batch, samples, 1].
    ITensor* cdf3 = cdf ? reshapeTo(ctx, *cdf, {d[0], 1, d[1]}, "_cdf3") : nullptr;
    if (!cdf3) return false;
    ITensor* u = randomFill(ctx, nullptr, {d[0], samples, 1}, FillOperation::kRANDOM_UNIFORM, 0.0, 1.0, xf->getType(),
                            "_uniform");
    ITensor* below = u ? binary(ctx, *cdf3, *u, ElementWiseOperation::kLESS, "_below") : nullptr;  // cdf < u
    ITensor* count = below ? castTo(ctx, *below, DataType::kINT32, "_below_i32") : nullptr;
    ITensor* idx = count ? reduceAll(ctx, *count, ReduceOperation::kSUM, 1u << 2, false, "_index") : nullptr;
    // Rounding can leave the last CDF entry just under 1: clamp to the last class.
    ITensor* last = idx ? ctx.addConstantTensor(Constant::fromInt64s({1, 1}, {d[1] - 1})) : nullptr;
    ITensor* last32 = last ? castTo(ctx, *last, DataType::kINT32, "_last") : nullptr;
    ITensor* clamped = last32 ? binary(ctx, *idx, *last32, ElementWiseOperation::kMIN, "_clamp") : nullptr;
    ITensor* y = clamped ? castTo(ctx, *clamped, type, "") : nullptr;
    if (!y) return false;
    outputs.push_back(y);
    return true;
}

}  // namespace kiln::onnx
