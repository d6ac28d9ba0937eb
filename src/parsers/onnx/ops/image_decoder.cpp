// ImageDecoder (opset 20) -> IImageDecoderLayer.
#include "ops.h"

namespace kiln::onnx {

KILN_ONNX_CONVERTER(convertImageDecoder) {
    (void)node;
    (void)inputs;
    ITensor* x = ctx.tensor(0);
    if (!x) return false;
    const std::string fmt = ctx.attrString("pixel_format", "RGB");
    PixelFormat f;
    if (fmt == "RGB")
        f = PixelFormat::kRGB;
    else if (fmt == "BGR")
        f = PixelFormat::kBGR;
    else if (fmt == "Grayscale")
        f = PixelFormat::kGRAYSCALE;
    else
        return ctx.fail(ErrorCode::kINVALID_VALUE, "unknown pixel_format '" + fmt + "'");
    IImageDecoderLayer* layer = ctx.network().addImageDecoder(*x);
    if (!layer) return ctx.fail(ErrorCode::kINVALID_NODE, "the network rejected the ImageDecoder layer");
    layer->setPixelFormat(f);
    return pushLayer(ctx, layer, outputs);
}

}  // namespace kiln::onnx
