// ImageDecoder: decodes an encoded image into HWC uint8 pixels (ONNX
// ImageDecoder-20); docs/ops.md. The output shape comes from the image
// header (probeImage), so it is known only when the bytes are.
#include "image_decoder.h"

#include <cctype>
#include <string>

#include "op_families.h"

namespace kiln::ir {

namespace {

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint32_t le32(const uint8_t* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }

// JPEG: the first start-of-frame marker (SOF0..SOF15 but DHT, JPG and DAC).
Status probeJpeg(const uint8_t* d, size_t n, ImageInfo& info) {
    size_t at = 2;
    while (at + 4 <= n) {
        if (d[at] != 0xFF) return Status::Error("JPEG: corrupt marker sequence");
        const uint8_t m = d[at + 1];
        if (m == 0xFF) {
            ++at;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            at += 2;
            continue;
        }
        const size_t len = size_t(d[at + 2]) << 8 | d[at + 3];
        if (len < 2 || at + 2 + len > n) return Status::Error("JPEG: truncated segment");
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (len < 7) return Status::Error("JPEG: truncated frame header");
            info.height = int64_t(d[at + 5]) << 8 | d[at + 6];
            info.width = int64_t(d[at + 7]) << 8 | d[at + 8];
            return Status::Ok();
        }
        if (m == 0xD9 || m == 0xDA) break;
        at += 2 + len;
    }
    return Status::Error("JPEG: no frame header found");
}

// PNM: "P<n>" then width, height (and maxval) as ASCII decimals; '#' comments.
Status probePnm(const uint8_t* d, size_t n, ImageInfo& info) {
    size_t at = 2;
    int64_t v[2];
    for (int64_t& out : v) {
        while (at < n && (std::isspace(d[at]) || d[at] == '#')) {
            if (d[at] == '#')
                while (at < n && d[at] != '\n') ++at;
            else
                ++at;
        }
        if (at >= n || !std::isdigit(d[at])) return Status::Error("PNM: malformed header");
        out = 0;
        while (at < n && std::isdigit(d[at]) && out < (int64_t(1) << 31)) out = out * 10 + (d[at++] - '0');
    }
    info.width = v[0];
    info.height = v[1];
    return Status::Ok();
}

}  // namespace

Status probeImage(const uint8_t* d, size_t n, ImageInfo& info) {
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        info.format = ImageFormat::kJPEG;
        KILN_RETURN_IF_ERROR(probeJpeg(d, n, info));
    } else if (n >= 24 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G') {
        info.format = ImageFormat::kPNG;
        info.width = be32(d + 16);
        info.height = be32(d + 20);
    } else if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
        info.format = ImageFormat::kBMP;
        if (le32(d + 14) < 40)
            return Status::Error("BMP: only BITMAPINFOHEADER (40 bytes) or later headers are supported");
        info.width = int32_t(le32(d + 18));
        const int32_t h = int32_t(le32(d + 22));
        info.height = h < 0 ? -int64_t(h) : h;  // negative: top-down rows
    } else if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') {
        info.format = ImageFormat::kPNM;
        KILN_RETURN_IF_ERROR(probePnm(d, n, info));
    } else {
        return Status::Error("unknown image format (JPEG, PNG, BMP and PNM are supported)");
    }
    constexpr int64_t kMax = int64_t(1) << 16;
    if (info.width < 1 || info.height < 1 || info.width > kMax || info.height > kMax)
        return Status::Error("image size " + std::to_string(info.width) + " x " + std::to_string(info.height) +
                             " is outside [1, 65536]");
    return Status::Ok();
}

namespace {

Status inferImageDecoder(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const TensorDesc& x = in[0];
    if (x.dtype != DType::kU8 || x.shape.size() != 1)
        return Status::Error("the encoded image must be a 1-D uint8 tensor, got " + std::string(dtypeName(x.dtype)) +
                             " " + shapeToString(x.shape));
    const std::string fmt = node.attrs.getString("pixel_format", "RGB");
    if (fmt != "RGB" && fmt != "BGR" && fmt != "Grayscale")
        return Status::Error("unknown pixel_format '" + fmt + "' (expected RGB, BGR or Grayscale)");
    if (!x.data) {  // the image's size is known once it is decoded
        out[0] = {DType::kU8, {-1, -1, fmt == "Grayscale" ? 1 : 3}, nullptr};
        return Status::Ok();
    }
    ImageInfo info;
    KILN_RETURN_IF_ERROR(probeImage(static_cast<const uint8_t*>(x.data), size_t(x.shape[0]), info));
    out[0] = {DType::kU8, {info.height, info.width, fmt == "Grayscale" ? 1 : 3}, nullptr};
    return Status::Ok();
}

}  // namespace

void registerImageDecoderOp(std::vector<OpSchema>& t) { t.push_back({"ImageDecoder", 1, 1, 1, 1, &inferImageDecoder}); }

}  // namespace kiln::ir
