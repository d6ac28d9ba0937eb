// ImageDecoder: decodes an encoded image into HWC uint8 pixels (ONNX
// ImageDecoder-20); docs/ops.md. The output shape comes from the image
// header (probeImage), so it is known only when the bytes are.
#include "image_decoder.h"

#include <cctype>
#include <cstring>
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

// TIFF (classic and BigTIFF, either byte order): ImageWidth (256) and
// ImageLength (257) of the first IFD.
Status probeTiff(const uint8_t* d, size_t n, ImageInfo& info) {
    const bool le = d[0] == 'I';
    auto get = [&](size_t at, int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= uint64_t(d[at + size_t(le ? i : bytes - 1 - i)]) << (8 * i);
        return v;
    };
    const bool big = get(2, 2) == 43;
    const int offBytes = big ? 8 : 4, countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12;
    if (big && n < 16) return Status::Error("TIFF: truncated header");
    const uint64_t ifd = get(big ? 8 : 4, offBytes);
    if (ifd > n || n - ifd < uint64_t(countBytes)) return Status::Error("TIFF: first IFD offset is past the end");
    const uint64_t count = get(size_t(ifd), countBytes);
    if (count > (n - ifd - uint64_t(countBytes)) / uint64_t(entryBytes)) return Status::Error("TIFF: truncated IFD");
    info.width = info.height = 0;
    for (uint64_t e = 0; e < count; ++e) {
        const size_t at = size_t(ifd) + size_t(countBytes) + size_t(e) * size_t(entryBytes);
        const uint64_t tag = get(at, 2), type = get(at + 2, 2);
        if (tag != 256 && tag != 257) continue;
        // SHORT (3) or LONG (4) or LONG8 (16), stored inline in the value field.
        const size_t value = at + 4 + size_t(offBytes);
        const int64_t v = type == 3           ? int64_t(get(value, 2))
                          : type == 4         ? int64_t(get(value, 4))
                          : type == 16 && big ? int64_t(get(value, 8) & 0x7FFFFFFF)
                                              : -1;
        if (v < 0) return Status::Error("TIFF: image size tag has an unexpected type");
        (tag == 256 ? info.width : info.height) = v;
    }
    if (!info.width || !info.height) return Status::Error("TIFF: the first IFD has no image size");
    return Status::Ok();
}

// WebP: RIFF "WEBP" with a VP8 (lossy), VP8L (lossless) or VP8X (extended)
// first chunk, each keeping the size at its own place.
Status probeWebp(const uint8_t* d, size_t n, ImageInfo& info) {
    const uint8_t* c = d + 12;
    if (!std::memcmp(c, "VP8 ", 4)) {
        if (n < 30 || d[23] != 0x9D || d[24] != 0x01 || d[25] != 0x2A) return Status::Error("WebP: bad VP8 header");
        info.width = (d[26] | d[27] << 8) & 0x3FFF;
        info.height = (d[28] | d[29] << 8) & 0x3FFF;
    } else if (!std::memcmp(c, "VP8L", 4)) {
        if (n < 25 || d[20] != 0x2F) return Status::Error("WebP: bad VP8L header");
        const uint32_t bits = le32(d + 21);
        info.width = int64_t(bits & 0x3FFF) + 1;
        info.height = int64_t((bits >> 14) & 0x3FFF) + 1;
    } else if (!std::memcmp(c, "VP8X", 4)) {
        if (n < 30) return Status::Error("WebP: truncated VP8X header");
        info.width = int64_t(d[24] | d[25] << 8 | d[26] << 16) + 1;
        info.height = int64_t(d[27] | d[28] << 8 | d[29] << 16) + 1;
    } else {
        return Status::Error("WebP: unknown first chunk");
    }
    return Status::Ok();
}

// JPEG 2000: a JP2 file's image header box (jp2h > ihdr), or a raw
// codestream's SIZ marker (reference grid minus the image offset).
Status probeJpeg2000(const uint8_t* d, size_t n, ImageInfo& info) {
    if (d[0] == 0xFF) {  // codestream: SOC, SIZ, Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz
        if (n < 24) return Status::Error("JPEG 2000: truncated SIZ marker");
        const int64_t x = be32(d + 8), y = be32(d + 12), x0 = be32(d + 16), y0 = be32(d + 20);
        info.width = x - x0;
        info.height = y - y0;
        return Status::Ok();
    }
    // Boxes: 4-byte length (0: to the end; 1: an 8-byte length follows), 4-byte type.
    size_t at = 0, end = n;
    while (at + 8 <= end) {
        uint64_t len = be32(d + at);
        size_t header = 8;
        if (len == 1) {
            if (at + 16 > end) break;
            len = uint64_t(be32(d + at + 8)) << 32 | be32(d + at + 12);
            header = 16;
        } else if (len == 0) {
            len = end - at;
        }
        if (len < header || len > end - at) break;
        if (!std::memcmp(d + at + 4, "jp2h", 4)) {  // superbox: walk its children
            end = at + size_t(len);
            at += header;
            continue;
        }
        if (!std::memcmp(d + at + 4, "ihdr", 4)) {
            if (len < header + 8) break;
            info.height = be32(d + at + header);
            info.width = be32(d + at + header + 4);
            return Status::Ok();
        }
        at += size_t(len);
    }
    return Status::Error("JPEG 2000: no image header (ihdr) box found");
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
    } else if (n >= 8 && (!std::memcmp(d, "II*\0", 4) || !std::memcmp(d, "MM\0*", 4) || !std::memcmp(d, "II+\0", 4) ||
                          !std::memcmp(d, "MM\0+", 4))) {
        info.format = ImageFormat::kTIFF;
        KILN_RETURN_IF_ERROR(probeTiff(d, n, info));
    } else if (n >= 16 && !std::memcmp(d, "RIFF", 4) && !std::memcmp(d + 8, "WEBP", 4)) {
        info.format = ImageFormat::kWebP;
        KILN_RETURN_IF_ERROR(probeWebp(d, n, info));
    } else if ((n >= 12 && !std::memcmp(d, "\0\0\0\x0CjP  \r\n\x87\n", 12)) ||
               (n >= 4 && d[0] == 0xFF && d[1] == 0x4F && d[2] == 0xFF && d[3] == 0x51)) {
        info.format = ImageFormat::kJPEG2000;
        KILN_RETURN_IF_ERROR(probeJpeg2000(d, n, info));
    } else {
        return Status::Error("unknown image format (JPEG, PNG, BMP, PNM, TIFF, WebP and JPEG 2000 are supported)");
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
