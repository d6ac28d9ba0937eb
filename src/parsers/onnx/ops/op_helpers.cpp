// Helpers shared by the op converters.
#include "ops.h"

namespace kiln::onnx {

bool normalizeAxis(int64_t& axis, int32_t rank) {
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank;
}

Dims toDims(const std::vector<int64_t>& v) {
    Dims d;
    d.nbDims = static_cast<int32_t>(std::min<size_t>(v.size(), Dims::MAX_DIMS));
    for (int i = 0; i < d.nbDims; ++i) d.d[i] = v[i];
    return d;
}

IShuffleLayer* addReshape(ConverterContext& ctx, ITensor& input, const Dims& dims, const char* suffix) {
    IShuffleLayer* s = ctx.network().addShuffle(input);
    if (!s) return nullptr;
    s->setReshapeDimensions(dims);
    ctx.nameLayer(s, suffix);
    return s;
}

ITensor* addScalar(ConverterContext& ctx, float value, int32_t rank) {
    std::vector<int64_t> dims(static_cast<size_t>(std::max(rank, 0)), 1);
    return ctx.addConstantTensor(Constant::fromFloats(dims, {value}));
}

bool pushLayer(ConverterContext& ctx, ILayer* layer, std::vector<ITensor*>& outputs) {
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the layer (see the log)");
    ctx.nameLayer(layer);
    outputs.push_back(layer->getOutput(0));
    return true;
}

}  // namespace kiln::onnx
