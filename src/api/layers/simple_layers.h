// Layers whose parameters map one-to-one onto IR attributes.
#pragma once
#include "layer_util.h"

namespace kiln::api {

const char* activationName(ActivationType t);
const char* elementWiseName(ElementWiseOperation op);
const char* unaryName(UnaryOperation op);
const char* reduceName(ReduceOperation op);

class ActivationLayer final : public LayerBase<IActivationLayer> {
public:
    ActivationLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kACTIVATION, node, 1) {}
    void setActivationType(ActivationType t) noexcept override;
    ActivationType getActivationType() const noexcept override { return type_; }
    void setAlpha(float a) noexcept override { node().attrs.set("alpha", a); }
    float getAlpha() const noexcept override { return float(node().attrs.getFloat("alpha")); }
    void setBeta(float b) noexcept override { node().attrs.set("beta", b); }
    float getBeta() const noexcept override { return float(node().attrs.getFloat("beta")); }

private:
    ActivationType type_ = ActivationType::kRELU;
};

class LRNLayer final : public LayerBase<ILRNLayer> {
public:
    LRNLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kLRN, node, 1) {}
    void setWindowSize(int64_t s) noexcept override { node().attrs.set("size", s); }
    int64_t getWindowSize() const noexcept override { return node().attrs.getInt("size"); }
    void setAlpha(float a) noexcept override { node().attrs.set("alpha", a); }
    float getAlpha() const noexcept override { return float(node().attrs.getFloat("alpha")); }
    void setBeta(float b) noexcept override { node().attrs.set("beta", b); }
    float getBeta() const noexcept override { return float(node().attrs.getFloat("beta")); }
    void setK(float k) noexcept override { node().attrs.set("bias", k); }
    float getK() const noexcept override { return float(node().attrs.getFloat("bias")); }
};

class ScaleLayer final : public LayerBase<IScaleLayer> {
public:
    ScaleLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSCALE, node, 1) {}
    void setMode(ScaleMode m) noexcept override;
    ScaleMode getMode() const noexcept override;
    void setShift(Weights w) noexcept override { replaceWeights(net(), nodeIndex(), 1, w, "shift", true); }
    Weights getShift() const noexcept override { return weightsOf(net(), node().inputs[1]); }
    void setScale(Weights w) noexcept override { replaceWeights(net(), nodeIndex(), 2, w, "scale", true); }
    Weights getScale() const noexcept override { return weightsOf(net(), node().inputs[2]); }
    void setPower(Weights w) noexcept override { replaceWeights(net(), nodeIndex(), 3, w, "power", true); }
    Weights getPower() const noexcept override { return weightsOf(net(), node().inputs[3]); }
    void setChannelAxis(int32_t a) noexcept override;
    int32_t getChannelAxis() const noexcept override;
    // Gives the coefficient constants the shape their mode implies.
    Status finalize() override;
};

class SoftMaxLayer final : public LayerBase<ISoftMaxLayer> {
public:
    SoftMaxLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSOFTMAX, node, 1) {}
    void setAxes(uint32_t axes) noexcept override;
    uint32_t getAxes() const noexcept override;
};

class ConcatenationLayer final : public LayerBase<IConcatenationLayer> {
public:
    ConcatenationLayer(NetworkImpl& net, int node, int nbInputs)
        : LayerBase(net, LayerType::kCONCATENATION, node, nbInputs) {}
    void setAxis(int32_t axis) noexcept override;
    int32_t getAxis() const noexcept override;
};

class ElementWiseLayer final : public LayerBase<IElementWiseLayer> {
public:
    ElementWiseLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kELEMENTWISE, node, 2) {}
    void setOperation(ElementWiseOperation op) noexcept override;
    ElementWiseOperation getOperation() const noexcept override { return op_; }

private:
    ElementWiseOperation op_ = ElementWiseOperation::kSUM;
};

