// JPEG 2000 (JP2 files and raw J2K codestreams) through OpenJPEG, read from
// memory with a custom stream. OpenJPEG reports errors by return value and an
// error callback (no longjmp). Components are mapped to RGB as Pillow does:
// gray (+ alpha) is replicated, three or more components are R, G, B (alpha
// dropped); samples are shifted to 8 bits and signed ones offset to unsigned.
#ifdef KILN_HAVE_OPENJPEG
#include <openjpeg.h>

#include <cstring>
#include <string>

#include "image_codecs.h"

namespace kiln::cpu::ref::codecs {

namespace {

struct J2kSource {
    const uint8_t* data;
    size_t size, at;
    std::string error;
};

OPJ_SIZE_T j2kRead(void* out, OPJ_SIZE_T n, void* user) {
    auto* s = static_cast<J2kSource*>(user);
    if (s->at >= s->size) return OPJ_SIZE_T(-1);  // OpenJPEG's end-of-stream value
    const size_t k = n < s->size - s->at ? n : s->size - s->at;
    std::memcpy(out, s->data + s->at, k);
    s->at += k;
    return k;
}

OPJ_OFF_T j2kSkip(OPJ_OFF_T n, void* user) {
    auto* s = static_cast<J2kSource*>(user);
    if (n < 0 && size_t(-n) > s->at) n = -OPJ_OFF_T(s->at);
    if (n > 0 && size_t(n) > s->size - s->at) n = OPJ_OFF_T(s->size - s->at);
    s->at = size_t(OPJ_OFF_T(s->at) + n);
    return n;
}

OPJ_BOOL j2kSeek(OPJ_OFF_T to, void* user) {
    auto* s = static_cast<J2kSource*>(user);
    if (to < 0 || uint64_t(to) > s->size) return OPJ_FALSE;
    s->at = size_t(to);
    return OPJ_TRUE;
}

void j2kError(const char* msg, void* user) {
    auto* s = static_cast<J2kSource*>(user);
    if (!s->error.empty()) return;  // the first error is the cause
    s->error = msg;
    while (!s->error.empty() && (s->error.back() == '\n' || s->error.back() == ' ')) s->error.pop_back();
}

void j2kQuiet(const char*, void*) {}

// One sample scaled to 8 bits: precision above 8 keeps the high bits, below 8
// is shifted up; signed samples are offset by half their range first.
uint8_t to8(const opj_image_comp_t& c, OPJ_INT32 v) {
    int64_t u = int64_t(v) + (c.sgnd ? int64_t(1) << (c.prec - 1) : 0);
    u = c.prec > 8 ? u >> (c.prec - 8) : u << (8 - c.prec);
    return uint8_t(u < 0 ? 0 : u > 255 ? 255 : u);
}

Status toRgb(const opj_image_t& im, int64_t H, int64_t W, Pixels& rgb) {
    if (im.numcomps < 1) return Status::Error("no components");
    if (im.color_space == OPJ_CLRSPC_SYCC || im.color_space == OPJ_CLRSPC_EYCC || im.color_space == OPJ_CLRSPC_CMYK)
        return Status::Error("YCC and CMYK colour spaces are not supported");
    if (int64_t(im.x1 - im.x0) != W || int64_t(im.y1 - im.y0) != H)
        return Status::Error("decoded size differs from the header");
    const bool gray = im.numcomps < 3;
    const OPJ_UINT32 used = gray ? 1 : 3;
    for (OPJ_UINT32 k = 0; k < used; ++k) {
        const opj_image_comp_t& c = im.comps[k];
        if (!c.data || c.prec < 1 || c.prec > 31 || c.dx < 1 || c.dy < 1)
            return Status::Error("component " + std::to_string(k) + " is missing or malformed");
        // Subsampled components are read at (x / dx, y / dy) on the reference grid.
        if (int64_t(c.w) < (W + c.dx - 1) / c.dx || int64_t(c.h) < (H + c.dy - 1) / c.dy)
            return Status::Error("component " + std::to_string(k) + " is smaller than the image");
    }
    rgb.resize(size_t(H * W * 3));
    for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
            for (OPJ_UINT32 k = 0; k < 3; ++k) {
                const opj_image_comp_t& c = im.comps[gray ? 0 : k];
                const size_t i = size_t(y / c.dy) * c.w + size_t(x / c.dx);
                rgb[size_t((y * W + x) * 3 + k)] = to8(c, c.data[i]);
            }
    return Status::Ok();
}

}  // namespace

Status decodeJpeg2000(const uint8_t* data, size_t size, int64_t H, int64_t W, Pixels& rgb) {
    J2kSource src{data, size, 0, {}};
    const bool codestream = size >= 2 && data[0] == 0xFF && data[1] == 0x4F;
    opj_codec_t* codec = opj_create_decompress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
    opj_stream_t* stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    opj_image_t* image = nullptr;
    Status st = Status::Ok();
    if (!codec || !stream) {
        st = Status::Error("out of memory");
    } else {
        opj_stream_set_user_data(stream, &src, nullptr);  // src outlives the stream: nothing to free
        opj_stream_set_user_data_length(stream, size);
        opj_stream_set_read_function(stream, j2kRead);
        opj_stream_set_skip_function(stream, j2kSkip);
        opj_stream_set_seek_function(stream, j2kSeek);
        opj_set_error_handler(codec, j2kError, &src);
        opj_set_warning_handler(codec, j2kQuiet, nullptr);
        opj_set_info_handler(codec, j2kQuiet, nullptr);
        opj_dparameters_t params;
        opj_set_default_decoder_parameters(&params);
        if (!opj_setup_decoder(codec, &params) || !opj_read_header(stream, codec, &image) ||
            !opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream))
            st = Status::Error(src.error.empty() ? "decoding failed" : src.error);
        else
            st = toRgb(*image, H, W, rgb);
    }
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
    return st.withContext("JPEG 2000: ");
}

}  // namespace kiln::cpu::ref::codecs
#endif  // KILN_HAVE_OPENJPEG
