// WebP through libwebp (lossy, lossless and extended still images). libwebp
// reports errors by return value; alpha is dropped without premultiplying,
// as Pillow's RGB conversion does.
#ifdef KILN_HAVE_WEBP
#include <webp/decode.h>

#include <string>

#include "image_codecs.h"

namespace kiln::cpu::ref::codecs {

namespace {

const char* webpStatusText(VP8StatusCode s) {
    switch (s) {
        case VP8_STATUS_OUT_OF_MEMORY:
            return "out of memory";
        case VP8_STATUS_INVALID_PARAM:
            return "invalid parameter";
        case VP8_STATUS_BITSTREAM_ERROR:
            return "corrupt bitstream";
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            return "unsupported feature";
        case VP8_STATUS_SUSPENDED:
            return "suspended";
        case VP8_STATUS_USER_ABORT:
            return "aborted";
        case VP8_STATUS_NOT_ENOUGH_DATA:
            return "truncated data";
        default:
            return "decoding failed";
    }
}

}  // namespace

Status decodeWebp(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb) {
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(data, size, &f);
    if (st != VP8_STATUS_OK) return Status::Error(std::string("WebP: ") + webpStatusText(st));
    if (f.has_animation) return Status::Error("WebP: animated images are not supported");
    if (int64_t(f.width) != W || int64_t(f.height) != H)
        return Status::Error("WebP: decoded size differs from the header");
    rgb.resize(size_t(H * W * 3));
    // Decodes straight into our buffer: nothing for libwebp to free on failure.
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg)) return Status::Error("WebP: libwebp version mismatch");
    cfg.output.colorspace = MODE_RGB;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = rgb.data();
    cfg.output.u.RGBA.stride = int(W * 3);
    cfg.output.u.RGBA.size = rgb.size();
    st = WebPDecode(data, size, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (st != VP8_STATUS_OK) return Status::Error(std::string("WebP: ") + webpStatusText(st));
    return Status::Ok();
}

}  // namespace kiln::cpu::ref::codecs
#endif  // KILN_HAVE_WEBP