class UnaryLayer final : public LayerBase<IUnaryLayer> {
public:
    UnaryLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kUNARY, node, 1) {}
    void setOperation(UnaryOperation op) noexcept override;
    UnaryOperation getOperation() const noexcept override { return op_; }

private:
    UnaryOperation op_ = UnaryOperation::kEXP;
};

class PaddingLayer final : public LayerBase<IPaddingLayer> {
public:
    PaddingLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kPADDING, node, 1) {}
    void setPrePaddingNd(const Dims& p) noexcept override { pre_ = p; touch(); }
    Dims getPrePaddingNd() const noexcept override { return pre_; }
    void setPostPaddingNd(const Dims& p) noexcept override { post_ = p; touch(); }
    Dims getPostPaddingNd() const noexcept override { return post_; }
    // The IR pads every dimension: zeros for the outer ones.
    Status finalize() override;

private:
    Dims pre_, post_;
};

class ShuffleLayer final : public LayerBase<IShuffleLayer> {
public:
    ShuffleLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSHUFFLE, node, 1) {}
    void setFirstTranspose(Permutation p) noexcept override { first_ = p; hasFirst_ = true; touch(); }
    Permutation getFirstTranspose() const noexcept override { return first_; }
    void setReshapeDimensions(const Dims& d) noexcept override { reshape_ = d; hasReshape_ = true; touch(); }
    Dims getReshapeDimensions() const noexcept override { return hasReshape_ ? reshape_ : invalidDims(); }
    void setSecondTranspose(Permutation p) noexcept override { second_ = p; hasSecond_ = true; touch(); }
    Permutation getSecondTranspose() const noexcept override { return second_; }
    void setZeroIsPlaceholder(bool z) noexcept override { zeroIsPlaceholder_ = z; touch(); }
    bool getZeroIsPlaceholder() const noexcept override { return zeroIsPlaceholder_; }
    // Permutations depend on the input rank; the batch axis stays in front
    // in implicit-batch networks.
    Status finalize() override;

private:
    Permutation first_, second_;
    Dims reshape_;
    bool hasFirst_ = false, hasSecond_ = false, hasReshape_ = false, zeroIsPlaceholder_ = true;
};

class ReduceLayer final : public LayerBase<IReduceLayer> {
public:
    ReduceLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kREDUCE, node, 1) {}
    void setOperation(ReduceOperation op) noexcept override;
    ReduceOperation getOperation() const noexcept override { return op_; }
    void setReduceAxes(uint32_t axes) noexcept override;
    uint32_t getReduceAxes() const noexcept override;
    void setKeepDimensions(bool keep) noexcept override { node().attrs.set("keepdims", keep); touch(); }
    bool getKeepDimensions() const noexcept override { return node().attrs.getInt("keepdims", 1) != 0; }

private:
    ReduceOperation op_ = ReduceOperation::kSUM;
};

class TopKLayer final : public LayerBase<ITopKLayer> {
public:
    TopKLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kTOPK, node, 1) {}
    void setOperation(TopKOperation op) noexcept override {
        node().attrs.set("op", op == TopKOperation::kMAX ? "max" : "min");
    }
    TopKOperation getOperation() const noexcept override {
        return node().attrs.getString("op") == "min" ? TopKOperation::kMIN : TopKOperation::kMAX;
    }
    void setK(int32_t k) noexcept override { node().attrs.set("k", int64_t(k)); touch(); }
    int32_t getK() const noexcept override { return int32_t(node().attrs.getInt("k")); }
    void setReduceAxes(uint32_t axes) noexcept override;
    uint32_t getReduceAxes() const noexcept override;
};

class GatherLayer final : public LayerBase<IGatherLayer> {
public:
    GatherLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kGATHER, node, 2) {}
    void setGatherAxis(int32_t axis) noexcept override;
    int32_t getGatherAxis() const noexcept override;
    void setNbElementWiseDims(int32_t d) noexcept override { node().attrs.set("batch_dims", int64_t(d)); touch(); }
    int32_t getNbElementWiseDims() const noexcept override { return int32_t(node().attrs.getInt("batch_dims")); }
    void setMode(GatherMode m) noexcept override;
    GatherMode getMode() const noexcept override;
    // Constant indices of an implicit-batch network carry the broadcast batch
    // dimension (1) every constant gets; indices are not batched, so use a
    // twin without it.
    Status finalize() override;

