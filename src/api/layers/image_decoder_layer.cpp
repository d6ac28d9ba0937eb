// IImageDecoderLayer and INetworkDefinition::addImageDecoder: the
// ImageDecoder IR op.
#include "layer_util.h"

namespace kiln::api {

namespace {

class ImageDecoderLayer final : public LayerBase<IImageDecoderLayer> {
public:
    ImageDecoderLayer(NetworkImpl& net, int node) : LayerBase(net, LayerType::kIMAGE_DECODER, node, 1) {}
    void setPixelFormat(PixelFormat f) noexcept override {
        const char* name = f == PixelFormat::kRGB         ? "RGB"
                           : f == PixelFormat::kBGR       ? "BGR"
                           : f == PixelFormat::kGRAYSCALE ? "Grayscale"
                                                          : nullptr;
        if (!name) {
            logError(net().logger(), "IImageDecoderLayer::setPixelFormat: layer '" + node().name + "': invalid format");
            return;
        }
        node().attrs.set("pixel_format", name);
        touch();
    }
    PixelFormat getPixelFormat() const noexcept override {
        const std::string f = node().attrs.getString("pixel_format", "RGB");
        return f == "BGR" ? PixelFormat::kBGR : f == "Grayscale" ? PixelFormat::kGRAYSCALE : PixelFormat::kRGB;
    }
};

}  // namespace

IImageDecoderLayer* NetworkImpl::addImageDecoder(ITensor& encoded) noexcept {
    if (!checkInput(&encoded, "addImageDecoder", 0)) return nullptr;
    if (implicitBatch_) {
        logError(logger_, "INetworkDefinition::addImageDecoder: needs an explicit-batch network (createNetworkV2)");
        return nullptr;
    }
    const int n = newNode("ImageDecoder", "ImageDecoder", {valueOf(encoded)}, 1);
    return adopt(std::make_unique<ImageDecoderLayer>(*this, n));
}

}  // namespace kiln::api
