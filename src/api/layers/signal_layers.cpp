// IDFTLayer, ISTFTLayer, IWindowLayer, IMelWeightMatrixLayer and their add*
// factories: the signal-processing IR ops (DFT, STFT, Window, MelWeightMatrix).
#include "layer_util.h"

namespace kiln::api {

namespace {

class DFTLayer final : public LayerBase<IDFTLayer> {
public:
    DFTLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kDFT, node, 1) {}
    void setAxis(int32_t a) noexcept override {
        node().attrs.set("axis", int64_t(a));
        touch();
    }
    int32_t getAxis() const noexcept override { return int32_t(node().attrs.getInt("axis", 0)); }
    void setInverse(bool v) noexcept override {
        node().attrs.set("inverse", v);
        touch();
    }
    bool getInverse() const noexcept override { return node().attrs.getInt("inverse", 0) != 0; }
    void setOnesided(bool v) noexcept override {
        node().attrs.set("onesided", v);
        touch();
    }
    bool getOnesided() const noexcept override { return node().attrs.getInt("onesided", 0) != 0; }
    void setDFTLength(int64_t n) noexcept override {
        if (n < 0) {
            logError(net().logger(), "IDFTLayer::setDFTLength: layer '" + node().name + "': length must be >= 0");
            return;
        }
        if (n == 0)
            node().attrs.erase("dft_length");
        else
            node().attrs.set("dft_length", n);
        touch();
    }
    int64_t getDFTLength() const noexcept override { return node().attrs.getInt("dft_length", 0); }
};

class STFTLayer final : public LayerBase<ISTFTLayer> {
public:
    STFTLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kSTFT, node, 2) {}
    void setWindow(ITensor& w) noexcept override { setInput(2, w); }
    void setFrameLength(ITensor& n) noexcept override { setInput(3, n); }
    void setOnesided(bool v) noexcept override {
        node().attrs.set("onesided", v);
        touch();
    }
    bool getOnesided() const noexcept override { return node().attrs.getInt("onesided", 1) != 0; }
};

bool setDTypeAttr(NetworkImpl& net, ir::Node& n, DataType t, const char* who) {
    if (!validDataType(t) || t == DataType::kBOOL || t == DataType::kFP8) {
        logError(net.logger(), std::string(who) + ": layer '" + n.name + "': unsupported data type");
        return false;
    }
    n.attrs.set("dtype", int64_t(t));
    return true;
}

class WindowLayer final : public LayerBase<IWindowLayer> {
public:
    WindowLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kWINDOW, node, 1) {}
    void setWindowType(WindowType t) noexcept override {
        const char* k = t == WindowType::kHANN       ? "hann"
                        : t == WindowType::kHAMMING  ? "hamming"
                        : t == WindowType::kBLACKMAN ? "blackman"
                                                     : nullptr;
        if (!k) {
            logError(net().logger(), "IWindowLayer::setWindowType: layer '" + node().name + "': invalid type");
            return;
        }
        node().attrs.set("kind", k);
    }
    WindowType getWindowType() const noexcept override {
        const std::string k = node().attrs.getString("kind", "hann");
        return k == "hamming" ? WindowType::kHAMMING : k == "blackman" ? WindowType::kBLACKMAN : WindowType::kHANN;
    }
    void setPeriodic(bool p) noexcept override { node().attrs.set("periodic", p); }
    bool getPeriodic() const noexcept override { return node().attrs.getInt("periodic", 1) != 0; }
    void setDataType(DataType t) noexcept override {
        if (setDTypeAttr(net(), node(), t, "IWindowLayer::setDataType")) touch();
    }
    DataType getDataType() const noexcept override { return DataType(node().attrs.getInt("dtype", 0)); }
};

class MelWeightMatrixLayer final : public LayerBase<IMelWeightMatrixLayer> {
public:
    MelWeightMatrixLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kMEL_WEIGHT_MATRIX, node, 5) {}
    void setDataType(DataType t) noexcept override {
        if (setDTypeAttr(net(), node(), t, "IMelWeightMatrixLayer::setDataType")) touch();
    }
    DataType getDataType() const noexcept override { return DataType(node().attrs.getInt("dtype", 0)); }
};

}  // namespace

IDFTLayer* NetworkImpl::addDFT(ITensor& input, int32_t axis) noexcept {
    if (!checkInput(&input, "addDFT", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addDFT: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("DFT", "DFT", {valueOf(input)}, 1);
    auto* l = adopt(std::make_unique<DFTLayer>(*this, n));
    l->setAxis(axis);
    return l;
}

ISTFTLayer* NetworkImpl::addSTFT(ITensor& signal, ITensor& frameStep) noexcept {
    if (!checkInput(&signal, "addSTFT", 0) || !checkInput(&frameStep, "addSTFT", 1)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addSTFT: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("STFT", "STFT", {valueOf(signal), valueOf(frameStep)}, 1);
    return adopt(std::make_unique<STFTLayer>(*this, n));
}

IWindowLayer* NetworkImpl::addWindow(ITensor& size, WindowType type) noexcept {
    if (!checkInput(&size, "addWindow", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addWindow: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("Window", "Window", {valueOf(size)}, 1);
    auto* l = adopt(std::make_unique<WindowLayer>(*this, n));
    l->setWindowType(type);
    l->node().attrs.set("periodic", true);
    l->node().attrs.set("dtype", int64_t(DataType::kFLOAT));
    return l;
}

IMelWeightMatrixLayer* NetworkImpl::addMelWeightMatrix(ITensor& numMelBins, ITensor& dftLength, ITensor& sampleRate,
                                                       ITensor& lowerEdgeHertz, ITensor& upperEdgeHertz) noexcept {
    ITensor* ins[5] = {&numMelBins, &dftLength, &sampleRate, &lowerEdgeHertz, &upperEdgeHertz};
    std::vector<int> values;
    for (int i = 0; i < 5; ++i) {
        if (!checkInput(ins[i], "addMelWeightMatrix", i)) return nullptr;
        values.push_back(valueOf(*ins[i]));
    }
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addMelWeightMatrix: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("MelWeightMatrix", "MelWeightMatrix", values, 1);
    auto* l = adopt(std::make_unique<MelWeightMatrixLayer>(*this, n));
    l->node().attrs.set("dtype", int64_t(DataType::kFLOAT));
    return l;
}

}  // namespace kiln::api