private:
    int indicesTwin_ = -1;
};

class MatrixMultiplyLayer final : public LayerBase<IMatrixMultiplyLayer> {
public:
    MatrixMultiplyLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kMATRIX_MULTIPLY, node, 2) {}
    void setOperation(int32_t index, MatrixOperation op) noexcept override;
    MatrixOperation getOperation(int32_t index) const noexcept override;
    Status finalize() override;

private:
    MatrixOperation ops_[2] = {MatrixOperation::kNONE, MatrixOperation::kNONE};
};

// A constant is an IR value, not a node: the layer refers to the value.
class ConstantLayer final : public LayerBase<IConstantLayer> {
public:
    ConstantLayer(NetworkImpl& net, int value) : LayerBase(net, LayerType::kCONSTANT, -1, 0), value_(value) {}
    void setName(const char* name) noexcept override { name_ = name ? name : ""; }
    const char* getName() const noexcept override { return name_.c_str(); }
    int32_t getNbOutputs() const noexcept override { return 1; }
    ITensor* getOutput(int32_t index) const noexcept override;
    void setWeights(Weights w) noexcept override;
    Weights getWeights() const noexcept override { return weightsOf(net(), value_); }
    void setDimensions(const Dims& d) noexcept override;
    Dims getDimensions() const noexcept override;
    int valueId() const { return value_; }

private:
    int value_;
    std::string name_;
};

class IdentityLayer final : public LayerBase<IIdentityLayer> {
public:
    IdentityLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kIDENTITY, node, 1) {}
};

class CastLayer final : public LayerBase<ICastLayer> {
public:
    CastLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kCAST, node, 1) {}
    void setToType(DataType t) noexcept override { node().attrs.set("to", int64_t(t)); touch(); }
    DataType getToType() const noexcept override { return DataType(node().attrs.getInt("to")); }
    void setSaturate(bool s) noexcept override { node().attrs.set("saturate", s); }
    bool getSaturate() const noexcept override { return node().attrs.getInt("saturate", 1) != 0; }
    void setRoundingMode(RoundingMode m) noexcept override {
        node().attrs.set("round_mode", m == RoundingMode::kDOWN ? "down" : m == RoundingMode::kNEAREST ? "nearest" : "up");
    }
    RoundingMode getRoundingMode() const noexcept override {
        const std::string m = node().attrs.getString("round_mode", "up");
        return m == "down" ? RoundingMode::kDOWN : m == "nearest" ? RoundingMode::kNEAREST : RoundingMode::kUP;
    }
};

class SliceLayer final : public LayerBase<ISliceLayer> {
public:
    SliceLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSLICE, node, 1) {}
    void setStart(const Dims& d) noexcept override { start_ = d; touch(); }
    Dims getStart() const noexcept override { return start_; }
    void setSize(const Dims& d) noexcept override { size_ = d; touch(); }
    Dims getSize() const noexcept override { return size_; }
    void setStride(const Dims& d) noexcept override { stride_ = d; touch(); }
    Dims getStride() const noexcept override { return stride_; }
    void setMode(SampleMode m) noexcept override;
    SampleMode getMode() const noexcept override;
    // Adds the batch dimension (taken whole) in implicit-batch networks.
    Status finalize() override;

private:
    Dims start_, size_, stride_;
};

class ShapeLayer final : public LayerBase<IShapeLayer> {
public:
    ShapeLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSHAPE, node, 1) {}
};

class ParametricReLULayer final : public LayerBase<IParametricReLULayer> {
public:
    ParametricReLULayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kPARAMETRIC_RELU, node, 2) {}
};

