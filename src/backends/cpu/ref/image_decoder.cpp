// Reference ImageDecoder (docs/ops.md): JPEG through libjpeg(-turbo), PNG
// through libpng, BMP and PNM decoded here. Pixels are first decoded to 8-bit
// RGB, as Pillow (ONNX's reference) does, then reordered (BGR) or converted to
// luma with Pillow's integer rule (R*19595 + G*38470 + B*7471 + 32768) >> 16.
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include "../../../ir/ops/image_decoder.h"
#include "ref_kernels.h"

#ifdef KILN_HAVE_JPEG
#include <jpeglib.h>
#endif
#ifdef KILN_HAVE_PNG
#include <png.h>
#endif

namespace kiln::cpu::ref {

namespace {

using Pixels = std::vector<uint8_t>;  // H * W * 3, RGB

#ifdef KILN_HAVE_JPEG
struct JpegError {
    jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpegFail(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    cinfo->err->format_message(cinfo, err->message);
    longjmp(err->jump, 1);
}

Status decodeJpeg(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb) {
    jpeg_decompress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpegFail;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return Status::Error(std::string("JPEG: ") + err.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.num_components != 1 && cinfo.num_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        return Status::Error("JPEG: only grayscale and 3-component (YCbCr/RGB) images are supported");
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (int64_t(cinfo.output_width) != W || int64_t(cinfo.output_height) != H || cinfo.output_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        return Status::Error("JPEG: decoded size differs from the header");
    }
    rgb.resize(size_t(H * W * 3));
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = rgb.data() + size_t(cinfo.output_scanline) * size_t(W) * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return Status::Ok();
}
#endif

#ifdef KILN_HAVE_PNG
struct PngSource {
    const uint8_t* data;
    size_t size, at;
    std::string error;
};

void pngRead(png_structp png, png_bytep out, png_size_t n) {
    auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
    if (src->at + n > src->size) png_error(png, "truncated data");
    std::memcpy(out, src->data + src->at, n);
    src->at += n;
}

void pngError(png_structp png, png_const_charp msg) {
    static_cast<PngSource*>(png_get_error_ptr(png))->error = msg;
    png_longjmp(png, 1);
}

void pngWarning(png_structp, png_const_charp) {}

Status decodePng(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb) {
    PngSource src{data, size, 0, {}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, pngError, pngWarning);
    if (!png) return Status::Error("PNG: out of memory");
    png_infop info = png_create_info_struct(png);
    std::vector<png_bytep> rows;  // declared before setjmp: a longjmp must not skip a destructor
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
        return Status::Error("PNG: " + (src.error.empty() ? std::string("decoding failed") : src.error));
    }
    png_set_read_fn(png, &src, pngRead);
    png_read_info(png, info);
    // To 8-bit RGB: palette and low-depth gray expanded, 16-bit truncated to
    // the high byte, gray replicated, alpha dropped.
    png_set_strip_16(png);
    png_set_packing(png);
    png_set_palette_to_rgb(png);
    png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (int64_t(png_get_image_width(png, info)) != W || int64_t(png_get_image_height(png, info)) != H ||
        png_get_rowbytes(png, info) != size_t(W) * 3) {
        png_destroy_read_struct(&png, &info, nullptr);
        return Status::Error("PNG: decoded layout differs from the header");
    }
    rgb.resize(size_t(H * W * 3));
    rows.resize(size_t(H));
    for (int64_t y = 0; y < H; ++y) rows[size_t(y)] = rgb.data() + size_t(y * W * 3);
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Ok();
}
#endif

uint32_t le32(const uint8_t* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }
uint16_t le16(const uint8_t* p) { return uint16_t(p[1] << 8 | p[0]); }

// Uncompressed BMP: 24- and 32-bit BGR(A), 8-bit and lower paletted.
Status decodeBmp(const uint8_t* d, size_t n, int64_t H, int64_t W, Pixels& rgb) {
    if (n < 54) return Status::Error("BMP: truncated header");
    const uint32_t offset = le32(d + 10), hdr = le32(d + 14), compression = le32(d + 30);
    const int bpp = le16(d + 28);
    const bool topDown = int32_t(le32(d + 22)) < 0;
    if (compression != 0 && !(compression == 3 && bpp == 32))
        return Status::Error("BMP: compressed images are not supported");
    if (bpp != 24 && bpp != 32 && bpp != 8 && bpp != 4 && bpp != 1)
        return Status::Error("BMP: " + std::to_string(bpp) + " bits per pixel is not supported");
    const size_t stride = (size_t(W) * size_t(bpp) + 31) / 32 * 4;
    if (size_t(offset) + stride * size_t(H) > n) return Status::Error("BMP: truncated pixel data");
    const uint8_t* palette = d + 14 + hdr;
    uint32_t colors = le32(d + 46);
    if (bpp <= 8 && colors == 0) colors = 1u << bpp;
    if (bpp <= 8 && size_t(14 + hdr) + size_t(colors) * 4 > n) return Status::Error("BMP: truncated palette");
    rgb.resize(size_t(H * W * 3));
    for (int64_t y = 0; y < H; ++y) {
        const uint8_t* row = d + offset + stride * size_t(topDown ? y : H - 1 - y);
        for (int64_t x = 0; x < W; ++x) {
            uint8_t* px = rgb.data() + size_t((y * W + x) * 3);
            if (bpp >= 24) {
                const uint8_t* s = row + size_t(x) * size_t(bpp / 8);
                px[0] = s[2], px[1] = s[1], px[2] = s[0];
            } else {
                const size_t bit = size_t(x) * size_t(bpp);
                const uint32_t idx = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
                if (idx >= colors) return Status::Error("BMP: palette index out of range");
                const uint8_t* c = palette + size_t(idx) * 4;
                px[0] = c[2], px[1] = c[1], px[2] = c[0];
            }
        }
    }
    return Status::Ok();
}

// PNM: P2/P5 (gray) and P3/P6 (RGB), maxval <= 255 (scaled to 255).
Status decodePnm(const uint8_t* d, size_t n, int64_t H, int64_t W, Pixels& rgb) {
    const char kind = char(d[1]);
    if (kind == '1' || kind == '4') return Status::Error("PNM: bitmaps (P1, P4) are not supported");
    const bool gray = kind == '2' || kind == '5', ascii = kind == '2' || kind == '3';
    size_t at = 2;
    auto number = [&](int64_t& v) {
        while (at < n && (std::isspace(d[at]) || d[at] == '#')) {
            if (d[at] == '#')
                while (at < n && d[at] != '\n') ++at;
            else
                ++at;
        }
        if (at >= n || !std::isdigit(d[at])) return false;
        v = 0;
        while (at < n && std::isdigit(d[at]) && v < 100000) v = v * 10 + (d[at++] - '0');
        return true;
    };
    int64_t w, h, maxval;
    if (!number(w) || !number(h) || !number(maxval) || maxval < 1 || maxval > 255)
        return Status::Error("PNM: malformed header or maxval above 255");
    ++at;  // the single whitespace before binary data
    const int64_t ch = gray ? 1 : 3, count = H * W * ch;
    if (!ascii && at + size_t(count) > n) return Status::Error("PNM: truncated pixel data");
    rgb.resize(size_t(H * W * 3));
    for (int64_t i = 0; i < count; ++i) {
        int64_t v;
        if (ascii) {
            if (!number(v)) return Status::Error("PNM: truncated pixel data");
        } else {
            v = d[at + size_t(i)];
        }
        v = maxval == 255 ? v : (v * 255 + maxval / 2) / maxval;
        const uint8_t b = uint8_t(v > 255 ? 255 : v);
        if (gray)
            rgb[size_t(i * 3)] = rgb[size_t(i * 3 + 1)] = rgb[size_t(i * 3 + 2)] = b;
        else
            rgb[size_t(i)] = b;
    }
    return Status::Ok();
}

}  // namespace

Status imageDecoder(KernelArgs& args) {
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const auto* d = x.as<const uint8_t>();
    const size_t n = size_t(x.numel());
    ir::ImageInfo info;
    KILN_RETURN_IF_ERROR(ir::probeImage(d, n, info).withContext("ImageDecoder: "));
    const int64_t H = info.height, W = info.width;
    Pixels rgb;
    Status st = Status::Ok();
    switch (info.format) {
        case ir::ImageFormat::kJPEG:
#ifdef KILN_HAVE_JPEG
            st = decodeJpeg(d, n, H, W, rgb);
#else
            st = Status::Error("JPEG support was not built (libjpeg missing)");
#endif
            break;
        case ir::ImageFormat::kPNG:
#ifdef KILN_HAVE_PNG
            st = decodePng(d, n, H, W, rgb);
#else
            st = Status::Error("PNG support was not built (libpng missing)");
#endif
            break;
        case ir::ImageFormat::kBMP:
            st = decodeBmp(d, n, H, W, rgb);
            break;
        case ir::ImageFormat::kPNM:
            st = decodePnm(d, n, H, W, rgb);
            break;
    }
    KILN_RETURN_IF_ERROR(st.withContext("ImageDecoder: "));
    const std::string fmt = args.node.attrs.getString("pixel_format", "RGB");
    const int64_t C = fmt == "Grayscale" ? 1 : 3;
    if (y.shape != ir::Shape{H, W, C}) return Status::Error("ImageDecoder: output shape does not match the image");
    auto* out = y.as<uint8_t>();
    for (int64_t p = 0; p < H * W; ++p) {
        const uint8_t* s = rgb.data() + size_t(p * 3);
        if (C == 1) {
            out[p] = uint8_t((uint32_t(s[0]) * 19595 + uint32_t(s[1]) * 38470 + uint32_t(s[2]) * 7471 + 0x8000) >> 16);
        } else if (fmt == "BGR") {
            out[p * 3] = s[2], out[p * 3 + 1] = s[1], out[p * 3 + 2] = s[0];
        } else {
            out[p * 3] = s[0], out[p * 3 + 1] = s[1], out[p * 3 + 2] = s[2];
        }
    }
    return Status::Ok();
}

bool imageDecoderSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && in[0].dtype == ir::DType::kU8;
}

}  // namespace kiln::cpu::ref
