#include "simple_layers.h"

#include <algorithm>
#include <numeric>

namespace kiln::api {

const char* activationName(ActivationType t) {
    switch (t) {
        case ActivationType::kRELU: return "relu";
        case ActivationType::kSIGMOID: return "sigmoid";
        case ActivationType::kTANH: return "tanh";
        case ActivationType::kLEAKY_RELU: return "leaky_relu";
        case ActivationType::kELU: return "elu";
        case ActivationType::kSELU: return "selu";
        case ActivationType::kSOFTSIGN: return "softsign";
        case ActivationType::kSOFTPLUS: return "softplus";
        case ActivationType::kCLIP: return "clip";
        case ActivationType::kHARD_SIGMOID: return "hard_sigmoid";
        case ActivationType::kSCALED_TANH: return "scaled_tanh";
        case ActivationType::kTHRESHOLDED_RELU: return "thresholded_relu";
        case ActivationType::kGELU_ERF: return "gelu_erf";
        case ActivationType::kGELU_TANH: return "gelu_tanh";
        case ActivationType::kSILU: return "silu";
    }
    return "invalid";
}

const char* elementWiseName(ElementWiseOperation op) {
    switch (op) {
        case ElementWiseOperation::kSUM: return "sum";
        case ElementWiseOperation::kPROD: return "prod";
        case ElementWiseOperation::kMAX: return "max";
        case ElementWiseOperation::kMIN: return "min";
        case ElementWiseOperation::kSUB: return "sub";
        case ElementWiseOperation::kDIV: return "div";
        case ElementWiseOperation::kPOW: return "pow";
        case ElementWiseOperation::kFLOOR_DIV: return "floor_div";
        case ElementWiseOperation::kAND: return "and";
        case ElementWiseOperation::kOR: return "or";
        case ElementWiseOperation::kXOR: return "xor";
        case ElementWiseOperation::kEQUAL: return "equal";
        case ElementWiseOperation::kGREATER: return "greater";
        case ElementWiseOperation::kLESS: return "less";
        case ElementWiseOperation::kMOD: return "mod";
        case ElementWiseOperation::kFMOD: return "fmod";
    }
    return "invalid";
}

const char* unaryName(UnaryOperation op) {
    static const char* names[] = {"exp",   "log",   "sqrt",  "recip", "abs",  "neg",  "sin",  "cos", "tan",
                                  "sinh",  "cosh",  "asin",  "acos",  "atan", "asinh", "acosh", "atanh", "ceil",
                                  "floor", "erf",   "not",   "sign",  "round", "isinf", "isnan"};
    const int i = int(op);
    return i >= 0 && i < int(sizeof(names) / sizeof(names[0])) ? names[i] : "invalid";
}

const char* reduceName(ReduceOperation op) {
    switch (op) {
        case ReduceOperation::kSUM: return "sum";
        case ReduceOperation::kPROD: return "prod";
        case ReduceOperation::kMAX: return "max";
        case ReduceOperation::kMIN: return "min";
        case ReduceOperation::kAVG: return "mean";
    }
    return "invalid";
}

// ---- Activation, ElementWise, Unary, Reduce ----

void ActivationLayer::setActivationType(ActivationType t) noexcept {
    type_ = t;
    node().attrs.set("type", activationName(t));
    touch();
}

void ElementWiseLayer::setOperation(ElementWiseOperation op) noexcept {
    op_ = op;
    node().attrs.set("op", elementWiseName(op));
    touch();
}

void UnaryLayer::setOperation(UnaryOperation op) noexcept {
    op_ = op;
    node().attrs.set("op", unaryName(op));
    touch();
}

void ReduceLayer::setOperation(ReduceOperation op) noexcept {
    op_ = op;
    node().attrs.set("op", reduceName(op));
    touch();
}

void ReduceLayer::setReduceAxes(uint32_t axes) noexcept {
    node().attrs.set("axes", maskToAxes(axes, net().batchOffset()));
    touch();
}

uint32_t ReduceLayer::getReduceAxes() const noexcept {
    return axesToMask(node().attrs.getInts("axes"), net().batchOffset());
}

// ---- Scale ----

void ScaleLayer::setMode(ScaleMode m) noexcept {
    node().attrs.set("mode", m == ScaleMode::kUNIFORM ? "uniform" : m == ScaleMode::kCHANNEL ? "channel" : "elementwise");
    touch();
}

ScaleMode ScaleLayer::getMode() const noexcept {
    const std::string m = node().attrs.getString("mode", "uniform");
    return m == "uniform" ? ScaleMode::kUNIFORM : m == "channel" ? ScaleMode::kCHANNEL : ScaleMode::kELEMENTWISE;
}

void ScaleLayer::setChannelAxis(int32_t a) noexcept {
    node().attrs.set("channel_axis", int64_t(a + net().batchOffset()));
    touch();
}

int32_t ScaleLayer::getChannelAxis() const noexcept {
    return int32_t(node().attrs.getInt("channel_axis", 1) - net().batchOffset());
}

Status ScaleLayer::finalize() {
    auto& g = net().graph();
    const ir::Shape& in = g.values[size_t(node().inputs[0])].shape;
    ir::Shape coeff;
    const ScaleMode m = getMode();
    if (m == ScaleMode::kUNIFORM) {
        coeff = {1};
    } else if (m == ScaleMode::kCHANNEL) {
        int64_t axis = node().attrs.getInt("channel_axis", 1);
        if (!ir::normalizeAxis(axis, int64_t(in.size())))
            return Status::Error("channel axis " + std::to_string(axis) + " is out of range for " + ir::shapeToString(in));
        coeff = {in[size_t(axis)]};
    } else {
        coeff = ir::Shape(in.begin() + (in.empty() ? 0 : 1), in.end());
    }
    for (int slot = 1; slot <= 3; ++slot) {
        const int v = node().inputs[size_t(slot)];
        if (v < 0 || !g.values[size_t(v)].isConstant()) continue;
        auto& val = g.values[size_t(v)];
        const int64_t have = int64_t(val.data->size() / ir::dtypeSize(val.dtype));
        if (ir::isStatic(coeff) && have != ir::volume(coeff))
            return Status::Error("scale coefficients hold " + std::to_string(have) + " values but mode '" +
                                 node().attrs.getString("mode") + "' on input " + ir::shapeToString(in) + " needs " +
                                 std::to_string(ir::volume(coeff)));
        val.shape = ir::isStatic(coeff) ? coeff : ir::Shape{have};
    }
    return Status::Ok();
}

// ---- Softmax, Concat, TopK, Gather, Normalization ----

void SoftMaxLayer::setAxes(uint32_t axes) noexcept {
    const auto list = maskToAxes(axes, net().batchOffset());
    if (list.size() != 1) {
        logError(net().logger(), "ISoftMaxLayer::setAxes: layer '" + node().name + "' needs exactly one axis bit, got mask " +
                                     std::to_string(axes));
        return;
    }
    node().attrs.set("axis", list[0]);
    touch();
}

uint32_t SoftMaxLayer::getAxes() const noexcept {
    return axesToMask({node().attrs.getInt("axis", -1)}, net().batchOffset());
}

void ConcatenationLayer::setAxis(int32_t axis) noexcept {
    node().attrs.set("axis", int64_t(axis < 0 ? axis : axis + net().batchOffset()));
    touch();
}

int32_t ConcatenationLayer::getAxis() const noexcept {
    const int64_t a = node().attrs.getInt("axis", 0);
    return int32_t(a < 0 ? a : a - net().batchOffset());
}

void TopKLayer::setReduceAxes(uint32_t axes) noexcept {
    const auto list = maskToAxes(axes, net().batchOffset());
    if (list.size() != 1) {
        logError(net().logger(), "ITopKLayer::setReduceAxes: layer '" + node().name + "' needs exactly one axis bit");
        return;
    }
    node().attrs.set("axis", list[0]);
    touch();
}

uint32_t TopKLayer::getReduceAxes() const noexcept {
    return axesToMask({node().attrs.getInt("axis", -1)}, net().batchOffset());
}

void GatherLayer::setGatherAxis(int32_t axis) noexcept {
    node().attrs.set("axis", int64_t(axis < 0 ? axis : axis + net().batchOffset()));
    touch();
}

int32_t GatherLayer::getGatherAxis() const noexcept {
    const int64_t a = node().attrs.getInt("axis", 0);
    return int32_t(a < 0 ? a : a - net().batchOffset());
}

void GatherLayer::setMode(GatherMode m) noexcept {
    node().attrs.set("mode", m == GatherMode::kDEFAULT ? "default" : m == GatherMode::kELEMENT ? "elements" : "nd");
    touch();
}

GatherMode GatherLayer::getMode() const noexcept {
    const std::string m = node().attrs.getString("mode", "default");
    return m == "default" ? GatherMode::kDEFAULT : m == "elements" ? GatherMode::kELEMENT : GatherMode::kND;
}

Status GatherLayer::finalize() {
    if (!net().batchOffset() || node().inputs.size() < 2) return Status::Ok();
    const int iv = node().inputs[1];
    if (iv < 0 || iv == indicesTwin_) return Status::Ok();
    ir::Graph& g = net().graph();
    const ir::Value& v = g.values[size_t(iv)];
    if (!v.isConstant() || v.shape.empty() || v.shape[0] != 1) return Status::Ok();
    const ir::Shape unbatched(v.shape.begin() + 1, v.shape.end());
    indicesTwin_ = g.addConstant(g.uniqueName(v.name + "_indices"), v.dtype, unbatched, v.data);
    node().inputs[1] = indicesTwin_;
    return Status::Ok();
}

void NormalizationLayer::setAxes(uint32_t mask) noexcept {
    node().attrs.set("axes", maskToAxes(mask, net().batchOffset()));
    touch();
}

uint32_t NormalizationLayer::getAxes() const noexcept {
    return axesToMask(node().attrs.getInts("axes"), net().batchOffset());
}

void NormalizationLayer::setNbGroups(int64_t g) noexcept {
    node().attrs.set("num_groups", g);
    // With groups the statistics follow group normalization; otherwise the
    // axes and the broadcast scale/bias express layer and instance norm alike.
    node().attrs.set("kind", g > 1 ? "group" : "layer");
    touch();
}

Status NormalizationLayer::finalize() {
    // Without groups the IR's layer kind covers layer and instance norm when
    // scale/bias broadcast to X ([1, C, 1, ...]). A 1-D [C] scale/bias over
    // exactly the spatial axes is instance norm (per channel), which layer
    // broadcasting would misalign with the last axis.
    if (getNbGroups() > 1) return Status::Ok();
    const auto& g = net().graph();
    const ir::Node& n = node();
    const ir::Shape& x = g.values[size_t(n.inputs[0])].shape;
    const int64_t rank = int64_t(x.size());
    bool instance = rank >= 3 && n.inputs.size() >= 3 && n.inputs[1] >= 0 && n.inputs[2] >= 0;
    if (instance) {
        std::vector<int64_t> axes = n.attrs.getInts("axes");
        for (auto& a : axes) instance = instance && ir::normalizeAxis(a, rank);
        std::sort(axes.begin(), axes.end());
        std::vector<int64_t> spatial(size_t(rank - 2));
        std::iota(spatial.begin(), spatial.end(), int64_t(2));
        instance = instance && axes == spatial;
        for (int slot = 1; instance && slot <= 2; ++slot) {
            const ir::Shape& p = g.values[size_t(n.inputs[size_t(slot)])].shape;
            instance = p.size() == 1 && p[0] == x[1];
        }
        // [N, C, L] with C == L and axes {2} stays layer norm (TensorRT's reading).
        if (instance && rank == 3 && x[1] == x[2]) instance = false;
    }
    node().attrs.set("kind", instance ? "instance" : "layer");
    return Status::Ok();
}

// ---- MatrixMultiply ----

void MatrixMultiplyLayer::setOperation(int32_t index, MatrixOperation op) noexcept {
    if (index < 0 || index > 1) {
        logError(net().logger(), "IMatrixMultiplyLayer::setOperation: index must be 0 or 1");
        return;
    }
    ops_[index] = op;
    node().attrs.set(index == 0 ? "transA" : "transB", op == MatrixOperation::kTRANSPOSE);
    touch();
}

MatrixOperation MatrixMultiplyLayer::getOperation(int32_t index) const noexcept {
    return index >= 0 && index <= 1 ? ops_[index] : MatrixOperation::kNONE;
}

Status MatrixMultiplyLayer::finalize() {
    for (int i = 0; i < 2; ++i) {
        if (ops_[i] == MatrixOperation::kVECTOR) {
            const auto& s = net().graph().values[size_t(node().inputs[size_t(i)])].shape;
            if (s.size() != 1)
                return Status::Error("MatrixOperation::kVECTOR on a batched operand " + ir::shapeToString(s) +
                                     " is not supported; reshape it to a 1-D vector");
        }
    }
    return Status::Ok();
}

// ---- Constant ----

ITensor* ConstantLayer::getOutput(int32_t index) const noexcept { return index == 0 ? net().tensor(value_) : nullptr; }

void ConstantLayer::setWeights(Weights w) noexcept {
    std::string err;
    ir::ConstData data = copyWeights(w, err);
    auto& v = net().graph().values[size_t(value_)];
    if (!data) {
        logError(net().logger(), "IConstantLayer::setWeights: layer '" + name_ + "': " + err);
        return;
    }
    if (w.count != ir::volume(v.shape)) {
        logError(net().logger(), "IConstantLayer::setWeights: layer '" + name_ + "' has dimensions " +
                                     ir::shapeToString(v.shape) + " but the weights have " + std::to_string(w.count) +
                                     " values");
        return;
    }
    v.data = data;
    v.dtype = toIR(w.type);
    net().invalidateAll();
}

void ConstantLayer::setDimensions(const Dims& d) noexcept {
    auto& v = net().graph().values[size_t(value_)];
    ir::Shape s = toShape(d);
    const int64_t have = int64_t(v.data->size() / ir::dtypeSize(v.dtype));
    if (!dimsValid(d) || ir::volume(s) != have) {
        logError(net().logger(), "IConstantLayer::setDimensions: layer '" + name_ + "': " + ir::shapeToString(s) +
                                     " does not hold the " + std::to_string(have) + " weight values");
        return;
    }
    if (net().batchOffset()) s.insert(s.begin(), 1);
    v.shape = s;
    net().invalidateAll();
}

Dims ConstantLayer::getDimensions() const noexcept {
    ir::Shape s = net().graph().values[size_t(value_)].shape;
    if (net().batchOffset() && !s.empty()) s.erase(s.begin());
    return toDims(s);
}

// ---- Padding, Shuffle, Slice ----

Status PaddingLayer::finalize() {
    const ir::Shape& in = net().graph().values[size_t(node().inputs[0])].shape;
    const int rank = int(in.size());
    if (pre_.nbDims > rank - net().batchOffset())
        return Status::Error("padding of " + std::to_string(pre_.nbDims) + " dimensions on input " + ir::shapeToString(in));
    std::vector<int64_t> b(size_t(rank), 0), e(size_t(rank), 0);
    for (int i = 0; i < pre_.nbDims; ++i) {
        b[size_t(rank - pre_.nbDims + i)] = pre_.d[i];
        e[size_t(rank - pre_.nbDims + i)] = post_.d[i];
    }
    node().attrs.set("pads_begin", b);
    node().attrs.set("pads_end", e);
    return Status::Ok();
}

namespace {
std::vector<int64_t> permutationFor(const Permutation& p, int rank, int offset) {
    std::vector<int64_t> perm;
    for (int i = 0; i < offset; ++i) perm.push_back(i);
    for (int i = 0; i < rank - offset; ++i) perm.push_back(p.order[i] + offset);
    return perm;
}
}  // namespace

Status ShuffleLayer::finalize() {
    ir::Node& n = node();
    const int off = net().batchOffset();
    const int inRank = int(net().graph().values[size_t(n.inputs[0])].shape.size());
    if (hasFirst_) n.attrs.set("perm1", permutationFor(first_, inRank, off));
    else n.attrs.erase("perm1");
    int outRank = inRank;
    if (hasReshape_ && (n.inputs.size() < 2 || n.inputs[1] < 0)) {
        std::vector<int64_t> r = dimsToVector(reshape_);
        if (off) {
            if (!zeroIsPlaceholder_ && std::find(r.begin(), r.end(), int64_t(0)) != r.end())
                return Status::Error("zero-sized reshape dimensions need zeroIsPlaceholder in implicit-batch networks");
            r.insert(r.begin(), 0);  // keep the batch
        }
        n.attrs.set("reshape", r);
        outRank = int(r.size());
    } else {
        n.attrs.erase("reshape");
        if (n.inputs.size() >= 2 && n.inputs[1] >= 0) {
            const auto& sv = net().graph().values[size_t(n.inputs[1])].shape;
            if (!sv.empty() && sv[0] >= 0) outRank = int(sv[0]);
        }
    }
    n.attrs.set("zero_is_placeholder", zeroIsPlaceholder_ || off);
    if (hasSecond_) n.attrs.set("perm2", permutationFor(second_, outRank, off));
    else n.attrs.erase("perm2");
    return Status::Ok();
}

void SliceLayer::setMode(SampleMode m) noexcept {
    static const char* names[] = {"strict", "wrap", "clamp", "fill", "reflect"};
    node().attrs.set("mode", names[int(m) >= 0 && int(m) < 5 ? int(m) : 0]);
    touch();
}

SampleMode SliceLayer::getMode() const noexcept {
    const std::string m = node().attrs.getString("mode", "strict");
    if (m == "wrap") return SampleMode::kWRAP;
    if (m == "clamp") return SampleMode::kCLAMP;
    if (m == "fill") return SampleMode::kFILL;
    if (m == "reflect") return SampleMode::kREFLECT;
    return SampleMode::kSTRICT_BOUNDS;
}

Status SliceLayer::finalize() {
    std::vector<int64_t> start = dimsToVector(start_), size = dimsToVector(size_), stride = dimsToVector(stride_);
    if (net().batchOffset()) {
        // The batch dimension is taken whole: size -1 means "the input extent".
        start.insert(start.begin(), 0);
        size.insert(size.begin(), -1);
        stride.insert(stride.begin(), 1);
    }
    node().attrs.set("start", start);
    node().attrs.set("size", size);
    node().attrs.set("stride", stride);
    return Status::Ok();
}

// ---- Resize ----

void ResizeLayer::setOutputDimensions(const Dims& d) noexcept {
    std::vector<int64_t> s = dimsToVector(d);
    if (net().batchOffset()) s.insert(s.begin(), -1);
    node().attrs.set("sizes", s);
    node().attrs.erase("scales");
    touch();
}

Dims ResizeLayer::getOutputDimensions() const noexcept {
    auto s = node().attrs.getInts("sizes");
    if (net().batchOffset() && !s.empty()) s.erase(s.begin());
    return toDims(s);
}

void ResizeLayer::setScales(const float* scales, int32_t n) noexcept {
    if (!scales || n <= 0 || n > Dims::MAX_DIMS) {
        logError(net().logger(), "IResizeLayer::setScales: layer '" + node().name + "' needs 1 to 8 scales");
        return;
    }
    std::vector<double> s(scales, scales + n);
    if (net().batchOffset()) s.insert(s.begin(), 1.0);
    node().attrs.set("scales", s);
    node().attrs.erase("sizes");
    touch();
}

int32_t ResizeLayer::getScales(int32_t size, float* scales) const noexcept {
    auto s = node().attrs.getFloats("scales");
    if (net().batchOffset() && !s.empty()) s.erase(s.begin());
    if (scales)
        for (int32_t i = 0; i < size && i < int32_t(s.size()); ++i) scales[i] = float(s[size_t(i)]);
    return s.empty() ? -1 : int32_t(s.size());
}

void ResizeLayer::setResizeMode(InterpolationMode m) noexcept {
    node().attrs.set("mode", m == InterpolationMode::kNEAREST ? "nearest" : m == InterpolationMode::kLINEAR ? "linear" : "cubic");
    touch();
}

InterpolationMode ResizeLayer::getResizeMode() const noexcept {
    const std::string m = node().attrs.getString("mode", "nearest");
    return m == "nearest" ? InterpolationMode::kNEAREST : m == "linear" ? InterpolationMode::kLINEAR : InterpolationMode::kCUBIC;
}

void ResizeLayer::setCoordinateTransformation(ResizeCoordinateTransformation t) noexcept {
    if (int(t) < 0 || int(t) > int(ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE)) {
        logError(net().logger(),
                 "IResizeLayer::setCoordinateTransformation: invalid value for layer '" + node().name + "'");
        return;
    }
    coord_ = t;
    syncCoordinateTransform();
}

ResizeCoordinateTransformation ResizeLayer::getCoordinateTransformation() const noexcept { return coord_; }

void ResizeLayer::setSelectorForSinglePixel(ResizeSelector s) noexcept {
    selector_ = s == ResizeSelector::kUPPER ? s : ResizeSelector::kFORMULA;
    syncCoordinateTransform();
}

void ResizeLayer::syncCoordinateTransform() {
    static const char* const kNames[] = {"align_corners",        "asymmetric",           "half_pixel",
                                         "tf_half_pixel_for_nn", "half_pixel_symmetric", "tf_crop_and_resize"};
    const bool upper = selector_ == ResizeSelector::kUPPER && coord_ == ResizeCoordinateTransformation::kHALF_PIXEL;
    node().attrs.set("coord_transform", upper ? "pytorch_half_pixel" : kNames[int(coord_)]);
    touch();
}

void ResizeLayer::setNearestRounding(ResizeRoundMode m) noexcept {
    static const char* names[] = {"round_prefer_ceil", "round_prefer_floor", "floor", "ceil"};
    node().attrs.set("nearest_mode", names[int(m) >= 0 && int(m) < 4 ? int(m) : 0]);
}

ResizeRoundMode ResizeLayer::getNearestRounding() const noexcept {
    const std::string m = node().attrs.getString("nearest_mode", "round_prefer_floor");
    if (m == "round_prefer_ceil") return ResizeRoundMode::kHALF_UP;
    if (m == "floor") return ResizeRoundMode::kFLOOR;
    if (m == "ceil") return ResizeRoundMode::kCEIL;
    return ResizeRoundMode::kHALF_DOWN;
}

// ---- FullyConnected ----

Status FullyConnectedLayer::finalize() {
    auto& g = net().graph();
    ir::Node& n = node();
    const ir::Shape& in = g.values[size_t(n.inputs[0])].shape;
    const int rank = int(in.size());
    if (rank < 2) return Status::Error("input " + ir::shapeToString(in) + " needs a batch and at least one more dimension");
    const int axis = std::max(1, rank - 3);
    int64_t f = 1;
    for (int i = axis; i < rank; ++i) {
        if (in[size_t(i)] < 0) return Status::Error("input " + ir::shapeToString(in) + " has an unknown flattened dimension");
        f *= in[size_t(i)];
    }
    n.attrs.set("axis", int64_t(axis));
    auto& w = g.values[size_t(n.inputs[1])];
    if (w.isConstant()) {
        const int64_t have = int64_t(w.data->size() / ir::dtypeSize(w.dtype));
        if (have != k_ * f)
            return Status::Error("kernel weights hold " + std::to_string(have) + " values but " + std::to_string(k_) +
                                 " outputs over " + std::to_string(f) + " inputs need " + std::to_string(k_ * f));
        w.shape = {k_, f};
    }
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        auto& b = g.values[size_t(n.inputs[2])];
        const int64_t have = int64_t(b.data ? b.data->size() / ir::dtypeSize(b.dtype) : 0);
        if (b.isConstant() && have != k_)
            return Status::Error("bias weights hold " + std::to_string(have) + " values for " + std::to_string(k_) + " outputs");
        if (b.isConstant()) b.shape = {k_};
    }
    return Status::Ok();
}

}  // namespace kiln::api