class ResizeLayer final : public LayerBase<IResizeLayer> {
public:
    ResizeLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kRESIZE, node, 1) {}
    void setOutputDimensions(const Dims& d) noexcept override;
    Dims getOutputDimensions() const noexcept override;
    void setScales(const float* scales, int32_t n) noexcept override;
    int32_t getScales(int32_t size, float* scales) const noexcept override;
    void setResizeMode(InterpolationMode m) noexcept override;
    InterpolationMode getResizeMode() const noexcept override;
    void setCoordinateTransformation(ResizeCoordinateTransformation t) noexcept override;
    ResizeCoordinateTransformation getCoordinateTransformation() const noexcept override;
    void setNearestRounding(ResizeRoundMode m) noexcept override;
    ResizeRoundMode getNearestRounding() const noexcept override;
    void setSelectorForSinglePixel(ResizeSelector s) noexcept override;
    ResizeSelector getSelectorForSinglePixel() const noexcept override { return selector_; }
    void setCubicCoeff(float a) noexcept override { node().attrs.set("cubic_coeff_a", double(a)); }
    float getCubicCoeff() const noexcept override { return float(node().attrs.getFloat("cubic_coeff_a", -0.75)); }
    void setExcludeOutside(bool e) noexcept override { node().attrs.set("exclude_outside", int64_t(e)); }
    bool getExcludeOutside() const noexcept override { return node().attrs.getInt("exclude_outside", 0) != 0; }
    void setAntialias(bool a) noexcept override { node().attrs.set("antialias", int64_t(a)); }
    bool getAntialias() const noexcept override { return node().attrs.getInt("antialias", 0) != 0; }
    void setExtrapolationValue(float v) noexcept override { node().attrs.set("extrapolation_value", double(v)); }
    float getExtrapolationValue() const noexcept override {
        return float(node().attrs.getFloat("extrapolation_value", 0.0));
    }

private:
    // The IR's coord_transform combines the two public settings.
    void syncCoordinateTransform();
    ResizeCoordinateTransformation coord_ = ResizeCoordinateTransformation::kHALF_PIXEL;
    ResizeSelector selector_ = ResizeSelector::kFORMULA;
};

class SelectLayer final : public LayerBase<ISelectLayer> {
public:
    SelectLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSELECT, node, 3) {}
};

class NormalizationLayer final : public LayerBase<INormalizationLayer> {
public:
    NormalizationLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kNORMALIZATION, node, 3) {}
    void setEpsilon(float e) noexcept override { node().attrs.set("epsilon", e); }
    float getEpsilon() const noexcept override { return float(node().attrs.getFloat("epsilon", 1e-5)); }
    void setAxes(uint32_t mask) noexcept override;
    uint32_t getAxes() const noexcept override;
    void setNbGroups(int64_t g) noexcept override;
    int64_t getNbGroups() const noexcept override { return node().attrs.getInt("num_groups", 1); }
    // Instance norm with per-channel [C] scale/bias needs the IR's "instance" kind.
    Status finalize() override;
};

class FullyConnectedLayer final : public LayerBase<IFullyConnectedLayer> {
public:
    FullyConnectedLayer(NetworkImpl& net, int node, int64_t k)
        : LayerBase(net, LayerType::kFULLY_CONNECTED, node, 1), k_(k) {}
    void setNbOutputChannels(int64_t n) noexcept override { k_ = n; touch(); }
    int64_t getNbOutputChannels() const noexcept override { return k_; }
    void setKernelWeights(Weights w) noexcept override { replaceWeights(net(), nodeIndex(), 1, w, "kernel", false); }
    Weights getKernelWeights() const noexcept override { return weightsOf(net(), node().inputs[1]); }
    void setBiasWeights(Weights w) noexcept override { replaceWeights(net(), nodeIndex(), 2, w, "bias", true); }
    Weights getBiasWeights() const noexcept override { return weightsOf(net(), node().inputs[2]); }
    // Kernel shape [K, C*H*W] from the input's last three dimensions.
    Status finalize() override;

private:
    int64_t k_;
};

}  // namespace kiln::api
