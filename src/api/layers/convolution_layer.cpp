#include "convolution_layer.h"

namespace kiln::api {

void setPaddingModeAttrs(ir::Node& n, PaddingMode mode) {
    switch (mode) {
        case PaddingMode::kEXPLICIT_ROUND_DOWN:
            n.attrs.set("auto_pad", "NOTSET");
            n.attrs.set("ceil_mode", int64_t(0));
            break;
        case PaddingMode::kEXPLICIT_ROUND_UP:
            n.attrs.set("auto_pad", "NOTSET");
            n.attrs.set("ceil_mode", int64_t(1));
            break;
        case PaddingMode::kSAME_UPPER: n.attrs.set("auto_pad", "SAME_UPPER"); break;
        case PaddingMode::kSAME_LOWER: n.attrs.set("auto_pad", "SAME_LOWER"); break;
    }
}

PaddingMode paddingModeOf(const ir::Node& n) {
    const std::string ap = n.attrs.getString("auto_pad", "NOTSET");
    if (ap == "SAME_UPPER") return PaddingMode::kSAME_UPPER;
    if (ap == "SAME_LOWER") return PaddingMode::kSAME_LOWER;
    return n.attrs.getInt("ceil_mode", 0) ? PaddingMode::kEXPLICIT_ROUND_UP : PaddingMode::kEXPLICIT_ROUND_DOWN;
}

template <class I>
Status ConvLikeLayer<I>::finalize() {
    const ir::Graph& g = this->net().graph();
    ir::Node& n = this->node();
    const ir::Shape& in = g.values[size_t(n.inputs[0])].shape;
    const int spatial = int(in.size()) - 2;
    if (spatial != kernel_.nbDims)
        return Status::Error("input " + ir::shapeToString(in) + " has " + std::to_string(spatial) +
                             " spatial dimensions but the kernel has " + std::to_string(kernel_.nbDims));
    const int64_t c = in[1];
    if (c <= 0) return Status::Error("the input's channel dimension must be known, got " + ir::shapeToString(in));
    const int64_t groups = n.attrs.getInt("group", 1);
    if (groups <= 0) return Status::Error("the number of groups must be positive, got " + std::to_string(groups));
    const int64_t perGroupIn = transposed_ ? maps_ / groups : c / groups;
    ir::Shape w = transposed_ ? ir::Shape{c, perGroupIn} : ir::Shape{maps_, perGroupIn};
    for (int i = 0; i < kernel_.nbDims; ++i) w.push_back(kernel_.d[i]);
    const int wv = n.inputs[1];
    if (wv < 0) return Status::Error("kernel weights are missing (give them to add* or as setInput(1, kernel))");
    auto& wval = this->net().graph().values[size_t(wv)];
    if (wval.isConstant()) {
        const int64_t have = int64_t(wval.data->size() / ir::dtypeSize(wval.dtype));
        if (have != ir::volume(w))
            return Status::Error("kernel weights hold " + std::to_string(have) + " values but the layer needs " +
                                 ir::shapeToString(w) + " = " + std::to_string(ir::volume(w)));
        wval.shape = w;
    }
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        auto& b = this->net().graph().values[size_t(n.inputs[2])];
        if (b.isConstant()) {
            const int64_t have = int64_t(b.data->size() / ir::dtypeSize(b.dtype));
            if (have != maps_)
                return Status::Error("bias weights hold " + std::to_string(have) + " values but the layer has " +
                                     std::to_string(maps_) + " output maps");
            b.shape = {maps_};
        }
    }
    return Status::Ok();
}

template class ConvLikeLayer<IConvolutionLayer>;
template class ConvLikeLayer<IDeconvolutionLayer>;

}  // namespace kiln::api
