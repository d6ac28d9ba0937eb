// IGridSampleLayer and INetworkDefinition::addGridSample: the GridSample IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class GridSampleLayer final : public LayerBase<IGridSampleLayer> {
public:
    GridSampleLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kGRID_SAMPLE, node, 2) {}

    void setInterpolationMode(InterpolationMode m) noexcept override {
        const char* name = m == InterpolationMode::kNEAREST  ? "nearest"
                           : m == InterpolationMode::kCUBIC  ? "cubic"
                           : m == InterpolationMode::kLINEAR ? "linear"
                                                             : nullptr;
        if (!name) {
            logError(net().logger(),
                     "IGridSampleLayer::setInterpolationMode: invalid mode for layer '" + node().name + "'");
            return;
        }
        node().attrs.set("mode", name);
    }
    InterpolationMode getInterpolationMode() const noexcept override {
        const std::string m = node().attrs.getString("mode", "linear");
        return m == "nearest" ? InterpolationMode::kNEAREST
               : m == "cubic" ? InterpolationMode::kCUBIC
                              : InterpolationMode::kLINEAR;
    }
    void setAlignCorners(bool a) noexcept override { node().attrs.set("align_corners", a); }
    bool getAlignCorners() const noexcept override { return node().attrs.getInt("align_corners", 0) != 0; }
    bool setSampleMode(SampleMode m) noexcept override {
        const char* name = m == SampleMode::kFILL      ? "zeros"
                           : m == SampleMode::kCLAMP   ? "border"
                           : m == SampleMode::kREFLECT ? "reflection"
                                                       : nullptr;
        if (!name) {
            logError(net().logger(), "IGridSampleLayer::setSampleMode: layer '" + node().name +
                                         "' supports kFILL, kCLAMP and kREFLECT only");
            return false;
        }
        node().attrs.set("padding_mode", name);
        return true;
    }
    SampleMode getSampleMode() const noexcept override {
        const std::string m = node().attrs.getString("padding_mode", "zeros");
        return m == "border" ? SampleMode::kCLAMP : m == "reflection" ? SampleMode::kREFLECT : SampleMode::kFILL;
    }
};

}  // namespace

IGridSampleLayer* NetworkImpl::addGridSample(ITensor& input, ITensor& grid) noexcept {
    if (!checkInput(&input, "addGridSample", 0) || !checkInput(&grid, "addGridSample", 1)) return nullptr;
    const int n = newNode("GridSample", "GridSample", {valueOf(input), valueOf(grid)}, 1);
    auto* l = adopt(std::make_unique<GridSampleLayer>(*this, n));
    l->node().attrs.set("mode", "linear");
    l->node().attrs.set("padding_mode", "zeros");
    l->node().attrs.set("align_corners", false);
    return l;
}

}  // namespace kiln::api
