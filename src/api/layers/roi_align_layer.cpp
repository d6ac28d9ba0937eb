// IRoiAlignLayer and INetworkDefinition::addRoiAlign: the RoiAlign IR op.
#include <cmath>

#include "layer_util.h"

namespace kiln::api {

namespace {

class RoiAlignLayer final : public LayerBase<IRoiAlignLayer> {
public:
    RoiAlignLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kROI_ALIGN, node, 3) {}
    void setOutputSize(int64_t h, int64_t w) noexcept override {
        if (h < 1 || w < 1) return error("setOutputSize", "height and width must be >= 1");
        node().attrs.set("output_height", h);
        node().attrs.set("output_width", w);
        touch();
    }
    int64_t getOutputHeight() const noexcept override { return node().attrs.getInt("output_height", 1); }
    int64_t getOutputWidth() const noexcept override { return node().attrs.getInt("output_width", 1); }
    void setSamplingRatio(int64_t r) noexcept override {
        if (r < 0) return error("setSamplingRatio", "ratio must be >= 0");
        node().attrs.set("sampling_ratio", r);
    }
    int64_t getSamplingRatio() const noexcept override { return node().attrs.getInt("sampling_ratio", 0); }
    void setSpatialScale(float s) noexcept override {
        if (!std::isfinite(s)) return error("setSpatialScale", "scale must be finite");
        node().attrs.set("spatial_scale", s);
    }
    float getSpatialScale() const noexcept override { return float(node().attrs.getFloat("spatial_scale", 1.0)); }
    bool setPoolingType(PoolingType t) noexcept override {
        if (t != PoolingType::kAVERAGE && t != PoolingType::kMAX) {
            error("setPoolingType", "only kAVERAGE and kMAX");
            return false;
        }
        node().attrs.set("mode", t == PoolingType::kMAX ? "max" : "avg");
        return true;
    }
    PoolingType getPoolingType() const noexcept override {
        return node().attrs.getString("mode", "avg") == "max" ? PoolingType::kMAX : PoolingType::kAVERAGE;
    }
    void setAligned(bool a) noexcept override { node().attrs.set("half_pixel", a); }
    bool getAligned() const noexcept override { return node().attrs.getInt("half_pixel", 1) != 0; }

private:
    void error(const char* call, const char* what) const {
        logError(net().logger(), std::string("IRoiAlignLayer::") + call + ": layer '" + node().name + "': " + what);
    }
};

}  // namespace

IRoiAlignLayer* NetworkImpl::addRoiAlign(ITensor& input, ITensor& rois, ITensor& batchIndices) noexcept {
    if (!checkInput(&input, "addRoiAlign", 0) || !checkInput(&rois, "addRoiAlign", 1) ||
        !checkInput(&batchIndices, "addRoiAlign", 2))
        return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addRoiAlign: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("RoiAlign", "RoiAlign", {valueOf(input), valueOf(rois), valueOf(batchIndices)}, 1);
    return adopt(std::make_unique<RoiAlignLayer>(*this, n));
}

}  // namespace kiln::api
